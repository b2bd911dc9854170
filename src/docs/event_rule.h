// Event rules: the small expression language of a Pipeline's `events[].when`, parsed into the
// flat, copyable syntax tree of spec/rule.h. docs/documents.md ("Pipeline: events") gives the
// grammar and the meaning of every operator; runtime/rule_evaluator.h evaluates a tree over model
// results.
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
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spec/rule.h"

namespace sensix {

inline constexpr size_t kMaxRuleLength = 1000;  // characters
inline constexpr int kMaxRuleDepth = 16;        // nested parentheses and "not"
inline constexpr int kMaxRuleFrames = 10000;    // "for N frames"

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

}  // namespace sensix
