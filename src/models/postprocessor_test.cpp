// Postprocessor on the real models' bindings: each declared kind (landmarks, textRegions, ctc, lines)
// resolves its outputs against the loaded model, checks counts when the model loads, and turns
// constructed output tensors into predictions; a NaN fails that result only.
#include "models/postprocessor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "models/classifier.h"
#include "support/paths.h"
#include "support/tensors.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;

using testing::kNaN;

using testing::model_file;

ModelDoc image_doc(const std::string& name, ModelFormat format, const std::string& rel, const std::string& input,
                   std::optional<Shape> shape, ImageInputSpec image, std::vector<std::string> outputs,
                   PostprocessSpec post) {
  ModelDoc d;
  d.origin.file = "zoo.yaml";
  d.metadata.name = name;
  d.spec.format = format;
  d.spec.path = model_file(rel);
  d.spec.version = "1";
  d.spec.inputs.push_back({input, DType::kFloat32, std::move(shape), image});
  for (auto& o : outputs) d.spec.outputs.push_back({o});
  d.spec.postprocess = std::move(post);
  return d;
}

ImageInputSpec image(int w, int h) {
  ImageInputSpec im;
  im.width = w;
  im.height = h;
  return im;
}

class PostprocessorTest : public ::testing::Test {
 protected:
  std::unique_ptr<ModelInstance> load(const ModelDoc& doc) {
    if (!std::filesystem::exists(doc.spec.path)) return nullptr;
    auto m = ModelInstance::load(doc, engines_);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? std::move(m).value() : nullptr;
  }
  EngineRegistry engines_;
};

ModelDoc pose_doc() {
  LandmarksSpec l;
  l.output = "Identity";
  l.values = {LandmarkValue::kX, LandmarkValue::kY, LandmarkValue::kZ, LandmarkValue::kVisibility,
              LandmarkValue::kPresence};
  l.visibility_activation = Activation::kSigmoid;
  l.presence_output = "Identity_1";
  return image_doc("pose", ModelFormat::kTflite, "mediapipe-pose/pose_landmark_lite.tflite", "input_1", std::nullopt,
                   image(256, 256), {"Identity", "Identity_1"}, l);
}

TEST_F(PostprocessorTest, LandmarksFromThePoseModelsOutputs) {
  auto model = load(pose_doc());
  if (!model) GTEST_SKIP() << "run scripts/fetch-models";
  auto post = Postprocessor::create(*model);
  ASSERT_TRUE(post.ok()) << post.status();
  std::vector<float> points(195, 0.0f);
  points[0] = 128;  // point 0 at the centre of the 256x256 input
  points[1] = 64;
  std::vector<Tensor> outputs = {Tensor::from_values<float>({1, 195}, points),
                                 Tensor::from_values<float>({1, 1}, std::vector<float>{0.9f})};
  // 512x512 source stretched to 256x256: scale 0.5.
  ImageGeometry g;
  g.src_width = g.src_height = 512;
  g.dst_width = g.dst_height = 256;
  g.scale_x = g.scale_y = 0.5f;
  Prediction p;
  auto r = (*post)->process(outputs, &g, &p);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(*r);
  EXPECT_EQ(p.kind, PredictionKind::kLandmarks);
  EXPECT_FLOAT_EQ(p.score, 0.9f);
  ASSERT_EQ(p.landmarks.size(), 39u);
  EXPECT_NEAR(p.landmarks[0].x, 256.0f, 1e-3);
  EXPECT_NEAR(p.landmarks[0].y, 128.0f, 1e-3);
  EXPECT_FLOAT_EQ(*p.landmarks[0].visibility, 0.5f);

  // Presence under 0.5: nothing.
  outputs[1] = Tensor::from_values<float>({1, 1}, std::vector<float>{0.2f});
  Prediction none;
  auto absent = (*post)->process(outputs, &g, &none);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(*absent);
  // A NaN: this result fails, the next one works.
  points[7] = kNaN;
  outputs = {Tensor::from_values<float>({1, 195}, points),
             Tensor::from_values<float>({1, 1}, std::vector<float>{0.9f})};
  auto nan = (*post)->process(outputs, &g, &p);
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
  points[7] = 0;
  outputs[0] = Tensor::from_values<float>({1, 195}, points);
  EXPECT_TRUE((*post)->process(outputs, &g, &p).ok());
}

TEST_F(PostprocessorTest, LandmarkCountsAreCheckedWhenTheModelLoads) {
  ModelDoc d = pose_doc();
  std::get<LandmarksSpec>(d.spec.postprocess).names = {"nose", "left_eye_inner"};
  auto model = load(d);
  if (!model) GTEST_SKIP() << "run scripts/fetch-models";
  auto post = Postprocessor::create(*model);
  ASSERT_FALSE(post.ok());
  EXPECT_THAT(post.status().message(),
              HasSubstr("zoo.yaml: Model/pose: spec.postprocess.landmarks: names: 2 names for 39 points"));
  std::get<LandmarksSpec>(d.spec.postprocess).names.clear();
  std::get<LandmarksSpec>(d.spec.postprocess).presence_output = "Identity";  // 195 values, not one
  auto model2 = load(d);
  auto post2 = Postprocessor::create(*model2);
  ASSERT_FALSE(post2.ok());
  EXPECT_THAT(post2.status().message(), HasSubstr("spec.postprocess.landmarks.presence.output: output \"Identity\" is "
                                                  "[1, 195], expected one value"));
}

TEST_F(PostprocessorTest, CtcWithThePaddleDictionary) {
  CtcSpec c;
  c.output = "softmax_11.tmp_0";
  c.dictionary_file = model_file("ppocr/ppocr_keys_v1.txt");
  c.space_character = true;
  ImageInputSpec im = image(320, 48);
  im.layout = Layout::kNchw;
  auto model = load(image_doc("rec", ModelFormat::kOnnx, "ppocr/ch_PP-OCRv4_rec_infer.onnx", "x", Shape{1, 3, 48, 320},
                              im, {"softmax_11.tmp_0"}, c));
  if (!model) GTEST_SKIP() << "run scripts/fetch-models";
  auto post = Postprocessor::create(*model);
  ASSERT_TRUE(post.ok()) << post.status();
  auto dict = read_labels_file(c.dictionary_file);
  ASSERT_TRUE(dict.ok());
  ASSERT_EQ(dict->size(), 6623u);
  // Steps: class 1 (line 0), 1 again, blank, 6624 (space), 100 (line 99).
  const int classes = 6625;
  std::vector<float> probs(5 * classes, 0.0f);
  const int best[] = {1, 1, 0, 6624, 100};
  for (int t = 0; t < 5; ++t) probs[static_cast<size_t>(t * classes + best[t])] = 0.9f;
  Prediction p;
  auto r = (*post)->process({Tensor::from_values<float>({1, 5, classes}, probs)}, nullptr, &p);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(*r);
  EXPECT_EQ(p.kind, PredictionKind::kText);
  EXPECT_EQ(p.text, (*dict)[0] + " " + (*dict)[99]);
  EXPECT_FLOAT_EQ(p.score, 0.9f);
  probs[3] = kNaN;
  EXPECT_FALSE((*post)->process({Tensor::from_values<float>({1, 5, classes}, probs)}, nullptr, &p).ok());
}

TEST_F(PostprocessorTest, LinesFromTheMlsdOutputs) {
  LinesSpec l;
  l.scores_output = "scores";
  l.offsets_output = "offsets";
  ImageInputSpec im = image(320, 320);
  im.color = ColorOrder::kRgba;
  auto model = load(image_doc("mlsd", ModelFormat::kOnnx, "mlsd/mlsd_320x320_tiny.onnx", "input_image_with_alpha:0",
                              std::nullopt, im, {"offsets", "scores"}, l));
  if (!model) GTEST_SKIP() << "run scripts/fetch-models";
  auto post = Postprocessor::create(*model);
  ASSERT_TRUE(post.ok()) << post.status();
  std::vector<float> scores(160 * 160, 0.0f), offsets(160 * 160 * 4, 0.0f);
  const size_t c = 80 * 160 + 40;  // row 80, column 40
  scores[c] = 0.8f;
  offsets[c * 4 + 0] = -10;
  offsets[c * 4 + 2] = 10;
  // Declared order: offsets, then scores.
  std::vector<Tensor> outputs = {Tensor::from_values<float>({1, 160, 160, 4}, offsets),
                                 Tensor::from_values<float>({1, 160, 160, 1}, scores)};
  Prediction p;
  auto r = (*post)->process(outputs, nullptr, &p);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(*r);
  EXPECT_EQ(p.kind, PredictionKind::kLines);
  ASSERT_EQ(p.segments.size(), 1u);
  EXPECT_FLOAT_EQ(p.segments[0].x1, 60.0f);  // (40 - 10) * 2
  EXPECT_FLOAT_EQ(p.segments[0].x2, 100.0f);
  EXPECT_FLOAT_EQ(p.segments[0].y1, 160.0f);
  scores[5] = kNaN;
  outputs[1] = Tensor::from_values<float>({1, 160, 160, 1}, scores);
  EXPECT_FALSE((*post)->process(outputs, nullptr, &p).ok());
}

TEST_F(PostprocessorTest, TextRegionsFromADynamicMap) {
  TextRegionsSpec t;
  t.output = "sigmoid_0.tmp_0";
  ImageInputSpec im = image(640, 640);
  im.layout = Layout::kNchw;
  auto model = load(image_doc("det", ModelFormat::kOnnx, "ppocr/ch_PP-OCRv4_det_infer.onnx", "x", Shape{1, 3, 640, 640},
                              im, {"sigmoid_0.tmp_0"}, t));
  if (!model) GTEST_SKIP() << "run scripts/fetch-models";
  auto post = Postprocessor::create(*model);
  ASSERT_TRUE(post.ok()) << post.status();
  std::vector<float> map(64 * 32, 0.0f);
  for (int y = 10; y < 20; ++y) {
    for (int x = 5; x < 55; ++x) map[static_cast<size_t>(y * 64 + x)] = 0.95f;
  }
  Prediction p;
  auto r = (*post)->process({Tensor::from_values<float>({1, 1, 32, 64}, map)}, nullptr, &p);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(*r);
  EXPECT_EQ(p.kind, PredictionKind::kDetection);
  ASSERT_EQ(p.detections.size(), 1u);
  EXPECT_EQ(p.detections[0].label, "text");
  EXPECT_EQ(p.detections[0].keypoints.size(), 4u);
  map[70] = kNaN;
  EXPECT_FALSE((*post)->process({Tensor::from_values<float>({1, 1, 32, 64}, map)}, nullptr, &p).ok());
}

}  // namespace
}  // namespace sensix
