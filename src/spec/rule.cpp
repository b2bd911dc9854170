#include "spec/rule.h"

#include <algorithm>

#include <fmt/format.h>

namespace sensix {

std::string_view rule_op_name(RuleOp op) {
  switch (op) {
    case RuleOp::kAtom: return "atom";
    case RuleOp::kCount: return "count";
    case RuleOp::kAnd: return "and";
    case RuleOp::kOr: return "or";
    case RuleOp::kNot: return "not";
    case RuleOp::kWithin: return "within";
    case RuleOp::kFor: return "for";
    case RuleOp::kInside: return "inside";
    case RuleOp::kThen: return "then";
  }
  return "?";
}

std::string_view rule_compare_name(RuleCompare c) {
  switch (c) {
    case RuleCompare::kNone: return "";
    case RuleCompare::kGt: return ">";
    case RuleCompare::kGe: return ">=";
    case RuleCompare::kLt: return "<";
    case RuleCompare::kLe: return "<=";
    case RuleCompare::kEq: return "==";
  }
  return "";
}

bool rule_compare(RuleCompare c, double lhs, double rhs) {
  switch (c) {
    case RuleCompare::kNone: return true;
    case RuleCompare::kGt: return lhs > rhs;
    case RuleCompare::kGe: return lhs >= rhs;
    case RuleCompare::kLt: return lhs < rhs;
    case RuleCompare::kLe: return lhs <= rhs;
    case RuleCompare::kEq: return lhs == rhs;
  }
  return false;
}

std::vector<std::string> RuleExpr::models(int i) const {
  std::vector<std::string> out;
  std::vector<int> pending{i};
  while (!pending.empty()) {
    const int n = pending.back();
    pending.pop_back();
    if (n < 0) continue;
    const RuleNode& rn = node(n);
    if (rn.op == RuleOp::kAtom || rn.op == RuleOp::kCount) {
      if (std::find(out.begin(), out.end(), rn.model) == out.end()) out.push_back(rn.model);
    }
    for (auto it = rn.args.rbegin(); it != rn.args.rend(); ++it) pending.push_back(*it);
  }
  return out;
}

namespace {

void sexpr(const RuleExpr& e, int i, std::string* out) {
  const RuleNode& n = e.node(i);
  auto ref = [&] { return n.label.empty() ? n.model : n.model + ":" + n.label; };
  auto cmp = [&] {
    return n.compare == RuleCompare::kNone ? std::string()
                                           : fmt::format(" {} {}", rule_compare_name(n.compare), n.value);
  };
  switch (n.op) {
    case RuleOp::kAtom: *out += n.compare == RuleCompare::kNone ? ref() : "(" + ref() + cmp() + ")"; return;
    case RuleOp::kCount: *out += "(count " + ref() + cmp() + ")"; return;
    default: break;
  }
  *out += "(";
  *out += rule_op_name(n.op);
  for (int a : n.args) {
    *out += " ";
    sexpr(e, a, out);
  }
  if (n.op == RuleOp::kWithin || n.op == RuleOp::kThen) *out += " " + format_rule_duration(n.duration_ns);
  if (n.op == RuleOp::kFor) *out += fmt::format(" {}", n.frames);
  *out += ")";
}

}  // namespace

std::string format_rule_duration(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  return fmt::format("{}s", static_cast<double>(ns) / 1e9);
}

std::string rule_to_sexpr(const RuleExpr& e) {
  std::string out;
  if (e.root >= 0) sexpr(e, e.root, &out);
  return out;
}

}  // namespace sensix
