// Tests of the image operations on small hand-made images whose expected values are computed
// by hand (tensor values and quantised bytes, crop, rotation, resize geometry and its
// composition, interpolation, colour conversion).
#include "transform/image_ops.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>

namespace sensix {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;

// 4 wide x 2 high, 3 channels; every value is a multiple of 51 so p / 255 is a multiple of 0.2.
cv::Mat image_4x2() {
  cv::Mat m(2, 4, CV_8UC3);
  const uint8_t px[2][4][3] = {
      {{0, 51, 102}, {153, 204, 255}, {255, 0, 51}, {102, 153, 204}},
      {{51, 51, 51}, {0, 0, 0}, {255, 255, 255}, {204, 102, 0}},
  };
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x)
      for (int c = 0; c < 3; ++c) m.ptr<uint8_t>(y)[3 * x + c] = px[y][x][c];
  return m;
}

ImageInputSpec norm(float lo = 0, float hi = 1, std::vector<float> mean = {}, std::vector<float> std = {}) {
  ImageInputSpec s;
  s.range_lo = lo;
  s.range_hi = hi;
  s.mean = std::move(mean);
  s.std = std::move(std);
  return s;
}

std::vector<float> floats(const Tensor& t) {
  auto v = t.values<float>();
  return {v.begin(), v.end()};
}

std::vector<int> bytes(const Tensor& t) {
  auto v = t.values<uint8_t>();
  return {v.begin(), v.end()};
}

Tensor to_tensor(const cv::Mat& img, Layout layout, DType dtype, const ImageInputSpec& n) {
  auto t = image_to_tensor(img, layout, dtype, n);
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return t.ok() ? std::move(t).value() : Tensor();
}

constexpr float kTol = 1e-6f;

TEST(ImageToTensor, Float01Nhwc) {
  Tensor t = to_tensor(image_4x2(), Layout::kNhwc, DType::kFloat32, norm());
  EXPECT_EQ(t.shape(), (Shape{1, 2, 4, 3}));
  EXPECT_THAT(floats(t),
              Pointwise(FloatNear(kTol),
                        std::vector<float>{0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f, 1.0f, 0.0f, 0.2f, 0.4f, 0.6f, 0.8f,  //
                                           0.2f, 0.2f, 0.2f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 0.8f, 0.4f, 0.0f}));
}

TEST(ImageToTensor, Float01Nchw) {
  Tensor t = to_tensor(image_4x2(), Layout::kNchw, DType::kFloat32, norm());
  EXPECT_EQ(t.shape(), (Shape{1, 3, 2, 4}));
  EXPECT_THAT(floats(t), Pointwise(FloatNear(kTol),
                                   std::vector<float>{0.0f, 0.6f, 1.0f, 0.4f, 0.2f, 0.0f, 1.0f, 0.8f,  // channel 0
                                                      0.2f, 0.8f, 0.0f, 0.6f, 0.2f, 0.0f, 1.0f, 0.4f,  // channel 1
                                                      0.4f, 1.0f, 0.2f, 0.8f, 0.2f, 0.0f, 1.0f, 0.0f}));
}

TEST(ImageToTensor, RangeMinusOneToOne) {
  // v = -1 + 2 p / 255
  Tensor t = to_tensor(image_4x2(), Layout::kNhwc, DType::kFloat32, norm(-1, 1));
  EXPECT_THAT(floats(t), Pointwise(FloatNear(kTol), std::vector<float>{-1.0f, -0.6f, -0.2f, 0.2f,  0.6f,  1.0f,
                                                                       1.0f,  -1.0f, -0.6f, -0.2f, 0.2f,  0.6f,  //
                                                                       -0.6f, -0.6f, -0.6f, -1.0f, -1.0f, -1.0f,
                                                                       1.0f,  1.0f,  1.0f,  0.6f,  -0.2f, -1.0f}));
}

TEST(ImageToTensor, MeanStdNhwcAndNchw) {
  // c0: (x - 0.5) / 0.5 = 2x - 1;  c1: (x - 0.4) / 0.2 = 5x - 2;  c2: (x - 0.2) / 0.4 = 2.5x - 0.5
  const ImageInputSpec n = norm(0, 1, {0.5f, 0.4f, 0.2f}, {0.5f, 0.2f, 0.4f});
  Tensor t = to_tensor(image_4x2(), Layout::kNhwc, DType::kFloat32, n);
  EXPECT_THAT(floats(t), Pointwise(FloatNear(1e-5f), std::vector<float>{-1.0f, -1.0f, 0.5f, 0.2f,  2.0f,  2.0f,
                                                                        1.0f,  -2.0f, 0.0f, -0.2f, 1.0f,  1.5f,  //
                                                                        -0.6f, -1.0f, 0.0f, -1.0f, -2.0f, -0.5f,
                                                                        1.0f,  3.0f,  2.0f, 0.6f,  0.0f,  -0.5f}));
  Tensor p = to_tensor(image_4x2(), Layout::kNchw, DType::kFloat32, n);
  EXPECT_THAT(floats(p), Pointwise(FloatNear(1e-5f),
                                   std::vector<float>{-1.0f, 0.2f, 1.0f,  -0.2f, -0.6f, -1.0f, 1.0f, 0.6f,      // c0
                                                      -1.0f, 2.0f, -2.0f, 1.0f,  -1.0f, -2.0f, 3.0f, 0.0f,      // c1
                                                      0.5f,  2.0f, 0.0f,  1.5f,  0.0f,  -0.5f, 2.0f, -0.5f}));  // c2
}

TEST(ImageToTensor, Uint8Unchanged) {
  Tensor t = to_tensor(image_4x2(), Layout::kNhwc, DType::kUInt8, norm());
  EXPECT_EQ(t.dtype(), DType::kUInt8);
  EXPECT_EQ(t.shape(), (Shape{1, 2, 4, 3}));
  EXPECT_THAT(bytes(t), ElementsAre(0, 51, 102, 153, 204, 255, 255, 0, 51, 102, 153, 204,  //
                                    51, 51, 51, 0, 0, 0, 255, 255, 255, 204, 102, 0));
  Tensor p = to_tensor(image_4x2(), Layout::kNchw, DType::kUInt8, norm());
  EXPECT_EQ(p.shape(), (Shape{1, 3, 2, 4}));
  EXPECT_THAT(bytes(p), ElementsAre(0, 153, 255, 102, 51, 0, 255, 204,  //
                                    51, 204, 0, 153, 51, 0, 255, 102,   //
                                    102, 255, 51, 204, 51, 0, 255, 0));
}

TEST(ImageToTensor, GrayAndBgraInputs) {
  cv::Mat gray = (cv::Mat_<uint8_t>(2, 2) << 0, 255, 51, 102);
  Tensor g = to_tensor(gray, Layout::kNchw, DType::kFloat32, norm());
  EXPECT_EQ(g.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_THAT(floats(g), Pointwise(FloatNear(kTol), std::vector<float>{0.0f, 1.0f, 0.2f, 0.4f}));
  Tensor gm = to_tensor(gray, Layout::kNhwc, DType::kFloat32, norm(0, 1, {0.2f}, {0.4f}));
  EXPECT_EQ(gm.shape(), (Shape{1, 2, 2, 1}));
  EXPECT_THAT(floats(gm), Pointwise(FloatNear(1e-5f), std::vector<float>{-0.5f, 2.0f, 0.0f, 0.5f}));

  cv::Mat bgra(1, 2, CV_8UC4);
  const uint8_t v[] = {10, 20, 30, 40, 50, 60, 70, 80};
  std::copy(v, v + 8, bgra.ptr<uint8_t>(0));
  Tensor b = to_tensor(bgra, Layout::kNchw, DType::kUInt8, norm());
  EXPECT_EQ(b.shape(), (Shape{1, 4, 1, 2}));
  EXPECT_THAT(bytes(b), ElementsAre(10, 50, 20, 60, 30, 70, 40, 80));
  Tensor bf = to_tensor(bgra, Layout::kNhwc, DType::kFloat32, norm());
  EXPECT_EQ(bf.shape(), (Shape{1, 1, 2, 4}));
  EXPECT_NEAR(floats(bf)[7], 80.0f / 255.0f, kTol);
}

TEST(ImageToTensor, NonContinuousRegion) {
  const cv::Mat full = image_4x2();
  const cv::Mat roi = full(cv::Rect(1, 0, 2, 2));  // columns 1 and 2
  ASSERT_FALSE(roi.isContinuous());
  Tensor t = to_tensor(roi, Layout::kNhwc, DType::kUInt8, norm());
  EXPECT_THAT(bytes(t), ElementsAre(153, 204, 255, 255, 0, 51, 0, 0, 0, 255, 255, 255));
  Tensor p = to_tensor(roi, Layout::kNchw, DType::kFloat32, norm());
  EXPECT_THAT(floats(p), Pointwise(FloatNear(kTol), std::vector<float>{0.6f, 1.0f, 0.0f, 1.0f,  //
                                                                       0.8f, 0.0f, 0.0f, 1.0f,  //
                                                                       1.0f, 0.2f, 0.0f, 1.0f}));
}

TEST(ImageToTensor, RejectsBadInput) {
  struct Case {
    cv::Mat img;
    DType dtype;
    ImageInputSpec norm;
    const char* message;
  };
  const cv::Mat rgb = image_4x2();
  const cv::Mat gray(2, 2, CV_8UC1, cv::Scalar(0));
  const Case cases[] = {
      {cv::Mat(), DType::kFloat32, norm(), "the image is empty"},
      {cv::Mat(2, 2, CV_32FC3, cv::Scalar::all(0)), DType::kFloat32, norm(), "expected an 8-bit image, got CV_32FC3"},
      {cv::Mat(2, 2, CV_16UC1, cv::Scalar::all(0)), DType::kFloat32, norm(), "expected an 8-bit image, got CV_16UC1"},
      {cv::Mat(2, 2, CV_8UC2, cv::Scalar::all(0)), DType::kFloat32, norm(), "channels, got 2"},
      {rgb, DType::kUInt8, norm(-1, 1), "range and mean/std are not allowed"},
      {rgb, DType::kUInt8, norm(0, 1, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}), "range and mean/std are not allowed"},
      {rgb, DType::kFloat32, norm(0, 1, {0.5f}, {0.5f}), "one value per channel (3), got 1 mean and 1 std"},
      {rgb, DType::kFloat32, norm(0, 1, {0.5f, 0.5f, 0.5f}, {}), "got 3 mean and 0 std"},
      {gray, DType::kFloat32, norm(0, 1, {0.5f, 0.5f, 0.5f}, {1, 1, 1}), "one value per channel (1), got 3 mean"},
      {rgb, DType::kFloat32, norm(0, 1, {0.5f, 0.5f, 0.5f}, {1, 0, 1}), "std non-zero"},
      {rgb, DType::kFloat32, norm(-1, 1, {0.5f, 0.5f, 0.5f}, {1, 1, 1}), "exclude each other"},
      {rgb, DType::kInt64, norm(), "must be float32, uint8 or int8, got int64"},
      {rgb, DType::kFloat16, norm(), "must be float32, uint8 or int8, got float16"},
      {rgb, DType::kInt8, norm(), "an int8 image input needs quantisation parameters"},
  };
  for (const Case& c : cases) {
    auto t = image_to_tensor(c.img, Layout::kNhwc, c.dtype, c.norm);
    ASSERT_FALSE(t.ok()) << c.message;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(t.status().message(), HasSubstr(c.message));
  }
}

// ---------------------------------------------------------------------------------------------
// image_to_tensor with int8/uint8 quantisation: q = round(real / scale) + zero_point, clamped.

std::vector<int> int8s(const Tensor& t) {
  auto v = t.values<int8_t>();
  return {v.begin(), v.end()};
}

Tensor to_quantised(const cv::Mat& img, Layout layout, DType dtype, const ImageInputSpec& n, float scale, int zp) {
  auto t = image_to_tensor(img, layout, dtype, n, Quantization{scale, zp});
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return t.ok() ? std::move(t).value() : Tensor();
}

// 2 x 2 gray: 0, 51 / 153, 255.
cv::Mat gray_2x2() { return (cv::Mat_<uint8_t>(2, 2) << 0, 51, 153, 255); }

TEST(ImageToTensorQuantised, Uint8RoundsHalvesAwayFromZeroAndClamps) {
  // Range [0, 255]: real = p. Scale 2: p / 2 = 0, 25.5, 76.5, 127.5 -> 0, 26, 77, 128.
  Tensor t = to_quantised(gray_2x2(), Layout::kNhwc, DType::kUInt8, norm(0, 255), 2.0f, 100);
  EXPECT_EQ(t.dtype(), DType::kUInt8);
  EXPECT_EQ(t.shape(), (Shape{1, 2, 2, 1}));
  EXPECT_THAT(bytes(t), ElementsAre(100, 126, 177, 228));
  // Zero point 200: 200, 226, 277 -> 255, 328 -> 255.
  t = to_quantised(gray_2x2(), Layout::kNhwc, DType::kUInt8, norm(0, 255), 2.0f, 200);
  EXPECT_THAT(bytes(t), ElementsAre(200, 226, 255, 255));
  // Range [-255, 0]: real = p - 255 = -255, -204, -102, 0; / 2 = -127.5, -102, -51, 0
  // -> -128, -102, -51, 0; + 150 = 22, 48, 99, 150; + 60 = -68 -> 0, -42 -> 0, 9, 60.
  t = to_quantised(gray_2x2(), Layout::kNhwc, DType::kUInt8, norm(-255, 0), 2.0f, 150);
  EXPECT_THAT(bytes(t), ElementsAre(22, 48, 99, 150));
  t = to_quantised(gray_2x2(), Layout::kNhwc, DType::kUInt8, norm(-255, 0), 2.0f, 60);
  EXPECT_THAT(bytes(t), ElementsAre(0, 0, 9, 60));
}

TEST(ImageToTensorQuantised, Int8RoundsAndClamps) {
  // Range [-128, 127]: real = p - 128 = -128, -77, 25, 127.
  // Scale 2, zero point 0: -64, -38.5, 12.5, 63.5 -> -64, -39, 13, 64.
  Tensor t = to_quantised(gray_2x2(), Layout::kNhwc, DType::kInt8, norm(-128, 127), 2.0f, 0);
  EXPECT_EQ(t.dtype(), DType::kInt8);
  EXPECT_EQ(t.shape(), (Shape{1, 2, 2, 1}));
  EXPECT_THAT(int8s(t), ElementsAre(-64, -39, 13, 64));
  // Scale 0.5, zero point 3: -253 -> -128, -151 -> -128, 53, 257 -> 127.
  t = to_quantised(gray_2x2(), Layout::kNhwc, DType::kInt8, norm(-128, 127), 0.5f, 3);
  EXPECT_THAT(int8s(t), ElementsAre(-128, -128, 53, 127));
  // Range [0, 255], scale 1, zero point -128: p - 128.
  t = to_quantised(gray_2x2(), Layout::kNhwc, DType::kInt8, norm(0, 255), 1.0f, -128);
  EXPECT_THAT(int8s(t), ElementsAre(-128, -77, 25, 127));
}

TEST(ImageToTensorQuantised, MeanStdAndTheUsualModelParameters) {
  // mean 0.5, std 0.5: real = 2 p / 255 - 1 = -1, -0.6, 0.2, 1; scale 1/128: -128, -76.8, 25.6, 128
  // -> -128, -77, 26, 128 -> 127.
  Tensor t = to_quantised(gray_2x2(), Layout::kNchw, DType::kInt8, norm(0, 1, {0.5f}, {0.5f}), 1.0f / 128, 0);
  EXPECT_THAT(int8s(t), ElementsAre(-128, -77, 26, 127));
  // A uint8 model quantised with scale 1/255 and zero point 0 over [0, 1] gets the raw pixels.
  t = to_quantised(gray_2x2(), Layout::kNhwc, DType::kUInt8, norm(), 1.0f / 255, 0);
  EXPECT_THAT(bytes(t), ElementsAre(0, 51, 153, 255));
  // No quantisation (Quantization{}): uint8 pixels unchanged, as without the argument.
  auto raw = image_to_tensor(gray_2x2(), Layout::kNhwc, DType::kUInt8, norm(), Quantization{});
  ASSERT_TRUE(raw.ok()) << raw.status().to_string();
  EXPECT_THAT(bytes(*raw), ElementsAre(0, 51, 153, 255));
}

TEST(ImageToTensorQuantised, ThreeChannelsInBothLayouts) {
  // image_4x2 with real = p (range [0, 255]), scale 1, zero point -128: p - 128.
  Tensor t = to_quantised(image_4x2(), Layout::kNhwc, DType::kInt8, norm(0, 255), 1.0f, -128);
  EXPECT_EQ(t.shape(), (Shape{1, 2, 4, 3}));
  EXPECT_THAT(int8s(t), ElementsAre(-128, -77, -26, 25, 76, 127, 127, -128, -77, -26, 25, 76,  //
                                    -77, -77, -77, -128, -128, -128, 127, 127, 127, 76, -26, -128));
  Tensor p = to_quantised(image_4x2(), Layout::kNchw, DType::kInt8, norm(0, 255), 1.0f, -128);
  EXPECT_EQ(p.shape(), (Shape{1, 3, 2, 4}));
  EXPECT_THAT(int8s(p), ElementsAre(-128, 25, 127, -26, -77, -128, 127, 76,     // channel 0
                                    -77, 76, -128, 25, -77, -128, 127, -26,     // channel 1
                                    -26, 127, -77, 76, -77, -128, 127, -128));  // channel 2
}

TEST(ImageToTensorQuantised, RejectsBadParameters) {
  struct Case {
    DType dtype;
    Quantization q;
    ImageInputSpec norm;
    const char* message;
  };
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Case cases[] = {
      {DType::kFloat32, {0.5f, 0}, norm(), "applies to int8 and uint8 inputs, not float32"},
      {DType::kUInt8, {-1.0f, 0}, norm(), "quantisation scale -1 must be positive and finite"},
      {DType::kInt8, {inf, 0}, norm(), "quantisation scale inf must be positive and finite"},
      {DType::kInt8, {nan, 0}, norm(), "quantisation scale nan must be positive and finite"},
      {DType::kUInt8, {1.0f, 256}, norm(), "zero point 256 is outside the uint8 range [0, 255]"},
      {DType::kUInt8, {1.0f, -1}, norm(), "zero point -1 is outside the uint8 range [0, 255]"},
      {DType::kInt8, {1.0f, 128}, norm(), "zero point 128 is outside the int8 range [-128, 127]"},
      {DType::kInt8, {1.0f, -129}, norm(), "zero point -129 is outside the int8 range [-128, 127]"},
      {DType::kUInt8, {0.0f, 5}, norm(), "zero point 5 given with scale 0"},
      {DType::kInt8, {0.0f, 0}, norm(), "an int8 image input needs quantisation parameters"},
      {DType::kInt32, {1.0f, 0}, norm(), "must be float32, uint8 or int8, got int32"},
      {DType::kInt8, {1.0f, 0}, norm(0, 1, {0.5f}, {0.0f}), "std non-zero"},
      {DType::kUInt8, {1.0f, 0}, norm(0, inf), "must be finite"},
  };
  for (const Case& c : cases) {
    auto t = image_to_tensor(gray_2x2(), Layout::kNhwc, c.dtype, c.norm, c.q);
    ASSERT_FALSE(t.ok()) << c.message;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(t.status().message(), HasSubstr(c.message));
  }
}

// ---------------------------------------------------------------------------------------------
// resize_image and ImageGeometry

std::vector<float> source_point(const ImageGeometry& g, float u, float v) {
  float x = 0, y = 0;
  g.to_source(u, v, &x, &y);
  return {x, y};
}

TEST(ResizeImage, LetterboxLandscapeInto128Square) {
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(10, 20, 30));
  ImageGeometry g;
  auto r = resize_image(frame, 128, 128, ResizeMode::kLetterbox, &g);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const cv::Mat& img = *r;
  EXPECT_EQ(img.cols, 128);
  EXPECT_EQ(img.rows, 128);
  EXPECT_EQ(img.type(), CV_8UC3);
  EXPECT_EQ(g.src_width, 640);
  EXPECT_EQ(g.src_height, 480);
  EXPECT_EQ(g.dst_width, 128);
  EXPECT_EQ(g.dst_height, 128);
  EXPECT_FLOAT_EQ(g.scale_x, 0.2f);
  EXPECT_FLOAT_EQ(g.scale_y, 0.2f);
  EXPECT_FLOAT_EQ(g.pad_x, 0.0f);
  EXPECT_FLOAT_EQ(g.pad_y, 16.0f);
  EXPECT_FLOAT_EQ(g.crop_x, 0.0f);
  EXPECT_FLOAT_EQ(g.crop_y, 0.0f);
  // 640 x 480 at 0.2 is 128 x 96: rows 16..111 hold the frame, the rest is black.
  for (int y = 0; y < 128; ++y) {
    const cv::Vec3b want = (y >= 16 && y < 112) ? cv::Vec3b(10, 20, 30) : cv::Vec3b(0, 0, 0);
    for (int x = 0; x < 128; ++x) ASSERT_EQ(img.at<cv::Vec3b>(y, x), want) << x << "," << y;
  }
  EXPECT_THAT(source_point(g, 0.5f, 0.5f), Pointwise(FloatNear(1e-3f), std::vector<float>{320, 240}));
  EXPECT_THAT(source_point(g, 0.0f, 16.0f / 128), Pointwise(FloatNear(1e-3f), std::vector<float>{0, 0}));
  EXPECT_THAT(source_point(g, 1.0f, 112.0f / 128), Pointwise(FloatNear(1e-3f), std::vector<float>{640, 480}));
  EXPECT_THAT(source_point(g, 0.25f, 0.0f), Pointwise(FloatNear(1e-3f), std::vector<float>{160, -80}));
}

TEST(ResizeImage, LetterboxPortraitPadsLeftAndRight) {
  cv::Mat frame(640, 480, CV_8UC1, cv::Scalar(200));
  ImageGeometry g;
  auto r = resize_image(frame, 128, 128, ResizeMode::kLetterbox, &g);
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(g.pad_x, 16.0f);
  EXPECT_FLOAT_EQ(g.pad_y, 0.0f);
  EXPECT_FLOAT_EQ(g.scale_x, 0.2f);
  EXPECT_EQ(r->at<uint8_t>(64, 15), 0);
  EXPECT_EQ(r->at<uint8_t>(64, 16), 200);
  EXPECT_EQ(r->at<uint8_t>(64, 111), 200);
  EXPECT_EQ(r->at<uint8_t>(64, 112), 0);
  EXPECT_THAT(source_point(g, 16.0f / 128, 1.0f), Pointwise(FloatNear(1e-3f), std::vector<float>{0, 640}));
}

TEST(ResizeImage, CropKeepsTheCentre) {
  // Left 80 columns red, right 80 blue, the middle 480 green: a centre crop to a square is green.
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(0, 255, 0));
  frame.colRange(0, 80).setTo(cv::Scalar(0, 0, 255));
  frame.colRange(560, 640).setTo(cv::Scalar(255, 0, 0));
  ImageGeometry g;
  auto r = resize_image(frame, 128, 128, ResizeMode::kCrop, &g);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cols, 128);
  EXPECT_EQ(r->rows, 128);
  EXPECT_EQ(cv::countNonZero(r->reshape(1) != cv::Mat(128, 128, CV_8UC3, cv::Scalar(0, 255, 0)).reshape(1)), 0);
  EXPECT_FLOAT_EQ(g.crop_x, 80.0f);
  EXPECT_FLOAT_EQ(g.crop_y, 0.0f);
  EXPECT_FLOAT_EQ(g.scale_x, 128.0f / 480);
  EXPECT_FLOAT_EQ(g.scale_y, 128.0f / 480);
  EXPECT_FLOAT_EQ(g.pad_x, 0.0f);
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-3f), std::vector<float>{80, 0}));
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-3f), std::vector<float>{560, 480}));
  EXPECT_THAT(source_point(g, 0.5f, 0.5f), Pointwise(FloatNear(1e-3f), std::vector<float>{320, 240}));
}

TEST(ResizeImage, CropTallFrameToWide) {
  cv::Mat frame(300, 100, CV_8UC1, cv::Scalar(1));
  ImageGeometry g;
  auto r = resize_image(frame, 200, 100, ResizeMode::kCrop, &g);  // 2:1 from 1:3: keep 100 x 50
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(g.crop_x, 0.0f);
  EXPECT_FLOAT_EQ(g.crop_y, 125.0f);
  EXPECT_FLOAT_EQ(g.scale_x, 2.0f);
  EXPECT_FLOAT_EQ(g.scale_y, 2.0f);
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-3f), std::vector<float>{100, 175}));
}

TEST(ResizeImage, StretchShrinkUsesAreaAverages) {
  // 6 x 3 -> 2 x 1 (a shrink by 2 or more): area averages each 3 x 3 block (bilinear would take the centre pixel).
  cv::Mat src = (cv::Mat_<uint8_t>(3, 6) << 0, 0, 0, 90, 90, 90,  //
                 0, 90, 0, 0, 0, 0,                               //
                 0, 0, 0, 90, 90, 90);
  ImageGeometry g;
  auto r = resize_image(src, 2, 1, ResizeMode::kStretch, &g);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at<uint8_t>(0, 0), 10);
  EXPECT_EQ(r->at<uint8_t>(0, 1), 60);
  EXPECT_FLOAT_EQ(g.scale_x, 1.0f / 3);
  EXPECT_FLOAT_EQ(g.scale_y, 1.0f / 3);
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-4f), std::vector<float>{6, 3}));
}

TEST(ResizeImage, MildShrinkIsBilinear) {
  // 5 x 1 -> 4 x 1 (a shrink by less than 2): bilinear, each output pixel centre x maps to source
  // x = (x + 0.5) * 5 / 4 - 0.5, i.e. 0.125, 1.375, 2.625, 3.875 (area would give 10, 40, 60, 90).
  cv::Mat src = (cv::Mat_<uint8_t>(1, 5) << 0, 40, 80, 120, 160);
  auto r = resize_image(src, 4, 1, ResizeMode::kStretch, nullptr);
  ASSERT_TRUE(r.ok());
  const cv::Mat& m = *r;
  EXPECT_THAT(std::vector<int>(m.begin<uint8_t>(), m.end<uint8_t>()), ElementsAre(5, 55, 105, 155));
}

TEST(ResizeImage, StretchEnlargeIsBilinear) {
  cv::Mat src = (cv::Mat_<uint8_t>(1, 2) << 0, 100);
  auto r = resize_image(src, 4, 1, ResizeMode::kStretch, nullptr);  // geometry is optional
  ASSERT_TRUE(r.ok());
  const cv::Mat& m = *r;
  EXPECT_THAT(std::vector<int>(m.begin<uint8_t>(), m.end<uint8_t>()), ElementsAre(0, 25, 75, 100));
}

TEST(ResizeImage, SameSizeKeepsPixelsAndUnitGeometry) {
  const cv::Mat src = image_4x2();
  for (ResizeMode mode : {ResizeMode::kStretch, ResizeMode::kLetterbox, ResizeMode::kCrop}) {
    ImageGeometry g;
    auto r = resize_image(src, 4, 2, mode, &g);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(cv::countNonZero(r->reshape(1) != src.reshape(1)), 0);
    EXPECT_FLOAT_EQ(g.scale_x, 1.0f);
    EXPECT_FLOAT_EQ(g.scale_y, 1.0f);
    EXPECT_FLOAT_EQ(g.pad_x + g.pad_y + g.crop_x + g.crop_y, 0.0f);
  }
}

TEST(ResizeImage, RejectsBadInput) {
  struct Case {
    cv::Mat img;
    int w, h;
    const char* message;
  };
  const cv::Mat ok(4, 4, CV_8UC3, cv::Scalar::all(1));
  const Case cases[] = {
      {cv::Mat(), 2, 2, "the image is empty"},
      {cv::Mat(4, 4, CV_16UC3, cv::Scalar::all(1)), 2, 2, "expected an 8-bit image, got CV_16UC3"},
      {cv::Mat(4, 4, CV_8UC2, cv::Scalar::all(1)), 2, 2, "channels, got 2"},
      {ok, 0, 2, "target size 0x2"},
      {ok, 2, -1, "target size 2x-1"},
      {ok, 20000, 2, "target size 20000x2"},
  };
  for (const Case& c : cases) {
    for (ResizeMode mode : {ResizeMode::kStretch, ResizeMode::kLetterbox, ResizeMode::kCrop}) {
      ImageGeometry g;
      auto r = resize_image(c.img, c.w, c.h, mode, &g);
      ASSERT_FALSE(r.ok()) << c.message;
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_THAT(r.status().message(), HasSubstr(c.message));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// crop_image, rotate_image and compose

// 4 wide x 3 high gray, every pixel distinct: 1..12 row by row.
cv::Mat gray_4x3() { return (cv::Mat_<uint8_t>(3, 4) << 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12); }

std::vector<int> values(const cv::Mat& m) {
  std::vector<int> v;
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) v.push_back(m.at<uint8_t>(y, x));
  return v;
}

// For every pixel of `out` (no resampling: crops, rotations, scale-1 letterboxes), maps its centre
// through `g` and checks that it lands on the centre of a source pixel holding the same value, or
// outside the source for padding (which is 0). Returns how many pixels came from the source.
int expect_maps_back(const cv::Mat& src, const cv::Mat& out, const ImageGeometry& g) {
  EXPECT_EQ(g.src_width, src.cols);
  EXPECT_EQ(g.src_height, src.rows);
  EXPECT_EQ(g.dst_width, out.cols);
  EXPECT_EQ(g.dst_height, out.rows);
  int inside = 0;
  for (int r = 0; r < out.rows; ++r) {
    for (int c = 0; c < out.cols; ++c) {
      float x = 0, y = 0;
      g.to_source((c + 0.5f) / out.cols, (r + 0.5f) / out.rows, &x, &y);
      const int sx = static_cast<int>(std::floor(x));
      const int sy = static_cast<int>(std::floor(y));
      if (sx >= 0 && sy >= 0 && sx < src.cols && sy < src.rows) {
        EXPECT_NEAR(x - sx, 0.5f, 1e-4f) << "out " << c << "," << r;
        EXPECT_NEAR(y - sy, 0.5f, 1e-4f) << "out " << c << "," << r;
        EXPECT_EQ(out.at<uint8_t>(r, c), src.at<uint8_t>(sy, sx)) << "out " << c << "," << r << " <- " << x << "," << y;
        ++inside;
      } else {
        EXPECT_EQ(out.at<uint8_t>(r, c), 0) << "padding " << c << "," << r << " -> " << x << "," << y;
      }
    }
  }
  return inside;
}

TEST(CropImage, PixelRegionSharesPixelsAndMapsBack) {
  const cv::Mat src = gray_4x3();
  ImageGeometry g;
  auto r = crop_image(src, cv::Rect2f(1, 1, 2, 2), false, &g);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->cols, 2);
  EXPECT_EQ(r->rows, 2);
  EXPECT_THAT(values(*r), ElementsAre(6, 7, 10, 11));
  EXPECT_EQ(r->data, src.ptr<uint8_t>(1) + 1);  // an ROI of src, not a copy
  EXPECT_EQ(g.src_width, 4);
  EXPECT_EQ(g.src_height, 3);
  EXPECT_EQ(g.dst_width, 2);
  EXPECT_EQ(g.dst_height, 2);
  EXPECT_EQ(g.rotation, 0);
  EXPECT_FLOAT_EQ(g.crop_x, 1.0f);
  EXPECT_FLOAT_EQ(g.crop_y, 1.0f);
  EXPECT_FLOAT_EQ(g.scale_x, 1.0f);
  EXPECT_FLOAT_EQ(g.scale_y, 1.0f);
  EXPECT_FLOAT_EQ(g.pad_x + g.pad_y, 0.0f);
  // The crop's corners are the region's corners in the source.
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{1, 1}));
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-5f), std::vector<float>{3, 3}));
  EXPECT_THAT(source_point(g, 1, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{3, 1}));
  EXPECT_EQ(expect_maps_back(src, *r, g), 4);
}

TEST(CropImage, NormalisedRegion) {
  const cv::Mat src = gray_4x3();
  ImageGeometry g;
  // x 0.25 * 4 = 1 .. 0.75 * 4 = 3; y 1/3 * 3 = 1 .. 3.
  auto r = crop_image(src, cv::Rect2f(0.25f, 1.0f / 3, 0.5f, 2.0f / 3), true, &g);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_THAT(values(*r), ElementsAre(6, 7, 10, 11));
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{1, 1}));
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-5f), std::vector<float>{3, 3}));
  // The right half: x 2 .. 4, all rows.
  r = crop_image(src, cv::Rect2f(0.5f, 0, 0.5f, 1), true, &g);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cols, 2);
  EXPECT_EQ(r->rows, 3);
  EXPECT_THAT(values(*r), ElementsAre(3, 4, 7, 8, 11, 12));
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{2, 0}));
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-5f), std::vector<float>{4, 3}));
  EXPECT_EQ(expect_maps_back(src, *r, g), 6);
}

TEST(CropImage, ClipsToTheImageAndRoundsEdges) {
  const cv::Mat src = gray_4x3();
  ImageGeometry g;
  // x -1 .. 2 -> 0 .. 2; y 1 .. 6 -> 1 .. 3.
  auto r = crop_image(src, cv::Rect2f(-1, 1, 3, 5), false, &g);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_THAT(values(*r), ElementsAre(5, 6, 9, 10));
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{0, 1}));
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-5f), std::vector<float>{2, 3}));
  // x 0.6 .. 2.4 -> 1 .. 2; y 0.4 .. 1.6 -> 0 .. 2.
  r = crop_image(src, cv::Rect2f(0.6f, 0.4f, 1.8f, 1.2f), false, &g);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_THAT(values(*r), ElementsAre(2, 6));
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{1, 0}));
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-5f), std::vector<float>{2, 2}));
  // Halves round up: x 0.5 .. 1.5 -> 1 .. 2.
  r = crop_image(src, cv::Rect2f(0.5f, 0, 1, 1), false, &g);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_THAT(values(*r), ElementsAre(2));
}

TEST(CropImage, RejectsEmptyAndInvalidRegions) {
  struct Case {
    cv::Rect2f region;
    bool normalised;
    const char* message;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Case cases[] = {
      {{5, 0, 2, 1}, false, "the region (x 5, y 0, width 2, height 1 pixels) leaves nothing of the 4x3 image"},
      {{0, -3, 4, 2}, false, "leaves nothing of the 4x3 image"},
      {{1, 0, 0.5f, 1}, true, "region (x 1, y 0, width 0.5, height 1, normalised) leaves nothing of the 4x3 image"},
      {{0, 0, 0.2f, 1}, false, "leaves nothing of the 4x3 image after clipping and rounding"},
      {{0, 0, 0, 1}, false, "region (x 0, y 0, width 0, height 1 pixels) has zero size"},
      {{1, 1, 2, -1}, false, "has zero size; width and height must be positive (image 4x3)"},
      {{nan, 0, 1, 1}, false, "must be finite (image 4x3)"},
  };
  for (const Case& c : cases) {
    ImageGeometry g;
    auto r = crop_image(gray_4x3(), c.region, c.normalised, &g);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
  auto r = crop_image(cv::Mat(), cv::Rect2f(0, 0, 1, 1), false, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("crop: the image is empty"));
}

// 4 wide x 2 high gray: 1 2 3 4 / 5 6 7 8.
cv::Mat gray_4x2() { return (cv::Mat_<uint8_t>(2, 4) << 1, 2, 3, 4, 5, 6, 7, 8); }

TEST(RotateImage, QuarterTurnsClockwise) {
  const cv::Mat src = gray_4x2();
  struct Case {
    int degrees;
    int width, height;
    std::vector<int> pixels;  // row by row
  };
  const Case cases[] = {
      {0, 4, 2, {1, 2, 3, 4, 5, 6, 7, 8}},
      {90, 2, 4, {5, 1, 6, 2, 7, 3, 8, 4}},  // the left column becomes the top row
      {180, 4, 2, {8, 7, 6, 5, 4, 3, 2, 1}},
      {270, 2, 4, {4, 8, 3, 7, 2, 6, 1, 5}},  // the right column becomes the top row
  };
  for (const Case& c : cases) {
    ImageGeometry g;
    auto r = rotate_image(src, c.degrees, &g);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->cols, c.width) << c.degrees;
    EXPECT_EQ(r->rows, c.height) << c.degrees;
    EXPECT_THAT(values(*r), ElementsAreArray(c.pixels)) << c.degrees;
    EXPECT_EQ(g.rotation, c.degrees / 90);
    EXPECT_FLOAT_EQ(g.scale_x * g.scale_y, 1.0f);
    EXPECT_EQ(expect_maps_back(src, *r, g), 8) << c.degrees;
  }
  auto same = rotate_image(src, 0, nullptr);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->data, src.data);
}

TEST(RotateImage, CornersMapToTheRotatedCorners) {
  ImageGeometry g;
  ASSERT_TRUE(rotate_image(gray_4x2(), 90, &g).ok());
  // After 90 degrees clockwise the output's top-left is the source's bottom-left, its top-right
  // the source's top-left.
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{0, 2}));
  EXPECT_THAT(source_point(g, 1, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{0, 0}));
  EXPECT_THAT(source_point(g, 1, 1), Pointwise(FloatNear(1e-5f), std::vector<float>{4, 0}));
  ASSERT_TRUE(rotate_image(gray_4x2(), 270, &g).ok());
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{4, 0}));
  EXPECT_THAT(source_point(g, 0, 1), Pointwise(FloatNear(1e-5f), std::vector<float>{0, 0}));
  g.rotation = -1;  // taken modulo 4: the same as 3
  EXPECT_THAT(source_point(g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{4, 0}));
  ASSERT_TRUE(rotate_image(gray_4x2(), 180, &g).ok());
  EXPECT_THAT(source_point(g, 0.25f, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{3, 2}));
}

TEST(RotateImage, RejectsOtherAngles) {
  for (int degrees : {-90, 45, 360, 1, 91}) {
    auto r = rotate_image(gray_4x2(), degrees, nullptr);
    ASSERT_FALSE(r.ok()) << degrees;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(std::to_string(degrees) + " degrees is not a quarter turn"));
    EXPECT_THAT(r.status().message(), HasSubstr("allowed: 0, 90, 180, 270"));
  }
  auto r = rotate_image(cv::Mat(2, 2, CV_32FC1, cv::Scalar(0)), 90, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("rotate: expected an 8-bit image, got CV_32FC1"));
}

// The marked pixel (3, 0) of a 4 x 2 frame: rotated 90 degrees clockwise it is (1, 3) of the
// 2 x 4 image; letterboxed into 8 x 8 (scale 2, 2 columns of padding left) it covers model pixels
// x 4..6, y 6..8, centred on (5, 7).
TEST(RotateImage, ThenLetterboxMapsTheMarkedPixelBack) {
  cv::Mat frame(2, 4, CV_8UC1, cv::Scalar(0));
  frame.at<uint8_t>(0, 3) = 200;
  ImageGeometry rotated_geo, resized_geo;
  auto rotated = rotate_image(frame, 90, &rotated_geo);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->at<uint8_t>(3, 1), 200);
  auto model = resize_image(*rotated, 8, 8, ResizeMode::kLetterbox, &resized_geo);
  ASSERT_TRUE(model.ok());
  EXPECT_FLOAT_EQ(resized_geo.scale_x, 2.0f);
  EXPECT_FLOAT_EQ(resized_geo.pad_x, 2.0f);

  auto composed = compose(rotated_geo, resized_geo);
  ASSERT_TRUE(composed.ok()) << composed.status().to_string();
  const ImageGeometry& g = *composed;
  EXPECT_EQ(g.src_width, 4);
  EXPECT_EQ(g.src_height, 2);
  EXPECT_EQ(g.dst_width, 8);
  EXPECT_EQ(g.dst_height, 8);
  EXPECT_EQ(g.rotation, 1);
  EXPECT_FLOAT_EQ(g.scale_x, 2.0f);
  EXPECT_FLOAT_EQ(g.scale_y, 2.0f);
  EXPECT_FLOAT_EQ(g.pad_x, 2.0f);
  EXPECT_FLOAT_EQ(g.pad_y, 0.0f);
  EXPECT_NEAR(g.crop_x, 0.0f, 1e-6f);
  EXPECT_NEAR(g.crop_y, 0.0f, 1e-6f);

  // The marked pixel's centre maps to the centre of source pixel (3, 0).
  EXPECT_THAT(source_point(g, 5.0f / 8, 7.0f / 8), Pointwise(FloatNear(1e-5f), std::vector<float>{3.5f, 0.5f}));
  // Its box's corners map to the other corners of the source pixel's box.
  EXPECT_THAT(source_point(g, 4.0f / 8, 6.0f / 8), Pointwise(FloatNear(1e-5f), std::vector<float>{3, 1}));
  EXPECT_THAT(source_point(g, 6.0f / 8, 8.0f / 8), Pointwise(FloatNear(1e-5f), std::vector<float>{4, 0}));
  // The brightest model pixel (bilinear enlargement keeps the full value at (5, 7)) lies in it.
  double max_value = 0;
  cv::Point at;
  cv::minMaxLoc(*model, nullptr, &max_value, nullptr, &at);
  EXPECT_EQ(max_value, 200);
  EXPECT_EQ(at, cv::Point(5, 7));
  const std::vector<float> p = source_point(g, (at.x + 0.5f) / 8, (at.y + 0.5f) / 8);
  EXPECT_EQ(static_cast<int>(std::floor(p[0])), 3);
  EXPECT_EQ(static_cast<int>(std::floor(p[1])), 0);
}

TEST(ComposeGeometry, ResizeThenRotateSwapsTheScales) {
  // Stretch 4 x 2 -> 12 x 4 (scale 3 x 2), then rotate 90 -> 4 x 12. As a rotation first, the
  // rotated frame is 2 x 4 and the model input 4 x 12: scale 2 x 3.
  cv::Mat frame(2, 4, CV_8UC1, cv::Scalar(0));
  frame.at<uint8_t>(0, 3) = 200;
  ImageGeometry resized_geo, rotated_geo;
  auto resized = resize_image(frame, 12, 4, ResizeMode::kStretch, &resized_geo);
  ASSERT_TRUE(resized.ok());
  auto model = rotate_image(*resized, 90, &rotated_geo);
  ASSERT_TRUE(model.ok());
  auto composed = compose(resized_geo, rotated_geo);
  ASSERT_TRUE(composed.ok()) << composed.status().to_string();
  const ImageGeometry& g = *composed;
  EXPECT_EQ(g.rotation, 1);
  EXPECT_EQ(g.dst_width, 4);
  EXPECT_EQ(g.dst_height, 12);
  EXPECT_FLOAT_EQ(g.scale_x, 2.0f);
  EXPECT_FLOAT_EQ(g.scale_y, 3.0f);
  EXPECT_NEAR(g.crop_x, 0.0f, 1e-6f);
  EXPECT_NEAR(g.crop_y, 0.0f, 1e-6f);
  // The marked pixel's centre: (10.5, 1) after the stretch, (4 - 1, 10.5) = (3, 10.5) after the
  // rotation of the 12 x 4 image.
  EXPECT_THAT(source_point(g, 3.0f / 4, 10.5f / 12), Pointwise(FloatNear(1e-5f), std::vector<float>{3.5f, 0.5f}));
  EXPECT_EQ(model->at<uint8_t>(10, 3), 200);
}

TEST(ComposeGeometry, ChainsWithoutResamplingMapEveryPixelBack) {
  const cv::Mat src = gray_4x3();
  {  // crop x 1..3 (2 x 3), then 270 degrees -> 3 x 2
    ImageGeometry g1, g2;
    auto crop = crop_image(src, cv::Rect2f(1, 0, 2, 3), false, &g1);
    ASSERT_TRUE(crop.ok());
    auto out = rotate_image(*crop, 270, &g2);
    ASSERT_TRUE(out.ok());
    EXPECT_THAT(values(*out), ElementsAre(3, 7, 11, 2, 6, 10));
    auto g = compose(g1, g2);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    EXPECT_EQ(g->rotation, 3);
    EXPECT_EQ(expect_maps_back(src, *out, *g), 6);
  }
  {  // letterbox 4 x 3 into 4 x 5 (scale 1, one padding row above and below), then 180 degrees
    ImageGeometry g1, g2;
    auto boxed = resize_image(src, 4, 5, ResizeMode::kLetterbox, &g1);
    ASSERT_TRUE(boxed.ok());
    EXPECT_FLOAT_EQ(g1.pad_y, 1.0f);
    auto out = rotate_image(*boxed, 180, &g2);
    ASSERT_TRUE(out.ok());
    auto g = compose(g1, g2);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    EXPECT_EQ(g->rotation, 2);
    EXPECT_EQ(expect_maps_back(src, *out, *g), 12);
  }
  {  // 90 degrees (3 x 4), then letterbox into 5 x 4 (one padding column left and right)
    ImageGeometry g1, g2;
    auto rotated = rotate_image(src, 90, &g1);
    ASSERT_TRUE(rotated.ok());
    auto out = resize_image(*rotated, 5, 4, ResizeMode::kLetterbox, &g2);
    ASSERT_TRUE(out.ok());
    auto g = compose(g1, g2);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    EXPECT_FLOAT_EQ(g->pad_x, 1.0f);
    EXPECT_EQ(expect_maps_back(src, *out, *g), 12);
  }
  {  // crop then stretch 2x: the crop's corners are still the region's corners
    ImageGeometry g1, g2;
    auto crop = crop_image(src, cv::Rect2f(1, 1, 2, 2), false, &g1);
    ASSERT_TRUE(crop.ok());
    ASSERT_TRUE(resize_image(*crop, 4, 4, ResizeMode::kStretch, &g2).ok());
    auto g = compose(g1, g2);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    EXPECT_FLOAT_EQ(g->crop_x, 1.0f);
    EXPECT_FLOAT_EQ(g->crop_y, 1.0f);
    EXPECT_FLOAT_EQ(g->scale_x, 2.0f);
    EXPECT_THAT(source_point(*g, 0, 0), Pointwise(FloatNear(1e-5f), std::vector<float>{1, 1}));
    EXPECT_THAT(source_point(*g, 1, 1), Pointwise(FloatNear(1e-5f), std::vector<float>{3, 3}));
  }
}

TEST(ComposeGeometry, RejectsStepsThatDoNotChain) {
  ImageGeometry rotated;
  ASSERT_TRUE(rotate_image(gray_4x2(), 90, &rotated).ok());  // 4 x 2 -> 2 x 4
  ImageGeometry resized;
  ASSERT_TRUE(resize_image(gray_4x2(), 8, 8, ResizeMode::kStretch, &resized).ok());  // from 4 x 2
  auto g = compose(rotated, resized);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("the second step's source is 4x2 but the first step's output is 2x4"));
  ImageGeometry zero = rotated;
  zero.scale_x = 0;
  g = compose(zero, ImageGeometry{2, 4, 2, 4});
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("the first step's scale 0 x 1 must be positive and finite"));
}

// ---------------------------------------------------------------------------------------------
// convert_color

std::vector<int> pixel(const cv::Mat& m, int x = 0, int y = 0) {
  const uint8_t* p = m.ptr<uint8_t>(y) + x * m.channels();
  return std::vector<int>(p, p + m.channels());
}

cv::Mat convert(const cv::Mat& src, ColorOrder to) {
  auto r = convert_color(src, to);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : cv::Mat();
}

TEST(ConvertColor, FromBgr) {
  cv::Mat bgr(1, 2, CV_8UC3, cv::Scalar(10, 20, 30));
  EXPECT_THAT(pixel(convert(bgr, ColorOrder::kRgb), 1), ElementsAre(30, 20, 10));
  EXPECT_THAT(pixel(convert(bgr, ColorOrder::kBgr)), ElementsAre(10, 20, 30));
  EXPECT_THAT(pixel(convert(bgr, ColorOrder::kRgba)), ElementsAre(30, 20, 10, 255));
  // 0.299 R + 0.587 G + 0.114 B = 8.97 + 11.74 + 1.14 = 21.85
  EXPECT_THAT(pixel(convert(bgr, ColorOrder::kGray)), ElementsAre(22));
}

TEST(ConvertColor, FromBgraAlphaBecomesOpaque) {
  cv::Mat bgra(2, 1, CV_8UC4, cv::Scalar(10, 20, 30, 7));
  EXPECT_THAT(pixel(convert(bgra, ColorOrder::kRgba), 0, 1), ElementsAre(30, 20, 10, 255));
  EXPECT_THAT(pixel(convert(bgra, ColorOrder::kRgb)), ElementsAre(30, 20, 10));
  EXPECT_THAT(pixel(convert(bgra, ColorOrder::kBgr)), ElementsAre(10, 20, 30));
  EXPECT_THAT(pixel(convert(bgra, ColorOrder::kGray)), ElementsAre(22));
}

TEST(ConvertColor, BgraPixelsToRgbAndGrayTensors) {
  // Distinct pixels and alphas (alpha never weights the colour).
  cv::Mat bgra(2, 2, CV_8UC4);
  const uint8_t v[] = {255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 128, 51, 102, 153, 7};
  std::copy(v, v + 16, bgra.ptr<uint8_t>(0));
  ASSERT_TRUE(bgra.isContinuous());
  const cv::Mat rgb = convert(bgra, ColorOrder::kRgb);
  ASSERT_EQ(rgb.type(), CV_8UC3);
  EXPECT_THAT(pixel(rgb, 0, 0), ElementsAre(0, 0, 255));
  EXPECT_THAT(pixel(rgb, 1, 0), ElementsAre(0, 255, 0));
  EXPECT_THAT(pixel(rgb, 0, 1), ElementsAre(255, 0, 0));
  EXPECT_THAT(pixel(rgb, 1, 1), ElementsAre(153, 102, 51));
  Tensor t = to_tensor(rgb, Layout::kNchw, DType::kFloat32, norm());
  EXPECT_THAT(floats(t), Pointwise(FloatNear(kTol), std::vector<float>{0, 0, 1, 0.6f,     // R
                                                                       0, 1, 0, 0.4f,     // G
                                                                       1, 0, 0, 0.2f}));  // B
  // 0.114 * 255 = 29.07; 0.587 * 255 = 149.69; 0.299 * 255 = 76.25;
  // 0.299 * 153 + 0.587 * 102 + 0.114 * 51 = 45.75 + 59.87 + 5.81 = 111.44.
  const cv::Mat gray = convert(bgra, ColorOrder::kGray);
  ASSERT_EQ(gray.type(), CV_8UC1);
  EXPECT_THAT(bytes(to_tensor(gray, Layout::kNhwc, DType::kUInt8, norm())), ElementsAre(29, 150, 76, 111));
}

TEST(ConvertColor, FromGray) {
  cv::Mat gray(1, 1, CV_8UC1, cv::Scalar(77));
  EXPECT_THAT(pixel(convert(gray, ColorOrder::kRgb)), ElementsAre(77, 77, 77));
  EXPECT_THAT(pixel(convert(gray, ColorOrder::kBgr)), ElementsAre(77, 77, 77));
  EXPECT_THAT(pixel(convert(gray, ColorOrder::kRgba)), ElementsAre(77, 77, 77, 255));
  EXPECT_THAT(pixel(convert(gray, ColorOrder::kGray)), ElementsAre(77));
}

TEST(ConvertColor, RejectsBadInput) {
  for (const cv::Mat& m :
       {cv::Mat(), cv::Mat(2, 2, CV_16UC3, cv::Scalar::all(0)), cv::Mat(2, 2, CV_8UC2, cv::Scalar::all(0))}) {
    auto r = convert_color(m, ColorOrder::kRgb);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("color conversion"));
  }
}

// The pipeline as the planner chains it: letterbox, BGR -> RGB, NCHW float in [-1, 1].
TEST(ImagePipeline, LetterboxColourTensor) {
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(0, 51, 255));  // B 0, G 51, R 255
  ImageGeometry g;
  auto resized = resize_image(frame, 128, 128, ResizeMode::kLetterbox, &g);
  ASSERT_TRUE(resized.ok());
  auto rgb = convert_color(*resized, ColorOrder::kRgb);
  ASSERT_TRUE(rgb.ok());
  Tensor t = to_tensor(*rgb, Layout::kNchw, DType::kFloat32, norm(-1, 1));
  ASSERT_EQ(t.shape(), (Shape{1, 3, 128, 128}));
  const auto v = t.values<float>();
  auto at = [&](int c, int y, int x) { return v[static_cast<size_t>((c * 128 + y) * 128 + x)]; };
  EXPECT_NEAR(at(0, 64, 64), 1.0f, kTol);   // R 255
  EXPECT_NEAR(at(1, 64, 64), -0.6f, kTol);  // G 51
  EXPECT_NEAR(at(2, 64, 64), -1.0f, kTol);  // B 0
  EXPECT_NEAR(at(0, 5, 64), -1.0f, kTol);   // padding is black
  EXPECT_NEAR(at(1, 120, 3), -1.0f, kTol);
}

}  // namespace
}  // namespace sensix
