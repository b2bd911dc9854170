#include "transform/audio_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <soxr.h>
#include <fmt/format.h>

namespace sensix {
namespace {

constexpr int kMaxChannels = 64;
constexpr int kMaxRate = 1'000'000;
constexpr int kMaxRatio = 256;
constexpr int64_t kMaxWindowValues = int64_t{1} << 24;
// Output frames reserved beyond the expected count on each soxr call; soxr releases at most
// about one filter length of held-back output, which this covers in a few rounds.
constexpr size_t kOutputSlackFrames = 1024;
constexpr int kMaxSoxrRounds = 1 << 20;

soxr_t as_soxr(void* p) { return static_cast<soxr_t>(p); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// ChannelMixer

Result<ChannelMixer> ChannelMixer::create(int in_channels, int out_channels) {
  if (in_channels < 1 || in_channels > kMaxChannels || out_channels < 1 || out_channels > kMaxChannels) {
    return InvalidArgument(fmt::format("cannot mix {} channels to {}: channel counts must be between 1 and {}",
                                       in_channels, out_channels, kMaxChannels));
  }
  if (in_channels != out_channels && in_channels != 1 && out_channels != 1) {
    return InvalidArgument(
        fmt::format("cannot mix {} channels to {}: only N -> 1 (mean), 1 -> N (copy) and N -> N are supported",
                    in_channels, out_channels));
  }
  return ChannelMixer(in_channels, out_channels);
}

Result<ChannelSelector> ChannelSelector::create(int in_channels, std::vector<int> channels) {
  if (in_channels < 1 || in_channels > kMaxChannels) {
    return InvalidArgument(
        fmt::format("cannot select from {} channels: between 1 and {} are supported", in_channels, kMaxChannels));
  }
  if (channels.empty() || channels.size() > static_cast<size_t>(kMaxChannels)) {
    return InvalidArgument(fmt::format("select 1 to {} channels, not {}", kMaxChannels, channels.size()));
  }
  for (int c : channels) {
    if (c < 0 || c >= in_channels) {
      return InvalidArgument(fmt::format("channel {} does not exist: the audio has {} channel(s), numbered 0 to {}", c,
                                         in_channels, in_channels - 1));
    }
  }
  return ChannelSelector(in_channels, std::move(channels));
}

void ChannelSelector::process(std::span<const float> in, std::vector<float>* out) const {
  const size_t ic = static_cast<size_t>(in_);
  const size_t oc = channels_.size();
  const size_t frames = in.size() / ic;
  const size_t base = out->size();
  out->resize(base + frames * oc);
  float* dst = out->data() + base;
  for (size_t f = 0; f < frames; ++f) {
    const float* s = in.data() + f * ic;
    for (size_t c = 0; c < oc; ++c) dst[f * oc + c] = s[static_cast<size_t>(channels_[c])];
  }
}

void ChannelMixer::process(std::span<const float> in, std::vector<float>* out) const {
  const size_t ic = static_cast<size_t>(in_);
  const size_t oc = static_cast<size_t>(out_);
  const size_t frames = in.size() / ic;
  const size_t base = out->size();
  out->resize(base + frames * oc);
  float* dst = out->data() + base;
  const float* src = in.data();
  if (ic == oc) {
    std::memcpy(dst, src, frames * ic * sizeof(float));
  } else if (oc == 1) {
    if (ic == 2) {
      for (size_t f = 0; f < frames; ++f) dst[f] = (src[2 * f] + src[2 * f + 1]) * 0.5f;
    } else {
      const float n = static_cast<float>(ic);
      for (size_t f = 0; f < frames; ++f) {
        const float* s = src + f * ic;
        float sum = 0.0f;
        for (size_t c = 0; c < ic; ++c) sum += s[c];
        dst[f] = sum / n;
      }
    }
  } else {  // ic == 1
    for (size_t f = 0; f < frames; ++f) std::fill_n(dst + f * oc, oc, src[f]);
  }
}

// ---------------------------------------------------------------------------------------------
// Resampler

Result<std::unique_ptr<Resampler>> Resampler::create(int in_rate, int out_rate, int channels) {
  if (in_rate < 1 || in_rate > kMaxRate || out_rate < 1 || out_rate > kMaxRate) {
    return InvalidArgument(fmt::format("cannot resample {} Hz to {} Hz: sample rates must be between 1 and {} Hz",
                                       in_rate, out_rate, kMaxRate));
  }
  if (static_cast<int64_t>(in_rate) > static_cast<int64_t>(out_rate) * kMaxRatio ||
      static_cast<int64_t>(out_rate) > static_cast<int64_t>(in_rate) * kMaxRatio) {
    return InvalidArgument(
        fmt::format("cannot resample {} Hz to {} Hz: the ratio exceeds {}:1", in_rate, out_rate, kMaxRatio));
  }
  if (channels < 1 || channels > kMaxChannels) {
    return InvalidArgument(
        fmt::format("cannot resample {} channels: the channel count must be between 1 and {}", channels, kMaxChannels));
  }
  if (in_rate == out_rate) {
    return std::unique_ptr<Resampler>(new Resampler(in_rate, out_rate, channels, nullptr));
  }
  soxr_error_t err = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, SOXR_LINEAR_PHASE);
  const soxr_runtime_spec_t rt = soxr_runtime_spec(1);
  soxr_t s = soxr_create(in_rate, out_rate, static_cast<unsigned>(channels), &err, &io, &q, &rt);
  if (err || !s) {
    if (s) soxr_delete(s);
    return Internal(fmt::format("soxr could not create a {} Hz -> {} Hz resampler: {}", in_rate, out_rate,
                                err ? err : "unknown error"));
  }
  return std::unique_ptr<Resampler>(new Resampler(in_rate, out_rate, channels, s));
}

Resampler::Resampler(int in_rate, int out_rate, int channels, void* soxr)
    : in_rate_(in_rate), out_rate_(out_rate), channels_(channels), soxr_(soxr) {}

Resampler::~Resampler() {
  if (soxr_) soxr_delete(as_soxr(soxr_));
}

Status Resampler::process(std::span<const float> in, std::vector<float>* out) {
  const size_t ch = static_cast<size_t>(channels_);
  if (in.size() % ch != 0) {
    return InvalidArgument(
        fmt::format("resample: {} samples are not a whole number of {}-channel frames", in.size(), channels_));
  }
  if (in.empty()) return Status::Ok();
  if (!soxr_) {
    out->insert(out->end(), in.begin(), in.end());
    return Status::Ok();
  }
  return run(in.data(), in.size() / ch, out);
}

Status Resampler::flush(std::vector<float>* out) {
  if (!soxr_) return Status::Ok();
  Status s = run(nullptr, 0, out);
  // Ready for a new stream with the same configuration, whether or not the drain worked.
  soxr_error_t err = soxr_clear(as_soxr(soxr_));
  if (!s.ok()) return s;
  if (err) return Internal(fmt::format("soxr could not reset after the end of the stream: {}", err));
  return Status::Ok();
}

Status Resampler::run(const float* in, size_t frames, std::vector<float>* out) {
  const size_t ch = static_cast<size_t>(channels_);
  const double ratio = static_cast<double>(out_rate_) / static_cast<double>(in_rate_);
  for (int round = 0; round < kMaxSoxrRounds; ++round) {
    const size_t cap = static_cast<size_t>(std::ceil(static_cast<double>(frames) * ratio)) + kOutputSlackFrames;
    const size_t base = out->size();
    out->resize(base + cap * ch);
    size_t idone = 0;
    size_t odone = 0;
    soxr_error_t err = soxr_process(as_soxr(soxr_), in, in ? frames : 0, &idone, out->data() + base, cap, &odone);
    out->resize(base + odone * ch);
    if (err) return Internal(fmt::format("soxr failed while resampling {} Hz to {} Hz: {}", in_rate_, out_rate_, err));
    if (in) {
      idone = std::min(idone, frames);
      in += idone * ch;
      frames -= idone;
      // Done once all input is taken and soxr had no more output than there was room for.
      if (frames == 0 && odone < cap) return Status::Ok();
    } else if (odone == 0) {
      return Status::Ok();  // drained
    }
  }
  return Internal("soxr made no progress while resampling");
}

// ---------------------------------------------------------------------------------------------
// Windower

Result<Windower> Windower::create(const WindowSpec& spec, int row_width) {
  if (spec.window < 1) return InvalidArgument(fmt::format("window must be at least 1 row, got {}", spec.window));
  if (spec.hop < 1 || spec.hop > spec.window) {
    return InvalidArgument(
        fmt::format("hop must be between 1 and the window ({} rows), got {}", spec.window, spec.hop));
  }
  if (row_width < 1) return InvalidArgument(fmt::format("row width must be at least 1, got {}", row_width));
  if (static_cast<int64_t>(spec.window) * row_width > kMaxWindowValues) {
    return InvalidArgument(fmt::format("a window of {} rows of {} values exceeds the limit of {} values", spec.window,
                                       row_width, kMaxWindowValues));
  }
  if (spec.prefill == Prefill::kValue && !std::isfinite(spec.prefill_value)) {
    return InvalidArgument(fmt::format("prefill value must be finite, got {}", spec.prefill_value));
  }
  return Windower(spec, row_width);
}

Windower::Windower(const WindowSpec& spec, int row_width)
    : spec_(spec), row_width_(row_width), buf_(2 * static_cast<size_t>(spec.window) * static_cast<size_t>(row_width)) {
  reset();
}

void Windower::reset() {
  const size_t window = static_cast<size_t>(spec_.window);
  head_ = 0;
  since_last_ = 0;
  rows_total_ = 0;
  last_end_ns_ = 0;
  if (spec_.prefill == Prefill::kValue) {
    std::fill_n(buf_.begin(), window * static_cast<size_t>(row_width_), spec_.prefill_value);
    filled_ = window;
    until_cut_ = static_cast<size_t>(spec_.hop);
  } else {
    filled_ = 0;
    until_cut_ = window;
  }
}

void Windower::append(const float* rows, size_t n) {
  const size_t rw = static_cast<size_t>(row_width_);
  const size_t window = static_cast<size_t>(spec_.window);
  const size_t cap_rows = 2 * window;
  float* buf = buf_.data();
  if (head_ + filled_ + n > cap_rows) {
    // Compact: keep only the rows that stay within the last `window` after this append. Happens
    // at most once per `window` appended rows, so the cost per row is constant.
    const size_t keep = std::min(filled_, window - n);
    std::memmove(buf, buf + (head_ + filled_ - keep) * rw, keep * rw * sizeof(float));
    head_ = 0;
    filled_ = keep;
  }
  float* dst = buf + (head_ + filled_) * rw;
  if (rows) {
    std::memcpy(dst, rows, n * rw * sizeof(float));
  } else {
    std::fill_n(dst, n * rw, 0.0f);
  }
  filled_ += n;
  if (filled_ > window) {
    head_ += filled_ - window;
    filled_ = window;
  }
}

void Windower::cut(int64_t end_ns, std::vector<Window>* out) {
  const size_t rw = static_cast<size_t>(row_width_);
  const float* first = buf_.data() + head_ * rw;  // filled_ == window here
  Window w;
  w.data.assign(first, first + filled_ * rw);
  w.end_ns = end_ns;
  w.rows_total = rows_total_;
  out->push_back(std::move(w));
  since_last_ = 0;
  until_cut_ = static_cast<size_t>(spec_.hop);
}

Status Windower::push(std::span<const float> data, int64_t end_ns, std::vector<Window>* out) {
  const size_t rw = static_cast<size_t>(row_width_);
  if (data.size() % rw != 0) {
    return InvalidArgument(
        fmt::format("window: {} values are not a whole number of rows of {}", data.size(), row_width_));
  }
  size_t rows = data.size() / rw;
  if (rows == 0) return Status::Ok();
  last_end_ns_ = end_ns;
  const float* p = data.data();
  while (rows > 0) {
    const size_t n = std::min(rows, until_cut_);
    append(p, n);
    p += n * rw;
    rows -= n;
    rows_total_ += static_cast<int64_t>(n);
    since_last_ += static_cast<int64_t>(n);
    until_cut_ -= n;
    if (until_cut_ == 0) cut(end_ns, out);
  }
  return Status::Ok();
}

void Windower::flush(std::vector<Window>* out) {
  if (since_last_ > 0) {
    append(nullptr, until_cut_);
    cut(last_end_ns_, out);
  }
  reset();
}

// ---------------------------------------------------------------------------------------------

void scale_in_place(std::span<float> data, float factor) {
  for (float& v : data) v *= factor;
}

}  // namespace sensix
