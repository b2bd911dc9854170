#include "sched/profile.h"

#include <gtest/gtest.h>

namespace sensix {
namespace {

TEST(Profile, PredictsNothingBeforeAnyRun) {
  Profile p;
  EXPECT_EQ(p.predict(1), 0);
  EXPECT_EQ(p.best_ns(), 0);
}

TEST(Profile, FollowsTheMeanPerBatchSizeAndScalesToUnmeasuredSizes) {
  Profile p;
  p.record(1, 10'000'000);
  EXPECT_EQ(p.predict(1), 10'000'000);
  // A slower run moves the mean by an eighth of the difference.
  p.record(1, 18'000'000);
  EXPECT_EQ(p.predict(1), 11'000'000);
  EXPECT_EQ(p.best_ns(), 10'000'000);
  // Size 4 unmeasured: the nearest measured size (1) scaled.
  EXPECT_EQ(p.predict(4), 44'000'000);
  p.record(4, 20'000'000);
  EXPECT_EQ(p.predict(4), 20'000'000);
  EXPECT_EQ(p.predict(3), 15'000'000);  // nearest is 4: 20 ms * 3/4
  EXPECT_EQ(p.runs(), 3u);
  EXPECT_EQ(p.best_ns(), 10'000'000);  // batches do not count as single runs
  EXPECT_EQ(p.means(), (std::map<int, int64_t>{{1, 11'000'000}, {4, 20'000'000}}));
}

// p90_ns follows the histogram's 90th percentile: at every run while there are few, then every
// runs/64 runs (so one run more may leave it where it was).
TEST(Profile, TheNinetiethPercentileFollowsTheRunsAndIsRecomputedLessOftenAsTheyGrow) {
  Profile p;
  EXPECT_EQ(p.p90_ns(), 0);
  for (int i = 1; i <= 10; ++i) {
    p.record(1, i * 1'000'000);
    EXPECT_EQ(p.p90_ns(), p.latency().percentile_ns(90)) << i << " runs";
  }
  for (int i = 0; i < 990; ++i) p.record(1, 1'000'000);
  EXPECT_EQ(p.p90_ns(), p.latency().percentile_ns(90));
  EXPECT_EQ(p.runs(), 1000u);
  // 1000 runs: recomputed again only 15 runs later (1015 / 64).
  const int64_t before = p.p90_ns();
  for (int i = 0; i < 14; ++i) p.record(1, 50'000'000);
  EXPECT_EQ(p.p90_ns(), before);
  for (int i = 0; i < 200; ++i) p.record(1, 50'000'000);
  EXPECT_EQ(p.p90_ns(), p.latency().percentile_ns(90));
  EXPECT_GT(p.p90_ns(), before);
}

}  // namespace
}  // namespace sensix
