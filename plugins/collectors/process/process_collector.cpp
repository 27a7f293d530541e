// The process collector: CPU, memory, descriptors, threads and start time of processes picked
// by pid file, by exact name, or vigil itself, read from /proc.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

struct ProcStat {
  double user = 0, system = 0, start = 0, rss = 0, threads = 0, fds = 0;
};

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// nullopt-like: false when the process vanished or is unreadable.
bool read_proc(const std::string& proc, long pid, double ticks, double page, double boot, ProcStat& out) {
  const std::string base = proc + "/" + std::to_string(pid);
  const std::string line = read_first_line(base + "/stat");
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(line.substr(close + 2));
  std::string f[24];
  for (auto& s : f) in >> s;
  if (in.fail()) return false;
  out.user = std::stod(f[11]) / ticks;
  out.system = std::stod(f[12]) / ticks;
  out.threads = std::stod(f[17]);
  out.start = boot + std::stod(f[19]) / ticks;
  out.rss = std::stod(f[21]) * page;
  out.fds = 0;
  if (DIR* d = opendir((base + "/fd").c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++out.fds;
    closedir(d);
  }
  return true;
}

std::string comm_of(const std::string& proc, long pid) {
  return read_first_line(proc + "/" + std::to_string(pid) + "/comm");
}

std::string argv0_basename(const std::string& proc, long pid) {
  std::ifstream in(proc + "/" + std::to_string(pid) + "/cmdline");
  std::string argv0;
  std::getline(in, argv0, '\0');
  const auto slash = argv0.rfind('/');
  return slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
}

class ProcessCollector {
 public:
  explicit ProcessCollector(Context& ctx) {
    proc_ = ctx.get_string("proc_path").value_or("/proc");
    self_ = ctx.get_bool("self").value_or(false);
    pid_file_ = ctx.get_string("pid_file").value_or("");
    name_ = ctx.get_string("name").value_or("");
    const int chosen = (self_ ? 1 : 0) + (pid_file_.empty() ? 0 : 1) + (name_.empty() ? 0 : 1);
    if (chosen != 1)
      throw Error(VIGIL_E_CONFIG, "set exactly one of self = true, pid_file = \"...\" or name = \"...\"");
    label_ = ctx.get_string("label").value_or(self_ ? "vigil" : !name_.empty() ? name_ : pid_file_);
    ticks_ = static_cast<double>(sysconf(_SC_CLK_TCK));
    page_ = static_cast<double>(sysconf(_SC_PAGESIZE));
  }

  void collect(Context& ctx, int64_t) {
    const std::vector<long> pids = find_pids();
    const double boot = boot_time();
    ProcStat sum;
    double earliest = 0;
    size_t found = 0;
    for (long pid : pids) {
      ProcStat s;
      if (!read_proc(proc_, pid, ticks_, page_, boot, s)) continue;
      ++found;
      sum.user += s.user;
      sum.system += s.system;
      sum.rss += s.rss;
      sum.threads += s.threads;
      sum.fds += s.fds;
      earliest = found == 1 ? s.start : std::min(earliest, s.start);
    }
    const vigil::sdk::Labels l{{"process", label_}};
    ctx.gauge("vigil_target_process_up", found > 0 ? 1 : 0, l, "1 when at least one matching process runs.");
    ctx.gauge("vigil_target_processes", static_cast<double>(found), l, "Matching processes.");
    if (found == 0) return;
    ctx.counter("vigil_target_process_cpu_seconds_total", sum.user, {{"process", label_}, {"mode", "user"}},
                "CPU time of the matching processes by mode.");
    ctx.counter("vigil_target_process_cpu_seconds_total", sum.system, {{"process", label_}, {"mode", "system"}},
                "CPU time of the matching processes by mode.");
    ctx.gauge("vigil_target_process_resident_memory_bytes", sum.rss, l, "Resident memory of the matching processes.");
    ctx.gauge("vigil_target_process_open_fds", sum.fds, l, "Open file descriptors of the matching processes.");
    ctx.gauge("vigil_target_process_threads", sum.threads, l, "Threads of the matching processes.");
    ctx.gauge("vigil_target_process_start_time_seconds", earliest, l, "Start time of the oldest matching process.");
  }

 private:
  std::vector<long> find_pids() const {
    if (self_) return {static_cast<long>(getpid())};
    if (!pid_file_.empty()) {
      const std::string text = read_first_line(pid_file_);
      char* end = nullptr;
      const long pid = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || pid <= 0) return {};
      return {pid};
    }
    std::vector<long> out;
    if (DIR* d = opendir(proc_.c_str())) {
      while (dirent* e = readdir(d)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) continue;
        if (comm_of(proc_, pid) == name_ || argv0_basename(proc_, pid) == name_) out.push_back(pid);
      }
      closedir(d);
    }
    return out;
  }

  double boot_time() const {
    std::ifstream in(proc_ + "/stat");
    std::string key;
    while (in >> key) {
      if (key == "btime") {
        double v = 0;
        in >> v;
        return v;
      }
    }
    return 0;
  }

  std::string proc_, pid_file_, name_, label_;
  bool self_ = false;
  double ticks_ = 100, page_ = 4096;
};

const vigil_config_key kSchema[] = {
    {"self", VIGIL_CFG_BOOL, "false", 0, "watch vigil's own process"},
    {"pid_file", VIGIL_CFG_STRING, nullptr, 0, "watch the process whose pid this file holds"},
    {"name", VIGIL_CFG_STRING, nullptr, 0, "watch processes whose comm or argv[0] basename equals this"},
    {"label", VIGIL_CFG_STRING, "the name, pid_file, or \"vigil\"", 0, "value of the `process` label"},
    {"proc_path", VIGIL_CFG_STRING, "/proc", 0, "procfs mount point"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_COLLECTOR(ProcessCollector, "process", "1.0.0", "CPU, memory, fds and threads of chosen processes", kSchema);
