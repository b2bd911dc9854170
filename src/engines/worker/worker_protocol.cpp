#include "engines/worker/worker_protocol.h"

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include <fmt/format.h>

namespace sensix::worker {
namespace {

class ByteWriter {
 public:
  template <typename T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_string(std::string_view s) {
    put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void put_shape(const Shape& shape) {
    put<uint32_t>(static_cast<uint32_t>(shape.size()));
    for (int64_t d : shape) put<int64_t>(d);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  template <typename T>
  bool get(T* v) {
    if (in_.size() < sizeof(T)) return false;
    std::memcpy(v, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return true;
  }
  bool get_string(std::string* s) {
    uint32_t n = 0;
    if (!get(&n) || in_.size() < n) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool get_shape(Shape* shape) {
    uint32_t rank = 0;
    if (!get(&rank) || rank > 16) return false;
    shape->resize(rank);
    for (auto& d : *shape) {
      if (!get(&d)) return false;
    }
    return true;
  }
  bool get_dtype(DType* t) {
    uint32_t v = 0;
    if (!get(&v) || v > static_cast<uint32_t>(DType::kBool)) return false;
    *t = static_cast<DType>(v);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

void put_infos(ByteWriter& w, const std::vector<TensorInfo>& infos) {
  w.put<uint32_t>(static_cast<uint32_t>(infos.size()));
  for (const auto& i : infos) {
    w.put_string(i.name);
    w.put<uint32_t>(static_cast<uint32_t>(i.dtype));
    w.put_shape(i.shape);
  }
}

bool get_infos(ByteReader& r, std::vector<TensorInfo>* infos) {
  uint32_t n = 0;
  if (!r.get(&n) || n > 4096) return false;
  infos->resize(n);
  for (auto& i : *infos) {
    if (!r.get_string(&i.name) || !r.get_dtype(&i.dtype) || !r.get_shape(&i.shape)) return false;
  }
  return true;
}

void put_slots(ByteWriter& w, const std::vector<TensorSlot>& slots) {
  w.put<uint32_t>(static_cast<uint32_t>(slots.size()));
  for (const auto& s : slots) {
    w.put<uint32_t>(static_cast<uint32_t>(s.dtype));
    w.put_shape(s.shape);
    w.put<uint64_t>(s.offset);
    w.put<uint64_t>(s.bytes);
  }
}

bool get_slots(ByteReader& r, std::vector<TensorSlot>* slots) {
  uint32_t n = 0;
  if (!r.get(&n) || n > 4096) return false;
  slots->resize(n);
  for (auto& s : *slots) {
    if (!r.get_dtype(&s.dtype) || !r.get_shape(&s.shape) || !r.get(&s.offset) || !r.get(&s.bytes)) return false;
    for (int64_t d : s.shape) {
      if (d < 0) return false;
    }
    if (s.offset % kAlignment != 0 || s.bytes != static_cast<uint64_t>(element_count(s.shape)) * dtype_size(s.dtype)) {
      return false;
    }
  }
  return true;
}

Status malformed(std::string_view what) { return InvalidArgument(fmt::format("malformed {} message", what)); }

}  // namespace

size_t align_up(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

std::string encode(const HelloInfo& m) {
  ByteWriter w;
  put_infos(w, m.inputs);
  put_infos(w, m.outputs);
  w.put<int64_t>(m.file_bytes);
  w.put<int64_t>(m.resident_bytes);
  return w.take();
}

std::string encode(const RunRequest& m) {
  ByteWriter w;
  put_slots(w, m.inputs);
  w.put<uint32_t>(static_cast<uint32_t>(m.output_indices.size()));
  for (int i : m.output_indices) w.put<int32_t>(i);
  return w.take();
}

std::string encode(const RunReply& m) {
  ByteWriter w;
  put_slots(w, m.outputs);
  w.put<int64_t>(m.resident_bytes);
  return w.take();
}

std::string encode_status(const Status& s) {
  ByteWriter w;
  w.put<uint32_t>(static_cast<uint32_t>(s.code()));
  w.put_string(s.message());
  return w.take();
}

Result<HelloInfo> decode_hello(std::string_view body) {
  ByteReader r(body);
  HelloInfo m;
  if (!get_infos(r, &m.inputs) || !get_infos(r, &m.outputs) || !r.get(&m.file_bytes) || !r.get(&m.resident_bytes) ||
      !r.done()) {
    return malformed("hello");
  }
  return m;
}

Result<RunRequest> decode_run_request(std::string_view body) {
  ByteReader r(body);
  RunRequest m;
  uint32_t n = 0;
  if (!get_slots(r, &m.inputs) || !r.get(&n) || n > 4096) return malformed("run");
  m.output_indices.resize(n);
  for (auto& i : m.output_indices) {
    int32_t v = 0;
    if (!r.get(&v)) return malformed("run");
    i = v;
  }
  if (!r.done()) return malformed("run");
  return m;
}

Result<RunReply> decode_run_reply(std::string_view body) {
  ByteReader r(body);
  RunReply m;
  if (!get_slots(r, &m.outputs) || !r.get(&m.resident_bytes) || !r.done()) return malformed("run reply");
  return m;
}

bool decode_status(std::string_view body, Status* out) {
  ByteReader r(body);
  uint32_t code = 0;
  std::string message;
  if (!r.get(&code) || !r.get_string(&message) || !r.done() || code == 0 ||
      code > static_cast<uint32_t>(StatusCode::kInternal)) {
    return false;
  }
  *out = Status(static_cast<StatusCode>(code), std::move(message));
  return true;
}

namespace {

// Waits until `fd` is readable (or writable); false on timeout.
IoResult wait_fd(int fd, short events, Deadline deadline, Env* env) {
  const int r = env->wait_fd(fd, events, deadline);
  if (r > 0) return IoResult::kOk;  // readable, or hung up / error: the read says which
  return r == 0 ? IoResult::kTimeout : IoResult::kError;
}

IoResult read_exact(int fd, void* dst, size_t n, Deadline deadline, Env* env) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    if (IoResult w = wait_fd(fd, POLLIN, deadline, env); w != IoResult::kOk) return w;
    const ssize_t r = ::recv(fd, p, n, 0);
    if (r == 0) return IoResult::kClosed;
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return errno == ECONNRESET ? IoResult::kClosed : IoResult::kError;
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
  return IoResult::kOk;
}

IoResult write_all(int fd, const void* src, size_t n) {
  const auto* p = static_cast<const char*>(src);
  while (n > 0) {
    const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);  // a dead peer is EPIPE, never SIGPIPE
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return errno == EPIPE || errno == ECONNRESET ? IoResult::kClosed : IoResult::kError;
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
  return IoResult::kOk;
}

}  // namespace

IoResult send_message(int fd, MessageType type, uint64_t seq, uint64_t shm_bytes, std::string_view body) {
  MessageHeader h;
  h.type = static_cast<uint32_t>(type);
  h.seq = seq;
  h.body_bytes = body.size();
  h.shm_bytes = shm_bytes;
  std::string buf(reinterpret_cast<const char*>(&h), sizeof h);
  buf.append(body);
  return write_all(fd, buf.data(), buf.size());
}

IoResult receive_message(int fd, Deadline deadline, MessageHeader* header, std::string* body, std::string* what,
                         Env* env) {
  if (IoResult r = read_exact(fd, header, sizeof *header, deadline, env); r != IoResult::kOk) return r;
  if (header->magic != kMagic) {
    *what = fmt::format("a message with a bad magic number {:#x}", header->magic);
    return IoResult::kError;
  }
  if (header->body_bytes > kMaxBodyBytes) {
    *what = fmt::format("a message body of {} bytes (at most {})", header->body_bytes, kMaxBodyBytes);
    return IoResult::kError;
  }
  body->resize(header->body_bytes);
  return read_exact(fd, body->data(), body->size(), deadline, env);
}

SharedMemory::~SharedMemory() { reset(); }

SharedMemory::SharedMemory(SharedMemory&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    ptr_ = std::exchange(o.ptr_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

Result<SharedMemory> SharedMemory::create(const std::string& name, size_t bytes) {
  const int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) return Unavailable(fmt::format("cannot create shared memory: {}", std::strerror(errno)));
  SharedMemory m(fd);
  SENSIX_RETURN_IF_ERROR(m.grow(bytes));
  return m;
}

Status SharedMemory::grow(size_t bytes) {
  bytes = align_up(std::max<size_t>(bytes, 4096));
  if (bytes <= size_) return Status::Ok();
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Internal(fmt::format("shared memory: fstat: {}", std::strerror(errno)));
  if (static_cast<size_t>(st.st_size) < bytes && ::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) {
    return ResourceExhausted(fmt::format("cannot grow the shared memory to {} bytes: {}", bytes, std::strerror(errno)));
  }
  return remap(bytes);
}

Status SharedMemory::map_at_least(size_t bytes) {
  if (bytes <= size_) return Status::Ok();
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Internal(fmt::format("shared memory: fstat: {}", std::strerror(errno)));
  if (static_cast<size_t>(st.st_size) < bytes) {
    return InvalidArgument(
        fmt::format("the peer says the shared memory holds {} bytes, it holds {}", bytes, st.st_size));
  }
  return remap(bytes);
}

Status SharedMemory::remap(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED)
    return ResourceExhausted(fmt::format("cannot map {} bytes of shared memory: {}", bytes, std::strerror(errno)));
  if (ptr_ != nullptr) ::munmap(ptr_, size_);
  ptr_ = p;
  size_ = bytes;
  return Status::Ok();
}

void SharedMemory::reset() {
  if (ptr_ != nullptr) ::munmap(ptr_, size_);
  if (fd_ >= 0) ::close(fd_);
  ptr_ = nullptr;
  size_ = 0;
  fd_ = -1;
}

int64_t resident_bytes_of(int pid) {
  std::ifstream statm(pid == 0 ? std::string("/proc/self/statm") : fmt::format("/proc/{}/statm", pid));
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace sensix::worker
