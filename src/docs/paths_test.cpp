// Tests of paths.h: "repo:", "samples:", absolute and relative paths in documents.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

using ::testing::HasSubstr;

TEST(DocsPathsTest, PathsResolve) {
  auto r = parse_document_text(kValidSet, "t.yaml", "/docs/here", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->find_model("head")->spec.path, "/docs/here/head.tflite");
  EXPECT_EQ(r->find_model("head")->spec.engine, "tflite");
  auto abs = parse_document_text(replace(kHead, "head.tflite", "/abs/../x/head.tflite"), "t.yaml", "/d", kRoots);
  ASSERT_TRUE(abs.ok()) << abs.status();
  EXPECT_EQ(abs->models[0].spec.path, "/x/head.tflite");
}

class DocsPathsInvalidTest : public InvalidDocumentTest {};

TEST_P(DocsPathsInvalidTest, ReportsTheFieldAndWhatWasExpected) { expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Table, DocsPathsInvalidTest,
                         ::testing::Values(Case{"RepoPathEscapes", replace(kModel, "repo:vad.onnx", "repo:../vad.onnx"),
                                                M + "spec.source: expected a relative path after \"repo:\" inside "
                                                    "/repo, got \"repo:../vad.onnx\" (line 6)"}));

}  // namespace
}  // namespace sensix::docs_test
