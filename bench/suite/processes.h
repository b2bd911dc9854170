// Runs a group of commands as concurrent OS processes, the way a benchmark compares one server
// with several separate services: every process starts at once (inheriting the benchmark's core
// pinning), its stdout and stderr go to files, and while they run the group samples each one's
// memory (PSS and RSS of the process and its descendants), all of them at the same instants. When
// all have exited it reports each one's exit status, wall time, CPU (wait4's rusage: the process
// and the children it waited for), its own peak memory and the group's: the largest sum of the
// samples taken at one instant (what the group used together at its peak, not the sum of peaks
// reached at different times).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "suite/machine.h"

namespace sensix::bench {

struct ProcessSpec {
  std::string name;               // for the report
  std::vector<std::string> argv;  // argv[0] is the executable's path
};

struct ProcessResult {
  std::string name;
  int exit_code = -1;  // -1 when killed by a signal (`signal` says which)
  int signal = 0;
  double wall_s = 0;  // from the group's start to this process's exit
  double cpu_s = 0;   // user + system
  MemorySample peak;  // the largest PSS sample (with the RSS of that sample)
  std::string out;    // everything it printed on stdout
  std::string err;    // the last 2000 characters of its stderr
};

struct GroupResult {
  std::vector<ProcessResult> processes;
  double wall_s = 0;       // until the last exited
  double cpu_s = 0;        // summed
  MemorySample peak_sum;   // the largest sum over the processes of the samples taken at one instant
                           // (PSS; RSS: its own largest same-instant sum, `processes` at that PSS peak)
  bool timed_out = false;  // the group was killed at the timeout
};

// Starts every command, waits for all (killing all after `timeout`), samples memory every
// `sample_every`. Fails only when a process cannot be started; exit codes are in the result.
Result<GroupResult> run_processes(const std::vector<ProcessSpec>& specs, std::chrono::seconds timeout,
                                  std::chrono::milliseconds sample_every = std::chrono::milliseconds(200));

}  // namespace sensix::bench
