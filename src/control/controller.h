// Controller: the daemon's desired state and what runs (docs/operations.md). It keeps the applied
// documents in the DocumentStore and makes the Runtime run them (Runtime::apply), so that the
// store and the running set agree:
//
//   apply(text)   parses one or more documents (YAML or JSON), confines their files to the
//                 daemon's folders (documents from the network), merges them into the desired set
//                 (a document replaces the applied one of the same kind and name), checks the
//                 references of the whole set, has the runtime apply it (which loads and warms up
//                 every new model before anything running changes), and only then commits the
//                 documents to the store. If the commit fails, the runtime goes back to the previous
//                 set. With dry_run, nothing changes: the diff says what would.
//   remove(kind, name)  the same, for a set without that document; a document that another
//                 document still names (a Model in a Pipeline) is a conflict.
// Every model file is kept in the model store (control/model_store.h) from the apply on: the
// runtime loads the stored copy, verified, and the files no kept document version names are
// removed after each change.
//
//   restore()     at start: the stored set, applied to the empty runtime. A stored set that no
//                 longer runs (a model file gone) leaves the store as it is and the daemon not
//                 ready, with the reason; a later apply that fixes it makes it ready.
//   unload(name) / load(name)  Triton's model control: an applied Model stops running (its
//                 document stays stored; a Model that a Pipeline names cannot), or runs again. Not
//                 stored: a restart loads every applied model, and applying a Model document (or a
//                 Pipeline that names it) loads it again.
//
// Rollouts (docs/deployment.md): a changed Model whose new document says `spec.rollout.strategy:
// canary` or `shadow` is not switched: its new version is stored (a new revision and generation,
// as any apply) and runs beside the running version (Runtime::add_candidate), which the runtime
// keeps running, until the analysis (control/rollout_analysis.h, checked every
// `rollout_poll`) or a hand (promote, abort) ends it: promoted, the new version takes over
// (Runtime::promote_candidate); rolled back or aborted, it goes and the old version's document
// is stored again (a new revision: "rollback Model/x to generation G: why"). Each step is stored
// with the revision it goes with (DocumentStore rollouts, one transaction) and published as an event
// (runtime/event.h RolloutNotice). One rollout per model at a time: changing or deleting a model
// during its rollout is refused. A daemon that restarts during a rollout rolls it back before it
// starts anything: the old version runs, never a half-deployed one.
//
// Errors: InvalidArgument (a document or field, named), NotFound (no such document),
// FailedPrecondition (a conflict: still referenced, or the device cannot change while running),
// DataLoss (the store is damaged).
//
// Thread-safety: every method from any thread; apply, remove and restore run one at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "control/document_store.h"
#include "control/model_store.h"
#include "docs/confine.h"
#include "docs/parser.h"
#include "runtime/candidate.h"
#include "runtime/runtime.h"

namespace sensix {

// A kind as a URL or a command line writes it ("models", "model", "Model") -> "Model";
// InvalidArgument for a kind that is none of Sensor, Model, Pipeline, Device.
Result<std::string> document_kind(std::string_view written);

struct ControllerOptions {
  std::string data_dir;
  ParseOptions parse;  // "repo:" and "samples:" roots
  // The folders documents from the network may name (confine_paths); relative paths in them are
  // relative to the data directory.
  PathPolicy paths;
  RuntimeOptions runtime;  // allow_empty is set
  // The model store (control/model_store.h); `models.dir` empty: <data_dir>/models.
  ModelStoreOptions models;
  // The model files of this many versions of each Model document (the current one included) stay in
  // the store; older versions' files are removed (their documents stay in the history: an undo to
  // one fetches its file again from its source).
  int keep_versions = 3;
  std::vector<std::shared_ptr<PredictionSink>> sinks;
  // Called with the running set after every change (restore, apply, remove), under the apply lock:
  // the daemon opens and closes the Pipelines' sink files there.
  std::function<void(const DocumentSet&)> on_change;
  // How often the rollouts in progress are judged.
  std::chrono::milliseconds rollout_poll{200};
};

// A rollout as the API shows it: as stored, and while it is in progress its new version's figures,
// the analysis it is judged by, and the verdict so far.
struct RolloutStatus {
  RolloutRecord record;
  std::optional<CandidateFigures> figures;  // in progress only
  std::optional<RolloutAnalysisSpec> analysis;
  double share = 0;
  std::string verdict;  // in progress: "waiting: ...", or "passed: ..." when it waits for promote by hand
};

// What a rollout's new version made of its last inputs (Controller::comparisons()).
struct RolloutComparisons {
  bool in_progress = false;  // false: the last rollout of the model, ended
  std::string from_version, to_version;
  std::vector<CandidateComparison> items;
};

// What an apply or remove did (or, dry, would do).
struct ControlResult {
  ApplyResult apply;
  std::vector<std::string> rollouts;      // models whose new version now runs beside them (canary, shadow)
  CommitResult commit;                    // empty for a dry run
  std::vector<StoredDocument> documents;  // the documents the request named, as stored (generation)
};

// Where the daemon stands, for /v2/health/ready.
// An apply (or the start's restore) in progress: what it applies and the step it is at.
struct ApplyProgress {
  bool applying = false;
  std::string summary;      // "apply Model/mlsd, Pipeline/lines"
  std::string step;         // "loading and warming up Model/mlsd"; empty before the first
  int done = 0, total = 0;  // models loaded and warmed up, of those it loads
  double seconds = 0;       // since it began
};

struct Readiness {
  bool ready = false;
  std::vector<std::string> reasons;   // why not
  std::vector<std::string> degraded;  // sensors not running whose documents allow it (allowDegraded)
};

class Controller {
 public:
  static Result<std::unique_ptr<Controller>> open(ControllerOptions options);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  Status restore();
  // While set (not empty), readiness is false with this reason: the daemon's start-up, from before
  // restore() until the files given at start are applied too.
  void set_starting(std::string reason);
  // `summary` names the revision; empty: "apply KIND/NAME, ...".
  Result<ControlResult> apply(std::string_view text, std::string_view label, bool dry_run, bool confine = true,
                              std::string_view summary = {});
  Result<ControlResult> remove(std::string_view kind, std::string_view name, bool dry_run);
  // NotFound: no such Model document applied. unload: FailedPrecondition while a Pipeline names it;
  // a model unloaded already is Ok. load: the runtime's error when it does not load (it stays
  // unloaded).
  Status unload(std::string_view model);
  Status load(std::string_view model);
  // The applied models that do not run (unload()).
  std::set<std::string> unloaded() const;

  Result<std::vector<StoredDocument>> documents() const { return store_->documents(); }
  Result<StoredDocument> document(std::string_view kind, std::string_view name) const {
    return store_->document(kind, name);
  }
  Result<int64_t> revision() const { return store_->revision(); }
  Result<std::vector<Revision>> revisions() const { return store_->revisions(); }
  // Every version of one document, oldest first (deletions included); NotFound when it never was.
  Result<std::vector<StoredDocument>> history(std::string_view kind, std::string_view name) const;
  // Applies an earlier version of a document again, as a new revision ("undo Model/x to generation
  // G"): the version that was current at `to_revision`, or by default the one before the current
  // version. A version that was a deletion deletes the document. Its model files come from the store
  // (the last --store-keep-versions versions') or again from their sources. NotFound: no such
  // document, or none at that revision; FailedPrecondition: no earlier version, or it is the current
  // one already.
  Result<ControlResult> undo(std::string_view kind, std::string_view name, std::optional<int64_t> to_revision,
                             bool dry_run);
  // The spec.version of the model's kept documents (its last keep_versions versions, whose files
  // the store keeps; deletions left out), newest first, each once; NotFound when it never was.
  Result<std::vector<std::string>> model_versions(std::string_view model) const;
  // Serves `version` (a spec.version of model_versions()) of a running model for the requests that
  // name it: its document taken from the history, its files from the store (Runtime::serve_version).
  // NotFound: no kept document has that version.
  Result<ModelSignature> serve_version(std::string_view model, std::string_view version);
  // Every rollout, oldest first; the one of a model (its latest; NotFound when it never had one).
  Result<std::vector<RolloutStatus>> rollouts() const;
  Result<RolloutStatus> rollout(std::string_view model) const;
  // The last inputs the new version of the model's rollout in progress ran, with both versions'
  // predictions (CandidateMeter::comparisons(), oldest first), or of its last rollout that ended
  // since the daemon started; NotFound when there is neither.
  Result<RolloutComparisons> comparisons(std::string_view model) const;
  // By hand: the new version takes over now (whatever its analysis says so far), or goes (the old
  // version's document stored again). NotFound: no rollout of that model in progress.
  Result<RolloutStatus> promote(std::string_view model);
  Result<RolloutStatus> abort(std::string_view model);
  DocumentSet running() const { return runtime_->documents(); }
  // The applied documents (what is stored, once restored), unloaded models included.
  DocumentSet applied() const;
  RuntimeStats stats() const { return runtime_->stats(); }
  // Inference on request for the running models (runtime/request_tasks.h).
  RequestTasks& requests() { return runtime_->requests(); }
  // Raw media requests (runtime/media_request.h), decoded on threads of their own.
  MediaRequests& media_requests() { return runtime_->media_requests(); }
  Readiness readiness() const;
  StoreUsage model_store_usage() const { return models_->usage(); }
  ApplyProgress progress() const;
  const std::string& data_dir() const { return options_.data_dir; }

  // Stops the runtime (sensors, models). Idempotent.
  void stop();

 private:
  // The runtime's progress reports (RuntimeOptions::on_progress), set from the applying thread.
  struct Steps {
    std::mutex mu;
    std::string step;
    int done = 0, total = 0;
  };
  Controller(ControllerOptions options, std::unique_ptr<DocumentStore> store, std::unique_ptr<ModelStore> models,
             std::unique_ptr<Runtime> runtime, std::shared_ptr<Steps> steps);
  // Puts every model file of `docs` in the model store (fetching a remote one) and points the
  // documents at the stored files. A local file that is missing or has other bytes is left as it
  // is, for the runtime's own check to report (with the document's line). Side files (docs/side_files.h) with a digest the same way.
  Status materialize(DocumentSet& docs);
  // Pins the side files of the applied Model documents: each without a digest gets that of the file
  // as it is now, written into the document's canonical text (so the stored version names it), and
  // every side file goes into the model store. The pinned documents replace theirs in `merged`.
  Status pin_side_files(MergedDocuments& merged);
  // Removes the model store's files that no kept Model version names (after every change, under the
  // apply lock).
  Result<CollectResult> collect_locked();
  // The model's last keep_versions documents, oldest first; NotFound when it was never applied.
  Result<std::vector<StoredDocument>> kept_versions(std::string_view model) const;
  // Applies `desired` to the runtime and commits `changes`; the runtime goes back if the commit fails.
  Result<ControlResult> commit(const DocumentSet& desired, const std::vector<DocumentChange>& changes,
                               std::string_view summary, bool dry_run, std::set<std::string> unloaded);
  // A rollout in progress.
  struct ActiveRollout {
    RolloutRecord record;
    ModelDoc from;          // the running version's document, as stored (its sources)
    std::string from_text;  // its text, stored again by a rollback
    RolloutSpec spec;       // the new version's spec.rollout
    std::shared_ptr<CandidateMeter> meter;
    std::chrono::steady_clock::time_point started;
    bool passed = false;  // promote: manual, and it passed
    std::string verdict;
  };
  // `desired` as the runtime runs it: running_of(), with each model in a rollout at its running
  // (old) version.
  // Not under state_mu_, which it takes.
  DocumentSet run_set(const DocumentSet& desired, const std::set<std::string>& unloaded) const;
  // run_set() of what is stored.
  DocumentSet stored_run_set() const;
  // Ends a rollout (under the apply lock): promoted, or rolled back / aborted (`state`) with `reason`.
  Result<RolloutStatus> finish_rollout(const std::string& model, bool promote, const std::string& state,
                                       const std::string& reason);
  // The rollouts the store says are in progress at start (the daemon stopped during them): rolled back.
  Status roll_back_interrupted();
  // The watcher thread: judges the rollouts in progress every rollout_poll.
  void watch();
  void publish_rollout(const RolloutRecord& r, const std::string& step, const std::string& reason) const;
  RolloutStatus status_of(const RolloutRecord& r) const;
  // unload() and load(): the model runs or not.
  Status set_loaded(std::string_view model, bool loaded);
  // What the runtime runs of `desired`: every document but the unloaded models.
  static DocumentSet running_of(const DocumentSet& desired, const std::set<std::string>& unloaded);

  ControllerOptions options_;
  std::unique_ptr<DocumentStore> store_;
  std::unique_ptr<ModelStore> models_;
  std::unique_ptr<Runtime> runtime_;
  std::mutex apply_mu_;
  mutable std::mutex state_mu_;
  DocumentSet desired_;             // what is stored (once restored): what runs, but for unloaded_
  std::set<std::string> unloaded_;  // applied models not running (unload()); not stored
  bool restoring_ = true;
  std::string restore_error_;  // the stored set does not run: why
  std::string applying_;       // an apply in progress: what it does
  std::chrono::steady_clock::time_point applying_since_;
  std::shared_ptr<Steps> steps_;
  std::string starting_;  // set_starting
  // The model and side files each stored Model text names (by the text's sha256), for collect_locked().
  std::map<std::string, std::vector<std::string>> digests_of_text_;
  std::map<std::string, ActiveRollout> rollouts_;  // by model; guarded by state_mu_
  // The meter of each model's last rollout that ended since the start (comparisons() after a
  // rollback); guarded by state_mu_.
  std::map<std::string, std::shared_ptr<CandidateMeter>> ended_meters_;
  std::condition_variable watcher_cv_;  // with state_mu_
  bool watcher_stop_ = false;           // guarded by state_mu_
  std::thread watcher_;
  bool stopped_ = false;
};

}  // namespace sensix
