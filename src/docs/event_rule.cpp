#include "docs/event_rule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace sensix {

std::string RuleError::text() const { return column > 0 ? fmt::format("column {}: {}", column, message) : message; }

namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-' || c == '/';
}

// A plain decimal number: -?digits[.digits]
bool parse_plain_number(std::string_view w, double* out) {
  size_t i = 0;
  if (i < w.size() && w[i] == '-') i++;
  const size_t int_start = i;
  while (i < w.size() && w[i] >= '0' && w[i] <= '9') i++;
  if (i == int_start) return false;
  if (i < w.size() && w[i] == '.') {
    const size_t frac_start = ++i;
    while (i < w.size() && w[i] >= '0' && w[i] <= '9') i++;
    if (i == frac_start) return false;
  }
  if (i != w.size()) return false;
  double v = 0;
  auto r = std::from_chars(w.data(), w.data() + w.size(), v);
  if (r.ec != std::errc() || r.ptr != w.data() + w.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

enum class Tok { kWord, kString, kLParen, kRParen, kColon, kCompare, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // word or string contents; the operator for kCompare
  int column = 0;
  RuleCompare compare = RuleCompare::kNone;
};

const std::set<std::string, std::less<>>& keywords() {
  static const std::set<std::string, std::less<>> k = {"and",   "or",     "not",    "within", "for",
                                                       "frame", "frames", "inside", "then",   "count"};
  return k;
}

class Parser {
 public:
  Parser(std::string_view text, RuleExpr* out) : text_(text), out_(out) {}

  bool run(RuleError* error) {
    if (text_.size() > kMaxRuleLength) {
      return fail(0,
                  fmt::format("the rule is {} characters long; at most {} are allowed", text_.size(), kMaxRuleLength),
                  error);
    }
    if (!tokenize()) return fail(err_.column, err_.message, error);
    if (toks_.size() == 1) return fail(1, "the rule is empty", error);
    out_->nodes.clear();
    int root = rule();
    if (root >= 0 && peek().kind != Tok::kEnd) {
      set_error(peek().column,
                fmt::format("unexpected {} after a complete expression{}", shown(peek()),
                            peek().kind == Tok::kWord && (peek().text == "within" || peek().text == "then")
                                ? "; use parentheses to combine timed parts, e.g. (A within 1s) and B"
                                : ""));
      root = -1;
    }
    if (root < 0) return fail(err_.column, err_.message, error);
    out_->root = root;
    return true;
  }

 private:
  bool fail(int column, std::string message, RuleError* error) {
    if (error) *error = RuleError{column, std::move(message)};
    out_->nodes.clear();
    out_->root = -1;
    return false;
  }

  void set_error(int column, std::string message) {
    if (failed_) return;  // keep the first
    failed_ = true;
    err_ = RuleError{column, std::move(message)};
  }

  bool tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      const int col = static_cast<int>(i) + 1;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        i++;
      } else if (c == '(' || c == ')' || c == ':') {
        toks_.push_back({c == '(' ? Tok::kLParen : c == ')' ? Tok::kRParen : Tok::kColon, std::string(1, c), col});
        i++;
      } else if (c == '>' || c == '<' || c == '=') {
        const bool eq = i + 1 < text_.size() && text_[i + 1] == '=';
        Token t{Tok::kCompare, std::string(text_.substr(i, eq ? 2 : 1)), col};
        if (c == '>') t.compare = eq ? RuleCompare::kGe : RuleCompare::kGt;
        if (c == '<') t.compare = eq ? RuleCompare::kLe : RuleCompare::kLt;
        if (c == '=') {
          if (!eq) {
            set_error(col, "expected \"==\" to compare for equality, got \"=\"");
            return false;
          }
          t.compare = RuleCompare::kEq;
        }
        toks_.push_back(std::move(t));
        i += eq ? 2 : 1;
      } else if (c == '"') {
        const size_t close = text_.find('"', i + 1);
        if (close == std::string_view::npos) {
          set_error(col, "unterminated quoted name (a closing \" is missing)");
          return false;
        }
        if (close == i + 1) {
          set_error(col, "an empty quoted name");
          return false;
        }
        toks_.push_back({Tok::kString, std::string(text_.substr(i + 1, close - i - 1)), col});
        i = close + 1;
      } else if (is_word_char(c)) {
        size_t j = i;
        while (j < text_.size() && is_word_char(text_[j])) j++;
        toks_.push_back({Tok::kWord, std::string(text_.substr(i, j - i)), col});
        i = j;
      } else {
        set_error(col, fmt::format("unexpected character \"{}\"", c));
        return false;
      }
    }
    toks_.push_back({Tok::kEnd, "", static_cast<int>(text_.size()) + 1});
    return true;
  }

  const Token& peek(size_t ahead = 0) const { return toks_[std::min(pos_ + ahead, toks_.size() - 1)]; }
  Token take() {
    Token t = peek();
    if (pos_ < toks_.size() - 1) pos_++;
    return t;
  }
  bool is_keyword(const Token& t, std::string_view k) const { return t.kind == Tok::kWord && t.text == k; }

  static std::string shown(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd: return "the end of the rule";
      default: return fmt::format("\"{}\"", t.text);
    }
  }

  int add(RuleNode n) {
    out_->nodes.push_back(std::move(n));
    return static_cast<int>(out_->nodes.size()) - 1;
  }
  RuleNode& at(int i) { return out_->nodes[static_cast<size_t>(i)]; }

  bool enter(int column) {
    if (++depth_ > kMaxRuleDepth) {
      set_error(column, fmt::format("nested deeper than {} levels (parentheses and \"not\")", kMaxRuleDepth));
      return false;
    }
    return true;
  }

  bool duration_after(std::string_view keyword, int64_t* ns) {
    const Token t = take();
    if (t.kind != Tok::kWord || !parse_rule_duration(t.text, ns)) {
      set_error(t.column,
                fmt::format("expected a duration such as 500ms or 1s after \"{}\" (above 0, at most 3600s), got {}",
                            keyword, shown(t)));
      return false;
    }
    return true;
  }

  // rule := seq [ "within" DURATION ]; seq := or [ "then" or ]
  int rule() {
    const int column = peek().column;
    int a = or_expr();
    if (a < 0) return -1;
    if (is_keyword(peek(), "then")) {
      const Token then = take();
      int b = or_expr();
      if (b < 0) return -1;
      if (!is_keyword(peek(), "within")) {
        set_error(peek().column,
                  fmt::format("expected \"within\" and a duration after \"A then B\" (\"then\" at column {}), got {}",
                              then.column, shown(peek())));
        return -1;
      }
      take();
      RuleNode n;
      n.op = RuleOp::kThen;
      n.column = column;
      n.args = {a, b};
      if (!duration_after("within", &n.duration_ns)) return -1;
      return add(std::move(n));
    }
    if (is_keyword(peek(), "within")) {
      take();
      RuleNode n;
      n.op = RuleOp::kWithin;
      n.column = column;
      n.args = {a};
      if (!duration_after("within", &n.duration_ns)) return -1;
      return add(std::move(n));
    }
    return a;
  }

  int nary(RuleOp op, std::string_view keyword, int (Parser::*sub)()) {
    const int column = peek().column;
    int a = (this->*sub)();
    if (a < 0) return -1;
    if (!is_keyword(peek(), keyword)) return a;
    RuleNode n;
    n.op = op;
    n.column = column;
    n.args = {a};
    while (is_keyword(peek(), keyword)) {
      take();
      int b = (this->*sub)();
      if (b < 0) return -1;
      n.args.push_back(b);
    }
    return add(std::move(n));
  }
  int or_expr() { return nary(RuleOp::kOr, "or", &Parser::and_expr); }
  int and_expr() { return nary(RuleOp::kAnd, "and", &Parser::unary); }

  int unary() {
    if (is_keyword(peek(), "not")) {
      const Token t = take();
      if (!enter(t.column)) return -1;
      int a = unary();
      depth_--;
      if (a < 0) return -1;
      RuleNode n;
      n.op = RuleOp::kNot;
      n.column = t.column;
      n.args = {a};
      return add(std::move(n));
    }
    return held();
  }

  int held() {
    const int column = peek().column;
    int a = spatial();
    if (a < 0) return -1;
    if (!is_keyword(peek(), "for")) return a;
    const Token f = take();
    const Token t = take();
    double v = 0;
    if (t.kind != Tok::kWord || !parse_plain_number(t.text, &v) || v != std::floor(v) || v < 1 || v > kMaxRuleFrames) {
      set_error(t.column, fmt::format("expected a whole number of frames from 1 to {} after \"for\", got {}",
                                      kMaxRuleFrames, shown(t)));
      return -1;
    }
    if (!is_keyword(peek(), "frames") && !is_keyword(peek(), "frame")) {
      set_error(peek().column, fmt::format("expected \"frames\" after \"for {}\", got {}", t.text, shown(peek())));
      return -1;
    }
    take();
    const auto models = out_->models(a);
    if (models.size() != 1) {
      std::string names;
      for (const auto& m : models) names += (names.empty() ? "" : ", ") + m;
      set_error(f.column,
                fmt::format("\"for N frames\" counts consecutive results of one model, but its operand reads {} "
                            "models ({})",
                            models.size(), names));
      return -1;
    }
    RuleNode n;
    n.op = RuleOp::kFor;
    n.column = column;
    n.args = {a};
    n.frames = static_cast<int>(v);
    return add(std::move(n));
  }

  int spatial() {
    const int column = peek().column;
    int a = primary();
    if (a < 0) return -1;
    if (!is_keyword(peek(), "inside")) return a;
    const Token in = take();
    int b = primary();
    if (b < 0) return -1;
    for (int side : {a, b}) {
      if (at(side).op != RuleOp::kAtom) {
        set_error(at(side).column, fmt::format("each side of \"inside\" (column {}) must be a model or model:label, "
                                               "e.g. ppocr-rec inside ssd:Car",
                                               in.column));
        return -1;
      }
    }
    RuleNode n;
    n.op = RuleOp::kInside;
    n.column = column;
    n.args = {a, b};
    return add(std::move(n));
  }

  int primary() {
    if (peek().kind == Tok::kLParen) {
      const Token open = take();
      if (!enter(open.column)) return -1;
      int e = rule();
      depth_--;
      if (e < 0) return -1;
      if (peek().kind != Tok::kRParen) {
        set_error(peek().column,
                  fmt::format("expected \")\" to close the \"(\" at column {}, got {}", open.column, shown(peek())));
        return -1;
      }
      take();
      return e;
    }
    return atom();
  }

  // NAME [":" LABEL] into n (model, label, label_column); false on error.
  bool ref(RuleNode* n) {
    const Token t = take();
    const bool name = t.kind == Tok::kString || (t.kind == Tok::kWord && !keywords().count(t.text));
    if (!name) {
      std::string hint;
      if (t.kind == Tok::kWord) hint = " (a keyword; quote a model with that name: \"" + t.text + "\")";
      set_error(t.column, fmt::format("expected a model name, got {}{}", shown(t), hint));
      return false;
    }
    n->model = t.text;
    n->column = t.column;
    if (peek().kind == Tok::kColon) {
      take();
      const Token l = take();
      if (l.kind != Tok::kWord && l.kind != Tok::kString) {
        set_error(l.column, fmt::format("expected a label after \"{}:\", got {}", n->model, shown(l)));
        return false;
      }
      n->label = l.text;
      n->label_column = l.column;
    }
    return true;
  }

  int atom() {
    RuleNode n;
    if (is_keyword(peek(), "count") && peek(1).kind == Tok::kLParen) {
      const Token c = take();
      take();
      n.op = RuleOp::kCount;
      if (!ref(&n)) return -1;
      n.column = c.column;
      if (peek().kind != Tok::kRParen) {
        set_error(peek().column,
                  fmt::format("expected \")\" to close \"count(\" at column {}, got {}", c.column, shown(peek())));
        return -1;
      }
      take();
      if (peek().kind != Tok::kCompare) {
        set_error(peek().column, fmt::format("expected a comparison after count(...), such as count({}) >= 2, got {}",
                                             n.label.empty() ? n.model : n.model + ":" + n.label, shown(peek())));
        return -1;
      }
      const Token op = take();
      n.compare = op.compare;
      const Token v = take();
      if (v.kind != Tok::kWord || !parse_plain_number(v.text, &n.value) || n.value != std::floor(n.value) ||
          n.value < 0) {
        set_error(v.column,
                  fmt::format("expected a whole number after \"{}\" (count compares a number of results), got {}",
                              op.text, shown(v)));
        return -1;
      }
      return add(std::move(n));
    }
    n.op = RuleOp::kAtom;
    if (!ref(&n)) return -1;
    if (peek().kind == Tok::kCompare) {
      const Token op = take();
      n.compare = op.compare;
      const Token v = take();
      if (v.kind != Tok::kWord || !parse_plain_number(v.text, &n.value)) {
        set_error(v.column, fmt::format("expected a number after \"{}\" (a score), got {}", op.text, shown(v)));
        return -1;
      }
    }
    return add(std::move(n));
  }

  std::string_view text_;
  RuleExpr* out_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  RuleError err_;
};

}  // namespace

bool parse_event_rule(std::string_view text, RuleExpr* out, RuleError* error) { return Parser(text, out).run(error); }

bool parse_rule_duration(std::string_view text, int64_t* ns) {
  double scale = 0;
  std::string_view number;
  if (text.size() > 2 && text.ends_with("ms")) {
    scale = 1e6;
    number = text.substr(0, text.size() - 2);
  } else if (text.size() > 1 && text.ends_with("s")) {
    scale = 1e9;
    number = text.substr(0, text.size() - 1);
  } else {
    return false;
  }
  double v = 0;
  if (number.starts_with("-") || !parse_plain_number(number, &v)) return false;
  const double total = v * scale;
  if (!(total > 0) || total > 3600e9) return false;
  *ns = static_cast<int64_t>(std::llround(total));
  return *ns > 0;
}

}  // namespace sensix
