#include "runtime/request_tasks.h"

#include <algorithm>
#include <any>
#include <atomic>
#include <functional>
#include <future>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sensix {
namespace {

// The time from `a` to `b`, in the statistics' unit.
int64_t ns_between(TimePoint a, TimePoint b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

}  // namespace

// One request in the scheduler's queue. The scheduler drops inputs it does not run (overload, a
// full queue, a removed task) by destroying their payload: then the destructor answers. The first
// answer (the run's, the deadline thread's or the destructor's) counts in the model's request
// statistics and leaves the deadlines; later ones are ignored.
struct RequestTasks::Call {
  Tensor data;
  Answer on_answer;
  AfterRun after_run;
  std::shared_ptr<Entry::Sequence> sequence;  // a stateful model's request: its sequence's state
  std::string sequence_id;
  bool sequence_end = false;
  std::string version;   // RequestOptions::version
  std::string served;    // the spec.version that ran it (finish())
  int64_t input_ns = 0;  // checking its inputs (compute_input)
  std::atomic<bool> answered{false};
  std::string model;
  std::weak_ptr<Entry> entry;
  RequestTasks* owner = nullptr;
  // Where it waits in owner->deadlines_ (guarded by owner->deadlines_mu_).
  std::optional<std::multimap<TimePoint, std::weak_ptr<Call>>::iterator> deadline_at;
  std::chrono::nanoseconds timeout{0};
  Env* env = nullptr;
  TimePoint arrived{};
  TimePoint submitted{};

  // False when the request was answered already.
  bool answer(Result<std::vector<NamedTensor>> r, bool refused = false, bool timed_out = false) {
    if (answered.exchange(true)) return false;
    if (owner != nullptr) {
      std::lock_guard<std::mutex> lock(owner->deadlines_mu_);
      if (deadline_at) owner->deadlines_.erase(*deadline_at);
      deadline_at.reset();
    }
    if (auto e = entry.lock()) record(*e, env, arrived, r.ok(), refused, timed_out);
    if (on_answer) on_answer(std::move(r), served);
    return true;
  }
  // Answered Unavailable: its timeout passed first.
  void time_out() {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    answer(Unavailable(us < 1000 ? fmt::format("Model/{}: no answer within {} us", model, us)
                                 : fmt::format("Model/{}: no answer within {} ms", model, us / 1000)),
           false, true);
  }
  ~Call() {
    answer(Unavailable(fmt::format("Model/{}: the request was not run: refused under overload (its priority class "
                                   "is congested, or its queue was full), or the model was unloaded",
                                   model)),
           true);
  }

  static void record(Entry& e, Env* env, TimePoint arrived, bool ok, bool refused, bool timed_out) {
    const int64_t ns = ns_between(arrived, env->now());
    std::lock_guard<std::mutex> lock(e.stats_mu);
    if (ok) {
      e.stats.success.add(ns);
      ++e.stats.inferences;
      e.stats.last_inference_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(env->wall_now().time_since_epoch()).count();
    } else {
      e.stats.fail.add(ns);
      e.stats.refused += refused ? 1 : 0;
      e.stats.timed_out += timed_out ? 1 : 0;
    }
  }
};

namespace {

// Why plain requests to `m` are refused, or empty: a state input needs a stream to keep it in.
std::string stateful_reason(const ModelInstance& m) {
  for (size_t i = 0; i < m.spec().inputs.size(); ++i) {
    if (std::holds_alternative<StateInputSpec>(m.spec().inputs[i].source)) {
      return fmt::format(
          "Model/{} keeps state between runs (spec.inputs[{}] \"{}\" is a state input): a plain request has no "
          "stream to keep it in; give parameters.sequence_id (with sequence_start: true on a sequence's first "
          "request, sequence_end: true on its last)",
          m.name(), i, m.spec().inputs[i].name);
    }
  }
  return "";
}

}  // namespace

// What a request to `m` gives and gets: its data input and declared outputs (fixed once loaded).
ModelSignature signature_of(const ModelInstance& m) {
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
  s.stateful = stateful_reason(m);
  s.data_input = std::make_shared<const InputSpec>(in);
  s.postprocess = !std::holds_alternative<std::monostate>(m.spec().postprocess);
  s.priority = m.spec().scheduling.priority;
  s.objective_ns = m.spec().scheduling.latency_ns;
  if (s.stateful.empty()) s.batch = m.spec().scheduling.batch;
  return s;
}

// A request task's part of the runs that a model that batches shares with its sensor streams
// (runtime/shared_runs.h): the version it runs now, its requests' tensors, their answers.
class RequestTasks::TaskPart final : public SharedRunPart {
 public:
  // The entry owns its parts, so it outlives each.
  TaskPart(RequestTasks* owner, Entry& entry, int task) : owner_(owner), entry_(entry), task_(task) {}
  ~TaskPart() override { owner_->shared_runs_->remove(task_); }

  std::mutex& run_mutex() override { return entry_.run_mu; }
  ModelInstance* shared_version(int accelerator, int* session) override {
    // A candidate beside it takes its share of the requests: the task's own run does that.
    if (entry_.candidate || entry_.model->state() == ModelState::kUnloaded) return nullptr;
    *session = entry_.session_of.at(static_cast<size_t>(accelerator));
    return entry_.model;
  }
  void take(int accelerator, std::vector<TaskInput>& inputs, std::vector<const Tensor*>* data) override {
    std::erase_if(inputs, [&](TaskInput& in) {
      Call* call = owner_->runnable(in);
      if (call == nullptr) return true;
      if (call->version.empty()) return false;
      owner_->run_pinned(entry_, accelerator, *call);  // a request for one version runs alone, on it
      return true;
    });
    for (TaskInput& in : inputs) data->push_back(&call_of(in)->data);
  }
  void done(int, std::vector<TaskInput>& inputs, std::span<Result<std::vector<Tensor>>> outputs, TimePoint start,
            TimePoint end, int size) override {
    std::vector<Call*> calls;
    for (size_t k = 0; k < inputs.size() && k < outputs.size(); ++k) {
      Call* call = call_of(inputs[k]);
      owner_->finish(entry_, *call, std::move(outputs[k]), start, end);
      calls.push_back(call);
    }
    owner_->executed(entry_, calls, start, end, size);
  }
  void run_alone(int accelerator, std::vector<TaskInput>& inputs) override { owner_->run(entry_, accelerator, inputs); }

 private:
  // An input take() kept: it holds a request (runnable() checked).
  static Call* call_of(TaskInput& in) { return std::any_cast<std::shared_ptr<Call>>(&in.payload)->get(); }

  RequestTasks* owner_;
  Entry& entry_;
  int task_;
};

RequestTasks::Entry::Entry() = default;
RequestTasks::Entry::~Entry() = default;

RequestTasks::RequestTasks(Scheduler* scheduler, Env* env, std::chrono::nanoseconds sequence_idle,
                           SharedRuns* shared_runs)
    : scheduler_(scheduler), env_(env), sequence_idle_(sequence_idle), shared_runs_(shared_runs) {
  reaper_ = std::thread([this] { reap(); });
}

RequestTasks::~RequestTasks() { close(); }

std::string RequestTasks::kept_key(std::string_view model, std::string_view version) {
  return fmt::format("{}@{}", model, version);
}

void RequestTasks::add(ModelInstance* model, TaskOptions options, const std::string& key) {
  auto entry = std::make_shared<Entry>();
  entry->model = model;
  for (const auto& a : scheduler_->plan().accelerators) {
    entry->session_of.push_back(std::max(0, model->session_for(a.engine)));
  }
  entry->signature = signature_of(*model);
  // A model that batches (its inputs stack along a dynamic first dimension: checked at load) batches
  // its requests too; a stateful model never batches.
  options.batch = entry->signature.batch;
  options.lossless = false;  // a request never makes the scheduler wait: refused when it cannot run
  options.queue_capacity = 64;
  // A model that batches runs its requests with its sensor streams' inputs (runtime/shared_runs.h).
  options.share_runs = shared_runs_ != nullptr && options.batch.max > 1;
  entry->priority = options.priority;
  std::weak_ptr<Entry> weak = entry;
  // One task per class, of one group (the model's): they never run at once, and share its profile.
  for (Priority p : {Priority::kLow, Priority::kNormal, Priority::kHigh}) {
    TaskOptions o = options;
    o.priority = p;
    const int task = scheduler_->add_task(
        std::move(o),
        [this, weak](int accelerator, std::vector<TaskInput>& batch) {
          if (auto e = weak.lock()) run(*e, accelerator, batch);
        },
        [] {});
    entry->tasks[static_cast<size_t>(p)] = task;
    if (options.share_runs) {
      entry->parts[static_cast<size_t>(p)] = std::make_unique<TaskPart>(this, *entry, task);
      shared_runs_->add(task, entry->parts[static_cast<size_t>(p)].get());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    for (int t : entry->tasks) scheduler_->remove_task(t);
    return;
  }
  entries_[key.empty() ? model->name() : key] = std::move(entry);
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
  for (int t : gone->tasks) scheduler_->remove_task(t);  // discards what is queued (answered), waits for a run
}

void RequestTasks::close() {
  std::map<std::string, std::shared_ptr<Entry>> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    gone.swap(entries_);
  }
  for (auto& [name, e] : gone) {
    for (int t : e->tasks) scheduler_->remove_task(t);
  }
  {
    std::lock_guard<std::mutex> lock(deadlines_mu_);
    reaper_stop_ = true;
  }
  deadlines_cv_.notify_all();
  if (reaper_.joinable() && reaper_.get_id() != std::this_thread::get_id()) reaper_.join();
}

void RequestTasks::reap() {
  std::unique_lock<std::mutex> lock(deadlines_mu_);
  while (!reaper_stop_) {
    std::vector<std::shared_ptr<Call>> expired;
    const TimePoint now = env_->now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto it = deadlines_.begin();
      if (auto c = it->second.lock()) {
        c->deadline_at.reset();
        expired.push_back(std::move(c));
      }
      deadlines_.erase(it);
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& c : expired) c->time_out();
      expired.clear();  // may end calls: answered already, their destructors answer no one
      lock.lock();
      continue;
    }
    // Sleep until the earliest deadline. A request whose deadline is later (the usual case: each
    // one's timeout runs from its own arrival) does not wake this thread, and an answered request
    // leaves its deadline without waking it either: it wakes at that time, finds nothing due, and
    // sleeps until the next. So a request costs this thread nothing unless it times out.
    reaper_wake_ = deadlines_.empty() ? TimePoint::max() : deadlines_.begin()->first;
    const TimePoint wake = reaper_wake_;
    env_->wait_until(deadlines_cv_, lock, wake, [&] { return reaper_stop_ || reaper_wake_ != wake; });
  }
}

std::vector<std::string> RequestTasks::models() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) {
    if (name.find('@') == std::string::npos) out.push_back(name);  // not an earlier version's (kept_key)
  }
  return out;
}

std::shared_ptr<RequestTasks::Entry> RequestTasks::find(const std::string& model) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(model);
  return it == entries_.end() ? nullptr : it->second;
}

Result<ModelSignature> RequestTasks::signature(const std::string& model, const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(model);
  if (it == entries_.end()) return NotFound(fmt::format("no model named \"{}\" is loaded", model));
  ModelSignature sig = it->second->signature;
  if (!version.empty()) {
    if (Status s = check_version_locked(*it->second, version, false); !s.ok()) {
      auto kept = entries_.find(kept_key(model, version));
      if (kept == entries_.end()) return s;
      return kept->second->signature;
    }
    sig.version = version;
  }
  return sig;
}

std::optional<std::string> RequestTasks::candidate_version(const std::string& model) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(model);
  if (it == entries_.end() || !it->second->candidate_version) return std::nullopt;
  return *it->second->candidate_version;
}

Status RequestTasks::check_version_locked(const Entry& e, const std::string& version, bool sequence) const {
  if (version == e.signature.version) return Status::Ok();
  if (e.candidate_version && version == *e.candidate_version) {
    if (sequence) {
      return InvalidArgument(
          fmt::format("Model/{}: version {} runs beside version {} without sequences: a sequence "
                      "goes to the running version",
                      e.signature.model, version, e.signature.version));
    }
    return Status::Ok();
  }
  return NotFound(fmt::format(
      "Model/{} has no version \"{}\" running (it runs \"{}\"{})", e.signature.model, version, e.signature.version,
      e.candidate_version ? fmt::format(", and \"{}\" beside it", *e.candidate_version) : std::string()));
}

Status RequestTasks::attach_candidate(ModelInstance* candidate, std::shared_ptr<CandidateMeter> meter) {
  std::shared_ptr<Entry> e = find(candidate->name());
  if (e == nullptr) return NotFound(fmt::format("no model named \"{}\" is loaded", candidate->name()));
  auto c = std::make_unique<Entry::Candidate>();
  c->model = candidate;
  for (const auto& a : scheduler_->plan().accelerators)
    c->session_of.push_back(std::max(0, candidate->session_for(a.engine)));
  c->share = ShareCounter(meter->options().share);
  c->meter = std::move(meter);
  for (const auto& o : candidate->spec().outputs) c->output_names.push_back(o.name);
  c->compared = compared_outputs(candidate->spec());
  const std::string version = candidate->spec().version;
  std::lock_guard<std::mutex> run(e->run_mu);
  e->candidate = std::move(c);
  std::lock_guard<std::mutex> lock(mu_);
  e->candidate_version = version;
  return Status::Ok();
}

void RequestTasks::detach_candidate(const std::string& model, bool promote) {
  std::shared_ptr<Entry> e = find(model);
  if (e == nullptr) return;
  std::unique_ptr<Entry::Candidate> gone;
  {
    std::lock_guard<std::mutex> run(e->run_mu);
    gone = std::move(e->candidate);
    std::lock_guard<std::mutex> lock(mu_);
    e->candidate_version.reset();
  }
  if (gone && promote) (void)switch_model(gone->model, false);
}

void RequestTasks::run_pinned(Entry& entry, int accelerator, Call& call) {
  ModelInstance* version = nullptr;
  int session = 0;
  if (call.version == entry.model->spec().version) {
    version = entry.model;
    session = entry.session_of.at(static_cast<size_t>(accelerator));
  } else if (entry.candidate && call.version == entry.candidate->model->spec().version) {
    version = entry.candidate->model;
    session = entry.candidate->session_of.at(static_cast<size_t>(accelerator));
  } else {
    call.answer(
        NotFound(fmt::format("Model/{}: version \"{}\" stopped running while the request waited (it runs "
                             "\"{}\" now)",
                             entry.model->name(), call.version, entry.model->spec().version)));
    return;
  }
  const bool beside = version != entry.model;
  run_one(entry, call, *version, session, [&](Result<std::vector<Tensor>>& out, int64_t ns) -> const ModelInstance* {
    // The new version, asked for by name: counted as its run, served.
    if (beside) {
      CandidateComparison seen;
      seen.at = env_->wall_now();
      seen.version_asked = call.version;
      if (!out.ok()) seen.error = out.status().message();
      entry.candidate->meter->record(ns, out.ok(), std::move(seen));
    }
    return nullptr;
  });
}

const ModelInstance* RequestTasks::run_candidate(Entry& entry, int accelerator, const Call& call,
                                                 Result<std::vector<Tensor>>& out) {
  Entry::Candidate* c = entry.candidate.get();
  if (c == nullptr || !c->share.take()) return nullptr;
  const TimePoint t0 = env_->now();
  Result<std::vector<Tensor>> r = c->model->run(call.data, {}, c->session_of.at(static_cast<size_t>(accelerator)));
  const int64_t ns = ns_between(t0, env_->now());
  CandidateComparison seen;
  seen.at = env_->wall_now();
  if (!r.ok()) {
    seen.error = r.status().message();
    c->meter->record(ns, false, std::move(seen));
    return nullptr;
  }
  const bool canary = c->meter->options().mode == CandidateMode::kCanary;
  seen.compared = out.ok();
  if (seen.compared) {
    seen.difference = disagreement(*out, nullptr, *r, nullptr, c->output_names, c->compared,
                                   c->meter->options().tolerance);
  }
  c->meter->record(ns, canary, std::move(seen));
  if (!canary) return nullptr;
  out = std::move(r);
  return c->model;
}

Status RequestTasks::switch_model(ModelInstance* to, bool carry) {
  std::shared_ptr<Entry> e = find(to->name());
  if (e == nullptr) return NotFound(fmt::format("no model named \"{}\" is loaded", to->name()));
  ModelSignature signature = signature_of(*to);
  std::vector<int> session_of;
  for (const auto& a : scheduler_->plan().accelerators) session_of.push_back(std::max(0, to->session_for(a.engine)));
  std::lock_guard<std::mutex> run(e->run_mu);  // between two runs of its tasks
  std::lock_guard<std::mutex> lock(mu_);
  {
    std::lock_guard<std::mutex> stats(e->stats_mu);
    for (auto& [id, sequence] : e->sequences) {
      StateTensors next(*to);
      if (carry) {
        if (Status s = next.adopt(sequence->state); !s.ok()) {
          spdlog::warn("Model/{}: sequence \"{}\": {}; it goes on from the new version's init state", to->name(), id,
                       s.message());
        }
      }
      sequence->state = std::move(next);
    }
  }
  e->model = to;
  e->session_of = std::move(session_of);
  e->signature = std::move(signature);
  return Status::Ok();
}

Result<Tensor> RequestTasks::check_locked(const Entry& e, std::vector<NamedTensor> inputs, bool sequence) const {
  const ModelSignature& sig = e.signature;
  if (!sig.stateful.empty() && !sequence) return FailedPrecondition(sig.stateful);
  if (sig.stateful.empty() && sequence) {
    return InvalidArgument(fmt::format(
        "Model/{} keeps no state between runs: sequence_id, sequence_start and sequence_end are for models that do",
        sig.model));
  }
  const TensorSignature& want = sig.inputs.at(0);
  int found = -1;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k].name == want.name) {
      if (found >= 0)
        return InvalidArgument(fmt::format("Model/{}: input \"{}\" is given twice", sig.model, want.name));
      found = static_cast<int>(k);
      continue;
    }
    return InvalidArgument(fmt::format("Model/{}: unknown input \"{}\" (the model takes one input, \"{}\")", sig.model,
                                       inputs[k].name, want.name));
  }
  if (found < 0) return InvalidArgument(fmt::format("Model/{}: input \"{}\" is missing", sig.model, want.name));
  Tensor& t = inputs[static_cast<size_t>(found)].tensor;
  if (t.dtype() != want.dtype) {
    return InvalidArgument(fmt::format("Model/{}: input \"{}\": expected {}, got {}", sig.model, want.name,
                                       dtype_name(want.dtype), dtype_name(t.dtype())));
  }
  if (t.shape() != want.shape) {
    return InvalidArgument(fmt::format("Model/{}: input \"{}\": expected shape {}, got {}", sig.model, want.name,
                                       shape_to_string(want.shape), shape_to_string(t.shape())));
  }
  return std::move(t);
}

Result<std::shared_ptr<RequestTasks::Entry::Sequence>> RequestTasks::sequence_locked(Entry& e,
                                                                                     const SequenceFlags& flags,
                                                                                     TimePoint now) const {
  std::lock_guard<std::mutex> lock(e.stats_mu);
  for (auto it = e.sequences.begin(); it != e.sequences.end();) {
    if (now - it->second->last >= sequence_idle_) {
      it = e.sequences.erase(it);
      ++e.stats.sequences_expired;
    } else {
      ++it;
    }
  }
  auto it = e.sequences.find(flags.id);
  if (flags.start) {
    auto fresh = std::make_shared<Entry::Sequence>(Entry::Sequence{StateTensors(*e.model), now});
    e.sequences[flags.id] = fresh;
    return fresh;
  }
  if (it == e.sequences.end()) {
    const auto s = std::chrono::duration_cast<std::chrono::milliseconds>(sequence_idle_).count() / 1000.0;
    return InvalidArgument(fmt::format(
        "Model/{}: sequence \"{}\" is not open (sequence_start: true opens it; sequence_end closes it, and a "
        "sequence without a request for {:g} s is dropped)",
        e.signature.model, flags.id, s));
  }
  it->second->last = now;
  return it->second;
}

Result<const RequestTasks::Entry*> RequestTasks::ready_locked(const std::string& model) const {
  auto it = entries_.find(model);
  if (it == entries_.end()) return NotFound(fmt::format("no model named \"{}\" is loaded", model));
  const ModelInstance& m = *it->second->model;
  if (const ModelState st = m.state(); !takes_inputs(st)) {
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

Result<RequestStats> RequestTasks::stats(const std::string& model) const {
  std::shared_ptr<Entry> e = find(model);
  if (e == nullptr) return NotFound(fmt::format("no model named \"{}\" is loaded", model));
  std::lock_guard<std::mutex> lock(e->stats_mu);
  RequestStats out = e->stats;
  out.sequences_open = e->sequences.size();
  return out;
}

void RequestTasks::failed(const std::string& model, TimePoint arrived, bool refused, bool timed_out) {
  if (std::shared_ptr<Entry> e = find(model)) Call::record(*e, env_, arrived, false, refused, timed_out);
}

Result<std::vector<NamedTensor>> RequestTasks::infer(const std::string& model, std::vector<NamedTensor> inputs,
                                                     Options options) {
  auto promise = std::make_shared<std::promise<Result<std::vector<NamedTensor>>>>();
  std::future<Result<std::vector<NamedTensor>>> answer = promise->get_future();
  infer_async(model, std::move(inputs), std::move(options),
              [promise](Result<std::vector<NamedTensor>> r, std::string_view) { promise->set_value(std::move(r)); });
  return answer.get();
}

void RequestTasks::infer_async(const std::string& model, std::vector<NamedTensor> inputs, Options options,
                               Answer answer) {
  const TimePoint arrived = env_->now();
  auto call = std::make_shared<Call>();
  call->model = model;
  call->env = env_;
  call->arrived = arrived;
  call->timeout = options.timeout;
  call->on_answer = std::move(answer);
  call->after_run = std::move(options.after_run);
  call->version = std::move(options.version);
  int task = -1;
  Status refused = Status::Ok();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A version that neither runs nor runs beside the model, but was loaded for requests that name it.
    std::string key = model;
    if (auto running = entries_.find(model); running != entries_.end() && !call->version.empty() &&
                                             !check_version_locked(*running->second, call->version, false).ok() &&
                                             entries_.count(kept_key(model, call->version)) > 0) {
      key = kept_key(model, call->version);
      call->version.clear();  // that entry runs nothing else
    }
    auto it = entries_.find(key);
    if (closed_) {
      refused = Unavailable("the runtime is stopping");
    } else {
      if (it != entries_.end()) call->entry = it->second;
      Result<Tensor> data = [&]() -> Result<Tensor> {
        SENSIX_ASSIGN_OR_RETURN(const Entry* e, ready_locked(key));
        if (!call->version.empty())
          SENSIX_RETURN_IF_ERROR(check_version_locked(*e, call->version, options.sequence.has_value()));
        SENSIX_ASSIGN_OR_RETURN(Tensor t, check_locked(*e, std::move(inputs), options.sequence.has_value()));
        if (options.sequence) {
          SENSIX_ASSIGN_OR_RETURN(call->sequence, sequence_locked(*it->second, *options.sequence, arrived));
          call->sequence_id = options.sequence->id;
          call->sequence_end = options.sequence->end;
        }
        return t;
      }();
      if (data.ok()) {
        call->data = std::move(*data);
        task = it->second->tasks[static_cast<size_t>(options.priority.value_or(it->second->priority))];
        call->input_ns = ns_between(arrived, env_->now());
        std::lock_guard<std::mutex> stats_lock(it->second->stats_mu);
        it->second->stats.compute_input.add(call->input_ns);
      } else {
        refused = data.status();
      }
    }
  }
  if (!refused.ok()) {
    call->answer(refused);  // counted (for a known model) and answered here; the destructor answers no one
    return;
  }
  {
    std::lock_guard<std::mutex> lock(deadlines_mu_);
    auto at = deadlines_.emplace(arrived + options.timeout, std::weak_ptr<Call>(call));
    call->owner = this;
    call->deadline_at = at;
    if (at->first < reaper_wake_) {  // earlier than the deadline thread's wake-up: it wakes now
      reaper_wake_ = at->first;
      deadlines_cv_.notify_one();
    }
  }
  TaskInput in;
  in.captured = env_->now();
  call->submitted = in.captured;
  in.payload = std::move(call);  // the scheduler holds the only reference: dropping the input answers it
  // Where a lane would run it at once, and the run is short, it runs here (the scheduler decides,
  // by its own rules): no handing to a lane and back.
  if (scheduler_->run_here(task, in)) return;
  scheduler_->submit(task, std::move(in));
}

void RequestTasks::run(Entry& entry, int accelerator, std::vector<TaskInput>& batch) {
  std::lock_guard<std::mutex> version(entry.run_mu);  // switch_model() waits for this run
  ModelInstance& m = *entry.model;
  const int session = entry.session_of.at(static_cast<size_t>(accelerator));
  std::vector<Call*> calls;  // the ones to run: not answered, not past their timeout
  for (TaskInput& in : batch) {
    if (Call* call = runnable(in)) calls.push_back(call);
  }
  if (m.state() == ModelState::kUnloaded) {
    // Its version stopped for a new one to load (spec.rollout.strategy: stopThenStart).
    const std::string reason = m.stats().reason;
    for (Call* c : calls) c->answer(Unavailable(fmt::format("Model/{} is unloaded: {}", m.name(), reason)), true);
    return;
  }
  // Requests for one version run alone, on it.
  std::erase_if(calls, [&](Call* c) {
    if (c->version.empty()) return false;
    run_pinned(entry, accelerator, *c);
    return true;
  });
  if (calls.size() > 1) return run_batch(entry, accelerator, calls);
  if (calls.empty()) return;
  Call& call = *calls[0];
  run_one(entry, call, m, session, [&](Result<std::vector<Tensor>>& out, int64_t) -> const ModelInstance* {
    return call.sequence ? nullptr : run_candidate(entry, accelerator, call, out);
  });
}

RequestTasks::Call* RequestTasks::runnable(TaskInput& in) const {
  auto* call = std::any_cast<std::shared_ptr<Call>>(&in.payload);
  if (call == nullptr || *call == nullptr || (*call)->answered) return nullptr;  // answered: timed out
  if (env_->now() >= (*call)->arrived + (*call)->timeout) {
    (*call)->time_out();  // not run: its answer would come too late
    return nullptr;
  }
  return call->get();
}

void RequestTasks::run_one(Entry& entry, Call& call, ModelInstance& m, int session,
                           const std::function<const ModelInstance*(Result<std::vector<Tensor>>&, int64_t)>& after) {
  const TimePoint start = env_->now();
  Entry::Sequence* sequence = call.sequence.get();
  Result<std::vector<Tensor>> out = m.run(call.data, sequence ? sequence->state.tensors() : std::span<const Tensor>(),
                                          session);
  if (out.ok() && sequence) {
    if (Status carried = sequence->state.carry(m, *out); !carried.ok()) out = carried;
  }
  if (sequence && call.sequence_end) {
    std::lock_guard<std::mutex> lock(entry.stats_mu);
    auto open = entry.sequences.find(call.sequence_id);
    if (open != entry.sequences.end() && open->second.get() == sequence) entry.sequences.erase(open);
  }
  const TimePoint ran = env_->now();
  const ModelInstance* served_by = after ? after(out, ns_between(start, ran)) : nullptr;
  finish(entry, call, std::move(out), start, ran, served_by != nullptr ? served_by : &m);
  executed(entry, {&call}, start, ran);
}

void RequestTasks::run_batch(Entry& entry, int accelerator, const std::vector<Call*>& calls) {
  const int session = entry.session_of.at(static_cast<size_t>(accelerator));
  std::vector<const Tensor*> data;
  data.reserve(calls.size());
  for (const Call* c : calls) data.push_back(&c->data);
  const TimePoint start = env_->now();
  Result<std::vector<std::vector<Tensor>>> out = entry.model->run_batch(data, session);
  const TimePoint ran = env_->now();
  for (size_t i = 0; i < calls.size(); ++i) {
    Result<std::vector<Tensor>> one = out.ok() ? Result<std::vector<Tensor>>(std::move((*out)[i])) : out.status();
    const ModelInstance* served_by = run_candidate(entry, accelerator, *calls[i], one);
    finish(entry, *calls[i], std::move(one), start, ran, served_by);
  }
  executed(entry, calls, start, ran);
}

void RequestTasks::executed(Entry& entry, const std::vector<Call*>& calls, TimePoint start, TimePoint ran, int size) {
  int64_t input_ns = 0;
  for (const Call* c : calls) input_ns += c->input_ns;
  std::lock_guard<std::mutex> lock(entry.stats_mu);
  if (size > 0) {  // a shared run: counted once, though it may hold requests of several classes
    if (entry.last_shared_run == start) return;
    entry.last_shared_run = start;
    if (size > static_cast<int>(calls.size())) ++entry.stats.shared_executions;
  }
  ++entry.stats.executions;
  BatchCounts& b = entry.stats.batches[size > 0 ? size : static_cast<int>(calls.size())];
  b.compute_input.add(input_ns);
  b.compute_infer.add(ns_between(start, ran));
  b.compute_output.add(ns_between(ran, env_->now()));
}

void RequestTasks::finish(Entry& entry, Call& call, Result<std::vector<Tensor>> out, TimePoint start, TimePoint ran,
                          const ModelInstance* served_by) {
  const ModelInstance& m = served_by ? *served_by : *entry.model;
  std::vector<NamedTensor> named;
  if (out.ok()) {
    named.reserve(out->size());
    for (size_t o = 0; o < out->size(); ++o)
      named.push_back(NamedTensor{m.spec().outputs[o].name, std::move((*out)[o])});
  }
  {
    std::lock_guard<std::mutex> lock(entry.stats_mu);
    entry.stats.queue.add(ns_between(call.submitted, start));
    entry.stats.compute_infer.add(ns_between(start, ran));
    if (out.ok()) entry.stats.compute_output.add(ns_between(ran, env_->now()));
  }
  call.served = m.spec().version;
  if (out.ok() && call.after_run) {
    if (Status after = call.after_run(m, named); !after.ok()) {
      call.answer(after);
      return;
    }
  }
  call.answer(out.ok() ? Result<std::vector<NamedTensor>>(std::move(named)) : out.status());
}

}  // namespace sensix
