#include "app/api_client_commands.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <ostream>

#include "base/percent_encoding.h"
#include "net/http_client.h"

namespace vigil::app {
namespace {

using nlohmann::json;

struct Reply {
  bool ok = false;
  json body;
};

Reply call(const ApiTarget& t, const std::string& method, const std::string& path, const std::string& body,
           std::ostream& err) {
  net::HttpRequest req;
  req.method = method;
  req.url = t.url + path;
  req.body = body;
  req.headers.emplace_back("Content-Type", "application/json");
  if (!t.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + t.token);
  auto r = net::HttpClient::shared().perform(req);
  Reply out;
  if (r.error != net::TransportError::none) {
    err << "error: " << r.message << " (is vigil running? set --url or VIGIL_URL)\n";
    return out;
  }
  out.body = json::parse(r.response.body, nullptr, false);
  if (r.response.status != 200) {
    err << "error: HTTP " << r.response.status << ": "
        << (out.body.is_object() ? out.body.value("error", r.response.body) : r.response.body) << "\n";
    if (out.body.is_object() && out.body.contains("hint"))
      err << "hint: " << out.body["hint"].get<std::string>() << "\n";
    return out;
  }
  out.ok = out.body.is_object();
  if (!out.ok) err << "error: the agent's reply is not JSON\n";
  return out;
}

// Prints rows as aligned columns.
void table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      out << r[i];
      if (i + 1 < r.size()) out << std::string(width[i] - r[i].size() + 2, ' ');
    }
    out << "\n";
  }
}

std::string labels_text(const json& labels, bool skip_name = true) {
  std::string s;
  for (const auto& [k, v] : labels.items()) {
    if (skip_name && k == "alertname") continue;
    s += (s.empty() ? "" : " ") + k + "=" + v.get<std::string>();
  }
  return s;
}

}  // namespace

int cmd_alerts(const ApiTarget& t, const std::vector<std::string>& filters, const std::string& state, std::ostream& out,
               std::ostream& err) {
  std::string q;
  for (const auto& f : filters) q += (q.empty() ? "?" : "&") + std::string("filter=") + percent_encode(f);
  if (!state.empty()) q += (q.empty() ? "?" : "&") + std::string("state=") + percent_encode(state);
  auto r = call(t, "GET", "/api/v1/alerts" + q, "", err);
  if (!r.ok) return 1;
  const auto& alerts = r.body["data"]["alerts"];
  if (t.json) {
    out << alerts.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{
      {"ALERTNAME", "STATE", "SEVERITY", "SINCE", "FINGERPRINT", "NOTE", "LABELS"}};
  for (const auto& a : alerts) {
    std::string note;
    if (a.contains("status") && !a["status"]["silencedBy"].empty()) note = "silenced";
    if (a.contains("status") && !a["status"]["inhibitedBy"].empty())
      note += (note.empty() ? "" : ",") + std::string("inhibited");
    if (a.contains("ack") && !a["ack"].is_null())
      note += (note.empty() ? "" : ",") + ("acked by " + a["ack"]["author"].get<std::string>());
    rows.push_back({a["labels"].value("alertname", ""), a.value("state", ""), a["labels"].value("severity", ""),
                    a.value("activeAt", ""), a.value("fingerprint", ""), note, labels_text(a["labels"])});
  }
  table(out, rows);
  return 0;
}

int cmd_silence_add(const ApiTarget& t, const std::vector<std::string>& matchers, const std::string& duration,
                    const std::string& author, const std::string& comment, std::ostream& out, std::ostream& err) {
  json body{{"matchers", matchers}, {"duration", duration}, {"createdBy", author}, {"comment", comment}};
  auto r = call(t, "POST", "/api/v1/silences", body.dump(), err);
  if (!r.ok) return 1;
  out << (t.json ? r.body["data"].dump() : r.body["data"]["silenceID"].get<std::string>()) << "\n";
  return 0;
}

int cmd_silence_list(const ApiTarget& t, const std::string& state, std::ostream& out, std::ostream& err) {
  auto r = call(t, "GET", "/api/v1/silences" + (state.empty() ? "" : "?state=" + percent_encode(state)), "", err);
  if (!r.ok) return 1;
  const auto& silences = r.body["data"]["silences"];
  if (t.json) {
    out << silences.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "STATE", "MATCHERS", "ENDS", "MATCHED", "CREATED BY", "COMMENT"}};
  for (const auto& s : silences) {
    std::string ms;
    for (const auto& m : s["matchers"]) {
      const bool re = m.value("isRegex", false), eq = m.value("isEqual", true);
      ms += (ms.empty() ? "" : " ") + m["name"].get<std::string>() + (re ? (eq ? "=~" : "!~") : (eq ? "=" : "!=")) +
            "\"" + m["value"].get<std::string>() + "\"";
    }
    rows.push_back({s.value("id", ""), s["status"].value("state", ""), ms, s.value("endsAt", ""),
                    std::to_string(s.value("matchedAlerts", 0)), s.value("createdBy", ""), s.value("comment", "")});
  }
  table(out, rows);
  return 0;
}

int cmd_silence_expire(const ApiTarget& t, const std::vector<std::string>& ids, std::ostream& out, std::ostream& err) {
  int rc = 0;
  for (const auto& id : ids) {
    auto r = call(t, "DELETE", "/api/v1/silences/" + percent_encode(id), "", err);
    if (!r.ok) {
      rc = 1;
      continue;
    }
    out << "expired " << id << "\n";
  }
  return rc;
}

int cmd_ack(const ApiTarget& t, const std::string& fingerprint, const std::string& author, const std::string& comment,
            const std::string& expires_in, bool remove, std::ostream& out, std::ostream& err) {
  if (remove) {
    auto r = call(t, "DELETE", "/api/v1/alerts/" + percent_encode(fingerprint) + "/ack", "", err);
    if (!r.ok) return 1;
    out << "acknowledgement removed from " << fingerprint << "\n";
    return 0;
  }
  json body{{"author", author}, {"comment", comment}};
  if (!expires_in.empty()) body["expiresIn"] = expires_in;
  auto r = call(t, "POST", "/api/v1/alerts/" + percent_encode(fingerprint) + "/ack", body.dump(), err);
  if (!r.ok) return 1;
  out << (t.json ? r.body["data"].dump() : "acknowledged " + fingerprint + " (" + r.body["data"].value("id", "") + ")")
      << "\n";
  return 0;
}

}  // namespace vigil::app
