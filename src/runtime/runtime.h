// Runtime: turns a validated set of documents into running sensors, transform nodes and model
// instances, and owns their threads, start-up order and clean shutdown.
//
// create() does everything that can fail before anything runs: checks model artifacts
// (sha256, format), opens every sensor used by a pipeline (reading its native format), loads
// every model used (checking its tensors against its document), and derives the shared plan.
// It reports every problem it finds, one per line, each naming the document, field and line;
// a document with a problem is left out of the checks that need it, so it hides no other
// document's problems. Nothing is started until start().
//
// Threads: one per sensor driver (from sensors/), one graph thread per sensor, which runs that
// sensor's transform tree one frame at a time, and the scheduler's lanes (sched/scheduler.h), one
// per thread of each accelerator's budget, which run the models by priority and deadline, so a
// slow model never delays the sensor and the engines never use more threads than the device's
// cores. The device (Device document, or the default: one accelerator per engine in use, all
// sharing the cores) is checked in create(), as is each model's placement (accelerators,
// threads) and latency objective against its fastest warm-up run. Pipelines' event rules run on one more thread
// (EventEngine), fed with every run of the models they read; their events go to the sinks too. Between driver and graph, a bounded FrameQueue
// per sensor; before each model, a bounded queue of its inputs; both drop the oldest (counted) in
// real time and block when replaying at max speed.
//
// The CLI and the API drive a Runtime; it never calls them.
//
// Thread-safety: create/start/stop/wait from one control thread; stats() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/env.h"
#include "engines/registry.h"
#include "models/model_instance.h"
#include "runtime/event_engine.h"
#include "runtime/prediction_sink.h"
#include "runtime/sensor_graph.h"
#include "runtime/stats.h"
#include "sched/scheduler.h"
#include "sensors/driver.h"
#include "sensors/frame_queue.h"
#include "spec/spec.h"
#include "transform/plan.h"

namespace sensix {

struct RuntimeOptions {
  std::optional<double> speed;   // overrides every sensor's replay.speed (0 = as fast as possible)
  std::optional<bool> loop;      // overrides every sensor's replay.loop
  bool verify_artifacts = true;  // check sha256 and format of every model before loading
  // The most memory all loaded models may use together (each model's MemoryUsage::resident_bytes:
  // its load-time growth in-process, its worker's resident memory with isolation: process);
  // 0 = no budget. A model that would go over it is refused at load and create() fails.
  int64_t memory_budget_bytes = 0;
  // false: every model gets its own copy of every transform step (PlanBuilder(share = false)), as
  // if each ran alone; for benchmarks and `sensix run --no-sharing`, to measure what sharing saves.
  bool share = true;
  // Overrides the device's scheduling policy (Device spec.policy) and every model's own.
  std::optional<SchedPolicy> policy;
  // Also open every sensor and load every model that no pipeline uses, to check them (then close
  // and unload them), and accept a set without pipelines: what `sensix validate` does.
  bool check_unused = false;
  // The clock of the sensors, models, events, uptime and wait(); a test may give a ManualEnv.
  Env* env = Env::Default();
};

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> create(const DocumentSet& docs, const RuntimeOptions& options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const Plan& plan() const { return plan_; }

  // Adds a destination for predictions; call before start().
  void add_sink(std::shared_ptr<PredictionSink> sink);

  Status start();
  // Waits until every sensor has ended and its graph has drained, or until `timeout`.
  // Returns true when everything has finished.
  bool wait(std::chrono::milliseconds timeout);
  // Stops every sensor, drains and joins. Idempotent.
  void stop();

  RuntimeStats stats() const;

 private:
  class Bus;
  struct SensorRun;

  Runtime();
  Status build(const DocumentSet& docs, const RuntimeOptions& options);
  Status plan_pipeline(const PipelineDoc& p, PlanBuilder& builder, const std::map<std::string, int>& sources);
  Status check_memory_budget(const ModelDoc& md, const MemoryUsage& memory, int64_t budget) const;
  Status check_objective(const ModelDoc& md, const ModelInstance& loaded, const DevicePlan& device,
                         const TaskOptions& task) const;
  void graph_loop(SensorRun* run);

  DocumentSet docs_;
  EngineRegistry engines_;
  std::map<std::string, std::unique_ptr<ModelInstance>> models_;
  Plan plan_;
  std::vector<std::unique_ptr<SensorRun>> sensors_;
  std::shared_ptr<Bus> bus_;
  std::unique_ptr<EventEngine> events_;  // null when no pipeline declares events
  // Runs every model input on the device's accelerators; stopped before the graphs go.
  std::unique_ptr<Scheduler> scheduler_;
  bool started_ = false;
  bool stopped_ = false;
  Env* env_ = Env::Default();
  TimePoint start_time_;

  mutable std::mutex mu_;
  std::condition_variable finished_cv_;
  int finished_ = 0;
};

}  // namespace sensix
