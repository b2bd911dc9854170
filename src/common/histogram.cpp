#include "common/histogram.h"

#include <algorithm>
#include <bit>

namespace sensix {

int LatencyHistogram::bucket_of(uint64_t v) {
  if (v < kSub) return static_cast<int>(v);
  int msb = 63 - std::countl_zero(v);  // >= kSubBits
  int shift = msb - kSubBits;          // drop all but kSubBits bits below the msb
  int sub = static_cast<int>((v >> shift) & (kSub - 1));
  return (shift + 1) * kSub + sub;
}

uint64_t LatencyHistogram::bucket_lower(int b) {
  if (b < kSub) return static_cast<uint64_t>(b);
  const int shift = b / kSub - 1;
  const uint64_t sub = static_cast<uint64_t>(b % kSub);
  return (uint64_t{kSub} | sub) << shift;
}

// The bucket holds [lower, lower + 2^shift - 1]; its middle is at most half a width, 1/32 of
// lower, from any value in it.
uint64_t LatencyHistogram::bucket_middle(int b) {
  if (b < kSub) return static_cast<uint64_t>(b);
  const int shift = b / kSub - 1;
  return bucket_lower(b) + (((uint64_t{1} << shift) - 1) >> 1);
}

void LatencyHistogram::record(int64_t ns) {
  if (ns < 0) ns = 0;
  buckets_[static_cast<size_t>(bucket_of(static_cast<uint64_t>(ns)))]++;
  count_++;
  sum_ += ns;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

int64_t LatencyHistogram::percentile_ns(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<int64_t>(p / 100.0 * static_cast<double>(count_) + 0.5);
  rank = std::clamp<int64_t>(rank, 1, count_);
  if (rank == count_) return max_;  // the largest and smallest samples are known exactly
  if (rank == 1) return min_;
  int64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<size_t>(b)];
    if (seen >= rank) {
      auto v = static_cast<int64_t>(bucket_middle(b));
      return std::clamp(v, min_, max_);
    }
  }
  return max_;
}

int64_t LatencyHistogram::count_at_most(int64_t ns) const {
  if (count_ == 0 || ns < min_) return 0;
  if (ns >= max_) return count_;
  // min_ <= ns < max_: a bucket counts when its middle, clamped to [min_, max_], is <= ns; the clamp
  // to max_ cannot bring a middle down to ns or below here, and the one to min_ only raises it to min_ <= ns.
  int64_t n = 0;
  for (int b = 0; b < kBuckets; ++b) {
    if (bucket_middle(b) > static_cast<uint64_t>(ns)) break;  // middles grow with b
    n += buckets_[static_cast<size_t>(b)];
  }
  return n;
}

}  // namespace sensix
