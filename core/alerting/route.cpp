#include "alerting/route.h"

#include <algorithm>

namespace vigil::alerting {

std::vector<const Route*> Route::match(const LabelSet& labels) const {
  if (!matches(matchers, labels)) return {};
  std::vector<const Route*> all;
  for (const auto& child : routes) {
    auto m = child->match(labels);
    const bool matched = !m.empty();
    all.insert(all.end(), m.begin(), m.end());
    if (matched && !child->continue_matching) break;
  }
  if (all.empty()) all.push_back(this);
  return all;
}

std::string Route::key() const {
  return parent ? parent->key() + "/" + matchers_text(matchers) : matchers_text(matchers);
}

LabelSet Route::group_labels(const LabelSet& labels) const {
  if (options.group_by_all) return labels;
  LabelSet out;
  for (const auto& [k, v] : labels)
    if (std::find(options.group_by.begin(), options.group_by.end(), k) != options.group_by.end())
      out.emplace_back(k, v);
  return out;
}

std::string Route::group_key(const LabelSet& group_labels) const {
  return key() + ":" + label_set_text(group_labels);
}

}  // namespace vigil::alerting
