// Tests of verify_artifacts: missing files, wrong sha256, wrong magic bytes, labels files,
// and (when scripts/setup has run) a real model from the cache.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/paths.h"
#include "common/sha256.h"
#include "docs/parser.h"

namespace sensix {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ArtifactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sensix_artifacts_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  static std::string sha_of(const std::string& bytes) {
    return sha256_bytes({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
  }

  // One model document; its file is resolved against dir_.
  DocumentSet docs(const std::string& format, const std::string& file, const std::string& sha,
                   const std::string& postprocess = "") {
    const std::string text = "apiVersion: sensix/v1\nkind: Model\nmetadata: {name: m}\nspec:\n  format: " + format +
                             "\n  source: " + file + "\n  sha256: " + sha +
                             "\n  version: \"1\"\n  inputs: [{name: x, audio: {sampleRate: 16000, window: 4, hop: "
                             "4}}]\n"
                             "  outputs: [{name: y}]\n" +
                             postprocess;
    auto r = parse_document_text(text, "m.yaml", dir_.string(), ParseOptions{(dir_ / "repo").string(), ""});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : DocumentSet{};
  }

  fs::path dir_;
};

const std::string kOnnxBytes = std::string("\x08\x07\x12\x04test", 8);
const std::string kTfliteBytes = std::string("\x1c\0\0\0TFL3\0\0\0\0", 12);

TEST_F(ArtifactsTest, GoodFilesPass) {
  write("a.onnx", kOnnxBytes);
  EXPECT_TRUE(verify_artifacts(docs("onnx", "a.onnx", sha_of(kOnnxBytes))).ok());
  write("b.tflite", kTfliteBytes);
  EXPECT_TRUE(verify_artifacts(docs("tflite", "b.tflite", sha_of(kTfliteBytes))).ok());
}

TEST_F(ArtifactsTest, MissingFileIsNotFound) {
  Status s = verify_artifacts(docs("onnx", "gone.onnx", std::string(64, '0')));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "m.yaml: Model/m: spec.source: gone.onnx (" + (dir_ / "gone.onnx").string() + ") does not exist");
}

TEST_F(ArtifactsTest, MissingRepoFileSuggestsSetup) {
  Status s = verify_artifacts(docs("onnx", "repo:group/gone.onnx", std::string(64, '0')));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("m.yaml: Model/m: spec.source: repo:group/gone.onnx (" +
                                     (dir_ / "repo/group/gone.onnx").string() + ") does not exist"));
  EXPECT_THAT(s.message(), HasSubstr("run scripts/setup"));
}

TEST_F(ArtifactsTest, WrongShaIsDataLoss) {
  write("a.onnx", kOnnxBytes);
  Status s = verify_artifacts(docs("onnx", "a.onnx", std::string(64, '0')));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "m.yaml: Model/m: spec.sha256: a.onnx has sha256 " + sha_of(kOnnxBytes) +
                             ", the document says " + std::string(64, '0'));
}

// A digest the caller checked already (the daemon's model store) is not computed again: the
// predicate is asked for that path and digest only, and the format is still checked.
TEST_F(ArtifactsTest, AKnownDigestIsNotHashedAgainButItsFormatIsChecked) {
  const std::string a = write("a.onnx", kOnnxBytes);
  const std::string claimed(64, '1');  // not the file's: only the predicate can make it pass
  std::vector<std::string> asked;
  const DigestKnown known = [&](const std::string& path, const std::string& sha256) {
    asked.push_back(path + " " + sha256);
    return path == a && sha256 == claimed;
  };
  EXPECT_TRUE(verify_artifacts(docs("onnx", "a.onnx", claimed), known).ok());
  EXPECT_THAT(asked, ::testing::ElementsAre(a + " " + claimed));
  EXPECT_EQ(verify_artifacts(docs("onnx", "a.onnx", claimed)).code(), StatusCode::kDataLoss);  // hashed: wrong
  write("b.onnx", kTfliteBytes);
  EXPECT_EQ(verify_artifacts(docs("onnx", "b.onnx", claimed),
                             [](const std::string&, const std::string&) { return true; })
                .code(),
            StatusCode::kInvalidArgument);  // the format still
}

TEST_F(ArtifactsTest, WrongMagic) {
  write("b.onnx", kTfliteBytes);
  Status s = verify_artifacts(docs("onnx", "b.onnx", sha_of(kTfliteBytes)));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "m.yaml: Model/m: spec.format: b.onnx is not an ONNX model (a protobuf starting with byte 08): it looks "
            "like a TFLite model");
  write("c.tflite", "hello world!");
  s = verify_artifacts(docs("tflite", "c.tflite", sha_of("hello world!")));
  EXPECT_EQ(s.message(),
            "m.yaml: Model/m: spec.format: c.tflite is not a TFLite model (\"TFL3\" at bytes 4..7): it starts with "
            "68 65 6c 6c 6f 20 77 6f");
  write("empty.onnx", "");
  s = verify_artifacts(docs("onnx", "empty.onnx", sha_of("")));
  EXPECT_THAT(s.message(), HasSubstr("it starts with nothing"));
}

TEST_F(ArtifactsTest, LabelsFileMustExist) {
  write("a.onnx", kOnnxBytes);
  const std::string post = "  postprocess: {classify: {output: y, labelsFile: labels.txt}}\n";
  Status s = verify_artifacts(docs("onnx", "a.onnx", sha_of(kOnnxBytes), post));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "m.yaml: Model/m: spec.postprocess.classify.labelsFile: " + (dir_ / "labels.txt").string() +
                             " does not exist");
  write("labels.txt", "yes\n");
  EXPECT_TRUE(verify_artifacts(docs("onnx", "a.onnx", sha_of(kOnnxBytes), post)).ok());
}

// A stated labelsSha256 (the daemon pins it when a document is applied) must be the file's.
TEST_F(ArtifactsTest, ALabelsFileMustHaveTheDigestItsDocumentStates) {
  write("a.onnx", kOnnxBytes);
  write("labels.txt", "yes\n");
  const std::string post = "  postprocess: {classify: {output: y, labelsFile: labels.txt, labelsSha256: " +
                           sha_of("yes\n") + "}}\n";
  EXPECT_TRUE(verify_artifacts(docs("onnx", "a.onnx", sha_of(kOnnxBytes), post)).ok());
  write("labels.txt", "no\n");
  Status s = verify_artifacts(docs("onnx", "a.onnx", sha_of(kOnnxBytes), post));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "m.yaml: Model/m: spec.postprocess.classify.labelsSha256: labels.txt has sha256 " +
                             sha_of("no\n") + ", the document says " + sha_of("yes\n"));
}

TEST_F(ArtifactsTest, AllProblemsReported) {
  write("a.onnx", kOnnxBytes);
  DocumentSet d = docs("onnx", "a.onnx", std::string(64, '0'));
  DocumentSet missing = docs("onnx", "gone.onnx", std::string(64, '0'));
  missing.models[0].metadata.name = "n";
  d.models.push_back(missing.models[0]);
  Status s = verify_artifacts(d);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);  // the first problem's code
  EXPECT_THAT(s.message(), HasSubstr("Model/m: spec.sha256"));
  EXPECT_THAT(s.message(), HasSubstr("\nm.yaml: Model/n: spec.source: gone.onnx"));
}

TEST(ArtifactsRealTest, QuickstartModelsInTheCache) {
  const std::string jarvis = model_repo_dir() + "/openwakeword/hey_jarvis_v0.1.onnx";
  if (!fs::exists(jarvis)) GTEST_SKIP() << jarvis << " is absent (run scripts/setup)";
  auto r = parse_document_files({std::string(SENSIX_SOURCE_DIR) + "/examples/quickstart.yaml"});
  ASSERT_TRUE(r.ok()) << r.status();
  DocumentSet only;
  only.models.push_back(*r->find_model("hey-jarvis"));
  EXPECT_TRUE(verify_artifacts(only).ok()) << verify_artifacts(only);
  only.models[0].spec.sha256 = std::string(64, '0');
  Status s = verify_artifacts(only);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("spec.sha256: hey_jarvis_v0.1.onnx has sha256 94a13cfe"));
}

}  // namespace
}  // namespace sensix
