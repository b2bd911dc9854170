#include "runtime/sensor_graph.h"

#include <chrono>
#include <functional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sensix {
namespace {

// A model node's input item as the stream reads it (pointers into the item, which outlives the run).
Result<StreamInput> stream_input(const Item& in) {
  const auto* td = std::get_if<TensorData>(&in.data);
  if (!td || !td->tensor) return Internal("model node received an item that is not a tensor");
  StreamInput si;
  si.data = td->tensor.get();
  si.geometry = td->has_geometry ? &td->geometry : nullptr;
  si.frame_seq = in.frame_seq;
  si.source = in.source;
  si.end_ns = in.end_ns;
  si.captured = in.captured;
  si.crop = in.crop.get();
  return si;
}

}  // namespace

Result<std::unique_ptr<SensorGraph>> SensorGraph::create(const Plan& plan, int source,
                                                         const std::map<std::string, ModelInstance*>& models,
                                                         PredictionSink* sink, const Options& options) {
  std::unique_ptr<SensorGraph> g(new SensorGraph(options));
  if (g->options_.model_queue == 0) g->options_.model_queue = 1;
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
      if (options.observer && options.observed.count(mp->model)) {
        node->model->set_observed(true);
        node->observed = true;
      }
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
  std::function<bool(Node*)> mark_frames = [&](Node* n) {
    n->needs_frame = std::holds_alternative<CropsParams>(n->plan->params);
    for (Node* c : n->children) n->pass_frame = mark_frames(c) || n->pass_frame;
    n->needs_frame = n->needs_frame || n->pass_frame;
    return n->needs_frame;
  };
  mark_frames(g->root_);
  // Tasks are added once the whole graph exists (a model's run feeds the nodes below it).
  for (auto& n : g->nodes_) {
    if (!n->model) continue;
    if (!options.scheduler) return Internal("a sensor graph with models needs a scheduler");
    const std::string& model = n->model->model()->name();
    auto it = options.tasks.find(model);
    if (it == options.tasks.end()) return Internal("no scheduling for model " + model);
    TaskOptions t = it->second;
    t.lossless = options.lossless;
    t.queue_capacity = g->options_.model_queue;
    Node* raw = n.get();
    SensorGraph* graph = g.get();
    for (const auto& a : options.scheduler->plan().accelerators) {
      raw->session_of.push_back(std::max(0, n->model->model()->session_for(a.engine)));
    }
    n->task = options.scheduler->add_task(
        std::move(t),
        [graph, raw](int accelerator, std::vector<TaskInput>& batch) { graph->run_model(raw, accelerator, batch); },
        [graph, raw] { graph->flush_children(raw); });
  }
  // Backpressure: each model's task learns the model tasks its outputs reach (through the
  // transform nodes below it), so it waits while their lossless queues are full.
  std::function<void(const Node*, std::vector<int>*)> reached = [&](const Node* n, std::vector<int>* out) {
    for (const Node* c : n->children) {
      if (c->task >= 0) {
        out->push_back(c->task);
      } else {
        reached(c, out);
      }
    }
  };
  for (auto& n : g->nodes_) {
    if (n->task < 0) continue;
    std::vector<int> downstream;
    reached(n.get(), &downstream);
    if (!downstream.empty()) options.scheduler->set_feeds(n->task, std::move(downstream));
  }
  return g;
}

// The scheduler outlives the graph's runs: the runtime stops it before destroying graphs.
SensorGraph::~SensorGraph() = default;

// Hop 1: a sensor's frame enters the graph as an item at the root.
void SensorGraph::process_frame(const FramePtr& frame) {
  if (frame->discontinuity) restart_transforms(root_);
  Item item;
  item.frame_seq = frame->seq;
  item.source = frame->source;
  item.end_ns = frame->media_ns + frame->duration_ns;
  item.captured = frame->captured;
  if (frame->is_audio()) {
    const AudioChunk& a = frame->audio();
    // Share the frame's samples without copying: the aliasing pointer keeps the frame alive.
    std::shared_ptr<const std::vector<float>> samples(frame, &a.samples);
    item.data = RowsData{std::move(samples), a.channels, a.sample_rate};
  } else if (frame->is_series()) {
    item.data = SeriesData{std::shared_ptr<const SeriesChunk>(frame, &frame->series())};
  } else {
    const cv::Mat& img = frame->image();
    ImageGeometry geo;
    geo.src_width = geo.dst_width = img.cols;
    geo.src_height = geo.dst_height = img.rows;
    item.data = ImageData{img, geo};
    if (root_->pass_frame) item.frame = img;  // for the crops of a cascade below a detector
  }
  root_->items++;
  for (Node* c : root_->children) feed(c, item);
}

void SensorGraph::restart_transforms(Node* node) {
  for (Node* c : node->children) {
    if (c->task >= 0) continue;  // below a model: driven by the model's outputs, which continue
    if (c->transform) {
      auto fresh = make_transform_node(*c->plan);
      if (fresh.ok()) {
        c->transform = std::move(fresh).value();
      } else {
        spdlog::warn("sensor {}: {}: cannot restart after a gap: {}", c->plan->sensor, c->plan->label,
                     fresh.status().message());
      }
    }
    restart_transforms(c);
  }
}

// Hop 2: an item reaches a node. A model node's input waits in its task's queue for a lane
// (hop 3); a transform node runs now, on this thread.
void SensorGraph::feed(Node* node, const Item& item) {
  if (node->task >= 0) {
    options_.scheduler->submit(node->task, TaskInput{item.captured, item});
    return;
  }
  run_transform(node, item);
}

void SensorGraph::run_transform(Node* node, const Item& item) {
  std::vector<Item> out;
  // Busy time: a transform node (a few hundred nanoseconds, where two clock reads would be a
  // sizeable part of its cost) is timed on its first 32 runs and then on every 8th, counted 8
  // times: an unbiased estimate of its total.
  const uint64_t n = node->items.fetch_add(1, std::memory_order_relaxed);
  const bool timed = n < 32 || n % 8 == 0;
  TimePoint t0;
  if (timed) t0 = options_.env->now();
  Status s = node->transform->process(item, &out);
  if (timed) {
    const int64_t weight = n < 32 ? 1 : 8;
    node->busy_ns.fetch_add(weight *
                                std::chrono::duration_cast<std::chrono::nanoseconds>(options_.env->now() - t0).count(),
                            std::memory_order_relaxed);
  }
  pass_on(node, s, out);
}

// Hop 3: a lane runs a model node's task on an accelerator: 1..n inputs in one engine call (each
// model is timed on every run), then each input's result is published and passed on (hop 4).
void SensorGraph::run_model(Node* node, int accelerator, std::vector<TaskInput>& batch) {
  const int session = node->session_of.at(static_cast<size_t>(accelerator));
  // A payload that is not an Item (a bug) fails the batch: item_at() is null for it.
  auto item_at = [&](size_t k) { return std::any_cast<Item>(&batch[k].payload); };
  std::vector<StreamInput> ins;
  ins.reserve(batch.size());
  Status bad;
  for (size_t k = 0; k < batch.size() && bad.ok(); ++k) {
    const Item* item = item_at(k);
    auto si = item ? stream_input(*item) : Result<StreamInput>(Internal("a model task's input is not an item"));
    if (si.ok()) {
      ins.push_back(*si);
    } else {
      bad = si.status();
    }
  }
  const auto t0 = options_.env->now();
  std::vector<Result<StreamResult>> results;
  if (!bad.ok()) {
    results.assign(batch.size(), bad);
  } else if (ins.size() == 1) {
    results.push_back(node->model->infer(ins[0], session));
  } else {
    results = node->model->infer_batch(ins, session);
  }
  node->items.fetch_add(batch.size(), std::memory_order_relaxed);
  node->busy_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(options_.env->now() - t0).count(),
                          std::memory_order_relaxed);
  for (size_t k = 0; k < batch.size(); ++k) {
    Status s = results[k].status();
    std::vector<Item> out;
    if (s.ok()) {
      s = publish(node, *item_at(k), std::move(*results[k]), &out);
    } else if (const Item* item = item_at(k); node->observed && item) {
      observe_failure(node, *item);
    }
    pass_on(node, s, out);
  }
}

// Hop 5: a node's run is over. A failure is counted (and logged once per distinct message);
// outputs go to every child (hop 2).
void SensorGraph::pass_on(Node* node, const Status& s, std::vector<Item>& out) {
  if (!s.ok()) {
    node->errors++;
    if (s.message() != node->last_error) {
      spdlog::warn("sensor {}: {}: {}", node->plan->sensor, node->plan->label, s.message());
      node->last_error = s.message();
    }
    return;
  }
  for (Item& o : out) {
    if (!node->pass_frame) o.frame.release();  // no crops below: let the frame go
    for (Node* c : node->children) feed(c, o);
  }
}

void SensorGraph::observe_failure(Node* node, const Item& in) {
  // No result, but the rules learn that this model's time has passed.
  ModelResult failed;
  failed.ok = false;
  failed.level.pipelines = node->plan->pipelines;
  failed.level.model = node->model->model()->name();
  failed.level.sensor = node->plan->sensor;
  failed.level.frame_seq = in.frame_seq;
  failed.level.source = in.source;
  failed.level.media_ns = in.end_ns;
  options_.observer->observe(std::move(failed), options_.lossless);
}

// Hop 4: a model's result goes to the event rules, the sinks, and (as one item in `out`, the
// outputs and the prediction) to the nodes below.
Status SensorGraph::publish(Node* node, const Item& in, StreamResult r, std::vector<Item>* out) {
  if (node->observed && r.level) options_.observer->observe(ModelResult{std::move(*r.level), true}, options_.lossless);
  if (r.prediction && sink_) sink_->publish(*r.prediction);
  if (!node->children.empty()) {
    Item o;
    o.frame_seq = in.frame_seq;
    o.source = in.source;
    o.end_ns = in.end_ns;
    o.captured = in.captured;
    o.frame = in.frame;
    o.crop = in.crop;
    // The prediction goes down too: a cascade's crop node cuts around its boxes.
    std::shared_ptr<const Prediction> prediction;
    if (r.prediction) prediction = std::make_shared<const Prediction>(*r.prediction);
    o.data = ModelOutputs{r.outputs, node->output_names, std::move(prediction)};
    out->push_back(std::move(o));
  }
  return Status::Ok();
}

void SensorGraph::flush() {
  flush_children(root_);
  // Every model gets the marker after its last input (its parent's run passes it on once it
  // has flushed), so waiting for every task in creation order waits for the whole tree.
  for (auto& n : nodes_) {
    if (n->task >= 0) options_.scheduler->wait_flushed(n->task);
  }
}

void SensorGraph::flush_children(Node* node) {
  for (Node* c : node->children) flush_node(c);
}

void SensorGraph::flush_node(Node* node) {
  if (node->task >= 0) {
    options_.scheduler->submit_end(node->task);  // its run flushes what lies below the model
    return;
  }
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
    if (const auto* mp = std::get_if<ModelParams>(&n->plan->params)) s.model = mp->model;
    if (n->task >= 0) {
      SchedStatsSnapshot t = options_.scheduler->stats(n->task);
      s.dropped = t.skipped;
      s.queued = t.queued;
      s.sched = std::move(t);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sensix
