// Tests of side files (docs/side_files.h): the digests beside labelsFile, namesFile and
// dictionaryFile as the parser reads them, and pin_side_files writing them into the canonical text.
#include "docs/side_files.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/parser.h"

namespace sensix {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kLabelsSha(64, 'a');
const std::string kOtherLabelsSha(64, 'b');

std::string side_file_model(const std::string& postprocess) {
  return "apiVersion: sensix/v1\nkind: Model\nmetadata: {name: m}\nspec:\n  format: onnx\n  source: a.onnx\n"
         "  sha256: " +
         std::string(64, '0') +
         "\n  version: \"1\"\n  inputs: [{name: x, audio: {sampleRate: 16000, window: 4, hop: 4}}]\n"
         "  outputs: [{name: y}]\n  postprocess: " +
         postprocess + "\n";
}

Result<DocumentSet> parse_side_file_doc(const std::string& text) { return parse_document_text(text, "m.yaml", "/d"); }

TEST(SideFiles, EachFileKindHasItsDigestField) {
  auto classify = parse_side_file_doc(
      side_file_model("{classify: {output: y, labelsFile: l.txt, labelsSha256: " + kLabelsSha + "}}"));
  ASSERT_TRUE(classify.ok()) << classify.status();
  std::vector<SideFile> files = side_files(classify->models[0].spec);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].field, "spec.postprocess.classify.labelsFile");
  EXPECT_EQ(files[0].digest_field, "spec.postprocess.classify.labelsSha256");
  EXPECT_EQ(*files[0].path, "/d/l.txt");
  EXPECT_EQ(*files[0].sha256, kLabelsSha);
  EXPECT_EQ(side_file_digests(classify->models[0]), std::vector<std::string>{kLabelsSha});

  auto ctc = parse_side_file_doc(side_file_model("{ctc: {output: y, dictionaryFile: dict.txt}}"));
  ASSERT_TRUE(ctc.ok()) << ctc.status();
  files = side_files(ctc->models[0].spec);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].digest_field, "spec.postprocess.ctc.dictionarySha256");
  EXPECT_EQ(*files[0].sha256, "");
  EXPECT_TRUE(side_file_digests(ctc->models[0]).empty());

  auto inline_labels = parse_side_file_doc(side_file_model("{classify: {output: y, labels: [yes]}}"));
  ASSERT_TRUE(inline_labels.ok()) << inline_labels.status();
  EXPECT_TRUE(side_files(inline_labels->models[0].spec).empty());
}

TEST(SideFiles, ABadDigestIsRefusedWithItsField) {
  auto short_digest = parse_side_file_doc(
      side_file_model("{classify: {output: y, labelsFile: l.txt, labelsSha256: abc}}"));
  ASSERT_FALSE(short_digest.ok());
  EXPECT_THAT(std::string(short_digest.status().message()),
              HasSubstr("spec.postprocess.classify.labelsSha256: expected 64 lowercase hex digits"));
  auto alone = parse_side_file_doc(
      side_file_model("{classify: {output: y, labels: [yes], labelsSha256: " + kLabelsSha + "}}"));
  ASSERT_FALSE(alone.ok());
  EXPECT_THAT(std::string(alone.status().message()),
              HasSubstr("spec.postprocess.classify.labelsSha256: labelsSha256 is the digest of labelsFile: give it "
                        "beside labelsFile"));
}

// The pinned canonical text parses to the same spec with the digest; pinning it again changes
// nothing; a document that states its digest already is left as it is.
TEST(SideFiles, PinningWritesTheDigestIntoTheCanonicalText) {
  auto parsed = parse_side_file_doc(side_file_model("{classify: {output: y, labelsFile: l.txt, topK: 2}}"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ModelDoc m = parsed->models[0];
  const std::string before = m.canonical;
  ASSERT_TRUE(pin_side_files(m).ok());
  EXPECT_EQ(m.canonical, before);  // no digest yet: nothing to write
  std::get<ClassifySpec>(m.spec.postprocess).labels_sha256 = kLabelsSha;
  ASSERT_TRUE(pin_side_files(m).ok());
  EXPECT_NE(m.canonical, before);
  EXPECT_THAT(m.canonical, HasSubstr("labelsSha256: " + kLabelsSha));

  auto again = parse_document_text(m.canonical, "stored", "/d");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << m.canonical;
  EXPECT_EQ(again->models[0].canonical, m.canonical);  // a fixpoint: the stored text is what it parses to
  EXPECT_EQ(std::get<ClassifySpec>(again->models[0].spec.postprocess).labels_sha256, kLabelsSha);
  ModelDoc twice = again->models[0];
  ASSERT_TRUE(pin_side_files(twice).ok());
  EXPECT_EQ(twice.canonical, m.canonical);

  // A new digest replaces the old one.
  std::get<ClassifySpec>(twice.spec.postprocess).labels_sha256 = kOtherLabelsSha;
  ASSERT_TRUE(pin_side_files(twice).ok());
  EXPECT_THAT(twice.canonical, HasSubstr("labelsSha256: " + kOtherLabelsSha));
  EXPECT_THAT(twice.canonical, Not(HasSubstr(kLabelsSha)));
}

// A self-test's input has its digest too (inputSha256), pinned inside its list item.
TEST(SideFiles, ASelfTestInputIsASideFile) {
  std::string text = side_file_model("{classify: {output: y, labels: [yes]}}");
  text += "  selfTest:\n    - {input: a.wav, expect: {nothing: true}}\n    - {input: b.wav, inputSha256: " +
          kLabelsSha + ", expect: {nothing: true}}\n";
  auto parsed = parse_side_file_doc(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ModelDoc m = parsed->models[0];
  std::vector<SideFile> files = side_files(m.spec);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].field, "spec.selfTest[0].input");
  EXPECT_EQ(files[1].digest_field, "spec.selfTest[1].inputSha256");
  EXPECT_TRUE(files[0].self_test);
  EXPECT_EQ(*files[1].sha256, kLabelsSha);
  *files[0].sha256 = kOtherLabelsSha;
  ASSERT_TRUE(pin_side_files(m).ok());
  auto again = parse_document_text(m.canonical, "stored", "/d");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << m.canonical;
  EXPECT_EQ(again->models[0].spec.self_test[0].sha256, kOtherLabelsSha);
  EXPECT_EQ(again->models[0].spec.self_test[1].sha256, kLabelsSha);
  EXPECT_EQ(again->models[0].spec.self_test[1].input, "b.wav");
}

}  // namespace
}  // namespace sensix
