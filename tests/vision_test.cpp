// End to end on the real vision models: Debian's sample photos through the quickstart's vision
// pipeline (decode, resize, colour, range) into BlazeFace (ONNX Runtime) and SSD MobileNetV2
// OIDv4 (TensorFlow Lite), with anchors, box decoding and NMS.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "e2e_support.h"

namespace sensix::testing {
namespace {

std::set<std::string> labels_of(const std::vector<Prediction>& preds) {
  std::set<std::string> out;
  for (const auto& p : preds) {
    for (const auto& d : p.detections) out.insert(d.label);
  }
  return out;
}

Result<RunResult> run_image(const std::string& image) {
  auto docs = load_quickstart();
  if (!docs.ok()) return docs.status();
  DocumentSet vision = only_pipelines(*docs, {"vision"});
  set_sensor_path(&vision, "camera", image);
  return run_to_end(vision);
}

TEST(Vision, SsdFindsTheDogTheBicycleAndTheCar) {
  const std::string img = sample_path("images/dog.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto result = run_image(img);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto ssd = result->of_model("ssd-oidv4");
  ASSERT_EQ(ssd.size(), 1u);
  const auto labels = labels_of(ssd);
  for (const char* want : {"Dog", "Bicycle", "Car"}) {
    EXPECT_TRUE(labels.count(want)) << "SSD missed " << want;
  }
  // dog.jpg is 768x576: boxes are mapped back to source pixels.
  for (const auto& d : ssd[0].detections) {
    EXPECT_GE(d.x, -20.0f);
    EXPECT_GE(d.y, -20.0f);
    EXPECT_LE(d.x + d.w, 768.0f + 20.0f);
    EXPECT_LE(d.y + d.h, 576.0f + 20.0f);
    EXPECT_GT(d.w, 10.0f);
    EXPECT_GT(d.h, 10.0f);
  }
  // The dog is in the lower-left part of the picture.
  auto dog = std::find_if(ssd[0].detections.begin(), ssd[0].detections.end(),
                          [](const Detection& d) { return d.label == "Dog"; });
  ASSERT_NE(dog, ssd[0].detections.end());
  EXPECT_LT(dog->x + dog->w / 2, 768.0f / 2);
  EXPECT_GT(dog->y + dog->h / 2, 576.0f / 2);
  // No face in this photo.
  EXPECT_TRUE(result->of_model("blazeface").empty()) << "BlazeFace found a face in dog.jpg";
}

TEST(Vision, BlazeFaceFindsTheFaceInMessi) {
  const std::string img = sample_path("images/messi5.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto result = run_image(img);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto faces = result->of_model("blazeface");
  ASSERT_EQ(faces.size(), 1u) << "BlazeFace found no face in messi5.jpg";
  ASSERT_GE(faces[0].detections.size(), 1u);
  const Detection& f = faces[0].detections[0];
  EXPECT_EQ(f.label, "face");
  EXPECT_EQ(f.keypoints.size(), 6u);
  // Messi's face spans about x 222-259, y 96-133 of the 548x342 photo (checked by drawing the
  // box): the centre must be within 10 px of (240, 114), and the eye and nose keypoints inside.
  EXPECT_NEAR(f.x + f.w / 2, 240.0f, 10.0f);
  EXPECT_NEAR(f.y + f.h / 2, 114.0f, 10.0f);
  EXPECT_NEAR(f.w, 37.0f, 12.0f);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_GE(f.keypoints[k][0], f.x) << "keypoint " << k;
    EXPECT_LE(f.keypoints[k][0], f.x + f.w) << "keypoint " << k;
    EXPECT_GE(f.keypoints[k][1], f.y) << "keypoint " << k;
    EXPECT_LE(f.keypoints[k][1], f.y + f.h) << "keypoint " << k;
  }
}

TEST(Vision, PersonPhotoHasAPerson) {
  const std::string img = sample_path("images/person.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto result = run_image(img);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(labels_of(result->of_model("ssd-oidv4")).count("Person"));
}

}  // namespace
}  // namespace sensix::testing
