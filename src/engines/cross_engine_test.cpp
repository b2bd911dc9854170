// Across engines: the same openWakeWord models in .onnx (ONNX Runtime) and .tflite (TFLite) must
// compute the same function (what each engine must do on its own is conformance_test.cpp). Inputs
// are real: mel features of a real recording computed by melspectrogram.onnx (transformed x/10 + 2
// as openWakeWord does), and embeddings of those. Each comparison prints the max abs diff observed,
// against a named tolerance.
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
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

using testing::max_abs;
using testing::max_abs_diff;
using testing::model_file;

// Embeddings: |onnx - tflite| <= kEmbeddingRelTolerance * max|onnx embedding|.
constexpr double kEmbeddingRelTolerance = 1e-3;
// Head scores are probabilities in [0, 1]: absolute.
constexpr double kHeadProbabilityTolerance = 1e-3;
// Mel features (after x/10 + 2, values of order 1..5): absolute.
constexpr double kMelTolerance = 1e-3;

constexpr int kMelFrames = 76;       // embedding window, in mel frames
constexpr int kMelStep = 8;          // one embedding per 80 ms
constexpr int kHeadEmbeddings = 16;  // the heads see 16 embeddings

std::unique_ptr<Session> must_load(Engine* engine, const std::string& relative) {
  auto s = engine->load(model_file(relative), SessionOptions{1});
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(s).value() : nullptr;
}

Result<Tensor> run_one(Session* session, const Tensor& input) {
  const Tensor* in[] = {&input};
  const int want[] = {0};
  std::vector<Tensor> out;
  SENSIX_RETURN_IF_ERROR(session->run(in, want, &out));
  return std::move(out[0]);
}

// 16 kHz mono recording at int16 scale, as melspectrogram.onnx expects, shape [1, samples].
Result<Tensor> read_wav_int16_scale(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (f == nullptr) return NotFound(path + ": " + sf_strerror(nullptr));
  if (info.samplerate != 16000 || info.channels != 1) {
    sf_close(f);
    return InvalidArgument(path + ": expected 16 kHz mono");
  }
  std::vector<short> pcm(static_cast<size_t>(info.frames));
  const sf_count_t got = sf_read_short(f, pcm.data(), info.frames);
  sf_close(f);
  Tensor t(DType::kFloat32, {1, static_cast<int64_t>(got)});
  auto v = t.values<float>();
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(pcm[i]);
  return t;
}

class CrossEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SENSIX_REQUIRE_FILE(cache_dir() + "/engines/onnxruntime/lib/libonnxruntime.so.1");
    SENSIX_REQUIRE_FILE(cache_dir() + "/engines/tflite/lib/libtensorflowlite_c.so");
    SENSIX_REQUIRE_FILE(model_file("openwakeword/melspectrogram.onnx"));
    SENSIX_REQUIRE_FILE(model_file("openwakeword/embedding_model.onnx"));
    SENSIX_REQUIRE_FILE(model_file("openwakeword/embedding_model.tflite"));
    SENSIX_REQUIRE_FILE(testing::sample_file("speech/hey_jarvis.wav"));
    auto ort = registry_.get("onnxruntime");
    auto tfl = registry_.get("tflite");
    ASSERT_TRUE(ort.ok()) << ort.status();
    ASSERT_TRUE(tfl.ok()) << tfl.status();
    ort_ = *ort;
    tfl_ = *tfl;
  }

  // Mel features of the recording, [frames, 32], already x/10 + 2.
  Tensor mel_features(const Tensor& audio) {
    auto mel_session = must_load(ort_, "openwakeword/melspectrogram.onnx");
    EXPECT_NE(mel_session, nullptr);
    if (mel_session == nullptr) return {};
    auto mel = run_one(mel_session.get(), audio);
    EXPECT_TRUE(mel.ok()) << mel.status();
    if (!mel.ok()) return {};
    const int64_t frames = mel->shape()[2];
    Tensor features(DType::kFloat32, {frames, 32});
    auto src = mel->values<float>();
    auto dst = features.values<float>();
    for (size_t i = 0; i < dst.size(); ++i) dst[i] = src[i] / 10.f + 2.f;
    return features;
  }

  // Windows of 76 frames every 8 frames, as one [N, 76, 32, 1] batch.
  static Tensor embedding_windows(const Tensor& features) {
    const int64_t frames = features.shape()[0];
    const int64_t n = (frames - kMelFrames) / kMelStep + 1;
    Tensor batch(DType::kFloat32, {n, kMelFrames, 32, 1});
    auto src = features.values<float>();
    auto dst = batch.values<float>();
    for (int64_t w = 0; w < n; ++w) {
      std::copy_n(src.begin() + w * kMelStep * 32, kMelFrames * 32, dst.begin() + w * kMelFrames * 32);
    }
    return batch;
  }

  EngineRegistry registry_;
  Engine* ort_ = nullptr;
  Engine* tfl_ = nullptr;
};

TEST_F(CrossEngineTest, EmbeddingAndHeadsAgreeAcrossEngines) {
  auto audio = read_wav_int16_scale(testing::sample_file("speech/hey_jarvis.wav"));
  ASSERT_TRUE(audio.ok()) << audio.status();
  Tensor features = mel_features(*audio);
  ASSERT_GE(features.shape().size(), 2u);
  Tensor windows = embedding_windows(features);
  const int64_t n = windows.shape()[0];
  ASSERT_GE(n, kHeadEmbeddings) << "recording too short for a head window";

  // Embedding model: the whole batch through each engine.
  auto emb_ort_session = must_load(ort_, "openwakeword/embedding_model.onnx");
  auto emb_tfl_session = must_load(tfl_, "openwakeword/embedding_model.tflite");
  ASSERT_TRUE(emb_ort_session && emb_tfl_session);
  auto emb_ort = run_one(emb_ort_session.get(), windows);
  auto emb_tfl = run_one(emb_tfl_session.get(), windows);
  ASSERT_TRUE(emb_ort.ok()) << emb_ort.status();
  ASSERT_TRUE(emb_tfl.ok()) << emb_tfl.status();
  ASSERT_EQ(emb_ort->shape(), (Shape{n, 1, 1, 96}));
  ASSERT_EQ(emb_tfl->shape(), (Shape{n, 1, 1, 96}));
  ASSERT_TRUE(testing::all_finite(*emb_ort) && testing::all_finite(*emb_tfl));
  const double scale = max_abs(*emb_ort);
  const double emb_diff = max_abs_diff(*emb_ort, *emb_tfl);
  std::printf(
      "embedding_model: %lld windows, max|emb| %.4f, max abs diff onnx/tflite %.3g "
      "(relative %.3g, tolerance %.0e)\n",
      static_cast<long long>(n), scale, emb_diff, emb_diff / scale, kEmbeddingRelTolerance);
  ASSERT_GT(scale, 0.0);
  EXPECT_LE(emb_diff, kEmbeddingRelTolerance * scale);

  // Heads: every 16-embedding window of the ONNX embeddings, plus seeded random features in
  // the embeddings' own range, fed identically to both engines.
  std::vector<Tensor> head_inputs;
  auto emb = emb_ort->values<float>();
  for (int64_t start = 0; start + kHeadEmbeddings <= n; start += 2) {
    Tensor x(DType::kFloat32, {1, kHeadEmbeddings, 96});
    std::copy_n(emb.begin() + start * 96, kHeadEmbeddings * 96, x.values<float>().begin());
    head_inputs.push_back(std::move(x));
  }
  const size_t real_inputs = head_inputs.size();
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    head_inputs.push_back(
        testing::random_tensor({1, kHeadEmbeddings, 96}, seed, -static_cast<float>(scale), static_cast<float>(scale)));
  }

  struct Head {
    std::string name;
    bool expect_detection;  // the recording says "hey jarvis"
  };
  for (const Head& head : {Head{"hey_jarvis_v0.1", true}, Head{"alexa_v0.1", false}, Head{"hey_mycroft_v0.1", false}}) {
    SCOPED_TRACE(head.name);
    const std::string onnx = "openwakeword/" + head.name + ".onnx";
    const std::string tflite = "openwakeword/" + head.name + ".tflite";
    if (!std::filesystem::exists(model_file(onnx)) || !std::filesystem::exists(model_file(tflite))) {
      ADD_FAILURE() << head.name << " missing in the cache: run scripts/setup";
      continue;
    }
    auto a = must_load(ort_, onnx);
    auto b = must_load(tfl_, tflite);
    ASSERT_TRUE(a && b);
    double diff = 0, best_ort = 0, best_tfl = 0;
    for (size_t i = 0; i < head_inputs.size(); ++i) {
      auto pa = run_one(a.get(), head_inputs[i]);
      auto pb = run_one(b.get(), head_inputs[i]);
      ASSERT_TRUE(pa.ok()) << pa.status();
      ASSERT_TRUE(pb.ok()) << pb.status();
      ASSERT_EQ(pa->shape(), (Shape{1, 1}));
      ASSERT_EQ(pb->shape(), (Shape{1, 1}));
      const float va = pa->values<float>()[0];
      const float vb = pb->values<float>()[0];
      ASSERT_TRUE(va >= 0.f && va <= 1.f && vb >= 0.f && vb <= 1.f) << va << " " << vb;
      diff = std::max(diff, max_abs_diff(*pa, *pb));
      if (i < real_inputs) {
        best_ort = std::max(best_ort, double(va));
        best_tfl = std::max(best_tfl, double(vb));
      }
    }
    std::printf(
        "%s: %zu inputs, max abs diff onnx/tflite %.3g (tolerance %.0e); best score "
        "on hey_jarvis.wav onnx %.4f tflite %.4f\n",
        head.name.c_str(), head_inputs.size(), diff, kHeadProbabilityTolerance, best_ort, best_tfl);
    EXPECT_LE(diff, kHeadProbabilityTolerance);
    // The inputs are not trivial: the right head fires on its phrase, the others do not.
    if (head.expect_detection) {
      EXPECT_GT(best_ort, 0.5);
    } else {
      EXPECT_LT(best_ort, 0.5);
    }
  }
}

TEST_F(CrossEngineTest, MelspectrogramAgreesOrTfliteRefusesIt) {
  const std::string tflite = model_file("openwakeword/melspectrogram.tflite");
  SENSIX_REQUIRE_FILE(tflite);
  auto b = tfl_->load(tflite, SessionOptions{1});
  if (!b.ok()) {
    // TFLite 2.2 lacks builtin op 126: a clear InvalidArgument, never a crash.
    std::printf("melspectrogram.tflite not comparable on TFLite %s: %s\n", tfl_->version().c_str(),
                b.status().message().c_str());
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(b.status().message(), ::testing::HasSubstr("126"));
    return;
  }
  auto audio = read_wav_int16_scale(testing::sample_file("speech/hey_jarvis.wav"));
  ASSERT_TRUE(audio.ok()) << audio.status();
  auto a = must_load(ort_, "openwakeword/melspectrogram.onnx");
  ASSERT_NE(a, nullptr);
  auto ma = run_one(a.get(), *audio);
  auto mb = run_one(b->get(), *audio);
  ASSERT_TRUE(ma.ok()) << ma.status();
  ASSERT_TRUE(mb.ok()) << mb.status();
  ASSERT_EQ(ma->size(), mb->size());
  const double diff = max_abs_diff(*ma, *mb) / 10.0;  // in x/10 + 2 units
  std::printf("melspectrogram: max abs diff onnx/tflite %.3g (tolerance %.0e)\n", diff, kMelTolerance);
  EXPECT_LE(diff, kMelTolerance);
}

}  // namespace
}  // namespace sensix
