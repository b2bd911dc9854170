#include "suite/machine.h"

#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace sensix::bench {
namespace {

// The first line a shell command prints, without its newline ("" on failure).
std::string first_line_of(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    std::array<char, 512> buf{};
    if (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) out = buf.data();
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Parent pid of every process now running.
std::map<pid_t, pid_t> parents() {
  std::map<pid_t, pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    std::ifstream f(fmt::format("/proc/{}/stat", pid));
    std::string stat;
    std::getline(f, stat);
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream in(stat.substr(close + 1));
    std::string state;
    long ppid = 0;
    in >> state >> ppid;
    out[static_cast<pid_t>(pid)] = static_cast<pid_t>(ppid);
  }
  ::closedir(d);
  return out;
}

}  // namespace

int64_t proc_kb_field(const std::string& path, const std::string& key) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream in(line.substr(key.size() + 1));
      int64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

MachineInfo describe_machine(const std::string& source_dir) {
  MachineInfo m;
  m.cpu_model = "unknown CPU";
  {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("model name", 0) == 0) {
        const size_t colon = line.find(':');
        if (colon != std::string::npos) m.cpu_model = line.substr(colon + 2);
        break;
      }
    }
  }
  m.cores = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  m.memory_bytes = proc_kb_field("/proc/meminfo", "MemTotal");
  utsname u{};
  if (::uname(&u) == 0) m.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::array<char, 32> date{};
  std::strftime(date.data(), date.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
  m.date = date.data();
  const std::string git = fmt::format("git -C '{}' ", source_dir);
  m.git_revision = first_line_of(git + "rev-parse HEAD 2>/dev/null");
  if (m.git_revision.empty()) {
    m.git_revision = "unknown (not a git checkout)";
  } else {
    // The benchmarks' own reports (bench/reports, bench/results) do not count: `make bench` writes
    // the other reports before the suite runs, and they are outputs, not what is measured.
    m.dirty = !first_line_of(git +
                             "status --porcelain --untracked-files=no -- . ':(exclude)bench/reports' "
                             "':(exclude)bench/results' 2>/dev/null")
                   .empty();
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) m.pinned.push_back(c);
    }
  }
  return m;
}

std::vector<int> pin_to_all_cores() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<int> cores;
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return cores;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cores.push_back(c);
  }
  ::sched_setaffinity(0, sizeof(allowed), &allowed);
  return cores;
}

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a.empty() ? "unknown" : fmt::format("{} {} {} (1, 5, 15 min)", a, b, c);
}

double load_1min() {
  std::ifstream f("/proc/loadavg");
  double a = -1;
  f >> a;
  return f ? a : -1;
}

double wait_for_quiet(int cores, double max_seconds) {
  const double per_core = 0.5 * std::max(cores, 1);
  const auto w0 = std::chrono::steady_clock::now();
  while (load_1min() > per_core &&
         std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count() < max_seconds) {
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }
  return load_1min();
}

MemorySample process_tree_memory(pid_t pid) {
  MemorySample s;
  const auto ppid = parents();
  std::vector<pid_t> tree = {pid};
  for (size_t i = 0; i < tree.size(); ++i) {
    for (const auto& [child, parent] : ppid) {
      if (parent == tree[i]) tree.push_back(child);
    }
  }
  for (pid_t p : tree) {
    const std::string rollup = fmt::format("/proc/{}/smaps_rollup", p);
    const int64_t rss = proc_kb_field(rollup, "Rss");
    if (rss == 0) continue;  // gone, or a zombie
    s.rss_bytes += rss;
    s.pss_bytes += proc_kb_field(rollup, "Pss");
    s.processes++;
  }
  return s;
}

std::string format_bytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
  return fmt::format("{:.0f} MiB", b / (1024.0 * 1024));
}

std::string format_cores(const std::vector<int>& cores) {
  std::string out;
  for (size_t i = 0; i < cores.size();) {
    size_t j = i;
    while (j + 1 < cores.size() && cores[j + 1] == cores[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += j == i ? fmt::format("{}", cores[i]) : fmt::format("{}-{}", cores[i], cores[j]);
    i = j + 1;
  }
  return out;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string report_header(const MachineInfo& m, const std::string& title, const std::string& command,
                          const std::vector<std::string>& extra, const std::string& load_at_start, double seconds) {
  std::string out = "# " + title + "\n\n";
  if (m.dirty) {
    out += fmt::format("**Measured on a tree that differs from commit {}: these figures belong to no commit.**\n\n",
                       m.git_revision.substr(0, 12));
  }
  out += fmt::format("- Machine: {}, {} cores, {} memory\n- Kernel: {}\n- Date: {}\n- Commit: {}{}\n- Command: `{}`\n",
                     m.cpu_model, m.cores, format_bytes(m.memory_bytes), m.kernel, m.date, m.git_revision.substr(0, 12),
                     m.dirty ? " + local changes" : "", command);
  for (const std::string& e : extra) out += "- " + e + "\n";
  out += fmt::format("- Load average at the start: {}; at the end: {}\n- Run time: {:.0f} s\n\n", load_at_start,
                     load_average(), seconds);
  return out;
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

double mb(int64_t bytes) { return static_cast<double>(bytes) / 1e6; }

}  // namespace sensix::bench
