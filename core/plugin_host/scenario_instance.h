// ScenarioInstance: one configured benchmark scenario plugin ([[scenarios.NAME]], or the one
// `vigil bench run NAME` creates), seen by the load engines as a RequestSource (HTTP) or a
// CallSource (the call transport). The engines call
// it from all its threads: build_http and check_http are [ts] by the interface's contract,
// unless the plugin declares VIGIL_SCENARIO_SERIAL, in which case calls are serialised here.
#pragma once

#include <memory>
#include <mutex>

#include "load/call_load.h"
#include "load/http_load.h"
#include "load/ws_load.h"
#include "plugin_host/plugin_instance.h"

namespace vigil::plugin_host {

class ScenarioInstance : public load::RequestSource, public load::CallSource, public load::WsSource {
 public:
  static Result<std::unique_ptr<ScenarioInstance>> create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                          const config::InstanceSettings& settings);
  Status start() { return base_->start(); }
  void stop() { base_->stop(); }
  const config::InstanceSettings& settings() const { return base_->settings(); }
  int32_t transport() const { return table_.transport; }

  Status build(uint64_t seq, load::HttpRequestSpec& out) override;
  std::string check(uint64_t seq, const load::HttpReplyView& reply) override;
  load::CallOutcome call(uint64_t seq, int64_t deadline_mono_ns, std::string& error) override;
  Result<bool> build_message(uint64_t conn, uint64_t seq, std::string& out, bool& binary) override;
  Result<bool> check_message(uint64_t conn, uint64_t seq, std::string_view msg, bool binary) override;
  Result<bool> setup_request(uint32_t step, load::HttpRequestSpec& out) override;
  Status check_setup(uint32_t step, const load::HttpReplyView& reply) override;

 private:
  ScenarioInstance() = default;
  std::unique_lock<std::mutex> serial();
  vigil_scenario_v1 table_{};
  std::unique_ptr<PluginInstance> base_;
  std::mutex serial_mu_;
};

}  // namespace vigil::plugin_host
