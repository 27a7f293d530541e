// The log notifier: writes each notification to vigil's log (the title, at warning level while
// anything fires, info once resolved) and, if `file` is set, appends the Alertmanager JSON as
// one line to that file. The embedded default receiver, so alerts are visible without any
// outside service.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

class LogNotifier {
 public:
  explicit LogNotifier(Context& ctx) : file_(ctx.get_string("file").value_or("")) {}

  void deliver(Context& ctx, const vigil_notification& n, int64_t) {
    const auto title = vigil::sdk::to_view(n.title);
    const auto reason = VIGIL_HAS(vigil_notification, &n, reason) ? vigil::sdk::to_view(n.reason) : "";
    ctx.log(
        n.status == VIGIL_ALERT_FIRING ? VIGIL_LOG_WARN : VIGIL_LOG_INFO,
        std::string("notification: ") + std::string(title) + (reason.empty() ? "" : " (" + std::string(reason) + ")"));
    if (file_.empty()) return;
    std::lock_guard lock(mu_);
    std::ofstream out(file_, std::ios::app);
    out << vigil::sdk::to_view(n.json_body) << '\n';
    out.flush();
    if (!out)
      throw Error(VIGIL_E_UNAVAILABLE, "cannot append to " + file_ + ": " + std::strerror(errno) +
                                           " (check the directory exists and is writable)");
  }

 private:
  std::string file_;
  std::mutex mu_;
};

const vigil_config_key kSchema[] = {
    {"file", VIGIL_CFG_STRING, nullptr, 0, "also append each notification's JSON as one line to this file"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_NOTIFIER(LogNotifier, "log", "1.0.0", "Writes notifications to vigil's log and optionally a JSON-lines file",
                   kSchema);
