#include "common/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

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

TEST(LatencyHistogram, SumOfSamples) {
  LatencyHistogram h;
  EXPECT_EQ(h.sum_ns(), 0);
  h.record(3);
  h.record(1'000'000'007);
  h.record(-5);  // recorded as 0
  EXPECT_EQ(h.sum_ns(), 1'000'000'010);
  LatencyHistogram other;
  other.record(90);
  h.merge(other);
  EXPECT_EQ(h.sum_ns(), 1'000'000'100);
}

TEST(LatencyHistogram, CountAtMostIsExactForSmallValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.count_at_most(0), 0);
  EXPECT_EQ(h.count_at_most(INT64_MAX), 0);
  for (int v : {3, 3, 7, 9}) h.record(v);
  EXPECT_EQ(h.count_at_most(-1), 0);
  EXPECT_EQ(h.count_at_most(2), 0);
  EXPECT_EQ(h.count_at_most(3), 2);
  EXPECT_EQ(h.count_at_most(6), 2);
  EXPECT_EQ(h.count_at_most(7), 3);
  EXPECT_EQ(h.count_at_most(8), 3);
  EXPECT_EQ(h.count_at_most(9), 4);
  EXPECT_EQ(h.count_at_most(INT64_MAX), 4);
}

// 1000 and 1020 share the bucket [992, 1023], whose middle is 1007: both count from 1007 on, neither
// before, although 1000 <= 1006 and 1020 > 1007.
TEST(LatencyHistogram, CountAtMostCountsAStraddlingBucketByItsMiddle) {
  LatencyHistogram h;
  for (int v : {10, 1000, 1020, 4870}) h.record(v);
  EXPECT_EQ(h.count_at_most(991), 1);
  EXPECT_EQ(h.count_at_most(1006), 1);
  EXPECT_EQ(h.count_at_most(1007), 3);
  EXPECT_EQ(h.count_at_most(1023), 3);
  EXPECT_EQ(h.count_at_most(4869), 3);
  EXPECT_EQ(h.count_at_most(4870), 4);  // the maximum is known exactly (its bucket's middle is 4991)
}

// The clamp to [min, max], as in percentile_ns: one bucket [992, 1023] holding 1000 and 1001 only.
TEST(LatencyHistogram, CountAtMostUsesTheExactMinimumAndMaximum) {
  LatencyHistogram h;
  h.record(1000);
  h.record(1001);
  EXPECT_EQ(h.count_at_most(999), 0);
  EXPECT_EQ(h.count_at_most(1000), 0);  // the middle, 1007, is above 1000
  EXPECT_EQ(h.count_at_most(1001), 2);  // the maximum: all of them
}

// A percentile and count_at_most agree: the value reported for the r-th sample has at least r
// samples at or below it, and fewer than r just below it.
TEST(LatencyHistogram, CountAtMostAgreesWithPercentiles) {
  LatencyHistogram h;
  for (double v = 20; v < 2e8; v *= 1.37) h.record(static_cast<int64_t>(v));
  const int64_t n = h.count();
  ASSERT_GT(n, 40);
  for (int p = 1; p < 100; ++p) {
    const int64_t rank = std::clamp<int64_t>(static_cast<int64_t>(p / 100.0 * static_cast<double>(n) + 0.5), 1, n);
    const int64_t v = h.percentile_ns(p);
    EXPECT_GE(h.count_at_most(v), rank) << "p" << p << " = " << v;
    EXPECT_LT(h.count_at_most(v - 1), rank) << "p" << p << " = " << v;
  }
}

// Against the true counts: monotone, and wrong only by samples within 1/16 of the bound.
TEST(LatencyHistogram, CountAtMostIsMonotoneAndNearTheTrueCount) {
  LatencyHistogram h;
  std::vector<int64_t> samples;
  for (double v = 1; v < 5e9; v *= 1.011) samples.push_back(static_cast<int64_t>(v));
  for (int64_t v : samples) h.record(v);
  int64_t last = 0;
  for (double b = 0.5; b < 1e10; b *= 1.07) {
    const auto bound = static_cast<int64_t>(b);
    const int64_t got = h.count_at_most(bound);
    EXPECT_GE(got, last) << bound;
    last = got;
    const auto truth = std::count_if(samples.begin(), samples.end(), [&](int64_t v) { return v <= bound; });
    const auto near = std::count_if(samples.begin(), samples.end(), [&](int64_t v) {
      return std::abs(static_cast<double>(v - bound)) <= static_cast<double>(bound) / 16.0;
    });
    EXPECT_LE(std::abs(got - truth), near) << bound;
  }
  EXPECT_EQ(last, h.count());
}

}  // namespace
}  // namespace sensix
