// Inference on request (runtime/request_tasks.h) on a running runtime: the quickstart's voice
// pipeline runs from its recording while requests reach its models through the same scheduler.
// A request gives what the engine called directly gives, bit for bit; every bad request is refused
// with the input, what was expected and what came; a model that an apply removes takes no more.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/parser.h"
#include "e2e_support.h"
#include "engines/registry.h"
#include "runtime/runtime.h"
#include "support/paths.h"
#include "support/wait.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A [1, 16, 96] float32 tensor of embedding-like values, the same every run.
Tensor embeddings(unsigned seed) {
  Tensor t(DType::kFloat32, {1, 16, 96});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-2.0f, 2.0f);
  for (float& v : t.values<float>()) v = d(rng);
  return t;
}

using testing::model_runs;

// The session's first output for `in`, the engine called directly (an empty tensor on failure).
Tensor engine_output(Session& session, const Tensor& in) {
  const Tensor* inputs[] = {&in};
  const int want[] = {0};
  std::vector<Tensor> out;
  const Status s = session.run(inputs, want, &out);
  EXPECT_TRUE(s.ok()) << s;
  return s.ok() && !out.empty() ? std::move(out[0]) : Tensor();
}

// A Device document with one accelerator: ONNX Runtime on one CPU lane, so that requests and the
// sensors' inputs share it.
DeviceDoc one_ort_lane() {
  DeviceDoc device;
  device.origin.file = "device.yaml";
  device.metadata.name = "edge";
  device.spec.accelerators = {{"ort", "onnxruntime", DeviceKind::kCpu, 1}};
  return device;
}

class InferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto all = testing::load_quickstart();
    ASSERT_TRUE(all.ok()) << all.status();
    all_ = std::move(all).value();
    RuntimeOptions o;
    o.loop = true;  // the voice pipeline runs in real time for as long as the test needs
    auto rt = Runtime::create(testing::only_pipelines(all_, {"voice"}), o);
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = std::move(rt).value();
    ASSERT_TRUE(rt_->start().ok());
  }
  void TearDown() override {
    if (rt_) rt_->stop();
  }
  DocumentSet all_;
  std::unique_ptr<Runtime> rt_;
};

TEST_F(InferenceTest, ARequestGivesWhatTheEngineGivesBitForBitBesideTheRunningSensor) {
  EngineRegistry engines;
  auto ort = engines.get("onnxruntime");
  ASSERT_TRUE(ort.ok()) << ort.status();
  auto session = (*ort)->load(testing::model_file("openwakeword/alexa_v0.1.onnx"), SessionOptions{1});
  ASSERT_TRUE(session.ok()) << session.status();

  RequestTasks& requests = rt_->requests();
  EXPECT_THAT(requests.models(), ::testing::Contains("alexa"));
  auto sig = requests.signature("alexa");
  ASSERT_TRUE(sig.ok()) << sig.status();
  ASSERT_EQ(sig->inputs.size(), 1u);
  EXPECT_EQ(sig->inputs[0].name, "onnx::Flatten_0");
  EXPECT_EQ(sig->inputs[0].dtype, DType::kFloat32);
  EXPECT_EQ(sig->inputs[0].shape, (Shape{1, 16, 96}));
  ASSERT_EQ(sig->outputs.size(), 1u);
  EXPECT_EQ(sig->outputs[0].name, "13");
  EXPECT_EQ(sig->stateful, "");

  const uint64_t sensor_runs = model_runs(*rt_, "alexa");
  for (unsigned seed = 1; seed <= 20; ++seed) {
    const Tensor in = embeddings(seed);
    std::vector<NamedTensor> inputs;
    inputs.push_back(NamedTensor{"onnx::Flatten_0", in});
    auto got = requests.infer("alexa", std::move(inputs));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ((*got)[0].name, "13");
    const Tensor direct = engine_output(**session, in);
    const Tensor& a = (*got)[0].tensor;
    ASSERT_EQ(a.shape(), direct.shape());
    ASSERT_EQ(a.byte_size(), direct.byte_size());
    EXPECT_EQ(std::memcmp(a.data(), direct.data(), a.byte_size()), 0) << "seed " << seed;
  }
  // The sensor's stream kept running meanwhile.
  EXPECT_TRUE(testing::eventually([&] { return model_runs(*rt_, "alexa") > sensor_runs + 20; }, 30s));
}

// A model that batches runs requests in the engine runs of its sensor's frames (runtime/shared_runs.h):
// the quickstart's embedding model, batching up to 4 inputs and waiting up to 200 ms for them, runs
// from the recording in real time (an input every 80 ms) while requests come one after the other, so
// each request waits for the next frame's input and runs with it. Each request still gets what the
// engine gives its input alone; the frames' results still reach the wake-word heads below.
TEST(InferenceSharedRuns, RequestsToABatchingModelRunInTheEngineRunsOfItsSensorsFrames) {
  auto all = testing::load_quickstart();
  ASSERT_TRUE(all.ok()) << all.status();
  DocumentSet set = testing::only_pipelines(*all, {"voice"});
  auto embedding = std::find_if(set.models.begin(), set.models.end(),
                                [](const ModelDoc& m) { return m.metadata.name == "oww-embedding"; });
  ASSERT_NE(embedding, set.models.end());
  embedding->spec.scheduling.batch = BatchSpec{4, 200'000'000};
  embedding->spec.scheduling.latency_ns = 0;  // no objective: a batch waits its whole delay
  RuntimeOptions o;
  o.loop = true;
  auto rt = Runtime::create(set, o);
  ASSERT_TRUE(rt.ok()) << rt.status();
  ASSERT_TRUE((*rt)->start().ok());

  EngineRegistry engines;
  auto ort = engines.get("onnxruntime");
  ASSERT_TRUE(ort.ok()) << ort.status();
  auto session = (*ort)->load(testing::model_file("openwakeword/embedding_model.onnx"), SessionOptions{1});
  ASSERT_TRUE(session.ok()) << session.status();
  const uint64_t heads_before = model_runs(**rt, "hey-jarvis");
  constexpr int kRequests = 12;
  for (unsigned seed = 1; seed <= kRequests; ++seed) {
    Tensor in(DType::kFloat32, {1, 76, 32, 1});
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(0.0f, 2.0f);
    for (float& v : in.values<float>()) v = d(rng);
    auto got = (*rt)->requests().infer("oww-embedding", {NamedTensor{"input_1", in}});
    ASSERT_TRUE(got.ok()) << got.status();
    const Tensor direct = engine_output(**session, in);
    const Tensor& a = (*got)[0].tensor;
    ASSERT_EQ(a.shape(), direct.shape());
    auto x = a.values<float>();
    auto y = direct.values<float>();
    for (size_t k = 0; k < x.size(); ++k) ASSERT_NEAR(x[k], y[k], 1e-4) << "request " << seed << ", output " << k;
  }
  auto st = (*rt)->requests().stats("oww-embedding");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->inferences, static_cast<uint64_t>(kRequests));
  // Each request found the sensor's input queued, or one came within the batch delay: all ran with
  // frames. Allow a few alone (a stall of the real-time replay under a sanitizer).
  EXPECT_GE(st->shared_executions, static_cast<uint64_t>(kRequests) - 3) << "of " << st->executions << " runs";
  // The sensor's task counts them too: the scheduler records a run once it has ended, after the
  // request was answered inside it, so the last one may still be on its way.
  uint64_t sensor_shared = 0;
  EXPECT_TRUE(testing::eventually(
      [&] {
        const RuntimeStats now = (*rt)->stats();
        const auto* m = testing::model_stats_of(now, "oww-embedding");
        sensor_shared = m ? m->sched.shared_runs : 0;
        return sensor_shared >= st->shared_executions;
      },
      10s))
      << sensor_shared << " runs shared on the sensor's side, " << st->shared_executions << " on the requests'";
  const auto stats = (*rt)->stats();
  const auto* m = testing::model_stats_of(stats, "oww-embedding");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->model.errors, 0u) << m->model.last_error;
  EXPECT_TRUE(testing::eventually([&] { return model_runs(**rt, "hey-jarvis") > heads_before + 10; }, 30s))
      << "the frames' embeddings reach the heads";
  (*rt)->stop();
}

TEST_F(InferenceTest, BadRequestsAreRefusedNamingTheInputWhatWasExpectedAndWhatCame) {
  RequestTasks& requests = rt_->requests();
  auto refused = [&](const std::string& model, std::vector<NamedTensor> inputs) {
    auto r = requests.infer(model, std::move(inputs));
    EXPECT_FALSE(r.ok());
    return r.ok() ? Status::Ok() : r.status();
  };
  Status s = refused("nope", {});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("no model named \"nope\""));

  s = refused("alexa", {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("input \"onnx::Flatten_0\" is missing"));

  s = refused("alexa", {NamedTensor{"x", embeddings(1)}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unknown input \"x\" (the model takes one input, \"onnx::Flatten_0\")"));

  s = refused("alexa", {NamedTensor{"onnx::Flatten_0", Tensor(DType::kInt64, {1, 16, 96})}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("input \"onnx::Flatten_0\": expected float32, got int64"));

  s = refused("alexa", {NamedTensor{"onnx::Flatten_0", Tensor(DType::kFloat32, {1, 15, 96})}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("input \"onnx::Flatten_0\": expected shape [1, 16, 96], got [1, 15, 96]"));

  s = refused("alexa", {NamedTensor{"onnx::Flatten_0", embeddings(1)}, NamedTensor{"onnx::Flatten_0", embeddings(2)}});
  EXPECT_THAT(s.message(), HasSubstr("given twice"));

  // Silero VAD keeps its recurrent state between runs: a plain request has nowhere to keep it.
  auto vad = requests.signature("silero-vad");
  ASSERT_TRUE(vad.ok()) << vad.status();
  EXPECT_THAT(vad->stateful, HasSubstr("state input"));
  s = refused("silero-vad", {NamedTensor{vad->inputs[0].name, Tensor(vad->inputs[0].dtype, vad->inputs[0].shape)}});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("keeps state between runs"));
}

TEST_F(InferenceTest, AModelThatAnApplyRemovesTakesNoMoreRequestsAndANewOneDoes) {
  RequestTasks& requests = rt_->requests();
  EXPECT_THAT(requests.models(), ::testing::Not(::testing::Contains("blazeface")));
  auto applied = rt_->apply(testing::only_pipelines(all_, {"vision"}));
  ASSERT_TRUE(applied.ok()) << applied.status();
  auto s = requests.infer("alexa", {NamedTensor{"onnx::Flatten_0", embeddings(1)}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  auto sig = requests.signature("blazeface");
  ASSERT_TRUE(sig.ok()) << sig.status();
  ASSERT_EQ(sig->inputs.size(), 1u);
  auto got = requests.infer("blazeface",
                            {NamedTensor{sig->inputs[0].name, Tensor(sig->inputs[0].dtype, sig->inputs[0].shape)}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), sig->outputs.size());
}

}  // namespace
}  // namespace sensix

namespace sensix {
namespace {

using namespace std::chrono_literals;

// Requests that saturate a low-priority model, on the one ONNX Runtime lane that also runs the
// high-priority wake-word chain from its recording in real time: the chain is never skipped and
// keeps its objective (the quickstart's 100 ms), because a request is an input of the model's
// class on the same scheduler (blocking-aware dispatch keeps the lane for the chain's next input;
// under congestion the low class is admitted at a reduced rate and the rest refused at once).
TEST(InferenceUnderLoad, RequestsToALowPriorityModelNeverPushTheHighPriorityChainPastItsObjective) {
  auto all = testing::load_quickstart();
  ASSERT_TRUE(all.ok()) << all.status();
  DocumentSet set = testing::only_pipelines(*all, {"voice"});
  auto mlsd = parse_document_files({std::string(SENSIX_SOURCE_DIR) + "/examples/zoo/mlsd.yaml"});
  ASSERT_TRUE(mlsd.ok()) << mlsd.status();
  ModelDoc lines = mlsd->models.at(0);
  lines.spec.scheduling.priority = Priority::kLow;
  lines.spec.scheduling.latency_ns = 500'000'000;
  set.models.push_back(lines);  // no pipeline: served on request only
  set.devices.push_back(one_ort_lane());
  RuntimeOptions o;
  o.loop = true;
  o.allow_empty = true;  // as `sensix serve`: every model document is loaded
  auto rt = Runtime::create(set, o);
  ASSERT_TRUE(rt.ok()) << rt.status();
  ASSERT_TRUE((*rt)->start().ok());
  auto sig = (*rt)->requests().signature("mlsd");
  ASSERT_TRUE(sig.ok()) << sig.status();
  ASSERT_EQ(sig->inputs.size(), 1u);
  const TensorSignature input = sig->inputs[0];

  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, refused{0}, other{0};
  std::string other_error;
  std::mutex mu;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      while (!done) {
        Tensor t(input.dtype, input.shape);
        std::memset(t.data(), 0, t.byte_size());
        auto out = (*rt)->requests().infer("mlsd", {NamedTensor{input.name, std::move(t)}});
        if (out.ok()) {
          ++answered;
        } else if (out.status().code() == StatusCode::kUnavailable) {
          ++refused;
        } else {
          ++other;
          std::lock_guard<std::mutex> lock(mu);
          other_error = out.status().message();
        }
      }
    });
  }
  std::this_thread::sleep_for(5s);
  done = true;
  for (auto& t : clients) t.join();
  (*rt)->stop();

  EXPECT_GT(answered.load(), 10) << "refused " << refused << "; the lane ran the requests between the chain's inputs";
  EXPECT_EQ(other.load(), 0) << other_error;
  const RuntimeStats stats = (*rt)->stats();
  std::cout << "mlsd requests: " << answered << " answered, " << refused << " refused\n";
  for (const auto& m : stats.models) {
    std::cout << m.model.name << ": runs " << m.model.runs << ", misses " << m.sched.deadline_misses << ", skipped "
              << m.sched.skipped << ", e2e p99 " << m.model.end_to_end.percentile_ns(99) / 1e6 << " ms\n";
  }
  for (const auto& m : stats.models) {
    if (m.sched.objective_ns == 0 || m.model.name == "mlsd") continue;
    EXPECT_GT(m.model.runs, 0u) << m.model.name;
    EXPECT_EQ(m.sched.skipped, 0u) << m.model.name << ": high priority is never skipped";
#if !defined(__SANITIZE_ADDRESS__)
    // As the scheduling tests allow on a shared 2-core machine: at most 2% of its runs late.
    EXPECT_LE(m.sched.deadline_misses * 50, m.model.runs)
        << m.model.name << ": " << m.sched.deadline_misses << " of " << m.model.runs << " runs missed "
        << m.sched.objective_ns / 1'000'000 << " ms; " << answered << " requests answered, " << refused << " refused";
#endif
  }
}

// A request may ask for another priority class than its model's (parameters.priority): on one lane,
// a high-priority request submitted behind a queue of normal ones runs before them, and a request
// that asks for nothing runs in the model's class.
TEST(InferenceUnderLoad, AHighPriorityRequestOvertakesTheQueuedNormalOnes) {
  auto mlsd = parse_document_files({std::string(SENSIX_SOURCE_DIR) + "/examples/zoo/mlsd.yaml"});
  ASSERT_TRUE(mlsd.ok()) << mlsd.status();
  DocumentSet set;
  set.models.push_back(mlsd->models.at(0));  // normal priority, no pipeline
  set.devices.push_back(one_ort_lane());
  RuntimeOptions o;
  o.allow_empty = true;
  auto rt = Runtime::create(set, o);
  ASSERT_TRUE(rt.ok()) << rt.status();
  ASSERT_TRUE((*rt)->start().ok());
  auto sig = (*rt)->requests().signature("mlsd");
  ASSERT_TRUE(sig.ok()) << sig.status();
  const TensorSignature input = sig->inputs.at(0);
  auto request = [&] {
    Tensor t(input.dtype, input.shape);
    std::memset(t.data(), 0, t.byte_size());
    return std::vector<NamedTensor>{NamedTensor{input.name, std::move(t)}};
  };

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> order;  // who was answered, in order
  int errors = 0;
  // Every request made before the first is asked, so that they are asked microseconds apart (one
  // mlsd run takes tens of milliseconds, more under the sanitizers).
  std::vector<std::vector<NamedTensor>> requests;
  for (int i = 0; i < 7; ++i) requests.push_back(request());
  auto ask = [&](const std::string& who, std::optional<Priority> p) {
    std::vector<NamedTensor> inputs = std::move(requests.back());
    requests.pop_back();
    RequestTasks::Options options;
    options.timeout = 60s;
    options.priority = p;
    (*rt)->requests().infer_async("mlsd", std::move(inputs), std::move(options),
                                  [&, who](Result<std::vector<NamedTensor>> r, std::string_view) {
                                    std::lock_guard<std::mutex> lock(mu);
                                    order.push_back(who);
                                    errors += r.ok() ? 0 : 1;
                                    cv.notify_all();
                                  });
  };
  // The first runs at once; the next five wait in the normal class's queue (64 places) ...
  for (int i = 0; i < 6; ++i)
    ask("normal-" + std::to_string(i), i % 2 == 0 ? std::nullopt : std::optional(Priority::kNormal));
  // ... and the high one, asked last, runs next.
  ask("high", Priority::kHigh);
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 120s, [&] { return order.size() == 7; })) << order.size() << " answered";
  EXPECT_EQ(errors, 0);
  const auto high = std::find(order.begin(), order.end(), "high") - order.begin();
  EXPECT_LE(high, 2) << "answered in the order " << ::testing::PrintToString(order);
  lock.unlock();
  (*rt)->stop();
}

}  // namespace
}  // namespace sensix
