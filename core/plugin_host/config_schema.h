// Checks an instance's plugin table against the schema the plugin declares: unknown keys
// (with did-you-mean), wrong types, missing required keys. Host-side, before create().
#pragma once

#include <string>
#include <vector>

#include <vigil/plugin.h>

#include "base/status.h"
#include "config/plugin_table.h"

namespace vigil::plugin_host {

Problems check_against_schema(const vigil_config_key* schema, const config::PluginTable& table,
                              const std::string& section);

const char* schema_type_name(int32_t type);

}  // namespace vigil::plugin_host
