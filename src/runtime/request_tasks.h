// RequestTasks: inference on request (the device service's inference API), on the runtime's one
// scheduler. Each loaded model gets request tasks beside the tasks of its sensor streams, one per
// priority class: a request is an input of the task of its class (the model's own, unless the
// request asks for another), scheduled with the sensors' inputs by that class and the model's
// deadline (its objective from the moment the request arrives), on the model's accelerators. The scheduler's overload rules apply: a request not admitted, or pushed out of the
// task's full queue, is answered Unavailable at once, never queued without bound.
//
// A request gives the model's data input (the one a Pipeline step feeds) by its tensor name, with
// the model's dtype and shape; constants are the model document's. The answer is the document's
// declared outputs, in order, with their scale/offset applied: what a pipeline's model gets.
// Models that keep state between runs (state inputs: Silero VAD) take requests of a sequence, as
// Triton's sequence batcher does: SequenceFlags name it, its first request opens it (state at the
// state inputs' init values), each run carries the state to the next request of the sequence,
// its last request closes it, and a sequence without a request for `sequence_idle` is dropped
// (counted). A plain request to such a model is refused: it has no stream to keep the state in.
// A sequence's requests run in the order they arrive when they have one priority class (the
// model's request tasks never run at once).
//
// Lifecycle: add() when a model is loaded (create, apply), remove() before it is unloaded
// (queued requests are answered Unavailable, a run in progress finishes), close() when the runtime
// stops. Thread-safety: every method from any thread; infer() blocks until the answer or timeout;
// infer_async() returns at once and answers later, once, from a scheduler lane (the run), the
// deadline thread (the timeout) or the thread that unloads the model (the queue dropped).
#pragma once

#include <array>
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
#include "common/status.h"
#include "common/tensor.h"
#include "models/model_instance.h"
#include "models/state_tensors.h"
#include "runtime/candidate.h"
#include "runtime/shared_runs.h"
#include "sched/scheduler.h"

namespace sensix {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// A tensor of a model's signature: its name, element type and shape (-1: any size).
struct TensorSignature {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
};

// What a request to a model gives and gets.
struct ModelSignature {
  std::string model;
  std::string version;
  std::string engine;
  std::vector<TensorSignature> inputs;          // what a request gives: the data input
  std::vector<TensorSignature> outputs;         // the declared outputs
  std::string stateful;                         // non-empty: why plain requests are refused
  std::shared_ptr<const InputSpec> data_input;  // the document's data input (what raw media is prepared for)
  bool postprocess = false;                     // the document declares post-processing (a `predictions` output)
  Priority priority = Priority::kNormal;        // the model's scheduling class (spec.scheduling.priority)
  int64_t objective_ns = 0;                     // spec.scheduling.latency; 0 = none
  BatchSpec batch;                              // requests per engine run (max 1: one at a time)
};

// The signature of a loaded model (what RequestTasks::signature gives once it is added).
ModelSignature signature_of(const ModelInstance& m);

// A request's place in a sequence of a stateful model (the protocol's sequence_id, sequence_start,
// sequence_end).
struct SequenceFlags {
  std::string id;      // non-empty
  bool start = false;  // opens the sequence (afresh, when it is open already)
  bool end = false;    // closes it after this request's run
};

// A count and the total time of what it counts.
struct CountNs {
  uint64_t count = 0;
  int64_t ns = 0;
  void add(int64_t d) { ++count, ns += d; }
};

// Engine runs of one batch size: their count and their steps' total times.
struct BatchCounts {
  CountNs compute_input, compute_infer, compute_output;
};

// The requests a model answered since it was loaded (its sensor streams' runs are not here: they
// are in the runtime's statistics). A request runs alone, or, for a model that batches
// (spec.scheduling.batch.max > 1), with the requests queued with it, in one engine run.
struct RequestStats {
  uint64_t inferences = 0;             // requests answered with outputs
  uint64_t executions = 0;             // engine runs for requests
  uint64_t shared_executions = 0;      // of `executions`: runs with other inputs (a sensor's, another class's)
  int64_t last_inference_ms = 0;       // wall clock (ms since the epoch) of the last answer; 0: none yet
  CountNs success;                     // arrival -> answer, of the requests answered with outputs
  CountNs fail;                        // arrival -> answer, of the others (bad input, refused, failed, timed out)
  CountNs queue;                       // submit -> the start of its run
  CountNs compute_input;               // checking the inputs against the model
  CountNs compute_infer;               // the engine run (with its input and output copies)
  CountNs compute_output;              // naming the outputs for the answer
  uint64_t refused = 0;                // of `fail`: refused under overload, or left in the queue at unload
  uint64_t timed_out = 0;              // of `fail`: no answer within the request's timeout
  uint64_t sequences_open = 0;         // sequences of a stateful model open now
  uint64_t sequences_expired = 0;      // sequences dropped after `sequence_idle` without a request
  std::map<int, BatchCounts> batches;  // by batch size: the engine runs (each request's steps in `compute_*`)
};

// How a request runs (RequestTasks::infer).
using RequestAfterRun = std::function<Status(const ModelInstance&, std::vector<NamedTensor>&)>;
struct RequestOptions {
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);  // no answer by then: Unavailable
  std::optional<Priority> priority;                             // the class it runs in (none: the model's)
  std::optional<SequenceFlags> sequence;                        // a stateful model's sequence
  // Called on the lane right after a successful run, before the answer, with the model (loaded for
  // the length of the call) and the outputs; an error it returns is the answer. A raw media request
  // post-processes there (runtime/media_request.h).
  RequestAfterRun after_run;
  // The version asked for (KServe's /versions/{v}, model_version): empty, where the model's rollout
  // sends it (a canary's share to the new version); the running version's spec.version, that
  // version only; the version running beside it (attach_candidate), that one only. NotFound for
  // another.
  std::string version;
};

class RequestTasks {
 public:
  // `sequence_idle`: a sequence without a request for this long is dropped. `shared_runs`: where
  // the request tasks of a model that batches give their part of the runs they share with its
  // sensor streams (runtime/shared_runs.h: requests and frames in one engine run); none: requests
  // batch with requests only. Outlives this.
  explicit RequestTasks(Scheduler* scheduler, Env* env = Env::Default(),
                        std::chrono::nanoseconds sequence_idle = std::chrono::seconds(60),
                        SharedRuns* shared_runs = nullptr);
  ~RequestTasks();
  RequestTasks(const RequestTasks&) = delete;
  RequestTasks& operator=(const RequestTasks&) = delete;

  // The model's request tasks, scheduled as `options` (the model's own scheduling) says, one per
  // priority class, each with a bounded queue; a model that batches (options.batch.max > 1) runs up
  // to that many queued requests of a class in one engine run (waiting up to its delay for them),
  // others one request per run. Replaces a task of the same name (remove() it first). `key`: the
  // entry's name, when not the model's (kept_key(): an earlier version of it, asked by version).
  void add(ModelInstance* model, TaskOptions options, const std::string& key = "");
  // The entry of an earlier version of a running model, loaded for requests that name it
  // (Runtime::serve_version): "MODEL@VERSION" (a model's name has no '@'). A request naming a
  // version that neither runs nor runs beside the model goes there.
  static std::string kept_key(std::string_view model, std::string_view version);
  // The model takes no more requests; queued ones are answered Unavailable. Returns once its run
  // in progress (if any) has ended. No-op for an unknown name.
  void remove(const std::string& model);
  // The model's requests go to `to`, a new version of it (the same name, data input and outputs:
  // Runtime::apply checks), from the next run of its tasks on: a run in progress finishes on the
  // old version, queued requests run on the new one, none is refused. Open sequences go on:
  // `carry` gives each the state it had (StateTensors::adopt), else its state starts from the new
  // version's init values. NotFound when the model takes no requests.
  Status switch_model(ModelInstance* to, bool carry);
  // Runs `candidate`, a new version of the model of the same name that fits its place, beside it
  // (runtime/candidate.h): the meter's share of the requests outside a sequence also run on it,
  // after the running version, and are compared; a canary's answer is its own. NotFound when the
  // model takes no requests.
  Status attach_candidate(ModelInstance* candidate, std::shared_ptr<CandidateMeter> meter);
  // The candidate goes, between two runs; with `promote` it takes the running version's place
  // first (as switch_model, the open sequences' state reset to its init values).
  void detach_candidate(const std::string& model, bool promote);
  // Every model goes (the runtime stops). Later requests are answered Unavailable.
  void close();

  // The spec.version of the model's new version running beside it (attach_candidate), if any.
  std::optional<std::string> candidate_version(const std::string& model) const;
  // The names of the models that take requests, sorted.
  std::vector<std::string> models() const;
  // NotFound for a model that does not take requests. With `version` (RequestOptions::version): the
  // signature of that version (NotFound for a version that does not run).
  Result<ModelSignature> signature(const std::string& model, const std::string& version = "") const;

  using AfterRun = RequestAfterRun;
  using Options = RequestOptions;

  // Runs the model on `inputs`. NotFound: no such model. Unavailable: not ready (with its state and
  // reason), not admitted under overload, unloaded while queued, or no answer within the timeout (a
  // request whose timeout passed before its run is not run). InvalidArgument: an input missing,
  // unknown, of another dtype or shape (each names the input, what was expected and what came); a
  // sequence that is not open, or one given to a model without state. FailedPrecondition: a
  // stateful model without a sequence.
  Result<std::vector<NamedTensor>> infer(const std::string& model, std::vector<NamedTensor> inputs,
                                         Options options = {});
  // The same without waiting: `answer` is called exactly once with what infer() returns (at once,
  // on this thread, when the request is refused before it is queued). It must not block.
  // The outputs, and the spec.version of the model that ran the request (the one named, else where
  // its rollout sent it: the running version or a canary's; empty when it did not run).
  using Answer = std::function<void(Result<std::vector<NamedTensor>>, std::string_view version)>;
  void infer_async(const std::string& model, std::vector<NamedTensor> inputs, Options options, Answer answer);

  // Ok when the model takes requests now; NotFound, or Unavailable with its state and reason.
  Status ready(const std::string& model) const;

  // NotFound for a model that does not take requests.
  Result<RequestStats> stats(const std::string& model) const;
  // Counts a request that failed before infer() (a malformed body, say) in the model's `fail`,
  // from `arrived` (now(): the clock the statistics use), and in `refused` (refused under overload)
  // or `timed_out` where it was. No-op for an unknown model.
  void failed(const std::string& model, TimePoint arrived, bool refused = false, bool timed_out = false);
  TimePoint now() const { return env_->now(); }

 private:
  struct Call;
  class TaskPart;
  struct Entry {
    // Held by each run of the model's tasks and by switch_model(), which changes model, session_of
    // and (under mu_ too) signature between two runs.
    std::mutex run_mu;
    ModelInstance* model = nullptr;
    std::array<int, 3> tasks{-1, -1, -1};   // by Priority (kLow, kNormal, kHigh)
    Priority priority = Priority::kNormal;  // the model's own class
    std::vector<int> session_of;            // per accelerator of the scheduler's plan
    ModelSignature signature;               // made at add() and switch_model(); read under mu_
    mutable std::mutex stats_mu;
    RequestStats stats;  // guarded by stats_mu
    // A stateful model's open sequences, by id (guarded by stats_mu). A run uses its sequence's
    // state alone: the model's request tasks never run at once.
    struct Sequence {
      StateTensors state;
      TimePoint last{};  // its last request's arrival
    };
    std::map<std::string, std::shared_ptr<Sequence>> sequences;
    // A new version beside this one (attach_candidate); guarded by run_mu.
    struct Candidate {
      ModelInstance* model = nullptr;
      std::vector<int> session_of;
      std::shared_ptr<CandidateMeter> meter;
      ShareCounter share{1.0};
      std::vector<std::string> output_names;  // the declared outputs (same names in both versions)
      std::vector<bool> compared;             // compared_outputs()
    };
    std::unique_ptr<Candidate> candidate;
    std::optional<std::string> candidate_version;  // its spec.version; guarded by mu_
    // A model that batches, with shared runs: each task's part (by Priority), and the start of the
    // last shared run counted in its statistics (one run may hold requests of several classes).
    std::array<std::unique_ptr<TaskPart>, 3> parts;
    TimePoint last_shared_run{};  // guarded by stats_mu
    Entry();
    ~Entry();
  };
  // The model's entry (nullptr: none), for use after mu_ is released.
  std::shared_ptr<Entry> find(const std::string& model) const;
  // ready() with mu_ held: the entry, or why not.
  Result<const Entry*> ready_locked(const std::string& model) const;
  Result<Tensor> check_locked(const Entry& e, std::vector<NamedTensor> inputs, bool sequence) const;
  // Ok when `version` runs (RequestOptions::version); NotFound naming what runs.
  Status check_version_locked(const Entry& e, const std::string& version, bool sequence) const;
  // The request's sequence of `e` (opened by its start; idle ones dropped first), or why not.
  Result<std::shared_ptr<Entry::Sequence>> sequence_locked(Entry& e, const SequenceFlags& flags, TimePoint now) const;
  void run(Entry& entry, int accelerator, std::vector<TaskInput>& batch);
  // The request an input holds, where it is still to run; nullptr where it was answered already or
  // its timeout has passed (then it is answered so here).
  Call* runnable(TaskInput& in) const;
  // Several requests of a model that batches, in one engine run.
  void run_batch(Entry& entry, int accelerator, const std::vector<Call*>& calls);
  // After a request's run: its statistics, its after_run, its answer.
  // `served_by`: the version whose outputs these are (a canary's), when not entry.model.
  void finish(Entry& entry, Call& call, Result<std::vector<Tensor>> out, TimePoint start, TimePoint ran,
              const ModelInstance* served_by = nullptr);
  // One call on version `m`: the run, its sequence's state, its answer and statistics. `after`
  // (optional) sees the outputs and the run's time (ns) before the answer and gives the version they are now from (a
  // canary's), or nullptr for `m`.
  void run_one(Entry& entry, Call& call, ModelInstance& m, int session,
               const std::function<const ModelInstance*(Result<std::vector<Tensor>>&, int64_t)>& after);
  // A request for one version (RequestOptions::version), run alone on it: the running one, or the
  // one beside it.
  void run_pinned(Entry& entry, int accelerator, Call& call);
  // With a candidate: runs it on the call's input if its share takes it, compares, and for a
  // canary puts its outputs in `out`; the version that `out` is then from.
  const ModelInstance* run_candidate(Entry& entry, int accelerator, const Call& call, Result<std::vector<Tensor>>& out);
  // An engine run of `calls`: the model's execution count and its batch size's statistics. `size`:
  // the run's batch size where it also ran other inputs (a shared run), else calls.size().
  void executed(Entry& entry, const std::vector<Call*>& calls, TimePoint start, TimePoint ran, int size = 0);
  // The deadline thread: answers the requests whose timeout passed before their answer.
  void reap();

  // Requests waiting for an answer, by deadline (an answered one leaves at once).
  std::mutex deadlines_mu_;
  std::condition_variable deadlines_cv_;
  std::multimap<TimePoint, std::weak_ptr<Call>> deadlines_;
  TimePoint reaper_wake_ = TimePoint::max();  // when the deadline thread wakes next, unless notified
  bool reaper_stop_ = false;
  std::thread reaper_;

  Scheduler* scheduler_;
  Env* env_;
  std::chrono::nanoseconds sequence_idle_;
  SharedRuns* shared_runs_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  bool closed_ = false;
};

}  // namespace sensix
