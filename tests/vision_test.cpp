// End to end on the real vision models: Debian's sample photos through the quickstart's vision
// pipeline (decode, resize, colour, range) into BlazeFace (ONNX Runtime) and SSD MobileNetV2
// OIDv4 (TensorFlow Lite), with anchors, box decoding and NMS.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "e2e_support.h"
#include "support/temp_dir.h"

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

// ---------------------------------------------------------------------------------------------
// Rotation and crop declared in the Model document's image input: BlazeFace alone (the vision
// pipeline without SSD) on one photo, with its image input changed by `adjust`. Returns the
// best face, in the photo's own pixels.
Result<Detection> blazeface_face(const std::string& image, const std::function<void(ImageInputSpec&)>& adjust) {
  auto docs = load_quickstart();
  if (!docs.ok()) return docs.status();
  DocumentSet vision = only_pipelines(*docs, {"vision"});
  set_sensor_path(&vision, "camera", image);
  for (auto& p : vision.pipelines) {
    std::erase_if(p.spec.steps, [](const StepSpec& s) { return s.model != "blazeface"; });
  }
  std::erase_if(vision.models, [](const ModelDoc& m) { return m.metadata.name != "blazeface"; });
  if (vision.models.size() != 1) return NotFound("quickstart has no blazeface model");
  for (auto& in : vision.models[0].spec.inputs) {
    if (auto* im = std::get_if<ImageInputSpec>(&in.source)) adjust(*im);
  }
  auto result = run_to_end(vision);
  if (!result.ok()) return result.status();
  const auto faces = result->of_model("blazeface");
  if (faces.size() != 1 || faces[0].detections.empty()) return NotFound("BlazeFace found no face in " + image);
  return faces[0].detections[0];
}

// messi5.jpg (548x342) rotated 90 degrees clockwise and saved losslessly: a 342x548 photo, as a
// camera mounted sideways would give. A point (x, y) of the upright photo is (342 - y, x) in it.
std::string write_rotated_messi(const TempDir& dir) {
  const std::string img = sample_path("images/messi5.jpg");
  if (img.empty()) return {};
  cv::Mat upright = cv::imread(img, cv::IMREAD_COLOR);
  cv::Mat rotated;
  cv::rotate(upright, rotated, cv::ROTATE_90_CLOCKWISE);
  const std::string out = (dir.path() / "messi5-sideways.png").string();
  return cv::imwrite(out, rotated) ? out : std::string();
}

// The upright photo's box and keypoints in the sideways photo's pixels.
Detection rotate_90_cw(const Detection& d, float upright_height) {
  Detection r = d;
  r.x = upright_height - (d.y + d.h);
  r.y = d.x;
  r.w = d.h;
  r.h = d.w;
  r.keypoints.clear();
  for (const auto& kp : d.keypoints) r.keypoints.push_back({upright_height - kp[1], kp[0]});
  return r;
}

void expect_same_box(const Detection& got, const Detection& want, float tolerance) {
  EXPECT_NEAR(got.x, want.x, tolerance);
  EXPECT_NEAR(got.y, want.y, tolerance);
  EXPECT_NEAR(got.w, want.w, tolerance);
  EXPECT_NEAR(got.h, want.h, tolerance);
  ASSERT_EQ(got.keypoints.size(), want.keypoints.size());
  for (size_t k = 0; k < got.keypoints.size(); ++k) {
    EXPECT_NEAR(got.keypoints[k][0], want.keypoints[k][0], tolerance) << "keypoint " << k;
    EXPECT_NEAR(got.keypoints[k][1], want.keypoints[k][1], tolerance) << "keypoint " << k;
  }
}

// The sideways photo with `rotate: 270` in BlazeFace's input: the model sees the upright photo
// (the same pixels), and the face comes back in the sideways photo's pixels, exactly where the
// upright detection lands after the rotation.
TEST(Vision, RotatedInputFindsTheFaceInASidewaysPhotoAndMapsItBack) {
  TempDir dir;
  const std::string sideways = write_rotated_messi(dir);
  if (sideways.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto upright = blazeface_face(sample_path("images/messi5.jpg"), [](ImageInputSpec&) {});
  ASSERT_TRUE(upright.ok()) << upright.status();
  auto turned = blazeface_face(sideways, [](ImageInputSpec& im) { im.rotate = 270; });
  ASSERT_TRUE(turned.ok()) << turned.status();
  EXPECT_EQ(turned->label, "face");
  EXPECT_GT(turned->w, 0.0f);
  EXPECT_GT(turned->h, 0.0f);
  const Detection want = rotate_90_cw(*upright, 342.0f);
  expect_same_box(*turned, want, 2.0f);
  EXPECT_NEAR(turned->score, upright->score, 1e-3);
  // In the sideways photo the face (upright centre about (240, 114)) is near (228, 240).
  EXPECT_NEAR(turned->x + turned->w / 2, 342.0f - 114.0f, 10.0f);
  EXPECT_NEAR(turned->y + turned->h / 2, 240.0f, 10.0f);
}

// A crop around the face (the middle half of the width): the face is found inside the crop and
// maps back to where it is found in the whole photo.
TEST(Vision, CroppedInputMapsTheFaceBackToTheWholePhoto) {
  const std::string img = sample_path("images/messi5.jpg");
  if (img.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto whole = blazeface_face(img, [](ImageInputSpec&) {});
  ASSERT_TRUE(whole.ok()) << whole.status();
  auto cropped = blazeface_face(img, [](ImageInputSpec& im) { im.crop = ImageCropSpec{0.25f, 0.0f, 0.5f, 1.0f}; });
  ASSERT_TRUE(cropped.ok()) << cropped.status();
  // The model sees the crop at another scale, so the boxes agree within a few pixels, not exactly.
  EXPECT_NEAR(cropped->x + cropped->w / 2, whole->x + whole->w / 2, 4.0f);
  EXPECT_NEAR(cropped->y + cropped->h / 2, whole->y + whole->h / 2, 4.0f);
  EXPECT_NEAR(cropped->w, whole->w, 5.0f);
  EXPECT_NEAR(cropped->h, whole->h, 5.0f);
  // Inside the crop (columns 137..411 of 548), nowhere near the crop's own origin.
  EXPECT_GT(cropped->x, 137.0f);
  EXPECT_LT(cropped->x + cropped->w, 411.0f);
  EXPECT_NEAR(cropped->x + cropped->w / 2, 240.0f, 10.0f);

  // A crop that leaves the face out finds nothing.
  auto left = blazeface_face(img, [](ImageInputSpec& im) { im.crop = ImageCropSpec{0.0f, 0.0f, 0.25f, 1.0f}; });
  EXPECT_FALSE(left.ok());
}

// Rotation and crop together on the sideways photo: rotate back, then keep the middle half of
// the upright frame's width. The face maps back into the sideways photo's pixels.
TEST(Vision, RotatedAndCroppedInputMapsBackToTheSidewaysPhoto) {
  TempDir dir;
  const std::string sideways = write_rotated_messi(dir);
  if (sideways.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto upright = blazeface_face(sample_path("images/messi5.jpg"), [](ImageInputSpec& im) {
    im.crop = ImageCropSpec{0.25f, 0.0f, 0.5f, 1.0f};
  });
  ASSERT_TRUE(upright.ok()) << upright.status();
  auto turned = blazeface_face(sideways, [](ImageInputSpec& im) {
    im.rotate = 270;
    im.crop = ImageCropSpec{0.25f, 0.0f, 0.5f, 1.0f};
  });
  ASSERT_TRUE(turned.ok()) << turned.status();
  expect_same_box(*turned, rotate_90_cw(*upright, 342.0f), 2.0f);
}

}  // namespace
}  // namespace sensix::testing
