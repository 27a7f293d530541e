// The JSON of GET /api/v1/rules and GET /api/v1/alerts, in Prometheus' shapes.
#pragma once

#include <string>
#include <vector>

#include "rules/rule_group.h"

namespace vigil::app {

std::string rules_json(const std::vector<rules::GroupStatus>& groups);
std::string alerts_json(const std::vector<rules::GroupStatus>& groups);

}  // namespace vigil::app
