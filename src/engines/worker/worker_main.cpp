// sensix-worker: runs one model in its own process for a ProcessSession (process_session.h), so
// that a model that crashes, hangs or leaks takes only itself down. Not meant to be run by hand.
//
//   sensix-worker --engine onnxruntime --model PATH --threads N --parent PID --label Model/x
//
// fd 3 is the socket to the parent, fd 4 the shared memory (worker_protocol.h). The worker dies
// with its parent (PR_SET_PDEATHSIG).
//
// Test hook: SENSIX_WORKER_FAULT makes the worker misbehave on purpose during a real run of the
// real model, after N runs that succeeded (docs/developer.md, "Model workers"):
//   crash-after=N  a null-pointer write (SIGSEGV)     abort-after=N  abort() (SIGABRT)
//   hang-after=N   never replies                        exit-after=N   exits with status 3
//   garble-after=N replies with a bad header            leak-mb=M      keeps M MiB more after every run
//   slow-ms=M      every run takes M ms longer (a model too slow for its sensor)
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "engines/registry.h"
#include "engines/worker/worker_protocol.h"

namespace sensix::worker {
// In sanitizer builds, a SIGSEGV kills the worker as it does in production (the supervisor reports
// the signal) instead of AddressSanitizer's handler turning it into an exit status. Unused otherwise.
extern "C" const char* __asan_default_options() { return "handle_segv=0"; }

namespace {

struct Fault {
  enum Kind { kNone, kCrash, kAbort, kHang, kExit, kGarble, kLeak, kSlow } kind = kNone;
  int64_t n = 0;  // runs before the fault; MiB per run for kLeak; ms per run for kSlow
};

Fault read_fault() {
  Fault f;
  const char* v = std::getenv("SENSIX_WORKER_FAULT");
  if (v == nullptr || *v == '\0') return f;
  const std::string_view s(v);
  const auto eq = s.find('=');
  const std::string_view what = s.substr(0, eq);
  const long long n = eq == std::string_view::npos ? 0 : std::atoll(std::string(s.substr(eq + 1)).c_str());
  f.n = n;
  if (what == "crash-after") f.kind = Fault::kCrash;
  else if (what == "abort-after") f.kind = Fault::kAbort;
  else if (what == "hang-after") f.kind = Fault::kHang;
  else if (what == "exit-after") f.kind = Fault::kExit;
  else if (what == "garble-after") f.kind = Fault::kGarble;
  else if (what == "leak-mb") f.kind = Fault::kLeak;
  else if (what == "slow-ms") f.kind = Fault::kSlow;
  else std::fprintf(stderr, "sensix-worker: ignoring unknown SENSIX_WORKER_FAULT \"%s\"\n", v);
  return f;
}

// Acts on the fault after `runs_done` successful runs; returns only for faults that let the
// reply go out (leak, or none). kGarble returns true: the caller sends a bad header.
bool inject(const Fault& f, int64_t runs_done, std::vector<void*>* leaked) {
  if (f.kind == Fault::kLeak) {
    const size_t bytes = static_cast<size_t>(f.n) << 20;
    void* p = std::malloc(bytes);
    if (p != nullptr) std::memset(p, 0x5a, bytes);  // touched, so it is resident
    leaked->push_back(p);
    return false;
  }
  if (f.kind == Fault::kSlow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(f.n));
    return false;
  }
  if (f.kind == Fault::kNone || runs_done != f.n) return false;
  switch (f.kind) {
    case Fault::kCrash:
      // A segmentation fault, as a bad pointer gives one, without undefined behaviour (UBSan
      // would turn a null store into an exit status before the signal).
      ::raise(SIGSEGV);
      break;
    case Fault::kAbort: std::abort();
    case Fault::kHang:
      for (;;) ::pause();
    case Fault::kExit: std::_Exit(3);
    case Fault::kGarble: return true;
    default: break;
  }
  return false;
}

int serve(Session& session, SharedMemory& shm, const Fault& fault) {
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  std::vector<void*> leaked;
  int64_t runs_done = 0;
  for (;;) {
    MessageHeader h;
    std::string body, what;
    const IoResult r = receive_message(kSocketFd, Deadline::max(), &h, &body, &what);
    if (r == IoResult::kClosed) return 0;  // the parent went away or closed us
    if (r != IoResult::kOk) {
      std::fprintf(stderr, "sensix-worker: bad request: %s\n", what.c_str());
      return 2;
    }
    if (h.type == static_cast<uint32_t>(MessageType::kQuit)) return 0;
    if (h.type != static_cast<uint32_t>(MessageType::kRun)) return 2;
    auto reply_error = [&](const Status& s) {
      return send_message(kSocketFd, MessageType::kRunError, h.seq, shm.size(), encode_status(s)) == IoResult::kOk;
    };
    auto req = decode_run_request(body);
    Status mapped = req.ok() ? shm.map_at_least(h.shm_bytes) : req.status();
    if (!mapped.ok()) {
      if (!reply_error(mapped)) return 2;
      continue;
    }
    // Inputs out of shared memory (their storage is reused while the shapes stay the same).
    inputs.resize(req->inputs.size());
    std::vector<const Tensor*> ptrs;
    size_t end = 0;
    bool fits = true;
    for (size_t i = 0; i < req->inputs.size(); ++i) {
      const TensorSlot& s = req->inputs[i];
      if (s.offset + s.bytes > shm.size()) fits = false;
      if (!fits) break;
      if (inputs[i].dtype() != s.dtype || inputs[i].shape() != s.shape || inputs[i].data() == nullptr) {
        inputs[i] = Tensor(s.dtype, s.shape);
      }
      if (s.bytes > 0) std::memcpy(inputs[i].data(), shm.data() + s.offset, s.bytes);
      ptrs.push_back(&inputs[i]);
      end = std::max<size_t>(end, align_up(s.offset + s.bytes));
    }
    if (!fits) {
      if (!reply_error(InvalidArgument("an input lies outside the shared memory"))) return 2;
      continue;
    }
    Status s = session.run(ptrs, req->output_indices, &outputs);
    if (!s.ok()) {
      if (!reply_error(s)) return 2;
      continue;
    }
    const bool garble = inject(fault, runs_done, &leaked);
    runs_done++;
    // Outputs into shared memory after the inputs, growing it when they do not fit.
    RunReply reply;
    size_t offset = end;
    for (const Tensor& t : outputs) {
      reply.outputs.push_back(TensorSlot{t.dtype(), t.shape(), offset, t.byte_size()});
      offset = align_up(offset + t.byte_size());
    }
    Status grown = shm.grow(offset);
    if (!grown.ok()) {
      if (!reply_error(grown)) return 2;
      continue;
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i].byte_size() > 0)
        std::memcpy(shm.data() + reply.outputs[i].offset, outputs[i].data(), outputs[i].byte_size());
    }
    reply.resident_bytes = resident_bytes_of(0);
    if (garble) {
      const char junk[32] = "this is not a worker header....";
      if (::write(kSocketFd, junk, sizeof junk) < 0) return 2;
      continue;
    }
    if (send_message(kSocketFd, MessageType::kRunOk, h.seq, shm.size(), encode(reply)) != IoResult::kOk) return 0;
  }
}

int worker_main(int argc, char** argv) {
  std::string engine_name, model, label = "a model";
  int threads = 1;
  long parent = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i];
    if (k == "--engine") engine_name = argv[i + 1];
    else if (k == "--model") model = argv[i + 1];
    else if (k == "--threads") threads = std::atoi(argv[i + 1]);
    else if (k == "--parent") parent = std::atol(argv[i + 1]);
    else if (k == "--label") label = argv[i + 1];
  }
  // Die with the parent; if it is already gone, stop now.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent != 0 && ::getppid() != parent) return 1;
  ::signal(SIGPIPE, SIG_IGN);

  auto fail_load = [&](const Status& s) {
    (void)send_message(kSocketFd, MessageType::kLoadError, 0, 0, encode_status(s));
    return 1;
  };
  if (engine_name.empty() || model.empty()) {
    return fail_load(InvalidArgument("sensix-worker needs --engine and --model"));
  }
  EngineRegistry engines;
  auto engine = engines.get(engine_name);
  if (!engine.ok()) return fail_load(engine.status());
  SessionOptions options;
  options.intra_op_threads = threads;
  auto session = (*engine)->load(model, options);
  if (!session.ok()) return fail_load(session.status());
  SharedMemory shm(kSharedMemoryFd);
  HelloInfo hello;
  hello.inputs = (*session)->inputs();
  hello.outputs = (*session)->outputs();
  hello.file_bytes = (*session)->memory().file_bytes;
  hello.resident_bytes = resident_bytes_of(0);
  if (send_message(kSocketFd, MessageType::kHello, 0, 0, encode(hello)) != IoResult::kOk) return 0;
  return serve(**session, shm, read_fault());
}

}  // namespace
}  // namespace sensix::worker

int main(int argc, char** argv) { return sensix::worker::worker_main(argc, argv); }
