#include "proc_parsers.h"

#include <cctype>
#include <sstream>

namespace vigil::system_collector {
namespace {

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string unescape_octal(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Stat parse_stat(std::string_view text, double ticks) {
  Stat st;
  for (const auto& line : lines(text)) {
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key.rfind("cpu", 0) == 0 && key.size() > 3) {
      CpuTimes c;
      c.cpu = key.substr(3);
      for (double& v : c.seconds) {
        double t = 0;
        in >> t;
        v = t / ticks;
      }
      st.cpus.push_back(c);
    } else if (key == "btime") {
      in >> st.boot_time;
    } else if (key == "ctxt") {
      in >> st.context_switches;
    } else if (key == "intr") {
      in >> st.interrupts;
    } else if (key == "processes") {
      in >> st.forks;
    } else if (key == "procs_running") {
      in >> st.procs_running;
    } else if (key == "procs_blocked") {
      in >> st.procs_blocked;
    }
  }
  return st;
}

std::vector<MemField> parse_meminfo(std::string_view text) {
  std::vector<MemField> out;
  for (const auto& line : lines(text)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name)
      if (c == '(' || c == ')') c = '_';
    while (!name.empty() && name.back() == '_') name.pop_back();
    std::istringstream in(line.substr(colon + 1));
    double v = 0;
    std::string unit;
    in >> v >> unit;
    const bool bytes = unit == "kB";
    out.push_back({name, bytes ? v * 1024 : v, bytes});
  }
  return out;
}

LoadAvg parse_loadavg(std::string_view text) {
  LoadAvg l;
  std::istringstream in{std::string(text)};
  in >> l.load1 >> l.load5 >> l.load15;
  return l;
}

std::vector<DiskStats> parse_diskstats(std::string_view text) {
  std::vector<DiskStats> out;
  for (const auto& line : lines(text)) {
    std::istringstream in(line);
    int major = 0, minor = 0;
    DiskStats d;
    if (!(in >> major >> minor >> d.device)) continue;
    in >> d.reads_completed >> d.reads_merged >> d.sectors_read >> d.read_ms >> d.writes_completed >> d.writes_merged >>
        d.sectors_written >> d.write_ms >> d.io_now >> d.io_ms >> d.weighted_io_ms;
    if (in.fail()) continue;
    out.push_back(d);
  }
  return out;
}

std::vector<NetDev> parse_net_dev(std::string_view text) {
  std::vector<NetDev> out;
  for (const auto& line : lines(text)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    NetDev n;
    n.device = line.substr(0, colon);
    n.device.erase(0, n.device.find_first_not_of(' '));
    std::istringstream in(line.substr(colon + 1));
    double skip = 0;
    in >> n.rx_bytes >> n.rx_packets >> n.rx_errs >> n.rx_drop >> skip >> skip >> skip >> skip >> n.tx_bytes >>
        n.tx_packets >> n.tx_errs >> n.tx_drop;
    if (in.fail()) continue;
    out.push_back(n);
  }
  return out;
}

std::vector<Mount> parse_mounts(std::string_view text) {
  std::vector<Mount> out;
  for (const auto& line : lines(text)) {
    std::istringstream in(line);
    Mount m;
    if (!(in >> m.device >> m.mountpoint >> m.fstype >> m.options)) continue;
    m.device = unescape_octal(m.device);
    m.mountpoint = unescape_octal(m.mountpoint);
    out.push_back(m);
  }
  return out;
}

}  // namespace vigil::system_collector
