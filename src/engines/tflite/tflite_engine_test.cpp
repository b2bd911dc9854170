// TensorFlow Lite engine, the cases only it has: a model with an op this TFLite may lack, and files
// that must never reach TFLite's parser. What every engine does is ../conformance_test.cpp.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/paths.h"
#include "engines/registry.h"
#include "support/paths.h"
#include "support/temp_dir.h"
#include "support/tensors.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;
using testing::model_file;

class TfLiteEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SENSIX_REQUIRE_FILE(cache_dir() + "/engines/tflite/lib/libtensorflowlite_c.so");
    if (engine_ == nullptr) {
      auto made = make_engine("tflite");
      ASSERT_TRUE(made.ok()) << made.status();
      engine_ = std::move(made).value().release();  // shared by the suite, never freed
    }
  }
  static Engine* engine_;
};
Engine* TfLiteEngineTest::engine_ = nullptr;

// ---- unsupported models and bad input ------------------------------------------------------

TEST_F(TfLiteEngineTest, ModelWithOpsTooNewIsInvalidArgument) {
  // melspectrogram.tflite uses builtin op 126, which TFLite 2.2 does not know.
  const std::string file = model_file("openwakeword/melspectrogram.tflite");
  SENSIX_REQUIRE_FILE(file);
  auto s = engine_->load(file, {});
  if (s.ok()) GTEST_SKIP() << "this TFLite (" << engine_->version() << ") runs it";
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr("126"));
  EXPECT_THAT(s.status().message(), HasSubstr(file));
}

struct LoadErrorCase {
  std::string label;
  std::string path;
  StatusCode code;
  std::string message_part;
  SessionOptions options = {};
};

// Files that look like a FlatBuffer at first sight: the size and identifier checks, then TFLite's own
// verifier (the other bad files are in ../conformance_test.cpp).
TEST_F(TfLiteEngineTest, FlatBufferChecksAreClearAndNeverCrash) {
  std::string header_only(64, '\0');
  header_only.replace(4, 4, "TFL3");
  std::string garbage_after_id = header_only + std::string(4000, '\x7f');
  const std::vector<LoadErrorCase> cases = {
      {"tiny file", testing::write_temp_file("tiny.tflite", "TFL3"), StatusCode::kInvalidArgument,
       "the file has 4 bytes"},
      {"identifier then zeros", testing::write_temp_file("zeros.tflite", header_only), StatusCode::kInvalidArgument,
       "TFLite rejected the FlatBuffer"},
      {"identifier then garbage", testing::write_temp_file("garbage.tflite", garbage_after_id),
       StatusCode::kInvalidArgument, "TFLite rejected the FlatBuffer"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    auto s = engine_->load(c.path, c.options);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), c.code) << s.status();
    EXPECT_THAT(s.status().message(), HasSubstr(c.message_part));
    EXPECT_THAT(s.status().message(), HasSubstr(c.path)) << "the message names the file";
  }
}

}  // namespace
}  // namespace sensix
