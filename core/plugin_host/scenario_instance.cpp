#include "plugin_host/scenario_instance.h"

#include <cstddef>

#include "plugin_host/instance_context.h"

namespace vigil::plugin_host {
namespace {

std::string text(vigil_str s) {
  return s.ptr ? std::string(s.ptr, s.len) : std::string();
}

// The host-owned request a plugin fills: each setter copies into the spec.
vigil_http_request request_over(load::HttpRequestSpec& spec) {
  vigil_http_request r{};
  r.struct_size = sizeof r;
  r.impl = &spec;
  r.set_method = [](vigil_http_request* self, vigil_str v) -> vigil_status {
    static_cast<load::HttpRequestSpec*>(self->impl)->method = text(v);
    return VIGIL_OK;
  };
  r.set_target = [](vigil_http_request* self, vigil_str v) -> vigil_status {
    static_cast<load::HttpRequestSpec*>(self->impl)->target = text(v);
    return VIGIL_OK;
  };
  r.add_header = [](vigil_http_request* self, vigil_str n, vigil_str v) -> vigil_status {
    static_cast<load::HttpRequestSpec*>(self->impl)->headers.emplace_back(text(n), text(v));
    return VIGIL_OK;
  };
  r.append_body = [](vigil_http_request* self, const void* d, size_t n) -> vigil_status {
    static_cast<load::HttpRequestSpec*>(self->impl)->body.append(static_cast<const char*>(d), n);
    return VIGIL_OK;
  };
  r.set_tag = [](vigil_http_request* self, vigil_str v) -> vigil_status {
    static_cast<load::HttpRequestSpec*>(self->impl)->tag = text(v);
    return VIGIL_OK;
  };
  return r;
}

}  // namespace

Result<std::unique_ptr<ScenarioInstance>> ScenarioInstance::create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                                   const config::InstanceSettings& settings) {
  std::unique_ptr<ScenarioInstance> inst(new ScenarioInstance());
  // Plugins built for ABI 1.2 or later have the setup entries; older tables end after call.
  const size_t size =
      plugin->descriptor.abi_minor >= 2 ? sizeof(vigil_scenario_v1) : offsetof(vigil_scenario_v1, build_setup);
  auto base = PluginInstance::create(plugin, settings, VIGIL_IFACE_SCENARIO, "scenario", &inst->table_, size);
  if (!base.ok()) return base.status();
  inst->base_ = std::move(base.value());
  if (inst->table_.transport == VIGIL_SCENARIO_WEBSOCKET) {
    if (!inst->table_.build_ws_message || !inst->table_.check_ws_message)
      return Status::error(settings.where + ": scenario \"" + settings.plugin + "\": " + plugin->path +
                           ": a WebSocket scenario needs build_ws_message and check_ws_message");
    return inst;
  }
  if (inst->table_.transport == VIGIL_SCENARIO_CALL) {
    if (!inst->table_.call)
      return Status::error(settings.where + ": scenario \"" + settings.plugin + "\": " + plugin->path +
                           ": a call scenario whose call is NULL");
    return inst;
  }
  if (!inst->table_.build_http)
    return Status::error(settings.where + ": scenario \"" + settings.plugin + "\": " + plugin->path +
                         ": build_http is NULL");
  return inst;
}

std::unique_lock<std::mutex> ScenarioInstance::serial() {
  return (table_.flags & VIGIL_SCENARIO_SERIAL) ? std::unique_lock(serial_mu_) : std::unique_lock<std::mutex>();
}

Status ScenarioInstance::build(uint64_t seq, load::HttpRequestSpec& out) {
  auto lock = serial();
  auto r = request_over(out);
  const vigil_status st = base_->call([&] { return table_.build_http(base_->instance(), seq, &r); });
  if (st == VIGIL_OK) return {};
  const std::string err = base_->take_error();
  return Status::error(std::string(status_name(st)) + ": " + (err.empty() ? "the plugin gave no reason" : err));
}

namespace {
// The C view of a reply; valid while `headers` and the reply live.
vigil_http_reply c_reply(const load::HttpReplyView& reply, std::vector<vigil_label>& headers) {
  for (const auto& [k, v] : reply.headers) headers.push_back({{k.data(), k.size()}, {v.data(), v.size()}});
  return vigil_http_reply{sizeof(vigil_http_reply), reply.status,      headers.data(),
                          headers.size(),           reply.body.data(), reply.body.size()};
}
}  // namespace

load::CallOutcome ScenarioInstance::call(uint64_t seq, int64_t deadline_mono_ns, std::string& error) {
  auto lock = serial();
  const vigil_status st =
      base_->call([&] { return table_.call(base_->instance(), seq, deadline_mono_ns); }, deadline_mono_ns);
  if (st == VIGIL_OK) return load::CallOutcome::ok;
  if (st == VIGIL_E_NOT_FOUND) return load::CallOutcome::miss;
  error = base_->take_error();
  if (error.empty()) error = std::string("the operation failed (") + status_name(st) + ")";
  return load::CallOutcome::failed;
}

Result<bool> ScenarioInstance::build_message(uint64_t conn, uint64_t seq, std::string& out, bool& binary) {
  auto lock = serial();
  vigil_writer w{&out, [](vigil_writer* self, const void* d, size_t n) -> vigil_status {
                   static_cast<std::string*>(self->impl)->append(static_cast<const char*>(d), n);
                   return VIGIL_OK;
                 }};
  int32_t bin = 0;
  const vigil_status st = base_->call([&] { return table_.build_ws_message(base_->instance(), conn, seq, &w, &bin); });
  binary = bin != 0;
  if (st == VIGIL_OK) return true;
  if (st == VIGIL_E_NOT_FOUND) return false;
  const std::string err = base_->take_error();
  return Status::error(std::string(status_name(st)) + ": " + (err.empty() ? "the plugin gave no reason" : err));
}

Result<bool> ScenarioInstance::check_message(uint64_t conn, uint64_t seq, std::string_view msg, bool binary) {
  auto lock = serial();
  const vigil_ws_message m{sizeof(vigil_ws_message), binary ? 1 : 0, msg.data(), msg.size()};
  const vigil_status st = base_->call([&] { return table_.check_ws_message(base_->instance(), conn, seq, &m); });
  if (st == VIGIL_OK) return true;
  if (st == VIGIL_E_NOT_FOUND) return false;
  const std::string err = base_->take_error();
  return Status::error(err.empty() ? std::string("the scenario refused the reply (") + status_name(st) + ")" : err);
}

Result<bool> ScenarioInstance::setup_request(uint32_t step, load::HttpRequestSpec& out) {
  if (!table_.build_setup) return false;
  auto r = request_over(out);
  const vigil_status st = base_->call([&] { return table_.build_setup(base_->instance(), step, &r); });
  if (st == VIGIL_E_NOT_FOUND) return false;
  if (st == VIGIL_OK) return true;
  const std::string err = base_->take_error();
  return Status::error(std::string(status_name(st)) + ": " + (err.empty() ? "the plugin gave no reason" : err));
}

Status ScenarioInstance::check_setup(uint32_t step, const load::HttpReplyView& reply) {
  if (!table_.check_setup) return {};
  std::vector<vigil_label> headers;
  const auto view = c_reply(reply, headers);
  const vigil_status st = base_->call([&] { return table_.check_setup(base_->instance(), step, &view); });
  if (st == VIGIL_OK) return {};
  const std::string err = base_->take_error();
  return Status::error(err.empty() ? std::string("the scenario refused the reply (") + status_name(st) + ")" : err);
}

std::string ScenarioInstance::check(uint64_t seq, const load::HttpReplyView& reply) {
  if (!table_.check_http) return "";
  auto lock = serial();
  thread_local std::vector<vigil_label> headers;  // reused: this runs once per request
  headers.clear();
  const auto view = c_reply(reply, headers);
  const vigil_status st = base_->call([&] { return table_.check_http(base_->instance(), seq, &view); });
  if (st == VIGIL_OK) return "";
  const std::string err = base_->take_error();
  return err.empty() ? std::string("the scenario refused the reply (") + status_name(st) + ")" : err;
}

}  // namespace vigil::plugin_host
