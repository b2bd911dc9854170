// A benchmark's parts, run in turn: each logged to standard error as it starts and ends, and a part
// that fails leaves its reason in the report (serve_bench.cpp, deploy_bench.cpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace sensix::bench {

struct Part {
  const char* name;
  std::function<bool()> fn;  // true: measured; false: failed, the reason in the caller's `failure`
};

// Runs `parts` in turn, logging "TAG: NAME..." and "TAG: NAME measured|FAILED (S s)"; after a part
// that fails, "**Part "NAME" failed:** `failure`" goes into `sections`. How many were measured.
int run_parts(const char* tag, const std::vector<Part>& parts, const std::string& failure, std::string* sections);

}  // namespace sensix::bench
