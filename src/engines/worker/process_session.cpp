#include "engines/worker/process_session.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <utility>

#include <fmt/format.h>

#include "common/byte_size.h"

extern char** environ;

namespace sensix {
namespace {

using namespace std::chrono_literals;
using worker::IoResult;
using worker::MessageHeader;
using worker::MessageType;

bool is_executable(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

bool same_infos(const std::vector<TensorInfo>& a, const std::vector<TensorInfo>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].dtype != b[i].dtype || a[i].shape != b[i].shape) return false;
  }
  return true;
}

// Bytes of a tensor of this description, counting a dynamic dim as 1.
size_t estimated_bytes(const TensorInfo& info) {
  size_t n = dtype_size(info.dtype);
  for (int64_t d : info.shape) n *= static_cast<size_t>(std::max<int64_t>(d, 1));
  return n;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

double seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

}  // namespace

Result<std::string> find_worker_executable() {
  std::vector<std::string> looked;
  if (const char* env = std::getenv("SENSIX_WORKER"); env != nullptr && *env != '\0') {
    if (is_executable(env)) return std::string(env);
    return NotFound(fmt::format("$SENSIX_WORKER names {}, which is not an executable file", env));
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::string beside = (self.parent_path() / "sensix-worker").string();
    if (is_executable(beside)) return beside;
    looked.push_back(beside);
  }
#ifdef SENSIX_WORKER_BUILD_PATH
  if (is_executable(SENSIX_WORKER_BUILD_PATH)) return std::string(SENSIX_WORKER_BUILD_PATH);
  looked.push_back(SENSIX_WORKER_BUILD_PATH);
#endif
  std::string where;
  for (const auto& l : looked) where += (where.empty() ? "" : ", ") + l;
  return NotFound(fmt::format("cannot find the sensix-worker executable (looked at {}); set $SENSIX_WORKER", where));
}

Result<std::unique_ptr<ProcessSession>> ProcessSession::start(const WorkerOptions& options) {
  std::unique_ptr<ProcessSession> s(new ProcessSession(options));
  // Every worker is spawned by the supervisor thread, the first one too: PR_SET_PDEATHSIG ties a
  // worker to the thread that spawned it, and this one lives exactly as long as the session.
  std::promise<Status> started;
  auto first = started.get_future();
  s->supervisor_ = std::thread([p = s.get(), &started] {
    worker::HelloInfo hello;
    auto w = p->spawn(&hello);
    if (!w.ok()) {
      started.set_value(w.status());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(p->mu_);
      p->worker_ = std::move(w).value();
      p->inputs_ = std::move(hello.inputs);
      p->outputs_ = std::move(hello.outputs);
      p->memory_ = MemoryUsage{hello.file_bytes, hello.resident_bytes};
      p->health_.pid = p->worker_.pid;
    }
    started.set_value(Status::Ok());
    p->supervise();
  });
  Status first_status = first.get();
  if (!first_status.ok()) {
    s->supervisor_.join();
    return first_status;
  }
  return s;
}

ProcessSession::~ProcessSession() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = State::kStopping;
  }
  cv_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  if (worker_.pid > 0) {
    (void)worker::send_message(worker_.socket, MessageType::kQuit, ++seq_, worker_.shm.size(), {});
    reap(worker_, false);
  }
}

Result<ProcessSession::Worker> ProcessSession::spawn(worker::HelloInfo* hello) {
  SENSIX_ASSIGN_OR_RETURN(std::string exe, find_worker_executable());
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Unavailable(fmt::format("cannot create the worker's socket: {}", std::strerror(errno)));
  }
  Worker w;
  w.socket = sv[0];
  // Room for every tensor of static shape; grown on demand for the others.
  size_t bytes = 0;
  for (const auto* list : {&inputs_, &outputs_}) {
    for (const auto& info : *list) bytes += worker::align_up(estimated_bytes(info));
  }
  auto shm = worker::SharedMemory::create("sensix-worker", std::max<size_t>(bytes, 64 << 10));
  if (!shm.ok()) {
    ::close(sv[0]);
    ::close(sv[1]);
    return shm.status();
  }
  w.shm = std::move(shm).value();
  // dup2 onto fds 3 and 4 in the child clears close-on-exec there; the sources must not already
  // be 3 or 4, so take copies above 10. Everything else is closed in the child.
  const int child_socket = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
  const int child_shm = ::fcntl(w.shm.fd(), F_DUPFD_CLOEXEC, 10);
  ::close(sv[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, child_socket, worker::kSocketFd);
  posix_spawn_file_actions_adddup2(&fa, child_shm, worker::kSharedMemoryFd);
  posix_spawn_file_actions_addclosefrom_np(&fa, worker::kSharedMemoryFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a Ctrl-C at the terminal is for sensix to handle
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<std::string> args = {exe,
                                   "--engine",
                                   options_.engine,
                                   "--model",
                                   options_.model_path,
                                   "--threads",
                                   std::to_string(options_.session.intra_op_threads),
                                   "--parent",
                                   std::to_string(::getpid()),
                                   "--label",
                                   options_.label};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&w.pid, exe.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(child_socket);
  ::close(child_shm);
  if (rc != 0) {
    w.pid = -1;
    ::close(w.socket);
    return Unavailable(fmt::format("cannot start the worker {}: {}", exe, std::strerror(rc)));
  }

  MessageHeader h;
  std::string body, what;
  const IoResult r = worker::receive_message(w.socket, options_.env->now() + options_.load_timeout, &h, &body, &what,
                                             options_.env);
  const int pid = w.pid;
  if (r == IoResult::kOk && h.type == static_cast<uint32_t>(MessageType::kHello)) {
    auto decoded = worker::decode_hello(body);
    if (decoded.ok()) {
      *hello = std::move(decoded).value();
      return w;
    }
    what = decoded.status().message();
  } else if (r == IoResult::kOk && h.type == static_cast<uint32_t>(MessageType::kLoadError)) {
    Status status;
    const bool decoded = worker::decode_status(body, &status);
    reap(w, false);
    if (decoded) return status;
    return Unavailable(
        fmt::format("worker (pid {}) broke the protocol while loading (a malformed error message)", pid));
  } else if (r == IoResult::kOk) {
    what = fmt::format("message type {} before hello", h.type);
  }
  if (r == IoResult::kClosed) {
    return Unavailable(fmt::format("worker (pid {}) died while loading the model: {}", pid, reap(w, false)));
  }
  reap(w, true);
  if (r == IoResult::kTimeout) {
    return Unavailable(
        fmt::format("worker (pid {}) did not load the model in {:.1f} s, killed", pid, seconds(options_.load_timeout)));
  }
  return Unavailable(fmt::format("worker (pid {}) broke the protocol while loading ({}), killed", pid,
                                 what.empty() ? std::string(std::strerror(errno)) : what));
}

std::string ProcessSession::reap(Worker& w, bool kill_first) {
  std::string how = "gone";
  if (w.socket >= 0) ::close(w.socket);
  w.socket = -1;
  w.shm.reset();
  if (w.pid <= 0) return how;
  if (kill_first) ::kill(w.pid, SIGKILL);
  int status = 0;
  pid_t r = 0;
  // A worker that closed its socket is on its way out; give it a second before SIGKILL. Real time
  // on purpose: this waits for the kernel to end a process, not for the session's clock.
  for (int i = 0; i < 500 && (r = ::waitpid(w.pid, &status, WNOHANG)) == 0; ++i) std::this_thread::sleep_for(2ms);
  if (r == 0) {
    ::kill(w.pid, SIGKILL);
    r = ::waitpid(w.pid, &status, 0);
  }
  if (r == w.pid) {
    if (WIFSIGNALED(status)) {
      how = fmt::format("killed by signal {} ({})", WTERMSIG(status), signal_name(WTERMSIG(status)));
    } else if (WIFEXITED(status)) {
      how = fmt::format("exited with status {}", WEXITSTATUS(status));
    }
  }
  w.pid = -1;
  return how;
}

std::chrono::milliseconds ProcessSession::backoff(uint64_t n) const {
  double d = options_.initial_delay;
  for (uint64_t i = 1; i < n && d < options_.max_delay; ++i) d *= 2;
  d = std::min(d, options_.max_delay);
  return std::chrono::milliseconds(static_cast<int64_t>(d * 1000.0));
}

Status ProcessSession::run(std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                           std::vector<Tensor>* outputs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    switch (state_) {
      case State::kReady: break;
      case State::kFailed:
        return FailedPrecondition(
            fmt::format("failed: {}; {} failures in a row, not restarted", health_.reason, failures_in_a_row_));
      case State::kRestarting: {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - options_.env->now());
        return Unavailable(fmt::format("worker restarting (attempt {} in {:.2g} s) after: {}", failures_in_a_row_,
                                       std::max(0.0, seconds(left)), health_.reason));
      }
      case State::kStopping: return Cancelled("the session is closing");
    }
  }
  SENSIX_RETURN_IF_ERROR(check_run_arguments(inputs_, outputs_, inputs, output_indices, outputs));
  bool lost = false, kill = false;
  std::string why;
  Status s = exchange(worker_, inputs, output_indices, outputs, &lost, &why, &kill);
  if (lost) return lose_worker(std::exchange(worker_, Worker{}), why, kill);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_in_a_row_ = 0;
  }
  return s;
}

Status ProcessSession::exchange(Worker& w, std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                                std::vector<Tensor>* outputs, bool* lost, std::string* why, bool* kill) {
  const int pid = w.pid;
  auto protocol = [&](const std::string& what) {
    *lost = true;
    *kill = true;
    *why = fmt::format("worker (pid {}) broke the protocol ({}), killed", pid, what);
    return Status::Ok();
  };
  // Inputs first, then room for the outputs the model declares.
  worker::RunRequest req;
  size_t end = 0;
  for (const Tensor* t : inputs) {
    req.inputs.push_back(worker::TensorSlot{t->dtype(), t->shape(), end, t->byte_size()});
    end = worker::align_up(end + t->byte_size());
  }
  size_t need = end;
  for (int i : output_indices) need += worker::align_up(estimated_bytes(outputs_[static_cast<size_t>(i)]));
  Status grown = w.shm.grow(need);
  if (!grown.ok()) return grown;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i]->byte_size() > 0)
      std::memcpy(w.shm.data() + req.inputs[i].offset, inputs[i]->data(), inputs[i]->byte_size());
  }
  req.output_indices.assign(output_indices.begin(), output_indices.end());
  const uint64_t seq = ++seq_;
  const IoResult sent = worker::send_message(w.socket, MessageType::kRun, seq, w.shm.size(), worker::encode(req));
  if (sent != IoResult::kOk) {
    *lost = true;  // it died (reap says how)
    *kill = sent != IoResult::kClosed;
    return Status::Ok();
  }
  MessageHeader h;
  std::string body, what;
  const IoResult r = worker::receive_message(w.socket, options_.env->now() + options_.timeout, &h, &body, &what,
                                             options_.env);
  if (r == IoResult::kTimeout) {
    *lost = true;
    *kill = true;
    *why = fmt::format("worker (pid {}) sent no reply in {:.1f} s, killed", pid, seconds(options_.timeout));
    return Status::Ok();
  }
  if (r == IoResult::kClosed) {
    *lost = true;
    return Status::Ok();
  }
  if (r != IoResult::kOk) return protocol(what.empty() ? std::string(std::strerror(errno)) : what);
  if (h.seq != seq) return protocol(fmt::format("a reply to request {} while {} was waiting", h.seq, seq));
  if (h.type == static_cast<uint32_t>(MessageType::kRunError)) {
    Status status;
    if (!worker::decode_status(body, &status)) return protocol("a malformed error message");
    return status;
  }
  if (h.type != static_cast<uint32_t>(MessageType::kRunOk))
    return protocol(fmt::format("message type {} in reply to a run", h.type));
  auto reply = worker::decode_run_reply(body);
  if (!reply.ok()) return protocol(reply.status().message());
  if (Status m = w.shm.map_at_least(h.shm_bytes); !m.ok()) return protocol(m.message());
  if (reply->outputs.size() != output_indices.size()) {
    return protocol(fmt::format("{} outputs for {} asked", reply->outputs.size(), output_indices.size()));
  }
  outputs->resize(output_indices.size());
  for (size_t k = 0; k < reply->outputs.size(); ++k) {
    const worker::TensorSlot& slot = reply->outputs[k];
    const TensorInfo& info = outputs_[static_cast<size_t>(output_indices[k])];
    if (slot.offset + slot.bytes > w.shm.size() || slot.dtype != info.dtype || slot.shape.size() != info.shape.size()) {
      return protocol(
          fmt::format("output \"{}\" does not match the model or lies outside the shared memory", info.name));
    }
    Tensor& out = (*outputs)[k];
    if (out.dtype() != slot.dtype || out.shape() != slot.shape || out.data() == nullptr)
      out = Tensor(slot.dtype, slot.shape);
    if (slot.bytes > 0) std::memcpy(out.data(), w.shm.data() + slot.offset, slot.bytes);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    memory_.resident_bytes = reply->resident_bytes;
  }
  if (options_.memory_limit_bytes > 0 && reply->resident_bytes > options_.memory_limit_bytes) {
    *lost = true;
    *kill = true;
    *why = fmt::format("worker (pid {}) is over its memory limit: {} resident, limit {}; killed", pid,
                       format_bytes(reply->resident_bytes), format_bytes(options_.memory_limit_bytes));
  }
  return Status::Ok();
}

Status ProcessSession::lose_worker(Worker w, const std::string& why, bool kill_first) {
  const int pid = w.pid;
  const std::string how = reap(w, kill_first);
  const std::string reason = why.empty() ? fmt::format("worker (pid {}) died: {}", pid, how) : why;
  std::lock_guard<std::mutex> lock(mu_);
  health_.failures++;
  health_.reason = reason;
  health_.pid = 0;
  failures_in_a_row_++;
  if (options_.max_attempts > 0 && failures_in_a_row_ >= static_cast<uint64_t>(options_.max_attempts)) {
    state_ = State::kFailed;
    health_.failed = true;
    return Unavailable(fmt::format("{}; {} failures in a row, not restarted", reason, failures_in_a_row_));
  }
  state_ = State::kRestarting;
  const auto delay = backoff(failures_in_a_row_);
  next_attempt_ = options_.env->now() + delay;
  cv_.notify_all();
  return Unavailable(fmt::format("{}; restarting in {:.3g} s", reason, seconds(delay)));
}

void ProcessSession::supervise() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return state_ == State::kStopping || state_ == State::kRestarting; });
    if (state_ == State::kStopping) return;
    if (options_.env->wait_until(cv_, lock, next_attempt_, [&] { return state_ == State::kStopping; })) return;
    lock.unlock();
    worker::HelloInfo hello;
    auto w = spawn(&hello);
    Status s = w.ok() ? Status::Ok() : w.status();
    if (w.ok() && (!same_infos(hello.inputs, inputs_) || !same_infos(hello.outputs, outputs_))) {
      s = FailedPrecondition(fmt::format("the restarted worker reports other tensors ({}) than the first ({})",
                                         describe_tensors(hello.inputs), describe_tensors(inputs_)));
      reap(*w, true);
    }
    lock.lock();
    health_.restarts++;
    if (state_ == State::kStopping) {
      if (s.ok()) {
        lock.unlock();
        (void)worker::send_message(w->socket, MessageType::kQuit, 0, w->shm.size(), {});
        reap(*w, false);
      }
      return;
    }
    if (s.ok()) {
      worker_ = std::move(w).value();
      health_.pid = worker_.pid;
      state_ = State::kReady;
      continue;
    }
    health_.failures++;
    health_.reason = "restart failed: " + s.message();
    failures_in_a_row_++;
    if (options_.max_attempts > 0 && failures_in_a_row_ >= static_cast<uint64_t>(options_.max_attempts)) {
      state_ = State::kFailed;
      health_.failed = true;
      continue;
    }
    next_attempt_ = options_.env->now() + backoff(failures_in_a_row_);
  }
}

MemoryUsage ProcessSession::memory() const {
  std::lock_guard<std::mutex> lock(mu_);
  return memory_;
}

WorkerHealth ProcessSession::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return health_;
}

}  // namespace sensix
