// Tests of the image operations on small hand-made images whose expected values are computed
// by hand (tensor values, resize geometry, interpolation, colour conversion).
#include "transform/image_ops.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>

namespace sensix {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Pointwise;
using ::testing::FloatNear;

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
  EXPECT_THAT(floats(t), Pointwise(FloatNear(kTol), std::vector<float>{
                                                        0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f, 1.0f, 0.0f, 0.2f, 0.4f, 0.6f, 0.8f,  //
                                                        0.2f, 0.2f, 0.2f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 0.8f, 0.4f, 0.0f}));
}

TEST(ImageToTensor, Float01Nchw) {
  Tensor t = to_tensor(image_4x2(), Layout::kNchw, DType::kFloat32, norm());
  EXPECT_EQ(t.shape(), (Shape{1, 3, 2, 4}));
  EXPECT_THAT(floats(t), Pointwise(FloatNear(kTol), std::vector<float>{
                                                        0.0f, 0.6f, 1.0f, 0.4f, 0.2f, 0.0f, 1.0f, 0.8f,  // channel 0
                                                        0.2f, 0.8f, 0.0f, 0.6f, 0.2f, 0.0f, 1.0f, 0.4f,  // channel 1
                                                        0.4f, 1.0f, 0.2f, 0.8f, 0.2f, 0.0f, 1.0f, 0.0f}));
}

TEST(ImageToTensor, RangeMinusOneToOne) {
  // v = -1 + 2 p / 255
  Tensor t = to_tensor(image_4x2(), Layout::kNhwc, DType::kFloat32, norm(-1, 1));
  EXPECT_THAT(floats(t), Pointwise(FloatNear(kTol), std::vector<float>{
                                                        -1.0f, -0.6f, -0.2f, 0.2f, 0.6f, 1.0f, 1.0f, -1.0f, -0.6f, -0.2f, 0.2f, 0.6f,  //
                                                        -0.6f, -0.6f, -0.6f, -1.0f, -1.0f, -1.0f, 1.0f, 1.0f, 1.0f, 0.6f, -0.2f, -1.0f}));
}

TEST(ImageToTensor, MeanStdNhwcAndNchw) {
  // c0: (x - 0.5) / 0.5 = 2x - 1;  c1: (x - 0.4) / 0.2 = 5x - 2;  c2: (x - 0.2) / 0.4 = 2.5x - 0.5
  const ImageInputSpec n = norm(0, 1, {0.5f, 0.4f, 0.2f}, {0.5f, 0.2f, 0.4f});
  Tensor t = to_tensor(image_4x2(), Layout::kNhwc, DType::kFloat32, n);
  EXPECT_THAT(floats(t), Pointwise(FloatNear(1e-5f), std::vector<float>{
                                                         -1.0f, -1.0f, 0.5f, 0.2f, 2.0f, 2.0f, 1.0f, -2.0f, 0.0f, -0.2f, 1.0f, 1.5f,  //
                                                         -0.6f, -1.0f, 0.0f, -1.0f, -2.0f, -0.5f, 1.0f, 3.0f, 2.0f, 0.6f, 0.0f, -0.5f}));
  Tensor p = to_tensor(image_4x2(), Layout::kNchw, DType::kFloat32, n);
  EXPECT_THAT(floats(p), Pointwise(FloatNear(1e-5f), std::vector<float>{
                                                         -1.0f, 0.2f, 1.0f, -0.2f, -0.6f, -1.0f, 1.0f, 0.6f,   // c0
                                                         -1.0f, 2.0f, -2.0f, 1.0f, -1.0f, -2.0f, 3.0f, 0.0f,   // c1
                                                         0.5f, 2.0f, 0.0f, 1.5f, 0.0f, -0.5f, 2.0f, -0.5f}));  // c2
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
      {rgb, DType::kInt64, norm(), "must be float32 or uint8, got int64"},
      {rgb, DType::kFloat16, norm(), "must be float32 or uint8, got float16"},
  };
  for (const Case& c : cases) {
    auto t = image_to_tensor(c.img, Layout::kNhwc, c.dtype, c.norm);
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
  // 6 x 3 -> 2 x 1: area averages each 3 x 3 block (bilinear would take the centre pixel).
  cv::Mat src = (cv::Mat_<uint8_t>(3, 6) << 0, 0, 0, 90, 90, 90,  //
                 0, 90, 0, 0, 0, 0,                                 //
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

TEST(ImageGeometry, DefaultIsIdentityOnTheFrame) {
  ImageGeometry g;
  g.src_width = g.dst_width = 640;
  g.src_height = g.dst_height = 480;
  EXPECT_THAT(source_point(g, 0.25f, 0.5f), Pointwise(FloatNear(1e-4f), std::vector<float>{160, 240}));
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

TEST(ConvertColor, FromGray) {
  cv::Mat gray(1, 1, CV_8UC1, cv::Scalar(77));
  EXPECT_THAT(pixel(convert(gray, ColorOrder::kRgb)), ElementsAre(77, 77, 77));
  EXPECT_THAT(pixel(convert(gray, ColorOrder::kBgr)), ElementsAre(77, 77, 77));
  EXPECT_THAT(pixel(convert(gray, ColorOrder::kRgba)), ElementsAre(77, 77, 77, 255));
  EXPECT_THAT(pixel(convert(gray, ColorOrder::kGray)), ElementsAre(77));
}

TEST(ConvertColor, RejectsBadInput) {
  for (const cv::Mat& m : {cv::Mat(), cv::Mat(2, 2, CV_16UC3, cv::Scalar::all(0)),
                           cv::Mat(2, 2, CV_8UC2, cv::Scalar::all(0))}) {
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
  EXPECT_NEAR(at(0, 64, 64), 1.0f, kTol);    // R 255
  EXPECT_NEAR(at(1, 64, 64), -0.6f, kTol);   // G 51
  EXPECT_NEAR(at(2, 64, 64), -1.0f, kTol);   // B 0
  EXPECT_NEAR(at(0, 5, 64), -1.0f, kTol);    // padding is black
  EXPECT_NEAR(at(1, 120, 3), -1.0f, kTol);
}

}  // namespace
}  // namespace sensix
