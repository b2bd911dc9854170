// ProcessSession: a Session whose model runs in a separate worker process (sensix-worker), so a
// model that crashes, hangs, breaks the protocol or outgrows its memory limit fails its own
// requests and nothing else.
//
// The worker is started with posix_spawn (never a bare fork: this process is multithreaded). It
// is found at $SENSIX_WORKER, else next to the running executable (/proc/self/exe), else in the
// build tree this library was built in. It loads the engine and the model itself and reports the
// tensors and its resident memory; tensors travel through a memfd shared with it, requests and
// replies over a socketpair (worker_protocol.h, docs/developer.md "Model workers").
//
// Failures: a run fails with Unavailable when the worker dies (by a signal or an exit), sends no
// reply within `timeout` (it is then killed with SIGKILL), sends something that is not the
// protocol (killed), or is over `memory_limit_bytes` after a run (killed). Each such failure
// schedules a restart in a background thread after min(initial_delay x 2^(n-1), max_delay)
// seconds, n being the failures in a row; while it restarts, runs fail at once (Unavailable), so
// a caller is never held longer than `timeout`. A run that succeeds sets n back to 0. After
// `max_attempts` failures in a row (0 = never) the session is failed for good: every run fails
// with FailedPrecondition and health() says why. Engine errors (a bad tensor) are ordinary
// errors returned by the worker, which lives on.
//
// Messages name the worker, not the model (the caller adds "Model/x: "):
//   worker (pid 4242) died: killed by signal 11 (SIGSEGV)
//   worker (pid 4242) sent no reply in 2.0 s, killed
//   worker (pid 4242) is over its memory limit: 312.4 MiB resident, limit 256 MiB; killed
//
// Thread-safety: as Session (one run() at a time); health() and memory() from any thread.
// Destruction closes the socket, waits briefly for the worker to exit, then kills and reaps it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/env.h"
#include "engines/engine.h"
#include "engines/worker/worker_protocol.h"

namespace sensix {

struct WorkerOptions {
  std::string engine;      // engine name for the worker's EngineRegistry ("onnxruntime", "tflite")
  std::string model_path;  // the model file
  SessionOptions session;
  std::string label = "model";                    // for logs: "Model/x"
  std::chrono::milliseconds timeout{2000};        // one run
  std::chrono::milliseconds load_timeout{60000};  // start-up and model load
  double initial_delay = 0.5;                     // seconds before the first restart
  double max_delay = 10.0;                        // longest wait between restarts
  int max_attempts = 5;                           // failures in a row before failing for good; 0 = never
  int64_t memory_limit_bytes = 0;                 // worker RSS after a run; 0 = no limit
  Env* env = Env::Default();                      // the clock of the timeouts and restart delays
};

struct WorkerHealth {
  int pid = 0;            // the worker's process id; 0 while none runs
  uint64_t restarts = 0;  // workers started after the first
  uint64_t failures = 0;  // workers lost (died, hung, broke the protocol, over the memory limit)
  bool failed = false;    // given up after max_attempts failures in a row
  std::string reason;     // the last failure, "" if none
};

// The sensix-worker executable this process would start; NotFound lists where it looked.
Result<std::string> find_worker_executable();

class ProcessSession final : public Session {
 public:
  // Starts the worker and waits for it to load the model. The worker's own load errors come back
  // with their codes (NotFound for a missing file, InvalidArgument for a file that is no model).
  static Result<std::unique_ptr<ProcessSession>> start(const WorkerOptions& options);
  ~ProcessSession() override;

  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  Status run(std::span<const Tensor* const> inputs, std::span<const int> output_indices,
             std::vector<Tensor>* outputs) override;
  // file_bytes, and the worker's whole resident memory (the engine library included) after its
  // last run, or after loading before the first.
  MemoryUsage memory() const override;

  WorkerHealth health() const;

 private:
  struct Worker {
    pid_t pid = -1;
    int socket = -1;
    worker::SharedMemory shm;
  };
  enum class State { kReady, kRestarting, kFailed, kStopping };

  explicit ProcessSession(WorkerOptions options) : options_(std::move(options)) {}
  // Spawns a worker and waits for its hello; on success fills *hello.
  Result<Worker> spawn(worker::HelloInfo* hello);
  // Kills (if needed) and reaps `w`, returning how it ended: "killed by signal 11 (SIGSEGV)".
  static std::string reap(Worker& w, bool kill_first);
  // Records a lost worker and schedules its restart (or fails the session). Returns the error for
  // the request that saw it.
  Status lose_worker(Worker w, const std::string& reason, bool kill_first);
  Status exchange(Worker& w, std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                  std::vector<Tensor>* outputs, bool* lost, std::string* lost_reason, bool* kill);
  void supervise();
  std::chrono::milliseconds backoff(uint64_t failures_in_a_row) const;

  const WorkerOptions options_;
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
  uint64_t seq_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kReady;
  Worker worker_;        // valid in kReady
  bool in_run_ = false;  // run() holds worker_ outside the lock
  MemoryUsage memory_;
  uint64_t failures_in_a_row_ = 0;
  TimePoint next_attempt_;  // on options_.env's clock
  WorkerHealth health_;
  std::thread supervisor_;
};

}  // namespace sensix
