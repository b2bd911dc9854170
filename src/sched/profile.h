// Profile: what one model costs on one accelerator, measured online (every run the scheduler
// makes, plus the warm-up runs at load). Per batch size: runs and an exponentially weighted mean
// (weight 1/8, so it follows a change of load within a few dozen runs); overall: a latency
// histogram and the best run. predict() is what the scheduler plans with.
//
// Thread-safety: none; the scheduler updates and reads profiles under its lock.
#pragma once

#include <cstdint>
#include <map>

#include "common/histogram.h"

namespace sensix {

class Profile {
 public:
  void record(int batch, int64_t ns);
  // Expected time of one run of `batch` inputs: the mean at that size; else the nearest measured
  // size scaled linearly; 0 when nothing was measured yet.
  int64_t predict(int batch) const;
  int64_t best_ns() const { return best_ns_; }  // fastest single-input run; 0 = none yet
  uint64_t runs() const { return runs_; }
  const LatencyHistogram& latency() const { return latency_; }  // per run, any batch size
  // latency()'s 90th percentile, recomputed every max(1, runs / 64) runs: it moves slowly once
  // many runs are in, and admitting a request asks for it at every run.
  int64_t p90_ns() const;
  // The current mean run time per batch size measured so far.
  std::map<int, int64_t> means() const;

 private:
  struct Size {
    uint64_t runs = 0;
    double mean_ns = 0;
  };
  std::map<int, Size> sizes_;
  LatencyHistogram latency_;
  int64_t best_ns_ = 0;
  uint64_t runs_ = 0;
  mutable int64_t p90_ns_ = 0;
  mutable uint64_t p90_runs_ = 0;  // runs_ when p90_ns_ was computed
};

}  // namespace sensix
