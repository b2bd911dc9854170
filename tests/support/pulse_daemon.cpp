#include "support/pulse_daemon.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace sensix::testing {

std::string PulseTestDaemon::unavailable() {
  for (const char* prog : {"pulseaudio", "pactl", "paplay", "parec"}) {
    if (!have_program(prog)) {
      return fmt::format("{} is not installed (Debian packages pulseaudio and pulseaudio-utils; scripts/setup)", prog);
    }
  }
  return "";
}

PulseTestDaemon::PulseTestDaemon() : dir_(tmp_.path().string()) {}

PulseTestDaemon::~PulseTestDaemon() {
  players_.clear();  // each ChildProcess ends its player
  stop();
}

Status PulseTestDaemon::start(std::chrono::milliseconds timeout) {
  if (daemon_.running()) return FailedPrecondition("the PulseAudio test daemon is already running");
  const std::vector<std::string> args = {
      "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--system=no", "--realtime=no",
      "--high-priority=no", "--log-target=stderr", "-F", "/dev/null",
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
      return Unavailable(
          fmt::format("pulseaudio did not answer on {} within {} ms; its log:\n{}", server(), timeout.count(), log()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void PulseTestDaemon::kill() {
  daemon_.kill_now();
  keeper_.stop();
}

void PulseTestDaemon::freeze() {
  if (daemon_.pid() > 0) ::kill(daemon_.pid(), SIGSTOP);
}

void PulseTestDaemon::thaw() {
  if (daemon_.pid() > 0) ::kill(daemon_.pid(), SIGCONT);
}

void PulseTestDaemon::stop() {
  thaw();
  keeper_.stop();
  daemon_.stop();
}

Status PulseTestDaemon::play(const std::string& file, std::chrono::milliseconds timeout) {
  ChildProcess player;
  if (!player.start(paplay_args(file), dir_ + "/paplay.log", child_env())) {
    return Internal(fmt::format("cannot start paplay: {}", std::strerror(errno)));
  }
  const int rc = player.wait(timeout);
  if (rc != 0) {
    return Unavailable(fmt::format("paplay {} {} ({}); its log:\n{}", file,
                                   rc == -1 ? "did not finish in time" : "failed", rc,
                                   read_text(dir_ + "/paplay.log")));
  }
  return Status::Ok();
}

Status PulseTestDaemon::play_async(const std::string& file) {
  auto player = std::make_unique<ChildProcess>();
  if (!player->start(paplay_args(file), dir_ + "/paplay.log", child_env())) {
    return Internal(fmt::format("cannot start paplay: {}", std::strerror(errno)));
  }
  players_.push_back(std::move(player));
  return Status::Ok();
}

std::string PulseTestDaemon::log() const { return read_text(dir_ + "/daemon.log"); }

int PulseTestDaemon::pactl(std::vector<std::string> args) const {
  args.insert(args.begin(), {"pactl", "--server=" + server()});
  std::error_code ec;
  std::filesystem::remove(dir_ + "/pactl.out", ec);
  ChildProcess p;
  return p.start(args, dir_ + "/pactl.out", child_env()) ? p.wait(std::chrono::seconds(5)) : -1;
}

std::vector<std::string> PulseTestDaemon::paplay_args(const std::string& file) const {
  return {"paplay", "--server=" + server(), fmt::format("--device={}", kSink), file};
}

Status PulseTestDaemon::wake_sink(std::chrono::steady_clock::time_point deadline) {
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

std::vector<std::string> PulseTestDaemon::child_env() const {
  std::vector<std::string> env;
  const char* drop[] = {"HOME=",
                        "XDG_RUNTIME_DIR=",
                        "XDG_CONFIG_HOME=",
                        "XDG_STATE_HOME=",
                        "PULSE_RUNTIME_PATH=",
                        "PULSE_STATE_PATH=",
                        "PULSE_SERVER=",
                        "PULSE_SINK=",
                        "PULSE_SOURCE=",
                        "PULSE_COOKIE=",
                        "DBUS_SESSION_BUS_ADDRESS=",
                        "DISPLAY=",
                        "WAYLAND_DISPLAY="};
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

}  // namespace sensix::testing
