// ONNX Runtime engine, the cases only it has (models that exist in .onnx only): a stateful model, and
// a dynamic length. What every engine does is ../conformance_test.cpp.
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
  std::cout << "melspectrogram frames: 1280 samples -> " << frames[0] << ", 2560 -> " << frames[1] << "\n";
  EXPECT_GT(frames[0], 0);
  EXPECT_EQ(frames[1] - frames[0], 8) << "10 ms hop: 1280 more samples give 8 more frames";
}

}  // namespace
}  // namespace sensix
