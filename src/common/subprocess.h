// run_process: runs a program (no shell: argv as given) and waits for it, with a time limit.
// Its standard output goes to `on_output` as it comes (or is discarded); its standard error is
// kept (the last 4 KiB) for the error message. Used by the model store for `npm pack` and `tar`.
//
// The child gets /dev/null as its standard input, the given working folder, the parent's
// environment, and its own process group, so that a time-out kills what it started too.
//
// Thread-safety: a free function; many may run at once.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace sensix {

struct ProcessOptions {
  std::string cwd;  // empty: the caller's
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  // Called with each chunk of standard output; a non-Ok return stops the child (killed) and is returned.
  std::function<Status(std::span<const char>)> on_output;
};

struct ProcessResult {
  int exit_code = 0;         // the child's exit status; 128 + N when signal N ended it
  std::string error_output;  // the last 4 KiB of its standard error
};

// NotFound when the program cannot be started (not on $PATH); Unavailable when it ran past the
// time limit (it is killed); the on_output error when that stopped it; otherwise how it ended
// (a non-zero exit is not an error here: the caller names what failed).
Result<ProcessResult> run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace sensix
