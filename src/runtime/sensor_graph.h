// SensorGraph: the executable form of one sensor's tree in the plan — transform nodes and
// model streams. Frames enter on one thread (the sensor's graph thread), which runs the transform
// nodes down to each model; each model node is a task of the runtime's scheduler (sched/), with
// its own bounded input queue, run on the device's accelerators by priority and deadline, so a
// slow model never delays the sensor or the other models. A model's run (one input, or a batch
// where the model allows) runs the model and then the nodes below it (e.g. the windows of its
// output that feed other models, each again a task). A node's output items are read by all of its
// children (shared nodes run once per frame); every node is driven by one thread at a time: the
// graph thread, or the lane running its nearest model (a task never runs twice at once).
//
// Model queues (sched/scheduler.h): when full, the oldest waiting input is dropped and counted on
// that model (`lossless` false: real-time sensors; low-priority models may also be skipped under
// overload), or the feeding thread waits for room (`lossless` true: replay as fast as possible,
// where nothing may be lost).
//
// Errors in one node fail that item (counted on the node and, for models, on the model) and
// never stop the graph; the other branches still run.
//
// A graph changes while it runs (update): nodes are identified by their plan key, so a new plan
// for the same sensor keeps every node it still has (with its state: windows, model streams,
// queues, statistics), builds and attaches the new ones below their running parents (a fourth
// wake-word head reads the running embedding), and detaches, drains and removes the ones it no
// longer has. Children lists are immutable snapshots swapped atomically: a thread driving a node
// reads one snapshot per item, and a detached node is released only after every thread that could
// hold an older snapshot has passed a safe point (the graph thread its current frame, a lane its
// current run of the model above).
//
// Thread-safety: process_frame()/flush() from one thread (the graph thread); update() from one
// control thread, at any time before flush(); stats() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/frame.h"
#include "models/model_instance.h"
#include "models/model_stream.h"
#include "runtime/candidate.h"
#include "runtime/prediction_sink.h"
#include "runtime/result_observer.h"
#include "runtime/shared_runs.h"
#include "runtime/stats.h"
#include "sched/scheduler.h"
#include "transform/item.h"
#include "transform/nodes.h"
#include "transform/plan.h"

namespace sensix {

class SensorGraph {
 public:
  // `models` maps Model document names to loaded instances (owned by the runtime).
  struct Options {
    size_t model_queue = 8;  // inputs waiting per model
    bool lossless = false;   // true: wait for room instead of dropping the oldest input
    // Runs the model nodes (required when the graph has any). `tasks` holds each model's
    // scheduling (priority, objective, batch, accelerators); queue and lossless come from above.
    Scheduler* scheduler = nullptr;
    std::map<std::string, TaskOptions> tasks;
    // Told about every run of the models in `observed` (the event rules'); others cost nothing.
    ResultObserver* observer = nullptr;
    std::set<std::string> observed;
    Env* env = Env::Default();  // the clock of the nodes' busy time
    // Where the model nodes of a model that batches give their part of the runs its tasks share
    // (runtime/shared_runs.h: a request, or another sensor's frame, in the same engine run); none:
    // each node's task runs its own inputs only. Outlives the graph.
    SharedRuns* shared_runs = nullptr;
  };
  static Result<std::unique_ptr<SensorGraph>> create(const Plan& plan, int source,
                                                     const std::map<std::string, ModelInstance*>& models,
                                                     PredictionSink* sink, const Options& options);
  ~SensorGraph();
  SensorGraph(const SensorGraph&) = delete;
  SensorGraph& operator=(const SensorGraph&) = delete;

  // A frame with `discontinuity` set (a live source came back after a gap) first restarts every
  // transform node run by the graph thread (windows, resamplers, features), so no window joins
  // data from before and after the gap; the models' own state is kept.
  void process_frame(const FramePtr& frame);
  // Changes the graph, while it runs, to the plan's tree under `source` (the same sensor: the same
  // source key). A node whose key is in both, under a kept parent, is kept (a model node only when
  // `models` gives the same instance: a replaced model is a new node, and so is all below it); its
  // statistics' plan id, consumers and pipelines follow the new plan. Everything that can fail (a
  // transform node's parameters, a model stream) is built before the running graph changes:
  // on an error nothing has changed. Nodes no longer in the plan get no new input; what their
  // models have queued still runs (drained), then their tasks go. `models`, `tasks` and
  // `observed` as in Options; `tasks` must hold every new model.
  Status update(const Plan& plan, int source, const std::map<std::string, ModelInstance*>& models,
                const std::map<std::string, TaskOptions>& tasks, const std::set<std::string>& observed);
  // Switches every node of model `from` to `to`, a new version of the same Model document, loaded
  // and warmed up, in place (Runtime::apply checks first that `to` reads the same plan nodes, with
  // the same scheduling, and gives the same outputs). The switch happens between two runs of each
  // node's task: a run of `from` in progress finishes (and publishes) on it; what is queued runs on
  // `to`. The node keeps its task, its queue and its statistics, and the nodes below it keep
  // theirs (windows, streams): nothing is lost or restarted. `carry`: `to`'s stream goes on from
  // the state tensors of `from`'s last run (ModelStream::adopt_state); else from their init
  // values. On an error (a stream that cannot be made) nothing has changed.
  Status switch_model(ModelInstance* from, ModelInstance* to, bool carry);
  // Runs `candidate`, a new version of model `running` that fits its place (as for switch_model),
  // beside it in each of its nodes that has none yet (runtime/candidate.h): the running version
  // runs every input as before, the candidate the meter's share of them, compared, and for a
  // canary its results are the ones published and passed on. Its stream starts from its state's
  // init values. On an error (a stream that cannot be made) nothing has changed.
  Status attach_candidate(ModelInstance* running, ModelInstance* candidate, std::shared_ptr<CandidateMeter> meter);
  // The candidate leaves the nodes of `model` (whichever version runs there), between two runs;
  // with `promote` it takes the running version's place first, its stream going on with its own
  // state (it saw every input: a shadow of a model that keeps state has share 1), the nodes below
  // keeping theirs. No-op where there is none.
  void detach_candidate(const std::string& model, bool promote);
  // End of stream: flushes pending data (e.g. the last partial audio window) through the tree
  // and returns when every model has processed everything queued before it.
  void flush();
  // After flush(), once nothing feeds the graph: removes its models' tasks from the scheduler (a
  // sensor stopped while the device runs), so that the graph may go.
  void remove_tasks();

  std::vector<NodeStatsSnapshot> stats() const;

 private:
  struct Node;
  class NodePart;
  using Children = std::vector<std::shared_ptr<Node>>;

  struct Node {
    // The plan node it was built from. key, label, sensor and params never change (the driving
    // threads read them); id, parent, children, consumers and pipelines follow the latest plan
    // and are read and written under SensorGraph::mu_ only.
    PlanNode plan;
    Node* parent = nullptr;                                        // null at the root
    ModelInstance* instance = nullptr;                             // model nodes
    std::unique_ptr<ExecNode> transform;                           // transform nodes
    std::unique_ptr<ModelStream> model;                            // model nodes
    std::shared_ptr<const std::vector<std::string>> output_names;  // model nodes: declared outputs
    std::atomic<std::shared_ptr<const Children>> children{std::make_shared<const Children>()};
    std::atomic<uint64_t> items{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> passed_over{0};  // model nodes: inputs not run while the model was unloaded
    std::atomic<int64_t> busy_ns{0};
    std::string last_error;       // written by the one thread that drives this node
    int task = -1;                // model nodes: the scheduler's task
    std::vector<int> session_of;  // model nodes: per accelerator, the model's session for its engine
    // Whether a cascade's crops node (it reads Item::frame, the sensor frame) is below this node:
    // otherwise this node's outputs drop their reference to the frame, so model queues hold no
    // frames that nothing will crop.
    std::atomic<bool> pass_frame{false};  // set under mu_, read by the driving thread
    std::atomic<bool> observed{false};    // model nodes: every run goes to options_.observer
    // Model nodes: held by each run of the task (run_model) and by switch_model, which changes
    // instance, model, output_names and session_of between two runs, and by the candidate's
    // attach and detach.
    std::mutex run_mu;
    // A new version running beside this one (attach_candidate); guarded by run_mu.
    struct Candidate {
      ModelInstance* instance = nullptr;
      std::unique_ptr<ModelStream> stream;
      std::vector<int> session_of;
      std::shared_ptr<CandidateMeter> meter;
      ShareCounter share{1.0};
      std::vector<bool> compared;  // compared_outputs()
    };
    std::unique_ptr<Candidate> candidate;
    // Model nodes of a model that batches, with Options::shared_runs: its part of the runs its
    // model's tasks share (removed from shared_runs when the node goes).
    std::unique_ptr<NodePart> part;
    ~Node();
  };
  // Nodes built for update() (or create()), not yet reachable by any thread.
  struct Built {
    std::vector<std::shared_ptr<Node>> fresh;                // in plan order, parents first
    std::set<const Node*> is_fresh;                          // the same, to look up
    std::map<Node*, std::shared_ptr<const Children>> lists;  // new children lists, kept and new nodes
    std::vector<std::shared_ptr<Node>> gone;                 // kept parents' children no longer in the plan
  };

  explicit SensorGraph(const Options& options) : options_(options) {}
  // Builds the nodes of the plan's tree under `id` that `keep` does not hold, and the children
  // list of every node in it; nothing running changes.
  Status build(const Plan& plan, int id, Node* parent, const std::map<std::string, std::shared_ptr<Node>>& keep,
               const std::map<std::string, ModelInstance*>& models, Built* out, std::shared_ptr<Node>* node);
  // Adds the scheduler tasks of the new model nodes.
  Status add_tasks(const Built& built, const std::map<std::string, TaskOptions>& tasks);
  // A model node observed by the event rules when they read its model (else not).
  void set_observed(Node* n, const std::set<std::string>& observed);
  // Under mu_: the frame marks (crops below) and every model task's feeds, from the whole tree.
  void mark_frames();
  void set_feeds();
  // Waits until no thread can still hold a children list of `parent` from before a change: the
  // graph thread's current frame, or the current run of the nearest model above it.
  void wait_safe_point(const Node* parent);
  // Drains and removes nodes no longer in the graph (their subtrees too).
  void retire(const std::vector<std::shared_ptr<Node>>& gone);
  static std::shared_ptr<const Children> children_of(const Node* n) {
    return n->children.load(std::memory_order_acquire);
  }
  // The hops of one item, one verb each (docs/developer.md):
  //   1. process_frame: a sensor's frame enters at the root as an item;
  //   2. feed: an item reaches a node: a transform node runs it now (run_transform), a model
  //      node's task queues it (Scheduler::submit);
  //   3. run_model: a lane runs a model node's task: 1..n queued inputs in one engine call;
  //   4. publish: a model's result goes to the rules, the sinks and the nodes below;
  //   5. pass_on: a node's outputs go to its children (feed), or its failure is counted.
  void process(const FramePtr& frame);
  void feed(Node* node, const Item& item);
  void run_transform(Node* node, const Item& item);
  void run_model(Node* node, int accelerator, std::vector<TaskInput>& batch);
  // Hop 3's steps, shared with a run of several tasks (NodePart), with node->run_mu held: the
  // inputs as the stream reads them (an error for a batch holding a payload that is no Item), and,
  // after the run, the inputs counted and each result published and passed on (hops 4 and 5).
  Status stream_inputs(std::vector<TaskInput>& batch, std::vector<StreamInput>* ins) const;
  void deliver(Node* node, std::vector<TaskInput>& batch, std::vector<Result<StreamResult>>& results, int64_t busy_ns);
  void run_candidate(Node* node, int accelerator, const std::vector<StreamInput>& ins,
                     std::vector<Result<StreamResult>>& results);
  Status publish(Node* node, const Item& in, StreamResult r, std::vector<Item>* out);
  void pass_on(Node* node, const Status& s, std::vector<Item>& out);
  void observe_failure(Node* node, const Item& in);
  void restart_transforms(Node* node);
  void flush_node(Node* node);
  void flush_children(Node* node);

  Options options_;
  std::mutex update_mu_;                      // one update() at a time
  mutable std::mutex mu_;                     // nodes_ and the plan fields of every node
  std::vector<std::shared_ptr<Node>> nodes_;  // every node in the graph, parents before children
  std::shared_ptr<Node> root_;
  PredictionSink* sink_ = nullptr;
  // The graph thread's frames, for the safe point of a change above the models.
  std::mutex frame_mu_;
  std::condition_variable frame_cv_;
  bool in_frame_ = false;
  uint64_t frames_done_ = 0;
};

}  // namespace sensix
