// Throughput of the redis cache plugin against a running redis-server, through the plugin ABI
// exactly as the host calls it: N threads sharing one instance (its pool holds N connections),
// GET and SET of 32-byte values over 10,000 keys, one command a call (-P 1) or batches of 16
// through mget/mset (one pipeline each, like redis-benchmark -P 16).
//
// usage: vigil_redis_bench PORT [THREADS] [SECONDS]     (bench/cache/redis_ratio.sh runs it)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>
#include <vigil/testing/fake_host.hpp>

using Clock = std::chrono::steady_clock;

namespace {

vigil_str str(const std::string& s) {
  return {s.data(), s.size()};
}

vigil_status discard(vigil_writer*, const void*, size_t) {
  return VIGIL_OK;
}

double run(const vigil_cache_v1* vt, vigil_instance* inst, int threads, double seconds, bool get, size_t batch) {
  std::vector<std::string> names(10000);  // made once: the loop measures the plugin, not key building
  for (size_t i = 0; i < names.size(); ++i) names[i] = "bench:" + std::to_string(i);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0}, errors{0};
  const std::string value(32, 'v');
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      std::vector<vigil_str> ks(batch), vs(batch, str(value));
      std::vector<vigil_writer> outs(batch, vigil_writer{nullptr, &discard});
      std::vector<vigil_status> results(batch);
      uint64_t n = 0, i = static_cast<uint64_t>(t) * 7919;
      while (!stop.load(std::memory_order_relaxed)) {
        for (size_t b = 0; b < batch; ++b) ks[b] = str(names[i++ % names.size()]);
        vigil_status st;
        if (batch == 1)
          st = get ? vt->get(inst, ks[0], &outs[0]) : vt->set(inst, ks[0], value.data(), value.size(), 0);
        else
          st = get ? vt->mget(inst, ks.data(), batch, outs.data(), results.data())
                   : vt->mset(inst, ks.data(), vs.data(), batch, 0);
        if (st != VIGIL_OK && st != VIGIL_E_NOT_FOUND) errors.fetch_add(1);
        n += batch;
      }
      ops.fetch_add(n);
    });
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (errors.load()) std::fprintf(stderr, "%llu calls failed\n", static_cast<unsigned long long>(errors.load()));
  return static_cast<double>(ops.load()) / secs;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: vigil_redis_bench PORT [THREADS] [SECONDS]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 4;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 5;
  vigil::testing::FakeHost host;
  host.set("url", "redis://127.0.0.1:" + std::to_string(port) + "/0");
  host.set("pool_size", threads);
  host.set("track_changes", false);
  const auto* vt = static_cast<const vigil_cache_v1*>(vigil_plugin_entry.get_interface(VIGIL_IFACE_CACHE));
  vigil_instance* inst = nullptr;
  if (vt->life.create(host.table(), host.ctx(), &inst) != VIGIL_OK || vt->life.start(inst) != VIGIL_OK) {
    std::fprintf(stderr, "cannot start the redis plugin: %s\n", host.last_error().c_str());
    return 1;
  }
  for (size_t batch : {size_t{1}, size_t{16}}) {
    const double sets = run(vt, inst, threads, seconds, false, batch);
    const double gets = run(vt, inst, threads, seconds, true, batch);
    std::printf("vigil redis plugin, %d threads, -P %zu: SET %.0f/s GET %.0f/s\n", threads, batch, sets, gets);
  }
  vt->life.stop(inst);
  vt->life.destroy(inst);
  return 0;
}
