#include "common/histogram.h"

#include <gtest/gtest.h>

namespace sensix {
namespace {

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.percentile_ns(99), 0);
  EXPECT_EQ(h.mean_ns(), 0.0);
}

TEST(LatencyHistogram, PercentilesWithinBucketError) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.record(i * 1000);  // 1 us .. 1 ms
  EXPECT_EQ(h.count(), 1000);
  EXPECT_DOUBLE_EQ(h.mean_ns(), 500500.0);
  EXPECT_NEAR(h.percentile_ns(50), 500000, 500000 * 0.07);
  EXPECT_NEAR(h.percentile_ns(99), 990000, 990000 * 0.07);
  EXPECT_EQ(h.percentile_ns(100), 1000000);
  EXPECT_EQ(h.min_ns(), 1000);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v : {3, 3, 7, 9}) h.record(v);
  EXPECT_EQ(h.percentile_ns(50), 3);
  EXPECT_EQ(h.percentile_ns(100), 9);
}

TEST(LatencyHistogram, MergeAddsCounts) {
  LatencyHistogram a, b;
  a.record(10);
  b.record(1000);
  a.merge(b);
  EXPECT_EQ(a.count(), 2);
  EXPECT_EQ(a.max_ns(), 1000);
  EXPECT_EQ(a.min_ns(), 10);
}

}  // namespace
}  // namespace sensix
