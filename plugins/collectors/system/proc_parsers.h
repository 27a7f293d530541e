// Parsers for the /proc files the system collector reads. Pure functions over file contents,
// so tests feed captured fixtures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::system_collector {

struct CpuTimes {
  std::string cpu;         // "0", "1", ...
  double seconds[8] = {};  // user nice system idle iowait irq softirq steal
};
inline constexpr const char* kCpuModes[8] = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};

struct Stat {
  std::vector<CpuTimes> cpus;
  double boot_time = 0;
  double context_switches = 0;
  double interrupts = 0;
  double forks = 0;
  double procs_running = 0;
  double procs_blocked = 0;
};
// /proc/stat; ticks_per_second is USER_HZ (sysconf(_SC_CLK_TCK)).
Stat parse_stat(std::string_view text, double ticks_per_second);

struct MemField {
  std::string name;  // node_exporter form: "MemAvailable", "Active_anon"
  double value;      // bytes when `bytes`, else a count
  bool bytes;
};
std::vector<MemField> parse_meminfo(std::string_view text);

struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
};
LoadAvg parse_loadavg(std::string_view text);

struct DiskStats {
  std::string device;
  double reads_completed = 0, reads_merged = 0, sectors_read = 0, read_ms = 0;
  double writes_completed = 0, writes_merged = 0, sectors_written = 0, write_ms = 0;
  double io_now = 0, io_ms = 0, weighted_io_ms = 0;
};
std::vector<DiskStats> parse_diskstats(std::string_view text);

struct NetDev {
  std::string device;
  double rx_bytes = 0, rx_packets = 0, rx_errs = 0, rx_drop = 0;
  double tx_bytes = 0, tx_packets = 0, tx_errs = 0, tx_drop = 0;
};
std::vector<NetDev> parse_net_dev(std::string_view text);

struct Mount {
  std::string device, mountpoint, fstype, options;
};
// /proc/mounts; octal escapes (\040 for space) are decoded.
std::vector<Mount> parse_mounts(std::string_view text);

}  // namespace vigil::system_collector
