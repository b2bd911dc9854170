#include "runtime/sensor_graph.h"

#include <chrono>
#include <functional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sensix {

Result<std::unique_ptr<SensorGraph>> SensorGraph::create(const Plan& plan, int source,
                                                         const std::map<std::string, ModelInstance*>& models,
                                                         PredictionSink* sink) {
  std::unique_ptr<SensorGraph> g(new SensorGraph());
  g->sink_ = sink;
  std::function<Result<Node*>(int)> build = [&](int id) -> Result<Node*> {
    const PlanNode& pn = plan.node(id);
    auto node = std::make_unique<Node>();
    node->plan_id = id;
    node->plan = &pn;
    if (const auto* mp = std::get_if<ModelParams>(&pn.params)) {
      auto it = models.find(mp->model);
      if (it == models.end()) return Internal("plan names model " + mp->model + " which is not loaded");
      SENSIX_ASSIGN_OR_RETURN(node->model, ModelStream::create(it->second, pn.pipelines, pn.sensor));
      auto names = std::make_shared<std::vector<std::string>>();
      for (const auto& out : it->second->spec().outputs) names->push_back(out.name);
      node->output_names = std::move(names);
    } else if (!std::holds_alternative<SourceParams>(pn.params)) {
      auto t = make_transform_node(pn);
      if (!t.ok()) return t.status().with_context(fmt::format("sensor {}: {}", pn.sensor, pn.label));
      node->transform = std::move(t).value();
    }
    Node* raw = node.get();
    g->nodes_.push_back(std::move(node));
    for (int c : pn.children) {
      SENSIX_ASSIGN_OR_RETURN(Node * child, build(c));
      raw->children.push_back(child);
    }
    return raw;
  };
  SENSIX_ASSIGN_OR_RETURN(g->root_, build(source));
  return g;
}

void SensorGraph::process_frame(const FramePtr& frame) {
  Item item;
  item.frame_seq = frame->seq;
  item.end_ns = frame->media_ns + frame->duration_ns;
  item.captured = frame->captured;
  if (frame->is_audio()) {
    const AudioChunk& a = frame->audio();
    // Share the frame's samples without copying: the aliasing pointer keeps the frame alive.
    std::shared_ptr<const std::vector<float>> samples(frame, &a.samples);
    item.data = RowsData{std::move(samples), a.channels, a.sample_rate};
  } else {
    const cv::Mat& img = frame->image();
    ImageGeometry geo;
    geo.src_width = geo.dst_width = img.cols;
    geo.src_height = geo.dst_height = img.rows;
    item.data = ImageData{img, geo};
  }
  root_->items++;
  for (Node* c : root_->children) feed(c, item);
}

void SensorGraph::feed(Node* node, const Item& item) {
  std::vector<Item> out;
  auto t0 = std::chrono::steady_clock::now();
  Status s = node->model ? run_model(node, item, &out) : node->transform->process(item, &out);
  node->busy_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  node->items++;
  if (!s.ok()) {
    node->errors++;
    if (s.message() != node->last_error) {
      spdlog::warn("sensor {}: {}: {}", node->plan->sensor, node->plan->label, s.message());
      node->last_error = s.message();
    }
    return;
  }
  for (const Item& o : out) {
    for (Node* c : node->children) feed(c, o);
  }
}

Status SensorGraph::run_model(Node* node, const Item& in, std::vector<Item>* out) {
  const auto* td = std::get_if<TensorData>(&in.data);
  if (!td || !td->tensor) return Internal("model node received an item that is not a tensor");
  StreamInput si;
  si.data = td->tensor.get();
  si.geometry = td->has_geometry ? &td->geometry : nullptr;
  si.frame_seq = in.frame_seq;
  si.end_ns = in.end_ns;
  si.captured = in.captured;
  SENSIX_ASSIGN_OR_RETURN(StreamResult r, node->model->infer(si));
  if (r.prediction && sink_) sink_->publish(*r.prediction);
  if (!node->children.empty()) {
    Item o;
    o.frame_seq = in.frame_seq;
    o.end_ns = in.end_ns;
    o.captured = in.captured;
    o.data = ModelOutputs{r.outputs, node->output_names};
    out->push_back(std::move(o));
  }
  return Status::Ok();
}

void SensorGraph::flush() {
  for (Node* c : root_->children) flush_node(c);
}

void SensorGraph::flush_node(Node* node) {
  if (node->transform) {
    std::vector<Item> out;
    Status s = node->transform->flush(&out);
    if (!s.ok()) {
      node->errors++;
      spdlog::warn("sensor {}: {}: flush: {}", node->plan->sensor, node->plan->label, s.message());
    }
    for (const Item& o : out) {
      for (Node* c : node->children) feed(c, o);
    }
  }
  for (Node* c : node->children) flush_node(c);
}

std::vector<NodeStatsSnapshot> SensorGraph::stats() const {
  std::vector<NodeStatsSnapshot> out;
  for (const auto& n : nodes_) {
    NodeStatsSnapshot s;
    s.id = n->plan_id;
    s.sensor = n->plan->sensor;
    s.kind = std::string(node_kind_name(n->plan->params));
    s.label = n->plan->label;
    s.key = n->plan->key;
    s.consumers = n->plan->consumers;
    s.items = n->items.load();
    s.errors = n->errors.load();
    s.busy_ns = n->busy_ns.load();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sensix
