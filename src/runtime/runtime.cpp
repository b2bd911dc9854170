#include "runtime/runtime.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/byte_size.h"
#include "common/cpu_cores.h"
#include "docs/parser.h"
#include "models/classifier.h"
#include "models/postprocessor.h"
#include "models/state_tensors.h"
#include "runtime/self_test.h"

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

// A stream input's window against the model's input: `window` rows of the upstream output's
// width must fill it. The error is the Model's (spec.inputs[i].stream.window) and names the
// window that fits. Ok when the model's data input is not a stream or the planner will name
// the problem (no such output, a dynamic shape).
Status check_stream_window(const ModelDoc& md, const ModelInstance& m, const ModelInstance& up, std::string output) {
  const int input = m.data_input();
  const auto* st = std::get_if<StreamInputSpec>(&m.spec().inputs[static_cast<size_t>(input)].source);
  if (output.empty()) output = up.spec().outputs.front().name;
  const int oi = up.find_output(output);
  if (!st || oi < 0) return Status::Ok();
  const Shape& shape = m.input_shape(input);
  const Shape& out_shape = up.output_info(oi).shape;
  const int64_t width = out_shape.empty() ? 1 : out_shape.back();
  if (st->window.window < 1 || width < 1 || std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; })) {
    return Status::Ok();
  }
  const int64_t values = element_count(shape);
  const int64_t given = static_cast<int64_t>(st->window.window) * width;
  if (values == given) return Status::Ok();
  const std::string fits = values % width == 0
                               ? fmt::format("window: {} fits", values / width)
                               : fmt::format("no window fits: {} is not a multiple of {}", values, width);
  return InvalidArgument(fmt::format(
      "{}: spec.inputs[{}].stream.window: {} rows of output \"{}\" of Model/{} ({} values each) give {} values, but "
      "the model's input {} holds {}; {}",
      doc_label(md), input, st->window.window, output, up.name(), width, given, shape_to_string(shape), values, fits));
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

Status Runtime::build(const DocumentSet& docs, const RuntimeOptions& options, const Reuse* reuse) {
  docs_ = docs;
  env_ = options.env;
  options_ = options;
  auto reused_model = [&](const std::string& name) { return reuse && reuse->models.count(name) > 0; };
  EngineRegistry& engines = reuse && reuse->engines ? *reuse->engines : engines_;
  // Every problem is collected, each with its document, field and line; a document with a
  // problem is left out of the later checks that need it (a model that does not load is not
  // planned), so one broken document never hides another's problems.
  StatusList problems;
  auto note = [&](const auto& doc, const Status& s) { problems.add(with_lines(s, doc_label(doc), doc.origin)); };
  std::set<std::string> bad_files;  // models whose files failed verify_artifacts: not loaded

  // A pipeline naming a document that is not in the set (it had problems of its own, reported by
  // read_document_files) is held back: only its stream windows are checked.
  // Without check_unused, such a set is refused (the parser never gives one).
  std::vector<PipelineDoc> held;
  for (const auto& p : docs_.pipelines) {
    for (size_t i = 0; i < p.spec.steps.size(); ++i) {
      const StepSpec& step = p.spec.steps[i];
      const bool named = docs_.find_model(step.model) &&
                         (step.from.sensor.empty() || docs_.find_sensor(step.from.sensor)) &&
                         (step.from.model.empty() || docs_.find_model(step.from.model));
      if (named) continue;
      if (!options.check_unused) {
        return InvalidArgument(step_label(p, i) + ": names a document that is not in the set");
      }
      held.push_back(p);
      break;
    }
  }
  std::erase_if(docs_.pipelines, [&](const PipelineDoc& p) {
    return std::any_of(held.begin(), held.end(),
                       [&](const PipelineDoc& h) { return h.metadata.name == p.metadata.name; });
  });
  std::map<std::string, std::unique_ptr<ModelInstance>> unused;  // check_unused: loaded to check

  // What the pipelines use.
  std::set<std::string> used_sensors, used_models;
  for (const auto& p : docs_.pipelines) {
    for (const auto& s : p.spec.steps) {
      used_models.insert(s.model);
      if (!s.from.sensor.empty()) used_sensors.insert(s.from.sensor);
    }
  }
  // A device service (allow_empty) serves every model on request (runtime/request_tasks.h), whether a
  // pipeline runs it or not: each is checked, placed, loaded and scheduled like a used one.
  std::set<std::string> served_models = used_models;
  if (options.allow_empty) {
    for (const auto& md : docs_.models) served_models.insert(md.metadata.name);
  }
  if (used_models.empty() && !options.check_unused && !options.allow_empty && !reuse) {
    return InvalidArgument("no Pipeline documents: nothing to run");
  }
  auto checked = [&](const std::set<std::string>& used, const std::string& name) {
    return used.count(name) > 0 || options.check_unused;
  };

  if (options.verify_artifacts) {
    for (const auto& md : docs_.models) {
      if (!checked(served_models, md.metadata.name) || reused_model(md.metadata.name)) continue;
      if (Status s = verify_artifacts(md, options.digest_known); !s.ok()) {
        note(md, s);
        bad_files.insert(md.metadata.name);
      }
    }
  }

  // Open sensors (reads their native format; starts nothing). An unused one (check_unused) is
  // opened to check it, then closed.
  std::map<std::string, SensorInfo> infos;
  for (const auto& sd : docs_.sensors) {
    if (!checked(used_sensors, sd.metadata.name)) continue;
    if (reuse && reuse->sensors.count(sd.metadata.name)) {  // running, unchanged
      if (used_sensors.count(sd.metadata.name)) infos[sd.metadata.name] = reuse->sensors.at(sd.metadata.name);
      continue;
    }
    auto run = std::make_unique<SensorRun>();
    run->env = env_;
    run->name = sd.metadata.name;
    run->spec = sd.spec;
    if (!is_live(run->spec.driver)) {  // a live source runs on its own clock
      if (options.speed) run->spec.replay.speed = *options.speed;
      if (options.loop) run->spec.replay.loop = *options.loop;
    }
    auto driver = make_sensor_driver(run->name, run->spec, env_);
    Status opened = driver.ok() ? (*driver)->open() : driver.status();
    if (!opened.ok()) {
      // A recording that is not there is the spec.path field's problem.
      const bool file = !is_live(sd.spec.driver) && sd.spec.driver != DriverKind::kSynthetic;
      const bool path = file && opened.code() == StatusCode::kNotFound;
      note(sd, opened.with_context(doc_label(sd) + (path ? ": spec.path" : "")));
      // not in sensors_: its pipelines are not planned
      continue;
    }
    if (!used_sensors.count(sd.metadata.name)) continue;
    run->driver = std::move(driver).value();
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
  std::vector<std::string> engines_in_use = options.engines;
  for (const auto& md : docs_.models) {
    if (!served_models.count(md.metadata.name)) continue;
    for (auto& e : engines_of(md)) engines_in_use.push_back(std::move(e));
  }
  // Whether an engine can run there, without loading it: models load their engines when they load.
  auto offers = [&engines](std::string_view engine, DeviceKind device) -> std::string {
    if (Status s = engines.check(engine); !s.ok()) return std::string(s.message());
    if (device == DeviceKind::kGpu) {
      return fmt::format("this build of sensix runs {} on the CPU only (no GPU execution provider is enabled)", engine);
    }
    return "";
  };
  const int machine_cores = usable_cores();  // the process's CPU affinity (taskset, a cpuset)
  // A running device keeps its accelerators: the models of the next set are placed on them.
  auto resolved = reuse ? Result<DevicePlan>(*reuse->device)
                        : resolve_accelerators(docs_, machine_cores, engines_in_use, offers);
  std::optional<DevicePlan> device;
  if (resolved.ok()) {
    device = std::move(resolved).value();
    if (options.policy) device->policy = *options.policy;
  } else if (!docs_.devices.empty()) {
    note(docs_.devices.front(), resolved.status());
  } else {
    problems.add(resolved.status());
  }
  std::map<std::string, TaskOptions> tasks;
  for (const auto& md : docs_.models) {
    if (!served_models.count(md.metadata.name) || !device) continue;
    auto placement = place_model(md, engines_of(md), *device);
    if (!placement.ok()) {
      note(md, placement.status());
      continue;
    }
    const SchedulingSpec& sc = md.spec.scheduling;
    TaskOptions t;
    t.model = md.metadata.name;
    t.priority = sc.priority;
    t.policy = options.policy ? *options.policy : policy_of(md, *device);
    t.objective_ns = sc.latency_ns;
    t.batch = sc.batch;
    t.threads = md.spec.resources.threads;
    t.accelerators = std::move(placement).value();
    tasks[md.metadata.name] = std::move(t);
  }

  // Load models (an unused one, with check_unused, is loaded to check it, then unloaded).
  if (reuse) {
    for (const auto& [name, m] : reuse->models) {
      if (served_models.count(name)) loaded_[name] = m;
    }
  }
  std::vector<const ModelDoc*> to_load;
  for (const auto& md : docs_.models) {
    if (checked(served_models, md.metadata.name) && !bad_files.count(md.metadata.name) &&
        !reused_model(md.metadata.name)) {
      to_load.push_back(&md);
    }
  }
  for (size_t i = 0; i < to_load.size(); ++i) {
    const ModelDoc& md = *to_load[i];
    spdlog::debug("loading {}", doc_label(md));
    if (options.on_progress) {
      options.on_progress("loading and warming up Model/" + md.metadata.name, static_cast<int>(i),
                          static_cast<int>(to_load.size()));
    }
    auto instance = ModelInstance::load(md, engines, env_);
    if (!instance.ok()) {
      note(md, instance.status());
      // not in models_: its pipelines are not planned
      continue;
    }
    // Its post-processing against its outputs (anchor counts and order, labels against classes).
    if (auto post = Postprocessor::create(**instance); !post.ok()) {
      note(md, post.status());
      continue;
    }
    // Its own test files: a version that gets them wrong never serves.
    if (!md.spec.self_test.empty()) {
      if (options.on_progress) {
        options.on_progress("self-testing Model/" + md.metadata.name, static_cast<int>(i),
                            static_cast<int>(to_load.size()));
      }
      if (Status s = run_self_tests(**instance); !s.ok()) {
        note(md, s.with_context(doc_label(md)));
        continue;
      }
    }
    if (!served_models.count(md.metadata.name)) {
      unused[md.metadata.name] = std::move(instance).value();
      continue;
    }
    note(md, check_memory_budget(md, (*instance)->stats().memory, options.memory_budget_bytes,
                                 reuse ? reuse->beside : std::map<std::string, int64_t>{},
                                 reuse ? reuse->extra : std::map<std::string, int64_t>{}));
    if (auto t = tasks.find(md.metadata.name); t != tasks.end()) {
      note(md, check_objective(md, **instance, *device, t->second));
    }
    loaded_[md.metadata.name] = instance->get();
    models_[md.metadata.name] = std::move(instance).value();
  }

  // Event rules: the labels they name are checked against labels files here (inline labels were
  // checked with the documents).
  std::map<std::string, std::vector<std::string>> model_labels;
  for (const auto& md : docs_.models) {
    if (!loaded_.count(md.metadata.name)) continue;
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
    if (!labels.ok()) {
      note(md, labels.status().with_context(doc_label(md) + ": spec.postprocess." + field + ".labelsFile"));
      continue;
    }
    model_labels[md.metadata.name] = std::move(labels).value();
  }

  // Derive the plan, pipeline by pipeline, steps in dependency order; a pipeline that uses a
  // broken document is not planned (that document's problems are reported already).
  PlanBuilder builder(options.share);
  std::map<std::string, int> sources;
  for (const auto& sd : docs_.sensors) {  // every sensor in use, opened or (apply) running
    auto found = infos.find(sd.metadata.name);
    if (found == infos.end()) continue;
    const SensorInfo& info = found->second;
    SourceParams sp;
    sp.sensor = sd.metadata.name;
    sp.modality = info.modality;
    sp.sample_rate = info.sample_rate;
    sp.channels = info.channels;
    sp.width = info.width;
    sp.height = info.height;
    sources[sd.metadata.name] = builder.add_source(sp);
  }
  // Stream windows are the Model's, whichever pipeline feeds it: checked on every step between two
  // loaded models, even where the pipeline's sensor is broken.
  std::set<std::string> bad_windows;
  auto loaded = [&](const std::string& name) -> const ModelInstance* {
    if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
    if (auto it = unused.find(name); it != unused.end()) return it->second.get();
    return nullptr;
  };
  for (const auto* list : {&docs_.pipelines, &held}) {
    for (const auto& p : *list) {
      for (const auto& step : p.spec.steps) {
        if (step.from.model.empty() || step.from.crops || bad_windows.count(step.model)) continue;
        const ModelInstance* m = loaded(step.model);
        const ModelInstance* up = loaded(step.from.model);
        if (!m || !up) continue;
        Status w = check_stream_window(*docs_.find_model(step.model), *m, *up, step.from.output);
        if (w.ok()) continue;
        note(*docs_.find_model(step.model), w);
        bad_windows.insert(step.model);
      }
    }
  }
  unused.clear();
  for (const auto& p : docs_.pipelines) {
    bool runnable = true;
    for (const auto& step : p.spec.steps) {
      runnable = runnable && loaded_.count(step.model) && !bad_windows.count(step.model) &&
                 (step.from.sensor.empty() || sources.count(step.from.sensor));
    }
    if (runnable) {
      Status planned = plan_pipeline(p, builder, sources);
      if (!planned.ok()) problems.add(planned);
    }
  }
  if (!problems.ok()) return problems.status();
  plan_ = builder.finish();
  tasks_ = std::move(tasks);
  // The event rules (checked against the models' labels); a runtime without rules still has an
  // engine, so that rules applied later find the graphs observing.
  SENSIX_ASSIGN_OR_RETURN(events_, EventEngine::create(docs_, model_labels, env_));
  if (!events_) events_ = EventEngine::empty(env_);
  if (reuse) return Status::Ok();  // apply: the running runtime takes it from here

  Scheduler::Options so;
  so.env = env_;
  if (options_.share_runs) {
    shared_runs_ = std::make_unique<SharedRuns>(env_);
    so.join = [runs = shared_runs_.get()](int accelerator, std::vector<Scheduler::SharedPart>& parts) {
      runs->run(accelerator, parts);
    };
  }
  scheduler_ = std::make_unique<Scheduler>(*device, so);
  for (const auto& [name, m] : models_) seed_profiles(name);
  requests_ = std::make_unique<RequestTasks>(scheduler_.get(), env_, options_.sequence_idle, shared_runs_.get());
  media_ = std::make_unique<MediaRequests>(requests_.get(), options_.media);
  for (const auto& [name, m] : loaded_) {
    if (auto t = tasks_.find(name); t != tasks_.end()) requests_->add(m, t->second);
  }

  // Executable graphs, one per sensor.
  for (auto& run : sensors_) SENSIX_RETURN_IF_ERROR(make_graph(run.get()));
  return Status::Ok();
}

void Runtime::seed_profiles(const std::string& model) {
  // A loaded model's warm-up runs are its first measurement on each accelerator it may use.
  const ModelInstance& m = *loaded_.at(model);
  const DevicePlan& device = scheduler_->plan();
  for (int a : tasks_.at(model).accelerators) {
    const int64_t best = m.warmup_best_ns(m.session_for(device.accelerators[static_cast<size_t>(a)].engine));
    if (best > 0) scheduler_->seed_profile(model, a, best);
  }
}

Status Runtime::make_graph(SensorRun* run) {
  const int src = plan_.source_of(run->name);
  if (src < 0) return Internal("sensor " + run->name + " is not in the plan");
  std::map<std::string, ModelInstance*> model_ptrs = loaded_;
  SensorGraph::Options go;
  // The models' queues follow the sensor's buffer: lossless when the sensor blocks (replay at
  // max speed, or buffer.overflow: block), drop-oldest otherwise; as deep as the sensor's.
  go.lossless = run->queue->overflow() == Overflow::kBlock;
  go.model_queue = run->queue->capacity();
  go.observer = events_.get();
  go.observed = events_->observed();
  go.scheduler = scheduler_.get();
  go.shared_runs = shared_runs_.get();
  go.env = env_;
  go.tasks = tasks_;
  SENSIX_ASSIGN_OR_RETURN(run->graph, SensorGraph::create(plan_, src, model_ptrs, bus_.get(), go));
  run->models = plan_.node(src).consumers;
  return Status::Ok();
}

// One pipeline's steps into the plan, in dependency order. Every problem is returned (with
// lines), the Model's when it is the Model's (a stream window).
Status Runtime::plan_pipeline(const PipelineDoc& p, PlanBuilder& builder, const std::map<std::string, int>& sources) {
  const std::string& pname = p.metadata.name;
  StatusList problems;
  auto note = [&](const auto& doc, const Status& s) { problems.add(with_lines(s, doc_label(doc), doc.origin)); };
  std::map<std::string, int> model_nodes;  // model -> node in this pipeline
  std::vector<bool> placed(p.spec.steps.size(), false);
  size_t remaining = p.spec.steps.size();
  while (remaining > 0) {
    bool progress = false;
    for (size_t i = 0; i < p.spec.steps.size(); ++i) {
      if (placed[i]) continue;
      const StepSpec& step = p.spec.steps[i];
      if (!step.from.model.empty() && !model_nodes.count(step.from.model)) continue;
      placed[i] = true;
      remaining--;
      progress = true;
      ModelInstance& m = *loaded_.at(step.model);
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
        const ModelInstance& up = *loaded_.at(step.from.model);
        std::string output = step.from.output;
        if (output.empty()) output = up.spec().outputs.front().name;
        int oi = up.find_output(output);
        if (oi < 0) {
          chain = InvalidArgument(fmt::format("Model/{} declares no output \"{}\"", up.name(), output));
        } else if (step.from.crops) {
          const auto* image = std::get_if<ImageInputSpec>(&in.source);
          if (!image) {
            chain = InvalidArgument("crops of a detector's boxes feed an image input only");
          } else if (Status labels = check_crop_labels(p, i, up); !labels.ok()) {
            note(p, labels);
            continue;
          } else {
            chain = builder.add_crops_chain(model_nodes.at(step.from.model), *step.from.crops, *image, shape, in.dtype,
                                            step.model, pname);
          }
        } else if (const auto* st = std::get_if<StreamInputSpec>(&in.source)) {
          const TensorInfo& info = up.output_info(oi);
          int64_t width = info.shape.empty() ? 1 : info.shape.back();
          if (width < 1) {
            chain = InvalidArgument(fmt::format("output \"{}\" of Model/{} has a dynamic last dimension {}", output,
                                                up.name(), shape_to_string(info.shape)));
          } else {  // its window was checked against the width (check_stream_window)
            chain = builder.add_stream_chain(model_nodes.at(step.from.model), output, static_cast<int>(width), *st,
                                             shape, in.dtype, step.model, pname);
          }
        } else {
          chain = InvalidArgument("a model's output can only feed a stream input");
        }
      }
      if (!chain.ok()) {
        note(p, chain.status().with_context(step_label(p, i)));
        continue;
      }
      model_nodes[step.model] = builder.add_model(*chain, step.model, pname);
    }
    if (!progress) {
      // Steps downstream of a step with a problem are not reported again.
      if (problems.ok()) {
        note(p, InvalidArgument(doc_label(p) +
                                ": spec.steps: the steps form a cycle or name a model outside the pipeline"));
      }
      break;
    }
  }
  return problems.status();
}

int64_t budgeted_bytes(const MemoryUsage& m) { return std::max(m.resident_bytes, m.file_bytes); }

void Runtime::set_memory_budget(int64_t bytes) {
  std::lock_guard<std::mutex> control(control_mu_);
  options_.memory_budget_bytes = bytes;
}

std::map<std::string, int64_t> Runtime::extra_versions_locked(const std::string& except) const {
  std::map<std::string, int64_t> out;
  for (const auto& [name, c] : candidates_) {
    out[fmt::format("Model/{} version {} ({})", name, c.doc.spec.version,
                    candidate_mode_name(c.meter->options().mode))] = budgeted_bytes(c.instance->stats().memory);
  }
  for (const auto& [key, m] : kept_) {
    // An idle one gave its memory back (serve_version checks the budget before it loads again).
    const ModelState state = m->state();
    if (key == except || (state != ModelState::kReady && state != ModelState::kDraining)) continue;
    out[fmt::format("Model/{} version {} (kept for requests)", m->name(), m->spec().version)] = budgeted_bytes(
        m->stats().memory);
  }
  return out;
}

// The models loaded so far, the running versions beside them, the other versions loaded and `md`
// must fit RuntimeOptions::memory_budget_bytes.
Status Runtime::check_memory_budget(const ModelDoc& md, const MemoryUsage& memory, int64_t budget,
                                    const std::map<std::string, int64_t>& beside,
                                    const std::map<std::string, int64_t>& extra) const {
  if (budget <= 0) return Status::Ok();
  int64_t total = budgeted_bytes(memory);
  std::string others;
  for (const auto& [name, m] : loaded_) {
    const int64_t bytes = budgeted_bytes(m->stats().memory);
    total += bytes;
    others += fmt::format("{}Model/{} {}", others.empty() ? "" : ", ", name, format_bytes(bytes));
  }
  std::string running;
  for (const auto& [name, bytes] : beside) {
    total += bytes;
    running += fmt::format("{}Model/{} {}", running.empty() ? "" : ", ", name, format_bytes(bytes));
  }
  for (const auto& [label, bytes] : extra) {
    total += bytes;
    others += fmt::format("{}{} {}", others.empty() ? "" : ", ", label, format_bytes(bytes));
  }
  if (total <= budget) return Status::Ok();
  std::string why = fmt::format(
      "{}: Model/{} needs {}, which would bring the loaded models to {}, over the memory budget of {}{}", doc_label(md),
      md.metadata.name, format_bytes(budgeted_bytes(memory)), format_bytes(total), format_bytes(budget),
      others.empty() ? "" : " (already loaded: " + others + ")");
  if (!running.empty()) {
    why += fmt::format(
        "; the running versions of changed models stay loaded until their new versions take over ({}): "
        "spec.rollout.strategy: stopThenStart unloads a running version first (the model serves nothing while its "
        "new version loads)",
        running);
  }
  return ResourceExhausted(why);
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
  housekeeper_ = std::thread([this] { housekeep(); });
  return Status::Ok();
}

void Runtime::housekeep() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!housekeeper_stop_) {
    housekeeper_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (housekeeper_stop_) break;
    // Under mu_: no apply can release a model meanwhile. A model unloads between two runs.
    bool unloaded = false;
    for (const auto* set : {&models_, &kept_}) {
      for (const auto& [name, m] : *set) {
        if (m->unload_if_idle(env_->now())) {
          unloaded = true;
          spdlog::info("Model/{} (version {}): {}", m->name(), m->spec().version, m->stats().reason);
        }
      }
    }
    if (unloaded) malloc_trim(0);
  }
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
  finished_cv_.notify_all();
}

bool Runtime::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return env_->wait_for(finished_cv_, lock, timeout, [&] {
    return std::all_of(sensors_.begin(), sensors_.end(), [](const auto& r) { return r->finished; });
  });
}

void Runtime::stop() {
  std::lock_guard<std::mutex> control(control_mu_);
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    housekeeper_stop_ = true;
  }
  housekeeper_cv_.notify_all();
  if (housekeeper_.joinable()) housekeeper_.join();
  // Models drain (what is already queued still runs, the graphs flush) and are then unloaded.
  for (auto& [name, m] : models_) m->drain();
  for (auto& run : sensors_) {
    if (run->driver) run->driver->stop();
    if (run->queue) run->queue->close();
  }
  for (auto& run : sensors_) {
    if (run->thread.joinable()) run->thread.join();
  }
  if (media_) media_->close();
  if (requests_) requests_->close();
  if (scheduler_) scheduler_->stop();
  if (events_) events_->stop();
  for (auto& [name, m] : models_) m->unload();
  for (auto& [name, c] : candidates_) c.instance->unload();
  for (auto& [key, m] : kept_) m->unload();
}

DocumentSet Runtime::documents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return docs_;
}

namespace {

// The pipelines whose event rules keep their running state: the pipeline, and every sensor and
// model its steps read, unchanged.
std::set<std::string> unchanged_rules(const DocumentSet& desired, const DocumentDiff& diff) {
  std::set<std::string> keep;
  for (const auto& p : desired.pipelines) {
    if (p.spec.events.empty() || diff.of("Pipeline", p.metadata.name) != DocChange::kUnchanged) continue;
    const bool same = std::all_of(p.spec.steps.begin(), p.spec.steps.end(), [&](const StepSpec& step) {
      return diff.of("Model", step.model) == DocChange::kUnchanged &&
             (step.from.sensor.empty() || diff.of("Sensor", step.from.sensor) == DocChange::kUnchanged);
    });
    if (same) keep.insert(p.metadata.name);
  }
  return keep;
}

// The plan nodes that are new in `next` against `now` (fresh): a key not in `now`, or a node at
// or below a model node whose model is `replaced` or whose sensor is `restarted`.
std::vector<bool> fresh_nodes(const Plan& now, const Plan& next, const std::set<std::string>& replaced,
                              const std::set<std::string>& restarted) {
  std::vector<bool> fresh(next.nodes().size(), false);
  for (const auto& n : next.nodes()) {  // parents come before their children
    const auto* mp = std::get_if<ModelParams>(&n.params);
    fresh[static_cast<size_t>(n.id)] = now.find_key(n.key) < 0 || restarted.count(n.sensor) > 0 ||
                                       (mp && replaced.count(mp->model) > 0) ||
                                       (n.parent >= 0 && fresh[static_cast<size_t>(n.parent)]);
  }
  return fresh;
}

// The canonical keys of the model's nodes in `plan` (one per sensor that feeds it).
std::set<std::string> model_keys(const Plan& plan, const std::string& model) {
  std::set<std::string> keys;
  for (const auto& n : plan.nodes()) {
    if (const auto* mp = std::get_if<ModelParams>(&n.params); mp && mp->model == model) keys.insert(n.key);
  }
  return keys;
}

// The model's scheduling in `tasks`, or nullptr (a model no task runs).
const TaskOptions* task_of(const std::map<std::string, TaskOptions>& tasks, const std::string& model) {
  auto it = tasks.find(model);
  return it == tasks.end() ? nullptr : &it->second;
}

bool same_scheduling(const TaskOptions& a, const TaskOptions& b) {
  return a.priority == b.priority && a.policy == b.policy && a.objective_ns == b.objective_ns &&
         a.batch.max == b.batch.max && a.batch.delay_ns == b.batch.delay_ns && a.threads == b.threads &&
         a.accelerators == b.accelerators;
}

// Why the new version `to` of a running model cannot take over its nodes and request tasks in place
// (SensorGraph::switch_model, RequestTasks::switch_model); "" when it can: it reads the same plan
// nodes, with the same scheduling, takes the same data input and gives the same outputs.
std::string why_not_in_place(const ModelInstance& from, const ModelInstance& to, const Plan& now, const Plan& next,
                             const TaskOptions* task_now, const TaskOptions* task_next) {
  if (model_keys(now, from.name()) != model_keys(next, to.name())) {
    return "its input is prepared otherwise (other steps before it)";
  }
  if ((task_now == nullptr) != (task_next == nullptr) ||
      (task_now && task_next && !same_scheduling(*task_now, *task_next))) {
    return "its scheduling changed (spec.scheduling, spec.resources.threads or its accelerators)";
  }
  const ModelSignature a = signature_of(from), b = signature_of(to);
  const auto& ia = a.inputs.at(0);
  const auto& ib = b.inputs.at(0);
  if (ia.name != ib.name || ia.dtype != ib.dtype || ia.shape != ib.shape) {
    return fmt::format("its data input changed ({} {} {} -> {} {} {})", ia.name, dtype_name(ia.dtype),
                       shape_to_string(ia.shape), ib.name, dtype_name(ib.dtype), shape_to_string(ib.shape));
  }
  if (a.outputs.size() != b.outputs.size()) return "its declared outputs changed";
  for (size_t o = 0; o < a.outputs.size(); ++o) {
    if (a.outputs[o].name != b.outputs[o].name || a.outputs[o].dtype != b.outputs[o].dtype) {
      return fmt::format("its declared output {} changed ({} -> {})", o, a.outputs[o].name, b.outputs[o].name);
    }
  }
  if (a.stateful.empty() != b.stateful.empty()) return "one version keeps state between runs and the other does not";
  return "";
}

}  // namespace

Result<ApplyResult> Runtime::apply(const DocumentSet& desired, bool dry_run) {
  std::lock_guard<std::mutex> control(control_mu_);
  if (!started_ || stopped_) return FailedPrecondition("documents are applied to a running sensix only");
  ApplyResult result;
  result.dry_run = dry_run;
  result.documents = diff_documents(docs_, desired);
  const DocumentDiff& diff = result.documents;
  for (const auto& e : diff.entries) {
    if (e.kind != "Device" || e.change == DocChange::kUnchanged) continue;
    return FailedPrecondition(
        fmt::format("Device/{}: {}: the device's accelerators are fixed while sensix runs; stop it and start it "
                    "with the new documents",
                    e.name, doc_change_name(e.change)));
  }

  for (const auto& [name, c] : candidates_) {
    if (diff.of("Model", name) == DocChange::kUnchanged) continue;
    return FailedPrecondition(fmt::format(
        "Model/{}: {}: a new version of it runs beside it (a rollout in progress): promote or abort it first", name,
        doc_change_name(diff.of("Model", name))));
  }

  // The next set, built off to the side on the running models, sensors, device and engines. A
  // changed model's running version stays loaded beside its new one (counted against the memory
  // budget), or stops first (spec.rollout.strategy: stopThenStart).
  Reuse reuse;
  reuse.device = &scheduler_->plan();
  reuse.engines = &engines_;
  std::vector<std::string> stop_first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, m] : models_) {
      if (diff.of("Model", name) == DocChange::kUnchanged) {
        reuse.models[name] = m.get();
        continue;
      }
      const ModelDoc* md = desired.find_model(name);
      if (md == nullptr) continue;  // deleted: unloaded once the new set runs, but not needed to build it
      if (md->spec.rollout.strategy == RolloutStrategy::kStopThenStart) {
        stop_first.push_back(name);
      } else {
        reuse.beside[name] = budgeted_bytes(m->stats().memory);
      }
    }
    for (const auto& run : sensors_) {
      if (diff.of("Sensor", run->name) == DocChange::kUnchanged) reuse.sensors[run->name] = run->driver->info();
    }
    reuse.extra = extra_versions_locked();
  }
  if (dry_run) stop_first.clear();
  stop_for_upgrade(stop_first);
  // Where the apply fails from here on, the stopped versions load again.
  struct Restart {
    Runtime* rt;
    std::vector<std::string> models;
    ~Restart() { rt->restart_stopped(models); }
  } restart{this, stop_first};
  std::unique_ptr<Runtime> next(new Runtime());
  RuntimeOptions options = options_;
  options.check_unused = false;
  SENSIX_RETURN_IF_ERROR(next->build(desired, options, &reuse));

  // What changes.
  std::set<std::string> restarted, replaced;
  for (const auto& run : sensors_) {
    const bool wanted = next->plan_.source_of(run->name) >= 0;
    if (!wanted || !reuse.sensors.count(run->name)) {
      (wanted ? result.restarted : result.stopped).push_back(run->name);
      if (wanted) restarted.insert(run->name);
    }
  }
  for (const auto& run : next->sensors_) {
    if (!restarted.count(run->name)) result.started.push_back(run->name);
  }
  for (const auto& [name, m] : next->models_) {
    (models_.count(name) ? result.replaced : result.loaded).push_back(name);
    if (models_.count(name)) replaced.insert(name);
  }
  for (const auto& [name, m] : models_) {
    if (!next->loaded_.count(name)) result.unloaded.push_back(name);
  }
  // A replaced model whose new version reads the same nodes takes them over in place (its state
  // carried or reset, the nodes below it kept); others get new nodes, and so does all below them.
  std::map<std::string, ModelInstance*> switched;  // name -> the old version
  std::set<std::string> rebuilt;
  for (const std::string& name : replaced) {
    ModelInstance* from = models_.at(name).get();
    const ModelInstance& to = *next->models_.at(name);
    const ModelDoc& md = *next->docs_.find_model(name);
    std::string why = why_not_in_place(*from, to, plan_, next->plan_, task_of(tasks_, name),
                                       task_of(next->tasks_, name));
    if (why.empty() && md.spec.rollout.state == SwitchState::kCarry)
      why = StateTensors(to).cannot_adopt(StateTensors(*from));
    if (why.empty()) {
      switched[name] = from;
      result.switched.push_back(name);
      continue;
    }
    if (md.spec.rollout.state == SwitchState::kCarry) {
      return with_lines(InvalidArgument(fmt::format("{}: spec.rollout.state: carry: the new version cannot go on from "
                                                    "the running one's state: {}",
                                                    doc_label(md), why)),
                        doc_label(md), md.origin);
    }
    rebuilt.insert(name);
  }
  const std::vector<bool> attached = fresh_nodes(plan_, next->plan_, rebuilt, restarted);
  const std::vector<bool> released = fresh_nodes(next->plan_, plan_, rebuilt, restarted);
  std::set<std::string> updated;
  for (const auto& n : next->plan_.nodes()) {
    if (!attached[static_cast<size_t>(n.id)]) continue;
    result.attached.push_back(n.key);
    if (!reuse.sensors.count(n.sensor)) continue;
    updated.insert(n.sensor);
    if (n.parent >= 0 && !attached[static_cast<size_t>(n.parent)]) {
      result.shared.push_back(n.key + " reads " + next->plan_.node(n.parent).key);
    }
  }
  for (const auto& n : plan_.nodes()) {
    if (!released[static_cast<size_t>(n.id)]) continue;
    result.released.push_back(n.key);
    if (reuse.sensors.count(n.sensor) && next->plan_.source_of(n.sensor) >= 0) updated.insert(n.sensor);
  }
  result.updated.assign(updated.begin(), updated.end());
  if (dry_run) return result;  // `next` goes: its new models unload, its new sensors close
  restart.models.clear();      // the new versions take over from the stopped ones

  // From here on the running set changes. 1. Sensors that go (removed, changed or no longer read)
  // stop: their graphs drain what they hold, their threads end, and their models' tasks go.
  std::vector<std::unique_ptr<SensorRun>> going;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& run : sensors_) {
      if (reuse.sensors.count(run->name) && next->plan_.source_of(run->name) >= 0) continue;
      going.push_back(std::move(run));
    }
    std::erase(sensors_, nullptr);
  }
  for (auto& run : going) {
    run->driver->stop();
    run->queue->close();
  }
  for (auto& run : going) {
    if (run->thread.joinable()) run->thread.join();
    if (run->graph) run->graph->remove_tasks();
  }
  going.clear();
  // The event rules: unchanged pipelines keep their state; the graphs below observe what they read.
  events_->update(std::move(next->events_), unchanged_rules(desired, diff));

  // 2. The new set's models, tasks, plan and documents; replaced and unused models wait until no
  // graph reads them.
  std::vector<std::unique_ptr<ModelInstance>> retiring;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = models_.begin(); it != models_.end();) {
      if (next->loaded_.count(it->first) && !next->models_.count(it->first)) {
        ++it;
        continue;
      }
      retiring.push_back(std::move(it->second));
      it = models_.erase(it);
    }
    for (auto& [name, m] : next->models_) models_[name] = std::move(m);
    next->models_.clear();
    loaded_.clear();
    for (const auto& [name, m] : models_) loaded_[name] = m.get();
    tasks_ = next->tasks_;
    plan_ = next->plan_;
    docs_ = next->docs_;
  }
  for (const auto* names : {&result.loaded, &result.replaced}) {
    for (const std::string& name : *names) seed_profiles(name);
  }
  // Requests: retiring models take none (queued ones are answered), new ones start taking them; a
  // model switched in place keeps its request tasks and queue, and the next run is the new version's.
  auto carry = [&](const std::string& name) {
    return docs_.find_model(name)->spec.rollout.state == SwitchState::kCarry;
  };
  for (const auto& [name, from] : switched) {
    if (Status s = requests_->switch_model(loaded_.at(name), carry(name)); !s.ok() && s.code() != StatusCode::kNotFound)
      spdlog::warn("{}", s.message());
  }
  for (const auto& m : retiring) {
    if (!switched.count(m->name())) requests_->remove(m->name());
  }
  for (const auto* names : {&result.loaded, &result.replaced}) {
    for (const std::string& name : *names) {
      if (switched.count(name)) continue;
      if (auto m = loaded_.find(name); m != loaded_.end() && tasks_.count(name))
        requests_->add(m->second, tasks_.at(name));
    }
  }

  // 3. Running sensors change in place; 4. new sensors start.
  StatusList problems;
  const std::set<std::string> observed = events_->observed();
  for (auto& run : sensors_) {
    const int src = plan_.source_of(run->name);
    for (const auto& [name, from] : switched)
      problems.add(run->graph->switch_model(from, loaded_.at(name), carry(name)));
    problems.add(run->graph->update(plan_, src, loaded_, tasks_, observed));
    std::lock_guard<std::mutex> lock(mu_);
    run->models = plan_.node(src).consumers;
  }
  for (auto& run : next->sensors_) {
    if (Status s = make_graph(run.get()); !s.ok()) {
      problems.add(s);
      continue;
    }
    SensorRun* r = run.get();
    {
      std::lock_guard<std::mutex> lock(mu_);
      sensors_.push_back(std::move(run));
    }
    r->thread = std::thread([this, r] { graph_loop(r); });
    if (Status s = r->driver->start(r); !s.ok()) {
      spdlog::error("sensor {}: {}", r->name, s.message());
      r->queue->close();
    }
  }
  next->sensors_.clear();
  // New versions running beside their models join the nodes that are new (a restarted sensor's).
  for (const auto& [name, c] : candidates_) {
    for (auto& run : sensors_) problems.add(run->graph->attach_candidate(loaded_.at(name), c.instance.get(), c.meter));
  }

  // Other versions loaded for requests (serve_version) go with their model.
  {
    std::vector<std::string> gone;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, m] : kept_) {
        if (!loaded_.count(m->name())) gone.push_back(key);
      }
    }
    for (const std::string& key : gone) {
      requests_->remove(key);
      std::lock_guard<std::mutex> lock(mu_);
      retiring.push_back(std::move(kept_.at(key)));
      kept_.erase(key);
    }
  }
  // 5. Models that no graph reads any more: drained (their nodes are gone) and unloaded.
  release(std::move(retiring));
  if (!problems.ok()) return problems.status().with_context("applied in part");
  return result;
}

Result<ModelSignature> Runtime::serve_version(const ModelDoc& doc) {
  std::lock_guard<std::mutex> control(control_mu_);
  if (!started_ || stopped_) return FailedPrecondition("versions are served by a running sensix only");
  const std::string& name = doc.metadata.name;
  const std::string key = RequestTasks::kept_key(name, doc.spec.version);
  TaskOptions task;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!models_.count(name) || !tasks_.count(name)) {
      return FailedPrecondition(
          fmt::format("Model/{} does not run: only a running model's other versions are served", name));
    }
    task = tasks_.at(name);
    if (auto it = kept_.find(key); it != kept_.end()) {
      // An idle one loads again for this request: it must fit again.
      if (it->second->state() == ModelState::kIdle) {
        SENSIX_RETURN_IF_ERROR(check_memory_budget(it->second->doc(), it->second->stats().memory,
                                                   options_.memory_budget_bytes, {}, extra_versions_locked(key)));
      }
      return requests_->signature(key);
    }
  }
  ModelDoc d = doc;
  if (d.spec.resources.idle_unload_ns == 0) d.spec.resources.idle_unload_ns = 60'000'000'000;
  auto loaded = ModelInstance::load(d, engines_, env_);
  if (!loaded.ok()) return loaded.status().with_context(fmt::format("version {}", doc.spec.version));
  std::unique_ptr<ModelInstance> m = std::move(loaded).value();
  {
    std::lock_guard<std::mutex> lock(mu_);
    SENSIX_RETURN_IF_ERROR(
        check_memory_budget(d, m->stats().memory, options_.memory_budget_bytes, {}, extra_versions_locked(key)));
  }
  task.model = key;  // its own group: its profile is not the running version's
  requests_->add(m.get(), task, key);
  spdlog::info("Model/{}: version {} loaded for the requests that name it", name, doc.spec.version);
  {
    std::lock_guard<std::mutex> lock(mu_);
    kept_[key] = std::move(m);
  }
  return requests_->signature(key);
}

void Runtime::stop_for_upgrade(const std::vector<std::string>& models) {
  if (models.empty()) return;
  for (const std::string& name : models) {
    ModelInstance* m = models_.at(name).get();
    spdlog::info(
        "Model/{}: version {} stops (its session released) before its new version loads "
        "(spec.rollout.strategy: stopThenStart); it serves nothing until then",
        name, m->spec().version);
    m->unload("stopped for its new version to load (spec.rollout.strategy: stopThenStart)");
  }
  malloc_trim(0);  // the sessions' memory back to the system before the new versions take it
}

void Runtime::restart_stopped(const std::vector<std::string>& models) {
  for (const std::string& name : models) {
    ModelInstance* old = models_.at(name).get();
    auto again = ModelInstance::load(old->doc(), engines_, env_);
    if (!again.ok()) {
      spdlog::error("Model/{}: version {} does not load again after its new version failed: {}", name,
                    old->spec().version, again.status().message());
      old->fail(again.status().with_context("loading the running version again after its new version failed"));
      continue;
    }
    for (auto& run : sensors_) {
      if (Status s = run->graph->switch_model(old, again->get(), true); !s.ok()) spdlog::error("{}", s.message());
    }
    if (Status s = requests_->switch_model(again->get(), true); !s.ok() && s.code() != StatusCode::kNotFound) {
      spdlog::error("{}", s.message());
    }
    std::vector<std::unique_ptr<ModelInstance>> stopped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped.push_back(std::exchange(models_.at(name), std::move(again).value()));
      loaded_[name] = models_.at(name).get();
    }
    spdlog::info("Model/{}: version {} serves again (its new version was not applied)", name,
                 models_.at(name)->spec().version);
    release(std::move(stopped));
  }
}

RuntimeStats Runtime::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
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
  if (events_ && events_->has_rules()) s.events = events_->stats();
  for (const auto& [name, c] : candidates_) s.candidates.push_back(c.meter->figures());
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
    for (const auto& [key, k] : kept_) {
      if (k->name() == md.metadata.name) m.kept.push_back(k->stats());
    }
    s.models.push_back(std::move(m));
  }
  return s;
}

void Runtime::release(std::vector<std::unique_ptr<ModelInstance>> models) {
  if (models.empty()) return;
  for (auto& m : models) {
    m->drain();
    m->unload();
  }
  // The engines free a session's memory into the allocator's pools (one per thread that used it):
  // give it back to the system, or a device that changes models for months keeps the peak.
  models.clear();
  malloc_trim(0);
}

Result<std::shared_ptr<CandidateMeter>> Runtime::add_candidate(const ModelDoc& doc, const CandidateOptions& options) {
  std::lock_guard<std::mutex> control(control_mu_);
  if (!started_ || stopped_) return FailedPrecondition("a new version runs beside a running sensix only");
  const std::string& name = doc.metadata.name;
  const std::string mode(candidate_mode_name(options.mode));
  ModelInstance* running = nullptr;
  DocumentSet desired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = models_.find(name);
    if (it == models_.end()) {
      return FailedPrecondition(fmt::format(
          "Model/{} does not run: a {} runs a new version beside the running one (apply it without a rollout strategy)",
          name, mode));
    }
    if (candidates_.count(name)) {
      return FailedPrecondition(
          fmt::format("Model/{}: version {} runs beside it already (a rollout in progress): promote or abort it first",
                      name, candidates_.at(name).doc.spec.version));
    }
    running = it->second.get();
    desired = docs_;
  }
  if (!(options.share > 0 && options.share <= 1)) {
    return InvalidArgument(
        fmt::format("{}: the share of a {} is more than 0 and at most 1, got {}", doc_label(doc), mode, options.share));
  }
  for (auto& md : desired.models) {
    if (md.metadata.name == name) md = doc;
  }
  // Built off to the side as apply() builds a set, reusing everything but this model.
  Reuse reuse;
  reuse.device = &scheduler_->plan();
  reuse.engines = &engines_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [n, m] : models_) {
      if (n != name) reuse.models[n] = m.get();
    }
    for (const auto& run : sensors_) reuse.sensors[run->name] = run->driver->info();
    // The running version stays loaded beside its new one for the whole rollout.
    reuse.beside[name] = budgeted_bytes(running->stats().memory);
    reuse.extra = extra_versions_locked();
  }
  std::unique_ptr<Runtime> next(new Runtime());
  RuntimeOptions o = options_;
  o.check_unused = false;
  SENSIX_RETURN_IF_ERROR(next->build(desired, o, &reuse));
  auto built = next->models_.find(name);
  if (built == next->models_.end()) return Internal("Model/" + name + ": the new version was not loaded");
  const ModelInstance& to = *built->second;
  std::string why = why_not_in_place(*running, to, plan_, next->plan_, task_of(tasks_, name),
                                     task_of(next->tasks_, name));
  if (why.empty() && !signature_of(to).stateful.empty() &&
      (options.mode == CandidateMode::kCanary || options.share < 1)) {
    why = fmt::format(
        "it keeps state between runs (a state input), which a stream cannot keep from a share of its inputs: a "
        "{} of it must run every input (strategy: shadow, share 1)",
        mode);
  }
  if (!why.empty()) {
    return with_lines(InvalidArgument(
                          fmt::format("{}: spec.rollout.strategy: {}: the new version cannot run beside the "
                                      "running one: {}",
                                      doc_label(doc), mode, why)),
                      doc_label(doc), doc.origin);
  }
  CandidateRun run;
  run.doc = doc;
  run.instance = std::move(built->second);
  next->models_.erase(built);
  run.meter = std::make_shared<CandidateMeter>(name, run.instance->spec().version, running->spec().version, options);
  StatusList problems;
  for (auto& s : sensors_) problems.add(s->graph->attach_candidate(running, run.instance.get(), run.meter));
  if (Status s = requests_->attach_candidate(run.instance.get(), run.meter);
      !s.ok() && s.code() != StatusCode::kNotFound) {
    problems.add(s);
  }
  if (!problems.ok()) {
    for (auto& s : sensors_) s->graph->detach_candidate(name, false);
    requests_->detach_candidate(name, false);
    return problems.status();
  }
  std::shared_ptr<CandidateMeter> meter = run.meter;
  std::lock_guard<std::mutex> lock(mu_);
  candidates_[name] = std::move(run);
  return meter;
}

Status Runtime::promote_candidate(const std::string& model) {
  std::lock_guard<std::mutex> control(control_mu_);
  if (!candidates_.count(model)) return NotFound(fmt::format("Model/{} has no new version beside it", model));
  for (auto& s : sensors_) s->graph->detach_candidate(model, true);
  requests_->detach_candidate(model, true);
  std::unique_ptr<ModelInstance> retiring;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CandidateRun& c = candidates_.at(model);
    retiring = std::exchange(models_[model], std::move(c.instance));
    loaded_[model] = models_[model].get();
    for (auto& md : docs_.models) {
      if (md.metadata.name == model) md = c.doc;
    }
    candidates_.erase(model);
  }
  seed_profiles(model);
  std::vector<std::unique_ptr<ModelInstance>> going;
  going.push_back(std::move(retiring));
  release(std::move(going));
  return Status::Ok();
}

Status Runtime::remove_candidate(const std::string& model) {
  std::lock_guard<std::mutex> control(control_mu_);
  if (!candidates_.count(model)) return NotFound(fmt::format("Model/{} has no new version beside it", model));
  for (auto& s : sensors_) s->graph->detach_candidate(model, false);
  requests_->detach_candidate(model, false);
  std::unique_ptr<ModelInstance> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    gone = std::move(candidates_.at(model).instance);
    candidates_.erase(model);
  }
  std::vector<std::unique_ptr<ModelInstance>> going;
  going.push_back(std::move(gone));
  release(std::move(going));
  return Status::Ok();
}

}  // namespace sensix
