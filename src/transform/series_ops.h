// Time-series operations: numeric sensor readings (an IMU's accelerometer and gyroscope, a
// temperature probe) arrive timestamped and irregularly (e.g. over MQTT); models want them at a
// fixed rate. SeriesResampler puts them on a regular grid; the Windower (audio_ops.h) then cuts
// sliding windows of rows, and FeatureNormalizer (audio_features.h) normalises per channel.
//
// Thread-safety: none per instance; distinct instances are independent.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace sensix {

// Linear interpolation of timestamped multi-channel samples onto the grid t0 + k / rate, where t0
// is the time of the first sample (and of the first sample after a gap). A grid point is emitted
// once a sample at or after it has arrived, interpolated between the samples on either side, so
// every output row lies between two real readings (no extrapolation).
// A gap longer than `max_gap_ns` between consecutive samples is not bridged: the grid restarts at
// the sample after the gap (counted in gaps()).
// push() rejects (and ignores) a sample whose time is not after the previous one, or whose
// value count is not `channels`, or that holds a non-finite value; the stream goes on.
// create() rejects a rate outside (0, 1 MHz], channels outside [1, 1024], max_gap_ns <= 0.
class SeriesResampler {
 public:
  static Result<SeriesResampler> create(double rate_hz, int channels, int64_t max_gap_ns);

  // Appends the rows that became complete to `rows` (channels() values each) and their grid
  // times to `times` (may be null).
  Status push(int64_t t_ns, std::span<const float> values, std::vector<float>* rows, std::vector<int64_t>* times);
  void reset();

  int channels() const { return channels_; }
  double rate_hz() const { return rate_hz_; }
  uint64_t gaps() const { return gaps_; }

 private:
  SeriesResampler(double rate_hz, int channels, int64_t max_gap_ns)
      : rate_hz_(rate_hz), channels_(channels), max_gap_ns_(max_gap_ns) {}
  // The time of grid point k since the grid started.
  int64_t grid_time(int64_t k) const;

  double rate_hz_;
  int channels_;
  int64_t max_gap_ns_;
  bool have_previous_ = false;
  int64_t previous_t_ = 0;
  std::vector<float> previous_;
  int64_t grid_start_ = 0;
  int64_t next_k_ = 0;  // the next grid point to emit
  uint64_t gaps_ = 0;
};

}  // namespace sensix
