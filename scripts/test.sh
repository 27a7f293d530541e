#!/usr/bin/env bash
# Installs what is missing (Debian 12), checks formatting, builds, and runs every test:
#   1. under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/, instrumented for
#      coverage too): every test not labelled "integration" (unit tests, and the lifecycle tests
#      that drive the sanitized binary through reloads and shutdowns mid-call), then gcovr's
#      summary of what they covered;
#   2. under ThreadSanitizer (build-tsan/): the thread-heavy tests (scheduler, collector set,
#      plugin host, cache, load engines, lifecycle);
#   3. libFuzzer on every fuzz target (fuzz/) for 10 s each with seed 1, under ASan+UBSan
#      (build-fuzz/, clang-16; every build also replays their corpora as tests);
#   4. the integration tests (label "integration": the real agent, real servers, a browser, the
#      .deb) on the normal build (build/), which builds only what they need.
# Every test runs once: the unit and lifecycle tests in stage 1, the integration tests in stage 4,
# whose ctest summary is the last thing printed. Each stage says how long it took.
# A test whose tool is missing fails; VIGIL_ALLOW_SKIPS=1 makes it a skip on a partial machine (docs/testing.md).
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
stage_start=$SECONDS
took() { echo "   (took $((SECONDS - stage_start)) s)"; stage_start=$SECONDS; }
echo "== unit and lifecycle tests under ASan+UBSan"
# Line tables only (-g1): every frame of a sanitizer report keeps its file and line, and the
# build took 19 minutes instead of about 26 with full debug info (2 cores, 2026-12-03).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_COVERAGE=ON \
  -DCMAKE_CXX_FLAGS_DEBUG="-g1" -DCMAKE_C_FLAGS_DEBUG="-g1" >/dev/null
# Counts from an earlier run would mix with this one's (and clash with rebuilt objects).
[[ -d build-asan ]] && find build-asan -name '*.gcda' -delete
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j "$jobs" --output-on-failure --label-exclude integration >/tmp/vigil-asan.log 2>&1 ||
  { tail -60 /tmp/vigil-asan.log; echo "sanitizer run failed"; exit 1; }
tail -3 /tmp/vigil-asan.log
took
echo "== coverage of the sanitizer run (the whole suite's: scripts/coverage.sh)"
scripts/coverage-report.sh build-asan
took

echo "== thread-heavy tests under ThreadSanitizer"
tsan_tests=(runtime_test plugin_host_test cache_test load_test isolation_test vigil_lifecycle_test)
# -O1 with line tables only: half the compile time of -O2 -g, and still every frame of a report.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_SANITIZE_THREAD=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
cmake --build build-tsan -j "$jobs" --target "${tsan_tests[@]}" vigil vigil_fixture_plugins vigil_notifier_log
for t in "${tsan_tests[@]}"; do
  VIGIL_BUILD_DIR="$PWD/build-tsan" VIGIL_SOURCE_DIR="$PWD" TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    "build-tsan/tests/$t" >"/tmp/vigil-tsan-$t.log" 2>&1 ||
    { tail -80 "/tmp/vigil-tsan-$t.log"; echo "ThreadSanitizer run of $t failed"; exit 1; }
  echo "$t: $(grep -E 'All tests passed|test cases:' "/tmp/vigil-tsan-$t.log" | tail -1)"
done
took

echo "== fuzzing: every parser of outside input for 10 s under ASan+UBSan (longer: scripts/fuzz.sh)"
VIGIL_SETUP_DONE=1 VIGIL_FUZZ_SEED=1 scripts/fuzz.sh 10
took

echo "== integration tests on the normal build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" --target vigil_integration_suite
took
exec ctest --test-dir build -j "$jobs" --output-on-failure -L integration
