#!/usr/bin/env bash
# Installs what is missing (Debian 12), checks formatting, builds, and runs every test:
# the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/), then the
# whole suite, integration tests included, on the normal build (build/). ctest's summary of
# the whole suite is the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh --test

echo "== format check"
mapfile -t sources < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp' 2>/dev/null || find core plugins plugin-api tests bench -name '*.[ch]pp' -o -name '*.[ch]')
if ! clang-format --dry-run --Werror "${sources[@]}" 2>/tmp/vigil-format.log; then
  head -40 /tmp/vigil-format.log
  echo "Some files are not formatted; fix with: clang-format -i \$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')"
  exit 1
fi

jobs=$(nproc)
echo "== unit tests under ASan+UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j "$jobs" --output-on-failure --label-exclude integration >/tmp/vigil-asan.log 2>&1 ||
  { tail -60 /tmp/vigil-asan.log; echo "sanitizer run failed"; exit 1; }
tail -3 /tmp/vigil-asan.log

echo "== full suite"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
exec ctest --test-dir build -j "$jobs" --output-on-failure
