#include "models/landmark_decoder.h"
#include "support/tensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sensix {
namespace {

using ::testing::HasSubstr;

using testing::kNaN;

LandmarksSpec xyz_spec() {
  LandmarksSpec s;
  s.output = "Identity";
  return s;  // values: x, y, z
}

LandmarkDecoder make(const LandmarksSpec& s, int64_t num_values, int w, int h, std::vector<std::string> names = {}) {
  auto d = LandmarkDecoder::create(s, num_values, w, h, std::move(names));
  EXPECT_TRUE(d.ok()) << d.status().message();
  return std::move(d).value();
}

LandmarkResult decode_ok(const LandmarkDecoder& d, const std::vector<float>& v, std::optional<float> presence,
                         const ImageGeometry* g) {
  auto r = d.decode(v, presence, g);
  EXPECT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r.ok() && r->has_value()) << "no landmarks reported";
  return r.ok() && r->has_value() ? **r : LandmarkResult();
}

// 640x480 letterboxed into 128x128: scale 0.2, 16 px of padding above and below.
ImageGeometry letterbox_640x480_to_128() {
  ImageGeometry g;
  g.src_width = 640;
  g.src_height = 480;
  g.dst_width = 128;
  g.dst_height = 128;
  g.scale_x = g.scale_y = 0.2f;
  g.pad_y = 16;
  return g;
}

TEST(LandmarkDecoder, WithoutGeometryPointsStayInInputPixels) {
  LandmarkDecoder d = make(xyz_spec(), 6, 128, 128);
  EXPECT_EQ(d.num_points(), 2);
  LandmarkResult r = decode_ok(d, {10, 20, -3, 100, 50, 4}, std::nullopt, nullptr);
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.score, 1.0f);
  EXPECT_EQ(r.points[0].x, 10.0f);
  EXPECT_EQ(r.points[0].y, 20.0f);
  EXPECT_EQ(r.points[0].z, -3.0f);
  EXPECT_EQ(r.points[1].x, 100.0f);
  EXPECT_EQ(r.points[1].y, 50.0f);
  EXPECT_EQ(r.points[1].z, 4.0f);
  EXPECT_FALSE(r.points[0].visibility.has_value());
  EXPECT_FALSE(r.points[0].presence.has_value());
  EXPECT_TRUE(r.points[0].name.empty());
}

TEST(LandmarkDecoder, LetterboxMapsBackToTheSourceFrame) {
  const ImageGeometry g = letterbox_640x480_to_128();
  LandmarkDecoder d = make(xyz_spec(), 9, 128, 128);
  // Input (0,16) is the source's top-left, (64,64) its centre, (128,112) its bottom-right.
  LandmarkResult r = decode_ok(d, {0, 16, 0, 64, 64, 2, 128, 112, -1}, std::nullopt, &g);
  ASSERT_EQ(r.points.size(), 3u);
  EXPECT_NEAR(r.points[0].x, 0.0f, 1e-3);
  EXPECT_NEAR(r.points[0].y, 0.0f, 1e-3);
  EXPECT_NEAR(r.points[1].x, 320.0f, 1e-3);
  EXPECT_NEAR(r.points[1].y, 240.0f, 1e-3);
  EXPECT_NEAR(r.points[2].x, 640.0f, 1e-3);
  EXPECT_NEAR(r.points[2].y, 480.0f, 1e-3);
  // One input pixel is 5 source pixels: z scales like x.
  EXPECT_NEAR(r.points[1].z, 10.0f, 1e-3);
  EXPECT_NEAR(r.points[2].z, -5.0f, 1e-3);
}

TEST(LandmarkDecoder, DeclaredInputSizeIsWhatCoordinatesAreRelativeTo) {
  // Coordinates relative to a 256x256 input while the geometry's model input is 128x128.
  const ImageGeometry g = letterbox_640x480_to_128();
  LandmarkDecoder d = make(xyz_spec(), 3, 256, 256);
  LandmarkResult r = decode_ok(d, {128, 128, 0}, std::nullopt, &g);
  EXPECT_NEAR(r.points[0].x, 320.0f, 1e-3);
  EXPECT_NEAR(r.points[0].y, 240.0f, 1e-3);
}

TEST(LandmarkDecoder, RotationAndCropMapBack) {
  // The source (480 wide, 640 high) rotated 90 degrees clockwise is 640x480; a crop keeps its
  // columns 100.. and rows 50.. at scale 1 into a 100x100 input.
  ImageGeometry g;
  g.src_width = 480;
  g.src_height = 640;
  g.dst_width = 100;
  g.dst_height = 100;
  g.rotation = 1;
  g.crop_x = 100;
  g.crop_y = 50;
  LandmarkDecoder d = make(xyz_spec(), 3, 100, 100);
  LandmarkResult r = decode_ok(d, {10, 20, 0}, std::nullopt, &g);
  // Rotated-frame point (110, 70) -> source (x = 70, y = 640 - 110).
  EXPECT_NEAR(r.points[0].x, 70.0f, 1e-3);
  EXPECT_NEAR(r.points[0].y, 530.0f, 1e-3);
}

TEST(LandmarkDecoder, VisibilityPresenceAndIgnoredValues) {
  LandmarksSpec s = xyz_spec();
  s.values = {LandmarkValue::kX, LandmarkValue::kY, LandmarkValue::kIgnore, LandmarkValue::kVisibility,
              LandmarkValue::kPresence};
  s.visibility_activation = Activation::kSigmoid;
  LandmarkDecoder d = make(s, 10, 64, 64, {"nose", "hip"});
  LandmarkResult r = decode_ok(d, {1, 2, 99, 0, 2, 3, 4, 99, -2, 0}, std::nullopt, nullptr);
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[0].name, "nose");
  EXPECT_EQ(r.points[1].name, "hip");
  EXPECT_EQ(r.points[0].z, 0.0f);  // the third value is ignored
  EXPECT_FLOAT_EQ(*r.points[0].visibility, 0.5f);
  EXPECT_FLOAT_EQ(*r.points[0].presence, 1.0f / (1.0f + std::exp(-2.0f)));
  EXPECT_FLOAT_EQ(*r.points[1].visibility, 1.0f / (1.0f + std::exp(2.0f)));
  EXPECT_FLOAT_EQ(*r.points[1].presence, 0.5f);
}

TEST(LandmarkDecoder, PresenceBelowThresholdReportsNothing) {
  LandmarksSpec s = xyz_spec();
  s.presence_output = "Identity_1";
  s.presence_activation = Activation::kSigmoid;
  s.presence_threshold = 0.5f;
  LandmarkDecoder d = make(s, 3, 64, 64);
  auto below = d.decode(std::vector<float>{1, 2, 3}, -0.01f, nullptr);
  ASSERT_TRUE(below.ok()) << below.status().message();
  EXPECT_FALSE(below->has_value());
  // sigmoid(0) = 0.5 reaches the threshold.
  LandmarkResult at = decode_ok(d, {1, 2, 3}, 0.0f, nullptr);
  EXPECT_FLOAT_EQ(at.score, 0.5f);
  // Without activation the raw value is the score.
  s.presence_activation = Activation::kNone;
  s.presence_threshold = 0.9f;
  LandmarkDecoder raw = make(s, 3, 64, 64);
  EXPECT_FALSE(raw.decode(std::vector<float>{1, 2, 3}, 0.89f, nullptr)->has_value());
  EXPECT_FLOAT_EQ(decode_ok(raw, {1, 2, 3}, 0.95f, nullptr).score, 0.95f);
}

TEST(LandmarkDecoder, LoadTimeChecksNameTheNumbers) {
  LandmarksSpec s = xyz_spec();
  s.values = {LandmarkValue::kX, LandmarkValue::kY, LandmarkValue::kZ, LandmarkValue::kVisibility};
  auto d = LandmarkDecoder::create(s, 195, 256, 256, {});
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("\"Identity\" has 195 values, not a whole number of points of 4 values"));

  auto names = LandmarkDecoder::create(xyz_spec(), 63, 224, 224, {"wrist", "thumb"});
  ASSERT_FALSE(names.ok());
  EXPECT_THAT(names.status().message(), HasSubstr("2 names for 21 points"));

  auto size = LandmarkDecoder::create(xyz_spec(), 63, 0, 224, {});
  ASSERT_FALSE(size.ok());
  EXPECT_THAT(size.status().message(), HasSubstr("inputSize"));

  // Unknown count (dynamic output): checked per result instead.
  LandmarkDecoder dyn = make(xyz_spec(), -1, 64, 64);
  auto bad = dyn.decode(std::vector<float>{1, 2, 3, 4}, std::nullopt, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("4 values, not a whole number of points of 3"));
}

TEST(LandmarkDecoder, NonFiniteValuesFailThatResultOnly) {
  LandmarksSpec s = xyz_spec();
  s.presence_output = "flag";
  LandmarkDecoder d = make(s, 6, 64, 64);
  auto nan_point = d.decode(std::vector<float>{1, 2, 3, 4, kNaN, 6}, 1.0f, nullptr);
  ASSERT_FALSE(nan_point.ok());
  EXPECT_EQ(nan_point.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(nan_point.status().message(), HasSubstr("point 1 value 1 is nan"));
  auto nan_presence = d.decode(std::vector<float>{1, 2, 3, 4, 5, 6}, kNaN, nullptr);
  ASSERT_FALSE(nan_presence.ok());
  EXPECT_THAT(nan_presence.status().message(), HasSubstr("presence output \"flag\""));
  // The decoder still works afterwards.
  EXPECT_EQ(decode_ok(d, {1, 2, 3, 4, 5, 6}, 1.0f, nullptr).points.size(), 2u);
  // A wrong-size result fails too.
  EXPECT_FALSE(d.decode(std::vector<float>{1, 2, 3}, 1.0f, nullptr).ok());
}

}  // namespace
}  // namespace sensix
