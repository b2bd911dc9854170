// SensorGraph: the executable form of one sensor's tree in the plan — transform nodes and
// model streams. Frames enter on one thread (the sensor's graph thread), which runs the transform
// nodes down to each model; each model has its own worker thread and bounded input queue, so a
// slow model never delays the sensor or the other models. A model's worker runs the model and then
// the nodes below it (e.g. the windows of its output that feed other models, each again with its
// own worker). A node's output items are read by all of its children (shared nodes run once per
// frame); every node is driven by exactly one thread: the graph thread or its nearest model's worker.
//
// Model queues: when full, the oldest waiting input is dropped and counted on that model
// (`lossless` false: real-time sensors), or the feeding thread waits for room (`lossless` true:
// replay as fast as possible, where nothing may be lost).
//
// Errors in one node fail that item (counted on the node and, for models, on the model) and
// never stop the graph; the other branches still run.
//
// Thread-safety: process_frame()/flush() from one thread; stats() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "models/model_instance.h"
#include "models/model_stream.h"
#include "runtime/prediction_sink.h"
#include "runtime/result_observer.h"
#include "runtime/stats.h"
#include "sensors/frame.h"
#include "transform/nodes.h"
#include "transform/plan.h"

namespace sensix {

class SensorGraph {
 public:
  // `models` maps Model document names to loaded instances (owned by the runtime).
  struct Options {
    size_t model_queue = 8;  // inputs waiting per model
    bool lossless = false;   // true: wait for room instead of dropping the oldest input
    // Told about every run of the models in `observed` (the event rules'); others cost nothing.
    ResultObserver* observer = nullptr;
    std::set<std::string> observed;
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
  // End of stream: flushes pending data (e.g. the last partial audio window) through the tree
  // and returns when every model has processed everything queued before it.
  void flush();

  std::vector<NodeStatsSnapshot> stats() const;

 private:
  struct Node;
  // A model's input queue and the thread that drains it. An empty `item` is the end-of-stream
  // marker: the worker flushes the nodes below its model and passes the marker on.
  struct Worker {
    std::mutex mu;
    std::condition_variable changed;
    std::deque<std::optional<Item>> queue;  // guarded by mu
    bool stop = false;                      // guarded by mu
    bool flushed = false;                   // guarded by mu: the end-of-stream marker was handled
    std::atomic<uint64_t> dropped{0};
    std::thread thread;
  };

  struct Node {
    int plan_id = 0;
    const PlanNode* plan = nullptr;
    std::unique_ptr<ExecNode> transform;  // transform nodes
    std::unique_ptr<ModelStream> model;   // model nodes
    std::shared_ptr<const std::vector<std::string>> output_names;  // model nodes: declared outputs
    std::vector<Node*> children;
    std::atomic<uint64_t> items{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<int64_t> busy_ns{0};
    std::string last_error;  // written by the one thread that drives this node
    std::unique_ptr<Worker> worker;  // model nodes
    // A cascade's crops node is this node or below it (it reads Item::frame, the sensor frame); and
    // whether any child is such a node: otherwise this node's outputs drop their reference to the
    // frame, so model queues hold no frames that nothing will crop.
    bool needs_frame = false;
    bool pass_frame = false;
    bool observed = false;           // model nodes: every run goes to options_.observer
  };

  explicit SensorGraph(const Options& options) : options_(options) {}
  // Runs `node` on `item` (a model node: queues it for the model's worker) and feeds the results on.
  void feed(Node* node, const Item& item);
  void run_node(Node* node, const Item& item);
  void enqueue(Node* node, std::optional<Item> item);
  void worker_loop(Node* node);
  void restart_transforms(Node* node);
  void flush_node(Node* node);
  void flush_children(Node* node);
  Status run_model(Node* node, const Item& in, std::vector<Item>* out);

  Options options_;
  std::vector<std::unique_ptr<Node>> nodes_;
  Node* root_ = nullptr;
  PredictionSink* sink_ = nullptr;
};

}  // namespace sensix
