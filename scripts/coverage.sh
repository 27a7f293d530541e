#!/usr/bin/env bash
# Line and branch coverage of core/ and plugins/ over the whole suite: a gcov-instrumented build
# (build-coverage/, -O0), every test, then gcovr's summary. Test sources, fixtures, benchmarks
# and generated files are not counted. The HTML report goes to build-coverage/coverage/.
#   scripts/coverage.sh [ctest arguments, e.g. -L integration]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh --test
command -v gcovr >/dev/null || { apt-get install -y -qq --no-install-recommends gcovr || sudo apt-get install -y -qq --no-install-recommends gcovr; }
cmake -S . -B build-coverage -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVIGIL_COVERAGE=ON >/dev/null
cmake --build build-coverage -j "$(nproc)"
find build-coverage -name '*.gcda' -delete
ctest --test-dir build-coverage -j "$(nproc)" --output-on-failure "$@" >build-coverage/ctest.log 2>&1 ||
  { tail -40 build-coverage/ctest.log; echo "coverage: some tests failed (figures below still count what ran)"; }
tail -3 build-coverage/ctest.log
scripts/coverage-report.sh build-coverage
