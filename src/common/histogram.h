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
  // The sum of every sample recorded (negative samples count as 0, as in record()).
  int64_t sum_ns() const { return sum_; }
  // How many samples are at most `ns`, as the histogram reports them: each sample counts as its
  // bucket's middle clamped to [min, max] (the value percentile_ns reports for it), so a bucket
  // straddling `ns` counts whole if its middle is <= ns and not at all otherwise; every sample
  // counts when ns >= max, none when ns < min. Only samples in the bucket holding `ns` (at most
  // 1/16 of ns wide; none below 16 ns, where buckets are exact) can be miscounted. Monotone in `ns`;
  // 0 when empty. For cumulative buckets (Prometheus `le`).
  int64_t count_at_most(int64_t ns) const;

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
