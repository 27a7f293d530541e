// The agent's own process figures, read from /proc/self at scrape time.
#pragma once

#include <cstdint>
#include <optional>

namespace vigil::metrics {

struct ProcessStats {
  double cpu_seconds = 0;         // user + system
  double start_time_seconds = 0;  // unix time
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  uint64_t threads = 0;
};

// nullopt when /proc is not readable.
std::optional<ProcessStats> read_process_stats();

}  // namespace vigil::metrics
