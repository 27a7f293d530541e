#include "isolation/isolated_collector.h"

#include "isolation/protocol.h"
#include "metrics/sample.h"
#include "plugin_host/instance_context.h"

namespace vigil::isolation {
namespace {

constexpr int64_t kCollectGraceNs = 1'000'000'000;  // past collect()'s own deadline

}  // namespace

Result<std::unique_ptr<IsolatedCollector>> IsolatedCollector::create(const std::string& plugin_path,
                                                                     const config::InstanceSettings& settings,
                                                                     IsolationOptions options) {
  std::unique_ptr<IsolatedCollector> c(new IsolatedCollector(plugin_path, settings, std::move(options)));
  const std::string error = c->host_.launch(false);
  if (!error.empty()) return Status::error(error);
  return c;
}

plugin_host::CollectOutcome IsolatedCollector::collect(int64_t deadline_mono_ns) {
  using Result = plugin_host::CollectOutcome::Result;
  plugin_host::CollectOutcome out;
  const int64_t t0 = plugin_host::monotonic_now_ns();
  auto fail = [&](std::string error) {
    out.result = Result::error;
    out.error = std::move(error);
    out.seconds = static_cast<double>(plugin_host::monotonic_now_ns() - t0) / 1e9;
    return out;
  };
  if (std::string down = host_.ensure_running(); !down.empty()) return fail(std::move(down));
  std::string reply, error;
  if (!host_.call(kCollect, encode(CollectRequest{deadline_mono_ns}), deadline_mono_ns + kCollectGraceNs, kCollected,
                  reply, error, "collect")) {
    const bool late = plugin_host::monotonic_now_ns() > deadline_mono_ns;
    fail(error);
    if (late) out.result = Result::timeout;
    return out;
  }
  Collected c;
  const size_t limit = settings().sample_limit > 0 ? static_cast<size_t>(settings().sample_limit) : 1'000'000;
  if (!decode(reply, c, limit))
    return fail(host_.bury("collect", "its collected samples were malformed or over sample_limit"));
  host_.call_succeeded();
  out.result = static_cast<Result>(c.result);
  out.error = std::move(c.error);
  out.seconds = static_cast<double>(plugin_host::monotonic_now_ns() - t0) / 1e9;
  out.invalid_samples = c.invalid_samples;
  out.over_sample_limit = c.over_sample_limit;
  // The host runs plugin code: its samples are checked again, as an emit() would be.
  std::string first_invalid;
  out.samples.reserve(c.samples.size());
  for (auto& s : c.samples) {
    if (Status st = metrics::normalize(s); !st.ok()) {
      if (first_invalid.empty()) first_invalid = st.message();
      ++out.invalid_samples;
      continue;
    }
    out.samples.push_back(std::move(s));
  }
  if (!first_invalid.empty() && out.result == Result::ok) {
    out.result = Result::error;
    out.error = std::to_string(out.invalid_samples) + " invalid sample(s) rejected; first: " + first_invalid;
  }
  return out;
}

}  // namespace vigil::isolation
