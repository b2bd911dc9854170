// ProcessStats: this process's CPU time, memory, start time, open files and threads, read from
// /proc (Linux only), for the daemon's /metrics (process_* families).
//
// Thread-safety: read_process_stats() may be called from any thread.
#pragma once

#include <cstdint>

#include "common/status.h"

namespace sensix {

struct ProcessStats {
  double cpu_seconds = 0;          // user + system CPU time of every thread (/proc/self/stat utime + stime)
  int64_t rss_bytes = 0;           // resident memory now (/proc/self/status VmRSS)
  int64_t virtual_bytes = 0;       // virtual memory size (/proc/self/stat vsize)
  int64_t start_time_unix_ns = 0;  // the start, ns since the Unix epoch: boot time (/proc/stat btime, whole
                                   // seconds) + starttime ticks, so within a second of the truth
  int open_fds = 0;                // entries of /proc/self/fd (not counting the one that lists them)
  int threads = 0;                 // /proc/self/stat num_threads
};

// Reads them now. Fails (Unavailable) when /proc cannot be read or parsed.
Result<ProcessStats> read_process_stats();

}  // namespace sensix
