// SensorGraph: the executable form of one sensor's tree in the plan — transform nodes and
// model streams — driven by one thread, one frame at a time, depth first. A node's output
// items are read by all of its children (shared nodes run once per frame).
//
// Errors in one node fail that item (counted on the node and, for models, on the model) and
// never stop the graph; the other branches still run.
//
// Thread-safety: process_frame()/flush() from one thread; stats() from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/model_instance.h"
#include "models/model_stream.h"
#include "runtime/prediction_sink.h"
#include "runtime/stats.h"
#include "sensors/frame.h"
#include "transform/nodes.h"
#include "transform/plan.h"

namespace sensix {

class SensorGraph {
 public:
  // `models` maps Model document names to loaded instances (owned by the runtime).
  static Result<std::unique_ptr<SensorGraph>> create(const Plan& plan, int source,
                                                     const std::map<std::string, ModelInstance*>& models,
                                                     PredictionSink* sink);

  void process_frame(const FramePtr& frame);
  // End of stream: flushes pending data (e.g. the last partial audio window) through the tree.
  void flush();

  std::vector<NodeStatsSnapshot> stats() const;

 private:
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
    std::string last_error;  // written by the graph thread only
  };

  SensorGraph() = default;
  void feed(Node* node, const Item& item);
  void flush_node(Node* node);
  Status run_model(Node* node, const Item& in, std::vector<Item>* out);

  std::vector<std::unique_ptr<Node>> nodes_;
  Node* root_ = nullptr;
  PredictionSink* sink_ = nullptr;
};

}  // namespace sensix
