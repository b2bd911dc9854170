#include "sched/profile.h"

#include <algorithm>
#include <cstdlib>

namespace sensix {

void Profile::record(int batch, int64_t ns) {
  if (batch < 1 || ns < 0) return;
  Size& s = sizes_[batch];
  s.mean_ns = s.runs == 0 ? static_cast<double>(ns) : s.mean_ns + (static_cast<double>(ns) - s.mean_ns) / 8.0;
  s.runs++;
  runs_++;
  latency_.record(ns);
  if (batch == 1 && (best_ns_ == 0 || ns < best_ns_)) best_ns_ = ns;
}

int64_t Profile::predict(int batch) const {
  if (sizes_.empty() || batch < 1) return 0;
  auto it = sizes_.find(batch);
  if (it != sizes_.end()) return static_cast<int64_t>(it->second.mean_ns);
  const Size* nearest = nullptr;
  int nearest_batch = 0;
  for (const auto& [b, s] : sizes_) {
    if (!nearest || std::abs(b - batch) < std::abs(nearest_batch - batch)) {
      nearest = &s;
      nearest_batch = b;
    }
  }
  return static_cast<int64_t>(nearest->mean_ns * batch / nearest_batch);
}

int64_t Profile::p90_ns() const {
  if (runs_ != p90_runs_ && runs_ - p90_runs_ >= std::max<uint64_t>(1, runs_ / 64)) {
    p90_ns_ = latency_.percentile_ns(90);
    p90_runs_ = runs_;
  }
  return p90_ns_;
}

std::map<int, int64_t> Profile::means() const {
  std::map<int, int64_t> out;
  for (const auto& [b, s] : sizes_) out[b] = static_cast<int64_t>(s.mean_ns);
  return out;
}

}  // namespace sensix
