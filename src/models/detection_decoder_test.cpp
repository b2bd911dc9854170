#include "models/detection_decoder.h"
#include "support/tensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

namespace sensix {
namespace {

using ::testing::HasSubstr;

using testing::kNaN;
constexpr float kInf = std::numeric_limits<float>::infinity();

// One anchor, centre (0.5, 0.25), size 0.2 x 0.4.
const Anchor kAnchor{0.5f, 0.25f, 0.2f, 0.4f};

DetectSpec linear_spec(int keypoints) {
  DetectSpec s;
  s.box.format = BoxFormat::kXywh;
  s.box.x_scale = s.box.y_scale = s.box.w_scale = s.box.h_scale = 128.0f;
  s.box.exp_size = false;
  s.box.num_keypoints = keypoints;
  s.box.num_coords = 4 + 2 * keypoints;
  s.score_activation = Activation::kNone;
  s.min_score = 0.5f;
  s.nms_iou = 0.3f;
  s.max_detections = 100;
  return s;
}

DetectionDecoder make(const DetectSpec& s, std::vector<Anchor> anchors, int classes) {
  auto d = DetectionDecoder::create(s, std::move(anchors), classes);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return std::move(d).value();
}

std::vector<RawDetection> decode_ok(const DetectionDecoder& d, const std::vector<float>& boxes,
                                    const std::vector<float>& scores, int* bad = nullptr) {
  auto r = d.decode(boxes, scores, bad);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : std::vector<RawDetection>();
}

RawDetection box(float xmin, float ymin, float xmax, float ymax, float score, int cls = 0) {
  RawDetection d;
  d.xmin = xmin;
  d.ymin = ymin;
  d.xmax = xmax;
  d.ymax = ymax;
  d.score = score;
  d.class_index = cls;
  return d;
}

// ------------------------------------------------------------------------------------------
// Box decoding

TEST(DetectionDecoder, LinearXywhWithKeypoints) {
  const DetectionDecoder d = make(linear_spec(2), {kAnchor}, 1);
  // x_center = 12.8/128*0.2 + 0.5 = 0.52, y_center = -25.6/128*0.4 + 0.25 = 0.17,
  // w = 64/128*0.2 = 0.1, h = 32/128*0.4 = 0.1; keypoint 0 = (6.4/128*0.2 + 0.5,
  // 12.8/128*0.4 + 0.25) = (0.51, 0.29); keypoint 1 = (-0.05*0.2 + 0.5, 0) -> (0.49, 0.25).
  auto out = decode_ok(d, {12.8f, -25.6f, 64.0f, 32.0f, 6.4f, 12.8f, -6.4f, 0.0f}, {0.9f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].xmin, 0.47f, 1e-6);
  EXPECT_NEAR(out[0].xmax, 0.57f, 1e-6);
  EXPECT_NEAR(out[0].ymin, 0.12f, 1e-6);
  EXPECT_NEAR(out[0].ymax, 0.22f, 1e-6);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_EQ(out[0].class_index, 0);
  ASSERT_EQ(out[0].keypoints.size(), 2u);
  EXPECT_NEAR(out[0].keypoints[0][0], 0.51f, 1e-6);
  EXPECT_NEAR(out[0].keypoints[0][1], 0.29f, 1e-6);
  EXPECT_NEAR(out[0].keypoints[1][0], 0.49f, 1e-6);
  EXPECT_NEAR(out[0].keypoints[1][1], 0.25f, 1e-6);
}

TEST(DetectionDecoder, ExpYxhwWithKeypointsIsNotClamped) {
  DetectSpec s = linear_spec(1);
  s.box.format = BoxFormat::kYxhw;
  s.box.x_scale = s.box.y_scale = 10.0f;
  s.box.w_scale = s.box.h_scale = 5.0f;
  s.box.exp_size = true;
  const DetectionDecoder d = make(s, {kAnchor}, 1);
  // Raw (y, x, h, w) = (1, -0.5, 5 ln 2, 0): y_center = 1/10*0.4 + 0.25 = 0.29,
  // x_center = -0.5/10*0.2 + 0.5 = 0.49, h = exp(ln 2) * 0.4 = 0.8, w = exp(0) * 0.2 = 0.2.
  // Keypoint raw (y, x) = (2, 1): (x, y) = (1/10*0.2 + 0.5, 2/10*0.4 + 0.25) = (0.52, 0.33).
  auto out = decode_ok(d, {1.0f, -0.5f, 5.0f * std::log(2.0f), 0.0f, 2.0f, 1.0f}, {0.75f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].ymin, -0.11f, 1e-6);  // outside [0, 1]: kept as decoded (MediaPipe does not clamp)
  EXPECT_NEAR(out[0].ymax, 0.69f, 1e-6);
  EXPECT_NEAR(out[0].xmin, 0.39f, 1e-6);
  EXPECT_NEAR(out[0].xmax, 0.59f, 1e-6);
  ASSERT_EQ(out[0].keypoints.size(), 1u);
  EXPECT_NEAR(out[0].keypoints[0][0], 0.52f, 1e-6);
  EXPECT_NEAR(out[0].keypoints[0][1], 0.33f, 1e-6);
}

TEST(DetectionDecoder, ExtraCoordsAfterKeypointsAreIgnored) {
  DetectSpec s = linear_spec(0);
  s.box.num_coords = 6;  // two trailing values the decoder does not use
  const DetectionDecoder d = make(s, {kAnchor}, 1);
  auto out = decode_ok(d, {0, 0, 128, 128, 99, 99}, {1.0f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].xmin, 0.4f, 1e-6);
  EXPECT_NEAR(out[0].ymax, 0.45f, 1e-6);
  EXPECT_TRUE(out[0].keypoints.empty());
}

TEST(DetectionDecoder, BlazeFaceAnchorGridDecodesInAnchorOrder) {
  AnchorSpec a;
  a.num_layers = 4;
  a.min_scale = 0.1484375f;
  a.max_scale = 0.75f;
  a.input_width = a.input_height = 128;
  a.strides = {8, 16, 16, 16};
  a.aspect_ratios = {1.0f};
  a.fixed_anchor_size = true;
  auto anchors = generate_ssd_anchors(a);
  ASSERT_TRUE(anchors.ok());
  DetectSpec s = linear_spec(6);
  s.score_activation = Activation::kSigmoid;
  s.score_clip = 100.0f;
  s.min_score = 0.75f;
  const DetectionDecoder d = make(s, std::move(anchors).value(), 1);
  ASSERT_EQ(d.num_anchors(), 896u);
  std::vector<float> boxes(896 * 16, 0.0f), scores(896, -10.0f);
  // Anchor 650: stride-16 grid row 2, column 7, centre (0.9375, 0.3125). A 32x16-pixel box
  // moved by (+8, -4) pixels: centre (0.9375 + 8/128, 0.3125 - 4/128), size (0.25, 0.125).
  const size_t i = 650;
  boxes[i * 16 + 0] = 8.0f;
  boxes[i * 16 + 1] = -4.0f;
  boxes[i * 16 + 2] = 32.0f;
  boxes[i * 16 + 3] = 16.0f;
  boxes[i * 16 + 4] = -16.0f;  // keypoint 0 at (0.9375 - 0.125, 0.3125 + 0.0625)
  boxes[i * 16 + 5] = 8.0f;
  scores[i] = 2.0f;  // sigmoid(2) = 0.880797
  auto out = decode_ok(d, boxes, scores);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].score, 1.0 / (1.0 + std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(out[0].xmin, 1.0 - 0.125, 1e-6);
  EXPECT_NEAR(out[0].xmax, 1.0 + 0.125, 1e-6);
  EXPECT_NEAR(out[0].ymin, 0.28125 - 0.0625, 1e-6);
  EXPECT_NEAR(out[0].ymax, 0.28125 + 0.0625, 1e-6);
  ASSERT_EQ(out[0].keypoints.size(), 6u);
  EXPECT_NEAR(out[0].keypoints[0][0], 0.8125, 1e-6);
  EXPECT_NEAR(out[0].keypoints[0][1], 0.375, 1e-6);
  EXPECT_NEAR(out[0].keypoints[5][0], 0.9375, 1e-6);  // zero offsets: the anchor centre
  EXPECT_NEAR(out[0].keypoints[5][1], 0.3125, 1e-6);
}

// ------------------------------------------------------------------------------------------
// Scores

TEST(DetectionDecoder, SigmoidAndClip) {
  DetectSpec s = linear_spec(0);
  s.score_activation = Activation::kSigmoid;
  s.min_score = 0.0f;
  struct Case {
    float clip, raw, expected;
  };
  const Case cases[] = {
      {0.0f, 0.0f, 0.5f},        {0.0f, std::log(3.0f), 0.75f}, {0.0f, -std::log(3.0f), 0.25f},
      {1.0f, 5.0f, 0.7310586f},   // clipped to 1
      {1.0f, -5.0f, 0.2689414f},  // clipped to -1
      {100.0f, 1e6f, 1.0f},       // clipped to 100: sigmoid saturates, no overflow
  };
  for (const Case& c : cases) {
    s.score_clip = c.clip;
    const DetectionDecoder d = make(s, {kAnchor}, 1);
    auto out = decode_ok(d, {0, 0, 128, 128}, {c.raw});
    ASSERT_EQ(out.size(), 1u) << c.raw;
    EXPECT_NEAR(out[0].score, c.expected, 1e-6) << "clip " << c.clip << " raw " << c.raw;
  }
}

TEST(DetectionDecoder, SoftmaxIncludesIgnoredClassesInTheDenominator) {
  DetectSpec s = linear_spec(0);
  s.score_activation = Activation::kSoftmax;
  s.min_score = 0.0f;
  // softmax(1, 2, 3) = (0.0900306, 0.2447285, 0.6652410).
  const DetectionDecoder all = make(s, {kAnchor}, 3);
  auto out = decode_ok(all, {0, 0, 128, 128}, {1.0f, 2.0f, 3.0f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].class_index, 2);
  EXPECT_NEAR(out[0].score, 0.6652410f, 1e-6);
  s.ignore_classes = {2};
  const DetectionDecoder ignoring = make(s, {kAnchor}, 3);
  out = decode_ok(ignoring, {0, 0, 128, 128}, {1.0f, 2.0f, 3.0f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].class_index, 1);
  EXPECT_NEAR(out[0].score, 0.2447285f, 1e-6);
}

TEST(DetectionDecoder, BestClassSkipsIgnoredAndFirstWinsTies) {
  DetectSpec s = linear_spec(0);
  s.ignore_classes = {0};
  s.min_score = 0.0f;
  const DetectionDecoder d = make(s, {kAnchor, kAnchor}, 4);
  // Anchor 0: background 0.9 is ignored, best is class 2 (0.7). Anchor 1: tie between 1 and 3.
  auto out = decode_ok(d, {0, 0, 128, 128, 0, 0, 128, 128}, {0.9f, 0.6f, 0.7f, 0.1f, 0.0f, 0.4f, 0.2f, 0.4f});
  ASSERT_EQ(out.size(), 2u);  // different classes: NMS keeps both
  EXPECT_EQ(out[0].class_index, 2);
  EXPECT_FLOAT_EQ(out[0].score, 0.7f);
  EXPECT_EQ(out[1].class_index, 1);
  EXPECT_FLOAT_EQ(out[1].score, 0.4f);
}

TEST(DetectionDecoder, MinScoreBoundaryIsKept) {
  DetectSpec s = linear_spec(0);
  s.min_score = 0.5f;
  s.nms_iou = 1.0f;  // nothing is suppressed
  const DetectionDecoder d = make(s, {kAnchor, kAnchor, kAnchor}, 1);
  auto out = decode_ok(d, std::vector<float>{0, 0, 128, 128, 0, 0, 128, 128, 0, 0, 128, 128},
                       {0.5f, std::nextafter(0.5f, 0.0f), 0.6f});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].score, 0.6f);
  EXPECT_FLOAT_EQ(out[1].score, 0.5f);
}

// ------------------------------------------------------------------------------------------
// Bad values

TEST(DetectionDecoder, NonFiniteValuesAreSkippedAndCounted) {
  DetectSpec s = linear_spec(1);
  s.box.exp_size = true;
  s.nms_iou = 1.0f;
  const int n = 7;
  const DetectionDecoder d = make(s, std::vector<Anchor>(n, kAnchor), 1);
  std::vector<float> boxes(n * 6, 0.0f);
  std::vector<float> scores(n, 0.9f);
  scores[0] = kNaN;          // counted
  scores[1] = kInf;          // counted
  boxes[2 * 6 + 0] = kNaN;   // box NaN over min_score: counted
  boxes[3 * 6 + 2] = 1e6f;   // exp(1e6 / 128) overflows to Inf: counted
  boxes[4 * 6 + 5] = -kInf;  // keypoint Inf: counted
  boxes[5 * 6 + 1] = kNaN;   // box NaN under min_score: not decoded, not counted
  scores[5] = 0.1f;
  // anchor 6 is fine
  int bad = -1;
  auto out = decode_ok(d, boxes, scores, &bad);
  EXPECT_EQ(bad, 5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].xmin, 0.4f, 1e-6);
}

TEST(DetectionDecoder, NegativeExtentIsDroppedNotCounted) {
  const DetectionDecoder d = make(linear_spec(0), {kAnchor, kAnchor}, 1);
  int bad = -1;
  auto out = decode_ok(d, {0, 0, -128, 128, 0, 0, 0, 0}, {0.9f, 0.8f}, &bad);
  EXPECT_EQ(bad, 0);
  ASSERT_EQ(out.size(), 1u);  // the zero-size box is kept (width 0 is not negative)
  EXPECT_FLOAT_EQ(out[0].score, 0.8f);
}

TEST(DetectionDecoder, WrongSpanSizesAreInvalidArgument) {
  const DetectionDecoder d = make(linear_spec(0), {kAnchor, kAnchor}, 3);
  auto r = d.decode(std::vector<float>(7), std::vector<float>(6));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("box outputs hold 7 values, expected 2 anchors x 4 coords = 8"));
  r = d.decode(std::vector<float>(8), std::vector<float>(5));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("score outputs hold 5 values, expected 2 anchors x 3 classes = 6"));
}

TEST(DetectionDecoder, InvalidParametersAreRejectedAtCreate) {
  struct Case {
    std::string name;
    std::function<void(DetectSpec&)> mutate;
    int classes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"coords too few", [](DetectSpec& s) { s.box.num_coords = 15; }, 1, "box.coords is 15"},
      {"negative keypoints", [](DetectSpec& s) { s.box.num_keypoints = -1; }, 1, "box.keypoints"},
      {"zero scale", [](DetectSpec& s) { s.box.h_scale = 0.0f; }, 1, "box.scale"},
      {"NaN scale", [](DetectSpec& s) { s.box.x_scale = kNaN; }, 1, "box.scale"},
      {"negative clip", [](DetectSpec& s) { s.score_clip = -1.0f; }, 1, "scoreClip"},
      {"min score above 1",
       [](DetectSpec& s) {
         s.score_activation = Activation::kSigmoid;
         s.min_score = 1.5f;
       },
       1, "minScore"},
      {"NaN min score", [](DetectSpec& s) { s.min_score = kNaN; }, 1, "minScore"},
      {"iou above 1", [](DetectSpec& s) { s.nms_iou = 1.5f; }, 1, "nms.iou"},
      {"zero max detections", [](DetectSpec& s) { s.max_detections = 0; }, 1, "nms.maxDetections"},
      {"ignore out of range",
       [](DetectSpec& s) {
         s.ignore_classes = {0, 24};
       },
       24, "ignoreClasses[1] = 24 is not a class column (the scores have 24: 0..23)"},
      {"all ignored",
       [](DetectSpec& s) {
         s.ignore_classes = {1, 0};
       },
       2, "ignores all 2 class columns"},
      {"no classes", [](DetectSpec&) {}, 0, "0 class columns"},
  };
  for (const Case& c : cases) {
    DetectSpec s = linear_spec(6);
    c.mutate(s);
    auto r = DetectionDecoder::create(s, {kAnchor}, c.classes);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expected)) << c.name;
  }
  auto r = DetectionDecoder::create(linear_spec(0), {}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no anchors"));
}

// ------------------------------------------------------------------------------------------
// IoU and NMS

TEST(IntersectionOverUnion, Table) {
  struct Case {
    std::string name;
    RawDetection a, b;
    float expected;
  };
  const std::vector<Case> cases = {
      {"identical", box(0, 0, 1, 1, 1), box(0, 0, 1, 1, 1), 1.0f},
      {"half overlap", box(0, 0, 2, 1, 1), box(1, 0, 3, 1, 1), 1.0f / 3.0f},
      {"contained", box(0, 0, 2, 2, 1), box(0.5f, 0.5f, 1.5f, 1.5f, 1), 0.25f},
      {"disjoint", box(0, 0, 1, 1, 1), box(2, 2, 3, 3, 1), 0.0f},
      {"touching edge", box(0, 0, 1, 1, 1), box(1, 0, 2, 1, 1), 0.0f},
      {"zero-area identical points", box(0.5f, 0.5f, 0.5f, 0.5f, 1), box(0.5f, 0.5f, 0.5f, 0.5f, 1), 0.0f},
      {"zero-area line inside box", box(0.2f, 0.5f, 0.8f, 0.5f, 1), box(0, 0, 1, 1, 1), 0.0f},
      {"negative extent", box(1, 1, 0, 0, 1), box(0, 0, 1, 1, 1), 0.0f},
      {"NaN coordinate", box(kNaN, 0, 1, 1, 1), box(0, 0, 1, 1, 1), 0.0f},
  };
  for (const Case& c : cases) {
    EXPECT_FLOAT_EQ(intersection_over_union(c.a, c.b), c.expected) << c.name;
    EXPECT_FLOAT_EQ(intersection_over_union(c.b, c.a), c.expected) << c.name << " (swapped)";
  }
}

std::vector<float> scores_of(const std::vector<RawDetection>& d) {
  std::vector<float> s;
  for (const auto& x : d) s.push_back(x.score);
  return s;
}

TEST(NonMaxSuppression, Table) {
  struct Case {
    std::string name;
    std::vector<RawDetection> in;
    float iou;
    int max;
    std::vector<float> kept_scores;  // in output order
  };
  const std::vector<Case> cases = {
      {"same class overlapping: lower suppressed", {box(0, 0, 1, 1, 0.7f), box(0, 0, 1, 0.9f, 0.9f)}, 0.5f, 10, {0.9f}},
      {"different classes overlapping: both kept",
       {box(0, 0, 1, 1, 0.7f, 1), box(0, 0, 1, 1, 0.9f, 2)},
       0.5f,
       10,
       {0.9f, 0.7f}},
      {"IoU equal to threshold is kept (strictly greater suppresses)",
       {box(0, 0, 1, 1, 0.9f), box(0, 0, 1, 0.5f, 0.8f)},
       0.5f,
       10,
       {0.9f, 0.8f}},
      {"IoU just over threshold is suppressed", {box(0, 0, 1, 1, 0.9f), box(0, 0, 1, 0.5f, 0.8f)}, 0.49f, 10, {0.9f}},
      {"max detections keeps the best",
       {box(0, 0, 1, 1, 0.5f), box(2, 2, 3, 3, 0.9f), box(4, 4, 5, 5, 0.7f)},
       0.5f,
       2,
       {0.9f, 0.7f}},
      {"max detections counts across classes",
       {box(0, 0, 1, 1, 0.5f, 0), box(0, 0, 1, 1, 0.9f, 1), box(0, 0, 1, 1, 0.7f, 2)},
       0.5f,
       1,
       {0.9f}},
      {"greedy: only kept boxes suppress",
       // IoU(A, B) = 1/3 and IoU(B, C) = 0.6 are over 0.3, IoU(A, C) = 1/7 is not: B is
       // suppressed by A, and C survives because B, which it overlaps, was not kept.
       {box(0, 0, 2, 1, 0.9f), box(1, 0, 3, 1, 0.8f), box(1.5f, 0, 3.5f, 1, 0.7f)},
       0.3f,
       10,
       {0.9f, 0.7f}},
      {"zero-area boxes never suppress each other",
       {box(0.5f, 0.5f, 0.5f, 0.5f, 0.9f), box(0.5f, 0.5f, 0.5f, 0.5f, 0.8f)},
       0.0f,
       10,
       {0.9f, 0.8f}},
      {"threshold 0 suppresses any overlap",
       {box(0, 0, 1, 1, 0.9f), box(0.99f, 0.99f, 2, 2, 0.8f), box(1, 1, 2, 2, 0.7f)},
       0.0f,
       10,
       {0.9f, 0.7f}},
      {"threshold 1 suppresses nothing", {box(0, 0, 1, 1, 0.9f), box(0, 0, 1, 1, 0.8f)}, 1.0f, 10, {0.9f, 0.8f}},
      {"max 0 keeps nothing", {box(0, 0, 1, 1, 0.9f)}, 0.5f, 0, {}},
      {"negative max keeps all",
       {box(0, 0, 1, 1, 0.1f), box(2, 2, 3, 3, 0.2f), box(4, 4, 5, 5, 0.3f)},
       0.5f,
       -1,
       {0.3f, 0.2f, 0.1f}},
      {"NaN score is dropped", {box(0, 0, 1, 1, kNaN), box(2, 2, 3, 3, 0.2f)}, 0.5f, 10, {0.2f}},
      {"empty input", {}, 0.5f, 10, {}},
  };
  for (const Case& c : cases) {
    auto out = non_max_suppression(c.in, c.iou, c.max);
    EXPECT_EQ(scores_of(out), c.kept_scores) << c.name;
  }
}

TEST(NonMaxSuppression, EqualScoresKeepInputOrderAndCarryKeypoints) {
  RawDetection a = box(0, 0, 1, 1, 0.5f, 3);
  a.keypoints = {{0.25f, 0.75f}};
  RawDetection b = box(5, 5, 6, 6, 0.5f, 4);
  auto out = non_max_suppression({a, b}, 0.5f, 10);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].class_index, 3);
  EXPECT_EQ(out[1].class_index, 4);
  ASSERT_EQ(out[0].keypoints.size(), 1u);
  EXPECT_EQ(out[0].keypoints[0][1], 0.75f);
  out = non_max_suppression({b, a}, 0.5f, 10);
  EXPECT_EQ(out[0].class_index, 4);
}

TEST(DetectionDecoder, DecodeAppliesNmsAndMaxDetections) {
  DetectSpec s = linear_spec(0);
  s.min_score = 0.1f;
  s.nms_iou = 0.5f;
  s.max_detections = 2;
  // Anchors 0 and 1 at the same place (suppression), 2 and 3 apart.
  const DetectionDecoder d = make(s, {kAnchor, kAnchor, Anchor{0.1f, 0.1f, 0.1f, 0.1f}, Anchor{0.9f, 0.9f, 0.1f, 0.1f}},
                                  1);
  std::vector<float> boxes = {0, 0, 128, 128, 0, 0, 128, 128, 0, 0, 128, 128, 0, 0, 128, 128};
  auto out = decode_ok(d, boxes, {0.8f, 0.9f, 0.3f, 0.5f});
  EXPECT_EQ(scores_of(out), (std::vector<float>{0.9f, 0.5f}));
}

}  // namespace
}  // namespace sensix
