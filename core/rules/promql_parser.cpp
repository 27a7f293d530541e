#include "rules/promql_parser.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

namespace vigil::rules {
namespace {

// ---------------------------------------------------------------------------------------------
// Functions: argument types and result type. The last argument of label_join repeats.
struct Signature {
  std::vector<ValueType> args;
  ValueType result;
  size_t min_args;  // optional trailing arguments (round's to_nearest)
  bool variadic_last = false;
};

using VT = ValueType;
const std::map<std::string, Signature, std::less<>>& functions() {
  static const std::map<std::string, Signature, std::less<>> table = [] {
    std::map<std::string, Signature, std::less<>> t;
    for (const char* f : {"rate", "increase", "delta", "irate", "idelta", "deriv", "changes", "resets", "avg_over_time",
                          "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "last_over_time",
                          "stddev_over_time", "stdvar_over_time", "present_over_time", "absent_over_time"})
      t[f] = {{VT::matrix}, VT::vector, 1};
    for (const char* f : {"abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "sgn", "timestamp", "absent"})
      t[f] = {{VT::vector}, VT::vector, 1};
    t["predict_linear"] = {{VT::matrix, VT::scalar}, VT::vector, 2};
    t["quantile_over_time"] = {{VT::scalar, VT::matrix}, VT::vector, 2};
    t["histogram_quantile"] = {{VT::scalar, VT::vector}, VT::vector, 2};
    t["round"] = {{VT::vector, VT::scalar}, VT::vector, 1};
    t["clamp"] = {{VT::vector, VT::scalar, VT::scalar}, VT::vector, 3};
    t["clamp_min"] = {{VT::vector, VT::scalar}, VT::vector, 2};
    t["clamp_max"] = {{VT::vector, VT::scalar}, VT::vector, 2};
    t["time"] = {{}, VT::scalar, 0};
    t["vector"] = {{VT::scalar}, VT::vector, 1};
    t["scalar"] = {{VT::vector}, VT::scalar, 1};
    t["label_replace"] = {{VT::vector, VT::string, VT::string, VT::string, VT::string}, VT::vector, 5};
    t["label_join"] = {{VT::vector, VT::string, VT::string, VT::string}, VT::vector, 3, true};
    return t;
  }();
  return table;
}

const std::vector<std::string> kAggregations = {"sum",    "avg",    "min",  "max",     "count",    "group",
                                                "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values"};

bool aggregation_takes_param(const std::string& op) {
  return op == "topk" || op == "bottomk" || op == "quantile" || op == "count_values";
}

std::string supported_functions() {
  std::string s;
  for (const auto& [name, sig] : functions()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Lexer
enum class Tok {
  end,
  ident,
  number,
  duration,
  string,
  lparen,
  rparen,
  lbrace,
  rbrace,
  lbracket,
  rbracket,
  comma,
  colon,
  assign,
  eq,
  ne,
  re,
  nre,
  lt,
  gt,
  le,
  ge,
  add,
  sub,
  mul,
  div,
  mod,
  pow,
  at
};

struct Token {
  Tok kind = Tok::end;
  size_t pos = 0;
  std::string text;  // ident, string contents, number/duration text
};

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  // Throws ParseError.
  std::vector<Token> run();

 private:
  std::string_view in_;
};

struct ParseError {
  size_t pos;
  std::string message;
};

bool is_keyword(const std::string& w) {
  static const char* kWords[] = {"by",   "without", "on",  "ignoring", "group_left", "group_right",
                                 "bool", "offset",  "and", "or",       "unless"};
  for (const char* k : kWords)
    if (w == k) return true;
  return std::find(kAggregations.begin(), kAggregations.end(), w) != kAggregations.end();
}

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}

std::vector<Token> Lexer::run() {
  std::vector<Token> out;
  size_t i = 0;
  int brackets = 0;
  while (true) {
    while (i < in_.size() && std::isspace(static_cast<unsigned char>(in_[i]))) ++i;
    if (i < in_.size() && in_[i] == '#') {  // comment to end of line
      while (i < in_.size() && in_[i] != '\n') ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (i >= in_.size()) {
      t.kind = Tok::end;
      out.push_back(t);
      return out;
    }
    const char c = in_[i];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < in_.size() && std::isdigit(static_cast<unsigned char>(in_[i + 1])))) {
      size_t j = i;
      if (c == '0' && j + 1 < in_.size() && (in_[j + 1] == 'x' || in_[j + 1] == 'X')) {
        j += 2;
        while (j < in_.size() && std::isxdigit(static_cast<unsigned char>(in_[j]))) ++j;
        t.kind = Tok::number;
      } else {
        while (j < in_.size() && (std::isdigit(static_cast<unsigned char>(in_[j])) || in_[j] == '.')) ++j;
        // A unit letter right after digits makes a duration (5m, 1h30m); e/E is an exponent.
        if (j < in_.size() && (in_[j] == 'e' || in_[j] == 'E') && j + 1 < in_.size() &&
            (std::isdigit(static_cast<unsigned char>(in_[j + 1])) || in_[j + 1] == '+' || in_[j + 1] == '-')) {
          j += 2;
          while (j < in_.size() && std::isdigit(static_cast<unsigned char>(in_[j]))) ++j;
          t.kind = Tok::number;
        } else if (j < in_.size() && std::isalpha(static_cast<unsigned char>(in_[j]))) {
          while (j < in_.size() && std::isalnum(static_cast<unsigned char>(in_[j]))) ++j;
          t.kind = Tok::duration;
        } else {
          t.kind = Tok::number;
        }
      }
      t.text = std::string(in_.substr(i, j - i));
      i = j;
    } else if (c == ':' && brackets > 0) {
      t.kind = Tok::colon;  // subquery step separator, reported by the parser
      ++i;
    } else if (ident_start(c)) {
      size_t j = i;
      while (j < in_.size() && ident_char(in_[j])) ++j;
      t.kind = Tok::ident;
      t.text = std::string(in_.substr(i, j - i));
      // Keywords and aggregation names are case-insensitive, as in Prometheus.
      std::string lower = t.text;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (is_keyword(lower)) t.text = lower;
      i = j;
    } else if (c == '"' || c == '\'' || c == '`') {
      size_t j = i + 1;
      std::string s;
      while (j < in_.size() && in_[j] != c) {
        if (in_[j] == '\\' && c != '`' && j + 1 < in_.size()) {
          ++j;
          switch (in_[j]) {
            case 'n': s += '\n'; break;
            case 't': s += '\t'; break;
            case 'r': s += '\r'; break;
            case '\\': s += '\\'; break;
            case '"': s += '"'; break;
            case '\'': s += '\''; break;
            default: s += '\\'; s += in_[j];
          }
        } else {
          s += in_[j];
        }
        ++j;
      }
      if (j >= in_.size()) throw ParseError{i, "unterminated string"};
      t.kind = Tok::string;
      t.text = std::move(s);
      i = j + 1;
    } else {
      struct P {
        const char* s;
        Tok k;
      };
      static constexpr P kPunct[] = {{"==", Tok::eq},    {"!=", Tok::ne},    {"=~", Tok::re},      {"!~", Tok::nre},
                                     {"<=", Tok::le},    {">=", Tok::ge},    {"(", Tok::lparen},   {")", Tok::rparen},
                                     {"{", Tok::lbrace}, {"}", Tok::rbrace}, {"[", Tok::lbracket}, {"]", Tok::rbracket},
                                     {",", Tok::comma},  {":", Tok::colon},  {"=", Tok::assign},   {"<", Tok::lt},
                                     {">", Tok::gt},     {"+", Tok::add},    {"-", Tok::sub},      {"*", Tok::mul},
                                     {"/", Tok::div},    {"%", Tok::mod},    {"^", Tok::pow},      {"@", Tok::at}};
      bool matched = false;
      for (const auto& p : kPunct) {
        const size_t n = std::strlen(p.s);
        if (in_.substr(i, n) == p.s) {
          t.kind = p.k;
          i += n;
          matched = true;
          break;
        }
      }
      if (t.kind == Tok::lbracket) ++brackets;
      if (t.kind == Tok::rbracket && brackets > 0) --brackets;
      if (!matched) throw ParseError{i, std::string("unexpected character '") + c + "'"};
    }
    out.push_back(std::move(t));
  }
}

// ---------------------------------------------------------------------------------------------
// Parser (precedence climbing, as Prometheus: ^ > * / % > + - > comparisons > and unless > or)
int precedence(Tok t, const std::string& ident) {
  switch (t) {
    case Tok::pow: return 6;
    case Tok::mul:
    case Tok::div:
    case Tok::mod: return 5;
    case Tok::add:
    case Tok::sub: return 4;
    case Tok::eq:
    case Tok::ne:
    case Tok::lt:
    case Tok::gt:
    case Tok::le:
    case Tok::ge: return 3;
    case Tok::ident:
      if (ident == "and" || ident == "unless") return 2;
      if (ident == "or") return 1;
      return 0;
    default: return 0;
  }
}

BinaryOp to_binary(Tok t, const std::string& ident) {
  switch (t) {
    case Tok::pow: return BinaryOp::pow;
    case Tok::mul: return BinaryOp::mul;
    case Tok::div: return BinaryOp::div;
    case Tok::mod: return BinaryOp::mod;
    case Tok::add: return BinaryOp::add;
    case Tok::sub: return BinaryOp::sub;
    case Tok::eq: return BinaryOp::eq;
    case Tok::ne: return BinaryOp::ne;
    case Tok::lt: return BinaryOp::lt;
    case Tok::gt: return BinaryOp::gt;
    case Tok::le: return BinaryOp::le;
    case Tok::ge: return BinaryOp::ge;
    default: break;
  }
  if (ident == "and") return BinaryOp::land;
  if (ident == "or") return BinaryOp::lor;
  return BinaryOp::lunless;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  ExprPtr parse_all() {
    auto e = expr(0);
    if (peek().kind != Tok::end) fail(peek().pos, "unexpected " + describe(peek()) + " after a complete expression");
    return e;
  }

 private:
  const Token& peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  Token next() { return t_[std::min(i_++, t_.size() - 1)]; }
  [[noreturn]] static void fail(size_t pos, std::string msg) { throw ParseError{pos, std::move(msg)}; }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::end: return "end of input";
      case Tok::ident: return "\"" + t.text + "\"";
      case Tok::number:
      case Tok::duration: return "\"" + t.text + "\"";
      case Tok::string: return "string \"" + t.text + "\"";
      default: return "token";
    }
  }
  Token expect(Tok k, const char* what) {
    if (peek().kind != k) fail(peek().pos, std::string("expected ") + what + ", found " + describe(peek()));
    return next();
  }
  bool at_ident(const char* word) const { return peek().kind == Tok::ident && peek().text == word; }

  // Every subexpression is parsed through here, so this bounds the parser's own recursion (deep
  // parentheses, nested calls, right-associative ^ chains) before the tree's height is known.
  static constexpr int kMaxNesting = 200;
  struct NestingGuard {
    int& depth;
    ~NestingGuard() { --depth; }
  };

  // Sets the height of a node from its children and refuses a tree too tall to walk safely
  // (a long chain of left-associative operators grows the height without nesting).
  void seal(Expr& n) {
    uint32_t h = 0;
    for (const ExprPtr* c : {&n.operand, &n.lhs, &n.rhs, &n.param})
      if (*c) h = std::max(h, (*c)->height);
    for (const auto& a : n.args) h = std::max(h, a->height);
    n.height = h + 1;
    if (n.height > kMaxExprHeight)
      fail(n.pos, "expression is nested too deeply (more than " + std::to_string(kMaxExprHeight) +
                      " levels of operators and calls); split it into recording rules");
  }

  ExprPtr expr(int min_prec) {
    if (++depth_ > kMaxNesting)
      fail(peek().pos, "expression is nested too deeply (more than " + std::to_string(kMaxNesting) +
                           " levels of parentheses, calls or operators); split it into recording rules");
    NestingGuard guard{depth_};
    auto lhs = unary();
    while (true) {
      const Token& op = peek();
      const int prec = precedence(op.kind, op.text);
      if (prec == 0 || prec < min_prec) break;
      next();
      auto node = std::make_shared<Expr>();
      node->kind = Expr::Kind::binary;
      node->pos = op.pos;
      node->op = to_binary(op.kind, op.text);
      if (at_ident("bool")) {
        if (!is_comparison(node->op)) fail(peek().pos, "bool modifier can only be used on comparison operators");
        next();
        node->return_bool = true;
      }
      modifiers(*node);
      // ^ is right-associative; everything else left-associative.
      auto rhs = expr(node->op == BinaryOp::pow ? prec : prec + 1);
      node->lhs = std::move(lhs);
      node->rhs = std::move(rhs);
      seal(*node);
      check_binary(*node);
      lhs = std::move(node);
    }
    return lhs;
  }

  void modifiers(Expr& node) {
    if (at_ident("on") || at_ident("ignoring")) {
      node.matching.has_modifier = true;
      node.matching.on = next().text == "on";
      node.matching.labels = label_list();
      if (at_ident("group_left") || at_ident("group_right")) {
        const Token g = next();
        if (is_set_operator(node.op))
          fail(g.pos, "no grouping allowed for \"" + std::string(binary_op_text(node.op)) + "\" operation");
        node.matching.card = g.text == "group_left" ? Cardinality::many_to_one : Cardinality::one_to_many;
        if (peek().kind == Tok::lparen) node.matching.include = label_list();
      }
    } else if (at_ident("group_left") || at_ident("group_right")) {
      fail(peek().pos, "group_left/group_right need on(...) or ignoring(...) before them");
    }
    if (is_set_operator(node.op)) node.matching.card = Cardinality::many_to_many;
  }

  std::vector<std::string> label_list() {
    expect(Tok::lparen, "\"(\" to open a label list");
    std::vector<std::string> out;
    while (peek().kind != Tok::rparen) {
      const Token l = next();
      if (l.kind != Tok::ident || l.text.find(':') != std::string::npos)
        fail(l.pos, "expected a label name, found " + describe(l));
      out.push_back(l.text);
      if (peek().kind == Tok::comma)
        next();
      else if (peek().kind != Tok::rparen)
        fail(peek().pos, "expected \",\" or \")\" in label list, found " + describe(peek()));
    }
    next();
    return out;
  }

  ExprPtr unary() {
    if (peek().kind == Tok::sub || peek().kind == Tok::add) {
      const Token op = next();
      // Unary minus binds looser than ^: -2^2 is -(2^2).
      auto operand = expr(6);
      if (operand->type != ValueType::scalar && operand->type != ValueType::vector)
        fail(op.pos,
             std::string("unary expression only allowed on expressions of type scalar or instant vector, got ") +
                 value_type_name(operand->type));
      if (op.kind == Tok::add) return operand;
      if (operand->kind == Expr::Kind::number) {
        auto n = std::make_shared<Expr>(*operand);
        n->number = -n->number;
        n->pos = op.pos;
        return n;
      }
      auto node = std::make_shared<Expr>();
      node->kind = Expr::Kind::unary;
      node->pos = op.pos;
      node->operand = std::move(operand);
      node->type = node->operand->type;
      seal(*node);
      return node;
    }
    return postfix(primary());
  }

  // [range], [range:step] (rejected), offset d, @ t (rejected).
  ExprPtr postfix(ExprPtr e) {
    while (true) {
      if (peek().kind == Tok::lbracket) {
        const Token open = next();
        const Token d = next();
        if (d.kind != Tok::duration && d.kind != Tok::number) fail(d.pos, "expected a duration such as 5m in [...]");
        if (peek().kind == Tok::colon)
          fail(peek().pos, "subqueries (expr[range:step]) are not supported; use a recording rule");
        expect(Tok::rbracket, "\"]\"");
        if (e->kind != Expr::Kind::vector_selector || e->offset.count() != 0)
          fail(open.pos, "ranges are only allowed on vector selectors, e.g. rate(metric[5m])");
        auto m = std::make_shared<Expr>(*e);
        m->kind = Expr::Kind::matrix_selector;
        m->range = duration_of(d);
        if (m->range.count() <= 0) fail(d.pos, "range must be greater than zero");
        m->type = ValueType::matrix;
        e = std::move(m);
      } else if (at_ident("offset")) {
        const Token o = next();
        bool neg = false;
        if (peek().kind == Tok::sub) {
          next();
          neg = true;
        }
        const Token d = next();
        if (d.kind != Tok::duration && d.kind != Tok::number) fail(d.pos, "expected a duration after offset");
        if (e->kind != Expr::Kind::vector_selector && e->kind != Expr::Kind::matrix_selector)
          fail(o.pos, "offset modifier must follow a selector");
        if (e->offset.count() != 0) fail(o.pos, "offset may not be set multiple times");
        auto m = std::make_shared<Expr>(*e);
        m->offset = neg ? -duration_of(d) : duration_of(d);
        e = std::move(m);
      } else if (peek().kind == Tok::at) {
        fail(peek().pos, "the @ modifier is not supported");
      } else {
        return e;
      }
    }
  }

  std::chrono::milliseconds duration_of(const Token& d) {
    if (d.kind == Tok::number) {
      const double ms = std::strtod(d.text.c_str(), nullptr) * 1000;
      if (!(ms >= 0 && ms < 9.2e18)) fail(d.pos, "duration " + d.text + " is out of range");
      return std::chrono::milliseconds(static_cast<int64_t>(ms));
    }
    auto r = parse_promql_duration(d.text);
    if (!r.ok()) fail(d.pos, r.message());
    return r.value();
  }

  ExprPtr primary() {
    const Token t = peek();
    switch (t.kind) {
      case Tok::number: {
        next();
        auto n = std::make_shared<Expr>();
        n->kind = Expr::Kind::number;
        n->pos = t.pos;
        n->number = t.text.rfind("0x", 0) == 0 || t.text.rfind("0X", 0) == 0
                        ? static_cast<double>(std::strtoll(t.text.c_str(), nullptr, 16))
                        : std::strtod(t.text.c_str(), nullptr);
        n->type = ValueType::scalar;
        return n;
      }
      case Tok::duration: fail(t.pos, "unexpected duration \"" + t.text + "\"; durations go in [...] or after offset");
      case Tok::string: {
        next();
        auto n = std::make_shared<Expr>();
        n->kind = Expr::Kind::string;
        n->pos = t.pos;
        n->text = t.text;
        n->type = ValueType::string;
        return n;
      }
      case Tok::lparen: {
        next();
        auto inner = expr(0);
        expect(Tok::rparen, "\")\"");
        auto p = std::make_shared<Expr>();
        p->kind = Expr::Kind::paren;
        p->pos = t.pos;
        p->type = inner->type;
        p->operand = std::move(inner);
        seal(*p);
        return p;
      }
      case Tok::lbrace: return selector("", t.pos);
      case Tok::ident: {
        if (t.text == "Inf" || t.text == "inf" || t.text == "NaN" || t.text == "nan") {
          next();
          auto n = std::make_shared<Expr>();
          n->kind = Expr::Kind::number;
          n->pos = t.pos;
          n->number = (t.text[0] == 'I' || t.text[0] == 'i') ? std::numeric_limits<double>::infinity()
                                                             : std::numeric_limits<double>::quiet_NaN();
          return n;
        }
        if (std::find(kAggregations.begin(), kAggregations.end(), t.text) != kAggregations.end() &&
            (peek(1).kind == Tok::lparen ||
             (peek(1).kind == Tok::ident && (peek(1).text == "by" || peek(1).text == "without"))))
          return aggregation();
        if (peek(1).kind == Tok::lparen) return call();
        for (const char* kw :
             {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless"})
          if (t.text == kw) fail(t.pos, "unexpected keyword \"" + t.text + "\"");
        next();
        return selector(t.text, t.pos);
      }
      case Tok::end: fail(t.pos, "unexpected end of input; an expression is missing");
      default: fail(t.pos, "unexpected " + describe(t) + "; expected an expression");
    }
  }

  ExprPtr selector(const std::string& metric, size_t pos) {
    auto s = std::make_shared<Expr>();
    s->kind = Expr::Kind::vector_selector;
    s->pos = pos;
    s->metric = metric;
    s->type = ValueType::vector;
    std::vector<size_t> value_pos;  // of each matcher's value, for regex errors
    if (!metric.empty()) {
      s->matchers.push_back({"__name__", MatchOp::equal, metric});
      value_pos.push_back(pos);
    }
    if (peek().kind == Tok::lbrace) {
      next();
      while (peek().kind != Tok::rbrace) {
        const Token name = next();
        if (name.kind != Tok::ident || name.text.find(':') != std::string::npos)
          fail(name.pos, "expected a label name in {...}, found " + describe(name));
        const Token op = next();
        MatchOp mop;
        switch (op.kind) {
          case Tok::assign: mop = MatchOp::equal; break;
          case Tok::ne: mop = MatchOp::not_equal; break;
          case Tok::re: mop = MatchOp::regex; break;
          case Tok::nre: mop = MatchOp::not_regex; break;
          case Tok::eq: fail(op.pos, "use \"=\" (not \"==\") in label matchers");
          default: fail(op.pos, "expected one of = != =~ !~ after label \"" + name.text + "\"");
        }
        const Token v = expect(Tok::string, "a quoted label value");
        if (name.text == "__name__" && !metric.empty())
          fail(name.pos, "metric name given twice (before {} and as __name__)");
        s->matchers.push_back({name.text, mop, v.text});
        value_pos.push_back(v.pos);
        if (peek().kind == Tok::comma)
          next();
        else if (peek().kind != Tok::rbrace)
          fail(peek().pos, "expected \",\" or \"}\" in label matchers, found " + describe(peek()));
      }
      next();
    }
    // Compiled once here, so evaluation never compiles a regex and a bad one is a parse error.
    for (size_t i = 0; i < s->matchers.size(); ++i) {
      const auto& m = s->matchers[i];
      auto op = static_cast<metrics::LabelMatcher::Op>(static_cast<int>(m.op));
      auto compiled = metrics::LabelMatcher::make(m.name, op, m.value);
      if (!compiled.ok()) fail(value_pos[i], compiled.message());
      s->compiled.push_back(std::move(compiled.value()));
    }
    // A selector must not match everything: at least one matcher that rejects the empty string.
    const bool selective =
        std::any_of(s->compiled.begin(), s->compiled.end(), [](const auto& m) { return !m.matches(""); });
    if (!selective) fail(pos, "vector selector must contain at least one non-empty matcher");
    return s;
  }

  ExprPtr aggregation() {
    const Token op = next();
    auto a = std::make_shared<Expr>();
    a->kind = Expr::Kind::aggregate;
    a->pos = op.pos;
    a->text = op.text;
    a->type = ValueType::vector;
    auto grouping = [&] {
      a->without = next().text == "without";
      a->grouping = label_list();
    };
    if (at_ident("by") || at_ident("without")) grouping();
    expect(Tok::lparen, "\"(\"");
    if (aggregation_takes_param(op.text)) {
      a->param = expr(0);
      expect(Tok::comma, "\",\" after the parameter");
      const ValueType want = op.text == "count_values" ? ValueType::string : ValueType::scalar;
      if (a->param->type != want)
        fail(a->param->pos, "expected type " + std::string(value_type_name(want)) + " in aggregation parameter, got " +
                                value_type_name(a->param->type));
    }
    a->operand = expr(0);
    expect(Tok::rparen, "\")\"");
    if (at_ident("by") || at_ident("without")) {
      if (!a->grouping.empty() || a->without) fail(peek().pos, "grouping given twice");
      grouping();
    }
    if (a->operand->type != ValueType::vector)
      fail(a->operand->pos, "expected type instant vector in aggregation expression, got " +
                                std::string(value_type_name(a->operand->type)));
    seal(*a);
    return a;
  }

  ExprPtr call() {
    const Token name = next();
    const auto& table = functions();
    auto it = table.find(name.text);
    if (it == table.end())
      fail(name.pos,
           "unknown or unsupported function \"" + name.text + "\" (supported: " + supported_functions() + ")");
    const Signature& sig = it->second;
    next();  // (
    auto c = std::make_shared<Expr>();
    c->kind = Expr::Kind::call;
    c->pos = name.pos;
    c->text = name.text;
    c->type = sig.result;
    while (peek().kind != Tok::rparen) {
      c->args.push_back(expr(0));
      if (peek().kind == Tok::comma)
        next();
      else if (peek().kind != Tok::rparen)
        fail(peek().pos, "expected \",\" or \")\" in arguments of " + name.text + ", found " + describe(peek()));
    }
    next();
    const size_t n = c->args.size();
    const size_t max = sig.variadic_last ? std::numeric_limits<size_t>::max() : sig.args.size();
    if (n < sig.min_args || n > max)
      fail(name.pos, "function \"" + name.text + "\" expects " +
                         (sig.min_args == sig.args.size()
                              ? std::to_string(sig.min_args)
                              : std::to_string(sig.min_args) +
                                    (sig.variadic_last ? " or more" : " to " + std::to_string(sig.args.size()))) +
                         " argument(s), got " + std::to_string(n));
    for (size_t i = 0; i < n; ++i) {
      const ValueType want = sig.args[std::min(i, sig.args.size() - 1)];
      if (c->args[i]->type != want)
        fail(c->args[i]->pos, "expected type " + std::string(value_type_name(want)) + " in call to function \"" +
                                  name.text + "\", got " + value_type_name(c->args[i]->type));
    }
    seal(*c);
    return c;
  }

  void check_binary(Expr& b) {
    const ValueType l = b.lhs->type, r = b.rhs->type;
    for (const auto& side : {b.lhs, b.rhs})
      if (side->type != ValueType::scalar && side->type != ValueType::vector)
        fail(side->pos, std::string("binary expression must contain only scalar and instant vector types, got ") +
                            value_type_name(side->type));
    if (is_set_operator(b.op) && (l != ValueType::vector || r != ValueType::vector))
      fail(b.pos, "set operator \"" + std::string(binary_op_text(b.op)) + "\" not allowed in binary scalar expression");
    if (is_comparison(b.op) && l == ValueType::scalar && r == ValueType::scalar && !b.return_bool)
      fail(b.pos, "comparisons between scalars must use the bool modifier");
    if (b.matching.has_modifier && (l != ValueType::vector || r != ValueType::vector))
      fail(b.pos, "vector matching only allowed between instant vectors");
    b.type = (l == ValueType::vector || r == ValueType::vector) ? ValueType::vector : ValueType::scalar;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;  // calls of expr() in progress
};

std::string with_caret(std::string_view input, size_t pos, const std::string& message) {
  // Line and column, then the offending line with a caret under the position.
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < pos && i < input.size(); ++i)
    if (input[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  size_t line_end = input.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = input.size();
  const size_t col = pos - line_start;
  return std::to_string(line) + ":" + std::to_string(col + 1) + ": " + message + "\n  " +
         std::string(input.substr(line_start, line_end - line_start)) + "\n  " + std::string(col, ' ') + "^";
}

}  // namespace

Result<std::chrono::milliseconds> parse_promql_duration(std::string_view text) {
  static const std::pair<std::string_view, int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {"w", 604800000}, {"y", 31536000000}};
  int64_t total = 0;
  size_t i = 0;
  if (text.empty()) return Status::error("empty duration");
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i) return Status::error("invalid duration \"" + std::string(text) + "\" (write e.g. 5m, 1h30m, 250ms)");
    int64_t n = 0;
    bool overflow = false;
    for (size_t d = i; d < j && !overflow; ++d)
      overflow = __builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, text[d] - '0', &n);
    size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
    const std::string_view unit = text.substr(j, k - j);
    const auto* u = std::find_if(std::begin(kUnits), std::end(kUnits), [&](const auto& p) { return p.first == unit; });
    if (u == std::end(kUnits))
      return Status::error("invalid duration \"" + std::string(text) + "\": unknown unit \"" + std::string(unit) +
                           "\" (use ms, s, m, h, d, w, y)");
    int64_t part = 0;
    if (overflow || __builtin_mul_overflow(n, u->second, &part) || __builtin_add_overflow(total, part, &total))
      return Status::error("invalid duration \"" + std::string(text) +
                           "\": too large (at most about 292 million years)");
    i = k;
  }
  return std::chrono::milliseconds(total);
}

Result<ExprPtr> parse_expr(std::string_view input) {
  try {
    Parser p(Lexer(input).run());
    return p.parse_all();
  } catch (const ParseError& e) {
    return Status::error(with_caret(input, e.pos, e.message));
  }
}

}  // namespace vigil::rules
