// The alerting API's request bodies: POST /api/v2/alerts, silences (with schedules), acks and
// matcher lists, as anyone holding a token can send them.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "alerting/api_bodies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  (void)vigil::alerting::parse_posted_alerts(body);
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return 0;
  const auto now = vigil::alerting::Time(std::chrono::seconds(1'700'000'000));
  (void)vigil::alerting::silence_from_request(j, now);
  (void)vigil::alerting::ack_from_request(j, now);
  (void)vigil::alerting::matchers_from_json(j);
  return 0;
}
