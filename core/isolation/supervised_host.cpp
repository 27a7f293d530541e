#include "isolation/supervised_host.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <functional>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "isolation/protocol.h"
#include "log/log.h"
#include "metrics/agent_metrics.h"
#include "metrics/sample.h"
#include "isolation/wire.h"
#include "plugin_host/instance_context.h"

extern char** environ;

namespace vigil::isolation {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kControlCallNs = 30'000'000'000;  // create, start, stop
constexpr int64_t kStopCallNs = 10'000'000'000;     // the plugin's stop() and destroy()
constexpr int64_t kExitWaitNs = 2'000'000'000;      // for a host to exit once told or cut off
constexpr size_t kTailLines = 20;
constexpr size_t kMaxLine = 16 * 1024;
constexpr size_t kHistory = 20;  // crashes kept per instance

int64_t now_ns() {
  return plugin_host::monotonic_now_ns();
}

// A descriptor moved above the three a host is given (0-3), close-on-exec.
int high_fd(int fd) {
  if (fd < 0) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return moved;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (abbrev ? " (SIG" + std::string(abbrev) + ")" : "");
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended (wait status " + std::to_string(status) + ")";
}

// Starts every host from one thread that lives as long as the process: a host's
// PR_SET_PDEATHSIG fires when the *thread* that started it ends, so hosts started from a
// scheduler worker or a reload's thread would be killed with that thread.
class Spawner {
 public:
  static Spawner& instance() {
    // Never destroyed, on purpose: its thread must outlive every host, up to exit().
    static Spawner& s = *new Spawner();
    return s;
  }
  void run(const std::function<void()>& f) {
    std::unique_lock l(mu_);
    const uint64_t ticket = ++queued_;
    jobs_.push_back(&f);
    cv_.notify_all();
    cv_.wait(l, [&] { return done_ >= ticket; });
  }

 private:
  Spawner() {
    std::thread([this] {
      std::unique_lock l(mu_);
      for (;;) {
        cv_.wait(l, [&] { return !jobs_.empty(); });
        const auto* f = jobs_.front();
        jobs_.pop_front();
        l.unlock();
        (*f)();
        l.lock();
        ++done_;
        cv_.notify_all();
      }
    }).detach();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<const std::function<void()>*> jobs_;
  uint64_t queued_ = 0, done_ = 0;
};

std::string signal_label(int status) {
  if (!WIFSIGNALED(status)) return "none";
  const char* abbrev = ::sigabbrev_np(WTERMSIG(status));
  return abbrev ? "SIG" + std::string(abbrev) : std::to_string(WTERMSIG(status));
}

}  // namespace

// One host process: its pid, the agent's end of the socket, and the thread reading its output.
struct HostProcess {
  pid_t pid = -1;
  int sock = -1;
  int output = -1;  // read end of the host's stdout/stderr
  bool reaped = false;
  int status = 0;
  std::atomic<bool> ended{false};  // reaped: the reader stops at the first pause in output
  std::thread reader;
  std::mutex tail_mu;
  std::deque<std::string> tail;  // the last output lines, guarded by tail_mu

  ~HostProcess() {
    if (sock >= 0) ::close(sock);
    if (reader.joinable()) reader.join();
    if (output >= 0) ::close(output);
  }

  // Reads the host's output until it closes: each line goes to the agent's log (passed on
  // when it is one of vigil's own JSON lines, else as the message of an event naming the
  // instance) and into the tail kept for a crash report.
  void read_output(std::string plugin, std::string alias) {
    std::string pending;
    std::array<char, 8192> buf{};
    auto emit = [&](std::string line) {
      if (line.size() > kMaxLine) line.resize(kMaxLine);
      // A log line must stay valid UTF-8 (JSON): bytes of a broken text are replaced.
      if (!metrics::valid_utf8(line))
        for (char& ch : line)
          if (static_cast<unsigned char>(ch) >= 0x80) ch = '?';
      log::write_child_line(line, {{"plugin", plugin}, {"alias", alias}, {"stream", "host output"}});
      std::lock_guard l(tail_mu);
      tail.push_back(std::move(line));
      if (tail.size() > kTailLines) tail.pop_front();
    };
    for (;;) {
      // Polled, not a blocking read: a process the plugin started may hold the pipe open after
      // the host has gone.
      pollfd p{output, POLLIN, 0};
      const int ready = ::poll(&p, 1, 100);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        if (ended) break;
        continue;
      }
      const ssize_t n = ::read(output, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf.data(), static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
        emit(pending.substr(start, nl - start));
      pending.erase(0, start);
      if (pending.size() > kMaxLine) {  // a line without end: cut it here
        emit(std::move(pending));
        pending.clear();
      }
    }
    if (!pending.empty()) emit(std::move(pending));
  }

  std::string last_lines() {
    std::lock_guard l(tail_mu);
    std::string out;
    for (const auto& line : tail) out += (out.empty() ? "" : "\n") + line;
    return out;
  }

  // Waits for the host to exit until the deadline, then kills it. Idempotent.
  void reap(int64_t deadline_mono_ns) {
    if (reaped || pid < 0) return;
    for (;;) {
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR)) break;
      if (now_ns() >= deadline_mono_ns) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reaped = true;
    ended = true;
  }
};

std::string default_host_path() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "";
  std::string dir(self, static_cast<size_t>(n));
  dir.erase(dir.rfind('/') + 1);
  for (const char* candidate : {"vigil-plugin-host", "../lib/vigil/vigil-plugin-host"}) {
    const std::string path = dir + candidate;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

SupervisedHost::SupervisedHost(std::string plugin_path, config::InstanceSettings settings, IsolationOptions options)
    : plugin_path_(std::move(plugin_path)), settings_(std::move(settings)), options_(std::move(options)) {}

SupervisedHost::~SupervisedHost() {
  stop();
}

std::string SupervisedHost::describe() const {
  return settings_.kind + " " + settings_.plugin + " (alias " + settings_.alias + ", " + plugin_path_ + ", isolated)";
}

pid_t SupervisedHost::host_pid() const {
  std::lock_guard l(proc_mu_);
  return host_ ? host_->pid : -1;
}

uint64_t SupervisedHost::crashes() const {
  std::lock_guard l(proc_mu_);
  return crashes_;
}

uint64_t SupervisedHost::restarts() const {
  std::lock_guard l(proc_mu_);
  return restarts_;
}

std::vector<HostCrash> SupervisedHost::crash_history() const {
  std::lock_guard l(proc_mu_);
  return {history_.begin(), history_.end()};
}

std::string SupervisedHost::launch(bool start) {
  if (options_.host_path.empty())
    return settings_.where + ": " + settings_.kind + " \"" + settings_.plugin +
           "\": isolation = \"process\" needs vigil-plugin-host, installed beside the vigil executable; it was not "
           "found (reinstall vigil, or set isolation = \"none\")";
  auto host = std::make_unique<HostProcess>();
  int sv[2];
  int out[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return describe() + ": cannot create a socket pair for its host: " + std::strerror(errno);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    return describe() + ": cannot create a pipe for its host's output: " + std::strerror(e);
  }
  host->sock = high_fd(sv[0]);
  const int child_sock = high_fd(sv[1]);
  host->output = high_fd(out[0]);
  const int child_out = high_fd(out[1]);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, child_out, 1);
  ::posix_spawn_file_actions_adddup2(&actions, child_out, 2);
  ::posix_spawn_file_actions_adddup2(&actions, child_sock, 3);
  ::posix_spawnattr_init(&attr);
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const std::string parent = std::to_string(::getpid());
  std::vector<char*> argv{const_cast<char*>(options_.host_path.c_str()), const_cast<char*>(parent.c_str()), nullptr};
  pid_t pid = -1;
  int rc = 0;
  Spawner::instance().run(
      [&] { rc = ::posix_spawn(&pid, options_.host_path.c_str(), &actions, &attr, argv.data(), environ); });
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  ::close(child_sock);
  ::close(child_out);
  if (rc != 0) return describe() + ": cannot start " + options_.host_path + ": " + std::strerror(rc);
  host->pid = pid;
  host->reader = std::thread([h = host.get(), p = settings_.plugin, a = settings_.alias] { h->read_output(p, a); });
  {
    std::lock_guard l(proc_mu_);
    host_ = std::move(host);
  }

  CreateRequest req;
  req.plugin_path = plugin_path_;
  req.log_level = options_.log_level;
  req.memory_limit = options_.memory_limit;
  req.settings = settings_;
  std::string reply, error;
  if (!call(kCreate, encode(req), now_ns() + kControlCallNs, kReply, reply, error, "create")) return error;
  Reply r;
  if (!decode(reply, r)) return bury("create", "its reply to create was malformed");
  if (!r.ok) {
    stop();  // a refused create is the settings' fault, not a crash
    return r.error;
  }
  if (start) {
    if (!call(kStart, "", now_ns() + kControlCallNs, kReply, reply, error, "start")) return error;
    if (!decode(reply, r)) return bury("start", "its reply to start was malformed");
    if (!r.ok) return r.error;
  }
  return "";
}

bool SupervisedHost::call(uint16_t type, const std::string& payload, int64_t deadline_mono_ns, uint16_t reply_type,
                          std::string& reply, std::string& error, const std::string& call_name) {
  if (!host_) {
    error = describe() + ": its host is down";
    return false;
  }
  const int sock = host_->sock;
  const std::string sent = write_frame(sock, type, payload, deadline_mono_ns);
  if (!sent.empty()) {
    error = bury(call_name, sent);
    return false;
  }
  auto in = read_frame(sock, kMaxHostFrame, deadline_mono_ns);
  if (in.kind == ReadOutcome::Kind::frame && in.frame.type == reply_type) {
    reply = std::move(in.frame.payload);
    return true;
  }
  if (in.kind == ReadOutcome::Kind::timeout) {
    error = bury(call_name, call_name + "() did not return before its deadline, so the host was killed");
  } else if (in.kind == ReadOutcome::Kind::frame) {
    error = bury(call_name, "it answered " + call_name + " with a message of type " + std::to_string(in.frame.type) +
                                ", not the protocol");
  } else {
    error = bury(call_name, in.error);
  }
  return false;
}

std::string SupervisedHost::bury(const std::string& call, const std::string& what) {
  std::unique_ptr<HostProcess> host;
  {
    std::lock_guard l(proc_mu_);
    if (host_ && !host_->reaped) {
      // Nothing it would still say can be trusted: it is killed unless it already ended.
      int status = 0;
      if (::waitpid(host_->pid, &status, WNOHANG) == host_->pid) {
        host_->status = status;
        host_->reaped = true;
        host_->ended = true;
      } else {
        ::kill(host_->pid, SIGKILL);
        host_->reap(INT64_MAX);
      }
    }
    host = std::move(host_);
  }
  if (!host) return describe() + ": no host";
  ::close(host->sock);
  host->sock = -1;
  if (host->reader.joinable()) host->reader.join();  // its output ends with it
  const std::string how = describe_status(host->status);
  const std::string tail = host->last_lines();
  const std::string signal = signal_label(host->status);

  const auto now = Clock::now();
  bool breaker = false;
  double backoff_s = 0;
  {
    std::lock_guard l(proc_mu_);
    ++crashes_;
    ++crashes_in_a_row_;
    recent_crashes_.push_back(now);
    while (!recent_crashes_.empty() && now - recent_crashes_.front() > options_.breaker_window)
      recent_crashes_.pop_front();
    breaker = static_cast<int>(recent_crashes_.size()) >= options_.breaker_crashes;
    auto backoff = options_.first_backoff;
    for (int i = 1; i < crashes_in_a_row_ && backoff < options_.max_backoff; ++i) backoff *= 2;
    backoff = std::min(backoff, options_.max_backoff);
    if (breaker) backoff = std::max(backoff, options_.breaker_open);
    next_launch_ = now + backoff;
    backoff_s = std::chrono::duration<double>(backoff).count();
    history_.push_back({std::chrono::system_clock::now(), call, what, how, signal, tail});
    if (history_.size() > kHistory) history_.pop_front();
  }

  if (options_.metrics) options_.metrics->plugin_host_crash(settings_.kind, settings_.plugin, settings_.alias, signal);
  log::error("isolation",
             breaker ? "an isolated plugin's host ended; it crashed too often, so it stays down (breaker open)"
                     : "an isolated plugin's host ended; it will be restarted",
             {{"kind", settings_.kind},
              {"plugin", settings_.plugin},
              {"alias", settings_.alias},
              {"call", call},
              {"reason", what},
              {"host", how},
              {"restart_in_seconds", backoff_s},
              {"crashes_in_a_row", crashes_in_a_row_},
              {"last_output", tail}});
  last_crash_ = "during " + call + "(): " + what + " (host " + how + ")";
  return "the plugin's host process ended " + last_crash_ + "; " + (breaker ? "breaker open, " : "") + "restart in " +
         std::to_string(static_cast<int64_t>(backoff_s + 0.5)) + " s";
}

Status SupervisedHost::start() {
  want_started_ = true;
  if (!host_) {
    const std::string error = launch(true);
    return error.empty() ? Status{} : Status::error(error);
  }
  std::string reply, error;
  if (!call(kStart, "", now_ns() + kControlCallNs, kReply, reply, error, "start")) return Status::error(error);
  Reply r;
  if (!decode(reply, r)) return Status::error(bury("start", "its reply to start was malformed"));
  return r.ok ? Status{} : Status::error(r.error);
}

std::string SupervisedHost::ensure_running() {
  if (host_) return "";
  if (Clock::now() < next_launch_) {
    const auto left = std::chrono::duration<double>(next_launch_ - Clock::now()).count();
    return "the plugin's host process is down (it ended " + last_crash_ + "); restart in " +
           std::to_string(static_cast<int64_t>(left + 0.5)) + " s";
  }
  const std::string error = launch(want_started_);
  if (!error.empty()) return error;
  {
    std::lock_guard l(proc_mu_);
    ++restarts_;
  }
  if (options_.metrics) options_.metrics->plugin_host_restart(settings_.kind, settings_.plugin, settings_.alias);
  log::info("isolation", "an isolated plugin's host was restarted",
            {{"kind", settings_.kind},
             {"plugin", settings_.plugin},
             {"alias", settings_.alias},
             {"pid", static_cast<int64_t>(host_pid())}});
  return "";
}

void SupervisedHost::call_succeeded() {
  {
    std::lock_guard l(proc_mu_);
    crashes_in_a_row_ = 0;
  }
  if (!options_.metrics) return;
  const pid_t pid = host_pid();
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  uint64_t size = 0, resident = 0;
  if (pid > 0 && statm >> size >> resident)
    options_.metrics->plugin_host_rss(settings_.kind, settings_.plugin, settings_.alias,
                                      static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
}

void SupervisedHost::request_stop() {
  std::lock_guard l(proc_mu_);
  if (host_ && !host_->reaped) ::kill(host_->pid, SIGUSR1);
}

void SupervisedHost::stop() {
  want_started_ = false;
  std::unique_ptr<HostProcess> host;
  {
    std::lock_guard l(proc_mu_);
    host = std::move(host_);
  }
  if (!host) return;
  // Asked to stop, the host calls the plugin's stop() and destroy() and exits; one that does not
  // answer in time is killed.
  const int64_t deadline = now_ns() + kStopCallNs;
  if (write_frame(host->sock, kStop, "", deadline).empty()) (void)read_frame(host->sock, 1024, deadline);
  ::close(host->sock);
  host->sock = -1;
  host->reap(now_ns() + kExitWaitNs);
  if (host->reader.joinable()) host->reader.join();
}

}  // namespace vigil::isolation
