#include "rules/evaluator.h"

#include <re2/re2.h>

#include <algorithm>
#include <exception>
#include <new>
#include <cmath>
#include <cstdio>
#include <limits>
#include <cctype>
#include <map>
#include <optional>
#include <set>

namespace vigil::rules {
namespace {

using metrics::Point;
using metrics::SeriesData;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct EvalError {
  std::string message;
};

// ---- label helpers -------------------------------------------------------------------------

std::string get_label(const LabelSet& l, std::string_view name) {
  for (const auto& [k, v] : l)
    if (k == name) return v;
  return "";
}

void set_label(LabelSet& l, const std::string& name, const std::string& value) {
  auto it = std::find_if(l.begin(), l.end(), [&](const auto& p) { return p.first == name; });
  if (value.empty()) {
    if (it != l.end()) l.erase(it);
    return;
  }
  if (it != l.end()) {
    it->second = value;
  } else {
    l.emplace_back(name, value);
    std::sort(l.begin(), l.end());
  }
}

void drop_name(LabelSet& l) {
  set_label(l, "__name__", "");
}

std::string labels_text(const LabelSet& l) {
  std::string out = "{";
  for (size_t i = 0; i < l.size(); ++i) out += (i ? ", " : "") + l[i].first + "=\"" + l[i].second + "\"";
  return out + "}";
}

void check_unique(const std::vector<InstantSample>& v) {
  std::set<LabelSet> seen;
  for (const auto& s : v)
    if (!seen.insert(s.labels).second)
      throw EvalError{"vector cannot contain metrics with the same labelset " + labels_text(s.labels)};
}

// Signature for vector matching: the `on` labels, or every label but the `ignoring` ones (and
// never __name__).
LabelSet signature(const LabelSet& l, const VectorMatching& m) {
  LabelSet out;
  for (const auto& [k, v] : l) {
    if (k == "__name__") continue;
    const bool listed = std::find(m.labels.begin(), m.labels.end(), k) != m.labels.end();
    if (m.on ? listed : !listed) out.emplace_back(k, v);
  }
  return out;
}

// ---- arithmetic ----------------------------------------------------------------------------

// Returns the value and whether the pair is kept (comparisons filter).
std::pair<double, bool> apply(BinaryOp op, double l, double r, bool return_bool) {
  auto cmp = [&](bool c) -> std::pair<double, bool> {
    if (return_bool) return {c ? 1.0 : 0.0, true};
    return {l, c};
  };
  switch (op) {
    case BinaryOp::add: return {l + r, true};
    case BinaryOp::sub: return {l - r, true};
    case BinaryOp::mul: return {l * r, true};
    case BinaryOp::div: return {l / r, true};
    case BinaryOp::mod: return {std::fmod(l, r), true};
    case BinaryOp::pow: return {std::pow(l, r), true};
    case BinaryOp::eq: return cmp(l == r);
    case BinaryOp::ne: return cmp(l != r);
    case BinaryOp::gt: return cmp(l > r);
    case BinaryOp::lt: return cmp(l < r);
    case BinaryOp::ge: return cmp(l >= r);
    case BinaryOp::le: return cmp(l <= r);
    default: return {kNaN, false};
  }
}

// ---- range functions -----------------------------------------------------------------------

// Prometheus' extrapolatedRate (promql/functions.go).
std::optional<double> extrapolated(const std::vector<Point>& pts, int64_t range_start, int64_t range_end, bool counter,
                                   bool rate) {
  if (pts.size() < 2) return std::nullopt;
  double result = pts.back().v - pts.front().v;
  if (counter) {
    for (size_t i = 1; i < pts.size(); ++i)
      if (pts[i].v < pts[i - 1].v) result += pts[i - 1].v;
  }
  double to_start = static_cast<double>(pts.front().t_ms - range_start) / 1000;
  const double to_end = static_cast<double>(range_end - pts.back().t_ms) / 1000;
  const double sampled = static_cast<double>(pts.back().t_ms - pts.front().t_ms) / 1000;
  const double avg_step = sampled / static_cast<double>(pts.size() - 1);
  if (counter && result > 0 && pts.front().v >= 0) {
    const double to_zero = sampled * (pts.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  const double threshold = avg_step * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_step / 2;
  interval += to_end < threshold ? to_end : avg_step / 2;
  // One multiplication by a combined factor, as Prometheus does, so results agree to the bit
  // with promtool (checked: rate over exact counters gives 50 * (1/300), not 50 / 300).
  double factor = interval / sampled;
  if (rate) factor /= static_cast<double>(range_end - range_start) / 1000;
  return result * factor;
}

// Least-squares slope and intercept at time `at_ms` (Prometheus linearRegression).
std::pair<double, double> regression(const std::vector<Point>& pts, int64_t at_ms) {
  double n = 0, sx = 0, sy = 0, sxy = 0, sx2 = 0;
  bool constant_y = true;
  for (const auto& p : pts) {
    const double x = static_cast<double>(p.t_ms - at_ms) / 1000;
    if (p.v != pts.front().v) constant_y = false;
    n += 1;
    sx += x;
    sy += p.v;
    sxy += x * p.v;
    sx2 += x * x;
  }
  if (constant_y) return {0, pts.front().v};
  const double cov = sxy - sx * sy / n;
  const double var = sx2 - sx * sx / n;
  const double slope = cov / var;
  return {slope, sy / n - slope * sx / n};
}

double quantile_of(double q, std::vector<double> values) {
  if (values.empty()) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values.begin(), values.end());
  const double rank = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::max(0.0, std::floor(rank)));
  const size_t hi = std::min(values.size() - 1, lo + 1);
  const double w = rank - std::floor(rank);
  return values[lo] * (1 - w) + values[hi] * w;
}

// The numerics below follow Prometheus 2.42's order of operations exactly, so that a rule test
// gives promtool's verdict digit for digit (promtool compares values exactly).

// Neumaier's compensated addition: returns sum + inc and accumulates the low-order part the
// addition lost in `c` (the caller adds c once at the end).
double compensated_add(double inc, double sum, double& c) {
  const double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc))
    c += (sum - t) + inc;
  else
    c += (inc - t) + sum;
  return t;
}

// A running mean that reached an infinity keeps it unless x is a NaN or the other infinity
// (the update would compute Inf - Inf otherwise).
bool keeps_infinite_mean(double mean, double x) {
  if (!std::isinf(mean)) return false;
  if (std::isinf(x)) return (mean > 0) == (x > 0);
  return !std::isnan(x);
}

// sum_over_time: a compensated sum.
double sum_over_time(const std::vector<double>& v) {
  double sum = 0, c = 0;
  for (double x : v) sum = compensated_add(x, sum, c);
  return std::isinf(sum) ? sum : sum + c;
}

// avg_over_time: a compensated running mean.
double avg_over_time(const std::vector<double>& v) {
  double mean = 0, count = 0, c = 0;
  for (double x : v) {
    count += 1;
    if (keeps_infinite_mean(mean, x)) continue;
    mean = compensated_add(x / count - mean / count, mean, c);
  }
  return std::isinf(mean) ? mean : mean + c;
}

// stdvar_over_time: Welford's algorithm with compensated mean and sum of squares.
double stdvar_over_time(const std::vector<double>& v) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (double x : v) {
    count += 1;
    const double delta = x - (mean + c_mean);
    mean = compensated_add(delta / count, mean, c_mean);
    aux = compensated_add(delta * (x - (mean + c_mean)), aux, c_aux);
  }
  return (aux + c_aux) / count;
}

// min_over_time / max_over_time: the first value, replaced by any smaller (larger) one; a NaN
// is replaced by whatever follows.
double extreme_over_time(const std::vector<double>& v, bool want_max) {
  double r = v.front();
  for (double x : v)
    if ((want_max ? r < x : r > x) || std::isnan(r)) r = x;
  return r;
}

// The aggregation operators' running forms, fed in the input vector's order.
double aggregate_avg(const std::vector<double>& v) {
  double mean = v.front(), count = 1;
  for (size_t i = 1; i < v.size(); ++i) {
    const double x = v[i];
    count += 1;
    if (keeps_infinite_mean(mean, x)) continue;
    mean += x / count - mean / count;
  }
  return mean;
}

double aggregate_stdvar(const std::vector<double>& v) {
  double mean = v.front(), count = 1, value = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    const double x = v[i];
    count += 1;
    const double delta = x - mean;
    mean += delta / count;
    value += delta * (x - mean);
  }
  return value / count;
}

// Prometheus bucketQuantile for classic histograms.
double bucket_quantile(double q, std::vector<std::pair<double, double>> buckets) {
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(buckets.begin(), buckets.end());
  if (buckets.size() < 2 || !std::isinf(buckets.back().first)) return kNaN;
  for (size_t i = 1; i < buckets.size(); ++i) buckets[i].second = std::max(buckets[i].second, buckets[i - 1].second);
  const double observations = buckets.back().second;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t b = 0;
  while (b < buckets.size() - 1 && buckets[b].second < rank) ++b;
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].first;
  if (b == 0 && buckets[0].first <= 0) return buckets[0].first;
  double start = 0, end = buckets[b].first, count = buckets[b].second;
  if (b > 0) {
    start = buckets[b - 1].first;
    count -= buckets[b - 1].second;
    rank -= buckets[b - 1].second;
  }
  return start + (end - start) * (rank / count);
}

// Expands $1, ${1}, $name and ${name} in a label_replace replacement.
std::string expand(const std::string& tmpl, const std::vector<std::string>& groups,
                   const std::map<std::string, int>& names) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out += tmpl[i];
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string ref;
    size_t j = i + 1;
    if (tmpl[j] == '{') {
      const size_t close = tmpl.find('}', j);
      if (close == std::string::npos) {
        out += tmpl[i];
        continue;
      }
      ref = tmpl.substr(j + 1, close - j - 1);
      j = close + 1;
    } else {
      while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) ++j;
      ref = tmpl.substr(i + 1, j - i - 1);
    }
    int idx = -1;
    // Like Go's regexp.Expand: a number of 9 digits or more names no group (it expands to "").
    if (!ref.empty() && ref.size() < 9 &&
        std::all_of(ref.begin(), ref.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      idx = std::stoi(ref);
    } else if (auto it = names.find(ref); it != names.end()) {
      idx = it->second;
    }
    if (idx >= 0 && static_cast<size_t>(idx) < groups.size()) out += groups[static_cast<size_t>(idx)];
    i = j - 1;
  }
  return out;
}

// ---- the evaluator proper ------------------------------------------------------------------

class Eval {
 public:
  Eval(const metrics::SeriesStore& store, int64_t lookback, int64_t t) : store_(store), lookback_(lookback), t_(t) {}

  Value eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::number: return scalar(e.number);
      case Expr::Kind::string: {
        Value v;
        v.type = ValueType::string;
        v.string = e.text;
        return v;
      }
      case Expr::Kind::paren: return eval(*e.operand);
      case Expr::Kind::vector_selector: return instant(e);
      case Expr::Kind::matrix_selector: return range(e);
      case Expr::Kind::unary: {
        Value v = eval(*e.operand);
        if (v.type == ValueType::scalar) return scalar(-v.scalar);
        for (auto& s : v.vector) {
          s.value = -s.value;
          drop_name(s.labels);
        }
        check_unique(v.vector);
        return v;
      }
      case Expr::Kind::binary: return binary(e);
      case Expr::Kind::aggregate: return aggregate(e);
      case Expr::Kind::call: return call(e);
    }
    throw EvalError{"unknown expression"};
  }

 private:
  static Value scalar(double d) {
    Value v;
    v.scalar = d;
    return v;
  }
  static Value vec(std::vector<InstantSample> s) {
    Value v;
    v.type = ValueType::vector;
    v.vector = std::move(s);
    return v;
  }

  Value instant(const Expr& e) {
    const int64_t at = t_ - e.offset.count();
    std::vector<InstantSample> out;
    // Windows are closed at both ends, as in Prometheus 2.x (Debian's promtool): a sample
    // exactly `lookback` (or a range) old still counts.
    for (auto& s : store_.select(e.compiled, at - lookback_, at, metrics::SeriesStore::Window::last_point)) {
      const Point& last = s.points.back();
      if (metrics::is_stale_marker(last.v)) continue;
      out.push_back({std::move(s.labels), last.v, last.t_ms});
    }
    return vec(std::move(out));
  }

  Value range(const Expr& e) {
    const int64_t end = t_ - e.offset.count();
    Value v;
    v.type = ValueType::matrix;
    for (auto& s : store_.select(e.compiled, end - e.range.count(), end)) {
      s.points.erase(std::remove_if(s.points.begin(), s.points.end(),
                                    [](const Point& p) { return metrics::is_stale_marker(p.v); }),
                     s.points.end());
      if (!s.points.empty()) v.matrix.push_back(std::move(s));
    }
    return v;
  }

  Value binary(const Expr& e) {
    Value l = eval(*e.lhs), r = eval(*e.rhs);
    if (l.type == ValueType::scalar && r.type == ValueType::scalar)
      return scalar(apply(e.op, l.scalar, r.scalar, true).first);
    if (is_set_operator(e.op)) return set_op(e, std::move(l.vector), std::move(r.vector));
    const bool drop = !is_comparison(e.op) || e.return_bool;
    if (l.type == ValueType::scalar || r.type == ValueType::scalar) {
      const bool scalar_left = l.type == ValueType::scalar;
      auto& v = scalar_left ? r.vector : l.vector;
      const double s = scalar_left ? l.scalar : r.scalar;
      std::vector<InstantSample> out;
      for (auto& smp : v) {
        auto [val, keep] =
            scalar_left ? apply(e.op, s, smp.value, e.return_bool) : apply(e.op, smp.value, s, e.return_bool);
        if (!keep) continue;
        // A filtering comparison keeps the vector's own value, whichever side it is on.
        if (is_comparison(e.op) && !e.return_bool) val = smp.value;
        if (drop) drop_name(smp.labels);
        smp.value = val;
        out.push_back(std::move(smp));
      }
      check_unique(out);
      return vec(std::move(out));
    }
    return vector_op(e, std::move(l.vector), std::move(r.vector));
  }

  Value set_op(const Expr& e, std::vector<InstantSample> l, std::vector<InstantSample> r) {
    std::set<LabelSet> rsigs, lsigs;
    for (const auto& s : r) rsigs.insert(signature(s.labels, e.matching));
    for (const auto& s : l) lsigs.insert(signature(s.labels, e.matching));
    std::vector<InstantSample> out;
    switch (e.op) {
      case BinaryOp::land:
        for (auto& s : l)
          if (rsigs.count(signature(s.labels, e.matching))) out.push_back(std::move(s));
        break;
      case BinaryOp::lunless:
        for (auto& s : l)
          if (!rsigs.count(signature(s.labels, e.matching))) out.push_back(std::move(s));
        break;
      default:  // or
        out = std::move(l);
        for (auto& s : r)
          if (!lsigs.count(signature(s.labels, e.matching))) out.push_back(std::move(s));
    }
    return vec(std::move(out));
  }

  Value vector_op(const Expr& e, std::vector<InstantSample> l, std::vector<InstantSample> r) {
    const VectorMatching& m = e.matching;
    const bool right_many = m.card == Cardinality::one_to_many;
    // "many" is the side whose labels the result keeps; "one" must be unique per signature.
    auto& many = right_many ? r : l;
    auto& one = right_many ? l : r;
    std::map<LabelSet, const InstantSample*> one_by_sig;
    for (const auto& s : one) {
      auto sig = signature(s.labels, m);
      if (!one_by_sig.emplace(sig, &s).second)
        throw EvalError{std::string("found duplicate series for the match group ") + labels_text(sig) + " on the " +
                        (right_many ? "left" : "right") +
                        " hand-side of the operation; many-to-many matching not allowed: matching labels must be "
                        "unique on one side"};
    }
    std::vector<InstantSample> out;
    std::set<LabelSet> matched_one_to_one;
    std::set<LabelSet> produced;
    const bool drop = !is_comparison(e.op) || e.return_bool;
    for (auto& s : many) {
      auto sig = signature(s.labels, m);
      auto it = one_by_sig.find(sig);
      if (it == one_by_sig.end()) continue;
      if (m.card == Cardinality::one_to_one && !matched_one_to_one.insert(sig).second)
        throw EvalError{"multiple matches for labels " + labels_text(sig) +
                        ": many-to-one matching must be explicit (group_left/group_right)"};
      const double lv = right_many ? it->second->value : s.value;
      const double rv = right_many ? s.value : it->second->value;
      auto [val, keep] = apply(e.op, lv, rv, e.return_bool);
      if (!keep) continue;
      LabelSet labels = s.labels;
      if (drop) drop_name(labels);
      if (m.card == Cardinality::one_to_one) {
        if (m.on) {
          LabelSet kept;
          for (const auto& [k, v] : labels)
            if (std::find(m.labels.begin(), m.labels.end(), k) != m.labels.end()) kept.emplace_back(k, v);
          labels = std::move(kept);
        } else {
          for (const auto& name : m.labels) set_label(labels, name, "");
        }
      }
      for (const auto& name : m.include) set_label(labels, name, get_label(it->second->labels, name));
      if (m.card != Cardinality::one_to_one && !produced.insert(labels).second)
        throw EvalError{"multiple matches for labels " + labels_text(labels) +
                        ": grouping labels must ensure unique matches"};
      out.push_back({std::move(labels), val, t_});
    }
    check_unique(out);
    return vec(std::move(out));
  }

  Value aggregate(const Expr& e) {
    Value in = eval(*e.operand);
    double param = 0;
    std::string param_str;
    if (e.param) {
      Value p = eval(*e.param);
      param = p.scalar;
      param_str = p.string;
    }
    const std::string& op = e.text;
    auto group_key = [&](const LabelSet& l) {
      LabelSet out;
      for (const auto& [k, v] : l) {
        const bool listed = std::find(e.grouping.begin(), e.grouping.end(), k) != e.grouping.end();
        if (e.without ? (!listed && k != "__name__") : listed) out.emplace_back(k, v);
      }
      return out;
    };
    std::map<LabelSet, std::vector<const InstantSample*>> groups;
    std::vector<LabelSet> order;
    for (const auto& s : in.vector) {
      auto key = group_key(s.labels);
      auto [it, inserted] = groups.try_emplace(key);
      if (inserted) order.push_back(key);
      it->second.push_back(&s);
    }
    std::vector<InstantSample> out;
    for (const auto& key : order) {
      const auto& members = groups[key];
      std::vector<double> vals;
      for (const auto* s : members) vals.push_back(s->value);
      if (op == "topk" || op == "bottomk") {
        const long long k = static_cast<long long>(param);
        std::vector<const InstantSample*> sorted = members;
        std::stable_sort(sorted.begin(), sorted.end(), [&](const auto* a, const auto* b) {
          if (std::isnan(a->value)) return false;
          if (std::isnan(b->value)) return true;
          return op == "topk" ? a->value > b->value : a->value < b->value;
        });
        for (long long i = 0; i < k && i < static_cast<long long>(sorted.size()); ++i)
          out.push_back(*sorted[static_cast<size_t>(i)]);
        continue;
      }
      if (op == "count_values") {
        std::map<std::string, double> counts;
        for (double v : vals) counts[metrics::format_float(v)] += 1;
        for (const auto& [text, n] : counts) {
          LabelSet l = key;
          set_label(l, param_str, text);
          out.push_back({std::move(l), n, t_});
        }
        continue;
      }
      double r = 0;
      if (op == "sum") {
        r = vals.front();
        for (size_t i = 1; i < vals.size(); ++i) r += vals[i];
      } else if (op == "avg") {
        r = aggregate_avg(vals);
      } else if (op == "min") {
        r = vals.front();
        for (double v : vals)
          if (r > v || std::isnan(r)) r = v;
      } else if (op == "max") {
        r = vals.front();
        for (double v : vals)
          if (r < v || std::isnan(r)) r = v;
      } else if (op == "count") {
        r = static_cast<double>(vals.size());
      } else if (op == "group") {
        r = 1;
      } else if (op == "stddev") {
        r = std::sqrt(aggregate_stdvar(vals));
      } else if (op == "stdvar") {
        r = aggregate_stdvar(vals);
      } else if (op == "quantile") {
        r = quantile_of(param, vals);
      }
      out.push_back({key, r, t_});
    }
    return vec(std::move(out));
  }

  Value call(const Expr& e) {
    const std::string& f = e.text;
    if (f == "time") return scalar(static_cast<double>(t_) / 1000);
    if (f == "vector") return vec({{{}, eval(*e.args[0]).scalar, t_}});
    if (f == "scalar") {
      Value v = eval(*e.args[0]);
      return scalar(v.vector.size() == 1 ? v.vector[0].value : kNaN);
    }
    if (f == "absent" || f == "absent_over_time") {
      Value v = eval(*e.args[0]);
      if (!(v.type == ValueType::vector ? v.vector.empty() : v.matrix.empty())) return vec({});
      // Labels from the selector's equality matchers (none if a name repeats with other values).
      LabelSet l;
      const Expr* sel = e.args[0].get();
      while (sel->kind == Expr::Kind::paren) sel = sel->operand.get();
      if (sel->kind == Expr::Kind::vector_selector || sel->kind == Expr::Kind::matrix_selector) {
        std::map<std::string, int> seen;
        for (const auto& m : sel->matchers) ++seen[m.name];
        for (const auto& m : sel->matchers)
          if (m.op == MatchOp::equal && m.name != "__name__" && seen[m.name] == 1) l.emplace_back(m.name, m.value);
        std::sort(l.begin(), l.end());
      }
      return vec({{std::move(l), 1, t_}});
    }
    if (f == "histogram_quantile") return histogram_quantile(eval(*e.args[0]).scalar, eval(*e.args[1]).vector);
    if (f == "label_replace") return label_replace(e);
    if (f == "label_join") return label_join(e);
    if (e.args[0]->type == ValueType::matrix || (e.args.size() > 1 && e.args[1]->type == ValueType::matrix))
      return range_function(e);
    return math_function(e);
  }

  Value range_function(const Expr& e) {
    const std::string& f = e.text;
    const size_t mi = f == "quantile_over_time" ? 1 : 0;
    const Expr& sel = *e.args[mi];
    Value m = eval(sel);
    double extra = 0;
    if (f == "quantile_over_time") extra = eval(*e.args[0]).scalar;
    if (f == "predict_linear") extra = eval(*e.args[1]).scalar;
    const int64_t end = t_ - sel.offset.count();
    const int64_t start = end - sel.range.count();
    std::vector<InstantSample> out;
    out.reserve(m.matrix.size());
    // Only the _over_time functions look at the values alone.
    const bool needs_values = f.size() > 10 && f.compare(f.size() - 10, 10, "_over_time") == 0;
    std::vector<double> vals;
    for (auto& s : m.matrix) {
      const auto& p = s.points;
      std::optional<double> r;
      vals.clear();
      if (needs_values) {
        vals.reserve(p.size());
        for (const auto& pt : p) vals.push_back(pt.v);
      }
      if (f == "rate")
        r = extrapolated(p, start, end, true, true);
      else if (f == "increase")
        r = extrapolated(p, start, end, true, false);
      else if (f == "delta")
        r = extrapolated(p, start, end, false, false);
      else if (f == "irate" || f == "idelta") {
        if (p.size() >= 2) {
          const auto& a = p[p.size() - 2];
          const auto& b = p.back();
          double d = b.v - a.v;
          if (f == "irate") {
            if (b.v < a.v) d = b.v;  // counter reset
            r = d / (static_cast<double>(b.t_ms - a.t_ms) / 1000);
          } else {
            r = d;
          }
        }
      } else if (f == "deriv") {
        if (p.size() >= 2) r = regression(p, p.front().t_ms).first;
      } else if (f == "predict_linear") {
        if (p.size() >= 2) {
          auto [slope, intercept] = regression(p, t_);
          r = intercept + slope * extra;
        }
      } else if (f == "changes" || f == "resets") {
        double n = 0;
        for (size_t i = 1; i < p.size(); ++i) {
          if (f == "changes" ? (p[i].v != p[i - 1].v && !(std::isnan(p[i].v) && std::isnan(p[i - 1].v)))
                             : p[i].v < p[i - 1].v)
            n += 1;
        }
        r = n;
      } else if (f == "avg_over_time")
        r = avg_over_time(vals);
      else if (f == "sum_over_time")
        r = sum_over_time(vals);
      else if (f == "min_over_time")
        r = extreme_over_time(vals, false);
      else if (f == "max_over_time")
        r = extreme_over_time(vals, true);
      else if (f == "count_over_time")
        r = static_cast<double>(vals.size());
      else if (f == "last_over_time")
        r = vals.back();
      else if (f == "quantile_over_time")
        r = quantile_of(extra, vals);
      else if (f == "stddev_over_time")
        r = std::sqrt(stdvar_over_time(vals));
      else if (f == "stdvar_over_time")
        r = stdvar_over_time(vals);
      else if (f == "present_over_time")
        r = 1;
      if (!r) continue;
      if (f != "last_over_time") drop_name(s.labels);
      out.push_back({std::move(s.labels), *r, t_});
    }
    check_unique(out);
    return vec(std::move(out));
  }

  Value math_function(const Expr& e) {
    const std::string& f = e.text;
    Value v = eval(*e.args[0]);
    std::vector<double> extra;
    for (size_t i = 1; i < e.args.size(); ++i) extra.push_back(eval(*e.args[i]).scalar);
    if (f == "clamp" && extra[0] > extra[1]) return vec({});
    std::vector<InstantSample> out;
    for (auto& s : v.vector) {
      double x = s.value;
      if (f == "abs")
        x = std::fabs(x);
      else if (f == "ceil")
        x = std::ceil(x);
      else if (f == "floor")
        x = std::floor(x);
      else if (f == "round") {
        const double to = extra.empty() ? 1 : extra[0];
        x = std::floor(x * (1 / to) + 0.5) / (1 / to);
      } else if (f == "exp")
        x = std::exp(x);
      else if (f == "sqrt")
        x = std::sqrt(x);
      else if (f == "ln")
        x = std::log(x);
      else if (f == "log2")
        x = std::log2(x);
      else if (f == "log10")
        x = std::log10(x);
      else if (f == "sgn")
        x = x > 0 ? 1 : x < 0 ? -1 : x;
      else if (f == "clamp")
        x = std::max(extra[0], std::min(extra[1], x));
      else if (f == "clamp_min")
        x = std::max(extra[0], x);
      else if (f == "clamp_max")
        x = std::min(extra[0], x);
      else if (f == "timestamp")
        x = static_cast<double>(s.t_ms) / 1000;
      drop_name(s.labels);
      s.value = x;
      out.push_back(std::move(s));
    }
    check_unique(out);
    return vec(std::move(out));
  }

  Value histogram_quantile(double q, std::vector<InstantSample> in) {
    std::map<LabelSet, std::vector<std::pair<double, double>>> groups;
    std::vector<LabelSet> order;
    for (auto& s : in) {
      const std::string le = get_label(s.labels, "le");
      if (le.empty()) continue;
      const double bound = le == "+Inf" ? kInf : std::strtod(le.c_str(), nullptr);
      LabelSet key = s.labels;
      set_label(key, "le", "");
      drop_name(key);
      auto [it, inserted] = groups.try_emplace(key);
      if (inserted) order.push_back(key);
      it->second.emplace_back(bound, s.value);
    }
    std::vector<InstantSample> out;
    for (const auto& key : order) out.push_back({key, bucket_quantile(q, groups[key]), t_});
    return vec(std::move(out));
  }

  Value label_replace(const Expr& e) {
    Value v = eval(*e.args[0]);
    const std::string dst = eval(*e.args[1]).string, repl = eval(*e.args[2]).string, src = eval(*e.args[3]).string,
                      pattern = eval(*e.args[4]).string;
    RE2::Options opts;
    opts.set_log_errors(false);
    RE2 re("^(?:" + pattern + ")$", opts);
    if (!re.ok()) throw EvalError{"invalid regular expression in label_replace(): \"" + pattern + "\": " + re.error()};
    std::map<std::string, int> names(re.NamedCapturingGroups().begin(), re.NamedCapturingGroups().end());
    const int n = re.NumberOfCapturingGroups();
    for (auto& s : v.vector) {
      const std::string value = get_label(s.labels, src);
      std::vector<re2::StringPiece> groups(static_cast<size_t>(n) + 1);
      if (!re.Match(value, 0, value.size(), RE2::UNANCHORED, groups.data(), n + 1)) continue;
      std::vector<std::string> gs;
      for (const auto& g : groups) gs.emplace_back(g.data() ? std::string(g.data(), g.size()) : std::string());
      set_label(s.labels, dst, expand(repl, gs, names));
    }
    check_unique(v.vector);
    return v;
  }

  Value label_join(const Expr& e) {
    Value v = eval(*e.args[0]);
    const std::string dst = eval(*e.args[1]).string, sep = eval(*e.args[2]).string;
    std::vector<std::string> srcs;
    for (size_t i = 3; i < e.args.size(); ++i) srcs.push_back(eval(*e.args[i]).string);
    for (auto& s : v.vector) {
      std::string joined;
      for (size_t i = 0; i < srcs.size(); ++i) joined += (i ? sep : "") + get_label(s.labels, srcs[i]);
      set_label(s.labels, dst, joined);
    }
    check_unique(v.vector);
    return v;
  }

  const metrics::SeriesStore& store_;
  int64_t lookback_;
  int64_t t_;
};

}  // namespace

Result<Value> Evaluator::eval(const Expr& e, int64_t t_ms) const {
  try {
    return Eval(store_, lookback_ms_, t_ms).eval(e);
  } catch (const EvalError& err) {
    return Status::error(err.message);
  } catch (const std::bad_alloc&) {
    return Status::error("out of memory while evaluating the expression (reduce the series it selects)");
  } catch (const std::exception& err) {
    // A defect, not a user error; reported through the rule's health rather than lost.
    return Status::error(std::string("evaluation failed: ") + err.what());
  }
}

}  // namespace vigil::rules
