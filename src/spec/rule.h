// The syntax tree of an event rule: a Pipeline's `events[].when`, as docs/event_rule.h parses it
// (the grammar and its limits are there). A flat, copyable tree over model results;
// runtime/rule_evaluator.h gives it its meaning, docs/documents.md ("Pipeline: events") describes
// every operator to users.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sensix {

enum class RuleOp {
  kAtom,    // model[:label] [CMP value]
  kCount,   // count(model[:label]) CMP n
  kAnd,     // args: 2 or more
  kOr,      // args: 2 or more
  kNot,     // args: 1
  kWithin,  // args: 1; duration_ns
  kFor,     // args: 1; frames
  kInside,  // args: 2 (atoms): a box of args[0] whose centre lies in a box of args[1]
  kThen,    // args: 2; duration_ns: args[0] true at an earlier moment of the last duration, args[1] now
};
std::string_view rule_op_name(RuleOp op);

enum class RuleCompare { kNone, kGt, kGe, kLt, kLe, kEq };
std::string_view rule_compare_name(RuleCompare c);  // ">", ">=", ...; "" for none
bool rule_compare(RuleCompare c, double lhs, double rhs);

struct RuleNode {
  RuleOp op = RuleOp::kAtom;
  int column = 1;  // 1-based column of the node's first character in the rule text
  // kAtom, kCount
  std::string model;
  std::string label;     // empty: any label of the model
  int label_column = 0;  // 0 when there is no label
  RuleCompare compare = RuleCompare::kNone;
  double value = 0;
  // combinators
  std::vector<int> args;    // indices into RuleExpr::nodes
  int64_t duration_ns = 0;  // kWithin, kThen
  int frames = 0;           // kFor
};

struct RuleExpr {
  std::vector<RuleNode> nodes;
  int root = -1;

  const RuleNode& node(int i) const { return nodes[static_cast<size_t>(i)]; }
  // The models read below node `i` (each once, in order of first appearance).
  std::vector<std::string> models(int i) const;
  std::vector<std::string> models() const { return models(root); }
};

// "1s", "500ms", "1.5s": the shortest exact form of a duration.
std::string format_rule_duration(int64_t ns);

// A fully parenthesised rendering for tests and messages: "(and hey-jarvis (within silero-vad:speech 1s))".
std::string rule_to_sexpr(const RuleExpr& e);

}  // namespace sensix
