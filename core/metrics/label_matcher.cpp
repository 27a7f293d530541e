#include "metrics/label_matcher.h"

#include <re2/re2.h>

namespace vigil::metrics {

Result<LabelMatcher> LabelMatcher::make(std::string name, Op op, std::string value) {
  LabelMatcher m;
  m.name_ = std::move(name);
  m.op_ = op;
  m.value_ = std::move(value);
  if (op == Op::regex || op == Op::not_regex) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);
    auto re = std::make_shared<const re2::RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok())
      return Status::error("invalid regular expression \"" + m.value_ + "\" for label " + m.name_ + ": " + re->error() +
                           " (RE2 syntax, fully anchored)");
    m.re_ = std::move(re);
  }
  return m;
}

bool LabelMatcher::matches(std::string_view v) const {
  switch (op_) {
    case Op::equal: return v == value_;
    case Op::not_equal: return v != value_;
    case Op::regex: return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
    case Op::not_regex: return !RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
  }
  return false;
}

}  // namespace vigil::metrics
