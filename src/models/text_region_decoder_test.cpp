#include "models/text_region_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

namespace sensix {
namespace {

using ::testing::HasSubstr;

struct Map {
  int w, h;
  std::vector<float> v;
  Map(int width, int height) : w(width), h(height), v(static_cast<size_t>(width * height), 0.0f) {}
  // Sets columns [x0, x1] and rows [y0, y1] (inclusive) to p.
  void fill(int x0, int y0, int x1, int y1, float p) {
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) v[static_cast<size_t>(y * w + x)] = p;
    }
  }
};

TextRegionDecoder make(const TextRegionsSpec& s = {}) {
  auto d = TextRegionDecoder::create(s);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return std::move(d).value();
}

std::vector<Detection> decode_ok(const TextRegionDecoder& d, const Map& m, const ImageGeometry* g = nullptr) {
  auto r = d.decode(m.v, m.h, m.w, g);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : std::vector<Detection>();
}

TEST(TextRegionDecoder, OneRectangleIsExpandedByTheUnclipOffset) {
  Map m(100, 40);
  m.fill(20, 10, 59, 19, 0.9f);  // 40 x 10 pixels
  auto dets = decode_ok(make(), m);
  ASSERT_EQ(dets.size(), 1u);
  const Detection& d = dets[0];
  EXPECT_EQ(d.label, "text");
  EXPECT_NEAR(d.score, 0.9f, 1e-5);
  // The contour runs through the pixel centres: a 39 x 9 rectangle centred on (39.5, 14.5). Area
  // 351, perimeter 96: offset 351 * 1.5 / 96 = 5.484375 on every side.
  const float off = 5.484375f;
  EXPECT_NEAR(d.x, 20 - off, 1e-3);
  EXPECT_NEAR(d.y, 10 - off, 1e-3);
  EXPECT_NEAR(d.w, 39 + 2 * off, 1e-3);
  EXPECT_NEAR(d.h, 9 + 2 * off, 1e-3);
  ASSERT_EQ(d.keypoints.size(), 4u);
  // Top-left, top-right, bottom-right, bottom-left.
  EXPECT_NEAR(d.keypoints[0][0], 20 - off, 1e-3);
  EXPECT_NEAR(d.keypoints[0][1], 10 - off, 1e-3);
  EXPECT_NEAR(d.keypoints[1][0], 59 + off, 1e-3);
  EXPECT_NEAR(d.keypoints[1][1], 10 - off, 1e-3);
  EXPECT_NEAR(d.keypoints[2][0], 59 + off, 1e-3);
  EXPECT_NEAR(d.keypoints[2][1], 19 + off, 1e-3);
  EXPECT_NEAR(d.keypoints[3][0], 20 - off, 1e-3);
  EXPECT_NEAR(d.keypoints[3][1], 19 + off, 1e-3);
}

TEST(TextRegionDecoder, UnclipRatioZeroKeepsTheContourBox) {
  Map m(100, 40);
  m.fill(20, 10, 59, 19, 0.9f);
  TextRegionsSpec s;
  s.unclip_ratio = 0;
  auto dets = decode_ok(make(s), m);
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_NEAR(dets[0].x, 20.0f, 1e-3);
  EXPECT_NEAR(dets[0].w, 39.0f, 1e-3);
}

TEST(TextRegionDecoder, ThresholdsAndMinimumSize) {
  Map m(100, 60);
  m.fill(10, 5, 49, 14, 0.5f);    // over threshold 0.3, but its mean is under boxThreshold 0.6
  m.fill(10, 30, 49, 31, 0.9f);   // 2 rows: short side 1 < minSize 3
  m.fill(60, 30, 89, 41, 0.25f);  // under threshold: not even a contour
  EXPECT_TRUE(decode_ok(make(), m).empty());
  // Lower boxThreshold: the first region is reported, with its mean as score.
  TextRegionsSpec s;
  s.box_threshold = 0.5f;
  auto dets = decode_ok(make(s), m);
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_NEAR(dets[0].score, 0.5f, 1e-5);
  // Lower threshold: the third appears (mean 0.25 >= boxThreshold 0.2).
  s.threshold = 0.2f;
  s.box_threshold = 0.2f;
  EXPECT_EQ(decode_ok(make(s), m).size(), 2u);
}

TEST(TextRegionDecoder, BestFirstAndAtMostMaxRegions) {
  Map m(100, 100);
  m.fill(10, 10, 40, 20, 0.7f);
  m.fill(10, 40, 40, 50, 0.95f);
  m.fill(10, 70, 40, 80, 0.8f);
  TextRegionsSpec s;
  s.max_regions = 2;
  auto dets = decode_ok(make(s), m);
  ASSERT_EQ(dets.size(), 2u);
  EXPECT_NEAR(dets[0].score, 0.95f, 1e-5);
  EXPECT_NEAR(dets[1].score, 0.8f, 1e-5);
}

TEST(TextRegionDecoder, RotatedRegionKeepsFourCorners) {
  // A 50 x 10 rectangle turned 30 degrees, drawn into the map: the region's corners follow it and
  // the box is their extent.
  cv::Mat img = cv::Mat::zeros(80, 80, CV_32F);
  const cv::RotatedRect drawn(cv::Point2f(40, 40), cv::Size2f(50, 10), 30);
  cv::Point2f c[4];
  drawn.points(c);
  std::vector<cv::Point> poly;
  for (const auto& p : c) poly.emplace_back(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
  cv::fillConvexPoly(img, poly, cv::Scalar(0.9));
  Map m(80, 80);
  m.v.assign(img.ptr<float>(), img.ptr<float>() + 80 * 80);
  TextRegionsSpec s;
  s.unclip_ratio = 0;
  auto dets = decode_ok(make(s), m);
  ASSERT_EQ(dets.size(), 1u);
  const Detection& d = dets[0];
  ASSERT_EQ(d.keypoints.size(), 4u);
  // Top-left corner of the turned rectangle: the leftmost of its corners, upper of the two leftmost.
  std::vector<cv::Point2f> sorted(c, c + 4);
  std::sort(sorted.begin(), sorted.end(), [](auto a, auto b) { return a.x < b.x; });
  const cv::Point2f tl = sorted[0].y <= sorted[1].y ? sorted[0] : sorted[1];
  EXPECT_NEAR(d.keypoints[0][0], tl.x, 1.5);
  EXPECT_NEAR(d.keypoints[0][1], tl.y, 1.5);
  float x0 = 1e9f, x1 = -1e9f, y0 = 1e9f;
  for (const auto& k : d.keypoints) {
    x0 = std::min(x0, k[0]);
    x1 = std::max(x1, k[0]);
    y0 = std::min(y0, k[1]);
  }
  EXPECT_FLOAT_EQ(d.x, x0);
  EXPECT_FLOAT_EQ(d.y, y0);
  EXPECT_FLOAT_EQ(d.w, x1 - x0);
  // The extent of a 50 x 10 rectangle at 30 degrees: 50 cos 30 + 10 sin 30 = 48.3 wide.
  EXPECT_NEAR(d.w, 48.3f, 2.0f);
  // Turned: the top-left corner is not the box's top-left.
  EXPECT_GT(std::abs(d.keypoints[0][0] - d.x) + std::abs(d.keypoints[0][1] - d.y), 2.0f);
}

TEST(TextRegionDecoder, GeometryMapsToSourcePixels) {
  // A 200x100 source letterboxed into 100x100: scale 0.5, 25 px of padding above.
  ImageGeometry g;
  g.src_width = 200;
  g.src_height = 100;
  g.dst_width = 100;
  g.dst_height = 100;
  g.scale_x = g.scale_y = 0.5f;
  g.pad_y = 25;
  Map m(100, 100);
  m.fill(20, 40, 59, 49, 0.9f);
  TextRegionsSpec s;
  s.unclip_ratio = 0;
  auto dets = decode_ok(make(s), m, &g);
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_NEAR(dets[0].x, 40.0f, 1e-3);  // 20 / 0.5
  EXPECT_NEAR(dets[0].y, 30.0f, 1e-3);  // (40 - 25) / 0.5
  EXPECT_NEAR(dets[0].w, 78.0f, 1e-3);  // 39 / 0.5
  EXPECT_NEAR(dets[0].h, 18.0f, 1e-3);  // 9 / 0.5
}

TEST(TextRegionDecoder, BadMapsFailThatResultOnly) {
  TextRegionDecoder d = make();
  Map m(10, 10);
  m.v[23] = std::numeric_limits<float>::quiet_NaN();
  auto nan = d.decode(m.v, 10, 10, nullptr);
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(nan.status().message(), HasSubstr("(3, 2) is nan"));
  auto size = d.decode(m.v, 10, 11, nullptr);
  ASSERT_FALSE(size.ok());
  EXPECT_THAT(size.status().message(), HasSubstr("needs 110 values, got 100"));
  Map ok(10, 10);
  EXPECT_TRUE(decode_ok(d, ok).empty());
}

TEST(TextRegionDecoder, BadParametersAreRefused) {
  TextRegionsSpec s;
  s.threshold = 1.5f;
  EXPECT_THAT(TextRegionDecoder::create(s).status().message(), HasSubstr("threshold: 1.5 is not within 0..1"));
  s = {};
  s.box_threshold = -0.1f;
  EXPECT_THAT(TextRegionDecoder::create(s).status().message(), HasSubstr("boxThreshold"));
  s = {};
  s.max_regions = 0;
  EXPECT_THAT(TextRegionDecoder::create(s).status().message(), HasSubstr("maxRegions"));
}

}  // namespace
}  // namespace sensix
