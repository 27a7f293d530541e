#!/usr/bin/env bash
# gcovr's line and branch summary of core/ and plugins/ for an instrumented build directory
# (build-coverage/ from scripts/coverage.sh, or the sanitizer build when it is instrumented).
#   scripts/coverage-report.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: coverage-report.sh BUILD_DIR}
mkdir -p "$build/coverage"
gcovr --root . --object-directory "$build" \
  --filter 'core/' --filter 'plugins/' \
  --exclude '.*/tests/.*' --exclude 'build.*/' \
  --exclude-throw-branches --exclude-unreachable-branches \
  --gcov-ignore-parse-errors -j "$(nproc)" \
  --html-details "$build/coverage/index.html" --print-summary >"$build/coverage/summary.txt" 2>"$build/coverage/gcovr.log" ||
  { tail -20 "$build/coverage/gcovr.log"; exit 1; }
cat "$build/coverage/summary.txt"
