#include "suite/processes.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace sensix::bench {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

}  // namespace

Result<GroupResult> run_processes(const std::vector<ProcessSpec>& specs, std::chrono::seconds timeout,
                                  std::chrono::milliseconds sample_every) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("sensix-bench-procs-{}", ::getpid());
  fs::create_directories(dir);
  struct Running {
    pid_t pid = 0;
    bool done = false;
    ProcessResult result;
    fs::path out, err;
  };
  std::vector<Running> procs(specs.size());
  const auto t0 = std::chrono::steady_clock::now();
  auto kill_started = [&] {
    for (auto& r : procs) {
      if (r.pid > 0 && !r.done) {
        ::kill(r.pid, SIGKILL);
        ::waitpid(r.pid, nullptr, 0);
      }
    }
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    Running& r = procs[i];
    r.result.name = specs[i].name;
    r.out = dir / fmt::format("{}.out", i);
    r.err = dir / fmt::format("{}.err", i);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, r.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, r.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (const auto& a : specs[i].argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&r.pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      r.pid = 0;
      kill_started();
      return Internal(fmt::format("cannot start {} ({}): {}", specs[i].argv[0], specs[i].name, std::strerror(rc)));
    }
  }
  GroupResult g;
  size_t left = procs.size();
  auto next_sample = t0;
  while (left > 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now - t0 > timeout) {
      g.timed_out = true;
      kill_started();
      for (auto& r : procs) {
        if (!r.done) {
          r.done = true;
          r.result.signal = SIGKILL;
          r.result.wall_s = std::chrono::duration<double>(now - t0).count();
        }
      }
      break;
    }
    if (now >= next_sample) {
      // Every running process at this instant; the group's peak is the largest of these sums.
      MemorySample sum;
      for (auto& r : procs) {
        if (r.done) continue;
        const MemorySample m = process_tree_memory(r.pid);
        if (m.pss_bytes > r.result.peak.pss_bytes) r.result.peak = m;
        sum.pss_bytes += m.pss_bytes;
        sum.rss_bytes += m.rss_bytes;
        sum.processes += m.processes;
      }
      if (sum.pss_bytes > g.peak_sum.pss_bytes) {
        g.peak_sum.pss_bytes = sum.pss_bytes;
        g.peak_sum.processes = sum.processes;
      }
      g.peak_sum.rss_bytes = std::max(g.peak_sum.rss_bytes, sum.rss_bytes);
      next_sample = now + sample_every;
    }
    for (auto& r : procs) {
      if (r.done) continue;
      int status = 0;
      rusage ru{};
      const pid_t w = ::wait4(r.pid, &status, WNOHANG, &ru);
      if (w != r.pid) continue;
      r.done = true;
      left--;
      r.result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      r.result.cpu_s = seconds(ru.ru_utime) + seconds(ru.ru_stime);
      if (WIFEXITED(status)) r.result.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) r.result.signal = WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& r : procs) {
    r.result.out = read_file(r.out);
    std::string err = read_file(r.err);
    if (err.size() > 2000) err = err.substr(err.size() - 2000);
    r.result.err = std::move(err);
    g.wall_s = std::max(g.wall_s, r.result.wall_s);
    g.cpu_s += r.result.cpu_s;
    g.processes.push_back(std::move(r.result));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return g;
}

}  // namespace sensix::bench
