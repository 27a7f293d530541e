// JSON forms of the engine's durable state (silences, acks, notification-log entries, alerts),
// as AlertDb stores them and the API returns silences.
#pragma once

#include <string>

#include "alerting/engine.h"

namespace vigil::alerting {

std::string silence_to_json(const Silence& s);
Result<Silence> silence_from_json(const std::string& text);
std::string ack_to_json(const Ack& a);
Result<Ack> ack_from_json(const std::string& text);
std::string log_entry_to_json(const LogEntry& e);
Result<LogEntry> log_entry_from_json(const std::string& text);
std::string alert_to_json(const Alert& a);
Result<Alert> alert_from_json(const std::string& text);

}  // namespace vigil::alerting
