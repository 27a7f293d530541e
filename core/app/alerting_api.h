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

#include "app/api_auth.h"
#include "http/http_server.h"
#include "runtime/alerting_service.h"
#include "runtime/rule_scheduler.h"

namespace vigil::app {

void add_alerting_routes(http::Router& router, runtime::AlertingService& alerting, runtime::RuleScheduler& rules,
                         ApiAuth auth, std::function<void()> request_reload);

}  // namespace vigil::app
