// Test-only: a private PulseAudio daemon with one null sink, for the microphone driver's tests.
// Not part of the library (header-only; included by tests only).
//
// PulseTestDaemon makes a temporary folder that serves as HOME, XDG_RUNTIME_DIR,
// PULSE_RUNTIME_PATH and PULSE_STATE_PATH of every process it starts, and runs
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
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/status.h"
#include "sensors/child_process.h"
#include "sensors/test_support.h"

namespace sensix::testing {

class PulseTestDaemon {
 public:
  static constexpr const char* kSink = "sensix_test";
  static constexpr const char* kMonitor = "sensix_test.monitor";

  // Why this machine cannot run the daemon (a program is missing); empty when it can.
  static std::string unavailable() {
    for (const char* prog : {"pulseaudio", "pactl", "paplay", "parec"}) {
      if (!have_program(prog)) {
        return fmt::format("{} is not installed (Debian packages pulseaudio and pulseaudio-utils; scripts/setup)", prog);
      }
    }
    return "";
  }

  // The folder (TempDir: under the system temp dir) keeps the socket path well under the 107
  // bytes a unix socket allows.
  PulseTestDaemon() : dir_(tmp_.path().string()) {}
  ~PulseTestDaemon() {
    players_.clear();  // each ChildProcess ends its player
    stop();
  }
  PulseTestDaemon(const PulseTestDaemon&) = delete;
  PulseTestDaemon& operator=(const PulseTestDaemon&) = delete;

  // The server string for clients: unix:DIR/native.
  std::string server() const { return "unix:" + dir_ + "/native"; }
  const std::string& dir() const { return dir_; }
  bool running() { return daemon_.running(); }

  // Starts the daemon (again, after kill(), on the same socket) and waits until it answers.
  Status start(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    if (daemon_.running()) return FailedPrecondition("the PulseAudio test daemon is already running");
    const std::vector<std::string> args = {
        "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--system=no",
        "--realtime=no", "--high-priority=no", "--log-target=stderr", "-F", "/dev/null",
        "--load=module-native-protocol-unix socket=" + dir_ + "/native auth-anonymous=1",
        // A stereo 48 kHz sink: captures at other formats exercise PulseAudio's conversion.
        fmt::format("--load=module-null-sink sink_name={} rate=48000 channels=2", kSink)};
    if (!daemon_.start(args, dir_ + "/daemon.log", child_env())) {
      return Internal(fmt::format("cannot start pulseaudio: {}", std::strerror(errno)));
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!daemon_.running()) return Unavailable(fmt::format("pulseaudio exited at start-up; its log:\n{}", log()));
      if (pactl({"info"}) == 0) return wake_sink(deadline);
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        return Unavailable(fmt::format("pulseaudio did not answer on {} within {} ms; its log:\n{}", server(),
                                       timeout.count(), log()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Kills the daemon with SIGKILL, as a crash would, and reaps it.
  void kill() {
    daemon_.kill_now();
    keeper_.stop();
  }
  // Ends the daemon cleanly (SIGTERM, then SIGKILL).
  void stop() {
    keeper_.stop();
    daemon_.stop();
  }

  // Plays `file` into the null sink and waits until paplay has finished (it plays in real time).
  Status play(const std::string& file, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    ChildProcess player;
    if (!player.start(paplay_args(file), dir_ + "/paplay.log", child_env())) {
      return Internal(fmt::format("cannot start paplay: {}", std::strerror(errno)));
    }
    const int rc = player.wait(timeout);
    if (rc != 0) {
      return Unavailable(fmt::format("paplay {} {} ({}); its log:\n{}", file,
                                     rc == -1 ? "did not finish in time" : "failed", rc, read_text(dir_ + "/paplay.log")));
    }
    return Status::Ok();
  }
  // The same in the background; the destructor ends players still running.
  Status play_async(const std::string& file) {
    auto player = std::make_unique<ChildProcess>();
    if (!player->start(paplay_args(file), dir_ + "/paplay.log", child_env())) {
      return Internal(fmt::format("cannot start paplay: {}", std::strerror(errno)));
    }
    players_.push_back(std::move(player));
    return Status::Ok();
  }

  std::string log() const { return read_text(dir_ + "/daemon.log"); }

 private:
  // Runs pactl on this server with `args`; its exit code (-1: it hung). Its output is in pactl.out.
  int pactl(std::vector<std::string> args) const {
    args.insert(args.begin(), {"pactl", "--server=" + server()});
    std::error_code ec;
    std::filesystem::remove(dir_ + "/pactl.out", ec);
    ChildProcess p;
    return p.start(args, dir_ + "/pactl.out", child_env()) ? p.wait(std::chrono::seconds(5)) : -1;
  }

  std::vector<std::string> paplay_args(const std::string& file) const {
    return {"paplay", "--server=" + server(), fmt::format("--device={}", kSink), file};
  }

  // An idle null sink renders in blocks of 2 s, and a stream that asks for less only takes effect
  // at the next block: a capture would wait up to 2 s for its first data, after every start. So a
  // "keeper" recording of the monitor at 10 ms latency stays connected for the daemon's lifetime,
  // and suspending and resuming the sink restarts its clock at that latency: every later capture
  // gets data within tens of milliseconds, as from a real device.
  Status wake_sink(std::chrono::steady_clock::time_point deadline) {
    if (!keeper_.start({"parec", "--server=" + server(), fmt::format("--device={}", kMonitor), "--latency-msec=10",
                        "--raw", "--format=u8", "--rate=1000", "--channels=1"},
                       "/dev/null", child_env())) {
      return Internal(fmt::format("cannot start parec: {}", std::strerror(errno)));
    }
    for (;;) {
      if (pactl({"list", "short", "source-outputs"}) == 0 && !read_text(dir_ + "/pactl.out").empty()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        return Unavailable(fmt::format("parec did not connect to {} in time; the daemon's log:\n{}", server(), log()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pactl({"suspend-sink", kSink, "1"}) != 0 || pactl({"suspend-sink", kSink, "0"}) != 0) {
      const std::string out = read_text(dir_ + "/pactl.out");
      stop();
      return Unavailable(fmt::format("pactl suspend-sink {} failed: {}", kSink, out));
    }
    return Status::Ok();
  }

  // The children's environment: this process's, with every per-user PulseAudio and D-Bus path
  // pointing into the private folder (or removed).
  std::vector<std::string> child_env() const {
    std::vector<std::string> env;
    const char* drop[] = {"HOME=", "XDG_RUNTIME_DIR=", "XDG_CONFIG_HOME=", "XDG_STATE_HOME=", "PULSE_RUNTIME_PATH=",
                          "PULSE_STATE_PATH=", "PULSE_SERVER=", "PULSE_SINK=", "PULSE_SOURCE=", "PULSE_COOKIE=",
                          "DBUS_SESSION_BUS_ADDRESS=", "DISPLAY=", "WAYLAND_DISPLAY="};
    for (char** e = environ; *e != nullptr; ++e) {
      bool keep = true;
      for (const char* d : drop) keep = keep && std::strncmp(*e, d, std::strlen(d)) != 0;
      if (keep) env.emplace_back(*e);
    }
    for (const char* var : {"HOME", "XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH"}) {
      env.push_back(std::string(var) + "=" + dir_);
    }
    return env;
  }

  TempDir tmp_;
  std::string dir_;
  ChildProcess daemon_;
  ChildProcess keeper_;  // parec keeping the null sink at low latency (wake_sink)
  std::vector<std::unique_ptr<ChildProcess>> players_;
};

}  // namespace sensix::testing
