// The self-contained HTML report: one file, inline CSS and SVG, no scripts and no network
// resources. It puts first what readers of load-test reports look for: the verdict (thresholds,
// run metadata), then load against throughput and failures over time, latency percentiles over
// time and over the whole run, the per-endpoint and failures tables, and why the numbers may not
// be trusted.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "load/report.h"

namespace vigil::load {
namespace {

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v, const char* f = "%.2f") {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string ms(int64_t us) {
  return us < 1000 ? std::to_string(us) + " µs" : num(static_cast<double>(us) / 1000.0) + " ms";
}

// A round step for about `n` ticks over [0, max].
double nice_step(double max, int n) {
  if (max <= 0) return 1;
  const double raw = max / n, mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

struct Series {
  std::string name, color, dash;
  std::vector<std::pair<double, double>> points;
};

// A line chart: x and y from 0; every series named in a legend (colour is never the only cue:
// the dash pattern differs too).
std::string chart(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                  const std::string& y_label, bool log_x = false) {
  const double W = 760, H = 260, L = 64, R = 16, T = 28, B = 40;
  double xmax = 0, ymax = 0;
  for (const auto& s : series)
    for (const auto& [x, y] : s.points) {
      xmax = std::max(xmax, x);
      ymax = std::max(ymax, y);
    }
  if (xmax <= 0) xmax = 1;
  if (ymax <= 0) ymax = 1;
  const double ystep = nice_step(ymax, 5);
  ymax = std::ceil(ymax / ystep) * ystep;
  auto px = [&](double x) {
    const double f = log_x ? std::log10(1 + x) / std::log10(1 + xmax) : x / xmax;
    return L + f * (W - L - R);
  };
  auto py = [&](double y) { return T + (1 - y / ymax) * (H - T - B); };
  std::string svg = "<figure><svg viewBox=\"0 0 " + num(W, "%.0f") + " " + num(H, "%.0f") +
                    "\" role=\"img\" aria-label=\"" + esc(title) + "\"><title>" + esc(title) + "</title>";
  svg += "<text x=\"" + num(L, "%.0f") + "\" y=\"16\" class=\"t\">" + esc(title) + "</text>";
  for (double y = 0; y <= ymax + ystep / 2; y += ystep) {
    svg += "<line x1=\"" + num(L) + "\" x2=\"" + num(W - R) + "\" y1=\"" + num(py(y)) + "\" y2=\"" + num(py(y)) +
           "\" class=\"g\"/><text x=\"" + num(L - 6) + "\" y=\"" + num(py(y) + 4) +
           "\" class=\"a\" text-anchor=\"end\">" + num(y, ystep < 1 ? "%.2f" : "%.0f") + "</text>";
  }
  if (log_x) {
    for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
      const double x = p >= 100 ? xmax : 100.0 / (100.0 - p) - 1;
      if (x > xmax) break;
      svg += "<text x=\"" + num(px(x)) + "\" y=\"" + num(H - B + 16) + "\" class=\"a\" text-anchor=\"middle\">" +
             num(p, "%g") + "%</text>";
    }
  } else {
    const double xstep = nice_step(xmax, 8);
    for (double x = 0; x <= xmax + xstep / 2; x += xstep)
      svg += "<text x=\"" + num(px(x)) + "\" y=\"" + num(H - B + 16) + "\" class=\"a\" text-anchor=\"middle\">" +
             num(x, "%g") + "</text>";
  }
  svg += "<text x=\"" + num((L + W - R) / 2) + "\" y=\"" + num(H - 6) + "\" class=\"a\" text-anchor=\"middle\">" +
         esc(x_label) + "</text>";
  svg += "<text x=\"14\" y=\"" + num((T + H - B) / 2) + "\" class=\"a\" transform=\"rotate(-90 14 " +
         num((T + H - B) / 2) + ")\" text-anchor=\"middle\">" + esc(y_label) + "</text>";
  double lx = W - R - 150;
  double ly = T + 4;
  for (const auto& s : series) {
    if (s.points.empty()) continue;
    std::string pts;
    for (const auto& [x, y] : s.points) pts += num(px(x)) + "," + num(py(y)) + " ";
    svg += "<polyline fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"2\"" +
           (s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"") + " points=\"" + pts + "\"/>";
    svg += "<line x1=\"" + num(lx) + "\" x2=\"" + num(lx + 24) + "\" y1=\"" + num(ly) + "\" y2=\"" + num(ly) +
           "\" stroke=\"" + s.color + "\" stroke-width=\"2\"" +
           (s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"") + "/><text x=\"" + num(lx + 30) + "\" y=\"" +
           num(ly + 4) + "\" class=\"a\">" + esc(s.name) + "</text>";
    ly += 16;
  }
  return svg + "</svg></figure>\n";
}

}  // namespace

std::string report_html(const RunResult& r) {
  bool passed = true;
  for (const auto& t : r.thresholds) passed = passed && t.passed;
  std::string h = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>)" + esc(r.scenario + " against " + r.target) +
                  R"(</title><style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:820px;color:#1d2330;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;width:100%;margin:8px 0}
td,th{border-bottom:1px solid #dde1e8;padding:4px 8px;text-align:left}th{background:#f3f5f8}
.v{padding:10px 14px;border-radius:6px;font-weight:600}.pass{background:#e3f4e8;color:#135c2a}
.fail{background:#fde7e7;color:#8a1616}.none{background:#eef1f5}.w{background:#fff6dc;padding:8px 12px;border-radius:6px}
svg{width:100%;height:auto}.t{font-weight:600;font-size:13px}.a{font-size:11px;fill:#4a5264}.g{stroke:#e6e9ef}
figure{margin:12px 0}
@media (prefers-color-scheme: dark){body{background:#15181e;color:#e3e6ec}th{background:#232833}
td,th{border-color:#323846}.a{fill:#aab2c0}.g{stroke:#2b303b}.pass{background:#173a22;color:#bfe8cb}
.fail{background:#4a1c1c;color:#f3c4c4}.none{background:#232833}.w{background:#3d3414}}
</style></head><body>
)";
  h += "<h1>" + esc(r.scenario) + " against " + esc(r.target) + "</h1>\n";
  h += std::string("<p class=\"v ") +
       (r.thresholds.empty() ? "none\">No thresholds were set"
        : passed             ? "pass\">✔ Passed: every threshold held"
                             : "fail\">✘ Failed: a threshold did not hold") +
       "</p>\n";
  if (!r.thresholds.empty()) {
    h += "<table><tr><th>Threshold</th><th>Actual</th><th>Result</th></tr>";
    for (const auto& t : r.thresholds)
      h += "<tr><td><code>" + esc(t.expression) + "</code></td><td>" + num(t.actual, "%.3f") + " " + esc(t.unit) +
           "</td><td>" + (t.passed ? "✔ pass" : "✘ FAIL") + "</td></tr>";
    h += "</table>\n";
  }
  if (!r.warnings.empty()) {
    h += "<div class=\"w\"><strong>⚠ The numbers may not be trusted:</strong><ul>";
    for (const auto& w : r.warnings) h += "<li>" + esc(w) + "</li>";
    h += "</ul></div>\n";
  }
  h += "<h2>Summary</h2><table>";
  auto row = [&](const std::string& k, const std::string& v) {
    h += "<tr><th>" + esc(k) + "</th><td>" + esc(v) + "</td></tr>";
  };
  row("Started", r.started_at + " on " + r.host + " (vigil " + r.vigil_version + ")");
  row("Load", load_text(r));
  row("Measured", num(r.duration_s, "%.1f") + " s after " + num(r.warmup_s, "%.1f") + " s of warm-up");
  row("Requests", std::to_string(r.requests) + " (" + std::to_string(r.ok) + " ok, " + std::to_string(r.error_count()) +
                      " failed, " + std::to_string(r.dropped) + " dropped)");
  row("Throughput", num(r.throughput(), "%.1f") + " requests/s");
  row("Error rate", num(r.error_rate(), "%.4f"));
  row("Latency", "p50 " + ms(r.latency.percentile(50)) + ", p95 " + ms(r.latency.percentile(95)) + ", p99 " +
                     ms(r.latency.percentile(99)) + ", max " + ms(r.latency.max()));
  if (r.model == "open")
    row("Service time", "p50 " + ms(r.service.percentile(50)) + ", p95 " + ms(r.service.percentile(95)) + ", p99 " +
                            ms(r.service.percentile(99)) + " (from the actual send, not corrected)");
  if (r.max_connections_open) row("Connections", std::to_string(r.max_connections_open) + " open at most");
  if (r.target_cpu_seconds) row("Target CPU", num(*r.target_cpu_seconds) + " s");
  if (r.target_rss_bytes) row("Target memory (peak)", num(*r.target_rss_bytes / 1048576.0, "%.1f") + " MiB");
  h += "</table>\n";

  Series offered{"offered/s", "#7a869a", "6 4", {}}, done{"completed/s", "#1f6feb", "", {}},
      errors{"failed/s", "#d1242f", "2 3", {}};
  Series p50{"p50", "#1f6feb", "", {}}, p95{"p95", "#bf8700", "6 4", {}}, p99{"p99", "#d1242f", "2 3", {}};
  Series open{"connections open", "#1f6feb", "", {}};
  bool connections_vary = false;
  for (const auto& s : r.timeline) {
    const double t = static_cast<double>(s.t_ms) / 1000;
    open.points.emplace_back(t, static_cast<double>(s.connections));
    connections_vary = connections_vary || s.connections != r.timeline.front().connections;
    if (r.model == "open") offered.points.emplace_back(t, static_cast<double>(s.offered));
    done.points.emplace_back(t, static_cast<double>(s.completed));
    errors.points.emplace_back(t, static_cast<double>(s.errors));
    if (s.completed) {
      p50.points.emplace_back(t, static_cast<double>(s.p50_us) / 1000);
      p95.points.emplace_back(t, static_cast<double>(s.p95_us) / 1000);
      p99.points.emplace_back(t, static_cast<double>(s.p99_us) / 1000);
    }
  }
  h += "<h2>Load and throughput</h2>" + chart("Requests a second", {offered, done, errors}, "seconds", "requests/s");
  if (connections_vary)  // ramps, drops and reconnections
    h += chart("Connections open at the end of each second", {open}, "seconds", "connections");
  h += "<h2>Latency over time</h2>" + chart("Latency percentiles each second", {p50, p95, p99}, "seconds", "ms");
  Series spectrum{"latency", "#1f6feb", "", {}}, service{"service time", "#7a869a", "6 4", {}};
  for (double p : {0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99}) {
    const double x = 100.0 / (100.0 - p) - 1;
    spectrum.points.emplace_back(x, static_cast<double>(r.latency.percentile(p)) / 1000);
    if (r.model == "open") service.points.emplace_back(x, static_cast<double>(r.service.percentile(p)) / 1000);
  }
  h += "<h2>Latency over the whole run</h2>" +
       chart("Latency by percentile", {spectrum, service}, "percentile", "ms", true);
  if (!r.tags.empty()) {
    h += "<h2>Per "
         "endpoint</h2><table><tr><th>Endpoint</th><th>Requests</th><th>Errors</th><th>p50</th><th>p95</th><th>p99</"
         "th></tr>";
    for (const auto& [name, t] : r.tags)
      h += "<tr><td>" + esc(name) + "</td><td>" + std::to_string(t.requests) + "</td><td>" + std::to_string(t.errors) +
           "</td><td>" + ms(t.latency.percentile(50)) + "</td><td>" + ms(t.latency.percentile(95)) + "</td><td>" +
           ms(t.latency.percentile(99)) + "</td></tr>";
    h += "</table>\n";
  }
  if (!r.errors.empty()) {
    h += "<h2>Failures</h2><table><tr><th>Kind</th><th>Count</th><th>Example</th></tr>";
    for (const auto& [k, n] : r.errors)
      h += "<tr><td>" + esc(k) + "</td><td>" + std::to_string(n) + "</td><td>" +
           esc(r.error_examples.count(k) ? r.error_examples.at(k) : "") + "</td></tr>";
    h += "</table>\n";
  }
  if (!r.options.empty()) {
    h += "<h2>Scenario settings</h2><table>";
    for (const auto& [k, v] : r.options) row(k, v);
    h += "</table>\n";
  }
  return h + "</body></html>\n";
}

}  // namespace vigil::load
