// ModelInstance: one loaded model — its document, its engine session, and the binding of the
// document's declared inputs and outputs to the model's tensors, checked at load time.
//
// Load-time checks (each error names the document and the field):
//   every model input is declared and every declared input exists, with the same dtype;
//   declared shapes agree with the model's static dims, and every input ends up with a
//   concrete shape; declared outputs exist; constants fit their shape.
//
// run() is safe to call from several threads (calls on the one session are serialised); the
// per-stream state (state tensors, trigger state) lives in ModelStream, not here.
// Load, warm-up, compute and end-to-end times, and a worker's timeouts, are read from the Env
// given to load() (env()).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/histogram.h"
#include "common/status.h"
#include "common/tensor.h"
#include "engines/engine.h"
#include "engines/registry.h"
#include "engines/worker/process_session.h"
#include "spec/spec.h"

namespace sensix {

// A model's lifecycle. load(): loading (session created, tensors bound) -> warming (resources.warmup
// inferences on neutral inputs, so the first real input does not pay for the engine's lazy set-up)
// -> ready. Runtime::stop(): ready -> draining (inputs already queued still run) -> unloaded (the
// session is released; stats stay readable). Any state -> failed (fail(): the model cannot serve,
// with the reason); failed is final for this instance. Each change records its reason and time.
// ready -> idle (unload_if_idle(): no input for spec.resources.idleUnload; the session released)
// -> ready again when the next run loads it first (load and warm-up as at the start).
enum class ModelState { kLoading, kWarming, kReady, kDraining, kUnloaded, kFailed, kIdle };
std::string_view model_state_name(ModelState s);
// Whether a model in state `s` takes inputs: ready, or idle (the input loads it again).
bool takes_inputs(ModelState s);

struct ModelStatsSnapshot {
  std::string name;
  std::string version;
  std::string engine;
  ModelState state = ModelState::kLoading;
  std::string reason;          // why the model is in `state` (e.g. the failure; the warm-up)
  uint64_t warmup_runs = 0;    // inferences made while warming (not counted in runs/compute)
  int64_t warmup_ns = 0;       // their total time
  int64_t warmup_best_ns = 0;  // the fastest of them on any engine (what an objective is checked against)
  int64_t load_ns = 0;         // loading + warming
  uint64_t runs = 0;
  uint64_t errors = 0;          // failed runs (engine errors, NaN/Inf outputs, post-processing errors)
  uint64_t predictions = 0;     // predictions reported
  LatencyHistogram compute;     // engine run time per inference
  LatencyHistogram end_to_end;  // frame capture -> prediction (or result, for feature models)
  MemoryUsage memory;
  std::string last_error;
  // spec.resources: where the session runs, its worker (isolation: process) and memory limit.
  std::string isolation = "in-process";  // "in-process" | "process"
  int worker_pid = 0;                    // the worker's pid; 0 while it restarts, or in-process
  uint64_t restarts = 0;                 // workers started again after one was lost
  uint64_t idle_unloads = 0;             // times unloaded for want of input (spec.resources.idleUnload)
  uint64_t reloads = 0;                  // times loaded again by an input after that
  int64_t memory_limit_bytes = 0;        // 0 = no limit
};

class ModelInstance {
 public:
  static Result<std::unique_ptr<ModelInstance>> load(const ModelDoc& doc, EngineRegistry& engines,
                                                     Env* env = Env::Default());

  const ModelDoc& doc() const { return doc_; }
  const std::string& name() const { return doc_.metadata.name; }
  const ModelSpec& spec() const { return doc_.spec; }
  std::string_view engine_name() const { return engine_name_; }
  // The clock of this model's timings (and of its streams' latencies).
  Env* env() const { return env_; }

  // Index (in spec().inputs) of the data input (audio, image or stream).
  int data_input() const { return data_input_; }
  // The concrete shape of spec().inputs[i].
  const Shape& input_shape(int i) const { return input_shapes_.at(static_cast<size_t>(i)); }
  // The model's description of spec().outputs[i] (shape may have dynamic dims).
  const TensorInfo& output_info(int i) const { return output_infos_.at(static_cast<size_t>(i)); }
  // Index in spec().outputs of a declared output, or -1.
  int find_output(std::string_view name) const;

  // Runs one inference. `data` feeds the data input; `states` holds one tensor per state input,
  // in the order they appear in spec().inputs. Returns the declared outputs, in declared
  // order, with scale/offset applied. Records compute time and errors.
  // `session` picks the file (an index into engines()).
  Result<std::vector<Tensor>> run(const Tensor& data, std::span<const Tensor> states, int session = 0);

  // The engines the model runs on: its own file's first, then each variant's (spec.variants).
  std::vector<std::string> engines() const;
  // The index in engines() of `engine`, or -1.
  int session_for(std::string_view engine) const;
  // The fastest warm-up run on engines()[session]; 0 when it was not warmed up.
  int64_t warmup_best_ns(int session) const;

  // Runs data.size() inputs in one engine run, stacked along the first dimension of the data
  // input; returns each input's declared outputs, split along their first dimension, with
  // scale/offset applied. Only for models that allow batching (spec.scheduling.batch.max > 1,
  // checked at load: the data input is the model's only input, and it and every declared output
  // have a dynamic first dimension). Inputs of different shapes are refused.
  Result<std::vector<std::vector<Tensor>>> run_batch(std::span<const Tensor* const> data, int session = 0);

  // Called by streams to account for end-to-end latency, predictions and post-processing errors.
  void record_result(int64_t end_to_end_ns, bool predicted);
  void record_error(const Status& s);

  ModelStatsSnapshot stats() const;
  ModelState state() const;

  // ready -> draining: the runtime is stopping; queued inputs still run. No-op in other states.
  void drain();
  // Releases the session (draining/ready -> unloaded; a failed model stays failed). run() then
  // fails with FailedPrecondition. Waits for a run in progress. `reason`: the state's reason.
  void unload(std::string reason = "stopped; its session was released");
  // -> failed with `why` (kept as the state's reason and as last_error); run() then fails fast.
  void fail(const Status& why);
  // spec.resources.idleUnload: ready -> idle when no run started within it before `now` (the
  // session released; never while a run is in progress, and never waits). The next run() or run_batch() loads the
  // model again first (its caller waits), as load() does; a load that fails fails that run and
  // leaves the model idle, to be tried by the next. True when it unloaded now.
  bool unload_if_idle(TimePoint now);

 private:
  ModelInstance(ModelDoc doc, Env* env) : doc_(std::move(doc)), env_(env) {}
  Status bind(const Session& session);  // the document's tensors against bindings_[0]
  // spec.variants[i] -> bindings_[i + 1]: loaded, its tensors mapped and checked against the document.
  Status load_variant(size_t i, EngineRegistry& engines, const SessionOptions& opts);
  // Runs spec().resources.warmup inferences on neutral inputs (zeros for the data input, each
  // state input's init value, the constants) on every binding.
  Status warm_up();
  // spec.scheduling.batch.max > 1: the model's tensors allow stacking inputs (see run_batch).
  Status check_batch(const Session& session) const;
  // One engine call on bindings_[session], under its lock: `spec_inputs` holds one tensor per
  // spec input, in spec order (mapped here to the file's own input order).
  Status run_session(int session, std::span<const Tensor* const> spec_inputs, std::vector<Tensor>* outputs);
  // Checks outputs for NaN/Inf and applies scale/offset.
  Status finish_outputs(std::vector<Tensor>& outputs);
  void set_state(ModelState s, std::string reason);
  // stats_.state and state_ together; stats_mu_ held.
  void store_state_locked(ModelState s);
  bool worker_failed() const;  // the worker process gave up (restart.maxAttempts failures in a row)

  // Each binding's session released (a run in progress on it ends first); the worker's restarts kept.
  void release_sessions();
  // Runs hold life_mu_ shared; unload_if_idle() and the load that follows hold it alone.
  // Takes `lock` (shared, held) through a load when the model is idle.
  Status ensure_loaded(std::shared_lock<std::shared_mutex>& lock);

  ModelDoc doc_;
  Env* const env_;
  EngineRegistry* engines_ = nullptr;  // what load() took: a reload after idleness loads there
  std::shared_mutex life_mu_;
  std::atomic<int64_t> last_run_ns_{0};  // env_ clock, since its epoch: when the last run started (or it became ready)
  std::string engine_name_;
  // One per file the model runs from: [0] its own (spec.source), then each of spec.variants.
  struct Binding {
    std::string engine;
    std::unique_ptr<Session> session;  // null once unloaded
    std::vector<int> input_of;         // spec input -> session input index
    std::vector<int> outputs;          // spec output -> session output index
    int64_t warmup_best_ns = 0;
    std::unique_ptr<std::mutex> mu = std::make_unique<std::mutex>();  // serialises run(); guards session after load
  };
  std::vector<Binding> bindings_;
  ProcessSession* worker_ = nullptr;  // bindings_[0].session when it runs in a worker process; guarded by stats_mu_
  int data_input_ = -1;
  std::vector<Shape> input_shapes_;       // per spec input
  std::vector<int> state_inputs_;         // spec input indices of state inputs, in order
  std::vector<Tensor> constants_;         // per spec input (empty tensor when not a constant)
  std::vector<TensorInfo> output_infos_;  // per spec output

  mutable std::mutex stats_mu_;
  ModelStatsSnapshot stats_;
  // stats_.state, readable without stats_mu_: every run checks it (run_session, the graph's and the
  // request tasks' unloaded checks, ensure_loaded).
  std::atomic<ModelState> state_{ModelState::kLoading};
};

}  // namespace sensix
