// Pipeline steps fed by crops of another model's detections (`from.crops`, a cascade): what
// parses, its defaults, and every refusal with the exact field path and message a user sees.
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/parser.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;

const ParseOptions kRoots{"/repo", "/samples"};
const std::string kSha = std::string(64, 'a');

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "test bug: \"" << from << "\" not in the base documents";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

const std::string kCamera =
    "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: camera}\n"
    "spec: {driver: image-folder, path: samples:images}\n";

std::string image_model(const std::string& name, const std::string& postprocess) {
  return "apiVersion: sensix/v1\nkind: Model\nmetadata: {name: " + name +
         "}\n"
         "spec:\n"
         "  format: onnx\n"
         "  source: repo:" +
         name +
         ".onnx\n"
         "  sha256: " +
         kSha +
         "\n"
         "  version: \"1\"\n"
         "  inputs:\n"
         "    - name: image\n"
         "      image: {width: 128, height: 128}\n"
         "  outputs:\n"
         "    - name: scores\n"
         "    - name: boxes\n" +
         postprocess;
}

const std::string kDetect =
    "  postprocess:\n"
    "    detect:\n"
    "      scores: [scores]\n"
    "      boxes: [boxes]\n"
    "      anchors: {numLayers: 1, minScale: 0.2, maxScale: 0.9, strides: [16], aspectRatios: [1.0]}\n"
    "      box: {scale: [128, 128, 128, 128]}\n"
    "      labels: [background, face, hand]\n"
    "      ignoreClasses: [0]\n";

const std::string kAudioModel =
    "apiVersion: sensix/v1\nkind: Model\nmetadata: {name: vad}\n"
    "spec:\n"
    "  format: onnx\n"
    "  source: repo:vad.onnx\n"
    "  sha256: " +
    kSha +
    "\n"
    "  version: \"1\"\n"
    "  inputs:\n"
    "    - name: input\n"
    "      audio: {sampleRate: 16000, window: 512, hop: 512}\n"
    "  outputs:\n"
    "    - name: output\n";

const std::string kPipeline =
    "apiVersion: sensix/v1\nkind: Pipeline\nmetadata: {name: cascade}\n"
    "spec:\n"
    "  steps:\n"
    "    - {model: detector, from: {sensor: camera}}\n"
    "    - model: mesh\n"
    "      from:\n"
    "        model: detector\n"
    "        crops: {labels: [face], minScore: 0.5, maxCrops: 4, scale: 1.5, square: true, shiftX: 0.1, shiftY: "
    "-0.2}\n";

std::string valid_set() {
  return kCamera + "---\n" + image_model("detector", kDetect) + "---\n" + image_model("mesh", "") + "---\n" +
         kAudioModel + "---\n" + kPipeline;
}

TEST(Crops, EveryFieldParses) {
  auto r = parse_document_text(valid_set(), "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const StepSpec& step = r->find_pipeline("cascade")->spec.steps.at(1);
  EXPECT_EQ(step.from.model, "detector");
  ASSERT_TRUE(step.from.crops.has_value());
  const CropsSpec& c = *step.from.crops;
  EXPECT_EQ(c.labels, (std::vector<std::string>{"face"}));
  EXPECT_FLOAT_EQ(c.min_score, 0.5f);
  EXPECT_EQ(c.max_crops, 4);
  EXPECT_FLOAT_EQ(c.scale, 1.5f);
  EXPECT_TRUE(c.square);
  EXPECT_FLOAT_EQ(c.shift_x, 0.1f);
  EXPECT_FLOAT_EQ(c.shift_y, -0.2f);
  EXPECT_FALSE(r->find_pipeline("cascade")->spec.steps.at(0).from.crops.has_value());
}

TEST(Crops, DefaultsTakeEveryBoxAsItIs) {
  for (const std::string crops : {"crops: {}", "crops:"}) {
    const std::string text = replace(valid_set(),
                                     "crops: {labels: [face], minScore: 0.5, maxCrops: 4, scale: 1.5, "
                                     "square: true, shiftX: 0.1, shiftY: -0.2}",
                                     crops);
    auto r = parse_document_text(text, "t.yaml", "/docs", kRoots);
    ASSERT_TRUE(r.ok()) << r.status();
    const auto& c = r->find_pipeline("cascade")->spec.steps.at(1).from.crops;
    ASSERT_TRUE(c.has_value()) << crops;
    EXPECT_TRUE(c->labels.empty());
    EXPECT_EQ(c->min_score, 0.0f);
    EXPECT_EQ(c->max_crops, 10);
    EXPECT_EQ(c->scale, 1.0f);
    EXPECT_FALSE(c->square);
    EXPECT_EQ(c->shift_x, 0.0f);
    EXPECT_EQ(c->shift_y, 0.0f);
  }
}

struct Case {
  std::string name;
  std::string text;
  std::string expected;
};
std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

class InvalidCrops : public ::testing::TestWithParam<Case> {};

TEST_P(InvalidCrops, NameTheFieldAndTheProblem) {
  const Case& c = GetParam();
  auto r = parse_document_text(c.text, "t.yaml", "/docs", kRoots);
  ASSERT_FALSE(r.ok()) << "parsed:\n" << c.text;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr(c.expected));
}

const std::string P = "t.yaml: Pipeline/cascade: ";
const std::string kCrops =
    "crops: {labels: [face], minScore: 0.5, maxCrops: 4, scale: 1.5, square: true, shiftX: 0.1, shiftY: -0.2}";

std::string with_crops(const std::string& crops) { return replace(valid_set(), kCrops, crops); }

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidCrops,
    ::testing::Values(
        Case{"ZeroScale", with_crops("crops: {scale: 0}"),
             P + "spec.steps[1].from.crops.scale: expected a number above 0, at most 100, got 0"},
        Case{"NegativeScale", with_crops("crops: {scale: -1.5}"),
             P + "spec.steps[1].from.crops.scale: expected a number above 0, at most 100, got -1.5"},
        Case{"ZeroMaxCrops", with_crops("crops: {maxCrops: 0}"),
             P + "spec.steps[1].from.crops.maxCrops: expected an integer from 1 to 1000, got 0"},
        Case{"NegativeMinScore", with_crops("crops: {minScore: -0.1}"),
             P + "spec.steps[1].from.crops.minScore: expected a number from 0 to 1, got -0.1"},
        Case{"ShiftNotANumber", with_crops("crops: {shiftX: left}"),
             P + "spec.steps[1].from.crops.shiftX: expected a fraction of the box's size from -10 to 10, got \"left\""},
        Case{"SquareNotABool", with_crops("crops: {square: yes}"), P + "spec.steps[1].from.crops.square: expected"},
        Case{"EmptyLabels", with_crops("crops: {labels: []}"),
             P + "spec.steps[1].from.crops.labels: expected a list of strings with at least 1 item, got an empty list"},
        Case{"UnknownField", with_crops("crops: {scal: 2}"),
             P + "spec.steps[1].from.crops.scal: unknown field (expected one of: labels, minScore, maxCrops, scale, "
                 "square, shiftX, shiftY); did you mean \"scale\"?"},
        Case{"CropsFromASensor",
             replace(valid_set(), "{model: detector, from: {sensor: camera}}",
                     "{model: detector, from: {sensor: camera, crops: {}}}"),
             P + "spec.steps[0].from.crops: crops is only allowed with from.model (a detector)"},
        Case{"CropsAndOutput", with_crops("output: boxes\n        crops: {}"),
             P + "spec.steps[1].from.output: output and crops exclude each other"},
        Case{"UnknownLabel", with_crops("crops: {labels: [face, hnad]}"),
             P + "spec.steps[1].from.crops.labels[1]: Model/detector detects no label \"hnad\" (its labels: "
                 "\"background\", \"face\", \"hand\") (did you mean \"hand\"?)"},
        Case{"IgnoredLabel", with_crops("crops: {labels: [background]}"),
             P + "spec.steps[1].from.crops.labels[0]: label \"background\" is class 0 of Model/detector, which its "
                 "ignoreClasses never reports"},
        Case{"UpstreamWithoutDetection",
             replace(replace(valid_set(), "model: detector\n        crops", "model: vad\n        crops"),
                     "    - {model: detector, from: {sensor: camera}}\n",
                     "    - {model: vad, from: {sensor: camera}}\n"),
             P + "spec.steps[1].from.model: Model/vad has no detection post-processing (spec.postprocess.detect or "
                 "textRegions), so it gives no boxes for from.crops"},
        Case{"DownstreamWithoutImageInput", replace(valid_set(), "    - model: mesh\n", "    - model: vad\n"),
             P + "spec.steps[1].from.crops: Model/vad's data input \"input\" takes audio; crops of a detector's boxes "
                 "feed an image input"},
        Case{"ImageInputFromAModelWithoutCrops", with_crops("output: boxes"),
             P + "spec.steps[1].from.model: Model/mesh's data input \"image\" takes image from a Sensor (from.sensor), "
                 "not another model's output (for crops of a detector's boxes, add from.crops)"},
        Case{"Cycle",
             replace(valid_set(), "    - {model: detector, from: {sensor: camera}}\n",
                     "    - {model: detector, from: {model: mesh, crops: {}}}\n") +
                 "",
             P + "spec.steps[0].from.model: cycle: detector -> mesh -> detector"},
        Case{"FeedsItself", replace(valid_set(), "model: detector\n        crops", "model: mesh\n        crops"),
             P + "spec.steps[1].from.model: model \"mesh\" cannot feed itself"}));

// The cascade fragment of docs/documents.md (the Pipeline section's "steps:" block with crops)
// parses as the steps of a Pipeline, so a user can copy it.
TEST(Crops, DocumentedExampleParses) {
  std::ifstream in(std::string(SENSIX_SOURCE_DIR) + "/docs/documents.md");
  const std::string md{std::istreambuf_iterator<char>(in), {}};
  const size_t at = md.find("```yaml\n# a cascade");
  ASSERT_NE(at, std::string::npos) << "documents.md should show a cascade";
  const size_t end = md.find("```", at + 8);
  ASSERT_NE(end, std::string::npos);
  std::string steps;
  const std::string block = md.substr(at + 8, end - at - 8);
  for (size_t p = 0; p < block.size();) {
    const size_t nl = block.find('\n', p);
    steps += "  " + block.substr(p, nl - p + 1);
    p = nl == std::string::npos ? block.size() : nl + 1;
  }
  const std::string text = kCamera + "---\n" + image_model("face-detect", kDetect) + "---\n" +
                           image_model("face-mesh", "") + "---\n" +
                           "apiVersion: sensix/v1\nkind: Pipeline\nmetadata: {name: faces}\nspec:\n" + steps;
  auto r = parse_document_text(text, "documents.md", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status() << "\n" << text;
  const auto& c = r->pipelines.at(0).spec.steps.at(1).from.crops;
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->labels, (std::vector<std::string>{"face"}));
}

}  // namespace
}  // namespace sensix
