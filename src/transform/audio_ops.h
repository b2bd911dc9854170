// Audio operations used by the transform planner. Pure and individually tested against
// independently computed values (sox for resampling, hand-computed cases for the rest).
//
// Samples are float32; multi-channel audio is interleaved. Each class keeps the state of one
// stream; use one instance per stream.
//
// Thread-safety: none per instance; distinct instances are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

// Mixes interleaved audio from `in_channels` to `out_channels`:
//   N -> 1: the mean of all channels; 1 -> N: the mono signal copied to every channel;
//   N -> N: unchanged. Other combinations are rejected by create().
class ChannelMixer {
 public:
  static Result<ChannelMixer> create(int in_channels, int out_channels);
  // Appends to `out` (does not clear it). `in` holds whole frames of in_channels() samples; a
  // trailing partial frame is ignored (callers check the row width first).
  void process(std::span<const float> in, std::vector<float>* out) const;
  int in_channels() const { return in_; }
  int out_channels() const { return out_; }

 private:
  ChannelMixer(int in, int out) : in_(in), out_(out) {}
  int in_;
  int out_;
};

// Picks channels out of interleaved audio: output channel i is input channel channels[i]
// (0-based; an input channel may be taken more than once). create() rejects an empty list and an
// index outside [0, in_channels).
class ChannelSelector {
 public:
  static Result<ChannelSelector> create(int in_channels, std::vector<int> channels);
  // Appends to `out` (does not clear it); `in` holds whole frames of in_channels() samples.
  void process(std::span<const float> in, std::vector<float>* out) const;
  int in_channels() const { return in_; }
  int out_channels() const { return static_cast<int>(channels_.size()); }

 private:
  ChannelSelector(int in, std::vector<int> channels) : in_(in), channels_(std::move(channels)) {}
  int in_;
  std::vector<int> channels_;
};

// Streaming sample-rate conversion with libsoxr (SOXR_HQ: 20-bit, linear phase). The output is
// aligned with the input (soxr compensates its filter delay), so the n-th output sample is
// at time n / out_rate. flush() drains the filter at the end of a stream and makes the
// instance ready for a new stream. in_rate == out_rate is a pass-through with the same API
// behaviour (same validation; flush() appends nothing).
// create() rejects rates outside [1, 1'000'000] Hz, ratios beyond 256:1 either way and channel
// counts outside [1, 64]; process() rejects input that is not whole frames. A failure inside
// soxr is kInternal.
class Resampler {
 public:
  static Result<std::unique_ptr<Resampler>> create(int in_rate, int out_rate, int channels);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Appends the resampled samples that are ready to `out`.
  Status process(std::span<const float> in, std::vector<float>* out);
  Status flush(std::vector<float>* out);

  int in_rate() const { return in_rate_; }
  int out_rate() const { return out_rate_; }
  int channels() const { return channels_; }

 private:
  Resampler(int in_rate, int out_rate, int channels, void* soxr);
  // Runs soxr over `frames` frames of `in` (nullptr: end of input) until all input is taken
  // and all ready output is appended.
  Status run(const float* in, size_t frames, std::vector<float>* out);
  int in_rate_;
  int out_rate_;
  int channels_;
  void* soxr_;  // soxr_t; nullptr for the pass-through
};

// One window produced by a Windower.
struct Window {
  std::vector<float> data;  // window * row_width values, oldest row first
  int64_t end_ns = 0;       // the timestamp given with the block that supplied the window's last row
  int64_t rows_total = 0;   // number of real rows pushed so far when this window was cut
};

// Cuts a stream of rows (audio: one row = one sample of `row_width` channels; a model's output:
// one row = its last dimension) into windows of `spec.window` rows every `spec.hop` rows.
//   prefill none:  the first window is cut when `window` rows have arrived;
//   prefill value: the window starts full of that value, the first window is cut after `hop` rows.
// flush() cuts one last window from the rows that arrived since the last window, padded with
// zeros, if there are any (used at the end of a finite recording): the stream is continued with
// zero rows up to the next cut, so the last window stays on the hop grid. flush() then resets
// the windower to its initial state (prefill, counters), ready for a new stream.
// create() rejects window < 1, hop outside [1, window], row_width < 1, window * row_width above
// 16M values and a non-finite prefill value; push() rejects data that is not whole rows.
// Memory: one buffer of 2 * window rows allocated by create(); pushes do not allocate except
// for the windows they emit (one contiguous vector each).
class Windower {
 public:
  static Result<Windower> create(const WindowSpec& spec, int row_width);

  // `data` holds a whole number of rows; `end_ns` is the time of the end of this block.
  // Appends every window that became complete to `out`.
  Status push(std::span<const float> data, int64_t end_ns, std::vector<Window>* out);
  void flush(std::vector<Window>* out);

  int row_width() const { return row_width_; }
  const WindowSpec& spec() const { return spec_; }

 private:
  Windower(const WindowSpec& spec, int row_width);
  void reset();
  // Appends n rows (nullptr: zero rows), n <= window, keeping only the last `window` rows.
  void append(const float* rows, size_t n);
  void cut(int64_t end_ns, std::vector<Window>* out);

  WindowSpec spec_;
  int row_width_;
  std::vector<float> buf_;  // 2 * window rows; valid rows are [head_, head_ + filled_)
  size_t head_ = 0;         // first valid row in buf_
  size_t filled_ = 0;       // valid rows (counting prefill), at most `window`
  size_t until_cut_ = 0;    // rows still needed before the next window is cut
  int64_t since_last_ = 0;  // real rows since the last window was cut
  int64_t rows_total_ = 0;
  int64_t last_end_ns_ = 0;  // end_ns of the last block that carried rows
};

// Multiplies every value by `factor` in place (e.g. 32768 for int16-scale models).
void scale_in_place(std::span<float> data, float factor);

}  // namespace sensix
