// LabelMatcher: one `name op "value"` condition of a selector. Regular expressions use RE2
// syntax and are fully anchored, as in Prometheus. An absent label matches as the empty string.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace re2 {
class RE2;
}

namespace vigil::metrics {

class LabelMatcher {
 public:
  enum class Op { equal, not_equal, regex, not_regex };
  // Fails on an invalid regular expression, naming it and RE2's reason.
  static Result<LabelMatcher> make(std::string name, Op op, std::string value);

  bool matches(std::string_view value) const;
  const std::string& name() const { return name_; }
  Op op() const { return op_; }
  const std::string& value() const { return value_; }

 private:
  LabelMatcher() = default;
  std::string name_;
  Op op_ = Op::equal;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;  // for regex ops; shared, RE2 is thread-safe
};

}  // namespace vigil::metrics
