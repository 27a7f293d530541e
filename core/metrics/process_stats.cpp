#include "metrics/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace vigil::metrics {
namespace {

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double v = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> v;
      return v;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces: parse after its closing parenthesis.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string f[50];
  for (int i = 0; i < 50 && fields >> f[i]; ++i) {
  }
  // After ")": index 0 is field 3 (state). utime=14, stime=15, num_threads=20, starttime=22,
  // vsize=23, rss=24 (1-based field numbers, proc(5)).
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessStats s;
  s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  s.threads = std::stoull(f[17]);
  s.start_time_seconds = boot_time_seconds() + std::stod(f[19]) / ticks;
  s.virtual_bytes = std::stoull(f[20]);
  s.resident_bytes = static_cast<uint64_t>(std::stod(f[21]) * page);
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++s.open_fds;
    closedir(d);
    if (s.open_fds > 0) --s.open_fds;  // the directory stream's own descriptor
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) s.max_fds = rl.rlim_cur;
  return s;
}

}  // namespace vigil::metrics
