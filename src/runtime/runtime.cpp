#include "runtime/runtime.h"

#include <algorithm>
#include <atomic>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/byte_size.h"
#include "docs/parser.h"
#include "models/classifier.h"

namespace sensix {

// Fans predictions out to every sink.
class Runtime::Bus final : public PredictionSink {
 public:
  void add(std::shared_ptr<PredictionSink> s) { sinks_.push_back(std::move(s)); }
  void publish(const Prediction& p) override {
    for (auto& s : sinks_) s->publish(p);
  }
  void publish_event(const Event& e) override {
    for (auto& s : sinks_) s->publish_event(e);
  }

 private:
  std::vector<std::shared_ptr<PredictionSink>> sinks_;  // fixed before start()
};

struct Runtime::SensorRun final : FrameSink {
  std::string name;
  SensorSpec spec;
  std::unique_ptr<SensorDriver> driver;
  std::unique_ptr<FrameQueue> queue;
  std::unique_ptr<SensorGraph> graph;
  std::vector<std::string> models;  // models this sensor feeds, directly or through other models
  std::thread thread;
  bool finished = false;  // guarded by Runtime::mu_

  Env* env = nullptr;
  // Time (env's clock) of the last frame the full buffer dropped; 0 = none yet.
  std::atomic<int64_t> last_drop_ns{0};

  bool push(FramePtr frame) override {
    const uint64_t before = queue->dropped();
    const bool ok = queue->push(std::move(frame));
    if (queue->dropped() != before) {
      last_drop_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(env->now().time_since_epoch()).count();
    }
    return ok;
  }
  void end_of_stream(const Status& why) override {
    if (!why.ok() && why.code() != StatusCode::kCancelled) spdlog::warn("sensor {}: {}", name, why.message());
    queue->close();
  }
};

Runtime::Runtime() : bus_(std::make_shared<Bus>()) {}

Runtime::~Runtime() { stop(); }

Result<std::unique_ptr<Runtime>> Runtime::create(const DocumentSet& docs, const RuntimeOptions& options) {
  std::unique_ptr<Runtime> rt(new Runtime());
  SENSIX_RETURN_IF_ERROR(rt->build(docs, options));
  return rt;
}

namespace {

// A stream input's window against the model's input: `window` rows of `width` values must fill it.
// The error is the Model's (spec.inputs[i].stream.window) and names the window that fits.
Status check_stream_window(const ModelDoc& md, int input, const StreamInputSpec& st, const Shape& shape, int64_t width,
                           const std::string& output, const ModelInstance& up) {
  if (st.window.window < 1 || std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; })) {
    return Status::Ok();  // the planner names these
  }
  const int64_t values = element_count(shape);
  const int64_t given = static_cast<int64_t>(st.window.window) * width;
  if (values == given) return Status::Ok();
  const std::string fits = values % width == 0
                               ? fmt::format("window: {} fits", values / width)
                               : fmt::format("no window fits: {} is not a multiple of {}", values, width);
  return InvalidArgument(fmt::format(
      "{}: spec.inputs[{}].stream.window: {} rows of output \"{}\" of Model/{} ({} values each) give {} values, but "
      "the model's input {} holds {}; {}",
      doc_label(md), input, st.window.window, output, up.name(), width, given, shape_to_string(shape), values, fits));
}

std::string step_label(const PipelineDoc& p, size_t i) {
  const StepSpec& s = p.spec.steps[i];
  std::string from = !s.from.sensor.empty() ? "sensor " + s.from.sensor
                                            : (s.from.crops ? "crops of model " : "model ") + s.from.model;
  return fmt::format("{}: spec.steps[{}] (model {} from {})", doc_label(p), i, s.model, from);
}

// The labels a cascade step asks for, against the upstream's labelsFile (inline labels are
// checked with the documents, docs/validate.cpp).
Status check_crop_labels(const PipelineDoc& p, size_t i, const ModelInstance& up) {
  const auto* detect = std::get_if<DetectSpec>(&up.spec().postprocess);
  const CropsSpec& crops = *p.spec.steps[i].from.crops;
  if (!detect || detect->labels_file.empty() || crops.labels.empty()) return Status::Ok();
  auto labels = read_labels_file(detect->labels_file);
  if (!labels.ok())
    return labels.status().with_context(fmt::format("Model/{}: spec.postprocess.detect.labelsFile", up.name()));
  for (size_t j = 0; j < crops.labels.size(); ++j) {
    if (std::find(labels->begin(), labels->end(), crops.labels[j]) != labels->end()) continue;
    return InvalidArgument(
        fmt::format("{}: spec.steps[{}].from.crops.labels[{}]: Model/{} detects no label \"{}\" (its "
                    "labels file {} has {} labels; labels are case-sensitive)",
                    doc_label(p), i, j, up.name(), crops.labels[j], detect->labels_file, labels->size()));
  }
  return Status::Ok();
}

}  // namespace

Status Runtime::build(const DocumentSet& docs, const RuntimeOptions& options) {
  docs_ = docs;
  env_ = options.env;
  if (options.verify_artifacts) SENSIX_RETURN_IF_ERROR(verify_artifacts(docs_));

  // What the pipelines use.
  std::set<std::string> used_sensors, used_models;
  for (const auto& p : docs_.pipelines) {
    for (const auto& s : p.spec.steps) {
      used_models.insert(s.model);
      if (!s.from.sensor.empty()) used_sensors.insert(s.from.sensor);
    }
  }
  if (used_models.empty()) return InvalidArgument("no Pipeline documents: nothing to run");

  // Open sensors (reads their native format; starts nothing).
  std::map<std::string, SensorInfo> infos;
  for (const auto& sd : docs_.sensors) {
    if (!used_sensors.count(sd.metadata.name)) continue;
    auto run = std::make_unique<SensorRun>();
    run->env = env_;
    run->name = sd.metadata.name;
    run->spec = sd.spec;
    if (!is_live(run->spec.driver)) {  // a live source runs on its own clock
      if (options.speed) run->spec.replay.speed = *options.speed;
      if (options.loop) run->spec.replay.loop = *options.loop;
    }
    auto driver = make_sensor_driver(run->name, run->spec, env_);
    if (!driver.ok()) return driver.status().with_context(doc_label(sd));
    run->driver = std::move(driver).value();
    SENSIX_RETURN_IF_ERROR(run->driver->open().with_context(doc_label(sd)));
    infos[run->name] = run->driver->info();
    Overflow overflow = run->spec.buffer.overflow.value_or(run->spec.replay.speed == 0 ? Overflow::kBlock
                                                                                       : Overflow::kDropOldest);
    run->queue = std::make_unique<FrameQueue>(static_cast<size_t>(run->spec.buffer.capacity), overflow, env_);
    sensors_.push_back(std::move(run));
  }

  // The device's accelerators, and each model's place on them, before anything loads.
  // The engines a model loads on: its own file's, then each variant's.
  auto engines_of = [](const ModelDoc& md) {
    std::vector<std::string> out;
    out.push_back(md.spec.engine.empty() ? std::string(EngineRegistry::default_engine_for(md.spec.format))
                                         : md.spec.engine);
    for (const auto& v : md.spec.variants) {
      out.push_back(v.engine.empty() ? std::string(EngineRegistry::default_engine_for(v.format)) : v.engine);
    }
    return out;
  };
  std::vector<std::string> engines_in_use;
  for (const auto& md : docs_.models) {
    if (!used_models.count(md.metadata.name)) continue;
    for (auto& e : engines_of(md)) engines_in_use.push_back(std::move(e));
  }
  auto offers = [this](std::string_view engine, DeviceKind device) -> std::string {
    auto e = engines_.get(std::string(engine));
    if (!e.ok()) return std::string(e.status().message());
    if (device == DeviceKind::kGpu) {
      return fmt::format("this build of sensix runs {} on the CPU only (no GPU execution provider is enabled)", engine);
    }
    return "";
  };
  const int machine_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  SENSIX_ASSIGN_OR_RETURN(DevicePlan device, resolve_accelerators(docs_, machine_cores, engines_in_use, offers));
  if (options.policy) device.policy = *options.policy;
  std::map<std::string, TaskOptions> tasks;
  for (const auto& md : docs_.models) {
    if (!used_models.count(md.metadata.name)) continue;
    SENSIX_ASSIGN_OR_RETURN(std::vector<int> placement, place_model(md, engines_of(md), device));
    const SchedulingSpec& sc = md.spec.scheduling;
    TaskOptions t;
    t.model = md.metadata.name;
    t.priority = sc.priority;
    t.policy = options.policy ? *options.policy : policy_of(md, device);
    t.objective_ns = sc.latency_ns;
    t.batch = sc.batch;
    t.threads = md.spec.resources.threads;
    t.accelerators = std::move(placement);
    tasks[md.metadata.name] = std::move(t);
  }

  // Load models.
  for (const auto& md : docs_.models) {
    if (!used_models.count(md.metadata.name)) continue;
    spdlog::debug("loading {}", doc_label(md));
    SENSIX_ASSIGN_OR_RETURN(auto instance, ModelInstance::load(md, engines_, env_));
    SENSIX_RETURN_IF_ERROR(check_memory_budget(md, instance->stats().memory, options.memory_budget_bytes));
    SENSIX_RETURN_IF_ERROR(check_objective(md, *instance, device, tasks.at(md.metadata.name)));
    models_[md.metadata.name] = std::move(instance);
  }
  Scheduler::Options so;
  so.env = env_;
  scheduler_ = std::make_unique<Scheduler>(device, so);
  for (const auto& [name, m] : models_) {  // the warm-up runs are each accelerator's first measurement
    for (int a : tasks.at(name).accelerators) {
      const int64_t best = m->warmup_best_ns(m->session_for(device.accelerators[static_cast<size_t>(a)].engine));
      if (best > 0) scheduler_->seed_profile(name, a, best);
    }
  }

  // Event rules: the labels they name are checked against labels files here (inline labels were
  // checked with the documents).
  std::map<std::string, std::vector<std::string>> model_labels;
  for (const auto& md : docs_.models) {
    if (!models_.count(md.metadata.name)) continue;
    std::string file, field;
    if (const auto* c = std::get_if<ClassifySpec>(&md.spec.postprocess); c && !c->labels_file.empty()) {
      file = c->labels_file;
      field = "classify";
    } else if (const auto* d = std::get_if<DetectSpec>(&md.spec.postprocess); d && !d->labels_file.empty()) {
      file = d->labels_file;
      field = "detect";
    }
    if (file.empty()) continue;
    bool named = false;
    for (const auto& p : docs_.pipelines) {
      for (const auto& ev : p.spec.events) {
        for (const auto& n : ev.rule.nodes) named = named || (n.model == md.metadata.name && !n.label.empty());
      }
    }
    if (!named) continue;
    auto labels = read_labels_file(file);
    if (!labels.ok())
      return labels.status().with_context(doc_label(md) + ": spec.postprocess." + field + ".labelsFile");
    model_labels[md.metadata.name] = std::move(labels).value();
  }
  SENSIX_ASSIGN_OR_RETURN(events_, EventEngine::create(docs_, model_labels, env_));

  // Derive the plan, pipeline by pipeline, steps in dependency order.
  PlanBuilder builder(options.share);
  std::map<std::string, int> sources;
  for (const auto& sensor : sensors_) {
    const SensorInfo& info = infos[sensor.get()->name];
    SourceParams sp;
    sp.sensor = sensor->name;
    sp.modality = info.modality;
    sp.sample_rate = info.sample_rate;
    sp.channels = info.channels;
    sp.width = info.width;
    sp.height = info.height;
    sources[sensor->name] = builder.add_source(sp);
  }
  for (const auto& p : docs_.pipelines) {
    const std::string& pname = p.metadata.name;
    std::map<std::string, int> model_nodes;  // model -> node in this pipeline
    std::vector<bool> placed(p.spec.steps.size(), false);
    size_t remaining = p.spec.steps.size();
    while (remaining > 0) {
      bool progress = false;
      for (size_t i = 0; i < p.spec.steps.size(); ++i) {
        if (placed[i]) continue;
        const StepSpec& step = p.spec.steps[i];
        if (!step.from.model.empty() && !model_nodes.count(step.from.model)) continue;
        ModelInstance& m = *models_.at(step.model);
        const int di = m.data_input();
        const InputSpec& in = m.spec().inputs[static_cast<size_t>(di)];
        const Shape& shape = m.input_shape(di);
        Result<int> chain = Internal("unreachable");
        if (!step.from.sensor.empty()) {
          int src = sources.at(step.from.sensor);
          if (const auto* a = std::get_if<AudioInputSpec>(&in.source)) {
            chain = builder.add_audio_chain(src, *a, shape, in.dtype, step.model, pname);
          } else if (const auto* im = std::get_if<ImageInputSpec>(&in.source)) {
            chain = builder.add_image_chain(src, *im, shape, in.dtype, step.model, pname);
          } else if (const auto* se = std::get_if<SeriesInputSpec>(&in.source)) {
            chain = builder.add_series_chain(src, *se, shape, in.dtype, step.model, pname);
          } else {
            chain = InvalidArgument("a sensor cannot feed a stream input");
          }
        } else {
          const ModelInstance& up = *models_.at(step.from.model);
          std::string output = step.from.output;
          if (output.empty()) output = up.spec().outputs.front().name;
          int oi = up.find_output(output);
          if (oi < 0) {
            chain = InvalidArgument(fmt::format("Model/{} declares no output \"{}\"", up.name(), output));
          } else if (step.from.crops) {
            const auto* image = std::get_if<ImageInputSpec>(&in.source);
            if (!image) {
              chain = InvalidArgument("crops of a detector's boxes feed an image input only");
            } else {
              Status labels = check_crop_labels(p, i, up);
              if (!labels.ok()) return labels;
              chain = builder.add_crops_chain(model_nodes.at(step.from.model), *step.from.crops, *image, shape,
                                              in.dtype, step.model, pname);
            }
          } else if (const auto* st = std::get_if<StreamInputSpec>(&in.source)) {
            const TensorInfo& info = up.output_info(oi);
            int64_t width = info.shape.empty() ? 1 : info.shape.back();
            if (width < 1) {
              chain = InvalidArgument(fmt::format("output \"{}\" of Model/{} has a dynamic last dimension {}", output,
                                                  up.name(), shape_to_string(info.shape)));
            } else if (Status w = check_stream_window(*docs_.find_model(step.model), di, *st, shape, width, output, up);
                       !w.ok()) {
              return w;  // the Model's window is wrong, whichever pipeline feeds it
            } else {
              chain = builder.add_stream_chain(model_nodes.at(step.from.model), output, static_cast<int>(width), *st,
                                               shape, in.dtype, step.model, pname);
            }
          } else {
            chain = InvalidArgument("a model's output can only feed a stream input");
          }
        }
        if (!chain.ok()) return chain.status().with_context(step_label(p, i));
        model_nodes[step.model] = builder.add_model(*chain, step.model, pname);
        placed[i] = true;
        remaining--;
        progress = true;
      }
      if (!progress)
        return InvalidArgument(doc_label(p) +
                               ": spec.steps: the steps form a cycle or name a model outside the pipeline");
    }
  }
  plan_ = builder.finish();

  // Executable graphs, one per sensor.
  std::map<std::string, ModelInstance*> model_ptrs;
  for (auto& [name, m] : models_) model_ptrs[name] = m.get();
  for (auto& run : sensors_) {
    int src = sources.at(run->name);
    SensorGraph::Options go;
    // The models' queues follow the sensor's buffer: lossless when the sensor blocks (replay at
    // max speed, or buffer.overflow: block), drop-oldest otherwise; as deep as the sensor's.
    go.lossless = run->queue->overflow() == Overflow::kBlock;
    go.model_queue = run->queue->capacity();
    if (events_) {
      go.observer = events_.get();
      go.observed = events_->observed();
    }
    go.scheduler = scheduler_.get();
    go.env = env_;
    go.tasks = tasks;
    SENSIX_ASSIGN_OR_RETURN(run->graph, SensorGraph::create(plan_, src, model_ptrs, bus_.get(), go));
    run->models = plan_.node(src).consumers;
  }
  return Status::Ok();
}

// The models loaded so far plus `md` must fit RuntimeOptions::memory_budget_bytes.
Status Runtime::check_memory_budget(const ModelDoc& md, const MemoryUsage& memory, int64_t budget) const {
  if (budget <= 0) return Status::Ok();
  int64_t total = memory.resident_bytes;
  std::string others;
  for (const auto& [name, m] : models_) {
    const int64_t bytes = m->stats().memory.resident_bytes;
    total += bytes;
    others += fmt::format("{}Model/{} {}", others.empty() ? "" : ", ", name, format_bytes(bytes));
  }
  if (total <= budget) return Status::Ok();
  return ResourceExhausted(
      fmt::format("{}: Model/{} needs {}, which would bring the loaded models to {}, over the "
                  "memory budget of {}{}",
                  doc_label(md), md.metadata.name, format_bytes(memory.resident_bytes), format_bytes(total),
                  format_bytes(budget), others.empty() ? "" : " (already loaded: " + others + ")"));
}

// A latency objective no run of the model has met: refused before anything runs.
Status Runtime::check_objective(const ModelDoc& md, const ModelInstance& loaded, const DevicePlan& device,
                                const TaskOptions& task) const {
  const int64_t objective = md.spec.scheduling.latency_ns;
  if (objective <= 0) return Status::Ok();
  // The fastest run on any accelerator the model may use.
  int64_t best = 0;
  std::string where;
  for (int a : task.accelerators) {
    const Accelerator& acc = device.accelerators[static_cast<size_t>(a)];
    const int64_t ns = loaded.warmup_best_ns(loaded.session_for(acc.engine));
    if (ns > 0 && (best == 0 || ns < best)) {
      best = ns;
      where = acc.name;
    }
  }
  if (best <= objective) return Status::Ok();
  const uint64_t runs = loaded.stats().warmup_runs / std::max<size_t>(1, loaded.engines().size());
  return InvalidArgument(fmt::format(
      "{}: spec.scheduling.latency: the objective of {:.1f} ms is shorter than the model's best measured run, {:.1f} "
      "ms ({} warm-up runs on {} with {} thread{}); the objective must leave room for at least one run",
      doc_label(md), objective / 1e6, best / 1e6, runs, where, task.threads, task.threads == 1 ? "" : "s"));
}

void Runtime::add_sink(std::shared_ptr<PredictionSink> sink) {
  if (!started_) bus_->add(std::move(sink));
}

Status Runtime::start() {
  if (started_) return FailedPrecondition("runtime already started");
  started_ = true;
  start_time_ = env_->now();
  if (events_) events_->start(bus_.get());
  scheduler_->start();
  for (auto& run : sensors_) {
    SensorRun* r = run.get();
    r->thread = std::thread([this, r] { graph_loop(r); });
  }
  for (auto& run : sensors_) {
    Status s = run->driver->start(run.get());
    if (!s.ok()) {
      spdlog::error("sensor {}: {}", run->name, s.message());
      run->queue->close();
    }
  }
  return Status::Ok();
}

void Runtime::graph_loop(SensorRun* run) {
  for (;;) {
    FramePtr f = run->queue->pop(std::chrono::milliseconds(100));
    if (f) {
      run->graph->process_frame(f);
      continue;
    }
    if (run->queue->closed() && run->queue->size() == 0) break;
  }
  run->graph->flush();
  if (events_) events_->end_models(run->name, run->models);  // returns once their results are evaluated
  std::lock_guard<std::mutex> lock(mu_);
  run->finished = true;
  finished_++;
  finished_cv_.notify_all();
}

bool Runtime::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return env_->wait_for(finished_cv_, lock, timeout, [&] { return finished_ == static_cast<int>(sensors_.size()); });
}

void Runtime::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Models drain (what is already queued still runs, the graphs flush) and are then unloaded.
  for (auto& [name, m] : models_) m->drain();
  for (auto& run : sensors_) {
    if (run->driver) run->driver->stop();
    if (run->queue) run->queue->close();
  }
  for (auto& run : sensors_) {
    if (run->thread.joinable()) run->thread.join();
  }
  if (scheduler_) scheduler_->stop();
  if (events_) events_->stop();
  for (auto& [name, m] : models_) m->unload();
}

RuntimeStats Runtime::stats() const {
  RuntimeStats s;
  s.sharing = plan_.sharing();
  if (started_) {
    s.uptime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(env_->now() - start_time_).count();
  }
  std::map<std::string, uint64_t> drops_by_model;
  for (const auto& run : sensors_) {
    SensorStatsSnapshot ss;
    ss.name = run->name;
    ss.driver = std::string(sensor_driver_name(run->spec.driver));
    ss.state = run->driver->state();
    ss.reason = run->driver->reason();
    ss.info = run->driver->info();
    SensorStats ds = run->driver->stats();
    ss.frames = ds.frames;
    ss.late = ds.late_frames;
    ss.errors = ds.errors;
    ss.reconnects = ds.reconnects;
    ss.dropped = run->queue->dropped();
    ss.queued = run->queue->size();
    const int64_t last_drop = run->last_drop_ns.load();
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(env_->now().time_since_epoch()).count();
    mark_overflow(&ss, last_drop == 0 ? -1 : now_ns - last_drop, run->queue->capacity());
    for (const auto& m : run->models) drops_by_model[m] += ss.dropped;
    s.sensors.push_back(std::move(ss));
    if (run->graph) {
      auto nodes = run->graph->stats();
      for (const auto& n : nodes) {
        if (!n.model.empty()) drops_by_model[n.model] += n.dropped;
      }
      s.nodes.insert(s.nodes.end(), nodes.begin(), nodes.end());
    }
  }
  std::sort(s.nodes.begin(), s.nodes.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  if (events_) s.events = events_->stats();
  if (scheduler_) {
    s.accelerators = scheduler_->accelerator_stats();
    s.policy = std::string(sched_policy_name(scheduler_->plan().policy));
  }
  std::map<std::string, SchedStatsSnapshot> sched_by_model;
  for (const auto& n : s.nodes) {
    if (!n.sched) continue;
    auto [it, fresh] = sched_by_model.emplace(n.model, *n.sched);
    if (!fresh) it->second.merge(*n.sched);
  }
  for (const auto& md : docs_.models) {
    auto it = models_.find(md.metadata.name);
    if (it == models_.end()) continue;
    ModelRuntimeStats m;
    m.model = it->second->stats();
    m.dropped_frames = drops_by_model[md.metadata.name];
    if (auto sc = sched_by_model.find(md.metadata.name); sc != sched_by_model.end()) m.sched = sc->second;
    s.models.push_back(std::move(m));
  }
  return s;
}

}  // namespace sensix
