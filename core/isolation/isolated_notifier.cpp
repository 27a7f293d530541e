#include "isolation/isolated_notifier.h"

#include <algorithm>
#include <map>
#include <utility>

#include "isolation/protocol.h"
#include "metrics/sample.h"

namespace vigil::isolation {
namespace {

constexpr int64_t kDeliverGraceNs = 1'000'000'000;  // past deliver()'s own deadline
constexpr size_t kMaxEmitted = 100'000;             // series a notifier may emit per batch

std::vector<plugin_host::DeliveryResult> all_retry(size_t n, const std::string& why) {
  std::vector<plugin_host::DeliveryResult> out(n);
  for (auto& r : out) {
    r.kind = plugin_host::DeliveryResult::Kind::retry;
    r.error = why;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<IsolatedNotifier>> IsolatedNotifier::create(const std::string& plugin_path,
                                                                   const config::InstanceSettings& settings,
                                                                   IsolationOptions options) {
  std::unique_ptr<IsolatedNotifier> n(new IsolatedNotifier(plugin_path, settings, std::move(options)));
  const std::string error = n->host_.launch(false);
  if (!error.empty()) return Status::error(error);
  return n;
}

std::vector<plugin_host::DeliveryResult> IsolatedNotifier::deliver(
    const std::vector<const plugin_host::RenderedNotification*>& batch, int64_t deadline_mono_ns) {
  if (batch.empty()) return {};
  if (std::string down = host_.ensure_running(); !down.empty()) return all_retry(batch.size(), down);
  DeliverRequest req;
  req.deadline_mono_ns = deadline_mono_ns;
  req.batch.reserve(batch.size());
  for (const auto* r : batch) req.batch.push_back(*r);
  std::string reply, error;
  if (!host_.call(kDeliver, encode(req), deadline_mono_ns + kDeliverGraceNs, kDelivered, reply, error, "deliver"))
    return all_retry(batch.size(), error);
  Delivered d;
  if (!decode(reply, d, batch.size(), kMaxEmitted) || d.results.size() != batch.size())
    return all_retry(batch.size(), host_.bury("deliver", "its delivery results were malformed"));
  host_.call_succeeded();
  // The host runs plugin code: its samples are checked again (take_samples), as an emit() would be.
  std::lock_guard l(samples_mu_);
  for (auto& s : d.samples) samples_.push_back(std::move(s));
  if (samples_.size() > kMaxEmitted) samples_.erase(samples_.begin(), samples_.end() - kMaxEmitted);
  return std::move(d.results);
}

std::vector<metrics::Sample> IsolatedNotifier::take_samples() {
  std::vector<metrics::Sample> taken;
  {
    std::lock_guard l(samples_mu_);
    taken.swap(samples_);
  }
  // Each series once, at its latest value, labelled notifier="<alias>" by the agent itself, so a
  // host cannot pass its series off as another notifier's.
  std::map<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>, metrics::Sample> latest;
  for (auto& s : taken) {
    std::erase_if(s.labels, [](const auto& l) { return l.first == "notifier"; });
    s.labels.emplace_back("notifier", alias());
    if (!metrics::normalize(s).ok()) continue;
    auto key = std::make_pair(s.name, s.labels);
    latest[std::move(key)] = std::move(s);
  }
  std::vector<metrics::Sample> out;
  out.reserve(latest.size());
  for (auto& [k, s] : latest) out.push_back(std::move(s));
  return out;
}

}  // namespace vigil::isolation
