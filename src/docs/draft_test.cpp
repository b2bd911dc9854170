// Drafted Model documents (draft.h): the guess for each kind of input, and the round trip through
// the parser: an unedited draft names each placeholder left, one per field, and a draft with its
// placeholders filled in parses into the inputs and outputs it was drafted from.
#include "docs/draft.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "docs/parser.h"

namespace sensix::docs {
namespace {

using ::testing::HasSubstr;

TensorInfo t(std::string name, Shape shape, DType dtype = DType::kFloat32) { return {std::move(name), dtype, shape}; }

TEST(Draft, GuessesEachKindOfInputFromItsShape) {
  const std::vector<TensorInfo> outs = {t("stateN", {2, 1, 128}), t("output", {1, 1})};
  EXPECT_EQ(guess_input(t("input", {1, 224, 224, 3}), outs), InputGuess::kImage);
  EXPECT_EQ(guess_input(t("input", {1, 3, 256, 256}), outs), InputGuess::kImage);
  EXPECT_EQ(guess_input(t("input", {1, 192, 192, 1}, DType::kUInt8), outs), InputGuess::kImage);
  EXPECT_EQ(guess_input(t("x", {-1, 3, -1, -1}), outs), InputGuess::kImage) << "PP-OCR: any size";
  EXPECT_EQ(guess_input(t("rgba", {1, 320, 320, 4}), outs), InputGuess::kImage) << "M-LSD";
  EXPECT_EQ(guess_input(t("input_1", {-1, 76, 32, 1}), outs), InputGuess::kStream) << "76 mel frames of 32 bands";
  EXPECT_EQ(guess_input(t("input", {1, 1760}), outs), InputGuess::kAudio);
  EXPECT_EQ(guess_input(t("x.1", {1, 16, 96}), outs), InputGuess::kStream);
  EXPECT_EQ(guess_input(t("state", {2, 1, 128}), outs), InputGuess::kState);
  EXPECT_EQ(guess_input(t("sr", {}, DType::kInt64), outs), InputGuess::kConstant);
  EXPECT_EQ(guess_input(t("ids", {1, 4, 4, 4, 4}, DType::kInt64), outs), InputGuess::kUnknown);
}

TEST(Draft, NamesComeFromTheFileAsDnsLabels) {
  EXPECT_EQ(model_name_from_file("/cache/openwakeword/weather_v0.1.onnx"), "weather-v0-1");
  EXPECT_EQ(model_name_from_file("face_detection_front_128x128_barracuda.onnx"),
            "face-detection-front-128x128-barracuda");
  EXPECT_EQ(model_name_from_file("__.tflite"), "model");
}

DraftSource weather() {
  DraftSource s;
  s.written = "repo:openwakeword/weather_v0.1.onnx";
  s.file = "/cache/models/openwakeword/weather_v0.1.onnx";
  s.sha256 = std::string(64, 'a');
  s.inputs = {t("onnx::Flatten_0", {1, 22, 96})};
  s.outputs = {t("13", {1, 1})};
  return s;
}

// The parser's messages for `text`, one per line.
std::vector<std::string> problems_of(const std::string& text) {
  auto docs = parse_document_text(text, "draft.yaml", "/tmp");
  if (docs.ok()) return {};
  std::vector<std::string> out;
  std::stringstream in(docs.status().message());
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(Draft, AnUneditedDraftNamesEveryPlaceholderLeft) {
  const std::string text = draft_model_document(weather());
  EXPECT_THAT(text, HasSubstr("source: repo:openwakeword/weather_v0.1.onnx\n"));
  EXPECT_THAT(text, HasSubstr("stream: {window: 22, hop: 1}"));
  EXPECT_THAT(problems_of(text),
              ::testing::ElementsAre("draft.yaml: Model/weather-v0-1: spec.version: placeholder \"<version: the "
                                     "model's release, e.g. 1.0>\" left from the draft: replace it with a string "
                                     "(line 13)"));

  DraftSource image;
  image.written = "photo.tflite";
  image.format = ModelFormat::kTflite;
  image.sha256 = std::string(64, 'b');
  image.inputs = {t("input", {1, 128, 128, 3})};
  image.outputs = {t("scores", {1, 896, 1})};
  const auto p = problems_of(draft_model_document(image));
  ASSERT_EQ(p.size(), 2u) << ::testing::PrintToString(p);
  EXPECT_THAT(p[0], HasSubstr("spec.version: placeholder"));
  EXPECT_THAT(p[1], HasSubstr("Model/photo: spec.inputs[0].image.range: placeholder \"<range: the values a pixel "
                              "becomes, e.g. [0, 1] or [-1, 1]>\" left from the draft: replace it with a list of "
                              "numbers (line 17)"));
}

TEST(Draft, AFilledInDraftParsesIntoTheTensorsItCameFrom) {
  DraftSource s;
  s.written = "repo:silero-vad/silero_vad_v5.onnx";
  s.sha256 = std::string(64, 'c');
  s.inputs = {t("input", {-1, -1}), t("state", {2, -1, 128}), t("sr", {}, DType::kInt64)};
  s.outputs = {t("output", {-1, 1}), t("stateN", {-1, -1, -1})};  // as Silero's file says
  std::string text = draft_model_document(s);
  // Each placeholder, as a user fills it in.
  const std::vector<std::pair<std::string, std::string>> fill = {
      {"\"<version: the model's release, e.g. 1.0>\"", "\"5\""},
      {"\"<shape: [?, ?] with every dimension fixed>\"", "[1, 576]"},
      {"\"<sample rate in Hz, e.g. 16000>\"", "16000"},
      {"\"<window: samples per run>\"", "576"},
      {"\"<hop: samples between runs>\"", "512"},
      {"\"<shape: [2, ?, 128] with every dimension fixed>\"", "[2, 1, 128]"},
      {"\"<value: the number this input always gets>\"", "16000"},
  };
  for (const auto& [from, to] : fill) {
    const size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from << " in\n" << text;
    text.replace(at, from.size(), to);
  }
  EXPECT_EQ(text.find(": \"<"), std::string::npos) << text;
  auto docs = parse_document_text(text, "silero.yaml", "/tmp");
  ASSERT_TRUE(docs.ok()) << docs.status() << "\n" << text;
  const ModelSpec& m = docs->models.at(0).spec;
  EXPECT_EQ(docs->models.at(0).metadata.name, "silero-vad-v5");
  ASSERT_EQ(m.inputs.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<AudioInputSpec>(m.inputs[0].source));
  EXPECT_EQ(std::get<AudioInputSpec>(m.inputs[0].source).window.window, 576);
  EXPECT_EQ(std::get<StateInputSpec>(m.inputs[1].source).from_output, "stateN");
  EXPECT_EQ(m.inputs[2].dtype, DType::kInt64);
  EXPECT_TRUE(std::holds_alternative<ConstantInputSpec>(m.inputs[2].source));
  ASSERT_EQ(m.outputs.size(), 2u);
  EXPECT_EQ(m.outputs[1].name, "stateN");
}

}  // namespace
}  // namespace sensix::docs
