// vigil/testing/recorded_request.hpp: for scenario plugin tests, a host-side vigil_http_request
// that the plugin's build_http / build_setup fill (as the host's engine fills its own), and a
// scenario instance that lives as long as the test's object.
#ifndef VIGIL_TESTING_RECORDED_REQUEST_HPP
#define VIGIL_TESTING_RECORDED_REQUEST_HPP

#include <vigil/plugin.h>

#include <string>
#include <utility>
#include <vector>

namespace vigil::testing {

struct RecordedRequest {
  std::string method, target, body, tag;
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of the last header of that name, or "" when absent.
  std::string header(const std::string& name) const {
    std::string found;
    for (const auto& [k, v] : headers)
      if (k == name) found = v;
    return found;
  }

  // A request whose setters write into this object; valid while it lives.
  vigil_http_request c_request() {
    vigil_http_request r{};
    r.struct_size = sizeof r;
    r.impl = this;
    r.set_method = [](vigil_http_request* self, vigil_str v) -> vigil_status {
      static_cast<RecordedRequest*>(self->impl)->method.assign(v.ptr, v.len);
      return VIGIL_OK;
    };
    r.set_target = [](vigil_http_request* self, vigil_str v) -> vigil_status {
      static_cast<RecordedRequest*>(self->impl)->target.assign(v.ptr, v.len);
      return VIGIL_OK;
    };
    r.add_header = [](vigil_http_request* self, vigil_str n, vigil_str v) -> vigil_status {
      static_cast<RecordedRequest*>(self->impl)
          ->headers.emplace_back(std::string(n.ptr, n.len), std::string(v.ptr, v.len));
      return VIGIL_OK;
    };
    r.append_body = [](vigil_http_request* self, const void* d, size_t n) -> vigil_status {
      static_cast<RecordedRequest*>(self->impl)->body.append(static_cast<const char*>(d), n);
      return VIGIL_OK;
    };
    r.set_tag = [](vigil_http_request* self, vigil_str v) -> vigil_status {
      static_cast<RecordedRequest*>(self->impl)->tag.assign(v.ptr, v.len);
      return VIGIL_OK;
    };
    return r;
  }
};

// One scenario instance created from a plugin entry with a FakeHost (or any host table and
// context), destroyed with the object. `created` is create()'s status; the error, if any, is
// the host's last error.
struct ScenarioUnderTest {
  const vigil_scenario_v1* vt;
  vigil_instance* inst = nullptr;
  vigil_status created;
  ScenarioUnderTest(const vigil_plugin_entry_t& entry, const vigil_host_v1* host, vigil_ctx* ctx)
      : vt(static_cast<const vigil_scenario_v1*>(entry.get_interface(VIGIL_IFACE_SCENARIO))) {
    created = vt->life.create(host, ctx, &inst);
  }
  ScenarioUnderTest(const ScenarioUnderTest&) = delete;
  ScenarioUnderTest& operator=(const ScenarioUnderTest&) = delete;
  ~ScenarioUnderTest() {
    if (inst) vt->life.destroy(inst);
  }
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTING_RECORDED_REQUEST_HPP
