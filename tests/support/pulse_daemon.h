// PulseTestDaemon: a private PulseAudio daemon with one null sink, for the microphone tests.
//
// It makes a temporary folder that serves as HOME, XDG_RUNTIME_DIR, PULSE_RUNTIME_PATH and
// PULSE_STATE_PATH of every process it starts, and runs
//   pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no ... -F /dev/null
//     --load="module-native-protocol-unix socket=DIR/native auth-anonymous=1"
//     --load="module-null-sink sink_name=sensix_test ..."
// so it never touches the user's own daemon, D-Bus session or files, and several can run at once.
// Running as root needs nothing special (pulseaudio only warns that it is meant for --system).
// start() returns once `pactl --server=unix:DIR/native info` answers and the null sink runs at
// low latency (see wake_sink()). play() sends a sound file
// into the null sink with paplay; a capture from kMonitor ("sensix_test.monitor") hears it.
// kill() kills the daemon with SIGKILL (a crash: clients see their connection break);
// start() again serves the same socket. The destructor ends the daemon and any player and
// removes the folder.
//
// Thread-safety: one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace sensix::testing {

class PulseTestDaemon {
 public:
  static constexpr const char* kSink = "sensix_test";
  static constexpr const char* kMonitor = "sensix_test.monitor";

  // Why this machine cannot run the daemon (a program is missing); empty when it can.
  static std::string unavailable();

  // The folder (TempDir: under the system temp dir) keeps the socket path well under the 107
  // bytes a unix socket allows.
  PulseTestDaemon();
  ~PulseTestDaemon();
  PulseTestDaemon(const PulseTestDaemon&) = delete;
  PulseTestDaemon& operator=(const PulseTestDaemon&) = delete;

  // The server string for clients: unix:DIR/native.
  std::string server() const { return "unix:" + dir_ + "/native"; }
  const std::string& dir() const { return dir_; }
  bool running() { return daemon_.running(); }

  // Starts the daemon (again, after kill(), on the same socket) and waits until it answers.
  Status start(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // Kills the daemon with SIGKILL, as a crash would, and reaps it.
  void kill();
  // SIGSTOP: the daemon stops answering but keeps every connection open (a frozen server).
  // thaw() (SIGCONT) resumes it; stop() thaws first.
  void freeze();
  void thaw();
  // Ends the daemon cleanly (SIGTERM, then SIGKILL).
  void stop();

  // Plays `file` into the null sink and waits until paplay has finished (it plays in real time).
  Status play(const std::string& file, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The same in the background; the destructor ends players still running.
  Status play_async(const std::string& file);

  std::string log() const;

 private:
  // Runs pactl on this server with `args`; its exit code (-1: it hung). Its output is in pactl.out.
  int pactl(std::vector<std::string> args) const;
  std::vector<std::string> paplay_args(const std::string& file) const;
  // An idle null sink renders in blocks of 2 s, and a stream that asks for less only takes effect
  // at the next block: a capture would wait up to 2 s for its first data, after every start. So a
  // "keeper" recording of the monitor at 10 ms latency stays connected for the daemon's lifetime,
  // and suspending and resuming the sink restarts its clock at that latency: every later capture
  // gets data within tens of milliseconds, as from a real device.
  Status wake_sink(std::chrono::steady_clock::time_point deadline);
  // The children's environment: this process's, with every per-user PulseAudio and D-Bus path
  // pointing into the private folder (or removed).
  std::vector<std::string> child_env() const;

  TempDir tmp_;
  std::string dir_;
  ChildProcess daemon_;
  ChildProcess keeper_;  // parec keeping the null sink at low latency (wake_sink)
  std::vector<std::unique_ptr<ChildProcess>> players_;
};

}  // namespace sensix::testing
