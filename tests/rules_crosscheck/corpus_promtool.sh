#!/usr/bin/env bash
# Every expression of the parser corpus is valid PromQL for Prometheus too: each line becomes a
# recording rule and `promtool check rules` must accept the file. Fails (exit 77 with VIGIL_ALLOW_SKIPS=1) without promtool.
# usage: corpus_promtool.sh CORPUS_FILE
set -eu
source "$(dirname "${BASH_SOURCE[0]}")/../support/missing_tool.sh"
command -v promtool >/dev/null || missing_tool promtool
rules=$(mktemp --suffix=.yml)
trap 'rm -f "$rules"' EXIT
python3 - "$1" "$rules" <<'PY'
import json, sys
lines = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: corpus\n    rules:\n")
    for i, expr in enumerate(lines):
        out.write("      - record: corpus:expr_%d\n        expr: %s\n" % (i, json.dumps(expr)))
PY
promtool check rules "$rules"
