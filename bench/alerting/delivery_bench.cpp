// Notification-pipeline figures for docs/performance.md:
//  - webhook deliveries per second through the host's pooled HTTP client, against a new
//    connection per request, to a loopback sink;
//  - the cost of writing one notification to the outbox (one SQLite transaction each, WAL,
//    synchronous=NORMAL), and of marking it delivered.
//
// usage: vigil_delivery_bench [requests]   (default 2000)
#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "../../tests/support/http_sink.hpp"
#include "alerting/alert_db.h"
#include "net/http_client.h"

using Clock = std::chrono::steady_clock;

namespace {

double secs_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

size_t ignore_body(char*, size_t size, size_t n, void*) {
  return size * n;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  const std::string body(1500, 'x');  // about one Alertmanager JSON with a few alerts
  vigil::testing::HttpSink sink;

  // Pooled: the host's client, as notifiers use it.
  auto& client = vigil::net::HttpClient::shared();
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    vigil::net::HttpRequest req;
    req.url = sink.url();
    req.body = body;
    req.headers = {{"Content-Type", "application/json"}};
    auto r = client.perform(req);
    if (r.error != vigil::net::TransportError::none || r.response.status != 200) {
      std::fprintf(stderr, "request failed: %s\n", r.message.c_str());
      return 1;
    }
  }
  const double pooled = secs_since(t0);
  const int pooled_conns = sink.connections();

  // A new connection per request: a fresh curl handle each time, reuse forbidden.
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    CURL* h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, sink.url().c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &ignore_body);
    if (curl_easy_perform(h) != CURLE_OK) return 1;
    curl_easy_cleanup(h);
  }
  const double fresh = secs_since(t0);
  std::printf("webhook deliveries to a loopback sink, %d requests of %zu bytes:\n", n, body.size());
  std::printf("  pooled client:           %8.0f /s (%d connection(s) opened)\n", n / pooled, pooled_conns);
  std::printf("  new connection each:     %8.0f /s (%d connection(s) opened)\n", n / fresh,
              sink.connections() - pooled_conns);

  // Outbox writes.
  const auto dir = std::filesystem::temp_directory_path() / "vigil-delivery-bench";
  std::filesystem::remove_all(dir);
  auto db = vigil::alerting::AlertDb::open((dir / "alerting.db").string());
  if (!db.ok()) return 1;
  const std::string notification(1500, 'n');
  t0 = Clock::now();
  std::vector<int64_t> ids;
  for (int i = 0; i < n; ++i) {
    std::vector<vigil::alerting::OutboxItem> items(1);
    items[0].receiver = "team";
    items[0].notifier = "webhook";
    items[0].group_key = "{}:{alertname=\"A" + std::to_string(i) + "\"}";
    items[0].idempotency_key = std::to_string(i);
    items[0].notification = notification;
    items[0].created_at = vigil::alerting::Clock::now();
    items[0].next_attempt_at = items[0].created_at;
    if (!(*db)->enqueue(items).ok()) return 1;
    ids.push_back(items[0].id);
  }
  const double enqueue = secs_since(t0);
  t0 = Clock::now();
  for (auto id : ids)
    if (!(*db)->mark_delivered(id, vigil::alerting::Clock::now()).ok()) return 1;
  const double mark = secs_since(t0);
  std::printf("outbox (SQLite WAL, synchronous=NORMAL), %d notifications of %zu bytes:\n", n, notification.size());
  std::printf("  write before delivery:   %8.1f us each\n", enqueue * 1e6 / n);
  std::printf("  mark delivered:          %8.1f us each\n", mark * 1e6 / n);
  std::filesystem::remove_all(dir);
  return 0;
}
