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

}  // namespace
}  // namespace sensix
