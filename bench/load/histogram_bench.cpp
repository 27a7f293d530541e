// The cost of recording one latency into the load engine's histogram (docs/performance.md).
//   vigil_histogram_bench
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "load/histogram.h"

int main() {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(7, 1.5);  // around a millisecond, long tail
  std::vector<int64_t> values(1 << 20);
  for (auto& v : values) v = static_cast<int64_t>(d(rng));
  vigil::load::Histogram h;
  const int rounds = 50;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r)
    for (int64_t v : values) h.record(v);
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
                    (static_cast<double>(values.size()) * rounds);
  std::printf("histogram record: %.2f ns a value (%zu values, p99 %lld us)\n", ns, values.size() * rounds,
              static_cast<long long>(h.percentile(99)));
  vigil::load::Histogram a, b;
  for (int64_t v : values) a.record(v);
  const auto m0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) b.add(a);
  std::printf("histogram merge: %.1f us\n",
              std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - m0).count() / 100);
  return 0;
}
