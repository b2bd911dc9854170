// The conformance suite: what every engine must do, on the real cached models. Each case runs on
// every engine in this process (ONNX Runtime, TFLite) and on the worker wrapping each (a
// ProcessSession: the model in sensix-worker), each engine with its own models and expected
// messages (EngineCase). An engine not built, or whose library is not in the cache, is skipped with
// the reason. Cases only one engine has are in its folder (onnxruntime/, tflite/); the worker's
// faults (crash, hang, leak...) are in worker/process_session_test.cpp; whether the engines agree
// with each other is cross_engine_test.cpp.
//
// Adding an engine: one EngineCase in engine_cases() (its worker twin comes with it).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/paths.h"
#include "engines/registry.h"
#include "engines/worker/process_session.h"
#include "support/paths.h"
#include "support/temp_dir.h"
#include "support/tensors.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;
using testing::model_file;
using testing::random_tensor;

constexpr auto F = DType::kFloat32;

struct DescribeCase {
  std::string file;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

// What one engine is tested with: its models, and what it answers.
struct EngineCase {
  std::string engine;          // the registry's name
  bool built = false;          // compiled into this build
  std::string library;         // its library in the cache
  std::string version_prefix;  // of version()
  ModelFormat format;
  ModelFormat other_format;
  std::string extension;  // ".onnx"
  std::vector<DescribeCase> described;
  // A detector of static shapes with several outputs: its input, outputs, one output that must not be
  // all zero, and two outputs asked in reverse order.
  struct {
    std::string file;
    Shape input;
    uint32_t seed;
    std::vector<Shape> outputs;
    int nonzero_output;
    std::vector<int> subset;
  } detector;
  // A model with a dynamic batch dim: [N, 76, 32, 1] -> [N, 1, 1, 96].
  std::string batch_model;
  // Loaded and run from two threads at once.
  struct {
    std::string file;
    Shape input;
    uint32_t seed;
    float lo, hi;
    Shape output;
  } concurrent;
  // Load errors: a model to truncate and to load with zero threads, a text file, and what each
  // bad file is answered with.
  std::string load_model;
  std::string text;
  std::string text_error, empty_error, truncated_error, other_format_error;
  std::string other_format_model;
  // Run errors on a head [1, 16, 96] -> [1, 1]: its input's name and an integer type that is wrong.
  std::string head_model;
  std::string head_input;
  DType wrong_dtype;
};

const std::vector<EngineCase>& engine_cases() {
  static const std::vector<EngineCase> cases = {
      {.engine = "onnxruntime",
       .built = EngineRegistry::compiled_in("onnxruntime"),
       .library = cache_dir() + "/engines/onnxruntime/lib/libonnxruntime.so.1",
       .version_prefix = "1.",
       .format = ModelFormat::kOnnx,
       .other_format = ModelFormat::kTflite,
       .extension = ".onnx",
       .described = {{"silero-vad/silero_vad_v5.onnx",
                      {{"input", F, {-1, -1}}, {"state", F, {2, -1, 128}}, {"sr", DType::kInt64, {}}},
                      {{"output", F, {-1, 1}}, {"stateN", F, {-1, -1, -1}}}},
                     {"openwakeword/melspectrogram.onnx", {{"input", F, {-1, -1}}}, {{"output", F, {-1, 1, -1, 32}}}},
                     {"openwakeword/embedding_model.onnx",
                      {{"input_1", F, {-1, 76, 32, 1}}},
                      {{"conv2d_19", F, {-1, 1, 1, 96}}}},
                     {"openwakeword/hey_jarvis_v0.1.onnx", {{"x.1", F, {1, 16, 96}}}, {{"53", F, {1, 1}}}},
                     {"openwakeword/alexa_v0.1.onnx", {{"onnx::Flatten_0", F, {1, 16, 96}}}, {{"13", F, {1, 1}}}},
                     {"openwakeword/hey_mycroft_v0.1.onnx", {{"onnx::Flatten_0", F, {1, 16, 96}}}, {{"39", F, {1, 1}}}},
                     {"blazeface/face_detection_front_128x128_barracuda.onnx",
                      {{"input:0", F, {1, 128, 128, 3}}},
                      {{"Identity:0", F, {1, 512, 1}},
                       {"Identity_1:0", F, {1, 384, 1}},
                       {"Identity_2:0", F, {1, 512, 16}},
                       {"Identity_3:0", F, {1, 384, 16}}}}},
       .detector = {"blazeface/face_detection_front_128x128_barracuda.onnx",
                    {1, 128, 128, 3},
                    7,
                    {{1, 512, 1}, {1, 384, 1}, {1, 512, 16}, {1, 384, 16}},
                    2,
                    {3, 0}},
       .batch_model = "openwakeword/embedding_model.onnx",
       .concurrent = {"openwakeword/embedding_model.onnx", {1, 76, 32, 1}, 11, 0.f, 3.f, {1, 1, 1, 96}},
       .load_model = "openwakeword/embedding_model.onnx",
       .text = "this is not a model\n",
       .text_error = "Protobuf parsing failed",
       .empty_error = "not a model ONNX Runtime can load",
       .truncated_error = "not a model ONNX Runtime can load",
       .other_format_error = "not a model ONNX Runtime can load",
       .other_format_model = "openwakeword/embedding_model.tflite",
       .head_model = "openwakeword/hey_jarvis_v0.1.onnx",
       .head_input = "x.1",
       .wrong_dtype = DType::kInt64},
      {.engine = "tflite",
       .built = EngineRegistry::compiled_in("tflite"),
       .library = cache_dir() + "/engines/tflite/lib/libtensorflowlite_c.so",
       .version_prefix = "2.",
       .format = ModelFormat::kTflite,
       .other_format = ModelFormat::kOnnx,
       .extension = ".tflite",
       .described = {{"mediapipe-objectron/ssd_mobilenetv2_oidv4_fp16.tflite",
                      {{"normalized_input_image_tensor", F, {1, 300, 300, 3}}},
                      {{"raw_outputs/box_encodings", F, {1, 1917, 4}},
                       {"raw_outputs/class_predictions", F, {1, 1917, 24}}}},
                     {"openwakeword/embedding_model.tflite",
                      {{"serving_default_input_1:0", F, {-1, 76, 32, 1}}},
                      {{"StatefulPartitionedCall:0", F, {-1, 1, 1, 96}}}},
                     {"openwakeword/hey_jarvis_v0.1.tflite",
                      {{"serving_default_x.1:0", F, {1, 16, 96}}},
                      {{"PartitionedCall:0", F, {1, 1}}}},
                     {"openwakeword/alexa_v0.1.tflite",
                      {{"serving_default_onnx_tf__tf_Flatten_0_79e3d279:0", F, {1, 16, 96}}},
                      {{"PartitionedCall:0", F, {1, 1}}}},
                     {"openwakeword/hey_mycroft_v0.1.tflite",
                      {{"serving_default_onnx_tf__tf_Flatten_0_5dbfc9d8:0", F, {1, 16, 96}}},
                      {{"PartitionedCall:0", F, {1, 1}}}}},
       .detector = {"mediapipe-objectron/ssd_mobilenetv2_oidv4_fp16.tflite",
                    {1, 300, 300, 3},
                    9,
                    {{1, 1917, 4}, {1, 1917, 24}},
                    0,
                    {1, 0}},
       .batch_model = "openwakeword/embedding_model.tflite",
       .concurrent = {"openwakeword/hey_jarvis_v0.1.tflite", {1, 16, 96}, 4, -5.f, 5.f, {1, 1}},
       .load_model = "openwakeword/hey_jarvis_v0.1.tflite",
       .text = "this is a text file, not a model at all\n",
       .text_error = "not the FlatBuffer identifier \"TFL3\"",
       .empty_error = "the file has 0 bytes",
       .truncated_error = "TFLite rejected the FlatBuffer",
       .other_format_error = "not a TFLite model",
       .other_format_model = "openwakeword/hey_jarvis_v0.1.onnx",
       .head_model = "openwakeword/hey_jarvis_v0.1.tflite",
       .head_input = "serving_default_x.1:0",
       .wrong_dtype = DType::kInt32},
  };
  return cases;
}

// One engine, in this process or in the worker.
struct Param {
  size_t engine;  // index in engine_cases()
  bool in_worker;
};

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  const std::string& engine = engine_cases()[info.param.engine].engine;
  return info.param.in_worker ? "worker_" + engine : engine;
}

std::vector<Param> params(bool with_workers) {
  std::vector<Param> out;
  for (size_t i = 0; i < engine_cases().size(); ++i) out.push_back({i, false});
  for (size_t i = 0; with_workers && i < engine_cases().size(); ++i) out.push_back({i, true});
  return out;
}

void expect_infos(const std::vector<TensorInfo>& got, const std::vector<TensorInfo>& want) {
  ASSERT_EQ(got.size(), want.size()) << describe_tensors(got);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name) << "tensor " << i;
    EXPECT_EQ(got[i].dtype, want[i].dtype) << want[i].name;
    EXPECT_EQ(got[i].shape, want[i].shape) << want[i].name;
  }
}

class EngineConformanceTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    auto engine = registry().get(ec().engine);
    if (!ec().built) GTEST_SKIP() << engine.status();
    SENSIX_REQUIRE_FILE(ec().library);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *engine;
    if (GetParam().in_worker) {
      auto exe = find_worker_executable();
      ASSERT_TRUE(exe.ok()) << exe.status();
    }
  }
  const EngineCase& ec() const { return engine_cases()[GetParam().engine]; }
  // The engines, loaded once for the whole suite.
  static EngineRegistry& registry() {
    static EngineRegistry* r = new EngineRegistry;  // never freed: sessions may outlive a test
    return *r;
  }
  // A session on the model at `path`: the engine's own, or one in a worker running that engine.
  Result<std::unique_ptr<Session>> open(const std::string& path, SessionOptions options) {
    if (!GetParam().in_worker) return engine_->load(path, options);
    WorkerOptions o;
    o.engine = ec().engine;
    o.model_path = path;
    o.session = options;
    o.label = "Model/conformance";
    o.timeout = std::chrono::seconds(30);  // a loaded machine is slow; timeouts are process_session_test's
    SENSIX_ASSIGN_OR_RETURN(auto session, ProcessSession::start(o));
    return std::unique_ptr<Session>(std::move(session));
  }
  std::unique_ptr<Session> load(const std::string& relative, int threads = 1) {
    auto s = open(model_file(relative), SessionOptions{threads});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  Engine* engine_ = nullptr;
};

// What only an Engine has (a worker is a Session).
class EngineIdentityTest : public EngineConformanceTest {};

TEST_P(EngineIdentityTest, IdentifiesItself) {
  EXPECT_EQ(engine_->name(), ec().engine);
  EXPECT_THAT(engine_->version(), ::testing::StartsWith(ec().version_prefix));
  EXPECT_TRUE(engine_->supports(ec().format));
  EXPECT_FALSE(engine_->supports(ec().other_format));
}

TEST_P(EngineConformanceTest, DescribesRealModels) {
  for (const auto& c : ec().described) {
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
    EXPECT_EQ(session->memory().file_bytes, static_cast<int64_t>(std::filesystem::file_size(model_file(c.file))));
    EXPECT_GE(session->memory().resident_bytes, 0);
  }
}

TEST_P(EngineConformanceTest, DetectorRunsAndReusesOutputBuffers) {
  const auto& d = ec().detector;
  SENSIX_REQUIRE_FILE(model_file(d.file));
  auto session = load(d.file, 2);
  ASSERT_NE(session, nullptr);
  Tensor image = random_tensor(d.input, d.seed, -1.f, 1.f);
  const Tensor* in[] = {&image};
  std::vector<int> all(d.outputs.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  std::vector<Tensor> out;
  Status s = session->run(in, all, &out);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(out.size(), d.outputs.size());
  std::vector<const std::byte*> buffers;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].shape(), d.outputs[i]);
    EXPECT_TRUE(testing::all_finite(out[i]));
    buffers.push_back(out[i].data());
  }
  EXPECT_GT(testing::max_abs(out[d.nonzero_output]), 0.0) << "box regressors all zero";
  // Same input, same answer; the output tensors are reused.
  std::vector<Tensor> first = out;
  ASSERT_TRUE(session->run(in, all, &out).ok());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].data(), buffers[i]) << "static output " << i << " was reallocated";
    EXPECT_EQ(testing::max_abs_diff(out[i], first[i]), 0.0) << "not deterministic";
  }
  // A subset, in a chosen order, gives the same values.
  std::vector<Tensor> subset;
  ASSERT_TRUE(session->run(in, d.subset, &subset).ok());
  ASSERT_EQ(subset.size(), d.subset.size());
  for (size_t k = 0; k < subset.size(); ++k) {
    EXPECT_EQ(testing::max_abs_diff(subset[k], first[static_cast<size_t>(d.subset[k])]), 0.0) << "output " << k;
  }
}

TEST_P(EngineConformanceTest, DynamicBatchResizesAndMatchesSingleRuns) {
  SENSIX_REQUIRE_FILE(model_file(ec().batch_model));
  auto session = load(ec().batch_model);
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

TEST_P(EngineConformanceTest, ConcurrentLoadsAndRunsAgree) {
  const auto& c = ec().concurrent;
  SENSIX_REQUIRE_FILE(model_file(c.file));
  Tensor input = random_tensor(c.input, c.seed, c.lo, c.hi);
  std::vector<Tensor> results(2);
  std::vector<Status> statuses(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto s = open(model_file(c.file), SessionOptions{1});
      if (!s.ok()) {
        statuses[t] = s.status();
        return;
      }
      const Tensor* in[] = {&input};
      const int want[] = {0};
      std::vector<Tensor> out;
      statuses[t] = (*s)->run(in, want, &out);
      if (statuses[t].ok()) results[t] = out[0];
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 2; ++t) ASSERT_TRUE(statuses[t].ok()) << statuses[t];
  EXPECT_EQ(results[0].shape(), c.output);
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

TEST_P(EngineConformanceTest, LoadErrorsAreClearAndNeverCrash) {
  const std::string good = model_file(ec().load_model);
  SENSIX_REQUIRE_FILE(good);
  const std::string ext = ec().extension;
  const std::vector<LoadErrorCase> cases = {
      {"missing file", "/nonexistent/model" + ext, StatusCode::kNotFound, "no such model file"},
      {"text file", testing::write_temp_file("notes" + ext, ec().text), StatusCode::kInvalidArgument, ec().text_error},
      {"empty file", testing::write_temp_file("empty" + ext, ""), StatusCode::kInvalidArgument, ec().empty_error},
      {"truncated model", testing::truncated_copy(good, "truncated" + ext, 5000), StatusCode::kInvalidArgument,
       ec().truncated_error},
      {"a directory", std::filesystem::temp_directory_path().string(), StatusCode::kInvalidArgument,
       "not a regular file"},
      {"a model of the other format", model_file(ec().other_format_model), StatusCode::kInvalidArgument,
       ec().other_format_error},
      {"zero threads", good, StatusCode::kInvalidArgument, "intra_op_threads", SessionOptions{0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    auto s = open(c.path, c.options);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), c.code) << s.status();
    EXPECT_THAT(s.status().message(), HasSubstr(c.message_part));
    EXPECT_THAT(s.status().message(), HasSubstr(c.path)) << "the message names the file";
  }
}

TEST_P(EngineConformanceTest, RunErrorsNameTheTensor) {
  const std::string& file = ec().head_model;
  SENSIX_REQUIRE_FILE(model_file(file));
  auto session = load(file);
  ASSERT_NE(session, nullptr);
  Tensor good = random_tensor({1, 16, 96}, 5, 0.f, 1.f);
  Tensor short_time = random_tensor({1, 15, 96}, 5, 0.f, 1.f);
  Tensor rank2 = random_tensor({16, 96}, 5, 0.f, 1.f);
  Tensor ints(ec().wrong_dtype, {1, 16, 96});
  Tensor no_data;
  const std::string& name = ec().head_input;
  const std::string ints_name(dtype_name(ec().wrong_dtype));
  struct Case {
    std::string label;
    std::vector<const Tensor*> inputs;
    std::vector<int> outputs;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"no inputs", {}, {0}, "has 1 input(s) (" + name + " (float32 [1, 16, 96])), run() got 0"},
      {"two inputs", {&good, &good}, {0}, "run() got 2"},
      {"wrong dim",
       {&short_time},
       {0},
       "input \"" + name + "\": expected float32 [1, 16, 96], got float32 [1, 15, 96]"},
      {"wrong rank", {&rank2}, {0}, "got float32 [16, 96]"},
      {"wrong dtype", {&ints}, {0}, "got " + ints_name + " [1, 16, 96]"},
      {"no data", {&no_data}, {0}, "input \"" + name + "\""},
      {"null tensor", {nullptr}, {0}, "input \"" + name + "\" is null"},
      {"output index too big", {&good}, {1}, "output index 1 is out of range"},
      {"negative output index", {&good}, {-1}, "output index -1 is out of range"},
  };
  const std::string file_name = std::filesystem::path(file).filename().string();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    std::vector<Tensor> out;
    Status s = session->run(c.inputs, c.outputs, &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(c.message_part));
    // A worker's messages name the worker, not the model: its caller adds "Model/x: " (process_session.h).
    if (!GetParam().in_worker) {
      EXPECT_THAT(s.message(), HasSubstr(file_name)) << "names the model";
    }
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

INSTANTIATE_TEST_SUITE_P(Engines, EngineIdentityTest, ::testing::ValuesIn(params(false)), param_name);
INSTANTIATE_TEST_SUITE_P(Engines, EngineConformanceTest, ::testing::ValuesIn(params(true)), param_name);

}  // namespace
}  // namespace sensix
