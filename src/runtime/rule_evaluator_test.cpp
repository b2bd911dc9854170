#include "runtime/rule_evaluator.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "docs/event_rule.h"

namespace sensix {
namespace {

constexpr int64_t kMs = 1'000'000;

struct Box {
  std::string label;
  float score;
  float x, y, w, h;
};

// A result of `model` at `ms` of media time on frame `frame`: classification labels (score) or
// detections (with boxes); nothing = a result with nothing present.
ModelResult classified(const std::string& model, int64_t ms, std::vector<std::pair<std::string, float>> labels,
                       uint64_t frame = 0) {
  ModelResult r;
  r.level.pipelines = {"p"};
  r.level.model = model;
  r.level.sensor = "s";
  r.level.media_ns = ms * kMs;
  r.level.frame_seq = frame ? frame : static_cast<uint64_t>(ms);
  for (auto& [l, s] : labels) r.level.labels.push_back({l, 0, s});
  return r;
}

ModelResult detected(const std::string& model, int64_t ms, std::vector<Box> boxes, uint64_t frame = 0) {
  ModelResult r = classified(model, ms, {}, frame);
  r.level.kind = PredictionKind::kDetection;
  for (auto& b : boxes) r.level.detections.push_back({b.label, 0, b.score, b.x, b.y, b.w, b.h, {}});
  return r;
}

EventSpec rule(const std::string& name, const std::string& when, int64_t cooldown_ms = 0) {
  EventSpec e;
  e.name = name;
  e.when = when;
  RuleError err;
  EXPECT_TRUE(parse_event_rule(when, &e.rule, &err)) << err.text();
  e.cooldown_ns = cooldown_ms * kMs;
  return e;
}

// Runs the results through one pipeline's rules, then ends every model; returns the events.
std::vector<Event> run(std::vector<EventSpec> rules, const std::vector<ModelResult>& results,
                       PipelineRules** keep = nullptr) {
  std::set<std::string> models;
  for (const auto& r : rules) {
    for (const auto& m : r.rule.models()) models.insert(m);
  }
  static std::unique_ptr<PipelineRules> last;
  last = std::make_unique<PipelineRules>("p", std::move(rules), models);
  std::vector<Event> out;
  for (const auto& r : results) last->add(r, &out);
  for (const auto& m : models) last->end_model(m, &out);
  if (keep) *keep = last.get();
  return out;
}

std::vector<int64_t> times_ms(const std::vector<Event>& events) {
  std::vector<int64_t> out;
  for (const auto& e : events) out.push_back(e.media_ns / kMs);
  return out;
}

TEST(RuleEvaluator, FiresOnRisingEdgesOnly) {
  auto events = run({rule("e", "a")}, {classified("a", 0, {{"x", 0.9f}}), classified("a", 100, {{"x", 0.9f}}),
                                       classified("a", 200, {{"x", 0.7f}}), classified("a", 300, {}),
                                       classified("a", 400, {{"x", 0.6f}})});
  EXPECT_EQ(times_ms(events), (std::vector<int64_t>{0, 400}));
  ASSERT_EQ(events[0].predictions.size(), 1u);
  EXPECT_EQ(events[0].predictions[0].model, "a");
  EXPECT_EQ(events[0].predictions[0].label, "x");
  EXPECT_FLOAT_EQ(events[0].predictions[0].score, 0.9f);
  EXPECT_EQ(events[0].pipeline, "p");
  EXPECT_EQ(events[0].name, "e");
  EXPECT_EQ(events[0].rule, "a");
  EXPECT_GT(events[0].wall_ns, 0);
}

TEST(RuleEvaluator, LabelsAndScoresAndCounts) {
  const std::vector<ModelResult> seq = {classified("a", 0, {{"y", 0.9f}}), classified("a", 100, {{"x", 0.7f}}),
                                        classified("a", 200, {{"x", 0.85f}}), classified("a", 300, {{"y", 0.6f}})};
  EXPECT_EQ(times_ms(run({rule("e", "a:x")}, seq)), (std::vector<int64_t>{100}));
  EXPECT_EQ(times_ms(run({rule("e", "a:x > 0.8")}, seq)), (std::vector<int64_t>{200}));
  EXPECT_EQ(times_ms(run({rule("e", "a:x <= 0.7")}, seq)), (std::vector<int64_t>{100}));
  EXPECT_EQ(times_ms(run({rule("e", "a")}, seq)), (std::vector<int64_t>{0}));
  EXPECT_EQ(times_ms(run({rule("e", "not a:x")}, seq)), (std::vector<int64_t>{0, 300}));

  const std::vector<ModelResult> people = {
      detected("d", 0, {{"Person", 0.9f, 0, 0, 10, 10}}),
      detected("d", 100, {{"Person", 0.9f, 0, 0, 10, 10}, {"Car", 0.8f, 0, 0, 5, 5}, {"Person", 0.7f, 20, 0, 10, 10}}),
      detected("d", 200, {})};
  auto events = run({rule("e", "count(d:Person) >= 2")}, people);
  EXPECT_EQ(times_ms(events), (std::vector<int64_t>{100}));
  ASSERT_EQ(events[0].predictions.size(), 2u);  // both people
  EXPECT_TRUE(events[0].predictions[1].has_box);
  EXPECT_FLOAT_EQ(events[0].predictions[1].x, 20);
  EXPECT_EQ(times_ms(run({rule("e", "count(d) == 0")}, people)), (std::vector<int64_t>{200}));
}

TEST(RuleEvaluator, WithinIncludesExactlyT) {
  // a is true only at 0 ms; b becomes true at 1000 ms: exactly 1 s later is inside the window.
  std::vector<ModelResult> seq = {classified("a", 0, {{"x", 1}}), classified("a", 500, {}), classified("a", 1000, {}),
                                  classified("a", 1500, {}), classified("b", 1000, {{"y", 1}})};
  auto events = run({rule("e", "a and b within 1s")}, seq);
  EXPECT_EQ(times_ms(events), (std::vector<int64_t>{1000}));
  ASSERT_EQ(events[0].predictions.size(), 2u);
  EXPECT_EQ(events[0].predictions[0].model, "a");
  EXPECT_EQ(events[0].predictions[0].media_ns, 0);  // the moment a was true
  EXPECT_EQ(events[0].predictions[1].model, "b");
  // 1 ms later is outside.
  seq.back() = classified("b", 1001, {{"y", 1}});
  EXPECT_TRUE(run({rule("e", "a and b within 1s")}, seq).empty());
  // Without within, both must hold at the same moment.
  seq.back() = classified("b", 1000, {{"y", 1}});
  EXPECT_TRUE(run({rule("e", "a and b")}, seq).empty());
}

TEST(RuleEvaluator, NotWithinMeansAtNoMomentOfTheWindow) {
  const std::vector<ModelResult> seq = {classified("a", 0, {{"x", 1}}),    classified("a", 1000, {}),
                                        classified("b", 500, {{"y", 1}}),  classified("b", 1000, {{"y", 1}}),
                                        classified("b", 1500, {{"y", 1}}), classified("b", 2000, {{"y", 1}})};
  // b with no a in the last second. a's state is its latest result: present from 0 until its next
  // result at 1000, so a was still true at b's instant 500, and "no a in the last second" holds
  // only from the instant 2000 on (at 1500 the window [500, 1500] still holds a true instant).
  EXPECT_EQ(times_ms(run({rule("e", "b and not a within 1s")}, seq)), (std::vector<int64_t>{2000}));
  // Within 400 ms: at 1000 the window [600, 1000] has no instant where a is true.
  EXPECT_EQ(times_ms(run({rule("e", "b and not a within 400ms")}, seq)), (std::vector<int64_t>{1000}));
}

TEST(RuleEvaluator, ForCountsConsecutiveResultsIncludingEmptyOnes) {
  std::vector<ModelResult> seq;
  const char* pattern = "FF.FFFF.FFF";  // F: a face, .: a frame with nothing detected
  for (int i = 0; pattern[i]; ++i) {
    if (pattern[i] == 'F') {
      seq.push_back(detected("f", i * 40, {{"face", 0.9f + 0.001f * static_cast<float>(i), 10, 10, 20, 20}},
                             static_cast<uint64_t>(i + 1)));
    } else {
      seq.push_back(detected("f", i * 40, {}, static_cast<uint64_t>(i + 1)));
    }
  }
  auto events = run({rule("e", "f:face for 3 frames")}, seq);
  // Third face in a row: frame 6 (index 5, 200 ms), then frame 11 (index 10, 400 ms).
  EXPECT_EQ(times_ms(events), (std::vector<int64_t>{200, 400}));
  ASSERT_EQ(events[0].predictions.size(), 3u);
  EXPECT_EQ(events[0].predictions[0].frame_seq, 4u);
  EXPECT_EQ(events[0].predictions[1].frame_seq, 5u);
  EXPECT_EQ(events[0].predictions[2].frame_seq, 6u);
  // Results of other models do not break or extend the run.
  seq.insert(seq.begin() + 4, classified("g", 150, {{"z", 1}}));
  EXPECT_EQ(times_ms(run({rule("e", "f:face for 3 frames and g")}, seq)), (std::vector<int64_t>{200, 400}));
}

TEST(RuleEvaluator, InsideNeedsTheCentreInABoxOfTheSameFrame) {
  // Text at (100..120, 50..60): centre (110, 55). The car box ends exactly at x = 110 (edges count).
  const Box text{"text", 0.8f, 100, 50, 20, 10};
  const Box car{"Car", 0.9f, 0, 0, 110, 100};
  const Box far_car{"Car", 0.9f, 0, 0, 109, 100};
  EXPECT_EQ(times_ms(run({rule("e", "t inside s:Car")}, {detected("t", 0, {text}, 1), detected("s", 0, {car}, 1)})),
            (std::vector<int64_t>{0}));
  EXPECT_TRUE(
      run({rule("e", "t inside s:Car")}, {detected("t", 0, {text}, 1), detected("s", 0, {far_car}, 1)}).empty());
  EXPECT_TRUE(run({rule("e", "t inside s:Person")}, {detected("t", 0, {text}, 1), detected("s", 0, {car}, 1)}).empty());
  // Different frames never match.
  EXPECT_TRUE(run({rule("e", "t inside s")},
                  {detected("t", 40, {text}, 2), detected("s", 0, {car}, 1), detected("s", 80, {}, 3)})
                  .empty());
  auto events = run({rule("e", "t inside s")}, {detected("t", 0, {text}, 1), detected("s", 0, {car}, 1)});
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].predictions.size(), 2u);
  EXPECT_EQ(events[0].predictions[0].label, "text");
  EXPECT_EQ(events[0].predictions[1].label, "Car");
}

TEST(RuleEvaluator, ThenIsOrdered) {
  EXPECT_EQ(times_ms(run({rule("e", "a then b within 1s")}, {classified("a", 0, {{"x", 1}}), classified("a", 500, {}),
                                                             classified("b", 1000, {{"y", 1}})})),
            (std::vector<int64_t>{1000}));
  // b before a: no.
  EXPECT_TRUE(run({rule("e", "a then b within 1s")},
                  {classified("b", 0, {{"y", 1}}), classified("b", 600, {}), classified("a", 500, {{"x", 1}})})
                  .empty());
  // At the same moment is not "then".
  EXPECT_TRUE(
      run({rule("e", "a then b within 1s")}, {classified("a", 0, {{"x", 1}}), classified("b", 0, {{"y", 1}})}).empty());
  // Too late.
  EXPECT_TRUE(run({rule("e", "a then b within 1s")},
                  {classified("a", 0, {{"x", 1}}), classified("a", 500, {}), classified("b", 1001, {{"y", 1}})})
                  .empty());
}

TEST(RuleEvaluator, CooldownSuppressesRisingEdges) {
  PipelineRules* rules = nullptr;
  auto events = run({rule("e", "a", 500)},
                    {classified("a", 0, {{"x", 1}}), classified("a", 100, {}), classified("a", 200, {{"x", 1}}),
                     classified("a", 300, {}), classified("a", 500, {{"x", 1}}), classified("a", 600, {{"x", 1}})},
                    &rules);
  // 200 ms is within 500 ms of the event at 0; 500 ms is exactly the cooldown later and fires.
  EXPECT_EQ(times_ms(events), (std::vector<int64_t>{0, 500}));
  auto stats = rules->stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].fired, 2u);
  EXPECT_EQ(stats[0].suppressed, 1u);
}

TEST(RuleEvaluator, ArrivalOrderDoesNotChangeTheEvents) {
  // Two models delivered interleaved in media order, then all of one before the other.
  std::vector<ModelResult> a, b;
  for (int i = 0; i < 20; ++i)
    a.push_back(classified("a", i * 80,
                           i % 7 == 3 ? std::vector<std::pair<std::string, float>>{{"x", 1}}
                                      : std::vector<std::pair<std::string, float>>{}));
  for (int i = 0; i < 50; ++i)
    b.push_back(classified("b", i * 32,
                           i % 9 < 4 ? std::vector<std::pair<std::string, float>>{{"y", 1}}
                                     : std::vector<std::pair<std::string, float>>{}));
  std::vector<ModelResult> interleaved;
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(interleaved),
             [](const ModelResult& l, const ModelResult& r) { return l.level.media_ns < r.level.media_ns; });
  std::vector<ModelResult> a_first = a;
  a_first.insert(a_first.end(), b.begin(), b.end());
  std::vector<ModelResult> b_first = b;
  b_first.insert(b_first.end(), a.begin(), a.end());
  const auto rules = {rule("e", "a and b within 100ms"), rule("f", "a then not b within 200ms")};
  const auto expected = times_ms(run(rules, interleaved));
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(times_ms(run(rules, a_first)), expected);
  EXPECT_EQ(times_ms(run(rules, b_first)), expected);
}

TEST(RuleEvaluator, LateResultsAreCountedAndDropped) {
  std::set<std::string> models = {"a"};
  PipelineRules rules("p", {rule("e", "a")}, models, /*max_pending=*/2);
  std::vector<Event> out;
  rules.add(classified("a", 0, {}), &out);
  rules.add(classified("a", 100, {}), &out);
  rules.add(classified("a", 200, {}), &out);         // 0 and 100 are final now
  rules.add(classified("a", 50, {{"x", 1}}), &out);  // older than an evaluated instant
  EXPECT_EQ(rules.late(), 1u);
  EXPECT_TRUE(out.empty());
  // More held than max_pending: the earliest is evaluated at once.
  PipelineRules two("p", {rule("e", "a and b")}, {"a", "b"}, /*max_pending=*/2);
  for (int i = 0; i < 4; ++i) two.add(classified("a", i * 10, {{"x", 1}}), &out);  // b silent: nothing is final
  EXPECT_EQ(two.forced(), 2u);
}

TEST(RuleEvaluator, FailedRunsAreNoResultsButMoveTime) {
  ModelResult failed = classified("b", 100, {});
  failed.ok = false;
  PipelineRules rules("p", {rule("e", "a and not b")}, {"a", "b"});
  std::vector<Event> out;
  rules.add(classified("a", 0, {{"x", 1}}), &out);
  rules.add(failed, &out);
  EXPECT_TRUE(out.empty());  // b has delivered time 100 but 0 is only final once a moves on too
  rules.add(classified("a", 200, {{"x", 1}}), &out);
  EXPECT_EQ(times_ms(out), (std::vector<int64_t>{0}));
}

}  // namespace
}  // namespace sensix
