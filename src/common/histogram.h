// LatencyHistogram: count, mean, min/max and percentiles of durations in nanoseconds, in
// constant memory. Buckets are log-linear (16 sub-buckets per power of two: a bucket is at most
// 1/16 of its lower edge wide), and a percentile is reported as its bucket's middle, so it is
// within 1/32 (3.125%) of the true sample's value (exact below 16 ns). Used for every per-model and per-node
// latency figure.
//
// Thread-safety: none; the owner serialises access (stats are updated under the owner's lock).
#pragma once

#include <array>
#include <cstdint>

namespace sensix {

class LatencyHistogram {
 public:
  void record(int64_t ns);
  void merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  double mean_ns() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  int64_t min_ns() const { return count_ ? min_ : 0; }
  int64_t max_ns() const { return max_; }
  // p in [0, 100]. Returns 0 when empty. The value returned is the middle of the bucket
  // holding the p-th percentile sample (nearest rank), clamped to [min, max]; the first and last
  // ranks are the exact min and max.
  int64_t percentile_ns(double p) const;

 private:
  static constexpr int kSubBits = 4;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = 64 * kSub;
  static int bucket_of(uint64_t v);
  static uint64_t bucket_lower(int b);
  static uint64_t bucket_middle(int b);

  std::array<int64_t, kBuckets> buckets_{};
  int64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
};

}  // namespace sensix
