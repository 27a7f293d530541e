#include "plugin_host/collector_instance.h"

#include <catch2/catch_test_macros.hpp>

#include "config/toml_loader.h"
#include "plugin_host/instance_context.h"
#include "test_paths.h"

using namespace vigil::plugin_host;
using Result_ = CollectOutcome::Result;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

vigil::config::InstanceSettings instance(const std::string& toml) {
  auto r = vigil::config::load_config_text(toml, "t.toml");
  REQUIRE(r.ok());
  REQUIRE(r.settings.collectors.size() == 1);
  return r.settings.collectors[0];
}

std::shared_ptr<const LoadedPlugin> plugin(const std::string& name) {
  auto p = load_plugin(fixture(name));
  REQUIRE(p.ok());
  return p.value();
}

int64_t in(double seconds) {
  return monotonic_now_ns() + static_cast<int64_t>(seconds * 1e9);
}

}  // namespace

TEST_CASE("a collector reads its config and emits samples", "[plugin_host]") {
  auto inst = CollectorInstance::create(plugin("no_op"), instance("[[collectors.no_op]]\nvalue = 42.5\n"));
  REQUIRE(inst.ok());
  REQUIRE(inst.value()->start().ok());
  auto out = inst.value()->collect(in(5));
  CHECK(out.result == Result_::ok);
  REQUIRE(out.samples.size() == 1);
  CHECK(out.samples[0].name == "fixture_value");
  CHECK(out.samples[0].value == 42.5);
}

TEST_CASE("unknown and mistyped plugin keys are rejected before create", "[plugin_host]") {
  auto a = CollectorInstance::create(plugin("no_op"), instance("[[collectors.no_op]]\nvalu = 1\n"));
  REQUIRE_FALSE(a.ok());
  CHECK(contains(a.message(), "t.toml:2:1: unknown key \"valu\" in [collectors.no_op] (did you mean \"value\"?)"));
  auto b = CollectorInstance::create(plugin("no_op"), instance("[[collectors.no_op]]\nvalue = \"high\"\n"));
  REQUIRE_FALSE(b.ok());
  CHECK(contains(b.message(), "t.toml:2:1: \"value\" in [collectors.no_op] must be a number, not a string"));
  auto c =
      CollectorInstance::create(plugin("throws_in_collect"), instance("[[collectors.throws_in_collect]]\nx = 1\n"));
  REQUIRE_FALSE(c.ok());
  CHECK(contains(c.message(), "this plugin takes no settings"));
}

TEST_CASE("a failing create names plugin, alias, location and the plugin's reason", "[plugin_host]") {
  auto r = CollectorInstance::create(plugin("create_fails"), instance("[[collectors.create_fails]]\nalias = \"x\"\n"));
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.message(),
                 "t.toml:1:1: collector \"create_fails\" (alias x): create failed (E_CONFIG): "
                 "\"endpoint\" is required"));
}

TEST_CASE("an exception escaping a C++ plugin is contained and reported", "[plugin_host]") {
  auto inst = CollectorInstance::create(plugin("throws_in_collect"), instance("[[collectors.throws_in_collect]]\n"));
  REQUIRE(inst.ok());
  auto out = inst.value()->collect(in(5));
  CHECK(out.result == Result_::error);
  CHECK(contains(out.error, "a C++ exception escaped the plugin: boom from collect"));
}

TEST_CASE("the C++ helper turns exceptions into status codes", "[plugin_host]") {
  auto bad = CollectorInstance::create(plugin("cpp_helper"), instance("[[collectors.cpp_helper]]\nstep = -1\n"));
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.message(), "create failed (E_CONFIG): \"step\" must be positive"));
  auto ok = CollectorInstance::create(plugin("cpp_helper"), instance("[[collectors.cpp_helper]]\nstep = 2\n"));
  REQUIRE(ok.ok());
  ok.value()->collect(in(5));
  auto out = ok.value()->collect(in(5));
  REQUIRE(out.samples.size() == 2);
  CHECK(out.samples[0].name == "fixture_cpp_ticks_total");
  CHECK(out.samples[0].value == 4);
  CHECK(out.samples[1].name == "fixture_cpp_initialised");
  CHECK(out.samples[1].value == 1);  // the export macro wired plugin_init into the entry
  auto failing = CollectorInstance::create(plugin("cpp_helper"), instance("[[collectors.cpp_helper]]\nfail = true\n"));
  REQUIRE(failing.ok());
  auto f = failing.value()->collect(in(5));
  CHECK(f.result == Result_::error);
  CHECK(contains(f.error, "E_INTERNAL: asked to fail"));
}

TEST_CASE("the C++ helper keeps the host's file:line:col message for a wrongly typed value", "[plugin_host]") {
  auto bad = CollectorInstance::create(plugin("cpp_helper"),
                                       instance("[[collectors.cpp_helper]]\nname = \"x\"\nwrong_accessor = true\n"));
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.message(), "create failed (E_INVALID): t.toml:2:8: \"name\" must be an integer, not a string"));
}

TEST_CASE("invalid metric names are rejected, counted and reported while valid ones are kept", "[plugin_host]") {
  auto inst =
      CollectorInstance::create(plugin("invalid_metric_name"), instance("[[collectors.invalid_metric_name]]\n"));
  REQUIRE(inst.ok());
  auto out = inst.value()->collect(in(5));
  CHECK(out.result == Result_::error);
  CHECK(out.invalid_samples == 1);
  CHECK(out.samples.size() == 1);
  CHECK(contains(out.error, "invalid metric name \"bad-metric name\""));
}

TEST_CASE("a collect that runs past its deadline is reported as a timeout", "[plugin_host]") {
  auto inst = CollectorInstance::create(plugin("hangs_in_collect"),
                                        instance("[[collectors.hangs_in_collect]]\nsleep_ms = 200\n"));
  REQUIRE(inst.ok());
  auto out = inst.value()->collect(in(0.05));
  CHECK(out.result == Result_::timeout);
}

TEST_CASE("a retryable failure carries the plugin's message", "[plugin_host]") {
  auto inst = CollectorInstance::create(plugin("fails_in_collect"), instance("[[collectors.fails_in_collect]]\n"));
  REQUIRE(inst.ok());
  auto out = inst.value()->collect(in(5));
  CHECK(out.result == Result_::error);
  CHECK(out.error == "E_UNAVAILABLE: target down");
}
