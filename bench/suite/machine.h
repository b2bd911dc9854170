// The machine a benchmark ran on, and what it measures processes with: process CPU (getrusage),
// memory (PSS and RSS from /proc/PID/smaps_rollup, summed over a process and its descendants, so a
// model's worker processes count towards the server that started them), and core pinning.
//
// PSS (proportional set size) charges each shared page (a library mapped by ten processes) a tenth
// to each, so the PSS of several processes adds up to what they use together; RSS counts every
// shared page in full in each process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sensix::bench {

struct MachineInfo {
  std::string cpu_model;     // /proc/cpuinfo "model name"
  int cores = 0;             // online cores
  int64_t memory_bytes = 0;  // MemTotal
  std::string kernel;        // uname -r
  std::string date;          // UTC, ISO 8601
  std::string git_revision;  // full commit hash ("unknown (not a git checkout)" outside git)
  bool dirty = false;        // tracked files (not bench/reports, bench/results) differ from that commit
  std::vector<int> pinned;   // the cores this process (and every child) is pinned to
};

// Describes this machine; `source_dir` is the git checkout the benchmark was built from.
MachineInfo describe_machine(const std::string& source_dir);

// The top of a benchmark's report: "# title", a warning when the tree differs from its commit, and
// bullets: the machine, kernel, date, commit, `command` (as run), each of `extra` ("Load generator:
// wrk 4.1.0"), the load average at the start (`load_at_start`) and now, and the run time.
std::string report_header(const MachineInfo& m, const std::string& title, const std::string& command,
                          const std::vector<std::string>& extra, const std::string& load_at_start, double seconds);

// The value of "Key:   123 kB" in a /proc file (/proc/meminfo, /proc/PID/status), in bytes; 0 when
// absent.
int64_t proc_kb_field(const std::string& path, const std::string& key);

// Sleeps `s` seconds.
void sleep_s(double s);
// Bytes in (decimal) megabytes, for reports.
double mb(int64_t bytes);

// Seconds on the steady clock since `t0`.
double since(std::chrono::steady_clock::time_point t0);

// Pins the calling thread, hence every thread and process it starts later, to every core it may
// run on (sched_getaffinity), so both sides of a comparison share the same cores. Returns them.
std::vector<int> pin_to_all_cores();

// CPU seconds (user + system) of this process so far.
double process_cpu_seconds();

// "0.12 0.30 0.41 (1, 5, 15 min)" from /proc/loadavg, or "unknown".
std::string load_average();
// The 1-minute load average, or -1 when unknown.
double load_1min();
// Waits (up to `max_seconds`) for the 1-minute load average to fall to 0.5 per core: anything else
// running on these cores disturbs both sides of a comparison. Returns the load then.
double wait_for_quiet(int cores, double max_seconds);

struct MemorySample {
  int64_t pss_bytes = 0;
  int64_t rss_bytes = 0;
  int processes = 0;  // how many processes were summed (the root and its descendants)
};

// PSS and RSS of `pid` and every process descended from it (0s when it has gone).
MemorySample process_tree_memory(pid_t pid);

// "1.2 GiB", "340 MiB"
std::string format_bytes(int64_t bytes);

// "0-1", "0,2-3"
std::string format_cores(const std::vector<int>& cores);

}  // namespace sensix::bench
