// Scheduler: runs every model input of the runtime on the device's accelerators, by priority and
// deadline, in batches where a model allows, skipping (and counting) low-priority inputs under
// overload. One per runtime, shared by every sensor graph. docs/scheduling.md says what a user
// sees; this comment says how.
//
// Tasks. A task is opaque to the scheduler: a bounded queue of inputs, each a capture time and a
// payload that the scheduler moves from submit() to the task's run without looking inside, plus
// what to schedule it by (TaskOptions: priority class, latency objective (the deadline is capture
// time + objective), batching, the accelerators it may run on in preference order, and its group:
// tasks of one group share their profiles and never run at once). Two callbacks do the work: run
// (a batch of inputs, on an accelerator) and flush (the end-of-stream marker, after every input
// queued before it). A task's inputs run in order, one batch at a time. The runtime makes each
// model node of a sensor graph a task, its payload the graph's item, and the model its group (the
// streams of a model share its engine session); the scheduler knows nothing of graphs or items.
//
// Lanes. The CPU accelerators share one lane (thread) per core they may use together; any other
// accelerator has as many lanes as its thread budget. A run takes the model's `resources.threads`
// from its accelerator's budget and, on a CPU accelerator, from the device's cores, one budget that
// every CPU accelerator draws from: the engines together never run more threads than the cores, and
// an idle core serves any engine that has work (work-conserving). A free lane looks at each of its
// accelerators with a free thread and picks, among the tasks it may run there, the one in the
// highest priority class whose head input has the earliest deadline (capture time + objective;
// inputs of models without an objective get capture time + 1 s, so they still run in arrival
// order); a tie goes to the accelerator listed first. EDF inside a
// class is optimal on one processor when the load fits; the classes make the high-priority
// models' share of the device independent of how much low-priority work arrives.
//
// Placement. A task lists its accelerators in preference order. A lane of a less preferred one
// takes the task only while every more preferred accelerator is saturated (and, under the
// balanced policy, the task met its objective lately and its profile there fits its slack), so
// placement follows the load. Profiles (sched/profile.h) are per model and accelerator.
//
// Policies (spec/spec.h SchedPolicy): latency runs one input at a time on the first accelerator
// and never waits; throughput fills batches up to batch.max, waiting up to batch.delay, and
// spills to any accelerator; balanced batches and spills while the model meets its objective,
// waiting for a batch only as long as the head input's slack allows, and backs off for a second
// after a miss.
//
// Shared runs. Tasks of one group that set share_runs (a model that batches: its sensor streams
// and its requests) fill each other's batches: the lane that picks one of them takes, after its own
// inputs, those queued in the others (which may run on the same accelerator), earliest deadline
// first, up to the picked task's batch size, counts them when it decides whether to wait for a fuller
// batch, and runs them all in one call of Options::join. Every task in the run is busy until it ends.
//
// Blocking-aware dispatch. A run cannot be interrupted, so a long low-priority run could hold the
// lane a high-priority input needs. For each higher-priority task with an objective that may run on
// the accelerator (or, for a CPU accelerator, on any CPU accelerator: they share the cores) and
// would find no thread left while the run goes on, the scheduler foresees its next input (the last arrival plus the mean gap between
// arrivals) and does not start a run that would still be going when that input arrives and would
// push its end (the high-priority run's profile) past its deadline less 10% of its objective; the
// lane then waits for that input. Both runs are taken at their profiles' 90th percentile where that
// is above the mean. Low-priority work runs in the gaps that fit it.
//
// Overload (real-time sensors only; with `lossless` nothing is skipped and producers wait). A run
// that misses its objective, or comes within 10% of it, marks its priority class congested for
// 250 ms. Tasks of lower classes are then admitted at a rate that is cut by a quarter at most every
// 100 ms while the congestion lasts and grows back by 0.05 every 100 ms once it has passed
// (AIMD, floor 0.02); an input not admitted is skipped at submit, evenly spread by an accumulator.
// Low-priority inputs already past their deadline are skipped at dispatch rather than run late.
// A full queue drops its oldest input. Every skip is counted (SchedStatsSnapshot).
//
// Thread-safety: add_task/seed_profile before start(); everything else from any thread.
#pragma once

#include <any>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/env.h"
#include "common/histogram.h"
#include "sched/accelerators.h"
#include "sched/profile.h"
#include "spec/spec.h"

namespace sensix {

struct SchedStatsSnapshot {
  std::string priority = "normal";
  std::string policy = "balanced";
  int64_t objective_ns = 0;                    // 0 = none
  LatencyHistogram queue;                      // submit -> dispatch, per input
  std::map<int, uint64_t> batches;             // batch size -> engine runs
  uint64_t deadline_misses = 0;                // inputs whose run ended after capture + objective
  uint64_t skipped = 0;                        // inputs not run: not admitted, stale, or dropped from a full queue
  uint64_t dropped = 0;                        // of `skipped`: dropped from a full queue
  uint64_t shared_runs = 0;                    // runs that held inputs of other tasks too (share_runs)
  std::map<std::string, uint64_t> placements;  // accelerator -> engine runs
  double admit_rate = 1.0;                     // now: the share of inputs admitted (1 = all)
  size_t queued = 0;                           // inputs waiting now
  size_t queued_peak = 0;                      // the most inputs that ever waited at once
  size_t capacity = 0;  // the queue's capacity (a lossless queue may pass it by one run's outputs)
  int64_t best_ns = 0;  // fastest single-input run measured (any accelerator)
  // The model's profile on each accelerator it ran on or was warmed up for (shared by the model's
  // streams): runs, latency per run, and the mean per batch size the scheduler plans with.
  struct ProfileSnapshot {
    uint64_t runs = 0;
    LatencyHistogram latency;
    std::map<int, int64_t> mean_by_batch;
  };
  std::map<std::string, ProfileSnapshot> profiles;

  void merge(const SchedStatsSnapshot& o);  // the same model on several sensors
};

struct AcceleratorStats {
  std::string name;
  std::string engine;
  std::string device;
  int threads = 0;
  uint64_t runs = 0;
  int64_t busy_ns = 0;  // summed over lanes
};

// One input of a task. The scheduler reads only `captured`; `payload` belongs to the producer and
// comes back, unopened, in the batch of the task's run.
struct TaskInput {
  TimePoint captured;  // the deadline's origin; unset: the submit time
  std::any payload;
};

struct TaskOptions {
  std::string model;  // the task's group: tasks of one group share profiles and never run at once
  Priority priority = Priority::kNormal;
  SchedPolicy policy = SchedPolicy::kBalanced;
  int64_t objective_ns = 0;
  BatchSpec batch;
  int threads = 1;                // taken from the accelerator's budget per run
  std::vector<int> accelerators;  // indices into DevicePlan::accelerators, preference order
  std::optional<bool> lossless;   // unset: Scheduler::Options::lossless
  size_t queue_capacity = 0;      // 0: Scheduler::Options::queue_capacity
  // Tasks of one group that share runs (each with batch.max > 1; the scheduler needs Options::join):
  // a lane that runs one of them fills the rest of its batch with the inputs queued in the others
  // that may run on the same accelerator, earliest deadline first, and runs them all in one call of
  // Options::join. A model that batches so runs its requests with its sensors' frames, and the
  // frames of several sensors together (runtime/shared_runs.h).
  bool share_runs = false;
};

class Scheduler {
 public:
  // A task's inputs in a run shared with other tasks of its group (TaskOptions::share_runs), in order.
  struct SharedPart {
    int task = -1;
    std::vector<TaskInput> inputs;
  };
  // Runs one shared run: the first part is the task the lane picked, the others follow in the order
  // their first input was taken. Called instead of the tasks' own run functions.
  using JoinFn = std::function<void(int accelerator, std::vector<SharedPart>& parts)>;
  struct Options {
    size_t queue_capacity = 8;  // inputs waiting per task (a batch may need more: max(capacity, batch.max))
    bool lossless = false;      // true: producers wait for room, nothing is skipped
    // The clock of arrivals, deadlines, batch delays, back-off and run times, and of the lanes'
    // waits; a test may run the scheduler on a ManualEnv.
    Env* env = Env::Default();
    // Runs the runs that tasks share (TaskOptions::share_runs); without it no task shares its runs.
    JoinFn join = nullptr;
  };
  // `run` gets the accelerator index and 1..batch.max inputs, in order; `flush` the end of stream.
  using RunFn = std::function<void(int accelerator, std::vector<TaskInput>& batch)>;
  using FlushFn = std::function<void()>;

  Scheduler(DevicePlan plan, Options options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  const DevicePlan& plan() const { return plan_; }

  // Before or after start(): a task added to a running scheduler takes inputs at once (a model
  // applied while the device runs).
  int add_task(TaskOptions options, RunFn run, FlushFn flush);
  // The task takes no input any more: what is queued is discarded (to run it first: submit_end,
  // then wait_flushed), later submits to it are ignored, it is dropped from every task's feeds,
  // and this returns once its run in progress (if any) has ended, so that its run and flush
  // functions are never called again and are released. Its statistics stay readable. Its index
  // is never given to another task (a producer still holding it cannot reach a stranger). Not
  // from a lane's run of this task (it would wait for itself). Idempotent.
  void remove_task(int task);
  // Returns once no lane runs `task` (at once when none does). Not from a lane's run of it.
  void wait_idle(int task);
  // The tasks whose inputs `task`'s runs make (a model feeding another's stream or crops), in
  // place of any given before (a graph changed while running sets them again). Where
  // such a task is lossless, `task` runs only while that task's queue has room (backpressure): a
  // lane's own submit never waits, so without this a fast model upstream of a slow one would pile
  // up inputs below it without bound (a replay at --speed max). The graph must be acyclic.
  void set_feeds(int task, std::vector<int> downstream);
  // A measurement made outside the scheduler (warm-up) for the model on an accelerator.
  void seed_profile(const std::string& model, int accelerator, int64_t ns);
  void start();
  // Stops the lanes after the runs in progress; queued inputs are discarded. Idempotent.
  void stop();

  // Queues an input. Real time: it may be skipped (admission) or push out the oldest. Lossless: a
  // producer outside the lanes waits for room; a lane (a model feeding another) never waits.
  void submit(int task, TaskInput input);
  // Runs `input` of `task` on the calling thread, at once, where a lane would take it at once
  // anyway and the run is short: the scheduler runs, no input waits anywhere (none is overtaken),
  // a lane of the task's first accelerator is idle and the accelerator has its threads free (they
  // are taken from the budget for the run, as a lane's), the task is not running and does not
  // batch, is admitted in full, its profile there predicts at most 1 ms, and the run would not
  // block a higher-priority task's next input (the lanes' own rule). Its statistics are a lane's
  // run's. A caller that would otherwise wait for the answer (a request's thread) so saves the two
  // thread switches of handing the input to a lane and the answer back: on a small model, most of
  // a request's time. Returns false, `input` untouched, where it does not (the caller submits it).
  // Not from a lane.
  bool run_here(int task, TaskInput& input);
  void submit_end(int task);
  // Returns once the task's end-of-stream marker has been handled (or the scheduler stopped).
  void wait_flushed(int task);

  SchedStatsSnapshot stats(int task) const;
  std::vector<AcceleratorStats> accelerator_stats() const;
  // The model's profile on each of its accelerators (name -> profile copy).
  std::map<std::string, Profile> profiles(const std::string& model) const;

 private:
  using Clock = SteadyClock;
  struct Entry {
    std::optional<TaskInput> input;  // empty: end of stream
    Clock::time_point arrival;
    Clock::time_point deadline;
  };
  struct Task {
    TaskOptions opt;
    RunFn run;
    FlushFn flush;
    size_t capacity = 8;
    std::deque<Entry> queue;
    bool flushed = false;
    bool ends = false;  // a marker is queued
    bool lossless = false;
    int group = 0;                // index into busy_ (one per model)
    int last_lane = -1;           // the lane that ran it last (cache affinity, see choose())
    bool running = false;         // a lane runs it (or its marker) now
    bool retired = false;         // remove_task: takes no input, never runs again
    int idle_waiters = 0;         // wait_idle calls waiting for its run to end
    std::vector<int> feeds;       // tasks its runs submit to (set_feeds)
    bool feeds_upstream = false;  // some task feeds it: room in its queue may let that one run
    // admission under overload
    double admit_rate = 1.0;
    double admit_acc = 0.0;
    Clock::time_point last_rate_change{};
    Clock::time_point last_miss{};
    // Arrivals (tasks with an objective): the last input's arrival and deadline, and the mean gap
    // between arrivals, to foresee the next input (blocking-aware dispatch, see choose()).
    Clock::time_point last_arrival{};
    Clock::time_point last_deadline{};
    double period_ns = 0;
    SchedStatsSnapshot stats;
  };
  struct Pick {
    int task = -1;
    int count = 0;   // inputs to take; 0 = the marker
    int joined = 0;  // inputs of other tasks of its group to take into the run (share_runs)
    int accelerator = -1;
    std::tuple<int, Clock::time_point, Clock::time_point> key{};  // (-priority, deadline, arrival): lowest first
  };

  // Lane `lane`: runs, one at a time, the work of whichever of `accelerators` comes first.
  void lane_loop(int lane, std::vector<int> accelerators);
  // The task lane `lane` of `accelerator` should run now, or none (then `wake` is when to look again).
  Pick choose(int lane, int accelerator, Clock::time_point now, Clock::time_point* wake);
  // The best pick over several accelerators (those with a free thread).
  Pick choose_among(int lane, const std::vector<int>& accelerators, Clock::time_point now, Clock::time_point* wake);
  // Whether a task other than `picked` waits for lane `lane` (its last lane, which was idle).
  bool deferred_to(int lane, int picked) const;
  bool may_place(const Task& t, int accelerator, Clock::time_point now) const;
  // Whether a lossless task that t's runs feed has a full queue (t waits: backpressure).
  bool feeds_full(const Task& t) const;
  // Whether starting `count` inputs of `t` on `accelerator` now would make the next input of a
  // higher-priority task miss its objective (the run cannot be interrupted once started); if so,
  // `*until` is when that input is expected (the lane looks again then, or when it comes).
  bool would_block_higher(const Task& t, int accelerator, int count, Clock::time_point now,
                          Clock::time_point* until) const;
  void adjust_admission(Task& t, Clock::time_point now);
  // Moves t's head input into `inputs` (its deadline into `deadlines`), recording its queue time.
  void take_input(Task& t, Clock::time_point now, std::vector<TaskInput>* inputs,
                  std::vector<Clock::time_point>* deadlines);
  // After inputs were taken from t (its queue full before: `was_full`): sets `*room` where a lossless
  // producer waiting on it may go on, `*unblocked` where a task feeding it may run again.
  void taken_from(const Task& t, bool was_full, bool* room, bool* unblocked) const;
  // Whether task `u` may give inputs to a run of `t` on `accelerator` (share_runs).
  bool may_join(const Task& t, const Task& u, int accelerator) const;
  // How many inputs (up to `room`) the other tasks of t's group have queued that may join its run on
  // `accelerator` now (their stale inputs skipped first).
  int joinable(const Task& t, int accelerator, int room, Clock::time_point now);
  // Takes `count` such inputs, earliest deadline first, into `parts` (after parts[0], kept for t's
  // own), with each one's deadline (`deadlines`, by part); marks their tasks running; taken_from()
  // for each.
  void take_joined(const Task& t, int lane, int accelerator, int count, Clock::time_point now,
                   std::vector<SharedPart>* parts, std::vector<std::vector<Clock::time_point>>* deadlines, bool* room,
                   bool* unblocked);
  // Whether an input (or an end-of-stream marker) waits in any task's queue (mu_ held).
  bool any_waiting() const;
  // An input's arrival at `t` (tasks with an objective: the gap between arrivals, for would_block_higher).
  void note_arrival(Task& t, Clock::time_point now, Clock::time_point deadline);
  // After a run of `count` inputs (their deadlines) from t0 to t1: profile, statistics, misses.
  void record_run(Task& t, int accelerator, int count, const std::vector<Clock::time_point>& deadlines,
                  Clock::time_point t0, Clock::time_point t1);
  // A task's share of a run of `size` inputs that ended at t1: its batch count, placement, misses.
  void record_part(Task& t, int accelerator, int size, const std::vector<Clock::time_point>& deadlines,
                   Clock::time_point t1);
  // The run's threads and group given back (`lock` held, released and taken again); the lanes are
  // woken where some input waits, room_ where the marker ran (`flushed`) or a waiter wants the run's end.
  void release_run(Task& t, int accelerator, bool flushed, std::unique_lock<std::mutex>& lock);
  // Sets each task's feeds_upstream from every task's feeds.
  void mark_upstream();
  // A lossless producer blocked on t's full queue goes on when the queue is down to this.
  static size_t low_mark(const Task& t) { return t.capacity / 2; }
  void skip_stale(Task& t, Clock::time_point now);
  int64_t predict(const Task& t, int accelerator, int batch) const;
  // Engine threads a run on `accelerator` may take now: its own free threads, and for a CPU
  // accelerator no more than the device's free cores (one budget shared by every CPU accelerator).
  int available(int accelerator) const;
  // Takes (sign +1) or gives back (-1) a run's threads from the accelerator and the shared cores.
  void take_threads(int accelerator, int threads, int sign);
  // Per lane, the accelerators it serves (fixed by the plan).
  std::vector<std::vector<int>> lane_sets() const;
  // Wakes every lane (call with mu_ released, after bumping changes_ under it).
  void wake_lanes();
  Profile& profile(const std::string& model, int accelerator);

  DevicePlan plan_;
  Options options_;
  mutable std::mutex mu_;
  // Two wake-ups, so that a thread wakes only for what it waits for (each needless wake-up is a
  // context switch that, on a busy core, lands inside a running model's call):
  // Lanes (one each, so that one can be woken alone): new input, freed threads or group, stop.
  std::vector<std::unique_ptr<std::condition_variable>> work_;
  std::condition_variable room_;  // lossless producers (queue room, with hysteresis), flush waiters, stop
  uint64_t changes_ = 0;          // bumped (under mu_) with every notification of work_
  Env* env_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::vector<bool> busy_;                     // per model group
  std::map<std::string, int> group_of_;        // model -> group
  std::vector<int> free_threads_;              // per accelerator
  int free_cores_ = 1;                         // the device's cores not taken by a CPU accelerator's run
  std::vector<AcceleratorStats> accel_stats_;  // per accelerator
  std::map<std::pair<std::string, int>, Profile> profiles_;
  std::array<Clock::time_point, 3> congested_until_{};  // per priority class
  std::vector<std::vector<int>> lane_sets_;             // per lane, its accelerators (lane_sets(), at construction)
  std::vector<std::thread> lanes_;
  std::vector<char> lane_idle_;  // per lane: waiting for work (under mu_)
  bool started_ = false;
  bool stop_ = false;
};

}  // namespace sensix
