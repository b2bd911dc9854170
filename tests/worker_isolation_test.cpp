// Models in worker processes (spec.resources.isolation: process), end to end on the real runtime:
// OpenCV's Megamind.avi at 5 fps (56 frames) feeds the quickstart's BlazeFace twice, once in this
// process and once in a worker. The worker is made to crash, abort, hang or leak during real runs
// (the SENSIX_WORKER_FAULT test hook); the in-process copy must keep every frame, and the worker's
// model fails only its own requests, is restarted, and fails for good after restart.maxAttempts.
// Memory limits and the device-wide budget refuse a model at load with a message that names it.
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e_support.h"
#include "runtime/runtime.h"
#include "support/scoped_env.h"

namespace sensix::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr const char* kLocal = "blazeface";
constexpr const char* kWorker = "blazeface-worker";

// Processes whose parent is this one (workers not reaped would show here, as zombies too).
int child_processes() {
  int n = 0;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == ::getpid()) n++;
  }
  ::closedir(d);
  return n;
}

// The clip feeding BlazeFace in this process and, with `worker` settings, in a worker process.
std::optional<DocumentSet> face_docs(const WorkerSpec& worker = {}, int warmup = 1, double fps = 5) {
  const std::string clip = sample_path("video/Megamind.avi");
  auto docs = load_quickstart();
  if (clip.empty() || !docs.ok()) return std::nullopt;
  DocumentSet set = only_pipelines(*docs, {"vision"});
  for (auto& s : set.sensors) {
    s.spec.driver = DriverKind::kVideoFile;
    s.spec.path = clip;
    s.spec.video.fps = fps;
  }
  ModelDoc local;
  for (const auto& m : set.models) {
    if (m.metadata.name == kLocal) local = m;
  }
  ModelDoc remote = local;
  remote.metadata.name = kWorker;
  remote.spec.resources.isolation = Isolation::kProcess;
  remote.spec.resources.worker = worker;
  remote.spec.resources.warmup = warmup;
  set.models = {local, remote};
  auto& steps = set.pipelines.at(0).spec.steps;
  steps.resize(1);  // blazeface from the camera; SSD is not needed here
  steps.push_back(steps[0]);
  steps[1].model = kWorker;
  return set;
}

// Runs `docs` in real time (the clip at 10 fps: a worker restart, which loads the model again,
// takes a few frames, and a faulty worker meets many frames) until `done` holds for the worker's
// model or 15 s pass, then stops; queued inputs still run.
Result<RunResult> run_until(const DocumentSet& docs, const std::function<bool(const ModelStatsSnapshot&)>& done) {
  RuntimeOptions options;
  options.speed = 1.0;
  options.loop = false;
  SENSIX_ASSIGN_OR_RETURN(auto runtime, Runtime::create(docs, options));
  auto sink = std::make_shared<CollectingSink>();
  runtime->add_sink(sink);
  SENSIX_RETURN_IF_ERROR(runtime->start());
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    bool met = false;
    for (const auto& m : runtime->stats().models) met |= m.model.name == kWorker && done(m.model);
    if (met || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(300ms);  // a few frames more for the in-process model
  runtime->stop();
  RunResult result;
  result.predictions = sink->all();
  result.stats = runtime->stats();
  return result;
}

WorkerSpec quick_restarts(int max_attempts) {
  WorkerSpec w;
  w.restart.initial_delay = 0.05;
  w.restart.max_delay = 0.2;
  w.restart.max_attempts = max_attempts;
  return w;
}

// The in-process model saw every frame and failed none; the worker's model accounted for every
// frame (a run or an error).
void expect_every_frame_accounted(const RunResult& r, uint64_t min_frames = 40) {
  ASSERT_EQ(r.stats.sensors.size(), 1u);
  const uint64_t frames = r.stats.sensors[0].frames;
  EXPECT_GE(frames, min_frames);
  const ModelRuntimeStats* local = r.model_stats(kLocal);
  const ModelRuntimeStats* remote = r.model_stats(kWorker);
  ASSERT_NE(local, nullptr);
  ASSERT_NE(remote, nullptr);
  EXPECT_EQ(local->model.runs, frames) << "the in-process model lost frames";
  EXPECT_EQ(local->model.errors, 0u);
  EXPECT_EQ(local->dropped_frames, 0u);
  EXPECT_EQ(local->model.isolation, "in-process");
  EXPECT_EQ(remote->model.isolation, "process");
  EXPECT_EQ(remote->model.runs + remote->model.errors + remote->dropped_frames, frames);
  std::cout << "frames " << frames << "; worker model: runs " << remote->model.runs << ", errors "
            << remote->model.errors << ", restarts " << remote->model.restarts << ", state "
            << model_state_name(remote->model.state) << " (" << remote->model.last_error << ")\n";
}

TEST(WorkerIsolation, AModelInAWorkerPredictsExactlyWhatItPredictsInProcess) {
  auto docs = face_docs();
  if (!docs) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto r = run_to_end(*docs);
  ASSERT_TRUE(r.ok()) << r.status();
  expect_every_frame_accounted(*r);
  const auto* remote = r->model_stats(kWorker);
  EXPECT_EQ(remote->model.errors, 0u);
  EXPECT_EQ(remote->model.restarts, 0u);
  EXPECT_GT(remote->model.memory.resident_bytes, 10 << 20) << "the worker's resident memory";
  const auto a = r->of_model(kLocal);
  const auto b = r->of_model(kWorker);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GT(a.size(), 30u) << "Megamind's face in most frames";
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].frame_seq, b[i].frame_seq);
    ASSERT_EQ(a[i].detections.size(), b[i].detections.size()) << "frame " << a[i].frame_seq;
    for (size_t k = 0; k < a[i].detections.size(); ++k) {
      const Detection& x = a[i].detections[k];
      const Detection& y = b[i].detections[k];
      EXPECT_TRUE(x.score == y.score && x.x == y.x && x.y == y.y && x.w == y.w && x.h == y.h)
          << "frame " << a[i].frame_seq << ": bit-identical outputs give identical boxes";
    }
  }
  EXPECT_EQ(child_processes(), 0) << "the worker was reaped when the runtime ended";
}

TEST(WorkerIsolation, ACrashingWorkerIsRestartedAndTheOtherModelKeepsEveryFrame) {
  ScopedEnv fault("SENSIX_WORKER_FAULT", "crash-after=5");
  auto docs = face_docs(quick_restarts(3), /*warmup=*/0, /*fps=*/10);
  if (!docs) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto r = run_until(*docs, [](const ModelStatsSnapshot& m) { return m.restarts >= 1 && m.runs > 5; });
  ASSERT_TRUE(r.ok()) << r.status();
  expect_every_frame_accounted(*r, 8);
  const auto& m = r->model_stats(kWorker)->model;
  EXPECT_GE(m.restarts, 1u) << "a worker crashes on its 6th run";
  EXPECT_GE(m.errors, m.restarts);
  EXPECT_GT(m.runs, 5u) << "the restarted worker served frames again";
  EXPECT_NE(m.state, ModelState::kFailed) << "runs in between reset the failure count";
  EXPECT_THAT(m.last_error, HasSubstr("Model/blazeface-worker: worker"));
  EXPECT_THAT(m.last_error, HasSubstr("died: killed by signal 11 (SIGSEGV)"));
  EXPECT_EQ(child_processes(), 0);
}

TEST(WorkerIsolation, AWorkerThatAbortsEveryRunFailsTheModelAfterMaxAttempts) {
  ScopedEnv fault("SENSIX_WORKER_FAULT", "abort-after=0");
  auto docs = face_docs(quick_restarts(3), /*warmup=*/0, /*fps=*/10);
  if (!docs) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto r = run_until(*docs, [](const ModelStatsSnapshot& m) { return m.state == ModelState::kFailed; });
  ASSERT_TRUE(r.ok()) << r.status();
  expect_every_frame_accounted(*r, 3);
  const auto& m = r->model_stats(kWorker)->model;
  EXPECT_EQ(m.state, ModelState::kFailed);
  EXPECT_EQ(m.runs, 0u);
  EXPECT_EQ(m.restarts, 2u) << "3 attempts: the first worker and 2 restarts";
  EXPECT_THAT(m.reason, MatchesRegex("Model/blazeface-worker: worker \\(pid [0-9]+\\) died: killed by signal 6 "
                                     "\\(SIGABRT\\); 3 failures in a row, not restarted"));
  EXPECT_EQ(child_processes(), 0);
}

TEST(WorkerIsolation, AHangingWorkerIsKilledWithinItsTimeout) {
  ScopedEnv fault("SENSIX_WORKER_FAULT", "hang-after=3");
  WorkerSpec w = quick_restarts(2);
  w.timeout = 0.3;
  auto docs = face_docs(w, /*warmup=*/0, /*fps=*/10);
  if (!docs) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto r = run_until(*docs, [](const ModelStatsSnapshot& m) { return m.restarts >= 1 && m.runs > 3; });
  ASSERT_TRUE(r.ok()) << r.status();
  expect_every_frame_accounted(*r, 5);
  const auto& m = r->model_stats(kWorker)->model;
  // Each worker runs 3 frames and hangs on the 4th; runs in between reset the count, so the model
  // keeps being restarted.
  EXPECT_GE(m.restarts, 1u);
  EXPECT_GT(m.runs, 3u);
  EXPECT_THAT(m.last_error, MatchesRegex(".*worker \\(pid [0-9]+\\) sent no reply in 0.3 s, killed.*"));
  // A hung run holds the model's queue for the timeout and no longer: the latency of its runs,
  // measured from the frame's capture, stays well under a second.
  EXPECT_LT(m.compute.percentile_ns(99), 300'000'000) << "no successful run waited out a hang";
  EXPECT_EQ(child_processes(), 0);
}

TEST(WorkerIsolation, ALeakingWorkerIsKilledOverItsMemoryLimit) {
  auto probe_docs = face_docs({}, 0);
  if (!probe_docs) GTEST_SKIP() << "samples missing: run scripts/setup";
  int64_t worker_rss = 0;
  {
    auto rt = Runtime::create(*probe_docs, RuntimeOptions{});
    ASSERT_TRUE(rt.ok()) << rt.status();
    for (const auto& m : (*rt)->stats().models) {
      if (m.model.name == kWorker) worker_rss = m.model.memory.resident_bytes;
    }
  }
  ASSERT_GT(worker_rss, 0);
  ScopedEnv fault("SENSIX_WORKER_FAULT", "leak-mb=24");
  auto docs = face_docs(quick_restarts(0), 0, 10);
  for (auto& m : docs->models) {
    if (m.metadata.name != kWorker) continue;
    m.spec.resources.memory_limit_bytes = worker_rss + (100 << 20);  // a few leaks fit, then it is killed
    m.spec.resources.memory = "the worker's + 100Mi";
  }
  uint64_t runs_of_first = 0;
  auto r = run_until(*docs, [&](const ModelStatsSnapshot& m) {
    if (m.restarts == 0) runs_of_first = m.runs;
    return m.restarts >= 1 && m.runs > runs_of_first;
  });
  ASSERT_TRUE(r.ok()) << r.status();
  expect_every_frame_accounted(*r, 5);
  const auto& m = r->model_stats(kWorker)->model;
  EXPECT_GE(m.restarts, 1u);
  EXPECT_GT(m.runs, runs_of_first) << "the restarted worker served frames again";
  EXPECT_EQ(m.memory_limit_bytes, worker_rss + (100 << 20));
  EXPECT_THAT(m.last_error, HasSubstr("is over its memory limit"));
  EXPECT_EQ(child_processes(), 0);
}

TEST(WorkerIsolation, AWorkerOverItsMemoryLimitIsRefusedAtLoad) {
  auto docs = face_docs();
  if (!docs) GTEST_SKIP() << "samples missing: run scripts/setup";
  // In-process, the growth of the process while the engine loads the model counts: checked in a
  // fresh process, Cli.AnInProcessModelOverItsMemoryLimitIsRefusedAtLoad (here, a model loaded
  // before may have left freed memory that this load reuses).
  // In a worker, the worker's whole resident memory counts.
  for (auto& m : docs->models) {
    m.spec.resources.memory_limit_bytes = m.metadata.name == kWorker ? 8 << 20 : 0;
    m.spec.resources.memory = m.metadata.name == kWorker ? "8Mi" : "";
  }
  auto rt = Runtime::create(*docs);
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(rt.status().message(),
              MatchesRegex(".*quickstart.yaml: Model/blazeface-worker: spec.resources.memory: Model/blazeface-worker "
                           "needs [0-9.]+ MiB, over its limit of 8 MiB \\(8Mi; the worker's resident memory, "
                           "engine library included\\) \\(line [0-9]+\\)"));
  EXPECT_EQ(child_processes(), 0) << "the refused model's worker was stopped and reaped";
}

TEST(WorkerIsolation, ModelsOverTheDeviceBudgetAreRefusedAtLoad) {
  auto docs = face_docs();
  if (!docs) GTEST_SKIP() << "samples missing: run scripts/setup";
  for (auto& m : docs->models) m.spec.resources.isolation = Isolation::kProcess;  // two workers
  int64_t first = 0;
  {
    auto rt = Runtime::create(*docs);
    ASSERT_TRUE(rt.ok()) << rt.status();
    first = (*rt)->stats().models.at(0).model.memory.resident_bytes;
  }
  RuntimeOptions options;
  options.memory_budget_bytes = first * 3 / 2;  // the first worker fits, the second does not
  auto rt = Runtime::create(*docs, options);
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(rt.status().message(),
              MatchesRegex(".*Model/blazeface-worker: Model/blazeface-worker needs [0-9.]+ MiB, which would bring the "
                           "loaded models to [0-9.]+ MiB, over the memory budget of [0-9.]+ MiB \\(already loaded: "
                           "Model/blazeface [0-9.]+ MiB\\) \\(line [0-9]+\\)"));
  EXPECT_EQ(child_processes(), 0) << "both workers were stopped and reaped";
}

}  // namespace
}  // namespace sensix::testing
