// Event rules: the small expression language of a Pipeline's `events[].when`, parsed into a
// flat, copyable syntax tree. docs/documents.md ("Pipeline: events") gives the grammar and the
// meaning of every operator; runtime/rule_evaluator.h evaluates a tree over model results.
//
// The language has no loops, no variables and no calls: a rule is an expression over model
// results, at most kMaxRuleLength characters and kMaxRuleDepth levels deep.
//
// Grammar (loosest binding first; keywords are lowercase and reserved, names may be quoted):
//   rule    := seq [ "within" DURATION ]
//   seq     := or [ "then" or ]              ("then" requires the "within" that follows)
//   or      := and { "or" and }
//   and     := unary { "and" unary }
//   unary   := "not" unary | held
//   held    := spatial [ "for" INT ( "frames" | "frame" ) ]
//   spatial := primary [ "inside" primary ]  (both sides atoms without count)
//   primary := "(" rule ")" | atom
//   atom    := "count" "(" ref ")" CMP INT | ref [ CMP NUMBER ]
//   ref     := NAME [ ":" LABEL ]
//   CMP     := ">" | ">=" | "<" | "<=" | "=="
//   DURATION:= NUMBER ( "ms" | "s" ), above 0 and at most 3600 s, e.g. 500ms, 1s, 1.5s
// NAME and LABEL are words of letters, digits and _ . - / or "double-quoted" strings.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sensix {

inline constexpr size_t kMaxRuleLength = 1000;  // characters
inline constexpr int kMaxRuleDepth = 16;        // nested parentheses and "not"
inline constexpr int kMaxRuleFrames = 10000;    // "for N frames"

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
  int column = 1;        // 1-based column of the node's first character in the rule text
  // kAtom, kCount
  std::string model;
  std::string label;     // empty: any label of the model
  int label_column = 0;  // 0 when there is no label
  RuleCompare compare = RuleCompare::kNone;
  double value = 0;
  // combinators
  std::vector<int> args;  // indices into RuleExpr::nodes
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

// A syntax error's column (1-based; 0 when the problem is the whole rule, e.g. its length)
// and message, e.g. {14, "expected a duration such as 500ms or 1s after \"within\", got \"foo\""}.
struct RuleError {
  int column = 0;
  std::string message;
  // "column 14: expected ..." (or the bare message when column is 0)
  std::string text() const;
};

// Parses one rule. On failure the error names the first problem and its column.
bool parse_event_rule(std::string_view text, RuleExpr* out, RuleError* error);

// "500ms", "1s", "1.5s" -> nanoseconds; false unless above 0 and at most 3600 s.
bool parse_rule_duration(std::string_view text, int64_t* ns);
// "1s", "500ms", "1.5s": the shortest exact form of a duration.
std::string format_rule_duration(int64_t ns);

// A fully parenthesised rendering for tests and messages: "(and hey-jarvis (within silero-vad:speech 1s))".
std::string rule_to_sexpr(const RuleExpr& e);

}  // namespace sensix
