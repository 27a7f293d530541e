#include <ostream>

#include "app/commands.h"
#include "app/plugin_dirs.h"
#include "plugin_host/config_schema.h"
#include "plugin_host/plugin_catalog.h"
#include "rules/rule_test_runner.h"

namespace vigil::app {

int test_rules(const std::vector<std::string>& files, std::ostream& out) {
  bool ok = true;
  for (const auto& f : files) ok = rules::run_rule_test_file(f, out) && ok;
  return ok ? 0 : 1;
}

int list_plugins(const std::vector<std::string>& extra_dirs, std::ostream& out) {
  std::vector<std::string> dirs = extra_dirs;
  for (auto& d : bundled_plugin_dirs()) dirs.push_back(d);
  const auto catalog = plugin_host::PluginCatalog::scan(dirs);
  for (const auto& [name, p] : catalog.plugins()) {
    out << name << " " << p->version << "  ABI " << p->descriptor.abi_major << "." << p->descriptor.abi_minor << "  ";
    for (size_t i = 0; i < p->provides.size(); ++i) out << (i ? "," : "") << p->provides[i];
    out << "\n  " << p->description << "\n  file: " << p->path << "\n";
    const vigil_config_key* k = p->descriptor.config_schema;
    if (k && k->key) out << "  config keys:\n";
    for (; k && k->key; ++k) {
      out << "    " << k->key << " (" << plugin_host::schema_type_name(k->type);
      if (k->required) out << ", required";
      if (k->default_value) out << ", default " << k->default_value;
      out << ")  " << (k->doc ? k->doc : "") << "\n";
    }
  }
  for (const auto& [file, e] : catalog.failures()) out << "not loadable: " << e << "\n";
  if (catalog.plugins().empty()) {
    out << "no plugins found in:";
    for (const auto& d : dirs) out << " " << d;
    out << "\n";
    return 1;
  }
  return 0;
}

}  // namespace vigil::app
