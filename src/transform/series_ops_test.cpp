// SeriesResampler against hand-computed interpolations.
#include "transform/series_ops.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sensix {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(SeriesResampler, InterpolatesIrregularSamplesOntoTheGrid) {
  // Two channels at 0, 30, 50 ms: (0, 10), (3, 40), (5, 0). At 100 Hz the grid is every 10 ms
  // from 0: channel 0 is 0..5 in steps of 1 (a straight line); channel 1 rises 10 per 10 ms to
  // 40 at 30 ms, then falls 20 per 10 ms.
  auto r = SeriesResampler::create(100.0, 2, 1000 * kMs);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<float> rows;
  std::vector<int64_t> times;
  ASSERT_TRUE(r->push(0, std::vector<float>{0, 10}, &rows, &times).ok());
  ASSERT_TRUE(r->push(30 * kMs, std::vector<float>{3, 40}, &rows, &times).ok());
  ASSERT_TRUE(r->push(50 * kMs, std::vector<float>{5, 0}, &rows, &times).ok());
  const std::vector<float> want{0, 10, 1, 20, 2, 30, 3, 40, 4, 20, 5, 0};
  ASSERT_EQ(rows.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(rows[i], want[i], 1e-5f) << i;
  EXPECT_EQ(times, (std::vector<int64_t>{0, 10 * kMs, 20 * kMs, 30 * kMs, 40 * kMs, 50 * kMs}));
}

TEST(SeriesResampler, FasterInputIsDecimatedBetweenReadings) {
  // 1 kHz readings of v = t in ms, resampled to 300 Hz: grid points at k * 3.333... ms, each
  // interpolated between the two readings around it, so v = the grid time in ms.
  auto r = SeriesResampler::create(300.0, 1, 1000 * kMs);
  ASSERT_TRUE(r.ok());
  std::vector<float> rows;
  std::vector<int64_t> times;
  for (int t = 0; t <= 20; ++t)
    ASSERT_TRUE(r->push(t * kMs, std::vector<float>{static_cast<float>(t)}, &rows, &times).ok());
  ASSERT_EQ(rows.size(), 7u);  // 0, 3.33, 6.67, 10, 13.33, 16.67, 20 ms
  for (size_t k = 0; k < rows.size(); ++k) {
    EXPECT_NEAR(rows[k], static_cast<double>(k) * 10.0 / 3.0, 1e-4) << k;
    EXPECT_EQ(times[k], std::llround(static_cast<double>(k) * 1e9 / 300.0)) << k;
  }
}

TEST(SeriesResampler, DoesNotBridgeAGap) {
  auto r = SeriesResampler::create(100.0, 1, 100 * kMs);
  ASSERT_TRUE(r.ok());
  std::vector<float> rows;
  std::vector<int64_t> times;
  ASSERT_TRUE(r->push(0, std::vector<float>{1}, &rows, &times).ok());
  ASSERT_TRUE(r->push(20 * kMs, std::vector<float>{3}, &rows, &times).ok());
  // 500 ms later: no rows for the gap; the grid restarts at 520 ms.
  ASSERT_TRUE(r->push(520 * kMs, std::vector<float>{7}, &rows, &times).ok());
  ASSERT_TRUE(r->push(535 * kMs, std::vector<float>{10}, &rows, &times).ok());
  EXPECT_EQ(rows, (std::vector<float>{1, 2, 3, 7, 9}));
  EXPECT_EQ(times, (std::vector<int64_t>{0, 10 * kMs, 20 * kMs, 520 * kMs, 530 * kMs}));
  EXPECT_EQ(r->gaps(), 1u);
}

TEST(SeriesResampler, BadSamplesAreRefusedAndTheStreamGoesOn) {
  auto r = SeriesResampler::create(100.0, 2, 1000 * kMs);
  ASSERT_TRUE(r.ok());
  std::vector<float> rows;
  ASSERT_TRUE(r->push(10 * kMs, std::vector<float>{0, 0}, &rows, nullptr).ok());
  Status late = r->push(5 * kMs, std::vector<float>{1, 1}, &rows, nullptr);
  EXPECT_NE(late.message().find("at 5000000 ns is not after the previous one at 10000000 ns"), std::string::npos)
      << late;
  Status same = r->push(10 * kMs, std::vector<float>{1, 1}, &rows, nullptr);
  EXPECT_FALSE(same.ok());
  Status width = r->push(20 * kMs, std::vector<float>{1}, &rows, nullptr);
  EXPECT_NE(width.message().find("must have 2 values, got 1"), std::string::npos) << width;
  Status nan = r->push(20 * kMs, std::vector<float>{1, std::nanf("")}, &rows, nullptr);
  EXPECT_NE(nan.message().find("value 1 is not finite"), std::string::npos) << nan;
  // The refused samples changed nothing: the next good one interpolates from the 10 ms reading.
  ASSERT_TRUE(r->push(30 * kMs, std::vector<float>{2, 4}, &rows, nullptr).ok());
  EXPECT_EQ(rows, (std::vector<float>{0, 0, 1, 2, 2, 4}));
  EXPECT_FALSE(SeriesResampler::create(0.0, 1, kMs).ok());
  EXPECT_FALSE(SeriesResampler::create(50.0, 0, kMs).ok());
  EXPECT_FALSE(SeriesResampler::create(50.0, 1, 0).ok());
}

}  // namespace
}  // namespace sensix
