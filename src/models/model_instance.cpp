#include "models/model_instance.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "common/byte_size.h"

namespace sensix {

std::string_view model_state_name(ModelState s) {
  switch (s) {
    case ModelState::kLoading: return "loading";
    case ModelState::kWarming: return "warming";
    case ModelState::kReady: return "ready";
    case ModelState::kDraining: return "draining";
    case ModelState::kUnloaded: return "unloaded";
    case ModelState::kFailed: return "failed";
    case ModelState::kIdle: return "idle";
  }
  return "unknown";
}

bool takes_inputs(ModelState s) { return s == ModelState::kReady || s == ModelState::kIdle; }

namespace {

// Fills `shape` from the declared shape and the model's own, or explains why it cannot.
Result<Shape> resolve_shape(const std::optional<Shape>& declared, const Shape& model) {
  if (declared) {
    if (declared->size() != model.size()) {
      return InvalidArgument(fmt::format("declared shape {} has rank {}, the model's is {} (rank {})",
                                         shape_to_string(*declared), declared->size(), shape_to_string(model),
                                         model.size()));
    }
    for (size_t i = 0; i < model.size(); ++i) {
      if ((*declared)[i] < 1) {
        return InvalidArgument(fmt::format("declared shape {} must have positive dims", shape_to_string(*declared)));
      }
      if (model[i] >= 0 && model[i] != (*declared)[i]) {
        return InvalidArgument(fmt::format("declared shape {} does not match the model's {} at dim {}",
                                           shape_to_string(*declared), shape_to_string(model), i));
      }
    }
    return *declared;
  }
  for (int64_t d : model) {
    if (d < 0) {
      return InvalidArgument(
          fmt::format("the model's shape {} has dynamic dims: declare shape", shape_to_string(model)));
    }
  }
  return model;
}

Result<Tensor> make_constant(const ConstantInputSpec& c, DType dtype, const Shape& shape) {
  Tensor t(dtype, shape);
  int64_t n = t.size();
  if (c.values.size() != 1 && static_cast<int64_t>(c.values.size()) != n) {
    return InvalidArgument(
        fmt::format("{} values given for a {} tensor of {} elements", c.values.size(), shape_to_string(shape), n));
  }
  auto value_at = [&](int64_t i) { return c.values.size() == 1 ? c.values[0] : c.values[static_cast<size_t>(i)]; };
  switch (dtype) {
    case DType::kFloat32:
      for (int64_t i = 0; i < n; ++i) t.values<float>()[static_cast<size_t>(i)] = static_cast<float>(value_at(i));
      break;
    case DType::kInt64:
      for (int64_t i = 0; i < n; ++i) t.values<int64_t>()[static_cast<size_t>(i)] = static_cast<int64_t>(value_at(i));
      break;
    case DType::kInt32:
      for (int64_t i = 0; i < n; ++i) t.values<int32_t>()[static_cast<size_t>(i)] = static_cast<int32_t>(value_at(i));
      break;
    case DType::kInt8:
      for (int64_t i = 0; i < n; ++i) t.values<int8_t>()[static_cast<size_t>(i)] = static_cast<int8_t>(value_at(i));
      break;
    case DType::kUInt8:
      for (int64_t i = 0; i < n; ++i) t.values<uint8_t>()[static_cast<size_t>(i)] = static_cast<uint8_t>(value_at(i));
      break;
    case DType::kBool:
      for (int64_t i = 0; i < n; ++i) t.values<bool>()[static_cast<size_t>(i)] = value_at(i) != 0.0;
      break;
    case DType::kFloat16: return InvalidArgument("float16 constants are not supported");
  }
  return t;
}

}  // namespace

namespace {

WorkerOptions worker_options(const ModelDoc& doc, const std::string& engine, const SessionOptions& session, Env* env) {
  const WorkerSpec& w = doc.spec.resources.worker;
  WorkerOptions o;
  o.engine = engine;
  o.model_path = doc.spec.path;
  o.session = session;
  o.label = "Model/" + doc.metadata.name;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(w.timeout * 1000.0));
  o.initial_delay = w.restart.initial_delay;
  o.max_delay = w.restart.max_delay;
  o.max_attempts = w.restart.max_attempts;
  o.memory_limit_bytes = doc.spec.resources.memory_limit_bytes;
  o.env = env;
  return o;
}

// A model over its own spec.resources.memory is refused at load time.
Status check_memory_limit(const ModelDoc& doc, const MemoryUsage& memory) {
  const ResourceSpec& res = doc.spec.resources;
  if (res.memory_limit_bytes <= 0 || memory.resident_bytes <= res.memory_limit_bytes) return Status::Ok();
  return ResourceExhausted(fmt::format("{}: spec.resources.memory: Model/{} needs {}, over its limit of {} ({}; {})",
                                       doc_label(doc), doc.metadata.name, format_bytes(memory.resident_bytes),
                                       format_bytes(res.memory_limit_bytes), res.memory,
                                       res.isolation == Isolation::kProcess
                                           ? "the worker's resident memory, engine library included"
                                           : "the growth of resident memory while the model loaded"));
}

}  // namespace

Result<std::unique_ptr<ModelInstance>> ModelInstance::load(const ModelDoc& doc, EngineRegistry& engines, Env* env) {
  const std::string label = doc_label(doc);
  const auto t0 = env->now();
  std::unique_ptr<ModelInstance> m(new ModelInstance(doc, env));
  m->engines_ = &engines;
  m->stats_.name = doc.metadata.name;
  m->stats_.version = doc.spec.version;
  std::string engine_name = doc.spec.engine.empty() ? std::string(EngineRegistry::default_engine_for(doc.spec.format))
                                                    : doc.spec.engine;
  m->engine_name_ = engine_name;
  m->stats_.engine = engine_name;
  auto engine = engines.get(engine_name);
  if (!engine.ok()) return engine.status().with_context(label + ": spec.engine");
  if (!(*engine)->supports(doc.spec.format)) {
    return InvalidArgument(fmt::format("{}: spec.engine: engine {} cannot load {} models", label, engine_name,
                                       model_format_name(doc.spec.format)));
  }
  SessionOptions opts;
  opts.intra_op_threads = doc.spec.resources.threads;
  const ResourceSpec& res = doc.spec.resources;
  m->stats_.isolation = std::string(isolation_name(res.isolation));
  m->stats_.memory_limit_bytes = res.memory_limit_bytes;
  if (res.isolation == Isolation::kProcess) {  // the session lives in a worker process
    auto worker = ProcessSession::start(worker_options(doc, engine_name, opts, env));
    if (!worker.ok())
      return worker.status().with_context(label + ": spec.source " + doc.spec.source + " (in a worker process)");
    m->worker_ = worker->get();
    m->stats_.worker_pid = m->worker_->health().pid;
    m->bindings_.emplace_back();
    m->bindings_[0].session = std::move(worker).value();
    SENSIX_RETURN_IF_ERROR(check_memory_limit(doc, m->bindings_[0].session->memory()));  // before warm-up can grow it
  } else {
    auto session = (*engine)->load(doc.spec.path, opts);
    if (!session.ok()) return session.status().with_context(label + ": spec.source " + doc.spec.source);
    m->bindings_.emplace_back();
    m->bindings_[0].session = std::move(session).value();
  }
  m->bindings_[0].engine = engine_name;
  const Session& main = *m->bindings_[0].session;
  SENSIX_RETURN_IF_ERROR(m->bind(main).with_context(label));
  SENSIX_RETURN_IF_ERROR(m->check_batch(main).with_context(label + ": spec.scheduling.batch.max"));
  m->stats_.memory = main.memory();
  for (size_t i = 0; i < doc.spec.variants.size(); ++i) {
    SENSIX_RETURN_IF_ERROR(
        m->load_variant(i, engines, opts).with_context(fmt::format("{}: spec.variants[{}]", label, i)));
    m->stats_.memory.file_bytes += m->bindings_.back().session->memory().file_bytes;
    m->stats_.memory.resident_bytes += m->bindings_.back().session->memory().resident_bytes;
  }
  m->set_state(ModelState::kWarming, "");
  SENSIX_RETURN_IF_ERROR(m->warm_up().with_context(label + ": spec.resources.warmup"));
  if (m->worker_ != nullptr) m->stats_.memory = main.memory();  // the worker's, warmed up
  SENSIX_RETURN_IF_ERROR(check_memory_limit(doc, m->stats_.memory));
  const TimePoint ready = env->now();
  const int64_t load_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(ready - t0).count();
  // Idle from the moment it is ready, not from when its load began (a load longer than
  // spec.resources.idleUnload would otherwise leave it idle before its first input could come).
  m->last_run_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(ready.time_since_epoch()).count();
  {
    std::lock_guard<std::mutex> lock(m->stats_mu_);
    m->stats_.load_ns = load_ns;
  }
  m->set_state(ModelState::kReady, m->stats_.warmup_runs == 0
                                       ? "loaded without warm-up"
                                       : fmt::format("loaded and warmed up in {:.1f} ms ({} warm-up run{}, {:.2f} ms)",
                                                     load_ns / 1e6, m->stats_.warmup_runs,
                                                     m->stats_.warmup_runs == 1 ? "" : "s", m->stats_.warmup_ns / 1e6));
  return m;
}

Status ModelInstance::bind(const Session& session) {
  const auto& spec = doc_.spec;
  const auto& ins = session.inputs();
  input_shapes_.resize(spec.inputs.size());
  Binding& b = bindings_[0];
  b.input_of.resize(spec.inputs.size());
  constants_.resize(spec.inputs.size());
  StatusList problems;    // every mismatch, not the first
  bool misnamed = false;  // an input named wrongly (its real name is listed then, not reported again)
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    const InputSpec& in = spec.inputs[i];
    std::string field = fmt::format("spec.inputs[{}]", i);
    int idx = find_tensor(ins, in.name);
    if (is_data_input(in)) data_input_ = static_cast<int>(i);
    if (idx < 0) {
      misnamed = true;
      problems.add(InvalidArgument(fmt::format("{}.name: the model has no input \"{}\"; its inputs are: {}", field,
                                               in.name, describe_tensors(ins))));
      continue;
    }
    const TensorInfo& info = ins[static_cast<size_t>(idx)];
    if (info.dtype != in.dtype) {
      problems.add(InvalidArgument(fmt::format("{}.dtype: the model's input \"{}\" is {}, the document says {}", field,
                                               in.name, dtype_name(info.dtype), dtype_name(in.dtype))));
      continue;
    }
    auto shape = resolve_shape(in.shape, info.shape);
    if (!shape.ok()) {
      problems.add(shape.status().with_context(fmt::format("{}.shape (input \"{}\")", field, in.name)));
      continue;
    }
    input_shapes_[i] = *shape;
    b.input_of[i] = idx;
    if (std::holds_alternative<StateInputSpec>(in.source)) state_inputs_.push_back(static_cast<int>(i));
    if (const auto* c = std::get_if<ConstantInputSpec>(&in.source)) {
      auto t = make_constant(*c, in.dtype, *shape);
      if (!t.ok()) {
        problems.add(t.status().with_context(field + ".constant"));
        continue;
      }
      constants_[i] = std::move(t).value();
    }
  }
  // Every model input must be declared.
  for (const auto& info : ins) {
    bool declared = false;
    for (const auto& in : spec.inputs) declared |= in.name == info.name;
    if (!declared && !misnamed) {
      problems.add(InvalidArgument(fmt::format("spec.inputs: the model's input \"{}\" ({} {}) is not declared",
                                               info.name, dtype_name(info.dtype), shape_to_string(info.shape))));
    }
  }
  if (data_input_ < 0) problems.add(InvalidArgument("spec.inputs: no audio, image, series or stream input"));
  const auto& outs = session.outputs();
  for (size_t i = 0; i < spec.outputs.size(); ++i) {
    const OutputSpec& o = spec.outputs[i];
    int idx = find_tensor(outs, o.name);
    if (idx < 0) {
      problems.add(
          InvalidArgument(fmt::format("spec.outputs[{}].name: the model has no output \"{}\"; its outputs are: {}", i,
                                      o.name, describe_tensors(outs))));
      continue;
    }
    const TensorInfo& info = outs[static_cast<size_t>(idx)];
    if ((o.scale != 1.0f || o.offset != 0.0f) && info.dtype != DType::kFloat32) {
      problems.add(InvalidArgument(fmt::format("spec.outputs[{}]: scale/offset need a float32 output, \"{}\" is {}", i,
                                               o.name, dtype_name(info.dtype))));
      continue;
    }
    b.outputs.push_back(idx);
    output_infos_.push_back(info);
  }
  if (!problems.ok()) return problems.status();
  for (int si : state_inputs_) {
    const auto& st = std::get<StateInputSpec>(spec.inputs[static_cast<size_t>(si)].source);
    int o = find_output(st.from_output);
    if (o < 0) {
      return InvalidArgument(
          fmt::format("spec.inputs[{}].state.from: \"{}\" is not a declared output", si, st.from_output));
    }
    if (output_infos_[static_cast<size_t>(o)].dtype != spec.inputs[static_cast<size_t>(si)].dtype) {
      return InvalidArgument(fmt::format("spec.inputs[{}].state.from: output \"{}\" is {}, the state input is {}", si,
                                         st.from_output, dtype_name(output_infos_[static_cast<size_t>(o)].dtype),
                                         dtype_name(spec.inputs[static_cast<size_t>(si)].dtype)));
    }
  }
  return Status::Ok();
}

Status ModelInstance::check_batch(const Session& session) const {
  const int max = doc_.spec.scheduling.batch.max;
  if (max <= 1) return Status::Ok();
  const auto& spec = doc_.spec;
  if (spec.inputs.size() != 1) {
    std::string others;
    for (size_t i = 0; i < spec.inputs.size(); ++i) {
      if (static_cast<int>(i) != data_input_)
        others += fmt::format("{}\"{}\"", others.empty() ? "" : ", ", spec.inputs[i].name);
    }
    return InvalidArgument(
        fmt::format("{} inputs per run need the data input to be the model's only input, and it also "
                    "has {}",
                    max, others));
  }
  const TensorInfo& in = session.inputs()[static_cast<size_t>(bindings_[0].input_of[static_cast<size_t>(data_input_)])];
  const Shape& declared = input_shapes_[static_cast<size_t>(data_input_)];
  if (in.shape.empty() || in.shape[0] != -1 || declared.empty() || declared[0] != 1) {
    return InvalidArgument(
        fmt::format("{} inputs per run need a dynamic first (batch) dimension of size 1 in the "
                    "document, but input \"{}\" is {} in the model and {} in the document",
                    max, spec.inputs[0].name, shape_to_string(in.shape), shape_to_string(declared)));
  }
  for (size_t i = 0; i < output_infos_.size(); ++i) {
    const Shape& o = output_infos_[i].shape;
    if (o.empty() || o[0] != -1) {
      return InvalidArgument(
          fmt::format("{} inputs per run need every declared output to have a dynamic first "
                      "dimension, but output \"{}\" is {}",
                      max, spec.outputs[i].name, shape_to_string(o)));
    }
  }
  return Status::Ok();
}

Status ModelInstance::warm_up() {
  const auto& spec = doc_.spec;
  // A latency objective is checked against the fastest warm-up run; the first run often pays
  // for the engine's lazy set-up, so take at least three.
  const int n = spec.scheduling.latency_ns > 0 ? std::max(spec.resources.warmup, 3) : spec.resources.warmup;
  if (n <= 0) return Status::Ok();
  std::vector<Tensor> owned(spec.inputs.size());
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (std::holds_alternative<ConstantInputSpec>(spec.inputs[i].source)) continue;
    owned[i] = Tensor(spec.inputs[i].dtype, input_shapes_[i]);  // zero-filled
    if (const auto* st = std::get_if<StateInputSpec>(&spec.inputs[i].source);
        st != nullptr && st->init != 0.0f && owned[i].dtype() == DType::kFloat32) {
      for (float& v : owned[i].values<float>()) v = st->init;
    }
  }
  std::vector<const Tensor*> inputs(spec.inputs.size(), nullptr);
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    const bool constant = std::holds_alternative<ConstantInputSpec>(spec.inputs[i].source);
    inputs[i] = constant ? &constants_[i] : &owned[i];
  }
  int64_t total = 0, best_any = 0;
  for (size_t bi = 0; bi < bindings_.size(); ++bi) {
    Binding& b = bindings_[bi];
    std::vector<Tensor> outputs;
    int64_t best = 0;
    for (int k = 0; k < n; ++k) {
      const auto t0 = env_->now();
      Status s = run_session(static_cast<int>(bi), inputs, &outputs);
      if (!s.ok()) {
        return s.with_context(fmt::format("warm-up run {} of {} on zero inputs{}", k + 1, n,
                                          bi == 0 ? "" : fmt::format(" (spec.variants[{}], {})", bi - 1, b.engine)));
      }
      const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(env_->now() - t0).count();
      total += ns;
      if (k == 0 || ns < best) best = ns;
    }
    b.warmup_best_ns = best;
    if (best_any == 0 || best < best_any) best_any = best;
  }
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.warmup_runs = static_cast<uint64_t>(n) * bindings_.size();
  stats_.warmup_ns = total;
  stats_.warmup_best_ns = best_any;
  return Status::Ok();
}

Status ModelInstance::load_variant(size_t vi, EngineRegistry& engines, const SessionOptions& opts) {
  const auto& spec = doc_.spec;
  const VariantSpec& v = spec.variants[vi];
  const std::string engine_name = v.engine.empty() ? std::string(EngineRegistry::default_engine_for(v.format))
                                                   : v.engine;
  auto engine = engines.get(engine_name);
  if (!engine.ok()) return engine.status().with_context("engine");
  auto session = (*engine)->load(v.path, opts);
  if (!session.ok()) return session.status().with_context("source " + v.source);
  Binding b;
  b.engine = engine_name;
  b.session = std::move(session).value();
  auto renamed = [&](const std::string& name) {
    auto it = v.tensors.find(name);
    return it == v.tensors.end() ? name : it->second;
  };
  const auto& ins = b.session->inputs();
  if (ins.size() != spec.inputs.size()) {
    return InvalidArgument(fmt::format("this file has {} inputs ({}), the document declares {}", ins.size(),
                                       describe_tensors(ins), spec.inputs.size()));
  }
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    const InputSpec& in = spec.inputs[i];
    const std::string name = renamed(in.name);
    int idx = find_tensor(ins, name);
    if (idx < 0) {
      return InvalidArgument(
          fmt::format("tensors: input \"{}\" is \"{}\" in this file, which has no such input; its "
                      "inputs are: {}",
                      in.name, name, describe_tensors(ins)));
    }
    const TensorInfo& info = ins[static_cast<size_t>(idx)];
    if (info.dtype != in.dtype) {
      return InvalidArgument(fmt::format("input \"{}\" is {} in this file, {} in the document", name,
                                         dtype_name(info.dtype), dtype_name(in.dtype)));
    }
    const Shape& want = input_shapes_[i];
    bool fits = info.shape.size() == want.size();
    for (size_t d = 0; fits && d < want.size(); ++d) fits = info.shape[d] < 0 || info.shape[d] == want[d];
    if (!fits) {
      return InvalidArgument(fmt::format("input \"{}\" is {} in this file, but the model's input is {}", name,
                                         shape_to_string(info.shape), shape_to_string(want)));
    }
    b.input_of.push_back(idx);
  }
  const auto& outs = b.session->outputs();
  for (size_t i = 0; i < spec.outputs.size(); ++i) {
    const std::string name = renamed(spec.outputs[i].name);
    int idx = find_tensor(outs, name);
    if (idx < 0) {
      return InvalidArgument(
          fmt::format("tensors: output \"{}\" is \"{}\" in this file, which has no such output; its "
                      "outputs are: {}",
                      spec.outputs[i].name, name, describe_tensors(outs)));
    }
    const TensorInfo& info = outs[static_cast<size_t>(idx)];
    const TensorInfo& main = output_infos_[i];
    bool same = info.dtype == main.dtype && info.shape.size() == main.shape.size();
    for (size_t d = 0; same && d < main.shape.size(); ++d) {
      same = info.shape[d] < 0 || main.shape[d] < 0 || info.shape[d] == main.shape[d];
    }
    if (!same) {
      return InvalidArgument(fmt::format("output \"{}\" is {} {} in this file, {} {} in the model's own", name,
                                         dtype_name(info.dtype), shape_to_string(info.shape), dtype_name(main.dtype),
                                         shape_to_string(main.shape)));
    }
    b.outputs.push_back(idx);
  }
  if (spec.scheduling.batch.max > 1) {
    const Shape& first = ins[static_cast<size_t>(b.input_of[static_cast<size_t>(data_input_)])].shape;
    if (first.empty() || first[0] != -1) {
      return InvalidArgument(fmt::format("batch.max {} needs a dynamic first dimension, but this file's input is {}",
                                         spec.scheduling.batch.max, shape_to_string(first)));
    }
  }
  bindings_.push_back(std::move(b));
  return Status::Ok();
}

std::vector<std::string> ModelInstance::engines() const {
  std::vector<std::string> out;
  for (const auto& b : bindings_) out.push_back(b.engine);
  return out;
}

int ModelInstance::session_for(std::string_view engine) const {
  for (size_t i = 0; i < bindings_.size(); ++i) {
    if (bindings_[i].engine == engine) return static_cast<int>(i);
  }
  return -1;
}

int64_t ModelInstance::warmup_best_ns(int session) const {
  return session >= 0 && static_cast<size_t>(session) < bindings_.size()
             ? bindings_[static_cast<size_t>(session)].warmup_best_ns
             : 0;
}

void ModelInstance::set_state(ModelState s, std::string reason) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  store_state_locked(s);
  stats_.reason = std::move(reason);
}

void ModelInstance::store_state_locked(ModelState s) {
  stats_.state = s;
  state_.store(s, std::memory_order_release);
}

ModelState ModelInstance::state() const { return state_.load(std::memory_order_acquire); }

void ModelInstance::drain() {
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (stats_.state != ModelState::kReady) return;
  store_state_locked(ModelState::kDraining);
  stats_.reason = "the runtime is stopping; queued inputs still run";
}

void ModelInstance::release_sessions() {
  for (size_t i = 0; i < bindings_.size(); ++i) {
    std::lock_guard<std::mutex> run_lock(*bindings_[i].mu);
    if (i == 0) {
      std::lock_guard<std::mutex> lock(stats_mu_);
      if (worker_ != nullptr) stats_.restarts = worker_->health().restarts;
      stats_.worker_pid = 0;
      worker_ = nullptr;
    }
    bindings_[i].session.reset();
  }
}

void ModelInstance::unload(std::string reason) {
  release_sessions();
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (stats_.state == ModelState::kFailed) return;
  store_state_locked(ModelState::kUnloaded);
  stats_.reason = std::move(reason);
}

void ModelInstance::fail(const Status& why) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  store_state_locked(ModelState::kFailed);
  stats_.reason = why.message();
  stats_.last_error = why.message();
}

int ModelInstance::find_output(std::string_view name) const {
  for (size_t i = 0; i < doc_.spec.outputs.size(); ++i) {
    if (doc_.spec.outputs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Status ModelInstance::ensure_loaded(std::shared_lock<std::shared_mutex>& lock) {
  if (doc_.spec.resources.idle_unload_ns > 0) {
    last_run_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(env_->now().time_since_epoch()).count();
  }
  while (state() == ModelState::kIdle) {
    lock.unlock();
    {
      std::unique_lock<std::shared_mutex> alone(life_mu_);
      if (state() == ModelState::kIdle) {
        const auto t0 = env_->now();
        auto fresh = load(doc_, *engines_, env_);
        if (!fresh.ok()) {
          Status err = fresh.status().with_context("loading it again after it was idle");
          record_error(err);
          return err;  // still idle: the next input tries again
        }
        ModelInstance& f = **fresh;
        const ModelStatsSnapshot fs = f.stats();
        for (size_t i = 0; i < bindings_.size() && i < f.bindings_.size(); ++i) {
          std::lock_guard<std::mutex> run(*bindings_[i].mu);
          bindings_[i].session = std::move(f.bindings_[i].session);
        }
        const double ms = static_cast<double>(
                              std::chrono::duration_cast<std::chrono::microseconds>(env_->now() - t0).count()) /
                          1e3;
        std::lock_guard<std::mutex> stats(stats_mu_);
        worker_ = std::exchange(f.worker_, nullptr);
        stats_.worker_pid = fs.worker_pid;
        stats_.memory = fs.memory;
        stats_.reloads++;
        last_run_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(env_->now().time_since_epoch()).count();
        store_state_locked(ModelState::kReady);
        stats_.reason = fmt::format("loaded again by an input in {:.1f} ms after it was idle", ms);
      }
    }
    lock.lock();
  }
  return Status::Ok();
}

bool ModelInstance::unload_if_idle(TimePoint now) {
  const int64_t after = doc_.spec.resources.idle_unload_ns;
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  if (after <= 0 || state() != ModelState::kReady || now_ns - last_run_ns_.load() < after) return false;
  // A run in progress: not idle (and the caller, which may hold locks a run's path takes, never waits).
  std::unique_lock<std::shared_mutex> alone(life_mu_, std::try_to_lock);
  if (!alone.owns_lock() || state() != ModelState::kReady || now_ns - last_run_ns_.load() < after) return false;
  release_sessions();
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.idle_unloads++;
  store_state_locked(ModelState::kIdle);
  stats_.reason = fmt::format(
      "no input for {:g} s (spec.resources.idleUnload): its session was released; the next input loads it again",
      static_cast<double>(after) / 1e9);
  return true;
}

Result<std::vector<Tensor>> ModelInstance::run(const Tensor& data, std::span<const Tensor> states, int session) {
  std::shared_lock<std::shared_mutex> life(life_mu_);
  SENSIX_RETURN_IF_ERROR(ensure_loaded(life));
  const auto& spec = doc_.spec;
  if (states.size() != state_inputs_.size()) {
    return Internal(fmt::format("{} state tensors given, the model has {}", states.size(), state_inputs_.size()));
  }
  std::vector<const Tensor*> inputs(spec.inputs.size(), nullptr);
  size_t next_state = 0;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (static_cast<int>(i) == data_input_) {
      inputs[i] = &data;
    } else if (std::holds_alternative<StateInputSpec>(spec.inputs[i].source)) {
      inputs[i] = &states[next_state++];
    } else {
      inputs[i] = &constants_[i];
    }
  }
  std::vector<Tensor> outputs;
  auto t0 = env_->now();
  Status s = run_session(session, inputs, &outputs);
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(env_->now() - t0).count();
  if (!s.ok()) {
    Status err = s.with_context("Model/" + name());
    record_error(err);
    if (worker_failed() && state() != ModelState::kFailed) fail(err);  // its worker gave up
    return err;
  }
  SENSIX_RETURN_IF_ERROR(finish_outputs(outputs));
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.runs++;
  stats_.compute.record(ns);
  return outputs;
}

Result<std::vector<std::vector<Tensor>>> ModelInstance::run_batch(std::span<const Tensor* const> data, int session) {
  std::shared_lock<std::shared_mutex> life(life_mu_);
  SENSIX_RETURN_IF_ERROR(ensure_loaded(life));
  const auto& spec = doc_.spec;
  const size_t n = data.size();
  if (n == 0) return std::vector<std::vector<Tensor>>{};
  if (spec.inputs.size() != 1 || spec.scheduling.batch.max < 2) {
    return Internal(fmt::format("Model/{} does not run batches", name()));
  }
  // Stack: every input is [1, ...] of the same shape.
  const Shape& one = data[0]->shape();
  for (size_t k = 1; k < n; ++k) {
    if (data[k]->shape() != one || data[k]->dtype() != data[0]->dtype()) {
      return InvalidArgument(fmt::format("Model/{}: a batch needs inputs of one shape, got {} and {}", name(),
                                         shape_to_string(one), shape_to_string(data[k]->shape())));
    }
  }
  if (one.empty() || one[0] != 1) {
    return InvalidArgument(fmt::format("Model/{}: a batched input must have a first dimension of 1, got {}", name(),
                                       shape_to_string(one)));
  }
  Shape stacked_shape = one;
  stacked_shape[0] = static_cast<int64_t>(n);
  Tensor stacked(data[0]->dtype(), stacked_shape);
  const size_t bytes = data[0]->byte_size();
  for (size_t k = 0; k < n; ++k) std::memcpy(stacked.data() + k * bytes, data[k]->data(), bytes);
  std::vector<Tensor> outputs;
  auto t0 = env_->now();
  const Tensor* in[] = {&stacked};
  Status s = run_session(session, in, &outputs);
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(env_->now() - t0).count();
  if (!s.ok()) {
    Status err = s.with_context(fmt::format("Model/{} (a batch of {})", name(), n));
    record_error(err);
    if (worker_failed() && state() != ModelState::kFailed) fail(err);
    return err;
  }
  SENSIX_RETURN_IF_ERROR(finish_outputs(outputs));
  // Split each output along its first dimension.
  std::vector<std::vector<Tensor>> per_input(n);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& o = outputs[i];
    if (o.shape().empty() || o.shape()[0] != static_cast<int64_t>(n)) {
      Status err = InvalidArgument(fmt::format("Model/{}: output \"{}\" of a batch of {} is {}", name(),
                                               spec.outputs[i].name, n, shape_to_string(o.shape())));
      record_error(err);
      return err;
    }
    Shape part_shape = o.shape();
    part_shape[0] = 1;
    const size_t part_bytes = o.byte_size() / n;
    for (size_t k = 0; k < n; ++k) {
      Tensor part(o.dtype(), part_shape);
      std::memcpy(part.data(), o.data() + k * part_bytes, part_bytes);
      per_input[k].push_back(std::move(part));
    }
  }
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.runs += n;
  // Compute time per input: the batch's time shared out, so the histogram stays per inference.
  for (size_t k = 0; k < n; ++k) stats_.compute.record(ns / static_cast<int64_t>(n));
  return per_input;
}

Status ModelInstance::run_session(int session, std::span<const Tensor* const> spec_inputs,
                                  std::vector<Tensor>* outputs) {
  Binding& b = bindings_.at(static_cast<size_t>(session));
  std::lock_guard<std::mutex> lock(*b.mu);
  if (b.session == nullptr) return FailedPrecondition(fmt::format("the model is {}", model_state_name(state())));
  if (state() == ModelState::kFailed) return FailedPrecondition("the model has failed: " + stats().reason);
  std::vector<const Tensor*> inputs(b.session->inputs().size(), nullptr);
  for (size_t i = 0; i < spec_inputs.size(); ++i) inputs[static_cast<size_t>(b.input_of[i])] = spec_inputs[i];
  return b.session->run(inputs, b.outputs, outputs);
}

Status ModelInstance::finish_outputs(std::vector<Tensor>& outputs) {
  const auto& spec = doc_.spec;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const OutputSpec& o = spec.outputs[i];
    if (outputs[i].dtype() != DType::kFloat32) continue;
    auto v = outputs[i].values<float>();
    for (float& x : v) {
      if (!std::isfinite(x)) {
        Status err = InvalidArgument(fmt::format("Model/{}: output \"{}\" holds NaN or Inf", name(), o.name));
        record_error(err);
        return err;
      }
    }
    if (o.scale != 1.0f || o.offset != 0.0f) {
      for (float& x : v) x = x * o.scale + o.offset;
    }
  }
  return Status::Ok();
}

void ModelInstance::record_result(int64_t end_to_end_ns, bool predicted) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.end_to_end.record(end_to_end_ns);
  if (predicted) stats_.predictions++;
}

void ModelInstance::record_error(const Status& s) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.errors++;
  stats_.last_error = s.message();
}

ModelStatsSnapshot ModelInstance::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  ModelStatsSnapshot s = stats_;
  if (worker_ != nullptr) {
    const WorkerHealth h = worker_->health();
    s.worker_pid = h.pid;
    s.restarts = h.restarts;
    if (h.failed && s.state != ModelState::kFailed) {  // gave up between runs (a restart failed)
      s.state = ModelState::kFailed;
      s.reason = s.last_error = fmt::format("Model/{}: {}; not restarted", name(), h.reason);
    }
  }
  return s;
}

bool ModelInstance::worker_failed() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return worker_ != nullptr && worker_->health().failed;
}

}  // namespace sensix
