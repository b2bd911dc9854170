// judge_rollout: when a canary or shadow passes, fails or waits, with the figures in its reason.
#include "control/rollout_analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

CandidateFigures figures(uint64_t runs, uint64_t errors, uint64_t compared, uint64_t disagreed) {
  CandidateFigures f;
  f.runs = runs;
  f.errors = errors;
  f.compared = compared;
  f.disagreed = disagreed;
  for (uint64_t i = 0; i < runs; ++i) f.compute.record(2'000'000);  // 2 ms each
  return f;
}

RolloutAnalysisSpec analysis() {
  RolloutAnalysisSpec a;
  a.runs = 100;
  a.max_error_rate = 0.01;
  a.max_disagreement = 0.05;
  a.timeout_ns = 60'000'000'000;
  return a;
}

TEST(JudgeRollout, WaitsForItsRunsThenPasses) {
  auto wait = judge_rollout(figures(50, 0, 50, 1), analysis(), 10s);
  EXPECT_EQ(wait.verdict, RolloutVerdict::kWait);
  EXPECT_THAT(wait.reason, HasSubstr("50 runs, 0 failed, 1 of 50 compared differed, engine p99 2.00 ms"));
  auto pass = judge_rollout(figures(100, 1, 100, 5), analysis(), 20s);
  EXPECT_EQ(pass.verdict, RolloutVerdict::kPass) << pass.reason;
}

TEST(JudgeRollout, FailsAsSoonAsItCannotPass) {
  // 2 errors where 1 of 100 runs may fail: certain at 10 runs already.
  auto errors = judge_rollout(figures(10, 2, 8, 0), analysis(), 1s);
  EXPECT_EQ(errors.verdict, RolloutVerdict::kFail);
  EXPECT_THAT(errors.reason, HasSubstr("2 of its runs failed (at most 1% of 100 may)"));
  auto differ = judge_rollout(figures(30, 0, 30, 6), analysis(), 1s);
  EXPECT_EQ(differ.verdict, RolloutVerdict::kFail);
  EXPECT_THAT(differ.reason, HasSubstr("6 of its results differed from the running version's (at most 5% of 100 may)"));
}

TEST(JudgeRollout, FailsOnItsLatencyAndOnItsTimeout) {
  RolloutAnalysisSpec a = analysis();
  a.max_p99_ns = 1'000'000;  // 1 ms; it takes 2
  auto slow = judge_rollout(figures(100, 0, 100, 0), a, 5s);
  EXPECT_EQ(slow.verdict, RolloutVerdict::kFail);
  EXPECT_THAT(slow.reason, HasSubstr("its engine p99 is over 1 ms"));
  auto late = judge_rollout(figures(40, 0, 40, 0), analysis(), 61s);
  EXPECT_EQ(late.verdict, RolloutVerdict::kFail);
  EXPECT_THAT(late.reason, HasSubstr("only 40 of the 100 runs it needs in 60 s"));
}

// The latency gate is the runs' 99th percentile: a version fast in most runs and slow in a few fails
// it (it was read as the 0.99th percentile, the fastest run, and passed).
TEST(JudgeRollout, AFewSlowRunsFailTheLatencyGate) {
  CandidateFigures f = figures(100, 0, 100, 0);
  f.compute = LatencyHistogram();
  for (int i = 0; i < 95; ++i) f.compute.record(1'000'000);  // 1 ms
  for (int i = 0; i < 5; ++i) f.compute.record(20'000'000);  // 20 ms
  RolloutAnalysisSpec a = analysis();
  a.max_p99_ns = 5'000'000;
  auto slow = judge_rollout(f, a, 5s);
  EXPECT_EQ(slow.verdict, RolloutVerdict::kFail) << slow.reason;
  EXPECT_THAT(slow.reason, HasSubstr("its engine p99 is over 5 ms"));
  EXPECT_THAT(slow.reason, ::testing::ContainsRegex("engine p99 (19|20)\\.[0-9]{2} ms"));
  a.max_p99_ns = 25'000'000;
  EXPECT_EQ(judge_rollout(f, a, 5s).verdict, RolloutVerdict::kPass);
}

TEST(JudgeRollout, TheRatesAreJudgedOnEveryRunItMade) {
  // 130 runs (polled late) with 2 errors: 1.5% > 1%.
  RolloutAnalysisSpec a = analysis();
  a.max_error_rate = 0.02;  // 2 of 100 allowed ...
  auto f = figures(130, 2, 128, 0);
  EXPECT_EQ(judge_rollout(f, a, 5s).verdict, RolloutVerdict::kPass);
  a.max_error_rate = 0.015;  // ... 1 of 100 allowed: 2 fail it early
  EXPECT_EQ(judge_rollout(f, a, 5s).verdict, RolloutVerdict::kFail);
}

}  // namespace
}  // namespace sensix
