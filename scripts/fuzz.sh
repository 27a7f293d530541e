#!/usr/bin/env bash
# Fuzzes the parsers that read outside input (fuzz/*_fuzz.cpp) with libFuzzer under
# AddressSanitizer + UndefinedBehaviorSanitizer, built with clang-16 in build-fuzz/.
#   scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]    default: 300 s for every target
# Each target starts from its seeds in fuzz/corpus/NAME and keeps what it learns in
# build-fuzz/corpus/NAME (so a second run goes on from there). A crash, leak, sanitizer report or
# an input slower than 10 s stops the run with the reproducer in build-fuzz/crashes/NAME/: fix
# the parser, then add the file to fuzz/corpus/NAME so every build replays it (ctest
# fuzz_replay.NAME).
# VIGIL_FUZZ_SEED=N fixes libFuzzer's seed: the same inputs in the same order on every run, so a
# short run is a prefix of a longer one with that seed (scripts/test.sh uses 1, so CI repeats
# what was fuzzed before it; fuzz without it to explore).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -n "${VIGIL_SETUP_DONE:-}" ]] || scripts/setup-debian.sh --test
secs=${1:-300}
shift || true
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-16 \
  -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DVIGIL_SANITIZE=ON -DVIGIL_FUZZ=ON -DVIGIL_BUILD_TESTS=OFF -DVIGIL_INSTALL=OFF \
  >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target vigil_fuzz_targets
targets=("$@")
seed=()
if [[ -n "${VIGIL_FUZZ_SEED:-}" ]]; then seed=(-seed="$VIGIL_FUZZ_SEED"); fi
# Stacks with function names and lines, when a symbolizer is installed.
symbolize=""
if symbolizer=$(command -v llvm-symbolizer); then symbolize=":external_symbolizer_path=$symbolizer"; fi
if (( ${#targets[@]} == 0 )); then
  mapfile -t targets < <(cd fuzz && ls -1 ./*_fuzz.cpp | sed 's|^\./||; s|_fuzz\.cpp$||')
fi
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  log="build-fuzz/fuzz-$t.log"
  if ! ASAN_OPTIONS="detect_leaks=1:abort_on_error=1$symbolize" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1$symbolize" \
    "build-fuzz/fuzz/fuzz_$t" "${seed[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t/" "build-fuzz/corpus/$t" "fuzz/corpus/$t" \
    >"$log" 2>&1; then
    tail -60 "$log"
    echo "fuzz: $t failed; the reproducer is in build-fuzz/crashes/$t/ (replay: build-fuzz/fuzz/fuzz_$t FILE)"
    exit 1
  fi
  echo "fuzz: $t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') inputs in ${secs} s," \
    "$(grep -E '^stat::peak_rss_mb' "$log" | awk '{print $2}') MB peak, no failure"
done
