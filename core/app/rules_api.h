// The JSON of GET /api/v1/rules, in Prometheus' shape (alerts: app/alerting_api.h).
#pragma once

#include <string>
#include <vector>

#include "rules/rule_group.h"

namespace vigil::app {

std::string rules_json(const std::vector<rules::GroupStatus>& groups);

}  // namespace vigil::app
