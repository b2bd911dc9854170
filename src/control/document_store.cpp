#include "control/document_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <span>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "common/sha256.h"

namespace sensix {
namespace {

namespace fs = std::filesystem;

// PRAGMA application_id of a sensix store: "SNXS".
constexpr int32_t kApplicationId = 0x534E5853;
constexpr const char* kLockName = "state.lock";

constexpr const char* kSchema = R"sql(
CREATE TABLE revisions(
  id INTEGER PRIMARY KEY,
  applied_at TEXT NOT NULL,
  summary TEXT NOT NULL);
CREATE TABLE documents(
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  text TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  generation INTEGER NOT NULL,
  revision INTEGER NOT NULL REFERENCES revisions(id),
  PRIMARY KEY(kind, name));
CREATE TABLE history(
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  generation INTEGER NOT NULL,
  revision INTEGER NOT NULL REFERENCES revisions(id),
  deleted INTEGER NOT NULL,
  text TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY(kind, name, revision));
)sql";
// Schema 2: rollouts (a store of schema 1 gets the table when it is opened).
constexpr const char* kRolloutsSchema = R"sql(
CREATE TABLE rollouts(
  id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  strategy TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  from_generation INTEGER NOT NULL,
  to_generation INTEGER NOT NULL,
  from_version TEXT NOT NULL,
  to_version TEXT NOT NULL,
  started_revision INTEGER NOT NULL,
  ended_revision INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT NOT NULL);
)sql";

std::string iso_utc(WallTime t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

std::string sha256_of(std::string_view text) {
  return sha256_bytes(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

StatusCode code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM: return StatusCode::kUnavailable;
    case SQLITE_FULL: return StatusCode::kResourceExhausted;
    default: return StatusCode::kInternal;
  }
}

// A prepared statement, finalised at the end of its scope.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  void bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind_param(int i, const std::variant<int64_t, std::string_view>& v) {
    std::visit([&](const auto& value) { bind(i, value); }, v);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return rc_ = sqlite3_step(stmt_); }
  int rc() const { return rc_; }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Columns 0..6: kind, name, text, sha256, generation, revision, applied_at.
StoredDocument read_document(const Statement& s) {
  return StoredDocument{s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5), s.text(6)};
}

constexpr const char* kLatestRevision = "SELECT coalesce(max(id), 0) FROM revisions";

constexpr const char* kSelectDocuments =
    "SELECT d.kind, d.name, d.text, d.sha256, d.generation, d.revision, r.applied_at "
    "FROM documents d JOIN revisions r ON r.id = d.revision";

}  // namespace

DocumentStore::DocumentStore(std::string path, sqlite3* db, int lock_fd, Env* env)
    : path_(std::move(path)), db_(db), lock_fd_(lock_fd), env_(env) {}

DocumentStore::~DocumentStore() {
  sqlite3_close_v2(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

Status DocumentStore::error(std::string_view what) const {
  const int rc = sqlite3_extended_errcode(db_);
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return DataLoss(
          fmt::format("{}: not a sensix state store ({}); nothing was changed: move it away to start "
                      "with an empty store",
                      path_, sqlite3_errmsg(db_)));
    case SQLITE_CORRUPT: return damaged(sqlite3_errmsg(db_));
    default: return Status(code_of(rc), fmt::format("{}: {}: {}", path_, what, sqlite3_errmsg(db_)));
  }
}

Status DocumentStore::damaged(std::string_view why) const {
  return DataLoss(
      fmt::format("{}: the store is damaged ({}); nothing was changed: restore it from a backup or move "
                  "it away to start with an empty store",
                  path_, why));
}

Status DocumentStore::exec(const char* sql, std::string_view what) const {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK) return Status::Ok();
  return error(what);
}

Result<int64_t> DocumentStore::query_int(const char* sql, std::string_view what) const {
  Statement s(db_, sql);
  if (!s.prepared() || s.step() != SQLITE_ROW) return error(what);
  return s.integer(0);
}

Status DocumentStore::check_text(const StoredDocument& d) const {
  if (sha256_of(d.text) == d.sha256) return Status::Ok();
  return damaged(fmt::format("{}/{}: the stored text does not match its checksum", d.kind, d.name));
}

Result<std::unique_ptr<DocumentStore>> DocumentStore::open(const std::string& data_dir, Env* env) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return Unavailable(fmt::format("data directory {}: cannot create it: {}", data_dir, ec.message()));
  if (!fs::is_directory(data_dir)) return InvalidArgument(fmt::format("data directory {}: not a folder", data_dir));
  fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);  // best effort

  // One daemon per data directory: the lock goes with the process, however it ends.
  const std::string lock_path = (fs::path(data_dir) / kLockName).string();
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Unavailable(fmt::format("{}: cannot open: {}", lock_path, std::strerror(errno)));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd);
    if (err == EWOULDBLOCK) {
      return FailedPrecondition(
          fmt::format("data directory {} is in use by another sensix process (it holds {})", data_dir, lock_path));
    }
    return Unavailable(fmt::format("{}: cannot lock: {}", lock_path, std::strerror(err)));
  }

  const std::string path = (fs::path(data_dir) / kFileName).string();
  const bool existed = fs::exists(path);
  if (existed && !fs::is_regular_file(path)) {
    ::close(lock_fd);
    return DataLoss(fmt::format("{}: not a regular file; move it away to start with an empty store", path));
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (existed ? 0 : SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  std::unique_ptr<DocumentStore> store(new DocumentStore(path, db, lock_fd, env));
  if (rc != SQLITE_OK) return store->error("cannot open");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  if (Status s = store->check_and_migrate(); !s.ok()) return s;
  return store;
}

Status DocumentStore::check_and_migrate() {
  // Reading the header is the first access: a file that is not SQLite fails here (SQLITE_NOTADB).
  SENSIX_ASSIGN_OR_RETURN(const int64_t app_id, query_int("PRAGMA application_id", "cannot read the store"));
  SENSIX_ASSIGN_OR_RETURN(const int64_t version, query_int("PRAGMA user_version", "cannot read the store"));
  SENSIX_ASSIGN_OR_RETURN(const int64_t tables,
                          query_int("SELECT count(*) FROM sqlite_schema", "cannot read the store"));
  const bool empty = app_id == 0 && version == 0 && tables == 0;
  if (!empty && app_id != kApplicationId) {
    return DataLoss(
        fmt::format("{}: not a sensix state store (an SQLite database of another program); move it away "
                    "to start with an empty store",
                    path_));
  }
  if (version > kSchemaVersion) {
    return FailedPrecondition(
        fmt::format("{}: written by a newer sensix (store schema {}, this sensix reads up to {}); run that version or "
                    "a newer one",
                    path_, version, kSchemaVersion));
  }
  if (!empty) {
    Statement s(db_, "PRAGMA quick_check");
    if (!s.prepared() || s.step() != SQLITE_ROW) return error("cannot check the store");
    if (const std::string verdict = s.text(0); verdict != "ok") return damaged(verdict);
  }
  {
    Statement s(db_, "PRAGMA journal_mode=WAL");
    if (!s.prepared() || s.step() != SQLITE_ROW) return error("cannot switch to WAL mode");
    if (s.text(0) != "wal") return Unavailable(fmt::format("{}: cannot use WAL mode (got {})", path_, s.text(0)));
  }
  // A page cache of 256 KiB (SQLite's default is 2 MiB): the daemon reads a few rows per apply, and
  // a cache that fills with the history as it grows is heap a device keeps for nothing.
  SENSIX_RETURN_IF_ERROR(
      exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-256", "cannot set up the connection"));
  if (empty) {
    const std::string create = fmt::format(
        "BEGIN IMMEDIATE; {} {} PRAGMA application_id={}; PRAGMA user_version={}; COMMIT;", kSchema, kRolloutsSchema,
        kApplicationId, kSchemaVersion);
    if (Status s = exec(create.c_str(), "cannot create the store"); !s.ok()) {
      (void)exec("ROLLBACK", "cannot roll back");
      return s;
    }
  } else if (version < 2) {
    const std::string migrate = fmt::format("BEGIN IMMEDIATE; {} PRAGMA user_version=2; COMMIT;", kRolloutsSchema);
    if (Status s = exec(migrate.c_str(), "cannot add the rollouts table"); !s.ok()) {
      (void)exec("ROLLBACK", "cannot roll back");
      return s;
    }
  }
  return Status::Ok();
}

Result<std::vector<StoredDocument>> DocumentStore::documents() const {
  std::lock_guard lock(mu_);
  Statement s(db_, fmt::format("{} ORDER BY d.kind, d.name", kSelectDocuments).c_str());
  if (!s.prepared()) return error("cannot read the documents");
  std::vector<StoredDocument> out;
  while (s.step() == SQLITE_ROW) {
    StoredDocument d = read_document(s);
    SENSIX_RETURN_IF_ERROR(check_text(d));
    out.push_back(std::move(d));
  }
  if (s.rc() != SQLITE_DONE) return error("cannot read the documents");
  return out;
}

Result<StoredDocument> DocumentStore::document(std::string_view kind, std::string_view name) const {
  std::lock_guard lock(mu_);
  Statement s(db_, fmt::format("{} WHERE d.kind = ?1 AND d.name = ?2", kSelectDocuments).c_str());
  if (!s.prepared()) return error("cannot read the documents");
  s.bind(1, kind);
  s.bind(2, name);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return NotFound(fmt::format("{}/{} is not applied", kind, name));
  if (rc != SQLITE_ROW) return error("cannot read the documents");
  StoredDocument d = read_document(s);
  SENSIX_RETURN_IF_ERROR(check_text(d));
  return d;
}

Result<int64_t> DocumentStore::revision() const {
  std::lock_guard lock(mu_);
  return query_int(kLatestRevision, "cannot read the revisions");
}

Result<std::vector<Revision>> DocumentStore::revisions() const {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT id, applied_at, summary FROM revisions ORDER BY id");
  if (!s.prepared()) return error("cannot read the revisions");
  std::vector<Revision> out;
  while (s.step() == SQLITE_ROW) out.push_back(Revision{s.integer(0), s.text(1), s.text(2)});
  if (s.rc() != SQLITE_DONE) return error("cannot read the revisions");
  return out;
}

Result<std::vector<StoredDocument>> DocumentStore::read_history(std::string_view condition, std::string_view kind,
                                                                std::optional<std::string_view> name,
                                                                std::initializer_list<Param> params,
                                                                int64_t newest) const {
  // With `newest`, the newest rows come first from the query (the primary key's index, read
  // backwards, stops after them); the result is oldest first either way.
  const std::string sql = fmt::format(
      "SELECT h.kind, h.name, h.text, h.sha256, h.generation, h.revision, r.applied_at FROM history h "
      "JOIN revisions r ON r.id = h.revision WHERE h.kind = ?1 AND {} ORDER BY h.revision {}, h.name {}{}",
      condition, newest > 0 ? "DESC" : "", newest > 0 ? "DESC" : "",
      newest > 0 ? fmt::format(" LIMIT {}", newest) : "");
  Statement s(db_, sql.c_str());
  if (!s.prepared()) return error("cannot read the history");
  s.bind(1, kind);
  if (name) s.bind(2, *name);
  int i = 3;
  for (const Param& p : params) s.bind_param(i++, p);
  std::vector<StoredDocument> out;
  while (s.step() == SQLITE_ROW) out.push_back(read_document(s));
  if (s.rc() != SQLITE_DONE) return error("cannot read the history");
  if (newest > 0) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<StoredDocument>> DocumentStore::history(std::string_view kind, std::string_view name) const {
  std::lock_guard lock(mu_);
  return read_history("h.name = ?2", kind, name);
}

Result<std::vector<StoredDocument>> DocumentStore::last_versions(std::string_view kind, std::string_view name,
                                                                 int64_t count) const {
  if (count <= 0) return std::vector<StoredDocument>{};
  std::lock_guard lock(mu_);
  return read_history("h.name = ?2 AND h.deleted = 0", kind, name, {}, count);
}

namespace {

// The one row a query with LIMIT 1 read, if any.
template <typename Row>
std::optional<Row> only(std::vector<Row> rows) {
  if (rows.empty()) return std::nullopt;
  return std::move(rows.back());
}

}  // namespace

Result<std::optional<StoredDocument>> DocumentStore::version_at(std::string_view kind, std::string_view name,
                                                                int64_t revision) const {
  std::lock_guard lock(mu_);
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> rows,
                          read_history("h.name = ?2 AND h.revision <= ?3", kind, name, {revision}, 1));
  return only(std::move(rows));
}

Result<std::optional<StoredDocument>> DocumentStore::version_before(std::string_view kind, std::string_view name,
                                                                    int64_t revision, std::string_view text) const {
  std::lock_guard lock(mu_);
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> rows,
                          read_history("h.name = ?2 AND h.revision < ?3 AND h.text != ?4", kind, name, {revision, text},
                                       1));
  return only(std::move(rows));
}

Result<std::optional<StoredDocument>> DocumentStore::generation(std::string_view kind, std::string_view name,
                                                                int64_t generation) const {
  std::lock_guard lock(mu_);
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> rows,
                          read_history("h.name = ?2 AND h.generation = ?3 AND h.deleted = 0", kind, name, {generation},
                                       1));
  return only(std::move(rows));
}

Result<int64_t> DocumentStore::first_revision(std::string_view kind, std::string_view name) const {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT coalesce(min(revision), 0) FROM history WHERE kind = ?1 AND name = ?2");
  if (!s.prepared()) return error("cannot read the history");
  s.bind(1, kind);
  s.bind(2, name);
  if (s.step() != SQLITE_ROW) return error("cannot read the history");
  return s.integer(0);
}

Result<std::vector<StoredDocument>> DocumentStore::versions(std::string_view kind, int64_t per_name) const {
  std::lock_guard lock(mu_);
  // Numbered newest first per name over the primary key's columns; the texts are read only for the
  // rows kept.
  SENSIX_ASSIGN_OR_RETURN(std::vector<StoredDocument> out,
                          read_history("h.deleted = 0 AND (h.name, h.revision) IN (SELECT name, revision FROM (SELECT "
                                       "name, revision, "
                                       "row_number() OVER (PARTITION BY name ORDER BY revision DESC) AS n FROM history "
                                       "WHERE kind = ?1 AND deleted = 0) WHERE n <= ?3)",
                                       kind, std::nullopt, {per_name}));
  for (const StoredDocument& d : out) SENSIX_RETURN_IF_ERROR(check_text(d));
  return out;
}

Result<std::vector<RolloutRecord>> DocumentStore::read_rollouts(std::string_view condition,
                                                                std::initializer_list<Param> params,
                                                                int64_t newest) const {
  const std::string sql = fmt::format(
      "SELECT id, model, strategy, state, reason, from_generation, to_generation, from_version, to_version, "
      "started_revision, ended_revision, started_at, ended_at FROM rollouts WHERE {} ORDER BY id {}{}",
      condition, newest > 0 ? "DESC" : "", newest > 0 ? fmt::format(" LIMIT {}", newest) : "");
  Statement s(db_, sql.c_str());
  if (!s.prepared()) return error("cannot read the rollouts");
  int i = 1;
  for (const Param& p : params) s.bind_param(i++, p);
  std::vector<RolloutRecord> out;
  while (s.step() == SQLITE_ROW) {
    RolloutRecord r;
    r.id = s.integer(0);
    r.model = s.text(1);
    r.strategy = s.text(2);
    r.state = s.text(3);
    r.reason = s.text(4);
    r.from_generation = s.integer(5);
    r.to_generation = s.integer(6);
    r.from_version = s.text(7);
    r.to_version = s.text(8);
    r.started_revision = s.integer(9);
    r.ended_revision = s.integer(10);
    r.started_at = s.text(11);
    r.ended_at = s.text(12);
    out.push_back(std::move(r));
  }
  if (s.rc() != SQLITE_DONE) return error("cannot read the rollouts");
  if (newest > 0) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<RolloutRecord>> DocumentStore::rollouts() const {
  std::lock_guard lock(mu_);
  return read_rollouts("1", {});
}

Result<std::vector<RolloutRecord>> DocumentStore::rollouts_in(std::string_view state) const {
  std::lock_guard lock(mu_);
  return read_rollouts("state = ?1", {state});
}

Result<std::optional<RolloutRecord>> DocumentStore::last_rollout(std::string_view model) const {
  std::lock_guard lock(mu_);
  SENSIX_ASSIGN_OR_RETURN(std::vector<RolloutRecord> rows, read_rollouts("model = ?1", {model}, 1));
  return only(std::move(rows));
}

Status DocumentStore::write_rollouts(const std::vector<RolloutUpdate>& rollouts, int64_t revision, bool changed,
                                     const std::string& now, const CommitResult& result) {
  for (const RolloutUpdate& u : rollouts) {
    if (u.start) {
      const RolloutRecord& r = *u.start;
      int64_t to_generation = r.to_generation;
      for (const auto& w : result.written) {
        if (to_generation == 0 && w.kind == "Model" && w.name == r.model) to_generation = w.generation;
      }
      Statement s(db_,
                  "INSERT INTO rollouts(model, strategy, state, reason, from_generation, to_generation, from_version, "
                  "to_version, started_revision, ended_revision, started_at, ended_at) "
                  "VALUES(?1, ?2, 'progressing', '', ?3, ?4, ?5, ?6, ?7, 0, ?8, '')");
      s.bind(1, r.model);
      s.bind(2, r.strategy);
      s.bind(3, r.from_generation);
      s.bind(4, to_generation);
      s.bind(5, r.from_version);
      s.bind(6, r.to_version);
      s.bind(7, changed ? revision : revision - 1);
      s.bind(8, now);
      if (!s.prepared() || s.step() != SQLITE_DONE) return error("cannot write the rollout");
    }
    if (u.end > 0) {
      Statement s(db_,
                  "UPDATE rollouts SET state = ?2, reason = ?3, ended_revision = ?4, ended_at = ?5 "
                  "WHERE id = ?1 AND state = 'progressing'");
      s.bind(1, u.end);
      s.bind(2, u.state);
      s.bind(3, u.reason);
      s.bind(4, changed ? revision : int64_t{0});
      s.bind(5, now);
      if (!s.prepared() || s.step() != SQLITE_DONE) return error("cannot write the rollout");
      if (sqlite3_changes(db_) != 1) return NotFound(fmt::format("rollout {} is not in progress", u.end));
    }
  }
  return Status::Ok();
}

Result<CommitResult> DocumentStore::commit(const std::vector<DocumentChange>& changes, std::string_view summary,
                                           const std::vector<RolloutUpdate>& rollouts) {
  // The same document twice in one commit is the caller's mistake, not "the last one wins".
  std::map<std::pair<std::string, std::string>, int> seen;
  for (size_t i = 0; i < changes.size(); ++i) {
    const DocumentChange& c = changes[i];
    if (c.kind.empty() || c.name.empty()) {
      return InvalidArgument(fmt::format("change {}: a document needs a kind and a name", i));
    }
    if (!seen.emplace(std::pair(c.kind, c.name), static_cast<int>(i)).second) {
      return InvalidArgument(fmt::format("{}/{} is changed twice in one commit", c.kind, c.name));
    }
  }

  std::lock_guard lock(mu_);
  SENSIX_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE", "cannot start a commit"));
  // Every early return below rolls the transaction back.
  struct Rollback {
    const DocumentStore* store;
    bool armed = true;
    ~Rollback() {
      if (armed) (void)store->exec("ROLLBACK", "cannot roll back");
    }
  } rollback{this};

  const std::string now = iso_utc(env_->wall_now());
  SENSIX_ASSIGN_OR_RETURN(const int64_t latest, query_int(kLatestRevision, "cannot read the revisions"));
  const int64_t revision = latest + 1;
  {
    Statement s(db_, "INSERT INTO revisions(id, applied_at, summary) VALUES(?1, ?2, ?3)");
    s.bind(1, revision);
    s.bind(2, now);
    s.bind(3, summary);
    if (!s.prepared() || s.step() != SQLITE_DONE) return error("cannot write the revision");
  }

  CommitResult result;
  for (const DocumentChange& c : changes) {
    std::optional<StoredDocument> current;
    {
      Statement s(db_, "SELECT sha256, generation FROM documents WHERE kind = ?1 AND name = ?2");
      s.bind(1, c.kind);
      s.bind(2, c.name);
      const int rc = s.prepared() ? s.step() : SQLITE_ERROR;
      if (rc == SQLITE_ROW) {
        current.emplace();
        current->kind = c.kind;
        current->name = c.name;
        current->sha256 = s.text(0);
        current->generation = s.integer(1);
      } else if (rc != SQLITE_DONE) {
        return error("cannot read the documents");
      }
    }
    if (!c.text) {
      if (!current) return NotFound(fmt::format("{}/{} is not applied: nothing to delete", c.kind, c.name));
      Statement del(db_, "DELETE FROM documents WHERE kind = ?1 AND name = ?2");
      del.bind(1, c.kind);
      del.bind(2, c.name);
      if (!del.prepared() || del.step() != SQLITE_DONE) return error("cannot delete a document");
      Statement h(db_,
                  "INSERT INTO history(kind, name, generation, revision, deleted, text, sha256) "
                  "VALUES(?1, ?2, ?3, ?4, 1, '', '')");
      h.bind(1, c.kind);
      h.bind(2, c.name);
      h.bind(3, current->generation);
      h.bind(4, revision);
      if (!h.prepared() || h.step() != SQLITE_DONE) return error("cannot write the history");
      current->revision = revision;
      current->applied_at = now;
      current->sha256.clear();
      result.deleted.push_back(std::move(*current));
      continue;
    }
    const std::string sha = sha256_of(*c.text);
    if (current && current->sha256 == sha) continue;  // re-applied as it is
    int64_t generation = 1;
    {
      // One more than any version this document ever had, so that a deleted and re-created
      // document's generations never repeat.
      Statement s(db_, "SELECT coalesce(max(generation), 0) FROM history WHERE kind = ?1 AND name = ?2");
      s.bind(1, c.kind);
      s.bind(2, c.name);
      if (!s.prepared() || s.step() != SQLITE_ROW) return error("cannot read the history");
      generation = s.integer(0) + 1;
    }
    for (const char* sql :
         {"INSERT INTO documents(kind, name, text, sha256, generation, revision) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
          "ON CONFLICT(kind, name) DO UPDATE SET text = ?3, sha256 = ?4, generation = ?5, revision = ?6",
          "INSERT INTO history(kind, name, text, sha256, generation, revision, deleted) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, 0)"}) {
      Statement s(db_, sql);
      s.bind(1, c.kind);
      s.bind(2, c.name);
      s.bind(3, *c.text);
      s.bind(4, sha);
      s.bind(5, generation);
      s.bind(6, revision);
      if (!s.prepared() || s.step() != SQLITE_DONE) return error("cannot write a document");
    }
    result.written.push_back(StoredDocument{c.kind, c.name, *c.text, sha, generation, revision, now});
  }

  if (result.written.empty() && result.deleted.empty()) {
    result.revision = revision - 1;       // nothing changed: no revision
    if (rollouts.empty()) return result;  // (the rollback removes it)
    Statement del(db_, "DELETE FROM revisions WHERE id = ?1");
    del.bind(1, revision);
    if (!del.prepared() || del.step() != SQLITE_DONE) return error("cannot write the revision");
    SENSIX_RETURN_IF_ERROR(write_rollouts(rollouts, revision, false, now, result));
    SENSIX_RETURN_IF_ERROR(exec("COMMIT", "cannot commit"));
    rollback.armed = false;
    return result;
  }
  SENSIX_RETURN_IF_ERROR(write_rollouts(rollouts, revision, true, now, result));
  SENSIX_RETURN_IF_ERROR(exec("COMMIT", "cannot commit"));
  rollback.armed = false;
  result.revision = revision;
  result.changed = true;
  return result;
}

}  // namespace sensix
