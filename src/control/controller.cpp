#include "control/controller.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/sha256.h"
#include "control/rollout_analysis.h"
#include "docs/side_files.h"

namespace sensix {

namespace {

template <typename Doc>
void add_changes(const std::vector<Doc>& list, const char* kind, std::vector<DocumentChange>& out) {
  for (const Doc& d : list) out.push_back({kind, d.metadata.name, d.canonical});
}

std::vector<DocumentChange> puts_of(const DocumentSet& docs) {
  std::vector<DocumentChange> out;
  add_changes(docs.devices, "Device", out);
  add_changes(docs.sensors, "Sensor", out);
  add_changes(docs.models, "Model", out);
  add_changes(docs.pipelines, "Pipeline", out);
  return out;
}

// The stored documents as one text to parse ("---" between them).
std::string joined_text(const std::vector<StoredDocument>& docs) {
  std::string text;
  for (const StoredDocument& d : docs) {
    if (!text.empty()) text += "\n---\n";
    text += d.text;
  }
  return text;
}

template <typename Doc>
bool erase_named(std::vector<Doc>& list, std::string_view name) {
  return std::erase_if(list, [&](const Doc& d) { return d.metadata.name == name; }) > 0;
}

}  // namespace

Result<std::string> document_kind(std::string_view written) {
  std::string k(written);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (k.ends_with("s")) k.pop_back();
  if (k == "sensor") return std::string("Sensor");
  if (k == "model") return std::string("Model");
  if (k == "pipeline") return std::string("Pipeline");
  if (k == "device") return std::string("Device");
  return InvalidArgument(fmt::format("unknown kind \"{}\" (expected sensor, model, pipeline or device)", written));
}

Result<std::unique_ptr<Controller>> Controller::open(ControllerOptions options) {
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<DocumentStore> store,
                          DocumentStore::open(options.data_dir, options.runtime.env));
  // The stored documents are read (and their checksums checked) before anything starts: a damaged
  // store stops the daemon here, with the file and what to do.
  SENSIX_RETURN_IF_ERROR(store->documents().status());
  // Opened after the document store, whose lock keeps a second daemon out of the data directory
  // (opening the model store empties its tmp/).
  if (options.models.dir.empty()) options.models.dir = options.data_dir + "/models";
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<ModelStore> models, ModelStore::open(options.models));
  // The runtime does not hash again what the store has just checked (the runtime goes before the store).
  options.runtime.digest_known = [store = models.get()](const std::string& path, const std::string& sha256) {
    return store->verified(path, sha256);
  };
  options.runtime.allow_empty = true;
  auto steps = std::make_shared<Steps>();
  auto outer = options.runtime.on_progress;
  options.runtime.on_progress = [steps, outer](const std::string& step, int done, int total) {
    {
      std::lock_guard<std::mutex> lock(steps->mu);
      steps->step = step;
      steps->done = done;
      steps->total = total;
    }
    if (outer) outer(step, done, total);
  };
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<Runtime> runtime, Runtime::create(DocumentSet{}, options.runtime));
  for (const auto& sink : options.sinks) runtime->add_sink(sink);
  SENSIX_RETURN_IF_ERROR(runtime->start());
  return std::unique_ptr<Controller>(
      new Controller(std::move(options), std::move(store), std::move(models), std::move(runtime), std::move(steps)));
}

Controller::Controller(ControllerOptions options, std::unique_ptr<DocumentStore> store,
                       std::unique_ptr<ModelStore> models, std::unique_ptr<Runtime> runtime,
                       std::shared_ptr<Steps> steps)
    : options_(std::move(options)),
      store_(std::move(store)),
      models_(std::move(models)),
      runtime_(std::move(runtime)),
      steps_(std::move(steps)) {
  watcher_ = std::thread([this] { watch(); });
}

Status Controller::materialize(DocumentSet& docs) {
  StatusList problems;
  for (ModelDoc& m : docs.models) {
    auto one = [&](const std::string& field, const std::string& written, std::string& path, const std::string& sha) {
      Result<ArtifactSource> source = parse_artifact_source(written);
      if (!source.ok()) {
        problems.add(source.status().with_context(fmt::format("Model/{}: {}", m.metadata.name, field)));
        return;
      }
      Result<Artifact> stored = models_->ensure(*source, path, sha);
      if (stored.ok()) {
        path = stored->path;
        return;
      }
      StatusCode code = stored.status().code();
      if (code == StatusCode::kDataLoss && source->kind != ArtifactSourceKind::kFile) {
        // The source's bytes are not what the document says: the document (or the source) is wrong.
        stored = Status(StatusCode::kInvalidArgument, stored.status().message());
        code = StatusCode::kInvalidArgument;
      }
      const bool runtime_says = source->kind == ArtifactSourceKind::kFile &&
                                (code == StatusCode::kNotFound || code == StatusCode::kDataLoss ||
                                 code == StatusCode::kInvalidArgument);
      if (!runtime_says)
        problems.add(stored.status().with_context(fmt::format("Model/{}: {}", m.metadata.name, field)));
    };
    one("spec.source", m.spec.source, m.spec.path, m.spec.sha256);
    for (size_t i = 0; i < m.spec.variants.size(); ++i) {
      VariantSpec& v = m.spec.variants[i];
      one(fmt::format("spec.variants[{}].source", i), v.source, v.path, v.sha256);
    }
    for (const SideFile& f : side_files(m.spec)) {
      if (f.sha256->empty()) continue;  // a version stored before side files were pinned: the file as it is
      ArtifactSource local;
      local.written = *f.path;
      // Missing from the store and changed on disk: left to the runtime's check (the digest's field).
      if (Result<Artifact> stored = models_->ensure(local, *f.path, *f.sha256); stored.ok()) *f.path = stored->path;
    }
  }
  return problems.status();
}

Status Controller::pin_side_files(MergedDocuments& merged) {
  for (ModelDoc& m : merged.parsed.models) {
    std::vector<SideFile> files = side_files(m.spec);
    if (files.empty()) continue;
    for (const SideFile& f : files) {
      const std::string where = fmt::format("Model/{}: {}", m.metadata.name, f.field);
      if (f.sha256->empty()) {
        Result<std::string> digest = sha256_file(*f.path);
        if (!digest.ok()) return digest.status().with_context(where);
        *f.sha256 = *digest;
      }
      ArtifactSource local;
      local.written = *f.path;
      Result<Artifact> stored = models_->ensure(local, *f.path, *f.sha256);
      if (!stored.ok()) {
        // A stated digest the store lacks and the file does not have: the document is wrong.
        const StatusCode code = stored.status().code() == StatusCode::kDataLoss ? StatusCode::kInvalidArgument
                                                                                : stored.status().code();
        return Status(code, stored.status().message()).with_context(where);
      }
    }
    SENSIX_RETURN_IF_ERROR(sensix::pin_side_files(m));
    for (ModelDoc& d : merged.merged.models) {
      if (d.metadata.name == m.metadata.name) d = m;
    }
  }
  return Status::Ok();
}

Result<CollectResult> Controller::collect_locked() {
  // Kept: the files of the last keep_versions versions of every Model document (an undo to one of
  // them needs no fetch) and of what runs. A version that no longer parses keeps everything: nothing
  // is removed then.
  std::set<std::string> keep;
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> versions, store_->versions("Model", options_.keep_versions));
  std::map<std::string, std::vector<std::string>> digests_now;  // what the next collect may reuse
  for (const StoredDocument& v : versions) {
    auto known = digests_of_text_.find(v.sha256);  // a version's text never changes: parsed once
    if (known == digests_of_text_.end()) {
      Result<DocumentSet> parsed = parse_document_text(v.text,
                                                       fmt::format("Model/{} generation {}", v.name, v.generation),
                                                       options_.data_dir, options_.parse);
      if (!parsed.ok()) {
        return FailedPrecondition(fmt::format("the model store keeps every file: a stored version does not parse: {}",
                                              parsed.status().message()));
      }
      std::vector<std::string> digests;
      for (const ModelDoc& m : parsed->models) {
        digests.push_back(m.spec.sha256);
        for (const VariantSpec& var : m.spec.variants) digests.push_back(var.sha256);
        for (std::string& d : side_file_digests(m)) digests.push_back(std::move(d));
      }
      known = digests_of_text_.emplace(v.sha256, std::move(digests)).first;
    }
    keep.insert(known->second.begin(), known->second.end());
    digests_now.emplace(known->first, known->second);
  }
  digests_of_text_ = std::move(digests_now);  // only the kept versions': bounded however many came before
  {
    std::lock_guard<std::mutex> state(state_mu_);
    for (const ModelDoc& m : desired_.models) {
      keep.insert(m.spec.sha256);
      for (const VariantSpec& var : m.spec.variants) keep.insert(var.sha256);
      for (std::string& d : side_file_digests(m)) keep.insert(std::move(d));
    }
  }
  return models_->collect(keep);
}

ApplyProgress Controller::progress() const {
  ApplyProgress p;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    if (applying_.empty()) return p;
    p.applying = true;
    p.summary = applying_;
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - applying_since_).count();
  }
  std::lock_guard<std::mutex> lock(steps_->mu);
  p.step = steps_->step;
  p.done = steps_->done;
  p.total = steps_->total;
  return p;
}

Controller::~Controller() { stop(); }

void Controller::stop() {
  {
    std::lock_guard<std::mutex> state(state_mu_);
    watcher_stop_ = true;
  }
  watcher_cv_.notify_all();
  if (watcher_.joinable() && watcher_.get_id() != std::this_thread::get_id()) watcher_.join();
  std::lock_guard<std::mutex> lock(apply_mu_);
  if (stopped_) return;
  stopped_ = true;
  runtime_->stop();
}

void Controller::set_starting(std::string reason) {
  std::lock_guard<std::mutex> state(state_mu_);
  starting_ = std::move(reason);
}

Status Controller::restore() {
  std::lock_guard<std::mutex> lock(apply_mu_);
  auto fail = [&](const Status& s) {
    std::lock_guard<std::mutex> state(state_mu_);
    restoring_ = false;
    applying_.clear();
    restore_error_ = s.message();
    return s;
  };
  if (Status s = roll_back_interrupted(); !s.ok()) return fail(s);
  Result<std::vector<StoredDocument>> stored = store_->documents();
  if (!stored.ok()) return fail(stored.status());
  if (stored->empty()) {
    std::lock_guard<std::mutex> state(state_mu_);
    restoring_ = false;
    return Status::Ok();
  }
  {
    std::lock_guard<std::mutex> state(state_mu_);
    applying_ = fmt::format("starting the {} stored documents", stored->size());
    applying_since_ = std::chrono::steady_clock::now();
  }
  // Stored documents were confined when they were applied; their relative paths are relative to
  // the data directory, as they were then.
  Result<DocumentSet> docs = parse_document_text(joined_text(*stored), store_->path(), options_.data_dir,
                                                 options_.parse);
  if (!docs.ok()) return fail(docs.status());
  DocumentSet run = *docs;  // the stored documents keep their sources; the runtime gets the store's files
  if (Status s = materialize(run); !s.ok()) return fail(s);
  Result<ApplyResult> applied = runtime_->apply(run);
  if (!applied.ok()) return fail(applied.status());
  if (options_.on_change) options_.on_change(*docs);
  std::unique_lock<std::mutex> state(state_mu_);
  desired_ = std::move(docs).value();
  restoring_ = false;
  applying_.clear();
  restore_error_.clear();
  state.unlock();
  if (Result<CollectResult> c = collect_locked(); !c.ok()) spdlog::warn("model store: {}", c.status().message());
  return Status::Ok();
}

namespace {

// "canary, 10% of the inputs", "shadow, every input".
std::string describe_share(const RolloutSpec& r) {
  const double share = r.effective_share();
  return fmt::format("{}, {}", rollout_strategy_name(r.strategy),
                     share >= 1 ? std::string("every input") : fmt::format("{:g}% of the inputs", share * 100));
}

// A test hook (tests/deploy_test.cpp): SENSIX_TEST_CRASH_AT=<point> kills the daemon there, as a
// power cut would, to check what a restart makes of it. Points: rollout-candidate-added (the new
// version runs beside the old, nothing stored yet), rollout-started (stored), rollout-promoting
// (the new version took over, not stored yet), rollout-rolling-back (the new version went, the old
// document not stored again yet).
void crash_point(std::string_view point, bool reached = true) {
  if (!reached) return;
  const char* at = std::getenv("SENSIX_TEST_CRASH_AT");
  if (at == nullptr || point != at) return;
  spdlog::critical("SENSIX_TEST_CRASH_AT={}: killing the daemon", point);
  spdlog::default_logger()->flush();
  std::raise(SIGKILL);
}

// The Pipeline that has `model` as a step, or nullptr.
const PipelineDoc* pipeline_using(const DocumentSet& docs, std::string_view model) {
  for (const auto& p : docs.pipelines) {
    for (const auto& step : p.spec.steps) {
      if (step.model == model) return &p;
    }
  }
  return nullptr;
}

}  // namespace

DocumentSet Controller::running_of(const DocumentSet& desired, const std::set<std::string>& unloaded) {
  if (unloaded.empty()) return desired;
  DocumentSet out = desired;
  std::erase_if(out.models, [&](const ModelDoc& m) { return unloaded.count(m.metadata.name) > 0; });
  return out;
}

Result<ControlResult> Controller::commit(const DocumentSet& desired, const std::vector<DocumentChange>& changes,
                                         std::string_view summary, bool dry_run, std::set<std::string> unloaded) {
  {
    std::lock_guard<std::mutex> state(state_mu_);
    if (stopped_) return Unavailable("the daemon is stopping");
    if (!dry_run) {
      applying_ = std::string(summary);
      applying_since_ = std::chrono::steady_clock::now();
    }
  }
  {
    std::lock_guard<std::mutex> lock(steps_->mu);
    steps_->step.clear();
    steps_->done = steps_->total = 0;
  }
  auto done = [&] {
    std::lock_guard<std::mutex> state(state_mu_);
    applying_.clear();
  };
  // Only an applied model that no Pipeline runs stays unloaded: one whose document went, or that a
  // Pipeline now names, is forgotten here.
  std::erase_if(unloaded, [&](const std::string& m) {
    return desired.find_model(m) == nullptr || pipeline_using(desired, m) != nullptr;
  });
  ControlResult out;
  // Models whose changed document starts a canary or shadow: the runtime keeps their running version
  // and runs the new one beside it. (A dry run checks the new version as a replacement: loaded,
  // warmed up and self-tested.)
  DocumentSet current;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    current = desired_;
  }
  std::vector<ModelDoc> staged;
  const DocumentDiff changed = diff_documents(current, desired);
  const DocumentSet running = runtime_->documents();
  std::set<std::string> in_rollout;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    for (const auto& [name, a] : rollouts_) in_rollout.insert(name);
  }
  for (const ModelDoc& md : desired.models) {
    const std::string& name = md.metadata.name;
    const DocChange change = changed.of("Model", name);
    if (in_rollout.count(name) && change != DocChange::kUnchanged) {
      done();
      return FailedPrecondition(fmt::format(
          "Model/{}: a rollout of it is in progress (sensix rollout status {}): promote or abort it before you change "
          "it again",
          name, name));
    }
    if (dry_run || !runs_beside(md.spec.rollout.strategy) || change != DocChange::kChanged || unloaded.count(name) ||
        running.find_model(name) == nullptr) {
      continue;
    }
    staged.push_back(md);
  }
  DocumentSet run = run_set(desired, unloaded);
  for (const ModelDoc& md : staged) {
    for (auto& m : run.models) {
      if (m.metadata.name == md.metadata.name) m = *current.find_model(md.metadata.name);
    }
  }
  if (Status s = materialize(run); !s.ok()) {
    done();
    return s;
  }
  Result<ApplyResult> applied = runtime_->apply(run, dry_run);
  // The new versions, beside the running ones.
  std::vector<std::pair<ModelDoc, std::shared_ptr<CandidateMeter>>> candidates;
  for (const ModelDoc& md : staged) {
    if (!applied.ok()) break;
    DocumentSet one;
    one.models.push_back(md);
    Status s = materialize(one);
    Result<std::shared_ptr<CandidateMeter>> meter = s;
    if (s.ok()) {
      const RolloutSpec& r = md.spec.rollout;
      CandidateOptions co;
      co.mode = r.strategy == RolloutStrategy::kCanary ? CandidateMode::kCanary : CandidateMode::kShadow;
      co.share = r.effective_share();
      co.tolerance = r.analysis.tolerance;
      meter = runtime_->add_candidate(one.models.front(), co);
    }
    if (!meter.ok()) {
      applied = meter.status();
      break;
    }
    candidates.emplace_back(md, *meter);
  }
  if (!applied.ok()) {
    for (const auto& [md, meter] : candidates) (void)runtime_->remove_candidate(md.metadata.name);
    // A failure after the runtime began to change (a graph or a sensor that would not start: "applied
    // in part") leaves it between the two sets: it goes back to the stored one.
    DocumentSet previous = stored_run_set();
    (void)materialize(previous);  // its files are in the store already
    if (!dry_run && diff_documents(runtime_->documents(), previous).any_change()) {
      Result<ApplyResult> back = runtime_->apply(previous);
      if (!back.ok()) spdlog::error("apply: going back after a partial apply failed too: {}", back.status().message());
    }
    done();
    return applied.status();
  }
  out.apply = std::move(applied).value();
  if (dry_run) return out;
  crash_point("rollout-candidate-added", !candidates.empty());
  std::vector<RolloutUpdate> starts;
  for (const auto& [md, meter] : candidates) {
    RolloutRecord r;
    r.model = md.metadata.name;
    r.strategy = std::string(rollout_strategy_name(md.spec.rollout.strategy));
    const ModelDoc& from = *current.find_model(r.model);
    Result<StoredDocument> stored = store_->document("Model", r.model);
    r.from_generation = stored.ok() ? stored->generation : 0;
    r.from_version = from.spec.version;
    r.to_version = md.spec.version;
    starts.push_back(RolloutUpdate{r, 0, "", ""});
  }
  Result<CommitResult> committed = changes.empty() ? CommitResult{} : store_->commit(changes, summary, starts);
  if (!committed.ok()) {
    // The store did not take it: what runs goes back to what is stored.
    for (const auto& [md, meter] : candidates) (void)runtime_->remove_candidate(md.metadata.name);
    DocumentSet previous = stored_run_set();
    (void)materialize(previous);
    Result<ApplyResult> back = runtime_->apply(previous);
    if (!back.ok()) spdlog::error("apply: going back after a failed commit failed too: {}", back.status().message());
    done();
    return committed.status();
  }
  out.commit = std::move(committed).value();
  crash_point("rollout-started", !candidates.empty());
  std::vector<std::pair<RolloutRecord, RolloutSpec>> started;
  if (!candidates.empty()) {
    Result<std::vector<RolloutRecord>> records = store_->rollouts_in("progressing");
    if (!records.ok()) spdlog::error("rollouts: {}", records.status().message());
    for (const auto& [md, meter] : candidates) {
      ActiveRollout a;
      a.from = *current.find_model(md.metadata.name);
      for (const RolloutRecord& r : records.ok() ? *records : std::vector<RolloutRecord>{}) {
        if (r.model == md.metadata.name) a.record = r;
      }
      Result<std::optional<StoredDocument>> from = store_->generation("Model", md.metadata.name,
                                                                      a.record.from_generation);
      if (!from.ok()) spdlog::error("rollouts: {}", from.status().message());
      if (from.ok() && *from) a.from_text = (*from)->text;
      a.spec = md.spec.rollout;
      a.meter = meter;
      a.started = std::chrono::steady_clock::now();
      out.rollouts.push_back(md.metadata.name);
      started.emplace_back(a.record, a.spec);
      std::lock_guard<std::mutex> state(state_mu_);
      ended_meters_.erase(md.metadata.name);
      rollouts_[md.metadata.name] = std::move(a);
    }
  }
  if (options_.on_change) options_.on_change(desired);
  std::unique_lock<std::mutex> state(state_mu_);
  desired_ = desired;
  unloaded_ = std::move(unloaded);
  applying_.clear();
  restore_error_.clear();  // the set that runs now is the stored one
  state.unlock();
  if (out.commit.changed) {
    if (Result<CollectResult> c = collect_locked(); !c.ok()) spdlog::warn("model store: {}", c.status().message());
  }
  for (const auto& [r, spec] : started) {
    publish_rollout(r, "started",
                    fmt::format("version {} runs beside version {} ({})", r.to_version, r.from_version,
                                describe_share(spec)));
  }
  return out;
}

Result<ControlResult> Controller::apply(std::string_view text, std::string_view label, bool dry_run, bool confine,
                                        std::string_view summary) {
  std::lock_guard<std::mutex> lock(apply_mu_);
  DocumentSet base;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    base = desired_;
  }
  SENSIX_ASSIGN_OR_RETURN(MergedDocuments merged,
                          parse_documents_onto(base, text, std::string(label), options_.data_dir, options_.parse));
  if (confine) SENSIX_RETURN_IF_ERROR(confine_paths(merged.parsed, options_.paths));
  SENSIX_RETURN_IF_ERROR(pin_side_files(merged));
  std::vector<DocumentChange> changes = puts_of(merged.parsed);
  std::string names;
  for (const auto& c : changes) names += (names.empty() ? "" : ", ") + c.kind + "/" + c.name;
  // An applied Model document runs again if it was unloaded (so does one a Pipeline names: commit).
  std::set<std::string> unloaded = this->unloaded();
  for (const auto& m : merged.parsed.models) unloaded.erase(m.metadata.name);
  SENSIX_ASSIGN_OR_RETURN(ControlResult out,
                          commit(merged.merged, changes, summary.empty() ? "apply " + names : std::string(summary),
                                 dry_run, std::move(unloaded)));
  for (const auto& c : changes) {
    if (dry_run) {
      out.documents.push_back({c.kind, c.name, *c.text, "", 0, 0, ""});
      continue;
    }
    Result<StoredDocument> d = store_->document(c.kind, c.name);
    if (d.ok()) out.documents.push_back(std::move(d).value());
  }
  return out;
}

Result<std::vector<StoredDocument>> Controller::history(std::string_view kind_in, std::string_view name) const {
  SENSIX_ASSIGN_OR_RETURN(const std::string kind, document_kind(kind_in));
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> versions, store_->history(kind, name));
  if (versions.empty()) return NotFound(fmt::format("{}/{} was never applied", kind, name));
  return versions;
}

Result<std::vector<StoredDocument>> Controller::kept_versions(std::string_view model) const {
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> versions,
                          store_->last_versions("Model", model, options_.keep_versions));
  if (versions.empty()) return NotFound(fmt::format("Model/{} was never applied", model));
  return versions;
}

Result<std::vector<std::string>> Controller::model_versions(std::string_view model) const {
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> versions, kept_versions(model));
  std::vector<std::string> out;
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    std::string v = declared_model_version(it->text);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  }
  return out;
}

Result<ModelSignature> Controller::serve_version(std::string_view model, std::string_view version) {
  std::lock_guard<std::mutex> lock(apply_mu_);  // the store's files stay while it loads
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> versions, kept_versions(model));
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (declared_model_version(it->text) != version) continue;
    const std::string label = fmt::format("Model/{} generation {}", model, it->generation);
    SENSIX_ASSIGN_OR_RETURN(DocumentSet docs, parse_document_text(it->text, label, options_.data_dir, options_.parse));
    if (docs.models.size() != 1) return Internal(label + ": the stored text is not one Model document");
    docs.sensors.clear();
    docs.pipelines.clear();
    SENSIX_RETURN_IF_ERROR(materialize(docs));
    return runtime_->serve_version(docs.models.front());
  }
  return NotFound(fmt::format("Model/{} has no version \"{}\" among its last {} documents", model, version,
                              options_.keep_versions));
}

Result<ControlResult> Controller::undo(std::string_view kind_in, std::string_view name,
                                       std::optional<int64_t> to_revision, bool dry_run) {
  SENSIX_ASSIGN_OR_RETURN(const std::string kind, document_kind(kind_in));
  // Two rows of the history at most, however long it is.
  SENSIX_ASSIGN_OR_RETURN(std::optional<StoredDocument> latest, store_->latest(kind, name));
  if (!latest) return NotFound(fmt::format("{}/{} was never applied", kind, name));
  const StoredDocument& current = *latest;
  std::optional<StoredDocument> target;
  if (to_revision) {
    SENSIX_ASSIGN_OR_RETURN(target, store_->version_at(kind, name, *to_revision));
    if (!target) {
      SENSIX_ASSIGN_OR_RETURN(const int64_t first, store_->first_revision(kind, name));
      return NotFound(fmt::format("{}/{} did not exist yet at revision {} (first applied at revision {})", kind, name,
                                  *to_revision, first));
    }
    if (target->revision == current.revision) {
      return FailedPrecondition(fmt::format("{}/{} has not changed since revision {}: generation {} is the current one",
                                            kind, name, *to_revision, current.generation));
    }
  } else {
    // The version before the current one that differs from it (a delete then the same text again
    // is no earlier version).
    SENSIX_ASSIGN_OR_RETURN(target, store_->version_before(kind, name, current.revision, current.text));
    if (!target) {
      return FailedPrecondition(fmt::format("{}/{} has no earlier version to go back to", kind, name));
    }
  }
  const std::string what = target->text.empty()
                               ? fmt::format("undo {}/{}: delete it, as at revision {}", kind, name, target->revision)
                               : fmt::format("undo {}/{} to generation {} (revision {})", kind, name,
                                             target->generation, target->revision);
  spdlog::info("{}{}", what, dry_run ? " (dry run)" : "");
  if (target->text.empty()) return remove(kind, name, dry_run);
  // A stored version passed the checks of its own apply (the daemon's folders, or a trusted -f file).
  return apply(target->text, fmt::format("{}/{} generation {}", kind, name, target->generation), dry_run,
               /*confine=*/false, what);
}

Result<ControlResult> Controller::remove(std::string_view kind_in, std::string_view name, bool dry_run) {
  std::lock_guard<std::mutex> lock(apply_mu_);
  SENSIX_ASSIGN_OR_RETURN(const std::string kind, document_kind(kind_in));
  DocumentSet desired;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    desired = desired_;
  }
  bool found = false;
  if (kind == "Sensor") found = erase_named(desired.sensors, name);
  if (kind == "Model") found = erase_named(desired.models, name);
  if (kind == "Pipeline") found = erase_named(desired.pipelines, name);
  if (kind == "Device") found = erase_named(desired.devices, name);
  if (!found) return NotFound(fmt::format("{}/{} is not applied", kind, name));
  // A document another still names cannot go alone.
  Status refs = validate_references(desired);
  if (!refs.ok()) {
    return FailedPrecondition(
        fmt::format("{}/{} is still used; delete or change what uses it first:\n{}", kind, name, refs.message()));
  }
  std::vector<DocumentChange> changes{{kind, std::string(name), std::nullopt}};
  SENSIX_ASSIGN_OR_RETURN(ControlResult out,
                          commit(desired, changes, fmt::format("delete {}/{}", kind, name), dry_run, unloaded()));
  return out;
}

Status Controller::unload(std::string_view model) { return set_loaded(model, false); }
Status Controller::load(std::string_view model) { return set_loaded(model, true); }

Status Controller::set_loaded(std::string_view model, bool loaded) {
  std::lock_guard<std::mutex> lock(apply_mu_);
  DocumentSet desired;
  std::set<std::string> unloaded;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    desired = desired_;
    unloaded = unloaded_;
  }
  if (desired.find_model(model) == nullptr) return NotFound(fmt::format("Model/{} is not applied", model));
  if (const PipelineDoc* p = pipeline_using(desired, model); !loaded && p != nullptr) {
    return FailedPrecondition(fmt::format(
        "Model/{} is a step of Pipeline/{}: it runs while the pipeline does (delete or change the pipeline first)",
        model, p->metadata.name));
  }
  const bool changes = loaded ? unloaded.erase(std::string(model)) > 0 : unloaded.insert(std::string(model)).second;
  if (!changes) return Status::Ok();  // so already
  return commit(desired, {}, fmt::format("{} Model/{}", loaded ? "load" : "unload", model), false, std::move(unloaded))
      .status();
}

DocumentSet Controller::applied() const {
  std::lock_guard<std::mutex> state(state_mu_);
  return desired_;
}

std::set<std::string> Controller::unloaded() const {
  std::lock_guard<std::mutex> state(state_mu_);
  return unloaded_;
}

Readiness Controller::readiness() const {
  Readiness r;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    if (stopped_) r.reasons.push_back("stopping");
    if (restoring_) r.reasons.push_back(applying_.empty() ? "starting" : applying_);
    if (!restore_error_.empty()) r.reasons.push_back("the stored documents do not run: " + restore_error_);
    if (!starting_.empty()) r.reasons.push_back(starting_);
  }
  const RuntimeStats stats = runtime_->stats();
  const DocumentSet docs = runtime_->documents();
  auto allowed = [&docs](const std::string& sensor) {
    const SensorDoc* d = docs.find_sensor(sensor);
    return d != nullptr && d->spec.allow_degraded;
  };
  for (const ModelRuntimeStats& m : stats.models) {
    if (!takes_inputs(m.model.state)) {
      r.reasons.push_back(fmt::format("Model/{} is {}{}", m.model.name, model_state_name(m.model.state),
                                      m.model.reason.empty() ? "" : ": " + m.model.reason));
    }
  }
  for (const SensorStatsSnapshot& s : stats.sensors) {
    if (s.state == SensorState::kFailed || s.state == SensorState::kPending || s.state == SensorState::kReconnecting) {
      (allowed(s.name) ? r.degraded : r.reasons)
          .push_back(fmt::format("Sensor/{} is {}{}", s.name, sensor_state_name(s.state),
                                 s.reason.empty() ? "" : ": " + s.reason));
    }
  }
  r.ready = r.reasons.empty();
  return r;
}

DocumentSet Controller::stored_run_set() const {
  DocumentSet desired;
  std::set<std::string> unloaded;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    desired = desired_;
    unloaded = unloaded_;
  }
  return run_set(desired, unloaded);
}

DocumentSet Controller::run_set(const DocumentSet& desired, const std::set<std::string>& unloaded) const {
  DocumentSet out = running_of(desired, unloaded);
  std::lock_guard<std::mutex> state(state_mu_);
  for (auto& m : out.models) {
    if (auto it = rollouts_.find(m.metadata.name); it != rollouts_.end()) m = it->second.from;
  }
  return out;
}

void Controller::publish_rollout(const RolloutRecord& r, const std::string& step, const std::string& reason) const {
  spdlog::info("rollout of Model/{} {} -> {} ({}): {}: {}", r.model, r.from_version, r.to_version, r.strategy, step,
               reason);
  Event e;
  e.name = "rollout-" + step;
  e.rule = fmt::format("Model/{} {} -> {}", r.model, r.from_version, r.to_version);
  e.wall_ns = options_.runtime.env->wall_now().time_since_epoch().count();
  e.rollout = RolloutNotice{r.model, r.strategy, r.from_version, r.to_version, reason};
  for (const auto& sink : options_.sinks) sink->publish_event(e);
}

RolloutStatus Controller::status_of(const RolloutRecord& r) const {
  RolloutStatus out;
  out.record = r;
  std::lock_guard<std::mutex> state(state_mu_);
  auto it = rollouts_.find(r.model);
  if (r.state != "progressing" || it == rollouts_.end() || it->second.record.id != r.id) return out;
  out.figures = it->second.meter->figures();
  out.analysis = it->second.spec.analysis;
  out.share = it->second.spec.effective_share();
  out.verdict = it->second.verdict;
  return out;
}

Result<std::vector<RolloutStatus>> Controller::rollouts() const {
  SENSIX_ASSIGN_OR_RETURN(std::vector<RolloutRecord> records, store_->rollouts());
  std::vector<RolloutStatus> out;
  for (const RolloutRecord& r : records) out.push_back(status_of(r));
  return out;
}

Result<RolloutStatus> Controller::rollout(std::string_view model) const {
  SENSIX_ASSIGN_OR_RETURN(std::optional<RolloutRecord> last, store_->last_rollout(model));
  if (last) return status_of(*last);
  return NotFound(fmt::format("Model/{} never had a canary or shadow rollout", model));
}

Result<RolloutComparisons> Controller::comparisons(std::string_view model) const {
  std::shared_ptr<CandidateMeter> meter;
  RolloutComparisons out;
  {
    std::lock_guard<std::mutex> state(state_mu_);
    if (auto it = rollouts_.find(std::string(model)); it != rollouts_.end()) {
      meter = it->second.meter;
      out.in_progress = true;
    } else if (auto ended = ended_meters_.find(std::string(model)); ended != ended_meters_.end()) {
      meter = ended->second;
    }
  }
  if (!meter) {
    return NotFound(
        fmt::format("Model/{} had no canary or shadow rollout since the daemon started (sensix rollout history {} "
                    "lists its versions)",
                    model, model));
  }
  const CandidateFigures f = meter->figures();
  out.from_version = f.from_version;
  out.to_version = f.version;
  out.items = meter->comparisons();
  return out;
}

Result<RolloutStatus> Controller::promote(std::string_view model) {
  std::lock_guard<std::mutex> lock(apply_mu_);
  return finish_rollout(std::string(model), true, "promoted", "promoted by hand");
}

Result<RolloutStatus> Controller::abort(std::string_view model) {
  std::lock_guard<std::mutex> lock(apply_mu_);
  return finish_rollout(std::string(model), false, "aborted", "aborted by hand");
}

Result<RolloutStatus> Controller::finish_rollout(const std::string& model, bool promote, const std::string& state,
                                                 const std::string& reason) {
  ActiveRollout a;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    auto it = rollouts_.find(model);
    if (it == rollouts_.end()) return NotFound(fmt::format("no rollout of Model/{} is in progress", model));
    a = it->second;
  }
  if (promote) {
    SENSIX_RETURN_IF_ERROR(runtime_->promote_candidate(model));
    crash_point("rollout-promoting");
    // The new version's document is stored already: only the rollout's end is.
    Result<CommitResult> c = store_->commit({}, "", {RolloutUpdate{std::nullopt, a.record.id, state, reason}});
    if (!c.ok()) return c.status();
  } else {
    SENSIX_RETURN_IF_ERROR(runtime_->remove_candidate(model));
    crash_point("rollout-rolling-back");
    const std::string summary = fmt::format("rollback Model/{} to generation {}: {}", model, a.record.from_generation,
                                            reason);
    Result<CommitResult> c = store_->commit({DocumentChange{"Model", model, a.from_text}}, summary,
                                            {RolloutUpdate{std::nullopt, a.record.id, state, reason}});
    if (!c.ok()) return c.status();
  }
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    rollouts_.erase(model);
    ended_meters_[model] = a.meter;  // its comparisons stay readable: why it was rolled back
    if (!promote) {
      for (auto& m : desired_.models) {
        if (m.metadata.name == model) m = a.from;
      }
    }
  }
  publish_rollout(a.record, promote ? "promoted" : state, reason);
  if (!promote) {
    if (Result<CollectResult> c = collect_locked(); !c.ok()) spdlog::warn("model store: {}", c.status().message());
  }
  return rollout(model);
}

Status Controller::roll_back_interrupted() {
  SENSIX_ASSIGN_OR_RETURN(std::vector<RolloutRecord> records, store_->rollouts_in("progressing"));
  for (const RolloutRecord& r : records) {
    SENSIX_ASSIGN_OR_RETURN(std::optional<StoredDocument> from,
                            store_->generation("Model", r.model, r.from_generation));
    const std::string text = from ? from->text : std::string();
    if (text.empty()) {
      return DataLoss(fmt::format("{}: rollout {} of Model/{}: generation {} of its document is not in the history",
                                  store_->path(), r.id, r.model, r.from_generation));
    }
    const std::string reason = fmt::format("the daemon stopped during the {}; version {} was not promoted", r.strategy,
                                           r.to_version);
    SENSIX_RETURN_IF_ERROR(
        store_
            ->commit({DocumentChange{"Model", r.model, text}},
                     fmt::format("rollback Model/{} to generation {}: {}", r.model, r.from_generation, reason),
                     {RolloutUpdate{std::nullopt, r.id, "rolled-back", reason}})
            .status());
    publish_rollout(r, "rolled-back", reason);
  }
  return Status::Ok();
}

void Controller::watch() {
  std::unique_lock<std::mutex> state(state_mu_);
  while (!watcher_stop_) {
    watcher_cv_.wait_for(state, options_.rollout_poll, [&] { return watcher_stop_; });
    if (watcher_stop_) break;
    struct Decision {
      std::string model;
      bool promote;
      std::string reason;
    };
    std::vector<Decision> decisions;
    std::vector<std::pair<RolloutRecord, std::string>> passed;
    for (auto& [name, a] : rollouts_) {
      const RolloutJudgement j = judge_rollout(a.meter->figures(), a.spec.analysis,
                                               std::chrono::steady_clock::now() - a.started);
      if (j.verdict == RolloutVerdict::kWait) {
        a.verdict = "waiting: " + j.reason;
      } else if (j.verdict == RolloutVerdict::kFail) {
        decisions.push_back({name, false, j.reason});
      } else if (a.spec.analysis.auto_promote) {
        decisions.push_back({name, true, "passed: " + j.reason});
      } else if (!a.passed) {
        a.passed = true;
        a.verdict = "passed: " + j.reason + "; waiting for sensix rollout promote";
        passed.emplace_back(a.record, j.reason);
      }
    }
    state.unlock();
    for (const auto& [r, reason] : passed) publish_rollout(r, "passed", reason + "; waiting for promote by hand");
    for (const Decision& d : decisions) {
      std::lock_guard<std::mutex> lock(apply_mu_);
      if (stopped_) break;
      Result<RolloutStatus> r = finish_rollout(d.model, d.promote, d.promote ? "promoted" : "rolled-back", d.reason);
      if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
        spdlog::error("rollout of Model/{}: {}", d.model, r.status().message());
      }
    }
    state.lock();
  }
}

}  // namespace sensix
