#include "models/line_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sensix {
namespace {

using ::testing::HasSubstr;

// An 8x8 grid for a 16x16 input (2 input pixels per cell).
struct Grid {
  std::vector<float> scores = std::vector<float>(64, 0.0f);
  std::vector<float> offsets = std::vector<float>(256, 0.0f);
  void set(int x, int y, float s, float dx1, float dy1, float dx2, float dy2) {
    const size_t c = static_cast<size_t>(y * 8 + x);
    scores[c] = s;
    offsets[c * 4 + 0] = dx1;
    offsets[c * 4 + 1] = dy1;
    offsets[c * 4 + 2] = dx2;
    offsets[c * 4 + 3] = dy2;
  }
};

LineDecoder make(const LinesSpec& s) {
  auto d = LineDecoder::create(s, 8, 8, 16, 16);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return std::move(d).value();
}

std::vector<Segment> decode_ok(const LineDecoder& d, const Grid& g, const ImageGeometry* geo = nullptr) {
  auto r = d.decode(g.scores, g.offsets, geo);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : std::vector<Segment>();
}

Grid two_lines() {
  Grid g;
  g.set(3, 4, 0.9f, -2, 0, 2, 0);  // a horizontal segment (2,8)-(10,8): 8 px
  g.set(4, 4, 0.5f, -1, 0, 1, 0);  // next to a better centre: not a local maximum
  g.set(6, 1, 0.3f, 0, -1, 0, 1);  // a vertical segment (12,0)-(12,4): 4 px
  g.set(0, 7, 0.05f, 0, 0, 3, 0);  // under the threshold
  return g;
}

TEST(LineDecoder, LocalMaximaOverThresholdBestFirst) {
  LinesSpec s;
  s.threshold = 0.1f;
  auto segs = decode_ok(make(s), two_lines());
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_FLOAT_EQ(segs[0].score, 0.9f);
  EXPECT_FLOAT_EQ(segs[0].x1, 2.0f);
  EXPECT_FLOAT_EQ(segs[0].y1, 8.0f);
  EXPECT_FLOAT_EQ(segs[0].x2, 10.0f);
  EXPECT_FLOAT_EQ(segs[0].y2, 8.0f);
  EXPECT_FLOAT_EQ(segs[1].score, 0.3f);
  EXPECT_FLOAT_EQ(segs[1].x1, 12.0f);
  EXPECT_FLOAT_EQ(segs[1].y1, 0.0f);
  EXPECT_FLOAT_EQ(segs[1].x2, 12.0f);
  EXPECT_FLOAT_EQ(segs[1].y2, 4.0f);
}

TEST(LineDecoder, MinLengthAndMaxLines) {
  LinesSpec s;
  s.min_length = 5;
  auto segs = decode_ok(make(s), two_lines());
  ASSERT_EQ(segs.size(), 1u);  // the 4 px one is dropped
  EXPECT_FLOAT_EQ(segs[0].score, 0.9f);
  s.min_length = 0;
  s.max_lines = 1;
  EXPECT_EQ(decode_ok(make(s), two_lines()).size(), 1u);
  s.max_lines = 10;
  s.threshold = 0.95f;
  EXPECT_TRUE(decode_ok(make(s), two_lines()).empty());
}

TEST(LineDecoder, SigmoidScores) {
  LinesSpec s;
  s.score_activation = Activation::kSigmoid;
  s.threshold = 0.5f;
  Grid g;  // raw 0 everywhere: sigmoid 0.5, every cell ties with its neighbours
  g.scores.assign(64, -5.0f);
  g.set(2, 2, 1.0f, 0, 0, 1, 1);
  auto segs = decode_ok(make(s), g);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_FLOAT_EQ(segs[0].score, 1.0f / (1.0f + std::exp(-1.0f)));
}

TEST(LineDecoder, GeometryMapsToSourcePixels) {
  // A 32x64 source letterboxed into 16x16: scale 0.25, 4 px of padding left and right.
  ImageGeometry geo;
  geo.src_width = 32;
  geo.src_height = 64;
  geo.dst_width = 16;
  geo.dst_height = 16;
  geo.scale_x = geo.scale_y = 0.25f;
  geo.pad_x = 4;
  LinesSpec s;
  auto segs = decode_ok(make(s), two_lines(), &geo);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_NEAR(segs[0].x1, (2 - 4) / 0.25f, 1e-4);
  EXPECT_NEAR(segs[0].y1, 8 / 0.25f, 1e-4);
  EXPECT_NEAR(segs[0].x2, (10 - 4) / 0.25f, 1e-4);
}

TEST(LineDecoder, BadTensorsFailThatResultOnly) {
  LineDecoder d = make(LinesSpec{});
  Grid g = two_lines();
  g.offsets[13 * 4 + 2] = std::numeric_limits<float>::infinity();
  auto inf = d.decode(g.scores, g.offsets, nullptr);
  ASSERT_FALSE(inf.ok());
  EXPECT_THAT(inf.status().message(), HasSubstr("offset 2 of cell (5, 1) is inf"));
  g = two_lines();
  g.scores[9] = std::numeric_limits<float>::quiet_NaN();
  auto nan = d.decode(g.scores, g.offsets, nullptr);
  ASSERT_FALSE(nan.ok());
  EXPECT_THAT(nan.status().message(), HasSubstr("score at cell (1, 1) is nan"));
  auto size = d.decode(std::span<const float>(g.scores.data(), 10), g.offsets, nullptr);
  ASSERT_FALSE(size.ok());
  EXPECT_THAT(size.status().message(), HasSubstr("needs 64 scores and 256 offsets, got 10 and 256"));
  EXPECT_EQ(decode_ok(d, two_lines()).size(), 2u);
}

TEST(LineDecoder, BadParametersAreRefused) {
  LinesSpec s;
  s.threshold = 2;
  EXPECT_THAT(LineDecoder::create(s, 8, 8, 16, 16).status().message(), HasSubstr("threshold: 2 is not within 0..1"));
  EXPECT_THAT(LineDecoder::create(LinesSpec{}, 8, 8, 0, 16).status().message(), HasSubstr("inputSize"));
  s = {};
  s.max_lines = 0;
  EXPECT_THAT(LineDecoder::create(s, 8, 8, 16, 16).status().message(), HasSubstr("maxLines"));
}

}  // namespace
}  // namespace sensix
