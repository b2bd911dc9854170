// ChildProcess: a peer program that a test runs (a broker, a stream server, a sound daemon),
// killed and reaped when the test ends; have_program() to skip a test whose program is missing,
// and read_text() to show a peer's log.
//
// Thread-safety: a ChildProcess belongs to one thread.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sensix::testing {

// True if `program` is an executable on PATH.
bool have_program(const std::string& program);

// A whole text file ("" if it cannot be read): a peer's log.
std::string read_text(const std::string& path);

// A child process started with posix_spawnp; stdout and stderr go to `log` (or /dev/null).
// Killed (SIGTERM, then SIGKILL) and reaped by stop() or the destructor.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { stop(); }

  // `env` (KEY=VALUE strings) replaces the environment when given; empty: this process's.
  bool start(const std::vector<std::string>& argv, const std::string& log = "/dev/null",
             const std::vector<std::string>& env = {});
  bool running();
  // Waits for the process to exit: its exit code, 128 + its signal, or -1 (it was killed after
  // `timeout`, or was not running).
  int wait(std::chrono::milliseconds timeout);
  // SIGKILL: the peer vanishes at once, as when a device loses power.
  void kill_now();
  // Sends `sig`, waits up to 2 s for the exit, then SIGKILL.
  void stop(int sig = SIGTERM);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace sensix::testing
