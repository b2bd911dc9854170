// Document diff: parsed sets compared document by document.
#include "docs/document_diff.h"

#include <gtest/gtest.h>

#include "docs/parser.h"
#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

DocumentSet parse(const std::string& text, const std::string& base = "/docs") {
  auto r = parse_document_text(text, "t.yaml", base, kRoots);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : DocumentSet{};
}

TEST(DocumentDiff, TheSameTextWrittenOtherwiseIsUnchanged) {
  const DocumentSet a = parse(kValidSet);
  // Keys in another order, flow instead of block style, comments: the same documents.
  const std::string sensor =
      "# the microphone\n"
      "kind: Sensor\n"
      "spec: {path: 'samples:a.wav', driver: audio-file}\n"
      "apiVersion: sensix/v1\n"
      "metadata:\n"
      "  name: mic\n";
  const DocumentSet b = parse(set_of(sensor, kModel, kHead, kPipeline));
  EXPECT_EQ(a.sensors[0].canonical, b.sensors[0].canonical);
  const DocumentDiff d = diff_documents(a, b);
  EXPECT_FALSE(d.any_change());
  EXPECT_EQ(d.entries.size(), 4u);  // a sensor, two models, a pipeline
  EXPECT_EQ(d.of("Sensor", "mic"), DocChange::kUnchanged);
}

TEST(DocumentDiff, NamesWhatWasAddedRemovedAndChanged) {
  const DocumentSet a = parse(kValidSet);
  // The head changes its threshold; the pipeline goes; a new pipeline comes.
  const std::string head = replace(kHead, "name: y", "name: y\n      scale: 2");
  const std::string pipeline = replace(kPipeline, "name: voice", "name: voice2");
  const DocumentSet b = parse(set_of(kSensor, kModel, head, pipeline));
  const DocumentDiff d = diff_documents(a, b);
  EXPECT_TRUE(d.any_change());
  EXPECT_EQ(d.of("Sensor", "mic"), DocChange::kUnchanged);
  EXPECT_EQ(d.of("Model", "vad"), DocChange::kUnchanged);
  EXPECT_EQ(d.of("Model", "head"), DocChange::kChanged);
  EXPECT_EQ(d.names("Pipeline", DocChange::kAdded), std::vector<std::string>{"voice2"});
  EXPECT_EQ(d.names("Pipeline", DocChange::kRemoved), std::vector<std::string>{"voice"});
  EXPECT_EQ(doc_change_name(d.of("Pipeline", "voice")), "removed");
}

TEST(DocumentDiff, AQuotedNumberIsNotANumber) {
  const DocumentSet a = parse(kSensor);
  const DocumentSet b = parse(replace(kSensor, "metadata: {name: mic}", "metadata: {name: mic, labels: {a: '1'}}"));
  const DocumentSet c = parse(replace(kSensor, "metadata: {name: mic}", "metadata: {name: mic, labels: {a: 'x'}}"));
  EXPECT_NE(b.sensors[0].canonical, c.sensors[0].canonical);
  EXPECT_EQ(diff_documents(a, b).of("Sensor", "mic"), DocChange::kChanged);
}

TEST(DocumentDiff, TheSameTextFromAnotherFolderNamesOtherFilesAndIsChanged) {
  const std::string sensor = replace(kSensor, "samples:a.wav", "a.wav");  // relative to the folder
  const DocumentSet a = parse(sensor, "/one");
  const DocumentSet b = parse(sensor, "/two");
  EXPECT_EQ(a.sensors[0].canonical, b.sensors[0].canonical);
  EXPECT_EQ(diff_documents(a, b).of("Sensor", "mic"), DocChange::kChanged);
}

TEST(DocumentDiff, ADocumentMadeInCodeIsAlwaysChanged) {
  DocumentSet a = parse(kSensor);
  DocumentSet b = a;
  b.sensors[0].canonical.clear();
  EXPECT_EQ(diff_documents(a, b).of("Sensor", "mic"), DocChange::kChanged);
}

}  // namespace
}  // namespace sensix::docs_test
