// One lossless run of a document set for the benchmarks: every sensor replayed once, as fast as
// the models take it (RuntimeOptions speed 0, no loop; nothing dropped), with the process's CPU time
// (getrusage user + system, every thread) from start() until every graph has drained: loading the
// models (Runtime::create) is not counted. Records every prediction, so that two plans of the same
// work (sharing on and off) can be checked to predict the same.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/runtime.h"
#include "spec/spec.h"
#include "suite/machine.h"  // process_cpu_seconds

namespace sensix::bench {

struct LosslessRun {
  double cpu_s = 0;
  double wall_s = 0;
  int models = 0;           // models the plan runs
  int plan_nodes = 0;       // nodes of the plan (sensors, transform steps, models)
  uint64_t model_runs = 0;  // inferences, every model
  uint64_t model_errors = 0;
  // Per model, each prediction as "<media_ns> <label>:<score> ...", in media-time order.
  std::map<std::string, std::vector<std::string>> predictions;

  size_t count(const std::string& model) const;
};

// `options.speed` and `options.loop` are set here (0, false); the rest is the caller's (e.g. share).
Result<LosslessRun> run_lossless(const DocumentSet& docs, RuntimeOptions options);

// "" when `a` and `b` made the same predictions (media time, labels, scores to 3 decimals) for
// every model in `models`; else the first difference.
std::string prediction_difference(const LosslessRun& a, const LosslessRun& b, const std::vector<std::string>& models);

}  // namespace sensix::bench
