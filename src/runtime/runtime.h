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
// A running Runtime takes a new set of documents (apply): it diffs them against what runs and
// changes only what differs (docs/document_diff.h). Everything that can fail is done first, off to
// the side, exactly as create() does it for the whole desired set, but reusing every running model
// and sensor whose document did not change: new models are loaded and warmed up, new sensors
// opened, the whole plan derived and checked. Only then does anything running change: sensors no
// longer wanted (or changed) stop, drain and go, new ones start, and every other sensor's graph
// changes in place (SensorGraph::update): new steps attach to the running shared nodes whose
// canonical keys they share, steps nobody reads any more are released, and what did not change
// keeps running with its state (no frame lost, no gap, no reload). A changed model is replaced:
// its new version is loaded, warmed up and self-tested (spec.selfTest, runtime/self_test.h) beside
// the running one, then takes over. When it reads the same plan nodes with the same scheduling and
// takes the same data input and gives the same outputs, it takes over in place
// (SensorGraph::switch_model, RequestTasks::switch_model): between two runs of each of its tasks, a
// run in progress finishing on the old version, queued frames and requests running on the new one,
// none dropped or refused, the nodes below keeping their windows and streams, its stream state
// carried or reset as spec.rollout.state says (ApplyResult::switched). Otherwise its nodes and all
// below them are new (inputs queued on the old nodes drain on the old version; windows below
// restart), and its request tasks are new (requests queued on the old ones are answered
// Unavailable); spec.rollout.state: carry is then refused with the reason. Models no longer used
// are drained and unloaded. A model counts against the memory budget with budgeted_bytes(). While a new version loads beside the running one, both count against
// RuntimeOptions::memory_budget_bytes; where they cannot both fit, the refusal says so and names
// spec.rollout.strategy: stopThenStart, which unloads the running version first (its frames are
// passed over, counted as dropped, and its requests answered Unavailable until the new version
// takes over; a new version that fails to load or pass its self-test brings the old one back).
// Event rules follow the pipelines: a pipeline whose document, sensors and models did not change
// keeps its rules' state (pending instants, cooldowns); others start afresh. Fixed while running
// (refused with FailedPrecondition; stop and create again): the Device document and the
// accelerators (a model needing an engine that no running accelerator has is refused by its
// placement; RuntimeOptions::engines gives the default device every engine from the start).
//
// The CLI and the API drive a Runtime; it never calls them.
//
// Thread-safety: create/start/apply/stop/wait and the candidates' methods from one control thread
// at a time (they are serialised); stats() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/env.h"
#include "docs/document_diff.h"
#include "engines/registry.h"
#include "models/model_instance.h"
#include "runtime/candidate.h"
#include "runtime/event_engine.h"
#include "runtime/media_request.h"
#include "runtime/prediction_sink.h"
#include "runtime/request_tasks.h"
#include "runtime/sensor_graph.h"
#include "runtime/shared_runs.h"
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
  // With verify_artifacts: files whose sha256 is known to be right already (the daemon's model
  // store checked them) are not hashed again; their format is still checked.
  std::function<bool(const std::string& path, const std::string& sha256)> digest_known;
  // The most memory all loaded models may use together (each model's MemoryUsage::resident_bytes:
  // its load-time growth in-process, its worker's resident memory with isolation: process);
  // 0 = no budget. A model that would go over it is refused at load and create() fails.
  int64_t memory_budget_bytes = 0;
  // false: every model gets its own copy of every transform step (PlanBuilder(share = false)), as
  // if each ran alone; for benchmarks and `sensix run --no-sharing`, to measure what sharing saves.
  bool share = true;
  // false: a model that batches runs its requests and each sensor stream's inputs in runs of their
  // own, as before shared runs (runtime/shared_runs.h); for the benchmark that measures them.
  bool share_runs = true;
  // Overrides the device's scheduling policy (Device spec.policy) and every model's own.
  std::optional<SchedPolicy> policy;
  // Also open every sensor and load every model that no pipeline uses, to check them (then close
  // and unload them), and accept a set without pipelines: what `sensix validate` does.
  bool check_unused = false;
  // A device service (sensix serve): a set without pipelines runs (nothing yet: documents come
  // later through apply()), and the default device (no Device document) gives these engines an
  // accelerator too, used or not, so that a model applied later may be placed on any of them.
  bool allow_empty = false;
  std::vector<std::string> engines;
  // Called before each model is loaded and warmed up (create, apply), with what it does and how
  // far it is (`done` of `total` models to load): a service shows an apply's progress. From the
  // thread that creates or applies; it must not call the runtime.
  std::function<void(const std::string& step, int done, int total)> on_progress;
  // A stateful model's request sequence without a request for this long is dropped (RequestTasks).
  std::chrono::nanoseconds sequence_idle = std::chrono::seconds(60);
  // Raw media requests' decoding threads, queue and limits (MediaRequests).
  MediaRequests::Options media;
  // The clock of the sensors, models, events, uptime and wait(); a test may give a ManualEnv.
  Env* env = Env::Default();
};

// What apply() changed, or with a dry run would change.
struct ApplyResult {
  DocumentDiff documents;  // every document, with its change
  // Sensors: started (new), restarted (changed document), stopped (removed or no longer used),
  // updated (running, their graph changes in place).
  std::vector<std::string> started, restarted, stopped, updated;
  // Models loaded (new), replaced (changed document: a new instance), unloaded (no longer used).
  std::vector<std::string> loaded, replaced, unloaded;
  // The replaced models whose new version took over the running nodes and request tasks in place:
  // the nodes below them kept their state (see Runtime::apply).
  std::vector<std::string> switched;
  // Plan nodes (canonical keys) new in a running graph, and those that go.
  std::vector<std::string> attached, released;
  // New nodes whose parent runs already: "<new node key> reads <running node key>" (a fourth
  // wake-word head's window under the running embedding).
  std::vector<std::string> shared;
  bool dry_run = false;
  bool changed() const { return documents.any_change(); }
};

// What a loaded model counts against RuntimeOptions::memory_budget_bytes: the growth of the
// process's resident memory while it loaded, and at least its file's size (a load that reuses
// memory freed before measures less than the model holds).
int64_t budgeted_bytes(const MemoryUsage& m);

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> create(const DocumentSet& docs, const RuntimeOptions& options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // The plan as created; after apply() it may change (take stats().sharing, or documents()).
  const Plan& plan() const { return plan_; }

  // Adds a destination for predictions; call before start().
  void add_sink(std::shared_ptr<PredictionSink> sink);

  Status start();
  // Waits until every sensor has ended and its graph has drained, or until `timeout`.
  // Returns true when everything has finished.
  bool wait(std::chrono::milliseconds timeout);
  // Stops every sensor, drains and joins. Idempotent.
  void stop();

  // Makes the running set `desired` (see above); with `dry_run`, checks it and says what would
  // change without changing anything. An error (every problem of the desired set, each naming its
  // document and field, as create() gives them) changes nothing. Only after start(), before stop().
  Result<ApplyResult> apply(const DocumentSet& desired, bool dry_run = false);
  // RuntimeOptions::memory_budget_bytes for the applies from now on (0: none); what runs stays.
  void set_memory_budget(int64_t bytes);
  // Loads `doc`, another version of a running model (an earlier revision's document, its files in
  // place), for the requests that name its version (KServe /v2/models/{m}/versions/{v}:
  // RequestTasks::kept_key); its signature. It stays until the model goes (apply), unloaded after
  // a minute without a request (its own spec.resources.idleUnload, if set) and loaded again by the
  // next. Checked against the memory budget as a model is. At once when that version is loaded
  // already. FailedPrecondition: the model does not run.
  Result<ModelSignature> serve_version(const ModelDoc& doc);
  // The documents running now.
  DocumentSet documents() const;

  // Rollouts (control/ drives them; docs/deployment.md): a new version of a running model beside
  // it. add_candidate loads `doc`, a changed document of a running model, as apply() would
  // (verified, loaded, warmed up, self-tested, within the memory budget next to the running
  // version), checks that it fits the running version's place as a switch in place does
  // (ApplyResult::switched; a model that keeps state takes only a shadow of share 1), then runs it
  // beside the running version in its nodes and request tasks (runtime/candidate.h). The running
  // documents do not change. Errors as apply() gives them; FailedPrecondition when the model does
  // not run here or has a candidate already.
  Result<std::shared_ptr<CandidateMeter>> add_candidate(const ModelDoc& doc, const CandidateOptions& options);
  // The candidate takes the running version's place between two runs (its document becomes the
  // running one; the nodes below keep their state) and the old version drains and unloads.
  // NotFound when the model has no candidate.
  Status promote_candidate(const std::string& model);
  // The candidate leaves, drains and unloads; the running version runs on as before. NotFound when
  // the model has no candidate.
  Status remove_candidate(const std::string& model);

  RuntimeStats stats() const;

  // Inference on request for the loaded models, on this runtime's scheduler (request_tasks.h).
  // Only after create(); requests are answered once start() has run.
  RequestTasks& requests() { return *requests_; }
  // Raw media requests for them, decoded on threads of their own (media_request.h); as requests().
  MediaRequests& media_requests() { return *media_; }

 private:
  class Bus;
  struct SensorRun;

  // What a running runtime lends to the build of its next set (apply): its unchanged models and
  // sensors, and its device.
  struct Reuse {
    std::map<std::string, ModelInstance*> models;
    std::map<std::string, SensorInfo> sensors;
    const DevicePlan* device = nullptr;
    EngineRegistry* engines = nullptr;  // new models load on the running engines
    // Running versions of changed models that stay loaded while the new ones load: their resident
    // bytes count against the memory budget.
    std::map<std::string, int64_t> beside;
    // Other versions loaded beside the running set (extra_versions_locked()): they count too.
    std::map<std::string, int64_t> extra;
  };

  Runtime();
  // create(): everything, from scratch. With `reuse` (apply): the plan, the tasks, the new models
  // and the new sensors (opened, without graphs), reusing the running ones; no scheduler, graph
  // or event engine.
  Status build(const DocumentSet& docs, const RuntimeOptions& options, const Reuse* reuse = nullptr);
  Status plan_pipeline(const PipelineDoc& p, PlanBuilder& builder, const std::map<std::string, int>& sources);
  // The sensor's graph on the running scheduler.
  Status make_graph(SensorRun* run);
  // The model's warm-up runs as the scheduler's first measurement of it on each accelerator.
  void seed_profiles(const std::string& model);
  // Versions loaded besides the running set, by a label ("Model/x version 0.1 (kept for requests)")
  // with their budgeted bytes: rollouts' new versions and kept versions holding their sessions, but
  // `except` (a kept_ key). Under mu_.
  std::map<std::string, int64_t> extra_versions_locked(const std::string& except = "") const;
  // The models loaded so far, the running versions `beside`, the `extra` versions and `md` must fit
  // `budget`.
  Status check_memory_budget(const ModelDoc& md, const MemoryUsage& memory, int64_t budget,
                             const std::map<std::string, int64_t>& beside,
                             const std::map<std::string, int64_t>& extra) const;
  // spec.rollout.strategy: stopThenStart: the running versions of `models` are unloaded before their
  // new versions load (apply); restart_stopped() loads them again where the apply fails.
  void stop_for_upgrade(const std::vector<std::string>& models);
  void restart_stopped(const std::vector<std::string>& models);
  Status check_objective(const ModelDoc& md, const ModelInstance& loaded, const DevicePlan& device,
                         const TaskOptions& task) const;
  void graph_loop(SensorRun* run);
  // Drains, unloads and frees models no node or request task reads any more.
  static void release(std::vector<std::unique_ptr<ModelInstance>> models);

  RuntimeOptions options_;
  DocumentSet docs_;
  EngineRegistry engines_;
  std::map<std::string, std::unique_ptr<ModelInstance>> models_;  // owned
  std::map<std::string, ModelInstance*> loaded_;  // every model in use: owned, or (apply's build) reused
  std::map<std::string, TaskOptions> tasks_;      // per model in use: its scheduling
  // New versions running beside running models (add_candidate), by name.
  struct CandidateRun {
    ModelDoc doc;
    std::unique_ptr<ModelInstance> instance;
    std::shared_ptr<CandidateMeter> meter;
  };
  std::map<std::string, CandidateRun> candidates_;
  // Other versions of running models loaded for requests that name them (serve_version), by
  // RequestTasks::kept_key; under mu_.
  std::map<std::string, std::unique_ptr<ModelInstance>> kept_;
  Plan plan_;
  // The runs that the tasks of a model that batches share (its sensor streams and its requests);
  // declared before the graphs and the request tasks, whose parts it holds until they go.
  std::unique_ptr<SharedRuns> shared_runs_;
  std::vector<std::unique_ptr<SensorRun>> sensors_;
  std::mutex control_mu_;  // apply() and stop(), one at a time
  std::shared_ptr<Bus> bus_;
  std::unique_ptr<EventEngine> events_;  // null when no pipeline declares events
  // Runs every model input on the device's accelerators; stopped before the graphs go.
  std::unique_ptr<Scheduler> scheduler_;
  // Inference on request for every loaded model (declared after the scheduler: its tasks go first).
  std::unique_ptr<RequestTasks> requests_;
  // Decodes raw media requests and hands them to requests_ (declared after it: it goes first).
  std::unique_ptr<MediaRequests> media_;
  bool started_ = false;
  bool stopped_ = false;
  Env* env_ = Env::Default();
  TimePoint start_time_;

  // Guards sensors_ (the vector), models_, loaded_, docs_, plan_ and each SensorRun::finished
  // against stats(), documents() and wait() while apply() changes them.
  mutable std::mutex mu_;
  std::condition_variable finished_cv_;
  // Unloads the models idle longer than their spec.resources.idleUnload (every 100 ms, from
  // start() to stop(); housekeeper_stop_ and housekeeper_cv_ under mu_).
  void housekeep();
  std::thread housekeeper_;
  bool housekeeper_stop_ = false;
  std::condition_variable housekeeper_cv_;
};

}  // namespace sensix
