#include "models/anchors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

namespace sensix {
namespace {

using ::testing::HasSubstr;

// The parameters of MediaPipe's face_detection_front_cpu.pbtxt (SsdAnchorsCalculator node).
AnchorSpec blazeface_front() {
  AnchorSpec s;
  s.num_layers = 4;
  s.min_scale = 0.1484375f;
  s.max_scale = 0.75f;
  s.input_width = 128;
  s.input_height = 128;
  s.strides = {8, 16, 16, 16};
  s.aspect_ratios = {1.0f};
  s.fixed_anchor_size = true;
  return s;
}

// The parameters of MediaPipe's face_detection_back_desktop_live.pbtxt.
AnchorSpec blazeface_back() {
  AnchorSpec s = blazeface_front();
  s.min_scale = 0.15625f;
  s.input_width = 256;
  s.input_height = 256;
  s.strides = {16, 32, 32, 32};
  return s;
}

// The parameters of MediaPipe's objectron object_detection_oid_v4_cpu.pbtxt (and of the
// MobileSSDConfig case of ssd_anchors_calculator_test.cc).
AnchorSpec ssd_oidv4() {
  AnchorSpec s;
  s.num_layers = 6;
  s.min_scale = 0.2f;
  s.max_scale = 0.95f;
  s.input_width = 300;
  s.input_height = 300;
  s.strides = {16, 32, 64, 128, 256, 512};
  s.aspect_ratios = {1.0f, 2.0f, 0.5f, 3.0f, 0.3333f};
  s.reduce_boxes_in_lowest_layer = true;
  return s;
}

std::vector<Anchor> generate_ok(const AnchorSpec& s) {
  auto r = generate_ssd_anchors(s);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : std::vector<Anchor>();
}

TEST(SsdAnchors, BlazeFaceFrontHas896AnchorsIn512Plus384) {
  auto a = generate_ok(blazeface_front());
  ASSERT_EQ(a.size(), 896u);
  // Stride 8: 16x16 cells x 2 anchors (aspect 1 + interpolated) = 512, then the three stride-16
  // layers merged: 8x8 cells x 6 anchors = 384.
  // Index 0 and 1: cell (0, 0) of the 16x16 grid, centre (0.5 / 16, 0.5 / 16).
  EXPECT_EQ(a[0].x_center, 0.03125f);
  EXPECT_EQ(a[0].y_center, 0.03125f);
  EXPECT_EQ(a[0].w, 1.0f);
  EXPECT_EQ(a[0].h, 1.0f);
  EXPECT_EQ(a[1].x_center, 0.03125f);
  // Index 2: the next column, x = 1.5 / 16.
  EXPECT_EQ(a[2].x_center, 0.09375f);
  EXPECT_EQ(a[2].y_center, 0.03125f);
  // Index (3 * 16 + 5) * 2 + 1 = 107: row 3, column 5 -> (5.5 / 16, 3.5 / 16).
  EXPECT_EQ(a[107].x_center, 0.34375f);
  EXPECT_EQ(a[107].y_center, 0.21875f);
  // Index 511: the last cell of the 16x16 grid.
  EXPECT_EQ(a[511].x_center, 0.96875f);
  EXPECT_EQ(a[511].y_center, 0.96875f);
  // Index 512..517: cell (0, 0) of the 8x8 grid, six anchors at (0.5 / 8, 0.5 / 8).
  for (int i = 512; i < 518; ++i) {
    EXPECT_EQ(a[i].x_center, 0.0625f) << i;
    EXPECT_EQ(a[i].y_center, 0.0625f) << i;
  }
  // Index 518: the next column, 1.5 / 8.
  EXPECT_EQ(a[518].x_center, 0.1875f);
  EXPECT_EQ(a[518].y_center, 0.0625f);
  // Index 512 + (2 * 8 + 7) * 6 = 650: row 2, column 7 -> (7.5 / 8, 2.5 / 8).
  EXPECT_EQ(a[650].x_center, 0.9375f);
  EXPECT_EQ(a[650].y_center, 0.3125f);
  EXPECT_EQ(a[895].x_center, 0.9375f);
  EXPECT_EQ(a[895].y_center, 0.9375f);
  for (const Anchor& x : a) ASSERT_TRUE(x.w == 1.0f && x.h == 1.0f);
}

TEST(SsdAnchors, BlazeFaceBackHas896Anchors) {
  auto a = generate_ok(blazeface_back());
  ASSERT_EQ(a.size(), 896u);  // 256/16 = 16x16x2 + 256/32 = 8x8x6, the same layout as front
  EXPECT_EQ(a[0].x_center, 0.03125f);
  EXPECT_EQ(a[512].x_center, 0.0625f);
}

TEST(SsdAnchors, MergedLayersKeepMediaPipeScaleOrder) {
  // BlazeFace front without fixed sizes: the merged stride-16 grid holds, per cell, layer 1's
  // (scale, interpolated), then layer 2's, then layer 3's.
  AnchorSpec s = blazeface_front();
  s.fixed_anchor_size = false;
  auto a = generate_ok(s);
  ASSERT_EQ(a.size(), 896u);
  const double s0 = 0.1484375, s3 = 0.75;
  const double s1 = s0 + (s3 - s0) * 1.0 / 3.0, s2 = s0 + (s3 - s0) * 2.0 / 3.0;
  EXPECT_NEAR(a[0].w, s0, 1e-6);
  EXPECT_NEAR(a[1].w, std::sqrt(s0 * s1), 1e-6);
  const double cell[6] = {s1, std::sqrt(s1 * s2), s2, std::sqrt(s2 * s3), s3, std::sqrt(s3 * 1.0)};
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(a[512 + i].w, cell[i], 1e-6) << i;
    EXPECT_NEAR(a[512 + i].h, cell[i], 1e-6) << i;
  }
}

TEST(SsdAnchors, SsdMobileNetOidv4Has1917Anchors) {
  auto a = generate_ok(ssd_oidv4());
  // 19x19x3 (reduced lowest layer) + 10x10x6 + 5x5x6 + 3x3x6 + 2x2x6 + 1x1x6.
  EXPECT_EQ(a.size(), 1917u);
}

// Rows of MediaPipe's mediapipe/calculators/tflite/testdata/anchor_golden_file_1.txt (the
// golden output of ssd_anchors_calculator_test.cc's MobileSSDConfig, which has the OIDv4
// parameters), "x_center y_center w h", compared with MediaPipe's own tolerance 1e-5.
TEST(SsdAnchors, SsdMobileNetMatchesMediaPipeGoldenRows) {
  struct Row {
    int index;
    float x, y, w, h;
  };
  const Row golden[] = {
      {0, 0.0263158f, 0.0263158f, 0.1f, 0.1f},
      {1, 0.0263158f, 0.0263158f, 0.282843f, 0.141421f},
      {2, 0.0263158f, 0.0263158f, 0.141421f, 0.282843f},
      {3, 0.0789474f, 0.0263158f, 0.1f, 0.1f},
      {57, 0.0263158f, 0.0789474f, 0.1f, 0.1f},
      {1143, 0.05f, 0.15f, 0.35f, 0.35f},
      {1144, 0.05f, 0.15f, 0.494975f, 0.247487f},
      {1145, 0.05f, 0.15f, 0.247487f, 0.494975f},
      {1146, 0.05f, 0.15f, 0.606218f, 0.202073f},
      {1147, 0.05f, 0.15f, 0.202062f, 0.606248f},
      {1148, 0.05f, 0.15f, 0.41833f, 0.41833f},
      {1201, 0.95f, 0.15f, 0.202063f, 0.606248f},
      {1683, 0.1f, 0.1f, 0.5f, 0.5f},
      {1687, 0.1f, 0.1f, 0.288661f, 0.866069f},
      {1688, 0.1f, 0.1f, 0.570088f, 0.570088f},
      {1833, 0.166667f, 0.166667f, 0.65f, 0.65f},
      {1836, 0.166667f, 0.166667f, 1.12583f, 0.375278f},
      {1887, 0.25f, 0.25f, 0.8f, 0.8f},
      {1910, 0.75f, 0.75f, 0.87178f, 0.87178f},
      {1911, 0.5f, 0.5f, 0.95f, 0.95f},
      {1912, 0.5f, 0.5f, 1.3435f, 0.671751f},
      {1914, 0.5f, 0.5f, 1.64545f, 0.548483f},
      {1915, 0.5f, 0.5f, 0.548455f, 1.64553f},
      {1916, 0.5f, 0.5f, 0.974679f, 0.974679f},
  };
  auto a = generate_ok(ssd_oidv4());
  ASSERT_EQ(a.size(), 1917u);
  for (const Row& r : golden) {
    const Anchor& x = a[static_cast<size_t>(r.index)];
    EXPECT_NEAR(x.x_center, r.x, 1e-5) << "row " << r.index;
    EXPECT_NEAR(x.y_center, r.y, 1e-5) << "row " << r.index;
    EXPECT_NEAR(x.w, r.w, 1e-5) << "row " << r.index;
    EXPECT_NEAR(x.h, r.h, 1e-5) << "row " << r.index;
  }
}

TEST(SsdAnchors, SsdMobileNetValuesFromTheFormulas) {
  auto a = generate_ok(ssd_oidv4());
  ASSERT_EQ(a.size(), 1917u);
  // Lowest layer (reduced): scales (0.1, 0.2, 0.2) with aspect ratios (1, 2, 0.5).
  EXPECT_EQ(a[0].x_center, 0.5f / 19.0f);
  EXPECT_NEAR(a[1].w, 0.2 * std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(a[1].h, 0.2 / std::sqrt(2.0), 1e-6);
  // Layer 1 (scale 0.35, next 0.5), first cell at 0.5 / 10.
  EXPECT_EQ(a[1083].x_center, 0.05f);
  EXPECT_NEAR(a[1083].w, 0.35, 1e-6);
  EXPECT_NEAR(a[1086].w, 0.35 * std::sqrt(3.0), 1e-6);
  EXPECT_NEAR(a[1086].h, 0.35 / std::sqrt(3.0), 1e-6);
  EXPECT_NEAR(a[1088].w, std::sqrt(0.35 * 0.5), 1e-6);
  // Last layer: scale 0.95 and, as the last layer, an interpolated scale sqrt(0.95 * 1).
  EXPECT_EQ(a[1916].x_center, 0.5f);
  EXPECT_NEAR(a[1916].w, std::sqrt(0.95), 1e-6);
}

TEST(SsdAnchors, EqualStridesMergeOnlyWhenConsecutive) {
  AnchorSpec s;
  s.num_layers = 3;
  s.min_scale = 0.2f;
  s.max_scale = 0.8f;
  s.input_width = 32;
  s.input_height = 32;
  s.strides = {16, 8, 16};
  s.aspect_ratios = {1.0f};
  auto a = generate_ok(s);
  // Three separate grids: 2x2x2 + 4x4x2 + 2x2x2 = 48.
  ASSERT_EQ(a.size(), 48u);
  EXPECT_EQ(a[0].x_center, 0.25f);
  EXPECT_EQ(a[8].x_center, 0.125f);  // the stride-8 grid starts at index 8
  EXPECT_EQ(a[40].x_center, 0.25f);  // the last stride-16 layer is its own grid
  EXPECT_NEAR(a[40].w, 0.8, 1e-6);
  EXPECT_NEAR(a[0].w, 0.2, 1e-6);
}

TEST(SsdAnchors, InterpolatedZeroDisablesTheExtraAnchor) {
  AnchorSpec s = blazeface_front();
  s.interpolated_scale_aspect_ratio = 0.0f;
  auto a = generate_ok(s);
  EXPECT_EQ(a.size(), 16u * 16u * 1u + 8u * 8u * 3u);
}

TEST(SsdAnchors, NonSquareInputAndOffsets) {
  AnchorSpec s = blazeface_front();
  s.input_width = 192;  // 24 x 16 cells at stride 8, 12 x 8 at stride 16
  s.offset_x = 0.0f;
  s.offset_y = 1.0f;
  auto a = generate_ok(s);
  ASSERT_EQ(a.size(), 24u * 16u * 2u + 12u * 8u * 6u);
  EXPECT_EQ(a[0].x_center, 0.0f);
  EXPECT_EQ(a[0].y_center, 1.0f / 16.0f);
  EXPECT_EQ(a[2].x_center, 1.0f / 24.0f);
}

TEST(SsdAnchors, FeatureMapSizeRoundsUp) {
  AnchorSpec s = blazeface_front();
  s.num_layers = 1;
  s.strides = {7};
  s.input_width = 15;   // ceil(15 / 7) = 3
  s.input_height = 14;  // ceil(14 / 7) = 2
  auto a = generate_ok(s);
  EXPECT_EQ(a.size(), 3u * 2u * 2u);
}

TEST(SsdAnchors, InvalidParametersNameTheField) {
  struct Case {
    std::string name;
    std::function<void(AnchorSpec&)> mutate;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"no layers", [](AnchorSpec& s) { s.num_layers = 0; }, "numLayers"},
      {"strides count",
       [](AnchorSpec& s) {
         s.strides = {8, 16, 16};
       },
       "strides has 3 entries but numLayers is 4"},
      {"zero stride", [](AnchorSpec& s) { s.strides[2] = 0; }, "strides[2]"},
      {"no input size", [](AnchorSpec& s) { s.input_width = 0; }, "inputSize"},
      {"zero min scale", [](AnchorSpec& s) { s.min_scale = 0.0f; }, "minScale"},
      {"NaN min scale", [](AnchorSpec& s) { s.min_scale = std::nanf(""); }, "minScale"},
      {"max below min", [](AnchorSpec& s) { s.max_scale = 0.1f; }, "maxScale"},
      {"infinite max", [](AnchorSpec& s) { s.max_scale = INFINITY; }, "maxScale"},
      {"no aspect ratios", [](AnchorSpec& s) { s.aspect_ratios.clear(); }, "aspectRatios"},
      {"negative aspect",
       [](AnchorSpec& s) {
         s.aspect_ratios = {1.0f, -2.0f};
       },
       "aspectRatios[1]"},
      {"offset out of range", [](AnchorSpec& s) { s.offset_x = 1.5f; }, "offset"},
      {"negative interpolated", [](AnchorSpec& s) { s.interpolated_scale_aspect_ratio = -1.0f; },
       "interpolatedScaleAspectRatio"},
      {"too many anchors",
       [](AnchorSpec& s) {
         s.strides = {1, 1, 1, 1};
         s.input_width = s.input_height = 4000;
       },
       "more than 1000000 anchors"},
  };
  for (const Case& c : cases) {
    AnchorSpec s = blazeface_front();
    c.mutate(s);
    auto r = generate_ssd_anchors(s);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expected)) << c.name;
  }
}

}  // namespace
}  // namespace sensix
