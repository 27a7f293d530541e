// The alerting HTTP API: alerts (Prometheus-shaped /api/v1/alerts with silence, inhibition,
// ack and receiver details, and Alertmanager's POST /api/v2/alerts so a Prometheus server can
// use vigil as its Alertmanager), groups, acknowledgements, silences with preview, history,
// receivers with a test notification, and POST /-/reload.
//
// Every mutating call needs `Authorization: Bearer <[http] api_token>` (compared in constant
// time); reads are open unless [http] read_requires_token. Errors are JSON:
// {"status":"error","error":"what is wrong","hint":"how to fix it"}.
#pragma once

#include <functional>
#include <string>

#include "http/http_server.h"
#include "metrics/agent_metrics.h"
#include "runtime/alerting_service.h"
#include "runtime/rule_scheduler.h"

namespace vigil::app {

struct ApiAuth {
  std::string token;  // "" = mutations refused
  bool reads_need_token = false;
  metrics::AgentMetrics* metrics = nullptr;  // counts refusals and changes when set
};

void add_alerting_routes(http::Router& router, runtime::AlertingService& alerting, runtime::RuleScheduler& rules,
                         ApiAuth auth, std::function<void()> request_reload);

}  // namespace vigil::app
