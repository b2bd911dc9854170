#include "transform/series_ops.h"

#include <cmath>

#include <fmt/format.h>

namespace sensix {

Result<SeriesResampler> SeriesResampler::create(double rate_hz, int channels, int64_t max_gap_ns) {
  if (!std::isfinite(rate_hz) || rate_hz <= 0.0 || rate_hz > 1e6) {
    return InvalidArgument(fmt::format("series rate must be above 0 and at most 1000000 Hz, got {}", rate_hz));
  }
  if (channels < 1 || channels > 1024) {
    return InvalidArgument(fmt::format("series channels must be in [1, 1024], got {}", channels));
  }
  if (max_gap_ns <= 0) return InvalidArgument(fmt::format("the longest gap must be positive, got {} ns", max_gap_ns));
  return SeriesResampler(rate_hz, channels, max_gap_ns);
}

void SeriesResampler::reset() {
  have_previous_ = false;
  previous_.clear();
  next_k_ = 0;
}

int64_t SeriesResampler::grid_time(int64_t k) const {
  // Computed from k each time (no accumulated rounding): t0 + round(k * 1e9 / rate).
  return grid_start_ + static_cast<int64_t>(std::llround(static_cast<double>(k) * 1e9 / rate_hz_));
}

Status SeriesResampler::push(int64_t t_ns, std::span<const float> values, std::vector<float>* rows,
                             std::vector<int64_t>* times) {
  if (static_cast<int>(values.size()) != channels_) {
    return InvalidArgument(fmt::format("a series sample must have {} value{}, got {}", channels_,
                                       channels_ == 1 ? "" : "s", values.size()));
  }
  for (size_t c = 0; c < values.size(); ++c) {
    if (!std::isfinite(values[c])) return InvalidArgument(fmt::format("series value {} is not finite", c));
  }
  if (have_previous_ && t_ns <= previous_t_) {
    return InvalidArgument(
        fmt::format("series sample at {} ns is not after the previous one at {} ns", t_ns, previous_t_));
  }
  if (have_previous_ && t_ns - previous_t_ > max_gap_ns_) {
    ++gaps_;
    have_previous_ = false;  // restart the grid at this sample
  }
  if (!have_previous_) {
    grid_start_ = t_ns;
    next_k_ = 0;
  }
  // Emit every grid point in (previous, t_ns], or the first one at t_ns itself.
  for (int64_t g = grid_time(next_k_); g <= t_ns; g = grid_time(++next_k_)) {
    if (g == t_ns || !have_previous_) {
      rows->insert(rows->end(), values.begin(), values.end());
    } else {
      const double w = static_cast<double>(g - previous_t_) / static_cast<double>(t_ns - previous_t_);
      for (int c = 0; c < channels_; ++c) {
        const double a = previous_[static_cast<size_t>(c)];
        rows->push_back(static_cast<float>(a + (static_cast<double>(values[static_cast<size_t>(c)]) - a) * w));
      }
    }
    if (times) times->push_back(g);
  }
  previous_.assign(values.begin(), values.end());
  previous_t_ = t_ns;
  have_previous_ = true;
  return Status::Ok();
}

}  // namespace sensix
