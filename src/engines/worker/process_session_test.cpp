// ProcessSession on the real cached models: the worker gives the same bits as the engine in this
// process, and a worker that crashes, aborts, exits, hangs, garbles its reply or leaks (made to,
// through the SENSIX_WORKER_FAULT test hook, during a real run) fails only its own requests, is
// restarted with back-off, and fails for good after max_attempts.
#include "engines/worker/process_session.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/env.h"
#include "common/paths.h"
#include "engines/registry.h"
#include "support/paths.h"
#include "support/scoped_env.h"
#include "support/temp_dir.h"
#include "support/tensors.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::model_file;
using testing::random_tensor;
using testing::ScopedEnv;

constexpr const char* kBlazeFace = "blazeface/face_detection_front_128x128_barracuda.onnx";

bool process_exists(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// Polls until `cond` holds or 10 s pass.
bool eventually(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class ProcessSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SENSIX_REQUIRE_FILE(cache_dir() + "/engines/onnxruntime/lib/libonnxruntime.so.1");
    SENSIX_REQUIRE_FILE(model_file(kBlazeFace));
    auto exe = find_worker_executable();
    ASSERT_TRUE(exe.ok()) << exe.status();
  }
  static WorkerOptions options(const std::string& relative) {
    WorkerOptions o;
    o.engine = "onnxruntime";
    o.model_path = model_file(relative);
    o.label = "Model/test";
    o.initial_delay = 0.05;
    o.max_delay = 0.2;
    return o;
  }
  static std::unique_ptr<ProcessSession> start(const WorkerOptions& o) {
    auto s = ProcessSession::start(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // One BlazeFace run on a fixed random image.
  static Status run_face(Session& s, std::vector<Tensor>* out, uint32_t seed = 7) {
    Tensor image = random_tensor({1, 128, 128, 3}, seed, -1.f, 1.f);
    const Tensor* in[] = {&image};
    const int all[] = {0, 1, 2, 3};
    return s.run(in, all, out);
  }
};

void expect_same_bits(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].dtype(), b[i].dtype()) << "output " << i;
    ASSERT_EQ(a[i].shape(), b[i].shape()) << "output " << i;
    EXPECT_EQ(std::memcmp(a[i].data(), b[i].data(), a[i].byte_size()), 0) << "output " << i << " differs";
  }
}

TEST_F(ProcessSessionTest, GivesTheSameBitsAsTheEngineInThisProcess) {
  EngineRegistry engines;
  auto engine = engines.get("onnxruntime");
  ASSERT_TRUE(engine.ok()) << engine.status();
  for (const char* file : {kBlazeFace, "silero-vad/silero_vad_v5.onnx", "openwakeword/melspectrogram.onnx"}) {
    SCOPED_TRACE(file);
    SENSIX_REQUIRE_FILE(model_file(file));
    auto local = (*engine)->load(model_file(file), SessionOptions{});
    ASSERT_TRUE(local.ok()) << local.status();
    auto remote = start(options(file));
    ASSERT_NE(remote, nullptr);
    EXPECT_EQ(describe_tensors(remote->inputs()), describe_tensors((*local)->inputs()));
    EXPECT_EQ(describe_tensors(remote->outputs()), describe_tensors((*local)->outputs()));
    EXPECT_EQ(remote->memory().file_bytes, static_cast<int64_t>(std::filesystem::file_size(model_file(file))));
    EXPECT_GT(remote->memory().resident_bytes, 1 << 20) << "the worker's resident memory";
    EXPECT_GT(remote->health().pid, 0);
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      std::vector<Tensor> inputs;
      for (const auto& info : (*local)->inputs()) {
        Shape shape = info.shape;
        // Dynamic dims: silero [1, 576] and state [2, 1, 128]; the mel model a growing clip
        // (seed 3: 10 s of audio, far more than the first shared memory holds).
        for (size_t d = 0; d < shape.size(); ++d) {
          const bool mel = std::string_view(file).find("mel") != std::string_view::npos;
          if (shape[d] < 0) shape[d] = d == 0 ? 1 : info.name != "input" ? 1 : !mel ? 576 : seed == 3 ? 160000 : 1760;
        }
        if (info.dtype == DType::kInt64) {
          const int64_t sr = 16000;
          inputs.push_back(Tensor::from_values<int64_t>(shape, std::span<const int64_t>(&sr, 1)));
        } else {
          inputs.push_back(random_tensor(shape, seed, -1.f, 1.f));
        }
      }
      std::vector<const Tensor*> in;
      for (const auto& t : inputs) in.push_back(&t);
      std::vector<int> all;
      for (size_t i = 0; i < (*local)->outputs().size(); ++i) all.push_back(static_cast<int>(i));
      std::vector<Tensor> want, got;
      ASSERT_TRUE((*local)->run(in, all, &want).ok());
      Status s = remote->run(in, all, &got);
      ASSERT_TRUE(s.ok()) << s;
      expect_same_bits(got, want);
    }
  }
}

TEST_F(ProcessSessionTest, BadTensorsGetTheSameMessagesAsInProcess) {
  EngineRegistry engines;
  auto local = (*engines.get("onnxruntime"))->load(model_file(kBlazeFace), SessionOptions{});
  ASSERT_TRUE(local.ok());
  auto remote = start(options(kBlazeFace));
  ASSERT_NE(remote, nullptr);
  Tensor wrong = random_tensor({1, 64, 64, 3}, 1, 0.f, 1.f);
  const Tensor* in[] = {&wrong};
  const int all[] = {0};
  std::vector<Tensor> out;
  Status a = (*local)->run(in, all, &out);
  Status b = remote->run(in, all, &out);
  EXPECT_FALSE(b.ok());
  EXPECT_THAT(b.message(), HasSubstr("expected float32 [1, 128, 128, 3], got float32 [1, 64, 64, 3]"));
  EXPECT_EQ(b.code(), a.code());
  // The worker is still there and serves the next run.
  EXPECT_EQ(remote->health().failures, 0u);
  EXPECT_TRUE(run_face(*remote, &out).ok());
}

TEST_F(ProcessSessionTest, LoadErrorsComeBackFromTheWorker) {
  WorkerOptions o = options(kBlazeFace);
  o.model_path = "/nonexistent/model.onnx";
  auto missing = ProcessSession::start(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status();
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/model.onnx"));

  o.model_path = testing::write_temp_file("not-a-model.onnx", "this is not an ONNX model");
  auto garbage = ProcessSession::start(o);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument) << garbage.status();
  EXPECT_THAT(garbage.status().message(), HasSubstr("not a model ONNX Runtime can load"));

  ScopedEnv env("SENSIX_WORKER", "/nonexistent/sensix-worker");
  auto no_worker = ProcessSession::start(options(kBlazeFace));
  ASSERT_FALSE(no_worker.ok());
  EXPECT_EQ(no_worker.status().message(),
            "$SENSIX_WORKER names /nonexistent/sensix-worker, which is not an executable file");
}

TEST_F(ProcessSessionTest, ACrashFailsThatRunAndTheWorkerIsRestarted) {
  ScopedEnv fault("SENSIX_WORKER_FAULT", "crash-after=2");
  auto s = start(options(kBlazeFace));
  ASSERT_NE(s, nullptr);
  const int first_pid = s->health().pid;
  std::vector<Tensor> out, want;
  ASSERT_TRUE(run_face(*s, &want).ok());
  ASSERT_TRUE(run_face(*s, &out).ok());
  Status crashed = run_face(*s, &out);
  EXPECT_EQ(crashed.code(), StatusCode::kUnavailable);
  EXPECT_THAT(crashed.message(), MatchesRegex("worker \\(pid [0-9]+\\) died: killed by signal 11 \\(SIGSEGV\\); "
                                              "restarting in 0.05 s"));
  EXPECT_FALSE(process_exists(first_pid)) << "the crashed worker was reaped";
  EXPECT_EQ(s->health().pid, 0);
  EXPECT_EQ(s->health().failures, 1u);
  // Until the new worker is up, runs fail at once instead of waiting.
  const auto t0 = std::chrono::steady_clock::now();
  Status early = run_face(*s, &out);
  if (!early.ok()) {
    EXPECT_THAT(early.message(), HasSubstr("worker restarting (attempt 1 in"));
    EXPECT_THAT(early.message(), HasSubstr("after: worker (pid"));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms);
  }
  ASSERT_TRUE(eventually([&] { return s->health().pid != 0; }));
  EXPECT_NE(s->health().pid, first_pid);
  EXPECT_EQ(s->health().restarts, 1u);
  ASSERT_TRUE(run_face(*s, &out).ok());
  expect_same_bits(out, want);
  EXPECT_FALSE(s->health().failed);
}

TEST_F(ProcessSessionTest, RepeatedAbortsFailTheSessionAfterMaxAttempts) {
  ScopedEnv fault("SENSIX_WORKER_FAULT", "abort-after=0");
  WorkerOptions o = options(kBlazeFace);
  o.max_attempts = 3;
  auto s = start(o);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  Status last;
  int aborted = 0;
  ASSERT_TRUE(eventually([&] {
    last = run_face(*s, &out);
    if (last.message().find("killed by signal 6 (SIGABRT)") != std::string::npos &&
        last.message().find("worker restarting") == std::string::npos) {
      aborted++;
    }
    return s->health().failed;
  }));
  EXPECT_EQ(aborted, 3);
  EXPECT_THAT(last.message(), HasSubstr("3 failures in a row, not restarted"));
  const WorkerHealth h = s->health();
  EXPECT_EQ(h.failures, 3u);
  EXPECT_EQ(h.restarts, 2u);
  EXPECT_EQ(h.pid, 0);
  EXPECT_THAT(h.reason, MatchesRegex("worker \\(pid [0-9]+\\) died: killed by signal 6 \\(SIGABRT\\)"));
  Status after = run_face(*s, &out);
  EXPECT_EQ(after.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(after.message(), MatchesRegex("failed: worker \\(pid [0-9]+\\) died: killed by signal 6 \\(SIGABRT\\); "
                                            "3 failures in a row, not restarted"));
}

// On a manual clock: the run waits for the reply until the clock passes its timeout, and the
// restart waits for the clock to pass its back-off.
TEST_F(ProcessSessionTest, AHangIsKilledAfterTheTimeout) {
  ScopedEnv fault("SENSIX_WORKER_FAULT", "hang-after=1");
  ManualEnv env;
  WorkerOptions o = options(kBlazeFace);
  o.timeout = 300ms;
  o.env = &env;
  auto s = start(o);
  ASSERT_NE(s, nullptr);
  const int pid = s->health().pid;
  std::vector<Tensor> out;
  ASSERT_TRUE(run_face(*s, &out).ok());
  // A deadline ahead of the clock: the run (or the restart) waits for the clock.
  auto waiting = [&] {
    return eventually([&] {
      const auto t = env.next_deadline();
      return t && *t > env.now();
    });
  };
  const auto t0 = env.now();
  Status hung;
  std::thread runner([&] { hung = run_face(*s, &out); });
  ASSERT_TRUE(waiting());
  EXPECT_EQ(*env.next_deadline() - t0, 300ms) << "the reply is awaited for `timeout`";
  env.advance(299ms);
  ASSERT_TRUE(waiting()) << "not before the timeout";
  env.advance(1ms);
  runner.join();
  const auto took = env.now() - t0;
  EXPECT_EQ(hung.code(), StatusCode::kUnavailable);
  EXPECT_THAT(hung.message(), MatchesRegex("worker \\(pid [0-9]+\\) sent no reply in 0.3 s, killed; restarting in .*"));
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 800ms) << "detected within the timeout and a margin";
  EXPECT_EQ(took, 300ms);
  EXPECT_FALSE(process_exists(pid)) << "the hung worker was killed and reaped";
  ASSERT_TRUE(waiting());  // the restart's back-off: initial_delay
  EXPECT_EQ(*env.next_deadline() - env.now(), 50ms);
  EXPECT_EQ(s->health().pid, 0);
  env.advance(50ms);
  ASSERT_TRUE(eventually([&] { return s->health().pid != 0; }));
  EXPECT_TRUE(run_face(*s, &out).ok()) << "the new worker runs (it hangs only after one run)";
}

TEST_F(ProcessSessionTest, AnExitAndAGarbledReplyAreNamed) {
  {
    ScopedEnv fault("SENSIX_WORKER_FAULT", "exit-after=0");
    auto s = start(options(kBlazeFace));
    ASSERT_NE(s, nullptr);
    std::vector<Tensor> out;
    EXPECT_THAT(run_face(*s, &out).message(), MatchesRegex("worker \\(pid [0-9]+\\) died: exited with status 3; .*"));
  }
  {
    ScopedEnv fault("SENSIX_WORKER_FAULT", "garble-after=0");
    auto s = start(options(kBlazeFace));
    ASSERT_NE(s, nullptr);
    const int pid = s->health().pid;
    std::vector<Tensor> out;
    EXPECT_THAT(run_face(*s, &out).message(),
                MatchesRegex("worker \\(pid [0-9]+\\) broke the protocol \\(a message with a bad magic number "
                             "0x[0-9a-f]+\\), killed; .*"));
    EXPECT_FALSE(process_exists(pid));
  }
}

TEST_F(ProcessSessionTest, ALeakingWorkerIsKilledOverItsMemoryLimit) {
  WorkerOptions o = options(kBlazeFace);
  int64_t loaded = 0;
  {
    auto probe = start(o);
    ASSERT_NE(probe, nullptr);
    loaded = probe->memory().resident_bytes;
  }
  ScopedEnv fault("SENSIX_WORKER_FAULT", "leak-mb=48");
  o.memory_limit_bytes = loaded + (64 << 20);  // room for one leak, not two
  o.max_attempts = 2;
  auto s = start(o);
  ASSERT_NE(s, nullptr);
  std::vector<Tensor> out;
  ASSERT_TRUE(run_face(*s, &out).ok()) << "48 MiB more fits";
  Status over = run_face(*s, &out);
  EXPECT_EQ(over.code(), StatusCode::kUnavailable);
  EXPECT_THAT(over.message(), MatchesRegex("worker \\(pid [0-9]+\\) is over its memory limit: [0-9.]+ MiB resident, "
                                           "limit [0-9.]+ MiB; killed; restarting in .*"));
  EXPECT_EQ(s->health().failures, 1u);
  // A new worker starts with its own memory and serves again.
  ASSERT_TRUE(eventually([&] { return s->health().pid != 0; })) << s->health().reason;
  EXPECT_TRUE(run_face(*s, &out).ok());
  EXPECT_EQ(s->health().restarts, 1u);
}

TEST_F(ProcessSessionTest, DestructionReapsTheWorker) {
  int pid = 0;
  {
    auto s = start(options(kBlazeFace));
    ASSERT_NE(s, nullptr);
    pid = s->health().pid;
    EXPECT_TRUE(process_exists(pid));
  }
  EXPECT_FALSE(process_exists(pid));
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1) << "no zombie left behind";
}

}  // namespace
}  // namespace sensix
