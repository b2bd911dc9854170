// DocumentStore: the desired state of a sensix daemon — the documents applied to it — kept in its data
// directory, so that a restarted daemon serves the same set (docs/developer.md, "The state store").
//
// <data-dir>/state.db is an SQLite database in WAL mode with synchronous=FULL: a commit that returned is
// on disk, even if the process is killed or the power fails right after, and a commit cut short leaves
// the previous state. Each document is stored as the text it was applied with (one YAML or JSON
// document), with its kind, name, the sha256 of that text and its generation: 1 when first applied, one
// more each time an apply changes its text (re-applying the same text changes nothing). Every commit
// that changes something is a revision (a number, a time and a summary), and every version of every
// document is kept with the revision that wrote or deleted it, for the history and rollback. Canary and
// shadow rollouts are kept too (schema 2), each step in the transaction of the revision it goes with.
//
// Nothing is ever replaced or repaired silently: open() refuses a file that is not a sensix store, a
// store written by a newer sensix, and a damaged database (SQLite's quick_check), each with a DataLoss
// or FailedPrecondition naming the file and what is wrong; reading a document whose text does not match
// its checksum is DataLoss too. A second process opening the same data directory is refused while the
// first holds it (an exclusive lock on <data-dir>/state.lock, released when the process ends).
//
// Thread-safety: every method may be called from any thread (one connection, behind a mutex).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/env.h"
#include "common/status.h"

struct sqlite3;

namespace sensix {

// A document as stored: `applied_at` is UTC, ISO 8601 with milliseconds ("2026-12-06T07:30:00.000Z").
struct StoredDocument {
  std::string kind;  // Sensor, Model, Pipeline, Device
  std::string name;
  std::string text;    // the document as applied
  std::string sha256;  // of `text`
  int64_t generation = 0;
  int64_t revision = 0;  // the commit that wrote this version
  std::string applied_at;
};

// One change of a commit: `text` set puts the document (creates or replaces it), unset deletes it.
struct DocumentChange {
  std::string kind;
  std::string name;
  std::optional<std::string> text;
};

// A revision: one commit that changed at least one document.
struct Revision {
  int64_t id = 0;
  std::string applied_at;
  std::string summary;
};

// What a commit did: the revision it made (the current one when nothing changed), the versions it
// wrote, and the documents it deleted (kind and name; text empty, generation the deleted one's).
struct CommitResult {
  int64_t revision = 0;
  bool changed = false;
  std::vector<StoredDocument> written;
  std::vector<StoredDocument> deleted;
};

// A canary or shadow rollout of a new version of a Model (docs/deployment.md), as stored: it starts
// in the commit that stores the new version, and ends promoted (no document changes: the new
// version was stored already), or rolled back or aborted (in the commit that stores the old
// version again).
struct RolloutRecord {
  int64_t id = 0;
  std::string model;
  std::string strategy;  // "canary" | "shadow"
  std::string state;     // "progressing" | "promoted" | "rolled-back" | "aborted"
  std::string reason;    // why it ended, or ""
  int64_t from_generation = 0, to_generation = 0;
  std::string from_version, to_version;  // the Model documents' spec.version
  int64_t started_revision = 0;          // the revision that stored the new version
  int64_t ended_revision = 0;            // the revision that stored the old one again; 0 when none
  std::string started_at, ended_at;      // ended_at "" while progressing
};

// What a commit does to the rollouts besides its document changes: `start` a new one (its id,
// started_revision and started_at are set by the store; to_generation, when 0, is the generation
// this commit gives the model), or `end` one (by id) in `state` with `reason`.
struct RolloutUpdate {
  std::optional<RolloutRecord> start;
  int64_t end = 0;
  std::string state, reason;
};

class DocumentStore {
 public:
  static constexpr int kSchemaVersion = 2;  // 2: the rollouts table
  static constexpr const char* kFileName = "state.db";

  // Opens <data_dir>/state.db, creating the folder (mode 0700) and an empty store when neither
  // exists. `env` gives the revisions' times.
  static Result<std::unique_ptr<DocumentStore>> open(const std::string& data_dir, Env* env = Env::Default());
  ~DocumentStore();
  DocumentStore(const DocumentStore&) = delete;
  DocumentStore& operator=(const DocumentStore&) = delete;

  const std::string& path() const { return path_; }

  // Every stored document, ordered by kind then name; DataLoss if any text fails its checksum.
  Result<std::vector<StoredDocument>> documents() const;
  // One document; NotFound when it is not applied.
  Result<StoredDocument> document(std::string_view kind, std::string_view name) const;
  // The latest revision (0 for an empty store).
  Result<int64_t> revision() const;
  // Every revision, oldest first.
  Result<std::vector<Revision>> revisions() const;
  // Every version of one document, oldest first, deletions included (text empty, generation kept).
  // The API's listing; the daemon's own reads below touch a bounded part of the history, so an
  // apply costs the same after a year of them.
  Result<std::vector<StoredDocument>> history(std::string_view kind, std::string_view name) const;
  // The last `count` versions of one document (deletions left out), oldest first.
  Result<std::vector<StoredDocument>> last_versions(std::string_view kind, std::string_view name, int64_t count) const;
  // The version of one document at `revision`: the newest row written at or before it (a deletion
  // has an empty text); nullopt when the document did not exist yet.
  Result<std::optional<StoredDocument>> version_at(std::string_view kind, std::string_view name,
                                                   int64_t revision) const;
  // The newest row of one document (a deletion has an empty text); nullopt when never applied.
  Result<std::optional<StoredDocument>> latest(std::string_view kind, std::string_view name) const {
    return version_at(kind, name, std::numeric_limits<int64_t>::max());
  }
  // The newest row written before `revision` whose text is not `text` (a deletion counts: its text
  // is empty); nullopt when there is none.
  Result<std::optional<StoredDocument>> version_before(std::string_view kind, std::string_view name, int64_t revision,
                                                       std::string_view text) const;
  // Generation `generation` of one document (not a deletion); nullopt when the history has none.
  Result<std::optional<StoredDocument>> generation(std::string_view kind, std::string_view name,
                                                   int64_t generation) const;
  // The revision that first wrote the document (0 when it never existed).
  Result<int64_t> first_revision(std::string_view kind, std::string_view name) const;

  // The last `per_name` versions of every document of `kind` ever applied (deletions left out),
  // oldest first: what the model store must keep (Controller).
  Result<std::vector<StoredDocument>> versions(std::string_view kind, int64_t per_name) const;

  // Applies every change in one transaction: all of them or none. A put of a document's current
  // text is no change; deleting a document that is not applied is NotFound and fails the commit.
  // `summary` describes the revision (e.g. "apply quickstart.yaml").
  // `rollouts` change in the same transaction; a rollout update alone (no document change) makes no
  // revision. NotFound: a rollout to end that is not there or ended already.
  Result<CommitResult> commit(const std::vector<DocumentChange>& changes, std::string_view summary,
                              const std::vector<RolloutUpdate>& rollouts = {});
  // Every rollout, oldest first.
  Result<std::vector<RolloutRecord>> rollouts() const;
  // The rollouts in `state` ("progressing": those a restart must finish), oldest first.
  Result<std::vector<RolloutRecord>> rollouts_in(std::string_view state) const;
  // The last rollout of `model`; nullopt when it never had one.
  Result<std::optional<RolloutRecord>> last_rollout(std::string_view model) const;

 private:
  DocumentStore(std::string path, sqlite3* db, int lock_fd, Env* env);
  Status check_and_migrate();
  Status exec(const char* sql, std::string_view what) const;
  Result<int64_t> query_int(const char* sql, std::string_view what) const;  // the first column of one row
  Status check_text(const StoredDocument& d) const;                         // its text matches its sha256
  // commit()'s rollout updates, in its transaction (`changed`: it makes revision `revision`).
  Status write_rollouts(const std::vector<RolloutUpdate>& rollouts, int64_t revision, bool changed,
                        const std::string& now, const CommitResult& result);
  // A value bound to a query after its own (?3, ?4, ...).
  using Param = std::variant<int64_t, std::string_view>;
  // The history's rows of `kind` (and `name`, bound as ?2) where `condition` holds (`params` bound
  // from ?3), oldest first; with `newest` > 0 only the newest that many.
  Result<std::vector<StoredDocument>> read_history(std::string_view condition, std::string_view kind,
                                                   std::optional<std::string_view> name,
                                                   std::initializer_list<Param> params = {}, int64_t newest = 0) const;
  // The rollouts where `condition` holds (`params` bound from ?1), oldest first; with `newest` > 0
  // only the newest that many.
  Result<std::vector<RolloutRecord>> read_rollouts(std::string_view condition, std::initializer_list<Param> params,
                                                   int64_t newest = 0) const;
  Status error(std::string_view what) const;   // the connection's last error, as a Status naming path_
  Status damaged(std::string_view why) const;  // DataLoss: the store is damaged, and what to do

  std::string path_;
  sqlite3* db_ = nullptr;
  int lock_fd_ = -1;
  Env* env_;
  mutable std::mutex mu_;
};

}  // namespace sensix
