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

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/status.h"

extern char** environ;

namespace sensix::testing {

class PulseTestDaemon {
 public:
  static constexpr const char* kSink = "sensix_test";
  static constexpr const char* kMonitor = "sensix_test.monitor";

  // Why this machine cannot run the daemon (a program is missing); empty when it can.
  static std::string unavailable() {
    for (const char* prog : {"pulseaudio", "pactl", "paplay", "parec"}) {
      if (find_program(prog).empty()) {
        return fmt::format("{} is not installed (Debian packages pulseaudio and pulseaudio-utils; scripts/setup)", prog);
      }
    }
    return "";
  }

  PulseTestDaemon() {
    // A short path: a unix socket's path is limited to 107 bytes.
    std::string base = std::filesystem::temp_directory_path().string();
    if (base.size() > 60) base = "/tmp";
    std::string templ = base + "/sensix-pulse-XXXXXX";
    if (::mkdtemp(templ.data()) != nullptr) dir_ = templ;
  }
  ~PulseTestDaemon() {
    for (pid_t p : players_) end_process(p, SIGTERM);
    players_.clear();
    stop();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  PulseTestDaemon(const PulseTestDaemon&) = delete;
  PulseTestDaemon& operator=(const PulseTestDaemon&) = delete;

  // The server string for clients: unix:DIR/native.
  std::string server() const { return "unix:" + dir_ + "/native"; }
  const std::string& dir() const { return dir_; }
  bool running() const { return daemon_ > 0; }

  // Starts the daemon (again, after kill(), on the same socket) and waits until it answers.
  Status start(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    if (dir_.empty()) return Internal("cannot create a temporary folder for the PulseAudio daemon");
    if (daemon_ > 0) return FailedPrecondition("the PulseAudio test daemon is already running");
    const std::vector<std::string> args = {
        "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--system=no",
        "--realtime=no", "--high-priority=no", "--log-target=stderr", "-F", "/dev/null",
        "--load=module-native-protocol-unix socket=" + dir_ + "/native auth-anonymous=1",
        // A stereo 48 kHz sink: captures at other formats exercise PulseAudio's conversion.
        fmt::format("--load=module-null-sink sink_name={} rate=48000 channels=2", kSink)};
    daemon_ = spawn(args, dir_ + "/daemon.log");
    if (daemon_ <= 0) return Internal(fmt::format("cannot start pulseaudio: {}", std::strerror(errno)));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      if (::waitpid(daemon_, &status, WNOHANG) == daemon_) {
        daemon_ = -1;
        return Unavailable(fmt::format("pulseaudio exited at start-up ({}); its log:\n{}", describe_exit(status), log()));
      }
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
    if (daemon_ > 0) end_process(daemon_, SIGKILL);
    daemon_ = -1;
    end_keeper();
  }
  // Ends the daemon cleanly (SIGTERM, then SIGKILL after 3 s).
  void stop() {
    end_keeper();
    if (daemon_ > 0) end_process(daemon_, SIGTERM);
    daemon_ = -1;
  }

  // Plays `file` into the null sink and waits until paplay has finished (it plays in real time).
  Status play(const std::string& file, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    pid_t p = spawn({"paplay", "--server=" + server(), fmt::format("--device={}", kSink), file}, dir_ + "/paplay.log");
    if (p <= 0) return Internal(fmt::format("cannot start paplay: {}", std::strerror(errno)));
    const int rc = wait_exit(p, timeout);
    if (rc != 0) {
      return Unavailable(fmt::format("paplay {} {} ({}); its log:\n{}", file,
                                     rc == -1 ? "did not finish in time" : "failed", rc, read_file(dir_ + "/paplay.log")));
    }
    return Status::Ok();
  }
  // The same in the background; the destructor ends players still running.
  Status play_async(const std::string& file) {
    pid_t p = spawn({"paplay", "--server=" + server(), fmt::format("--device={}", kSink), file}, dir_ + "/paplay.log");
    if (p <= 0) return Internal(fmt::format("cannot start paplay: {}", std::strerror(errno)));
    players_.push_back(p);
    return Status::Ok();
  }

  std::string log() const { return read_file(dir_ + "/daemon.log"); }

 private:
  // Runs pactl on this server with `args`; its exit code (-1: it hung). Its output is in pactl.out.
  int pactl(std::vector<std::string> args) const {
    args.insert(args.begin(), {"pactl", "--server=" + server()});
    std::filesystem::remove(dir_ + "/pactl.out");
    const pid_t p = spawn(args, dir_ + "/pactl.out");
    return p > 0 ? wait_exit(p, std::chrono::seconds(5)) : -1;
  }

  // An idle null sink renders in blocks of 2 s, and a stream that asks for less only takes effect
  // at the next block: a capture would wait up to 2 s for its first data, after every start. So a
  // "keeper" recording of the monitor at 10 ms latency stays connected for the daemon's lifetime,
  // and suspending and resuming the sink restarts its clock at that latency: every later capture
  // gets data within tens of milliseconds, as from a real device.
  Status wake_sink(std::chrono::steady_clock::time_point deadline) {
    keeper_ = spawn({"parec", "--server=" + server(), fmt::format("--device={}", kMonitor), "--latency-msec=10",
                     "--raw", "--format=u8", "--rate=1000", "--channels=1"},
                    "/dev/null");
    if (keeper_ <= 0) return Internal(fmt::format("cannot start parec: {}", std::strerror(errno)));
    for (;;) {
      if (pactl({"list", "short", "source-outputs"}) == 0 && !read_file(dir_ + "/pactl.out").empty()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        return Unavailable(fmt::format("parec did not connect to {} in time; the daemon's log:\n{}", server(), log()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pactl({"suspend-sink", kSink, "1"}) != 0 || pactl({"suspend-sink", kSink, "0"}) != 0) {
      const std::string out = read_file(dir_ + "/pactl.out");
      stop();
      return Unavailable(fmt::format("pactl suspend-sink {} failed: {}", kSink, out));
    }
    return Status::Ok();
  }

  void end_keeper() {
    if (keeper_ > 0) end_process(keeper_, SIGTERM);
    keeper_ = -1;
  }

  static std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/bin:/bin");
    std::string d;
    while (std::getline(ss, d, ':')) {
      std::string p = (d.empty() ? "." : d) + "/" + name;
      if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return "";
  }

  static std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  static std::string describe_exit(int status) {
    if (WIFEXITED(status)) return fmt::format("exit code {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
    return "unknown status";
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

  // Starts `args` with stdin from /dev/null and stdout+stderr appended to `log`; the pid or -1.
  pid_t spawn(const std::vector<std::string>& args, const std::string& log) const {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::vector<std::string> env = child_env();
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      errno = rc;
      return -1;
    }
    return pid;
  }

  // Waits for `pid` to exit: its exit code, 128 + signal, or -1 (killed after `timeout`).
  static int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (r < 0) return -1;
      if (std::chrono::steady_clock::now() > deadline) {
        end_process(pid, SIGKILL);
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Sends `sig`, waits up to 3 s, then SIGKILL; always reaps.
  static void end_process(pid_t pid, int sig) {
    ::kill(pid, sig);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::string dir_;
  pid_t daemon_ = -1;
  pid_t keeper_ = -1;  // parec keeping the null sink at low latency (wake_sink)
  std::vector<pid_t> players_;
};

}  // namespace sensix::testing
