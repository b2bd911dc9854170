// ModelInstance and ModelStream on the real models: binding checks against the model's own
// tensors, constants, carried state (Silero VAD v5), output scale/offset, and errors that name
// the document and field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <sndfile.h>

#include "common/paths.h"
#include "models/model_instance.h"
#include "models/model_stream.h"
#include "support/paths.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;

using testing::model_file;

ModelDoc silero_doc() {
  ModelDoc d;
  d.origin.file = "test.yaml";
  d.metadata.name = "silero-vad";
  d.spec.format = ModelFormat::kOnnx;
  d.spec.path = model_file("silero-vad/silero_vad_v5.onnx");
  d.spec.version = "5";
  AudioInputSpec audio;
  audio.sample_rate = 16000;
  audio.window = {576, 512, Prefill::kValue, 0.0f};
  d.spec.inputs.push_back({"input", DType::kFloat32, Shape{1, 576}, audio});
  d.spec.inputs.push_back({"state", DType::kFloat32, Shape{2, 1, 128}, StateInputSpec{"stateN", 0.0f}});
  d.spec.inputs.push_back({"sr", DType::kInt64, std::nullopt, ConstantInputSpec{{16000}}});
  d.spec.outputs.push_back({"output"});
  d.spec.outputs.push_back({"stateN"});
  ClassifySpec c;
  c.output = "output";
  c.labels = {"speech"};
  c.threshold = 0.5f;
  c.release = 0.35f;
  d.spec.postprocess = c;
  return d;
}

// 16 kHz mono float samples of a sample recording, resampled by sox at set-up.
std::vector<float> read_wav(const std::string& path, int* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {};
  std::vector<float> s(static_cast<size_t>(info.frames * info.channels));
  sf_readf_float(f, s.data(), info.frames);
  sf_close(f);
  *rate = info.samplerate;
  return s;
}

class SileroTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(model_file("silero-vad/silero_vad_v5.onnx"))) GTEST_SKIP() << "run scripts/setup";
  }
  EngineRegistry engines_;
};

TEST_F(SileroTest, CarriesStateAndDetectsSpeech) {
  auto model = ModelInstance::load(silero_doc(), engines_);
  ASSERT_TRUE(model.ok()) << model.status();
  auto stream = ModelStream::create(model->get(), {"voice"}, "mic");
  ASSERT_TRUE(stream.ok()) << stream.status();

  int rate = 0;
  std::vector<float> speech = read_wav(std::string(samples_dir()) + "/speech/sentence_weather.wav", &rate);
  if (speech.empty()) GTEST_SKIP() << "run scripts/setup";
  ASSERT_EQ(rate, 16000);

  // Windows of 576 samples (64 of context + 512 new), as the planner makes them.
  int speech_events = 0;
  float max_prob = 0;
  Tensor window(DType::kFloat32, {1, 576});
  for (size_t start = 0; start + 576 <= speech.size(); start += 512) {
    std::copy_n(speech.begin() + static_cast<long>(start), 576, window.values<float>().data());
    StreamInput in;
    in.data = &window;
    auto r = (*stream)->infer(in);
    ASSERT_TRUE(r.ok()) << r.status();
    max_prob = std::max(max_prob, (*r->outputs)[0].values<float>()[0]);
    if (r->prediction) ++speech_events;
  }
  EXPECT_GT(max_prob, 0.8f) << "Silero never heard speech in a spoken sentence";
  EXPECT_GE(speech_events, 1);
  // Rising trigger with release: a sentence is a few events, not one per window.
  EXPECT_LE(speech_events, 6);
  auto stats = (*model)->stats();
  EXPECT_GT(stats.runs, 10u);
  EXPECT_EQ(stats.errors, 0u);
}

TEST_F(SileroTest, StreamCarriesStateNIntoStateEveryCall) {
  // The stream's probabilities equal a hand-driven loop that feeds each call's stateN into the
  // next call's state, and differ from calls that always start from a zero state.
  auto model = ModelInstance::load(silero_doc(), engines_);
  ASSERT_TRUE(model.ok()) << model.status();
  auto stream = ModelStream::create(model->get(), {"voice"}, "mic");
  ASSERT_TRUE(stream.ok()) << stream.status();
  int rate = 0;
  std::vector<float> speech = read_wav(std::string(samples_dir()) + "/speech/sentence_weather.wav", &rate);
  if (speech.empty()) GTEST_SKIP() << "run scripts/setup";
  Tensor window(DType::kFloat32, {1, 576});
  std::vector<Tensor> carried(1, Tensor(DType::kFloat32, {2, 1, 128}));
  const std::vector<Tensor> zero(1, Tensor(DType::kFloat32, {2, 1, 128}));
  double max_diff_stateless = 0;
  for (size_t start = 0; start + 576 <= speech.size(); start += 512) {
    std::copy_n(speech.begin() + static_cast<long>(start), 576, window.values<float>().data());
    StreamInput in;
    in.data = &window;
    auto r = (*stream)->infer(in);
    ASSERT_TRUE(r.ok()) << r.status();
    auto manual = (*model)->run(window, carried);
    ASSERT_TRUE(manual.ok()) << manual.status();
    auto stateless = (*model)->run(window, zero);
    ASSERT_TRUE(stateless.ok()) << stateless.status();
    const float p_stream = (*r->outputs)[0].values<float>()[0];
    EXPECT_NEAR(p_stream, (*manual)[0].values<float>()[0], 1e-5) << "at sample " << start;
    max_diff_stateless = std::max(max_diff_stateless,
                                  static_cast<double>(std::fabs(p_stream - (*stateless)[0].values<float>()[0])));
    carried[0] = (*manual)[1];
    ASSERT_TRUE(carried[0].reshape({2, 1, 128}).ok());
  }
  EXPECT_GT(max_diff_stateless, 0.05) << "state made no difference: is stateN fed back?";
}

TEST_F(SileroTest, LifecycleWarmsUpThenDrainsAndUnloads) {
  ModelDoc d = silero_doc();
  d.spec.resources.warmup = 3;
  auto model = ModelInstance::load(d, engines_);
  ASSERT_TRUE(model.ok()) << model.status();
  ModelInstance& m = **model;
  auto st = m.stats();
  EXPECT_EQ(st.state, ModelState::kReady);
  EXPECT_EQ(st.warmup_runs, 3u);
  EXPECT_GT(st.warmup_ns, 0);
  EXPECT_GE(st.load_ns, st.warmup_ns);
  EXPECT_EQ(st.runs, 0u) << "warm-up runs are not counted as served runs";
  EXPECT_THAT(st.reason, HasSubstr("3 warm-up runs"));

  Tensor window(DType::kFloat32, {1, 576});
  const std::vector<Tensor> state(1, Tensor(DType::kFloat32, {2, 1, 128}));
  ASSERT_TRUE(m.run(window, state).ok());
  m.drain();
  EXPECT_EQ(m.state(), ModelState::kDraining);
  EXPECT_TRUE(m.run(window, state).ok()) << "a draining model still serves what is queued";
  m.unload();
  EXPECT_EQ(m.state(), ModelState::kUnloaded);
  auto after = m.run(window, state);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(after.status().message(), HasSubstr("unloaded"));
  EXPECT_EQ(m.stats().runs, 2u);
}

TEST_F(SileroTest, AFailedModelFailsFastWithItsReasonAndStaysFailed) {
  ModelDoc d = silero_doc();
  d.spec.resources.warmup = 0;
  auto model = ModelInstance::load(d, engines_);
  ASSERT_TRUE(model.ok()) << model.status();
  ModelInstance& m = **model;
  EXPECT_EQ(m.stats().warmup_runs, 0u);
  EXPECT_THAT(m.stats().reason, HasSubstr("without warm-up"));
  m.fail(Unavailable("worker died: killed by signal 11 (SIGSEGV)"));
  Tensor window(DType::kFloat32, {1, 576});
  const std::vector<Tensor> state(1, Tensor(DType::kFloat32, {2, 1, 128}));
  auto r = m.run(window, state);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("SIGSEGV"));
  m.drain();
  m.unload();
  auto st = m.stats();
  EXPECT_EQ(st.state, ModelState::kFailed);
  EXPECT_THAT(st.reason, HasSubstr("SIGSEGV"));
  EXPECT_EQ(st.errors, 1u);
}

TEST_F(SileroTest, NanOutputsFailThatRequestOnlyAndAreCounted) {
  auto model = ModelInstance::load(silero_doc(), engines_);
  ASSERT_TRUE(model.ok()) << model.status();
  // A NaN in the recurrent state (as a corrupted carried state would be) makes the outputs NaN.
  Tensor window(DType::kFloat32, {1, 576});
  std::vector<Tensor> state(1, Tensor(DType::kFloat32, {2, 1, 128}));
  for (float& v : state[0].values<float>()) v = std::nanf("");
  auto bad = (*model)->run(window, state);
  ASSERT_FALSE(bad.ok()) << "NaN in, finite out?";
  EXPECT_THAT(bad.status().message(), HasSubstr("Model/silero-vad: output \"output\" holds NaN or Inf"));
  for (float& v : state[0].values<float>()) v = 0.0f;
  EXPECT_TRUE((*model)->run(window, state).ok()) << "the next request is served";
  auto st = (*model)->stats();
  EXPECT_EQ(st.errors, 1u);
  EXPECT_EQ(st.runs, 1u);
  EXPECT_EQ(st.state, ModelState::kReady);
}

// Writes `bytes` to a file under the test's temporary directory and returns its path.
std::string write_temp(const std::string& name, const std::string& bytes) {
  auto path = std::filesystem::temp_directory_path() / ("sensix-model-test-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

struct BindCase {
  std::string name;
  std::function<void(ModelDoc*)> damage;
  std::string expected;
  friend void PrintTo(const BindCase& c, std::ostream* os) { *os << c.name; }
};

class BindErrors : public SileroTest, public ::testing::WithParamInterface<BindCase> {};

TEST_P(BindErrors, NameTheDocumentAndTensor) {
  ModelDoc d = silero_doc();
  GetParam().damage(&d);
  auto model = ModelInstance::load(d, engines_);
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("test.yaml: Model/silero-vad"));
  EXPECT_THAT(model.status().message(), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Silero, BindErrors,
    ::testing::Values(
        BindCase{"unknown_input", [](ModelDoc* d) { d->spec.inputs[0].name = "audio"; }, "audio"},
        BindCase{"undeclared_input", [](ModelDoc* d) { d->spec.inputs.pop_back(); }, "sr"},
        BindCase{"wrong_dtype", [](ModelDoc* d) { d->spec.inputs[2].dtype = DType::kFloat32; }, "sr"},
        BindCase{"unknown_output", [](ModelDoc* d) { d->spec.outputs[0].name = "prob"; }, "prob"},
        BindCase{"state_from_undeclared_output",
                 [](ModelDoc* d) { std::get<StateInputSpec>(d->spec.inputs[1].source).from_output = "nope"; }, "nope"},
        BindCase{"state_shape_disagrees",
                 [](ModelDoc* d) {
                   d->spec.inputs[1].shape = Shape{3, 1, 128};
                 },
                 "state"},
        BindCase{"missing_file", [](ModelDoc* d) { d->spec.path = "/nonexistent/x.onnx"; }, "/nonexistent/x.onnx"},
        BindCase{"empty_file", [](ModelDoc* d) { d->spec.path = write_temp("empty.onnx", ""); }, "spec.source"},
        BindCase{"tflite_file_as_onnx",
                 [](ModelDoc* d) { d->spec.path = model_file("mediapipe-face/face_detection_short_range.tflite"); },
                 "spec.source"},
        BindCase{"onnx_file_as_tflite",
                 [](ModelDoc* d) {
                   d->spec.format = ModelFormat::kTflite;
                   d->spec.engine = "tflite";
                 },
                 "spec.source"}),
    [](const ::testing::TestParamInfo<BindCase>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace sensix
