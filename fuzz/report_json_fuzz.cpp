// A benchmark's report.json, as `vigil bench compare` and the console read it from disk. A
// report that parses is written and parsed again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "load/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = vigil::load::parse_report_json(std::string(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  if (!vigil::load::parse_report_json(vigil::load::report_json(*r)).ok()) std::abort();
  (void)vigil::load::compare_runs(*r, *r, {});
  return 0;
}
