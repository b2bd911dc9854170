// Tests of CandidateMeter (runtime/candidate.h): what it counts, and the log of comparisons it
// keeps for GET /v1/rollouts/{model}/comparisons.
#include "runtime/candidate.h"

#include <string>

#include <gtest/gtest.h>

namespace sensix {
namespace {

CandidateComparison compared(int frame, const std::string& difference) {
  CandidateComparison c;
  c.at = WallTime(std::chrono::seconds(1'767'225'600 + frame));
  c.sensor = "speech";
  c.frame_seq = static_cast<uint64_t>(frame);
  c.media_ns = frame * 32'000'000LL;
  c.compared = true;
  c.difference = difference;
  Prediction p;
  p.model = "alexa";
  p.version = "0.2";
  p.frame_seq = static_cast<uint64_t>(frame);
  c.candidate = p;
  return c;
}

TEST(CandidateMeter, CountsRunsErrorsAndDisagreements) {
  CandidateMeter m("alexa", "0.2", "0.1", CandidateOptions{CandidateMode::kShadow, 1.0, 0.05});
  m.record(1'000'000, false, compared(1, ""));
  m.record(2'000'000, false, compared(2, "output 13: 0.31 against 0.02"));
  CandidateComparison failed;
  failed.error = "NaN in output 13";
  m.record(1'000'000, false, failed);
  CandidateComparison alone;  // nothing to compare with, no error: counted, not logged
  alone.sensor = "speech";
  alone.frame_seq = 4;
  m.record(1'000'000, false, alone);
  const CandidateFigures f = m.figures();
  EXPECT_EQ(f.runs, 4u);
  EXPECT_EQ(f.errors, 1u);
  EXPECT_EQ(f.compared, 2u);
  EXPECT_EQ(f.disagreed, 1u);
  EXPECT_EQ(f.served, 0u);
  ASSERT_EQ(f.examples.size(), 2u);
  EXPECT_EQ(f.examples[0], "differs: output 13: 0.31 against 0.02");
  EXPECT_EQ(f.examples[1], "error: NaN in output 13");

  const std::vector<CandidateComparison> log = m.comparisons();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].input(), "frame 1 of Sensor/speech at 0.032 s");
  EXPECT_TRUE(log[0].difference.empty());
  ASSERT_TRUE(log[0].candidate.has_value());
  EXPECT_EQ(log[0].candidate->version, "0.2");
  EXPECT_EQ(log[1].difference, "output 13: 0.31 against 0.02");
  EXPECT_EQ(log[2].error, "NaN in output 13");
  EXPECT_EQ(log[2].input(), "a request");
  failed.version_asked = "0.2";
  EXPECT_EQ(failed.input(), "a request for version 0.2");
}

TEST(CandidateMeter, KeepsTheLastComparisonsOnly) {
  CandidateMeter m("alexa", "0.2", "0.1", CandidateOptions{CandidateMode::kCanary, 0.5, 0.05});
  const int n = static_cast<int>(CandidateMeter::kKeptComparisons) + 20;
  for (int i = 1; i <= n; ++i) m.record(1000, true, compared(i, ""));
  const std::vector<CandidateComparison> log = m.comparisons();
  ASSERT_EQ(log.size(), CandidateMeter::kKeptComparisons);
  EXPECT_EQ(log.front().frame_seq, 21u);  // oldest first
  EXPECT_EQ(log.back().frame_seq, static_cast<uint64_t>(n));
  EXPECT_EQ(m.figures().served, static_cast<uint64_t>(n));
}

}  // namespace
}  // namespace sensix
