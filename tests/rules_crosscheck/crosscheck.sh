#!/usr/bin/env bash
# Runs each rule unit-test file through `vigil test rules` and `promtool test rules` and
# requires the same verdict from both: the same exit code and the same list of failing checks
# ("expr: ..., time: ..." / "alertname: ..., time: ..."). Fails (exit 77 with VIGIL_ALLOW_SKIPS=1) without promtool.
# usage: crosscheck.sh VIGIL_BINARY TEST_FILE...
set -u
vigil=$1
shift
source "$(dirname "${BASH_SOURCE[0]}")/../support/missing_tool.sh"
command -v promtool >/dev/null || missing_tool promtool
failing_checks() { grep -E '^\s*(expr|alertname): .*time: ' | sed -E 's/^\s+//; s/\s+$//'; }
status=0
printf '%-40s %8s %8s  %s\n' "file" "vigil" "promtool" "verdict"
for file in "$@"; do
  dir=$(dirname "$file")
  base=$(basename "$file")
  v_out=$(cd "$dir" && "$vigil" test rules "$base" 2>&1); v=$?
  p_out=$(cd "$dir" && promtool test rules "$base" 2>&1); p=$?
  verdict=same
  if [ "$v" -ne "$p" ]; then
    verdict="DIFFERENT exit codes"
  elif [ "$(echo "$v_out" | failing_checks)" != "$(echo "$p_out" | failing_checks)" ]; then
    verdict="DIFFERENT failing checks"
  fi
  printf '%-40s %8s %8s  %s\n' "$base" "$v" "$p" "$verdict"
  if [ "$verdict" != same ]; then
    status=1
    echo "--- vigil:"; echo "$v_out"; echo "--- promtool:"; echo "$p_out"
  fi
done
exit $status
