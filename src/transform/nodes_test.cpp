// The crops node of a cascade on a real photo (messi5.jpg, 548x342): which boxes become crops, the
// region each takes (scale, square, shift, clipping at the frame's edges), and that a crop's
// geometry, alone and composed with the downstream model's resize, maps back to the right pixels
// of the original frame.
#include "transform/nodes.h"

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/paths.h"

namespace sensix {
namespace {

cv::Mat messi() {
  for (const std::string& p :
       {samples_dir() + "/images/messi5.jpg", std::string("/usr/share/doc/opencv-doc/examples/data/messi5.jpg")}) {
    if (std::filesystem::exists(p)) return cv::imread(p, cv::IMREAD_COLOR);
  }
  return {};
}

Detection box(std::string label, float score, float x, float y, float w, float h) {
  Detection d;
  d.label = std::move(label);
  d.score = score;
  d.x = x;
  d.y = y;
  d.w = w;
  d.h = h;
  return d;
}

// A detector's result as the model node emits it: its outputs (not read by the crops node), its
// prediction (null: it reported nothing) and the sensor frame.
Item detector_result(const cv::Mat& frame, std::vector<Detection> detections, bool predicted = true) {
  Item in;
  in.frame_seq = 7;
  in.end_ns = 123;
  in.captured = SteadyClock::now();
  in.frame = frame;
  std::shared_ptr<const Prediction> prediction;
  if (predicted) {
    auto p = std::make_shared<Prediction>();
    p->kind = PredictionKind::kDetection;
    p->model = "detector";
    p->detections = std::move(detections);
    prediction = std::move(p);
  }
  in.data = ModelOutputs{std::make_shared<std::vector<Tensor>>(), std::make_shared<std::vector<std::string>>(),
                         std::move(prediction)};
  return in;
}

std::unique_ptr<ExecNode> crops_node(const CropsSpec& spec) {
  PlanNode n;
  n.params = CropsParams{"detector", spec};
  auto node = make_transform_node(n);
  EXPECT_TRUE(node.ok()) << node.status();
  return node.ok() ? std::move(node).value() : nullptr;
}

std::vector<Item> run(ExecNode& node, const Item& in) {
  std::vector<Item> out;
  Status s = node.process(in, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// Every 7th pixel of the crop is the frame's pixel at the point its geometry maps the pixel's
// centre to.
void expect_pixels_of_frame(const ImageData& crop, const cv::Mat& frame) {
  ASSERT_FALSE(crop.image.empty());
  for (int r = 0; r < crop.image.rows; r += 7) {
    for (int c = 0; c < crop.image.cols; c += 7) {
      float x = 0, y = 0;
      crop.geometry.to_source((c + 0.5f) / crop.image.cols, (r + 0.5f) / crop.image.rows, &x, &y);
      const int sx = static_cast<int>(std::floor(x)), sy = static_cast<int>(std::floor(y));
      ASSERT_TRUE(sx >= 0 && sx < frame.cols && sy >= 0 && sy < frame.rows) << x << "," << y;
      ASSERT_EQ(crop.image.at<cv::Vec3b>(r, c), frame.at<cv::Vec3b>(sy, sx)) << "crop pixel " << c << "," << r;
    }
  }
}

#define REQUIRE_MESSI(frame)     \
  const cv::Mat frame = messi(); \
  if (frame.empty()) GTEST_SKIP() << "messi5.jpg missing: run scripts/setup"

TEST(CropsNode, ACropIsTheBoxCutOutOfTheFrameAndMapsBackToIt) {
  REQUIRE_MESSI(frame);
  ASSERT_EQ(frame.cols, 548);
  auto node = crops_node(CropsSpec{});
  auto out = run(*node, detector_result(frame, {box("face", 0.9f, 200, 80, 80, 60)}));
  ASSERT_EQ(out.size(), 1u);
  const auto& img = std::get<ImageData>(out[0].data);
  EXPECT_EQ(img.image.cols, 80);
  EXPECT_EQ(img.image.rows, 60);
  EXPECT_EQ(img.geometry.src_width, 548);
  EXPECT_EQ(img.geometry.src_height, 342);
  EXPECT_FLOAT_EQ(img.geometry.crop_x, 200);
  EXPECT_FLOAT_EQ(img.geometry.crop_y, 80);
  // The crop shares the frame's pixels (no copy).
  EXPECT_EQ(img.image.ptr<uchar>(0), frame.ptr<uchar>(80) + 200 * 3);
  expect_pixels_of_frame(img, frame);
  // The item keeps the frame, its time, and says which box it came from.
  EXPECT_EQ(out[0].frame_seq, 7u);
  EXPECT_EQ(out[0].end_ns, 123);
  EXPECT_EQ(out[0].frame.data, frame.data);
  ASSERT_TRUE(out[0].crop);
  EXPECT_EQ(out[0].crop->model, "detector");
  EXPECT_EQ(out[0].crop->detection, 0);
  EXPECT_EQ(out[0].crop->label, "face");
  EXPECT_FLOAT_EQ(out[0].crop->score, 0.9f);
  EXPECT_FLOAT_EQ(out[0].crop->x, 200);
  EXPECT_FLOAT_EQ(out[0].crop->y, 80);
  EXPECT_FLOAT_EQ(out[0].crop->w, 80);
  EXPECT_FLOAT_EQ(out[0].crop->h, 60);
}

TEST(CropsNode, ScaleSquareAndShiftMoveAndGrowTheRegion) {
  // Box (200, 80) 40x20, centre (220, 90). shift (0.5, -0.25) of 40x20 -> centre (240, 85);
  // square -> 40x40; scale 1.5 -> 60x60: the region (210, 55) 60x60.
  CropsSpec spec;
  spec.scale = 1.5f;
  spec.square = true;
  spec.shift_x = 0.5f;
  spec.shift_y = -0.25f;
  const cv::Rect2f r = crops_region(box("face", 1, 200, 80, 40, 20), spec);
  EXPECT_FLOAT_EQ(r.x, 210);
  EXPECT_FLOAT_EQ(r.y, 55);
  EXPECT_FLOAT_EQ(r.width, 60);
  EXPECT_FLOAT_EQ(r.height, 60);
  // Not square: 60x30 about the shifted centre.
  spec.square = false;
  const cv::Rect2f s = crops_region(box("face", 1, 200, 80, 40, 20), spec);
  EXPECT_FLOAT_EQ(s.x, 210);
  EXPECT_FLOAT_EQ(s.y, 70);
  EXPECT_FLOAT_EQ(s.width, 60);
  EXPECT_FLOAT_EQ(s.height, 30);
  // A tall box made square takes its height.
  spec = CropsSpec{};
  spec.square = true;
  const cv::Rect2f t = crops_region(box("person", 1, 100, 50, 20, 100), spec);
  EXPECT_FLOAT_EQ(t.x, 60);
  EXPECT_FLOAT_EQ(t.y, 50);
  EXPECT_FLOAT_EQ(t.width, 100);
  EXPECT_FLOAT_EQ(t.height, 100);

  REQUIRE_MESSI(frame);
  spec = CropsSpec{};
  spec.scale = 1.5f;
  spec.square = true;
  spec.shift_x = 0.5f;
  spec.shift_y = -0.25f;
  auto node = crops_node(spec);
  auto out = run(*node, detector_result(frame, {box("face", 0.9f, 200, 80, 40, 20)}));
  ASSERT_EQ(out.size(), 1u);
  const auto& img = std::get<ImageData>(out[0].data);
  EXPECT_EQ(img.image.cols, 60);
  EXPECT_EQ(img.image.rows, 60);
  EXPECT_FLOAT_EQ(out[0].crop->x, 210);
  EXPECT_FLOAT_EQ(out[0].crop->y, 55);
  expect_pixels_of_frame(img, frame);
}

TEST(CropsNode, RegionsAreClippedAtTheFrameEdgesAndBoxesOutsideGiveNoCrop) {
  REQUIRE_MESSI(frame);
  CropsSpec spec;
  spec.scale = 2.0f;
  auto node = crops_node(spec);
  auto out = run(*node, detector_result(frame, {
                                                   box("a", 0.9f, -10, -5, 50, 40),   // top-left: (-35,-25) 100x80
                                                   box("b", 0.9f, 530, 330, 30, 30),  // bottom-right: (515,315) 60x60
                                                   box("c", 0.9f, 700, 500, 10, 10),  // wholly outside
                                               }));
  ASSERT_EQ(out.size(), 2u);
  const auto& a = std::get<ImageData>(out[0].data);
  EXPECT_EQ(a.image.cols, 65);  // columns 0..65
  EXPECT_EQ(a.image.rows, 55);  // rows 0..55
  EXPECT_FLOAT_EQ(out[0].crop->x, 0);
  EXPECT_FLOAT_EQ(out[0].crop->y, 0);
  EXPECT_FLOAT_EQ(out[0].crop->w, 65);
  EXPECT_FLOAT_EQ(out[0].crop->h, 55);
  expect_pixels_of_frame(a, frame);
  const auto& b = std::get<ImageData>(out[1].data);
  EXPECT_EQ(b.image.cols, 548 - 515);
  EXPECT_EQ(b.image.rows, 342 - 315);
  EXPECT_EQ(out[1].crop->detection, 1);
  // The crop's corners are the frame's bottom-right corner.
  float x = 0, y = 0;
  b.geometry.to_source(1, 1, &x, &y);
  EXPECT_FLOAT_EQ(x, 548);
  EXPECT_FLOAT_EQ(y, 342);
  b.geometry.to_source(0, 0, &x, &y);
  EXPECT_FLOAT_EQ(x, 515);
  EXPECT_FLOAT_EQ(y, 315);
  expect_pixels_of_frame(b, frame);
}

TEST(CropsNode, LabelsMinScoreAndMaxCropsChooseTheBoxesInTheirOrder) {
  REQUIRE_MESSI(frame);
  const std::vector<Detection> dets = {box("face", 0.9f, 10, 10, 20, 20), box("person", 0.8f, 50, 10, 20, 20),
                                       box("face", 0.6f, 90, 10, 20, 20), box("face", 0.4f, 130, 10, 20, 20)};
  auto indices = [&](const CropsSpec& spec) {
    auto node = crops_node(spec);
    std::vector<int> got;
    for (const Item& o : run(*node, detector_result(frame, dets))) got.push_back(o.crop->detection);
    return got;
  };
  CropsSpec spec;
  EXPECT_EQ(indices(spec), (std::vector<int>{0, 1, 2, 3}));  // defaults: every box
  spec.labels = {"face"};
  EXPECT_EQ(indices(spec), (std::vector<int>{0, 2, 3}));
  spec.min_score = 0.5f;
  EXPECT_EQ(indices(spec), (std::vector<int>{0, 2}));
  spec.max_crops = 1;
  EXPECT_EQ(indices(spec), (std::vector<int>{0}));
  spec = CropsSpec{};
  spec.labels = {"face", "person"};  // sorted, as the planner stores them
  spec.max_crops = 2;
  EXPECT_EQ(indices(spec), (std::vector<int>{0, 1}));
}

TEST(CropsNode, NoPredictionGivesNoCropAndAResultWithoutItsFrameIsAnError) {
  REQUIRE_MESSI(frame);
  auto node = crops_node(CropsSpec{});
  EXPECT_TRUE(run(*node, detector_result(frame, {}, false)).empty());
  EXPECT_TRUE(run(*node, detector_result(frame, {})).empty());
  std::vector<Item> out;
  Status s = node->process(detector_result(cv::Mat(), {box("face", 0.9f, 10, 10, 20, 20)}), &out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no sensor frame"), std::string::npos) << s;
  Item rows;
  rows.data = RowsData{std::make_shared<std::vector<float>>(4, 0.0f), 1, 16000};
  s = node->process(rows, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(out.empty());
}

// The crop through the downstream model's own image steps (resize, colour, tensor): the tensor's
// geometry maps the model input back to the crop's region of the frame, so the downstream model's
// boxes land in frame pixels with no code of the cascade's own.
TEST(CropsNode, TheDownstreamResizeComposesWithTheCropGeometry) {
  REQUIRE_MESSI(frame);
  auto crops = crops_node(CropsSpec{});
  auto out = run(*crops, detector_result(frame, {box("face", 0.9f, 200, 80, 80, 40)}));
  ASSERT_EQ(out.size(), 1u);
  for (ResizeMode mode : {ResizeMode::kStretch, ResizeMode::kLetterbox, ResizeMode::kCrop}) {
    PlanNode rn;
    rn.params = ResizeParams{64, 64, mode};
    auto resize = make_transform_node(rn);
    ASSERT_TRUE(resize.ok());
    PlanNode tn;
    ImageInputSpec norm;
    tn.params = ImageTensorParams{norm, Shape{1, 64, 64, 3}, DType::kFloat32, 0.0f, 0};
    auto tensor = make_transform_node(tn);
    ASSERT_TRUE(tensor.ok());
    auto resized = run(**resize, out[0]);
    ASSERT_EQ(resized.size(), 1u);
    EXPECT_TRUE(resized[0].crop) << "the crop's source travels with the item";
    auto tensors = run(**tensor, resized[0]);
    ASSERT_EQ(tensors.size(), 1u);
    const auto& td = std::get<TensorData>(tensors[0].data);
    ASSERT_TRUE(td.has_geometry);
    float x = 0, y = 0;
    // The centre of the model input is the centre of the box, in every mode.
    td.geometry.to_source(0.5f, 0.5f, &x, &y);
    EXPECT_NEAR(x, 240.0f, 0.01f) << resize_mode_name(mode);
    EXPECT_NEAR(y, 100.0f, 0.01f) << resize_mode_name(mode);
    td.geometry.to_source(0, 0, &x, &y);
    switch (mode) {
      case ResizeMode::kStretch:  // corners to corners
        EXPECT_NEAR(x, 200.0f, 0.01f);
        EXPECT_NEAR(y, 80.0f, 0.01f);
        break;
      case ResizeMode::kLetterbox:  // 80x40 -> 64x32 with 16 px of padding above: the corner is 20 px above the box
        EXPECT_NEAR(x, 200.0f, 0.01f);
        EXPECT_NEAR(y, 60.0f, 0.01f);
        break;
      case ResizeMode::kCrop:  // the middle 40x40 of the box is kept
        EXPECT_NEAR(x, 220.0f, 0.01f);
        EXPECT_NEAR(y, 80.0f, 0.01f);
        break;
    }
  }
}

}  // namespace
}  // namespace sensix
