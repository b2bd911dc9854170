// The protocol between sensix and a model worker process (sensix-worker), used by ProcessSession
// (parent side) and worker_main.cpp (worker side). Internal to engines/.
//
// Channels, set up by the parent before it spawns the worker:
//   fd 3  a stream socket (socketpair): messages, each a fixed 32-byte MessageHeader and then
//         `body_bytes` bytes of body (little-endian, packed by ByteWriter);
//   fd 4  a memfd: the shared memory that holds the tensors. Either side may grow it (ftruncate)
//         when a request or reply needs more; the header's `shm_bytes` says the size the sender
//         used, and the receiver remaps when its own mapping is smaller.
//
// Conversation: the worker loads the model and sends kHello (tensors and memory) or kLoadError
// (a status code and message) and exits. Then, repeatedly, the parent sends kRun (input tensors
// placed in shared memory, the outputs wanted) and the worker answers kRunOk (output tensors
// placed in shared memory, its resident memory) or kRunError (the engine's error; the worker
// lives on). kQuit, or the socket closing, ends the worker. One request in flight at a time;
// `seq` of a reply repeats its request's.
//
// Thread-safety: the helpers are pure or act on the fd they are given.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "engines/engine.h"

namespace sensix::worker {

constexpr int kSocketFd = 3;
constexpr int kSharedMemoryFd = 4;
constexpr uint32_t kMagic = 0x31575853;        // "SXW1"
constexpr uint64_t kMaxBodyBytes = 16u << 20;  // a body never holds tensor data, only descriptions
constexpr size_t kAlignment = 64;              // tensors in shared memory start on 64-byte boundaries

enum class MessageType : uint32_t {
  kHello = 1,      // worker -> parent: HelloInfo
  kLoadError = 2,  // worker -> parent: u32 status code, string message
  kRun = 3,        // parent -> worker: RunRequest
  kRunOk = 4,      // worker -> parent: RunReply
  kRunError = 5,   // worker -> parent: u32 status code, string message
  kQuit = 6,       // parent -> worker: no body
};

struct MessageHeader {
  uint32_t magic = kMagic;
  uint32_t type = 0;
  uint64_t seq = 0;
  uint64_t body_bytes = 0;
  uint64_t shm_bytes = 0;  // the shared memory size the sender used
};
static_assert(sizeof(MessageHeader) == 32);

// A tensor placed in shared memory.
struct TensorSlot {
  DType dtype = DType::kFloat32;
  Shape shape;
  uint64_t offset = 0;  // from the start of the shared memory, a multiple of kAlignment
  uint64_t bytes = 0;
};

struct HelloInfo {
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  int64_t file_bytes = 0;
  int64_t resident_bytes = 0;  // the worker's whole resident memory after loading
};

struct RunRequest {
  std::vector<TensorSlot> inputs;
  std::vector<int> output_indices;
};

struct RunReply {
  std::vector<TensorSlot> outputs;
  int64_t resident_bytes = 0;  // the worker's resident memory after the run
};

// Body encoding. decode_* fail with InvalidArgument naming what was malformed.
std::string encode(const HelloInfo& m);
std::string encode(const RunRequest& m);
std::string encode(const RunReply& m);
std::string encode_status(const Status& s);
Result<HelloInfo> decode_hello(std::string_view body);
Result<RunRequest> decode_run_request(std::string_view body);
Result<RunReply> decode_run_reply(std::string_view body);
// The Status a kLoadError or kRunError carries; false when the body is malformed.
bool decode_status(std::string_view body, Status* out);

size_t align_up(size_t n);

// I/O on a stream socket. A deadline (on `env`'s clock) of time_point::max() waits for ever.
enum class IoResult { kOk, kClosed, kTimeout, kError };
using Deadline = TimePoint;
IoResult send_message(int fd, MessageType type, uint64_t seq, uint64_t shm_bytes, std::string_view body);
// Reads one header and its body. kError also covers a bad magic number or an oversized body
// (`*what` says which).
IoResult receive_message(int fd, Deadline deadline, MessageHeader* header, std::string* body, std::string* what,
                         Env* env = Env::Default());

// A mapping of the shared memory fd, resized on demand. Not copyable.
class SharedMemory {
 public:
  SharedMemory() = default;
  explicit SharedMemory(int fd) : fd_(fd) {}
  ~SharedMemory();
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  SharedMemory(SharedMemory&& o) noexcept;
  SharedMemory& operator=(SharedMemory&& o) noexcept;

  // Creates a memfd of `bytes` (the parent).
  static Result<SharedMemory> create(const std::string& name, size_t bytes);

  int fd() const { return fd_; }
  size_t size() const { return size_; }
  std::byte* data() { return static_cast<std::byte*>(ptr_); }

  // Grows the memory object to at least `bytes` (ftruncate) and maps all of it.
  Status grow(size_t bytes);
  // Maps `bytes` of the object when the mapping is smaller (the other side grew it).
  Status map_at_least(size_t bytes);
  // Unmaps and closes the fd.
  void reset();

 private:
  Status remap(size_t bytes);
  int fd_ = -1;
  void* ptr_ = nullptr;
  size_t size_ = 0;
};

// The resident memory of process `pid` (0 = this process) in bytes, from /proc; 0 if unknown.
int64_t resident_bytes_of(int pid);

}  // namespace sensix::worker
