#include "runtime/request_tasks.h"

#include <algorithm>
#include <any>
#include <atomic>
#include <future>
#include <utility>

#include <fmt/format.h>

namespace sensix {

// One request in the scheduler's queue. The scheduler drops inputs it does not run (overload, a
// full queue, a removed task) by destroying their payload: then the destructor answers.
struct RequestTasks::Call {
  Tensor data;
  std::promise<Result<std::vector<NamedTensor>>> promise;
  std::atomic<bool> answered{false};
  std::string model;

  void answer(Result<std::vector<NamedTensor>> r) {
    if (!answered.exchange(true)) promise.set_value(std::move(r));
  }
  ~Call() {
    answer(
        Unavailable(fmt::format("Model/{}: the request was not run: refused under overload (its priority class "
                                "is congested, or its queue was full), or the model was unloaded",
                                model)));
  }
};

namespace {

// Why plain requests to `m` are refused, or empty: a state input needs a stream to keep it in.
std::string stateful_reason(const ModelInstance& m) {
  for (size_t i = 0; i < m.spec().inputs.size(); ++i) {
    if (std::holds_alternative<StateInputSpec>(m.spec().inputs[i].source)) {
      return fmt::format(
          "Model/{} keeps state between runs (spec.inputs[{}] \"{}\" is a state input): a plain request has no "
          "stream to keep it in",
          m.name(), i, m.spec().inputs[i].name);
    }
  }
  return "";
}

}  // namespace

RequestTasks::RequestTasks(Scheduler* scheduler, Env* env) : scheduler_(scheduler), env_(env) {}

RequestTasks::~RequestTasks() { close(); }

void RequestTasks::add(ModelInstance* model, TaskOptions options) {
  auto entry = std::make_shared<Entry>();
  entry->model = model;
  for (const auto& a : scheduler_->plan().accelerators) {
    entry->session_of.push_back(std::max(0, model->session_for(a.engine)));
  }
  entry->stateful = stateful_reason(*model);
  options.batch = BatchSpec{};  // one request per run: requests of other shapes never wait for each other
  options.lossless = false;     // a request never makes the scheduler wait: refused when it cannot run
  options.queue_capacity = 64;
  std::weak_ptr<Entry> weak = entry;
  entry->task = scheduler_->add_task(
      std::move(options),
      [this, weak](int accelerator, std::vector<TaskInput>& batch) {
        if (auto e = weak.lock()) run(e, accelerator, batch);
      },
      [] {});
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    scheduler_->remove_task(entry->task);
    return;
  }
  entries_[model->name()] = std::move(entry);
}

void RequestTasks::remove(const std::string& model) {
  std::shared_ptr<Entry> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(model);
    if (it == entries_.end()) return;
    gone = std::move(it->second);
    entries_.erase(it);
  }
  scheduler_->remove_task(gone->task);  // discards what is queued (answered), waits for a run
}

void RequestTasks::close() {
  std::map<std::string, std::shared_ptr<Entry>> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    gone.swap(entries_);
  }
  for (auto& [name, e] : gone) scheduler_->remove_task(e->task);
}

std::vector<std::string> RequestTasks::models() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

Result<ModelSignature> RequestTasks::signature(const std::string& model) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(model);
  if (it == entries_.end()) return NotFound(fmt::format("no model named \"{}\" is loaded", model));
  const ModelInstance& m = *it->second->model;
  ModelSignature s;
  s.model = m.name();
  s.version = m.spec().version;
  s.engine = std::string(m.engine_name());
  const int di = m.data_input();
  const InputSpec& in = m.spec().inputs.at(static_cast<size_t>(di));
  s.inputs.push_back(TensorSignature{in.name, in.dtype, m.input_shape(di)});
  for (size_t o = 0; o < m.spec().outputs.size(); ++o) {
    const TensorInfo& info = m.output_info(static_cast<int>(o));
    s.outputs.push_back(TensorSignature{m.spec().outputs[o].name, info.dtype, info.shape});
  }
  s.stateful = it->second->stateful;
  return s;
}

Result<Tensor> RequestTasks::check_locked(const Entry& e, std::vector<NamedTensor> inputs) const {
  const ModelInstance& m = *e.model;
  const std::string label = "Model/" + m.name();
  if (!e.stateful.empty()) return FailedPrecondition(e.stateful);
  const int di = m.data_input();
  const InputSpec& want = m.spec().inputs.at(static_cast<size_t>(di));
  const Shape& shape = m.input_shape(di);
  int found = -1;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k].name == want.name) {
      if (found >= 0) return InvalidArgument(fmt::format("{}: input \"{}\" is given twice", label, want.name));
      found = static_cast<int>(k);
      continue;
    }
    return InvalidArgument(
        fmt::format("{}: unknown input \"{}\" (the model takes one input, \"{}\")", label, inputs[k].name, want.name));
  }
  if (found < 0) return InvalidArgument(fmt::format("{}: input \"{}\" is missing", label, want.name));
  Tensor& t = inputs[static_cast<size_t>(found)].tensor;
  if (t.dtype() != want.dtype) {
    return InvalidArgument(fmt::format("{}: input \"{}\": expected {}, got {}", label, want.name,
                                       dtype_name(want.dtype), dtype_name(t.dtype())));
  }
  if (t.shape() != shape) {
    return InvalidArgument(fmt::format("{}: input \"{}\": expected shape {}, got {}", label, want.name,
                                       shape_to_string(shape), shape_to_string(t.shape())));
  }
  return std::move(t);
}

Result<const RequestTasks::Entry*> RequestTasks::ready_locked(const std::string& model) const {
  auto it = entries_.find(model);
  if (it == entries_.end()) return NotFound(fmt::format("no model named \"{}\" is loaded", model));
  const ModelInstance& m = *it->second->model;
  if (const ModelState st = m.state(); st != ModelState::kReady) {
    const std::string reason = m.stats().reason;
    return Unavailable(
        fmt::format("Model/{} is {}{}", model, model_state_name(st), reason.empty() ? "" : ": " + reason));
  }
  return it->second.get();
}

Status RequestTasks::ready(const std::string& model) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_locked(model).status();
}

Result<std::vector<NamedTensor>> RequestTasks::infer(const std::string& model, std::vector<NamedTensor> inputs,
                                                     std::chrono::nanoseconds timeout) {
  auto call = std::make_shared<Call>();
  call->model = model;
  std::future<Result<std::vector<NamedTensor>>> answer = call->promise.get_future();
  int task = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Unavailable("the runtime is stopping");
    SENSIX_ASSIGN_OR_RETURN(const Entry* e, ready_locked(model));
    SENSIX_ASSIGN_OR_RETURN(call->data, check_locked(*e, std::move(inputs)));
    task = e->task;
  }
  TaskInput in;
  in.captured = env_->now();
  in.payload = call;
  call.reset();  // the scheduler holds the only reference: dropping the input answers it
  scheduler_->submit(task, std::move(in));
  if (answer.wait_for(timeout) != std::future_status::ready) {
    return Unavailable(fmt::format("Model/{}: no answer within {} ms", model,
                                   std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
  }
  return answer.get();
}

void RequestTasks::run(const std::shared_ptr<Entry>& entry, int accelerator, std::vector<TaskInput>& batch) {
  ModelInstance& m = *entry->model;
  const int session = entry->session_of.at(static_cast<size_t>(accelerator));
  for (TaskInput& in : batch) {
    auto* call = std::any_cast<std::shared_ptr<Call>>(&in.payload);
    if (call == nullptr || *call == nullptr) continue;
    Result<std::vector<Tensor>> out = m.run((*call)->data, {}, session);
    if (!out.ok()) {
      (*call)->answer(out.status());
      continue;
    }
    std::vector<NamedTensor> named;
    named.reserve(out->size());
    for (size_t o = 0; o < out->size(); ++o)
      named.push_back(NamedTensor{m.spec().outputs[o].name, std::move((*out)[o])});
    (*call)->answer(std::move(named));
  }
}

}  // namespace sensix
