#!/usr/bin/env bash
# Runs the README's first command (scripts/run.sh) as a newcomer would, waits until the agent
# answers GET /readyz with 200, then stops it with SIGTERM and requires exit status 0.
# CI runs this before the test command, from the same fresh clone.
#   scripts/check-run-command.sh [seconds to wait, default 1800: includes set-up and build]
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-1800}
state=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$state"' EXIT

VIGIL_STATE_DIR="$state" scripts/run.sh >"$log" 2>&1 &
pid=$!
ready=0
for ((i = 0; i < limit; ++i)); do
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  if [[ -x build/vigil ]] && curl -fsS -o /dev/null http://127.0.0.1:9479/readyz 2>/dev/null; then
    ready=1
    break
  fi
  sleep 1
done
if ((!ready)); then
  tail -40 "$log"
  kill -TERM "$pid" 2>/dev/null || true
  echo "run command: the agent never answered /readyz with 200 (see its output above)"
  exit 1
fi
echo "run command: /readyz answered 200 after ${i}s; stopping with SIGTERM"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
if ((rc != 0)); then
  tail -40 "$log"
  echo "run command: the agent exited with status $rc after SIGTERM (expected 0)"
  exit 1
fi
echo "run command: stopped cleanly"
