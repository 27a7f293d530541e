// What isolation = "process" costs per collection, for docs/performance.md: collect() of 10,
// 1,000 and 10,000 samples through the same plugin file in the agent's process and in a
// vigil-plugin-host, the median and p99 of 2,000 calls each (200 for 10,000 samples), and the
// host's resident memory.
//
// usage: vigil_isolation_bench PLUGIN_HOST MISBEHAVES_SO
//   e.g. (from a build with -DVIGIL_BUILD_BENCH=ON)
//   build/vigil_isolation_bench build/vigil-plugin-host build/tests/fixtures/plugins/misbehaves.so
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "config/toml_loader.h"
#include "isolation/isolated_collector.h"
#include "isolation/protocol.h"
#include "plugin_host/collector_instance.h"
#include "plugin_host/instance_context.h"
#include "plugin_host/plugin_loader.h"

using namespace vigil;

namespace {

struct Figures {
  double p50_us = 0, p99_us = 0;
};

Figures measure(plugin_host::Collector& c, int calls) {
  std::vector<double> us;
  us.reserve(static_cast<size_t>(calls));
  for (int i = 0; i < calls + 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = c.collect(plugin_host::monotonic_now_ns() + 5'000'000'000);
    const auto t1 = std::chrono::steady_clock::now();
    if (out.result != plugin_host::CollectOutcome::Result::ok) {
      std::fprintf(stderr, "collect failed: %s\n", out.error.c_str());
      std::exit(1);
    }
    if (i >= 20) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());  // after a warm-up
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

double rss_mb(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  double size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PLUGIN_HOST MISBEHAVES_SO\n", argv[0]);
    return 2;
  }
  const std::string host = argv[1], so = argv[2];
  auto plugin = plugin_host::load_plugin(so);
  if (!plugin.ok()) {
    std::fprintf(stderr, "%s\n", plugin.message().c_str());
    return 1;
  }
  std::printf(
      "| samples | in the agent p50 / p99 | isolated p50 / p99 | isolated / in the agent (p50) | host RSS | encode / "
      "decode / validate |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|\n");
  for (int samples : {10, 1000, 10000}) {
    const auto loaded = config::load_config_text(
        "[[collectors.misbehaves]]\nmode = \"emit\"\nsamples = " + std::to_string(samples) + "\n", "bench.toml");
    const auto& settings = loaded.settings.collectors.at(0);
    auto inside = plugin_host::CollectorInstance::create(plugin.value(), settings);
    isolation::IsolationOptions options;
    options.host_path = host;
    auto isolated = isolation::IsolatedCollector::create(so, settings, options);
    if (!inside.ok() || !isolated.ok()) {
      std::fprintf(stderr, "%s%s\n", inside.ok() ? "" : inside.message().c_str(),
                   isolated.ok() ? "" : isolated.message().c_str());
      return 1;
    }
    (void)inside.value()->start();
    (void)isolated.value()->start();
    const int calls = samples >= 10000 ? 200 : 2000;
    const Figures a = measure(*inside.value(), calls);
    const Figures b = measure(*isolated.value(), calls);
    // The share of the codec: one run's samples encoded, decoded and validated again (medians
    // of 200 rounds).
    auto one = inside.value()->collect(plugin_host::monotonic_now_ns() + 5'000'000'000);
    isolation::Collected c;
    c.samples = one.samples;
    std::vector<double> enc, dec, val;
    for (int round = 0; round < 200; ++round) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::string wire = isolation::encode(c);
      const auto t1 = std::chrono::steady_clock::now();
      isolation::Collected back;
      (void)isolation::decode(wire, back, 1'000'000);
      const auto t2 = std::chrono::steady_clock::now();
      for (auto& sm : back.samples) (void)metrics::normalize(sm);
      const auto t3 = std::chrono::steady_clock::now();
      enc.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      dec.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
      val.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
    }
    auto median = [](std::vector<double>& v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    std::printf("| %d | %.0f µs / %.0f µs | %.0f µs / %.0f µs | %.2f× | %.1f MB | %.0f / %.0f / %.0f µs |\n", samples,
                a.p50_us, a.p99_us, b.p50_us, b.p99_us, b.p50_us / a.p50_us, rss_mb(isolated.value()->host_pid()),
                median(enc), median(dec), median(val));
  }
  return 0;
}
