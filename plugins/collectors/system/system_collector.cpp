// The system collector: host CPU, memory, filesystems, disks, network, load and boot time from
// /proc and statvfs, under node_exporter's metric names and labels so that public dashboards
// and rule packs work unchanged.
#include <fnmatch.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <vigil/plugin.hpp>

#include "proc_parsers.h"

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;
using namespace vigil::system_collector;

const std::set<std::string> kGroups = {"cpu", "memory", "filesystem", "disk", "network", "load", "stat"};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(VIGIL_E_UNAVAILABLE, "cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool matches_any(const std::vector<std::string>& globs, const std::string& s) {
  for (const auto& g : globs)
    if (fnmatch(g.c_str(), s.c_str(), 0) == 0) return true;
  return false;
}

class SystemCollector {
 public:
  explicit SystemCollector(Context& ctx) {
    proc_ = ctx.get_string("proc_path").value_or("/proc");
    rootfs_ = ctx.get_string("rootfs_path").value_or("");
    auto groups = ctx.get_string_array("collect");
    if (groups.empty()) groups.assign(kGroups.begin(), kGroups.end());
    for (const auto& g : groups) {
      if (!kGroups.count(g))
        throw Error(VIGIL_E_CONFIG, "\"collect\" has unknown group \"" + g +
                                        "\" (use cpu, memory, filesystem, disk, network, load, stat)");
      groups_.insert(g);
    }
    fs_types_exclude_ = ctx.get_string_array("fs_types_exclude");
    fs_mounts_include_ = ctx.get_string_array("fs_mounts_include");
    fs_mounts_exclude_ = ctx.get_string_array("fs_mounts_exclude");
    if (!ctx.count("fs_mounts_exclude"))
      fs_mounts_exclude_ = {"/dev",
                            "/dev/*",
                            "/proc",
                            "/proc/*",
                            "/sys",
                            "/sys/*",
                            "/run/credentials/*",
                            "/var/lib/docker/*",
                            "/var/lib/containers/storage/*"};
    disks_exclude_ = ctx.get_string_array("disks_exclude");
    if (!ctx.count("disks_exclude"))
      disks_exclude_ = {"ram*",          "loop*",          "fd*",           "sd[a-z]*[0-9]",
                        "vd[a-z]*[0-9]", "xvd[a-z]*[0-9]", "hd[a-z]*[0-9]", "nvme*n*p*"};
    interfaces_exclude_ = ctx.get_string_array("interfaces_exclude");
    ticks_ = static_cast<double>(sysconf(_SC_CLK_TCK));
  }

  void collect(Context& ctx, int64_t) {
    if (groups_.count("cpu") || groups_.count("stat")) stat(ctx);
    if (groups_.count("memory")) memory(ctx);
    if (groups_.count("load")) load(ctx);
    if (groups_.count("disk")) disks(ctx);
    if (groups_.count("network")) network(ctx);
    if (groups_.count("filesystem")) filesystems(ctx);
  }

 private:
  void stat(Context& ctx) {
    const auto st = parse_stat(read_file(proc_ + "/stat"), ticks_);
    if (groups_.count("cpu")) {
      for (const auto& c : st.cpus)
        for (int m = 0; m < 8; ++m)
          ctx.counter("node_cpu_seconds_total", c.seconds[m], {{"cpu", c.cpu}, {"mode", kCpuModes[m]}},
                      "Seconds the CPUs spent in each mode.");
    }
    if (groups_.count("stat")) {
      ctx.gauge("node_boot_time_seconds", st.boot_time, {}, "Node boot time, in unixtime.");
      const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      ctx.gauge("node_time_seconds", now, {}, "System time in seconds since epoch (1970).");
      ctx.counter("node_context_switches_total", st.context_switches, {}, "Total number of context switches.");
      ctx.counter("node_intr_total", st.interrupts, {}, "Total number of interrupts serviced.");
      ctx.counter("node_forks_total", st.forks, {}, "Total number of forks.");
      ctx.gauge("node_procs_running", st.procs_running, {}, "Number of processes in runnable state.");
      ctx.gauge("node_procs_blocked", st.procs_blocked, {}, "Number of processes blocked waiting for I/O to complete.");
      // node_exporter's uname collector: dashboards (Node Exporter Full among them) list hosts by it.
      struct utsname u {};
      if (::uname(&u) == 0)
        ctx.gauge("node_uname_info", 1,
                  {{"sysname", u.sysname},
                   {"release", u.release},
                   {"version", u.version},
                   {"machine", u.machine},
                   {"nodename", u.nodename},
                   {"domainname", u.domainname}},
                  "Labeled system information as provided by the uname system call.");
    }
  }

  void memory(Context& ctx) {
    for (const auto& f : parse_meminfo(read_file(proc_ + "/meminfo"))) {
      const std::string name = "node_memory_" + f.name + (f.bytes ? "_bytes" : "");
      ctx.gauge(name, f.value, {}, "Memory information field " + f.name + (f.bytes ? "_bytes." : "."));
    }
  }

  void load(Context& ctx) {
    const auto l = parse_loadavg(read_file(proc_ + "/loadavg"));
    ctx.gauge("node_load1", l.load1, {}, "1m load average.");
    ctx.gauge("node_load5", l.load5, {}, "5m load average.");
    ctx.gauge("node_load15", l.load15, {}, "15m load average.");
  }

  void disks(Context& ctx) {
    // Sector counts in /proc/diskstats are always in 512-byte units.
    for (const auto& d : parse_diskstats(read_file(proc_ + "/diskstats"))) {
      if (matches_any(disks_exclude_, d.device)) continue;
      const vigil::sdk::Labels l{{"device", d.device}};
      ctx.counter("node_disk_reads_completed_total", d.reads_completed, l,
                  "The total number of reads completed successfully.");
      ctx.counter("node_disk_reads_merged_total", d.reads_merged, l, "The total number of reads merged.");
      ctx.counter("node_disk_read_bytes_total", d.sectors_read * 512, l,
                  "The total number of bytes read successfully.");
      ctx.counter("node_disk_read_time_seconds_total", d.read_ms / 1000, l,
                  "The total number of seconds spent by all reads.");
      ctx.counter("node_disk_writes_completed_total", d.writes_completed, l,
                  "The total number of writes completed successfully.");
      ctx.counter("node_disk_writes_merged_total", d.writes_merged, l, "The number of writes merged.");
      ctx.counter("node_disk_written_bytes_total", d.sectors_written * 512, l,
                  "The total number of bytes written successfully.");
      ctx.counter("node_disk_write_time_seconds_total", d.write_ms / 1000, l,
                  "This is the total number of seconds spent by all writes.");
      ctx.gauge("node_disk_io_now", d.io_now, l, "The number of I/Os currently in progress.");
      ctx.counter("node_disk_io_time_seconds_total", d.io_ms / 1000, l, "Total seconds spent doing I/Os.");
      ctx.counter("node_disk_io_time_weighted_seconds_total", d.weighted_io_ms / 1000, l,
                  "The weighted number of seconds spent doing I/Os.");
    }
  }

  void network(Context& ctx) {
    for (const auto& n : parse_net_dev(read_file(proc_ + "/net/dev"))) {
      if (matches_any(interfaces_exclude_, n.device)) continue;
      const vigil::sdk::Labels l{{"device", n.device}};
      ctx.counter("node_network_receive_bytes_total", n.rx_bytes, l, "Network device statistic receive_bytes.");
      ctx.counter("node_network_receive_packets_total", n.rx_packets, l, "Network device statistic receive_packets.");
      ctx.counter("node_network_receive_errs_total", n.rx_errs, l, "Network device statistic receive_errs.");
      ctx.counter("node_network_receive_drop_total", n.rx_drop, l, "Network device statistic receive_drop.");
      ctx.counter("node_network_transmit_bytes_total", n.tx_bytes, l, "Network device statistic transmit_bytes.");
      ctx.counter("node_network_transmit_packets_total", n.tx_packets, l, "Network device statistic transmit_packets.");
      ctx.counter("node_network_transmit_errs_total", n.tx_errs, l, "Network device statistic transmit_errs.");
      ctx.counter("node_network_transmit_drop_total", n.tx_drop, l, "Network device statistic transmit_drop.");
    }
  }

  void filesystems(Context& ctx) {
    std::set<std::string> seen;
    for (const auto& m : parse_mounts(read_file(proc_ + "/mounts"))) {
      if (ctx.should_stop()) throw Error(VIGIL_E_TIMEOUT, "deadline passed while reading filesystems");
      if (matches_any(fs_types_exclude_, m.fstype)) continue;
      if (!fs_mounts_include_.empty() && !matches_any(fs_mounts_include_, m.mountpoint)) continue;
      if (matches_any(fs_mounts_exclude_, m.mountpoint)) continue;
      if (!seen.insert(m.mountpoint).second) continue;  // over-mounted: one series per mountpoint
      struct statvfs sv {};
      const vigil::sdk::Labels l{{"device", m.device}, {"fstype", m.fstype}, {"mountpoint", m.mountpoint}};
      // statvfs on a dead network mount can block: it is the last step, bounded by the host deadline.
      if (statvfs((rootfs_ + m.mountpoint).c_str(), &sv) != 0) {
        ctx.gauge("node_filesystem_device_error", 1, l,
                  "Whether an error occurred while getting statistics for the given device.");
        continue;
      }
      const double frsize = static_cast<double>(sv.f_frsize);
      ctx.gauge("node_filesystem_size_bytes", static_cast<double>(sv.f_blocks) * frsize, l,
                "Filesystem size in bytes.");
      ctx.gauge("node_filesystem_free_bytes", static_cast<double>(sv.f_bfree) * frsize, l,
                "Filesystem free space in bytes.");
      ctx.gauge("node_filesystem_avail_bytes", static_cast<double>(sv.f_bavail) * frsize, l,
                "Filesystem space available to non-root users in bytes.");
      ctx.gauge("node_filesystem_files", static_cast<double>(sv.f_files), l, "Filesystem total file nodes.");
      ctx.gauge("node_filesystem_files_free", static_cast<double>(sv.f_ffree), l, "Filesystem total free file nodes.");
      ctx.gauge("node_filesystem_readonly", (sv.f_flag & ST_RDONLY) ? 1 : 0, l, "Filesystem read-only status.");
      ctx.gauge("node_filesystem_device_error", 0, l,
                "Whether an error occurred while getting statistics for the given device.");
    }
  }

  std::string proc_;
  std::string rootfs_;
  std::set<std::string> groups_;
  std::vector<std::string> fs_types_exclude_, fs_mounts_include_, fs_mounts_exclude_, disks_exclude_,
      interfaces_exclude_;
  double ticks_ = 100;
};

const vigil_config_key kSchema[] = {
    {"collect", VIGIL_CFG_STRING_ARRAY, "all", 0,
     "groups to collect: cpu, memory, filesystem, disk, network, load, stat"},
    {"proc_path", VIGIL_CFG_STRING, "/proc", 0, "procfs mount point (a host's /proc when run in a container)"},
    {"rootfs_path", VIGIL_CFG_STRING, "\"\"", 0, "prefix for statvfs paths (the host's / when run in a container)"},
    {"fs_types_exclude", VIGIL_CFG_STRING_ARRAY, "[]", 0, "filesystem types to skip (glob patterns)"},
    {"fs_mounts_include", VIGIL_CFG_STRING_ARRAY, "[] (all)", 0, "only these mountpoints (glob patterns)"},
    {"fs_mounts_exclude", VIGIL_CFG_STRING_ARRAY, "/dev, /proc, /sys and container storage (as node_exporter)", 0,
     "mountpoints to skip (glob patterns)"},
    {"disks_exclude", VIGIL_CFG_STRING_ARRAY, "ram*, loop*, partitions", 0, "block devices to skip (glob patterns)"},
    {"interfaces_exclude", VIGIL_CFG_STRING_ARRAY, "[]", 0, "network interfaces to skip (glob patterns)"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_COLLECTOR(SystemCollector, "system", "1.0.0",
                    "Host CPU, memory, filesystems, disks, network and load under node_exporter's names", kSchema);
