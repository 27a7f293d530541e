// vigil-plugin-host: runs one collector or notifier instance in a process of its own, for an
// agent configured with isolation = "process". The agent starts it, never a user:
//   fd 3      its end of a socketpair with the agent (protocol.h)
//   fd 1, 2   a pipe the agent reads as this instance's log
//   argv[1]   the agent's pid; the host dies with the agent (PR_SET_PDEATHSIG)
// The plugin runs exactly as it would inside the agent: core/plugin_host loads and vets the
// file and answers every host service, so the plugin sees the same vigil_host_v1.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "config/settings.h"
#include "isolation/protocol.h"
#include "log/log.h"
#include "plugin_host/collector_instance.h"
#include "plugin_host/notifier_instance.h"
#include "plugin_host/plugin_loader.h"

namespace {

using namespace vigil;

constexpr int kAgentFd = 3;
constexpr size_t kMaxRequest = 64u << 20;
// How long the agent may take to read a reply before the host gives up on it.
constexpr int64_t kReplyWriteNs = 30'000'000'000;

std::atomic<plugin_host::CollectorInstance*> g_collector{nullptr};
std::atomic<plugin_host::NotifierInstance*> g_notifier{nullptr};

// SIGUSR1 from the agent: stop the running call soon. request_stop() stores one atomic flag,
// which is safe in a signal handler.
void on_stop_request(int) {
  if (auto* inst = g_collector.load()) inst->request_stop();
  if (auto* inst = g_notifier.load()) inst->request_stop();
}

int64_t now_ns() {
  return plugin_host::monotonic_now_ns();
}

bool send(uint16_t type, const std::string& payload) {
  return isolation::write_frame(kAgentFd, type, payload, now_ns() + kReplyWriteNs).empty();
}

bool reply(bool ok, std::string error = {}) {
  return send(isolation::kReply, isolation::encode(isolation::Reply{ok, std::move(error)}));
}

int serve() {
  auto first = isolation::read_frame(kAgentFd, kMaxRequest, INT64_MAX);
  isolation::CreateRequest req;
  if (first.kind != isolation::ReadOutcome::Kind::frame || first.frame.type != isolation::kCreate ||
      !isolation::decode(first.frame.payload, req)) {
    std::fprintf(stderr, "vigil-plugin-host: the agent's first message is not a valid create request\n");
    return 3;
  }
  config::LogSettings log_settings;
  log_settings.level = req.log_level;
  (void)log::configure(log_settings);  // JSON lines on stderr, which the agent reads
  if (req.memory_limit > 0) {
    const rlimit lim{req.memory_limit, req.memory_limit};
    if (::setrlimit(RLIMIT_AS, &lim) != 0)
      return reply(false, std::string("cannot apply memory_limit: ") + std::strerror(errno)) ? 0 : 3;
  }
  auto plugin = plugin_host::load_plugin(req.plugin_path);
  if (!plugin.ok()) return reply(false, plugin.message()) ? 0 : 3;
  std::unique_ptr<plugin_host::CollectorInstance> collector;
  std::unique_ptr<plugin_host::NotifierInstance> notifier;
  if (req.settings.kind == "notifier") {
    auto created = plugin_host::NotifierInstance::create(plugin.value(), req.settings);
    if (!created.ok()) return reply(false, created.message()) ? 0 : 3;
    notifier = std::move(created.value());
    g_notifier.store(notifier.get());
  } else if (req.settings.kind == "collector") {
    auto created = plugin_host::CollectorInstance::create(plugin.value(), req.settings);
    if (!created.ok()) return reply(false, created.message()) ? 0 : 3;
    collector = std::move(created.value());
    g_collector.store(collector.get());
  } else {
    return reply(false, req.settings.where + ": a " + req.settings.kind + " cannot run isolated") ? 0 : 3;
  }
  if (!reply(true)) return 3;

  for (;;) {
    auto in = isolation::read_frame(kAgentFd, kMaxRequest, INT64_MAX);
    if (in.kind == isolation::ReadOutcome::Kind::closed) break;  // the agent let go of this instance
    if (in.kind != isolation::ReadOutcome::Kind::frame) {
      std::fprintf(stderr, "vigil-plugin-host: %s\n", in.error.c_str());
      break;
    }
    bool sent = false;
    switch (in.frame.type) {
      case isolation::kStart: {
        const Status st = collector ? collector->start() : notifier->start();
        sent = reply(st.ok(), st.ok() ? std::string() : st.message());
        break;
      }
      case isolation::kCollect: {
        isolation::CollectRequest creq;
        if (!collector || !isolation::decode(in.frame.payload, creq)) {
          std::fprintf(stderr, "vigil-plugin-host: a malformed collect request\n");
          break;
        }
        auto out = collector->collect(creq.deadline_mono_ns);
        isolation::Collected c;
        c.result = static_cast<uint8_t>(out.result);
        c.error = std::move(out.error);
        c.seconds = out.seconds;
        c.invalid_samples = out.invalid_samples;
        c.over_sample_limit = out.over_sample_limit;
        c.samples = std::move(out.samples);
        sent = send(isolation::kCollected, isolation::encode(c));
        break;
      }
      case isolation::kDeliver: {
        isolation::DeliverRequest dreq;
        if (!notifier || !isolation::decode(in.frame.payload, dreq)) {
          std::fprintf(stderr, "vigil-plugin-host: a malformed deliver request\n");
          break;
        }
        std::vector<const plugin_host::RenderedNotification*> batch;
        for (const auto& n : dreq.batch) batch.push_back(&n);
        isolation::Delivered d;
        d.results = notifier->deliver(batch, dreq.deadline_mono_ns);
        d.samples = notifier->take_samples();
        sent = send(isolation::kDelivered, isolation::encode(d));
        break;
      }
      case isolation::kStop:
        if (collector) collector->stop();
        if (notifier) notifier->stop();
        (void)reply(true);
        sent = false;  // done: destroy the instance and exit
        break;
      default: std::fprintf(stderr, "vigil-plugin-host: an unknown request (type %u)\n", in.frame.type); break;
    }
    if (!sent) break;
  }
  g_collector.store(nullptr);
  g_notifier.store(nullptr);
  collector.reset();  // stop() if still started, then destroy()
  notifier.reset();
  log::flush();
  return 0;
}

}  // namespace

// Under the sanitizers a plugin's segfault still ends the host by SIGSEGV, as in a release
// build, so the agent's crash report and metrics name the signal the plugin caused (their
// instrumentation still reports memory errors; only the raw signal is left alone).
extern "C" const char* __asan_default_options() {
  return "handle_segv=0";
}
extern "C" const char* __tsan_default_options() {
  return "handle_segv=0";
}

int main(int argc, char** argv) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent named on the command line must still be the parent once the death signal is
  // armed: otherwise the agent died before, and nobody would ever stop this host.
  if (argc != 2 || std::to_string(::getppid()) != argv[1]) {
    std::fprintf(stderr,
                 "vigil-plugin-host runs a plugin for vigil when an instance sets isolation = \"process\"; "
                 "vigil starts it, it is not run by hand\n");
    return 2;
  }
  // Nothing of the agent's but the three descriptors it meant to give.
  ::close_range(4, ~0U, 0);
  ::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_stop_request;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGUSR1, &sa, nullptr);
  // The agent's SIGTERM/SIGINT/SIGHUP are its business (systemd signals the whole cgroup): the
  // host ends when the agent stops it, closes the socket or kills it.
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  return serve();
}
