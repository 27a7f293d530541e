#!/usr/bin/env bash
# Rule-engine figures (docs/performance.md): builds the benchmark into build-bench/, runs it
# in both shapes, and times `vigil test rules` against `promtool test rules` on the shipped
# rule tests (median of 20 runs; promtool from Debian's prometheus package, if installed).
#   bench/rules/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DVIGIL_BUILD_BENCH=ON -DVIGIL_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench --target vigil vigil_rule_bench >/dev/null
build-bench/vigil_rule_bench configs/rules/*.yml
build-bench/vigil_rule_bench --series-per-metric 1000
if command -v promtool >/dev/null; then
  (cd configs/rules/tests && python3 - "$PWD/../../../build-bench/vigil" <<'PY'
import glob, subprocess, sys, time
files = sorted(glob.glob("*_test.yml"))
for name, cmd in (("vigil test rules", [sys.argv[1], "test", "rules"] + files),
                  ("promtool test rules", ["promtool", "test", "rules"] + files)):
    runs = []
    for _ in range(20):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        runs.append(time.perf_counter() - t)
    runs.sort()
    print("%s on %d shipped test files: median %.1f ms" % (name, len(files), runs[10] * 1000))
PY
  )
fi
