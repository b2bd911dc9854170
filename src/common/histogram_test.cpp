#include "common/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

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
  EXPECT_NEAR(h.percentile_ns(50), 500000, 500000 / 32.0);
  EXPECT_NEAR(h.percentile_ns(99), 990000, 990000 / 32.0);
  EXPECT_EQ(h.percentile_ns(100), 1000000);
  EXPECT_EQ(h.min_ns(), 1000);
}

// The header's promise, on every value from 16 ns to 4 s on a fine geometric grid and on every
// bucket edge: the reported percentile is within 1/32 of the sample (the largest sample is far
// above, so clamping to the maximum never helps).
TEST(LatencyHistogram, EveryPercentileIsWithinAThirtySecondOfTheSample) {
  double worst = 0;
  auto check = [&](int64_t v) {
    LatencyHistogram h;
    h.record(v);
    h.record(v);
    h.record(int64_t{1} << 40);
    const double err = std::abs(static_cast<double>(h.percentile_ns(50) - v)) / static_cast<double>(v);
    worst = std::max(worst, err);
    EXPECT_LE(err, 1.0 / 32) << "sample " << v << " reported as " << h.percentile_ns(50);
  };
  for (double v = 16; v < 4e9; v *= 1.003) check(static_cast<int64_t>(v));
  for (int shift = 0; shift < 31; ++shift) {
    for (int64_t sub = 16; sub < 32; ++sub) {
      check(sub << shift);
      check(((sub + 1) << shift) - 1);
    }
  }
  EXPECT_GT(worst, 0.025) << "the grid reaches the bucket edges, where the error is largest";
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
