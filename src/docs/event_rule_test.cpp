#include "docs/event_rule.h"

#include <gtest/gtest.h>

namespace sensix {
namespace {

std::string parsed(std::string_view text) {
  RuleExpr e;
  RuleError err;
  if (!parse_event_rule(text, &e, &err)) return "error: " + err.text();
  return rule_to_sexpr(e);
}

TEST(EventRule, Atoms) {
  EXPECT_EQ(parsed("hey-jarvis"), "hey-jarvis");
  EXPECT_EQ(parsed("silero-vad:speech"), "silero-vad:speech");
  EXPECT_EQ(parsed("blazeface:face > 0.8"), "(blazeface:face > 0.8)");
  EXPECT_EQ(parsed("blazeface:face>=0.8"), "(blazeface:face >= 0.8)");
  EXPECT_EQ(parsed("count(ssd:Person) >= 2"), "(count ssd:Person >= 2)");
  EXPECT_EQ(parsed("ssd:\"Traffic light\" == 1"), "(ssd:Traffic light == 1)");
  EXPECT_EQ(parsed("\"and\":x"), "and:x");    // a keyword-named model, quoted
  EXPECT_EQ(parsed("m:frames"), "m:frames");  // any word is a label after ':'
}

TEST(EventRule, Precedence) {
  // not > and > or > within (loosest)
  EXPECT_EQ(parsed("a or b and c"), "(or a (and b c))");
  EXPECT_EQ(parsed("not a and b"), "(and (not a) b)");
  EXPECT_EQ(parsed("a and b and c"), "(and a b c)");
  EXPECT_EQ(parsed("hey-jarvis and silero-vad:speech within 1s"), "(within (and hey-jarvis silero-vad:speech) 1s)");
  EXPECT_EQ(parsed("a or b within 500ms"), "(within (or a b) 500ms)");
  EXPECT_EQ(parsed("(a within 1s) and b"), "(and (within a 1s) b)");
  // for binds tighter than not/and; inside tighter than for
  EXPECT_EQ(parsed("blazeface:face for 3 frames"), "(for blazeface:face 3)");
  EXPECT_EQ(parsed("not a for 3 frames and b"), "(and (not (for a 3)) b)");
  EXPECT_EQ(parsed("ppocr-rec inside ssd:Car"), "(inside ppocr-rec ssd:Car)");
  EXPECT_EQ(parsed("x:t inside y:c for 2 frame"),
            "error: column 16: \"for N frames\" counts consecutive results of one "
            "model, but its operand reads 2 models (x, y)");
  EXPECT_EQ(parsed("(a:x > 0.5 or a:y) for 2 frames"), "(for (or (a:x > 0.5) a:y) 2)");
  EXPECT_EQ(parsed("a then b within 2s"), "(then a b 2s)");
  EXPECT_EQ(parsed("a and b then c or d within 1.5s"), "(then (and a b) (or c d) 1500ms)");
  EXPECT_EQ(parsed("((a))"), "a");
}

TEST(EventRule, Durations) {
  int64_t ns = 0;
  EXPECT_TRUE(parse_rule_duration("500ms", &ns));
  EXPECT_EQ(ns, 500'000'000);
  EXPECT_TRUE(parse_rule_duration("1.5s", &ns));
  EXPECT_EQ(ns, 1'500'000'000);
  EXPECT_TRUE(parse_rule_duration("3600s", &ns));
  for (const char* bad : {"0s", "0ms", "-1s", "1", "s", "ms", "1h", "3601s", "1.s", ".5s", "1e3ms", "1 s"}) {
    EXPECT_FALSE(parse_rule_duration(bad, &ns)) << bad;
  }
  EXPECT_EQ(format_rule_duration(2'000'000'000), "2s");
  EXPECT_EQ(format_rule_duration(250'000'000), "250ms");
}

TEST(EventRule, ErrorsNameTheColumn) {
  // Each error: the first problem, at the column of the offending token (1-based).
  EXPECT_EQ(parsed("hey-jarvis and vad within foo"),
            "error: column 27: expected a duration such as 500ms or 1s after \"within\" (above 0, at most 3600s), got "
            "\"foo\"");
  EXPECT_EQ(parsed("a within"),
            "error: column 9: expected a duration such as 500ms or 1s after \"within\" (above 0, at "
            "most 3600s), got the end of the rule");
  EXPECT_EQ(parsed("a within 0s"),
            "error: column 10: expected a duration such as 500ms or 1s after \"within\" (above 0, "
            "at most 3600s), got \"0s\"");
  EXPECT_EQ(parsed("face for 0 frames"),
            "error: column 10: expected a whole number of frames from 1 to 10000 after "
            "\"for\", got \"0\"");
  EXPECT_EQ(parsed("face for 2.5 frames"),
            "error: column 10: expected a whole number of frames from 1 to 10000 after "
            "\"for\", got \"2.5\"");
  EXPECT_EQ(parsed("face for 3"), "error: column 11: expected \"frames\" after \"for 3\", got the end of the rule");
  EXPECT_EQ(parsed("face for 3 seconds"), "error: column 12: expected \"frames\" after \"for 3\", got \"seconds\"");
  EXPECT_EQ(parsed(""), "error: column 1: the rule is empty");
  EXPECT_EQ(parsed("   "), "error: column 1: the rule is empty");
  EXPECT_EQ(parsed("a and"), "error: column 6: expected a model name, got the end of the rule");
  EXPECT_EQ(parsed("a and or b"),
            "error: column 7: expected a model name, got \"or\" (a keyword; quote a model with "
            "that name: \"or\")");
  EXPECT_EQ(parsed("(a or b"),
            "error: column 8: expected \")\" to close the \"(\" at column 1, got the end of the rule");
  EXPECT_EQ(parsed("a b"), "error: column 3: unexpected \"b\" after a complete expression");
  EXPECT_EQ(parsed("a)"), "error: column 2: unexpected \")\" after a complete expression");
  EXPECT_EQ(parsed("a within 1s within 2s"),
            "error: column 13: unexpected \"within\" after a complete expression; use parentheses to combine timed "
            "parts, e.g. (A within 1s) and B");
  EXPECT_EQ(parsed("a then b"),
            "error: column 9: expected \"within\" and a duration after \"A then B\" (\"then\" at "
            "column 3), got the end of the rule");
  EXPECT_EQ(parsed("a: > 1"), "error: column 4: expected a label after \"a:\", got \">\"");
  EXPECT_EQ(parsed("a:x > high"), "error: column 7: expected a number after \">\" (a score), got \"high\"");
  EXPECT_EQ(parsed("a = 1"), "error: column 3: expected \"==\" to compare for equality, got \"=\"");
  EXPECT_EQ(parsed("a & b"), "error: column 3: unexpected character \"&\"");
  EXPECT_EQ(parsed("m:\"open"), "error: column 3: unterminated quoted name (a closing \" is missing)");
  EXPECT_EQ(parsed("count(ssd:Person)"),
            "error: column 18: expected a comparison after count(...), such as count(ssd:Person) >= 2, got the end of "
            "the rule");
  EXPECT_EQ(parsed("count(ssd:Person) > 1.5"),
            "error: column 21: expected a whole number after \">\" (count compares a number of results), got \"1.5\"");
  EXPECT_EQ(parsed("count(ssd x"), "error: column 11: expected \")\" to close \"count(\" at column 1, got \"x\"");
  EXPECT_EQ(parsed("count(a) > 1 inside b"),
            "error: column 1: each side of \"inside\" (column 14) must be a model or model:label, e.g. ppocr-rec "
            "inside "
            "ssd:Car");
  EXPECT_EQ(parsed("a inside (b or c)"),
            "error: column 11: each side of \"inside\" (column 3) must be a model or model:label, e.g. ppocr-rec "
            "inside "
            "ssd:Car");
}

TEST(EventRule, Limits) {
  std::string deep;
  for (int i = 0; i < kMaxRuleDepth; ++i) deep += "(";
  deep += "a";
  for (int i = 0; i < kMaxRuleDepth; ++i) deep += ")";
  EXPECT_EQ(parsed(deep), "a");
  EXPECT_EQ(parsed("(" + deep + ")"), "error: column 17: nested deeper than 16 levels (parentheses and \"not\")");
  std::string nots;
  for (int i = 0; i < 17; ++i) nots += "not ";
  EXPECT_EQ(parsed(nots + "a"), "error: column 65: nested deeper than 16 levels (parentheses and \"not\")");

  std::string longest = "a";
  while (longest.size() + 6 <= kMaxRuleLength) longest += " or a";
  EXPECT_EQ(parsed(longest).rfind("(or a a", 0), 0u);
  std::string too_long(kMaxRuleLength + 1, 'a');
  EXPECT_EQ(parsed(too_long), "error: the rule is 1001 characters long; at most 1000 are allowed");
}

TEST(EventRule, ModelsAndColumns) {
  RuleExpr e;
  RuleError err;
  ASSERT_TRUE(parse_event_rule("hey-jarvis and (silero-vad:speech or hey-jarvis) within 1s", &e, &err));
  EXPECT_EQ(e.models(), (std::vector<std::string>{"hey-jarvis", "silero-vad"}));
  const RuleNode& within = e.node(e.root);
  EXPECT_EQ(within.op, RuleOp::kWithin);
  EXPECT_EQ(within.duration_ns, 1'000'000'000);
  const RuleNode& conj = e.node(within.args[0]);
  ASSERT_EQ(conj.op, RuleOp::kAnd);
  const RuleNode& vad = e.node(e.node(conj.args[1]).args[0]);
  EXPECT_EQ(vad.model, "silero-vad");
  EXPECT_EQ(vad.column, 17);
  EXPECT_EQ(vad.label_column, 28);
}

}  // namespace
}  // namespace sensix
