// PromQL expressions, as rule files and the API's queries carry them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/promql_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)vigil::rules::parse_expr(text);
  (void)vigil::rules::parse_promql_duration(text);
  return 0;
}
