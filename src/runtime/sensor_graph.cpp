#include "runtime/sensor_graph.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <utility>

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

// A model node's part of the runs its model's tasks share (runtime/shared_runs.h): the version
// and session it runs now, its inputs' tensors, and its results published as after its own run.
class SensorGraph::NodePart final : public SharedRunPart {
 public:
  NodePart(SensorGraph* graph, Node* node) : graph_(graph), node_(node) {}
  ~NodePart() override { graph_->options_.shared_runs->remove(node_->task); }

  std::mutex& run_mutex() override { return node_->run_mu; }
  ModelInstance* shared_version(int accelerator, int* session) override {
    // A candidate beside it runs its share after the running version: the node's own run does that.
    if (node_->candidate || node_->instance->state() == ModelState::kUnloaded) return nullptr;
    *session = node_->session_of.at(static_cast<size_t>(accelerator));
    return node_->instance;
  }
  void take(int, std::vector<TaskInput>& inputs, std::vector<const Tensor*>* data) override {
    if (Status bad = graph_->stream_inputs(inputs, &ins_); !bad.ok()) {
      std::vector<Result<StreamResult>> failed(inputs.size(), bad);
      graph_->deliver(node_, inputs, failed, 0);
      inputs.clear();
      ins_.clear();
      return;
    }
    for (const StreamInput& in : ins_) data->push_back(in.data);
  }
  void done(int, std::vector<TaskInput>& inputs, std::span<Result<std::vector<Tensor>>> outputs, TimePoint start,
            TimePoint end, int size) override {
    const TimePoint t0 = graph_->options_.env->now();
    std::vector<Result<StreamResult>> results;
    results.reserve(ins_.size());
    for (size_t k = 0; k < ins_.size() && k < outputs.size(); ++k) {
      results.push_back(node_->model->complete(ins_[k], std::move(outputs[k])));
    }
    // Its share of the engine run's time, and its own post-processing.
    const int64_t run_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
    const int64_t own_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(graph_->options_.env->now() - t0).count();
    graph_->deliver(node_, inputs, results, run_ns * static_cast<int64_t>(inputs.size()) / std::max(1, size) + own_ns);
  }
  void run_alone(int accelerator, std::vector<TaskInput>& inputs) override {
    graph_->run_model(node_, accelerator, inputs);
  }

 private:
  SensorGraph* graph_;
  Node* node_;
  // What take() found in the inputs, for done(): one shared run at a time (under node_->run_mu).
  std::vector<StreamInput> ins_;
};

SensorGraph::Node::~Node() = default;

Status SensorGraph::build(const Plan& plan, int id, Node* parent,
                          const std::map<std::string, std::shared_ptr<Node>>& keep,
                          const std::map<std::string, ModelInstance*>& models, Built* out,
                          std::shared_ptr<Node>* node) {
  const PlanNode& pn = plan.node(id);
  const auto* mp = std::get_if<ModelParams>(&pn.params);
  ModelInstance* instance = nullptr;
  if (mp) {
    auto it = models.find(mp->model);
    if (it == models.end()) return Internal("plan names model " + mp->model + " which is not loaded");
    instance = it->second;
  }
  // Kept: the same key under a kept parent (a new parent's subtree is new), and for a model node
  // the same instance (a replaced model starts afresh, and so does all below it).
  std::shared_ptr<Node> n;
  const bool parent_kept = !out->is_fresh.count(parent);
  if (auto k = keep.find(pn.key); parent_kept && k != keep.end() && k->second->instance == instance) n = k->second;
  if (!n) {
    n = std::make_shared<Node>();
    n->plan = pn;
    n->parent = parent;
    n->instance = instance;
    if (mp) {
      SENSIX_ASSIGN_OR_RETURN(n->model, ModelStream::create(instance, pn.pipelines, pn.sensor));
      auto names = std::make_shared<std::vector<std::string>>();
      for (const auto& o : instance->spec().outputs) names->push_back(o.name);
      n->output_names = std::move(names);
    } else if (!std::holds_alternative<SourceParams>(pn.params)) {
      auto t = make_transform_node(pn);
      if (!t.ok()) return t.status().with_context(fmt::format("sensor {}: {}", pn.sensor, pn.label));
      n->transform = std::move(t).value();
    }
    out->fresh.push_back(n);
    out->is_fresh.insert(n.get());
  }
  Children kids;
  for (int c : pn.children) {
    std::shared_ptr<Node> child;
    SENSIX_RETURN_IF_ERROR(build(plan, c, n.get(), keep, models, out, &child));
    kids.push_back(std::move(child));
  }
  // A kept node's children that the plan no longer has go (with their subtrees).
  const auto current = children_of(n.get());
  for (const auto& c : *current) {
    if (std::find(kids.begin(), kids.end(), c) == kids.end()) out->gone.push_back(c);
  }
  if (*current != kids) out->lists[n.get()] = std::make_shared<const Children>(std::move(kids));
  *node = std::move(n);
  return Status::Ok();
}

Status SensorGraph::add_tasks(const Built& built, const std::map<std::string, TaskOptions>& tasks) {
  // Every task is checked before any is added.
  for (const auto& n : built.fresh) {
    if (!n->model) continue;
    if (!options_.scheduler) return Internal("a sensor graph with models needs a scheduler");
    if (!tasks.count(n->model->model()->name()))
      return Internal("no scheduling for model " + n->model->model()->name());
  }
  for (const auto& n : built.fresh) {
    if (!n->model) continue;
    TaskOptions t = tasks.at(n->model->model()->name());
    t.lossless = options_.lossless;
    t.queue_capacity = options_.model_queue;
    // A model that batches shares its runs with its requests and its other sensors' streams.
    t.share_runs = options_.shared_runs != nullptr && t.batch.max > 1;
    const bool shares = t.share_runs;
    Node* raw = n.get();
    for (const auto& a : options_.scheduler->plan().accelerators) {
      raw->session_of.push_back(std::max(0, n->model->model()->session_for(a.engine)));
    }
    n->task = options_.scheduler->add_task(
        std::move(t),
        [this, raw](int accelerator, std::vector<TaskInput>& batch) { run_model(raw, accelerator, batch); },
        [this, raw] { flush_children(raw); });
    if (shares) {
      n->part = std::make_unique<NodePart>(this, raw);
      options_.shared_runs->add(n->task, n->part.get());
    }
  }
  return Status::Ok();
}

void SensorGraph::set_observed(Node* n, const std::set<std::string>& observed) {
  if (!n->model) return;
  const bool on = options_.observer && observed.count(n->instance->name()) > 0;
  n->observed = on;
  n->model->set_observed(on);
}

void SensorGraph::mark_frames() {
  // Whether a crops node is at or below `n` (it needs the sensor frame).
  std::function<bool(Node*)> mark = [&](Node* n) {
    bool pass = false;
    for (const auto& c : *children_of(n)) pass = mark(c.get()) || pass;
    n->pass_frame.store(pass, std::memory_order_relaxed);
    return std::holds_alternative<CropsParams>(n->plan.params) || pass;
  };
  mark(root_.get());
}

// Backpressure: each model's task learns the model tasks its outputs reach (through the
// transform nodes below it), so it waits while their lossless queues are full.
void SensorGraph::set_feeds() {
  std::function<void(const Node*, std::vector<int>*)> reached = [&](const Node* n, std::vector<int>* out) {
    for (const auto& c : *children_of(n)) {
      if (c->task >= 0) {
        out->push_back(c->task);
      } else {
        reached(c.get(), out);
      }
    }
  };
  for (auto& n : nodes_) {
    if (n->task < 0) continue;
    std::vector<int> downstream;
    reached(n.get(), &downstream);
    options_.scheduler->set_feeds(n->task, std::move(downstream));
  }
}

Result<std::unique_ptr<SensorGraph>> SensorGraph::create(const Plan& plan, int source,
                                                         const std::map<std::string, ModelInstance*>& models,
                                                         PredictionSink* sink, const Options& options) {
  std::unique_ptr<SensorGraph> g(new SensorGraph(options));
  if (g->options_.model_queue == 0) g->options_.model_queue = 1;
  g->sink_ = sink;
  Built built;
  SENSIX_RETURN_IF_ERROR(g->build(plan, source, nullptr, {}, models, &built, &g->root_));
  // Tasks are added once the whole graph exists (a model's run feeds the nodes below it).
  SENSIX_RETURN_IF_ERROR(g->add_tasks(built, options.tasks));
  std::lock_guard<std::mutex> lock(g->mu_);
  for (auto& [node, list] : built.lists) node->children.store(list, std::memory_order_release);
  g->nodes_ = std::move(built.fresh);
  for (auto& n : g->nodes_) g->set_observed(n.get(), options.observed);
  g->mark_frames();
  if (g->options_.scheduler) g->set_feeds();
  return g;
}

Status SensorGraph::update(const Plan& plan, int source, const std::map<std::string, ModelInstance*>& models,
                           const std::map<std::string, TaskOptions>& tasks, const std::set<std::string>& observed) {
  std::lock_guard<std::mutex> serial(update_mu_);
  if (plan.node(source).key != root_->plan.key) {
    return Internal(fmt::format("sensor {}: a graph changes within its own sensor only ({} is not {})",
                                root_->plan.sensor, plan.node(source).key, root_->plan.key));
  }
  std::map<std::string, std::shared_ptr<Node>> keep;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes_) keep[n->plan.key] = n;
  }
  // 1. Everything that can fail, with nothing reachable yet.
  Built built;
  std::shared_ptr<Node> root;
  SENSIX_RETURN_IF_ERROR(build(plan, source, nullptr, keep, models, &built, &root));
  if (root != root_) return Internal("sensor " + root_->plan.sensor + ": the source node was not kept");
  SENSIX_RETURN_IF_ERROR(add_tasks(built, tasks));
  // 2. Attach: the new nodes' lists first, then the kept parents', so a thread that reaches a new
  // node finds it complete.
  std::vector<Node*> changed;  // kept nodes whose children changed
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : built.fresh) {
      set_observed(n.get(), observed);  // before it can be reached: no run of it goes unobserved
      if (auto it = built.lists.find(n.get()); it != built.lists.end()) {
        n->children.store(it->second, std::memory_order_release);
      }
    }
    for (auto& [node, list] : built.lists) {
      if (built.is_fresh.count(node)) continue;
      node->children.store(list, std::memory_order_release);
      changed.push_back(node);
    }
    // The kept nodes follow the new plan's ids, consumers and pipelines.
    std::vector<std::shared_ptr<Node>> now;
    std::function<void(const std::shared_ptr<Node>&, int)> walk = [&](const std::shared_ptr<Node>& n, int id) {
      const PlanNode& pn = plan.node(id);
      n->plan.id = pn.id;
      n->plan.parent = pn.parent;
      n->plan.children = pn.children;
      n->plan.consumers = pn.consumers;
      if (n->plan.pipelines != pn.pipelines) {
        n->plan.pipelines = pn.pipelines;
        if (n->model) n->model->set_pipelines(pn.pipelines);
      }
      set_observed(n.get(), observed);  // the rules may read other models now
      now.push_back(n);
      const auto kids = children_of(n.get());
      for (size_t i = 0; i < kids->size(); ++i) walk((*kids)[i], pn.children[i]);
    };
    walk(root_, source);
    nodes_ = std::move(now);
    mark_frames();
    set_feeds();
  }
  // 3. Detach: what the plan no longer has gets no new input once every thread that could still
  // hold an old list has passed a safe point; then it drains and goes.
  for (Node* n : changed) wait_safe_point(n);
  retire(built.gone);
  return Status::Ok();
}

Status SensorGraph::switch_model(ModelInstance* from, ModelInstance* to, bool carry) {
  std::lock_guard<std::mutex> serial(update_mu_);
  struct Next {
    Node* node;
    std::unique_ptr<ModelStream> stream;
    std::shared_ptr<const std::vector<std::string>> names;
    std::vector<int> session_of;
  };
  std::vector<Next> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes_) {
      if (n->instance == from && n->model) next.push_back(Next{n.get(), nullptr, nullptr, {}});
    }
  }
  // Everything that can fail first.
  auto names = std::make_shared<std::vector<std::string>>();
  for (const auto& o : to->spec().outputs) names->push_back(o.name);
  for (Next& x : next) {
    SENSIX_ASSIGN_OR_RETURN(x.stream, ModelStream::create(to, x.node->model->pipelines(), x.node->plan.sensor));
    x.stream->set_observed(x.node->observed.load());
    x.names = names;
    for (const auto& a : options_.scheduler->plan().accelerators) {
      x.session_of.push_back(std::max(0, to->session_for(a.engine)));
    }
  }
  // Then each node, between two runs of its task.
  for (Next& x : next) {
    Node* n = x.node;
    std::unique_ptr<ModelStream> old;
    {
      std::lock_guard<std::mutex> run(n->run_mu);
      if (carry) {
        if (Status s = x.stream->adopt_state(*n->model); !s.ok()) {
          spdlog::warn("sensor {}: {}: {}; the new version starts from its state's init values", n->plan.sensor,
                       n->plan.label, s.message());
        }
      }
      old = std::exchange(n->model, std::move(x.stream));
      n->instance = to;
      n->output_names = std::move(x.names);
      n->session_of = std::move(x.session_of);
    }
  }
  return Status::Ok();
}

Status SensorGraph::attach_candidate(ModelInstance* running, ModelInstance* candidate,
                                     std::shared_ptr<CandidateMeter> meter) {
  std::lock_guard<std::mutex> serial(update_mu_);
  std::vector<std::pair<Node*, std::unique_ptr<Node::Candidate>>> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes_) {
      if (n->instance == running && n->model) next.emplace_back(n.get(), nullptr);
    }
  }
  for (auto& [n, c] : next) {
    c = std::make_unique<Node::Candidate>();
    c->instance = candidate;
    SENSIX_ASSIGN_OR_RETURN(c->stream, ModelStream::create(candidate, n->model->pipelines(), n->plan.sensor));
    for (const auto& a : options_.scheduler->plan().accelerators) {
      c->session_of.push_back(std::max(0, candidate->session_for(a.engine)));
    }
    c->meter = meter;
    c->share = ShareCounter(meter->options().share);
    c->compared = compared_outputs(running->spec());
  }
  for (auto& [n, c] : next) {
    std::lock_guard<std::mutex> run(n->run_mu);
    if (n->candidate && n->candidate->instance == candidate) continue;  // there already
    n->candidate = std::move(c);
  }
  return Status::Ok();
}

void SensorGraph::detach_candidate(const std::string& model, bool promote) {
  std::lock_guard<std::mutex> serial(update_mu_);
  std::vector<Node*> nodes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes_) {
      if (n->model && n->instance->name() == model) nodes.push_back(n.get());
    }
  }
  for (Node* n : nodes) {
    std::unique_ptr<Node::Candidate> gone;
    std::unique_ptr<ModelStream> old;
    std::lock_guard<std::mutex> run(n->run_mu);
    gone = std::move(n->candidate);
    if (!gone || !promote) continue;
    old = std::exchange(n->model, std::move(gone->stream));
    n->instance = gone->instance;
    auto names = std::make_shared<std::vector<std::string>>();
    for (const auto& o : gone->instance->spec().outputs) names->push_back(o.name);
    n->output_names = std::move(names);
    n->session_of = std::move(gone->session_of);
  }
}

void SensorGraph::wait_safe_point(const Node* parent) {
  const Node* n = parent;
  while (n && n->task < 0) n = n->parent;
  if (n) {  // driven by the lane that runs the model above
    options_.scheduler->wait_idle(n->task);
    return;
  }
  std::unique_lock<std::mutex> lock(frame_mu_);
  if (!in_frame_) return;
  const uint64_t seen = frames_done_;
  frame_cv_.wait(lock, [&] { return frames_done_ != seen; });
}

void SensorGraph::retire(const std::vector<std::shared_ptr<Node>>& gone) {
  if (gone.empty()) return;
  // Drain: the transform nodes above the first models flush on this thread (nothing else drives
  // them now); each model gets its end marker after what it has queued, and its run passes the
  // flush on below it.
  for (const auto& n : gone) flush_node(n.get());
  std::vector<int> removed;
  std::function<void(const Node*)> collect = [&](const Node* n) {
    if (n->task >= 0) removed.push_back(n->task);
    for (const auto& c : *children_of(n)) collect(c.get());
  };
  for (const auto& n : gone) collect(n.get());
  for (int t : removed) options_.scheduler->wait_flushed(t);
  for (int t : removed) options_.scheduler->remove_task(t);
}

// The scheduler outlives the graph's runs: the runtime stops it before destroying graphs.
SensorGraph::~SensorGraph() = default;

// Hop 1: a sensor's frame enters the graph as an item at the root.
void SensorGraph::process_frame(const FramePtr& frame) {
  {
    std::lock_guard<std::mutex> lock(frame_mu_);
    in_frame_ = true;
  }
  process(frame);
  {
    std::lock_guard<std::mutex> lock(frame_mu_);
    in_frame_ = false;
    ++frames_done_;
  }
  frame_cv_.notify_all();
}

void SensorGraph::process(const FramePtr& frame) {
  if (frame->discontinuity) restart_transforms(root_.get());
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
  for (const auto& c : *children_of(root_.get())) feed(c.get(), item);
}

void SensorGraph::restart_transforms(Node* node) {
  for (const auto& c : *children_of(node)) {
    if (c->task >= 0) continue;  // below a model: driven by the model's outputs, which continue
    if (c->transform) {
      auto fresh = make_transform_node(c->plan);
      if (fresh.ok()) {
        c->transform = std::move(fresh).value();
      } else {
        spdlog::warn("sensor {}: {}: cannot restart after a gap: {}", c->plan.sensor, c->plan.label,
                     fresh.status().message());
      }
    }
    restart_transforms(c.get());
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
  std::lock_guard<std::mutex> run(node->run_mu);  // a switch of version waits for this run
  if (node->instance->state() == ModelState::kUnloaded) {
    // Its version stopped for a new one to load (spec.rollout.strategy: stopThenStart): the inputs
    // are passed over, counted as dropped, until the new version (or the old one again) takes over.
    node->passed_over.fetch_add(batch.size(), std::memory_order_relaxed);
    return;
  }
  const int session = node->session_of.at(static_cast<size_t>(accelerator));
  std::vector<StreamInput> ins;
  const Status bad = stream_inputs(batch, &ins);
  const auto t0 = options_.env->now();
  std::vector<Result<StreamResult>> results;
  if (!bad.ok()) {
    results.assign(batch.size(), bad);
  } else if (ins.size() == 1) {
    results.push_back(node->model->infer(ins[0], session));
  } else {
    results = node->model->infer_batch(ins, session);
  }
  if (node->candidate && bad.ok()) run_candidate(node, accelerator, ins, results);
  deliver(node, batch, results, std::chrono::duration_cast<std::chrono::nanoseconds>(options_.env->now() - t0).count());
}

Status SensorGraph::stream_inputs(std::vector<TaskInput>& batch, std::vector<StreamInput>* ins) const {
  ins->clear();
  ins->reserve(batch.size());
  for (TaskInput& in : batch) {
    // A payload that is not an Item (a bug) fails the batch.
    const Item* item = std::any_cast<Item>(&in.payload);
    auto si = item ? stream_input(*item) : Result<StreamInput>(Internal("a model task's input is not an item"));
    if (!si.ok()) return si.status();
    ins->push_back(*si);
  }
  return Status::Ok();
}

void SensorGraph::deliver(Node* node, std::vector<TaskInput>& batch, std::vector<Result<StreamResult>>& results,
                          int64_t busy_ns) {
  node->items.fetch_add(batch.size(), std::memory_order_relaxed);
  node->busy_ns.fetch_add(busy_ns, std::memory_order_relaxed);
  for (size_t k = 0; k < batch.size(); ++k) {
    const Item* item = std::any_cast<Item>(&batch[k].payload);
    Status s = k < results.size() ? results[k].status() : Internal("no result for a model task's input");
    std::vector<Item> out;
    if (s.ok() && item) {
      s = publish(node, *item, std::move(*results[k]), &out);
    } else if (node->observed && item) {
      observe_failure(node, *item);
    }
    pass_on(node, s, out);
  }
}

// Hop 3, with a candidate (runtime/candidate.h): it runs its share of the inputs after the running
// version, each compared with the running version's result; a canary's result replaces it.
void SensorGraph::run_candidate(Node* node, int accelerator, const std::vector<StreamInput>& ins,
                                std::vector<Result<StreamResult>>& results) {
  Node::Candidate& c = *node->candidate;
  const int session = c.session_of.at(static_cast<size_t>(accelerator));
  const bool canary = c.meter->options().mode == CandidateMode::kCanary;
  c.stream->set_observed(canary &&
                         node->observed.load(std::memory_order_relaxed));  // a canary's results go to the rules
  for (size_t k = 0; k < ins.size() && k < results.size(); ++k) {
    if (!c.share.take()) continue;
    const auto t0 = options_.env->now();
    Result<StreamResult> r = c.stream->infer(ins[k], session);
    const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.env->now() - t0).count();
    CandidateComparison seen;
    seen.at = options_.env->wall_now();
    seen.sensor = node->plan.sensor;
    seen.frame_seq = ins[k].frame_seq;
    seen.media_ns = ins[k].end_ns;  // the frame's end, as its predictions' `time` says it
    if (!r.ok()) {
      seen.error = r.status().message();
      c.meter->record(ns, false, std::move(seen));
      continue;
    }
    seen.compared = results[k].ok();
    if (seen.compared) {
      const auto& a = *results[k];
      seen.difference = disagreement(*a.outputs, a.prediction ? &*a.prediction : nullptr, *r->outputs,
                                     r->prediction ? &*r->prediction : nullptr, *node->output_names, c.compared,
                                     c.meter->options().tolerance);
      seen.running = a.prediction;
    }
    // A canary's prediction is passed on below: copied; a shadow's goes nowhere else: moved.
    seen.candidate = canary ? r->prediction : std::move(r->prediction);
    c.meter->record(ns, canary, std::move(seen));
    if (canary) results[k] = std::move(r);
  }
}

// Hop 5: a node's run is over. A failure is counted (and logged once per distinct message);
// outputs go to every child (hop 2).
void SensorGraph::pass_on(Node* node, const Status& s, std::vector<Item>& out) {
  if (!s.ok()) {
    node->errors++;
    if (s.message() != node->last_error) {
      spdlog::warn("sensor {}: {}: {}", node->plan.sensor, node->plan.label, s.message());
      node->last_error = s.message();
    }
    return;
  }
  if (out.empty()) return;
  const auto kids = children_of(node);
  const bool pass_frame = node->pass_frame.load(std::memory_order_relaxed);
  for (Item& o : out) {
    if (!pass_frame) o.frame.release();  // no crops below: let the frame go
    for (const auto& c : *kids) feed(c.get(), o);
  }
}

void SensorGraph::observe_failure(Node* node, const Item& in) {
  // No result, but the rules learn that this model's time has passed.
  ModelResult failed;
  failed.ok = false;
  failed.level.pipelines = node->model->pipelines();
  failed.level.model = node->model->model()->name();
  failed.level.sensor = node->plan.sensor;
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
  if (!children_of(node)->empty()) {
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
  {
    std::lock_guard<std::mutex> lock(frame_mu_);
    in_frame_ = true;
  }
  flush_children(root_.get());
  {
    std::lock_guard<std::mutex> lock(frame_mu_);
    in_frame_ = false;
    ++frames_done_;
  }
  frame_cv_.notify_all();
  // Every model gets the marker after its last input (its parent's run passes it on once it
  // has flushed), so waiting for every task, parents first, waits for the whole tree.
  std::vector<int> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes_) {
      if (n->task >= 0) tasks.push_back(n->task);
    }
  }
  for (int t : tasks) options_.scheduler->wait_flushed(t);
}

void SensorGraph::remove_tasks() {
  std::vector<int> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes_) {
      if (n->task >= 0) tasks.push_back(n->task);
    }
  }
  for (int t : tasks) options_.scheduler->remove_task(t);
}

void SensorGraph::flush_children(Node* node) {
  for (const auto& c : *children_of(node)) flush_node(c.get());
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
      spdlog::warn("sensor {}: {}: flush: {}", node->plan.sensor, node->plan.label, s.message());
    }
    const auto kids = children_of(node);
    for (const Item& o : out) {
      for (const auto& c : *kids) feed(c.get(), o);
    }
  }
  for (const auto& c : *children_of(node)) flush_node(c.get());
}

std::vector<NodeStatsSnapshot> SensorGraph::stats() const {
  std::vector<NodeStatsSnapshot> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& n : nodes_) {
    NodeStatsSnapshot s;
    s.id = n->plan.id;
    s.sensor = n->plan.sensor;
    s.kind = std::string(node_kind_name(n->plan.params));
    s.label = n->plan.label;
    s.key = n->plan.key;
    s.consumers = n->plan.consumers;
    s.items = n->items.load();
    s.errors = n->errors.load();
    s.busy_ns = n->busy_ns.load();
    if (const auto* mp = std::get_if<ModelParams>(&n->plan.params)) s.model = mp->model;
    if (n->task >= 0) {
      SchedStatsSnapshot t = options_.scheduler->stats(n->task);
      t.skipped += n->passed_over.load();  // not run: the model was unloaded (stopThenStart)
      s.dropped = t.skipped;
      s.queued = t.queued;
      s.sched = std::move(t);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sensix
