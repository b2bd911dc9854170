// ONNX Runtime engine on the real cached models: tensor descriptions, runs, and bad input.
#include <filesystem>
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

class OnnxRuntimeEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SENSIX_REQUIRE_FILE(cache_dir() + "/engines/onnxruntime/lib/libonnxruntime.so.1");
    if (engine_ == nullptr) {
      auto made = make_engine("onnxruntime");
      ASSERT_TRUE(made.ok()) << made.status();
      engine_ = std::move(made).value().release();  // shared by the suite, never freed
    }
  }
  // Loads a cached model or skips when it is missing.
  std::unique_ptr<Session> load(const std::string& relative, int threads = 1) {
    auto s = engine_->load(model_file(relative), SessionOptions{threads});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  static Engine* engine_;
};
Engine* OnnxRuntimeEngineTest::engine_ = nullptr;

TEST_F(OnnxRuntimeEngineTest, IdentifiesItself) {
  EXPECT_EQ(engine_->name(), "onnxruntime");
  EXPECT_THAT(engine_->version(), ::testing::StartsWith("1."));
  EXPECT_TRUE(engine_->supports(ModelFormat::kOnnx));
  EXPECT_FALSE(engine_->supports(ModelFormat::kTflite));
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

TEST_F(OnnxRuntimeEngineTest, DescribesRealModels) {
  constexpr auto F = DType::kFloat32;
  const std::vector<DescribeCase> cases = {
      {"silero-vad/silero_vad_v5.onnx",
       {{"input", F, {-1, -1}}, {"state", F, {2, -1, 128}}, {"sr", DType::kInt64, {}}},
       {{"output", F, {-1, 1}}, {"stateN", F, {-1, -1, -1}}}},
      {"openwakeword/melspectrogram.onnx", {{"input", F, {-1, -1}}},
       {{"output", F, {-1, 1, -1, 32}}}},
      {"openwakeword/embedding_model.onnx", {{"input_1", F, {-1, 76, 32, 1}}},
       {{"conv2d_19", F, {-1, 1, 1, 96}}}},
      {"openwakeword/hey_jarvis_v0.1.onnx", {{"x.1", F, {1, 16, 96}}}, {{"53", F, {1, 1}}}},
      {"openwakeword/alexa_v0.1.onnx", {{"onnx::Flatten_0", F, {1, 16, 96}}},
       {{"13", F, {1, 1}}}},
      {"openwakeword/hey_mycroft_v0.1.onnx", {{"onnx::Flatten_0", F, {1, 16, 96}}},
       {{"39", F, {1, 1}}}},
      {"blazeface/face_detection_front_128x128_barracuda.onnx",
       {{"input:0", F, {1, 128, 128, 3}}},
       {{"Identity:0", F, {1, 512, 1}},
        {"Identity_1:0", F, {1, 384, 1}},
        {"Identity_2:0", F, {1, 512, 16}},
        {"Identity_3:0", F, {1, 384, 16}}}},
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

TEST_F(OnnxRuntimeEngineTest, SileroVadOnSilenceIsNotSpeech) {
  SENSIX_REQUIRE_FILE(model_file("silero-vad/silero_vad_v5.onnx"));
  auto session = load("silero-vad/silero_vad_v5.onnx");
  ASSERT_NE(session, nullptr);
  Tensor audio(DType::kFloat32, {1, 576});  // 64 context + 512 new samples, all zero
  Tensor state(DType::kFloat32, {2, 1, 128});
  const int64_t sr_value = 16000;
  Tensor sr = Tensor::from_values<int64_t>({}, std::span<const int64_t>(&sr_value, 1));
  const Tensor* in[] = {&audio, &state, &sr};
  const int want[] = {0, 1};
  std::vector<Tensor> out;
  for (int chunk = 0; chunk < 3; ++chunk) {  // stateful: feed stateN back
    ASSERT_TRUE(session->run(in, want, &out).ok());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].shape(), (Shape{1, 1}));
    EXPECT_EQ(out[1].shape(), (Shape{2, 1, 128}));
    ASSERT_TRUE(testing::all_finite(out[0]) && testing::all_finite(out[1]));
    EXPECT_LT(out[0].values<float>()[0], 0.1f) << "chunk " << chunk;
    EXPECT_GE(out[0].values<float>()[0], 0.0f);
    state = out[1];
  }
}

TEST_F(OnnxRuntimeEngineTest, BlazeFaceRunsAndReusesOutputBuffers) {
  SENSIX_REQUIRE_FILE(model_file("blazeface/face_detection_front_128x128_barracuda.onnx"));
  auto session = load("blazeface/face_detection_front_128x128_barracuda.onnx", 2);
  ASSERT_NE(session, nullptr);
  Tensor image = random_tensor({1, 128, 128, 3}, 7, -1.f, 1.f);
  const Tensor* in[] = {&image};
  const int all[] = {0, 1, 2, 3};
  std::vector<Tensor> out;
  ASSERT_TRUE(session->run(in, all, &out).ok());
  ASSERT_EQ(out.size(), 4u);
  const std::vector<Shape> shapes = {{1, 512, 1}, {1, 384, 1}, {1, 512, 16}, {1, 384, 16}};
  std::vector<const std::byte*> buffers;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(out[i].shape(), shapes[i]);
    EXPECT_TRUE(testing::all_finite(out[i]));
    buffers.push_back(out[i].data());
  }
  EXPECT_GT(testing::max_abs(out[2]), 0.0) << "box regressors all zero";
  std::vector<Tensor> first = out;
  ASSERT_TRUE(session->run(in, all, &out).ok());
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(out[i].data(), buffers[i]) << "static output " << i << " was reallocated";
    EXPECT_EQ(testing::max_abs_diff(out[i], first[i]), 0.0) << "not deterministic";
  }
  // A subset, in a chosen order, gives the same values.
  const int some[] = {3, 0};
  std::vector<Tensor> subset;
  ASSERT_TRUE(session->run(in, some, &subset).ok());
  ASSERT_EQ(subset.size(), 2u);
  EXPECT_EQ(testing::max_abs_diff(subset[0], first[3]), 0.0);
  EXPECT_EQ(testing::max_abs_diff(subset[1], first[0]), 0.0);
}

TEST_F(OnnxRuntimeEngineTest, MelspectrogramHasDynamicLength) {
  SENSIX_REQUIRE_FILE(model_file("openwakeword/melspectrogram.onnx"));
  auto session = load("openwakeword/melspectrogram.onnx");
  ASSERT_NE(session, nullptr);
  std::vector<int64_t> frames;
  for (int64_t samples : {1280, 2560}) {
    Tensor audio = random_tensor({1, samples}, 3, -3000.f, 3000.f);  // int16 scale
    const Tensor* in[] = {&audio};
    const int want[] = {0};
    std::vector<Tensor> out;
    ASSERT_TRUE(session->run(in, want, &out).ok());
    ASSERT_EQ(out[0].shape().size(), 4u) << shape_to_string(out[0].shape());
    EXPECT_EQ(out[0].shape()[0], 1);
    EXPECT_EQ(out[0].shape()[1], 1);
    EXPECT_EQ(out[0].shape()[3], 32);
    EXPECT_TRUE(testing::all_finite(out[0]));
    frames.push_back(out[0].shape()[2]);
  }
  std::cout << "melspectrogram frames: 1280 samples -> " << frames[0] << ", 2560 -> "
            << frames[1] << "\n";
  EXPECT_GT(frames[0], 0);
  EXPECT_EQ(frames[1] - frames[0], 8) << "10 ms hop: 1280 more samples give 8 more frames";
}

TEST_F(OnnxRuntimeEngineTest, ConcurrentLoadsAndRunsAgree) {
  const std::string file = "openwakeword/embedding_model.onnx";
  SENSIX_REQUIRE_FILE(model_file(file));
  Tensor mel = random_tensor({1, 76, 32, 1}, 11, 0.f, 3.f);
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
      const Tensor* in[] = {&mel};
      const int want[] = {0};
      std::vector<Tensor> out;
      statuses[t] = (*s)->run(in, want, &out);
      if (statuses[t].ok()) results[t] = out[0];
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 2; ++t) ASSERT_TRUE(statuses[t].ok()) << statuses[t];
  EXPECT_EQ(results[0].shape(), (Shape{1, 1, 1, 96}));
  EXPECT_EQ(testing::max_abs_diff(results[0], results[1]), 0.0);
}

// ---- bad input -----------------------------------------------------------------------------

struct LoadErrorCase {
  std::string label;
  std::string path;
  StatusCode code;
  std::string message_part;
  SessionOptions options = {};
};

TEST_F(OnnxRuntimeEngineTest, LoadErrorsAreClearAndNeverCrash) {
  const std::string embedding = model_file("openwakeword/embedding_model.onnx");
  SENSIX_REQUIRE_FILE(embedding);
  const std::vector<LoadErrorCase> cases = {
      {"missing file", "/nonexistent/model.onnx", StatusCode::kNotFound, "no such model file"},
      {"text file", testing::write_temp_file("notes.onnx", "this is not a model\n"),
       StatusCode::kInvalidArgument, "Protobuf parsing failed"},
      {"empty file", testing::write_temp_file("empty.onnx", ""), StatusCode::kInvalidArgument,
       "not a model ONNX Runtime can load"},
      {"truncated model", testing::truncated_copy(embedding, "truncated.onnx", 5000),
       StatusCode::kInvalidArgument, "not a model ONNX Runtime can load"},
      {"a directory", std::filesystem::temp_directory_path().string(),
       StatusCode::kInvalidArgument, "not a regular file"},
      {"a TFLite model", model_file("openwakeword/embedding_model.tflite"),
       StatusCode::kInvalidArgument, "not a model ONNX Runtime can load"},
      {"zero threads", embedding, StatusCode::kInvalidArgument, "intra_op_threads",
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

TEST_F(OnnxRuntimeEngineTest, RunErrorsNameTheTensor) {
  const std::string file = "openwakeword/hey_jarvis_v0.1.onnx";
  SENSIX_REQUIRE_FILE(model_file(file));
  auto session = load(file);
  ASSERT_NE(session, nullptr);
  Tensor good = random_tensor({1, 16, 96}, 5, 0.f, 1.f);
  Tensor short_time = random_tensor({1, 15, 96}, 5, 0.f, 1.f);
  Tensor rank2 = random_tensor({16, 96}, 5, 0.f, 1.f);
  Tensor ints(DType::kInt64, {1, 16, 96});
  Tensor no_data;
  struct Case {
    std::string label;
    std::vector<const Tensor*> inputs;
    std::vector<int> outputs;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"no inputs", {}, {0}, "has 1 input(s) (x.1 (float32 [1, 16, 96])), run() got 0"},
      {"two inputs", {&good, &good}, {0}, "run() got 2"},
      {"wrong dim", {&short_time}, {0},
       "input \"x.1\": expected float32 [1, 16, 96], got float32 [1, 15, 96]"},
      {"wrong rank", {&rank2}, {0}, "got float32 [16, 96]"},
      {"wrong dtype", {&ints}, {0}, "got int64 [1, 16, 96]"},
      {"no data", {&no_data}, {0}, "input \"x.1\""},
      {"null tensor", {nullptr}, {0}, "input \"x.1\" is null"},
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
    EXPECT_THAT(s.message(), HasSubstr("hey_jarvis_v0.1.onnx")) << "names the model";
  }
  // The session still works after every error.
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
