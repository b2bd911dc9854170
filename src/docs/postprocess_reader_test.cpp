// Tests of postprocess_reader.h: every kind of spec.postprocess (classify, detect, landmarks,
// textRegions, ctc, lines), its defaults, and the refusals with the exact message a user sees.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

using ::testing::HasSubstr;

// kModel with `block` (indented 4 spaces) as its postprocess, after kSensor.
std::string with_postprocess(const std::string& block) {
  return replace(kSensor + "---\n" + kModel, "    classify: {output: output, labels: [speech]}\n", block);
}

TEST(PostprocessReaderTest, DeclaredPostprocessKindsParse) {
  auto landmarks = parse_document_text(with_postprocess(
                                           "    landmarks:\n"
                                           "      output: output\n"
                                           "      values: [x, y, ignore, visibility, presence]\n"
                                           "      visibilityActivation: sigmoid\n"
                                           "      inputSize: [256, 192]\n"
                                           "      presence: {output: output, activation: sigmoid, threshold: 0.7}\n"
                                           "      namesFile: repo:pose/names.txt\n"),
                                       "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(landmarks.ok()) << landmarks.status();
  const auto& l = std::get<LandmarksSpec>(landmarks->models[0].spec.postprocess);
  EXPECT_EQ(l.output, "output");
  EXPECT_EQ(l.values, (std::vector<LandmarkValue>{LandmarkValue::kX, LandmarkValue::kY, LandmarkValue::kIgnore,
                                                  LandmarkValue::kVisibility, LandmarkValue::kPresence}));
  EXPECT_EQ(l.visibility_activation, Activation::kSigmoid);
  EXPECT_EQ(l.input_width, 256);
  EXPECT_EQ(l.input_height, 192);
  EXPECT_EQ(l.presence_output, "output");
  EXPECT_EQ(l.presence_activation, Activation::kSigmoid);
  EXPECT_FLOAT_EQ(l.presence_threshold, 0.7f);
  EXPECT_EQ(l.names_file, "/repo/pose/names.txt");

  auto defaults = parse_document_text(with_postprocess("    landmarks: {output: output}\n"), "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  const auto& d = std::get<LandmarksSpec>(defaults->models[0].spec.postprocess);
  EXPECT_EQ(d.values.size(), 3u);
  EXPECT_EQ(d.input_width, 0);
  EXPECT_TRUE(d.presence_output.empty());

  auto text = parse_document_text(with_postprocess("    textRegions: {output: output, threshold: 0.2, boxThreshold: "
                                                   "0.5, unclipRatio: 2,"
                                                   " minSize: 4, maxRegions: 7, label: word}\n"),
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(text.ok()) << text.status();
  const auto& t = std::get<TextRegionsSpec>(text->models[0].spec.postprocess);
  EXPECT_FLOAT_EQ(t.threshold, 0.2f);
  EXPECT_FLOAT_EQ(t.box_threshold, 0.5f);
  EXPECT_FLOAT_EQ(t.unclip_ratio, 2.0f);
  EXPECT_FLOAT_EQ(t.min_size, 4.0f);
  EXPECT_EQ(t.max_regions, 7);
  EXPECT_EQ(t.label, "word");

  auto ctc = parse_document_text(with_postprocess("    ctc: {output: output, activation: softmax, dictionaryFile: "
                                                  "repo:ocr/keys.txt, blank: 3,"
                                                  " spaceCharacter: true, minConfidence: 0.25}\n"),
                                 "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(ctc.ok()) << ctc.status();
  const auto& c = std::get<CtcSpec>(ctc->models[0].spec.postprocess);
  EXPECT_EQ(c.activation, Activation::kSoftmax);
  EXPECT_EQ(c.dictionary_file, "/repo/ocr/keys.txt");
  EXPECT_EQ(c.blank, 3);
  EXPECT_TRUE(c.space_character);
  EXPECT_FLOAT_EQ(c.min_confidence, 0.25f);

  auto lines = parse_document_text(with_postprocess("    lines: {scores: output, offsets: output, scoreActivation: "
                                                    "sigmoid, threshold: 0.2,"
                                                    " maxLines: 50, minLength: 12, inputSize: [320, 320]}\n"),
                                   "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(lines.ok()) << lines.status();
  const auto& g = std::get<LinesSpec>(lines->models[0].spec.postprocess);
  EXPECT_EQ(g.scores_output, "output");
  EXPECT_EQ(g.offsets_output, "output");
  EXPECT_EQ(g.score_activation, Activation::kSigmoid);
  EXPECT_FLOAT_EQ(g.threshold, 0.2f);
  EXPECT_EQ(g.max_lines, 50);
  EXPECT_FLOAT_EQ(g.min_length, 12.0f);
  EXPECT_EQ(g.input_width, 320);
}

TEST(PostprocessReaderTest, DeclaredPostprocessKindsReportBadFields) {
  const std::string pp = M + "spec.postprocess.";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    landmarks: {output: nope}\n", pp + "landmarks.output: \"nope\" is not a declared output"},
      {"    landmarks: {output: output, values: [x, z]}\n",
       pp + "landmarks.values: the values of a point must include x and y"},
      {"    landmarks: {output: output, values: [x, y, x]}\n", pp + "landmarks.values[2]: \"x\" is given twice"},
      {"    landmarks: {output: output, values: [x, y, depth]}\n", pp + "landmarks.values[2]: expected one of"},
      {"    landmarks: {output: output, visibilityActivation: softmax}\n",
       pp + "landmarks.visibilityActivation: expected"},
      {"    landmarks: {output: output, presence: {output: output, threshold: 1.5}}\n",
       pp + "landmarks.presence.threshold: expected a number from 0 to 1, got 1.5"},
      {"    landmarks: {output: output, inputSize: [256]}\n",
       pp + "landmarks.inputSize: expected [width, height], got 1 values"},
      {"    landmarks: {output: output, names: [a], namesFile: n.txt}\n",
       pp + "landmarks.namesFile: give names or namesFile, not both"},
      {"    textRegions: {output: output, threshold: 1.5}\n",
       pp + "textRegions.threshold: expected a number from 0 to 1, got 1.5"},
      {"    textRegions: {output: output, maxRegions: 0}\n",
       pp + "textRegions.maxRegions: expected a positive integer, got 0"},
      {"    textRegions: {threshold: 0.3}\n", pp + "textRegions.output: required field is missing"},
      {"    ctc: {output: output}\n", pp + "ctc: one of dictionary, dictionaryFile is required"},
      {"    ctc: {output: output, dictionary: [a], blank: -1}\n",
       pp + "ctc.blank: expected a non-negative integer, got -1"},
      {"    ctc: {output: output, dictionary: [a], activation: sigmoid}\n", pp + "ctc.activation: expected"},
      {"    ctc: {output: output, dictionary: [a], minConfidence: 2}\n",
       pp + "ctc.minConfidence: expected a number from 0 to 1"},
      {"    lines: {scores: output}\n", pp + "lines.offsets: required field is missing"},
      {"    lines: {scores: output, offsets: offsetz}\n", pp + "lines.offsets: \"offsetz\" is not a declared output"},
      {"    lines: {scores: output, offsets: output, threshold: -0.1}\n",
       pp + "lines.threshold: expected a number from 0 to 1"},
      {"    textRegion: {output: output}\n", pp + "textRegion: unknown field"},
  };
  for (const auto& [block, expected] : cases) {
    EXPECT_THAT(errors_of(with_postprocess(block)), HasSubstr(expected)) << block;
  }
}

class PostprocessReaderInvalidTest : public InvalidDocumentTest {};

TEST_P(PostprocessReaderInvalidTest, ReportsTheFieldAndWhatWasExpected) { expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Table, PostprocessReaderInvalidTest,
    ::testing::Values(
        Case{"ThresholdOutOfRange", replace(kModel, "labels: [speech]", "labels: [speech], threshold: 1.5"),
             M + "spec.postprocess.classify.threshold: expected a number from 0 to 1, got 1.5 (line 15)"},
        Case{"ClassifyUndeclaredOutput", replace(kModel, "output: output,", "output: outptu,"),
             M + "spec.postprocess.classify.output: \"outptu\" is not a declared output (spec.outputs declares "
                 "\"output\"); did you mean \"output\"? (line 15)"},
        Case{"LabelsAndLabelsFile", replace(kModel, "labels: [speech]", "labels: [speech], labelsFile: l.txt"),
             M + "spec.postprocess.classify.labelsFile: give labels or labelsFile, not both (line 15)"},
        Case{"NoLabels", replace(kModel, ", labels: [speech]", ""),
             M + "spec.postprocess.classify: one of labels, labelsFile is required (line 15)"}));

}  // namespace
}  // namespace sensix::docs_test
