// TensorFlow Lite engine on the real cached models: tensor descriptions, runs (static and
// dynamic shapes), unsupported models, and bad input that must never reach TFLite's parser.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/paths.h"
#include "engines/registry.h"
#include "engines/test_util.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;
using testing::model_file;
using testing::random_tensor;

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
  std::unique_ptr<Session> load(const std::string& relative, int threads = 1) {
    auto s = engine_->load(model_file(relative), SessionOptions{threads});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  static Engine* engine_;
};
Engine* TfLiteEngineTest::engine_ = nullptr;

TEST_F(TfLiteEngineTest, IdentifiesItself) {
  EXPECT_EQ(engine_->name(), "tflite");
  EXPECT_THAT(engine_->version(), ::testing::StartsWith("2."));
  EXPECT_TRUE(engine_->supports(ModelFormat::kTflite));
  EXPECT_FALSE(engine_->supports(ModelFormat::kOnnx));
}

struct DescribeCase {
  std::string file;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

void expect_infos(const std::vector<TensorInfo>& got, const std::vector<TensorInfo>& want) {
  ASSERT_EQ(got.size(), want.size()) << describe_tensors(got);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name) << "tensor " << i;
    EXPECT_EQ(got[i].dtype, want[i].dtype) << want[i].name;
    EXPECT_EQ(got[i].shape, want[i].shape) << want[i].name;
  }
}

TEST_F(TfLiteEngineTest, DescribesRealModels) {
  constexpr auto F = DType::kFloat32;
  const std::vector<DescribeCase> cases = {
      {"mediapipe-objectron/ssd_mobilenetv2_oidv4_fp16.tflite",
       {{"normalized_input_image_tensor", F, {1, 300, 300, 3}}},
       {{"raw_outputs/box_encodings", F, {1, 1917, 4}},
        {"raw_outputs/class_predictions", F, {1, 1917, 24}}}},
      {"openwakeword/embedding_model.tflite", {{"serving_default_input_1:0", F, {-1, 76, 32, 1}}},
       {{"StatefulPartitionedCall:0", F, {-1, 1, 1, 96}}}},
      {"openwakeword/hey_jarvis_v0.1.tflite", {{"serving_default_x.1:0", F, {1, 16, 96}}},
       {{"PartitionedCall:0", F, {1, 1}}}},
      {"openwakeword/alexa_v0.1.tflite",
       {{"serving_default_onnx_tf__tf_Flatten_0_79e3d279:0", F, {1, 16, 96}}},
       {{"PartitionedCall:0", F, {1, 1}}}},
      {"openwakeword/hey_mycroft_v0.1.tflite",
       {{"serving_default_onnx_tf__tf_Flatten_0_5dbfc9d8:0", F, {1, 16, 96}}},
       {{"PartitionedCall:0", F, {1, 1}}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    if (!std::filesystem::exists(model_file(c.file))) {
      ADD_FAILURE() << model_file(c.file) << " missing: run scripts/setup";
      continue;
    }
    auto session = load(c.file);
    ASSERT_NE(session, nullptr);
    std::cout << c.file << "\n  inputs:  " << describe_tensors(session->inputs())
              << "\n  outputs: " << describe_tensors(session->outputs()) << "\n";
    expect_infos(session->inputs(), c.inputs);
    expect_infos(session->outputs(), c.outputs);
    EXPECT_EQ(session->memory().file_bytes,
              static_cast<int64_t>(std::filesystem::file_size(model_file(c.file))));
    EXPECT_GE(session->memory().resident_bytes, 0);
  }
}

TEST_F(TfLiteEngineTest, SsdDetectorRuns) {
  const std::string file = "mediapipe-objectron/ssd_mobilenetv2_oidv4_fp16.tflite";
  SENSIX_REQUIRE_FILE(model_file(file));
  auto session = load(file, 2);
  ASSERT_NE(session, nullptr);
  Tensor image = random_tensor({1, 300, 300, 3}, 9, -1.f, 1.f);
  const Tensor* in[] = {&image};
  const int all[] = {0, 1};
  std::vector<Tensor> out;
  Status s = session->run(in, all, &out);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), (Shape{1, 1917, 4}));
  EXPECT_EQ(out[1].shape(), (Shape{1, 1917, 24}));
  EXPECT_TRUE(testing::all_finite(out[0]) && testing::all_finite(out[1]));
  EXPECT_GT(testing::max_abs(out[0]), 0.0);
  // Same input, same answer; the output tensors are reused.
  const std::byte* box_buffer = out[0].data();
  std::vector<Tensor> first = out;
  ASSERT_TRUE(session->run(in, all, &out).ok());
  EXPECT_EQ(out[0].data(), box_buffer);
  EXPECT_EQ(testing::max_abs_diff(out[0], first[0]), 0.0);
  EXPECT_EQ(testing::max_abs_diff(out[1], first[1]), 0.0);
}

TEST_F(TfLiteEngineTest, DynamicBatchResizesAndMatchesSingleRuns) {
  const std::string file = "openwakeword/embedding_model.tflite";
  SENSIX_REQUIRE_FILE(model_file(file));
  auto session = load(file);
  ASSERT_NE(session, nullptr);
  Tensor batch = random_tensor({3, 76, 32, 1}, 21, 0.f, 3.f);
  const int want[] = {0};
  std::vector<Tensor> batch_out;
  {
    const Tensor* in[] = {&batch};
    Status s = session->run(in, want, &batch_out);
    ASSERT_TRUE(s.ok()) << s;
  }
  ASSERT_EQ(batch_out[0].shape(), (Shape{3, 1, 1, 96}));
  // Each row alone (resizing back to batch 1) gives the same embedding.
  for (int row = 0; row < 3; ++row) {
    Tensor one(DType::kFloat32, {1, 76, 32, 1});
    auto src = batch.values<float>().subspan(static_cast<size_t>(row) * 76 * 32, 76 * 32);
    std::copy(src.begin(), src.end(), one.values<float>().begin());
    const Tensor* in[] = {&one};
    std::vector<Tensor> out;
    ASSERT_TRUE(session->run(in, want, &out).ok());
    ASSERT_EQ(out[0].shape(), (Shape{1, 1, 1, 96}));
    auto got = out[0].values<float>();
    auto ref = batch_out[0].values<float>().subspan(static_cast<size_t>(row) * 96, 96);
    double diff = 0;
    for (size_t i = 0; i < 96; ++i) diff = std::max(diff, double(std::fabs(got[i] - ref[i])));
    EXPECT_LT(diff, 1e-4) << "row " << row;
  }
}

TEST_F(TfLiteEngineTest, ConcurrentLoadsAndRunsAgree) {
  const std::string file = "openwakeword/hey_jarvis_v0.1.tflite";
  SENSIX_REQUIRE_FILE(model_file(file));
  Tensor features = random_tensor({1, 16, 96}, 4, -5.f, 5.f);
  std::vector<Tensor> results(2);
  std::vector<Status> statuses(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto s = engine_->load(model_file(file), SessionOptions{1});
      if (!s.ok()) {
        statuses[t] = s.status();
        return;
      }
      const Tensor* in[] = {&features};
      const int want[] = {0};
      std::vector<Tensor> out;
      statuses[t] = (*s)->run(in, want, &out);
      if (statuses[t].ok()) results[t] = out[0];
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 2; ++t) ASSERT_TRUE(statuses[t].ok()) << statuses[t];
  EXPECT_EQ(results[0].shape(), (Shape{1, 1}));
  EXPECT_EQ(testing::max_abs_diff(results[0], results[1]), 0.0);
}

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

TEST_F(TfLiteEngineTest, LoadErrorsAreClearAndNeverCrash) {
  const std::string jarvis = model_file("openwakeword/hey_jarvis_v0.1.tflite");
  SENSIX_REQUIRE_FILE(jarvis);
  std::string header_only(64, '\0');
  header_only.replace(4, 4, "TFL3");
  std::string garbage_after_id = header_only + std::string(4000, '\x7f');
  const std::vector<LoadErrorCase> cases = {
      {"missing file", "/nonexistent/model.tflite", StatusCode::kNotFound, "no such model file"},
      {"text file",
       testing::write_temp_file("notes.tflite", "this is a text file, not a model at all\n"),
       StatusCode::kInvalidArgument, "not the FlatBuffer identifier \"TFL3\""},
      {"empty file", testing::write_temp_file("empty.tflite", ""), StatusCode::kInvalidArgument,
       "the file has 0 bytes"},
      {"tiny file", testing::write_temp_file("tiny.tflite", "TFL3"),
       StatusCode::kInvalidArgument, "the file has 4 bytes"},
      {"truncated model", testing::truncated_copy(jarvis, "truncated.tflite", 5000),
       StatusCode::kInvalidArgument, "TFLite rejected the FlatBuffer"},
      {"identifier then zeros", testing::write_temp_file("zeros.tflite", header_only),
       StatusCode::kInvalidArgument, "TFLite rejected the FlatBuffer"},
      {"identifier then garbage", testing::write_temp_file("garbage.tflite", garbage_after_id),
       StatusCode::kInvalidArgument, "TFLite rejected the FlatBuffer"},
      {"an ONNX model", model_file("openwakeword/hey_jarvis_v0.1.onnx"),
       StatusCode::kInvalidArgument, "not a TFLite model"},
      {"a directory", std::filesystem::temp_directory_path().string(),
       StatusCode::kInvalidArgument, "not a regular file"},
      {"zero threads", jarvis, StatusCode::kInvalidArgument, "intra_op_threads",
       SessionOptions{0}},
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

TEST_F(TfLiteEngineTest, RunErrorsNameTheTensor) {
  const std::string file = "openwakeword/hey_jarvis_v0.1.tflite";
  SENSIX_REQUIRE_FILE(model_file(file));
  auto session = load(file);
  ASSERT_NE(session, nullptr);
  Tensor good = random_tensor({1, 16, 96}, 5, 0.f, 1.f);
  Tensor short_time = random_tensor({1, 15, 96}, 5, 0.f, 1.f);
  Tensor rank2 = random_tensor({16, 96}, 5, 0.f, 1.f);
  Tensor ints(DType::kInt32, {1, 16, 96});
  Tensor no_data;
  const std::string name = "serving_default_x.1:0";
  struct Case {
    std::string label;
    std::vector<const Tensor*> inputs;
    std::vector<int> outputs;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"no inputs", {}, {0}, "has 1 input(s) (" + name + " (float32 [1, 16, 96])), run() got 0"},
      {"two inputs", {&good, &good}, {0}, "run() got 2"},
      {"wrong dim", {&short_time}, {0},
       "input \"" + name + "\": expected float32 [1, 16, 96], got float32 [1, 15, 96]"},
      {"wrong rank", {&rank2}, {0}, "got float32 [16, 96]"},
      {"wrong dtype", {&ints}, {0}, "got int32 [1, 16, 96]"},
      {"no data", {&no_data}, {0}, "input \"" + name + "\""},
      {"null tensor", {nullptr}, {0}, "is null"},
      {"output index too big", {&good}, {1}, "output index 1 is out of range"},
      {"negative output index", {&good}, {-1}, "output index -1 is out of range"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    std::vector<Tensor> out;
    Status s = session->run(c.inputs, c.outputs, &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(c.message_part));
    EXPECT_THAT(s.message(), HasSubstr("hey_jarvis_v0.1.tflite")) << "names the model";
  }
  const Tensor* in[] = {&good};
  const int want[] = {0};
  std::vector<Tensor> out;
  Status s = session->run(in, want, &out);
  ASSERT_TRUE(s.ok()) << s;
  const float p = out[0].values<float>()[0];
  EXPECT_TRUE(p >= 0.f && p <= 1.f) << p;
}

}  // namespace
}  // namespace sensix
