#include "sensors/replay/synthetic_driver.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <utility>

#include <fmt/format.h>

#include "sensors/replay/media_time.h"

namespace sensix {

namespace {

constexpr double kMaxDurationS = 1e9;  // ~31 years: keeps sample counts far from int64 limits

int64_t image_ns(int64_t n, double fps) {
  return static_cast<int64_t>(std::llround(static_cast<double>(n) * 1e9 / fps));
}

// The colour bars, left to right, as (B, G, R).
constexpr std::array<std::array<uint8_t, 3>, 8> kBars = {{
    {255, 255, 255},  // white
    {0, 255, 255},    // yellow
    {255, 255, 0},    // cyan
    {0, 255, 0},      // green
    {255, 0, 255},    // magenta
    {0, 0, 255},      // red
    {255, 0, 0},      // blue
    {0, 0, 0},        // black
}};

std::string label_of(const SensorSpec& spec) {
  const SyntheticSpec& s = spec.synthetic;
  std::string label = fmt::format("synthetic {}", synthetic_signal_name(s.signal));
  if (uses_frequency(s.signal)) label += fmt::format(" {:g} Hz", s.frequency);
  if (uses_seed(s.signal)) label += fmt::format(" (seed {})", s.seed);
  return label;
}

}  // namespace

SyntheticDriver::SyntheticDriver(std::string name, SensorSpec spec, Env* env)
    : ReplayDriver(std::move(name), std::move(spec), env), label_(label_of(this->spec())) {}

SyntheticDriver::~SyntheticDriver() { stop(); }

std::string SyntheticDriver::source_label() const { return label_; }

Status SyntheticDriver::open_source(SensorInfo* info) {
  const SyntheticSpec& s = spec().synthetic;
  const std::string signal(synthetic_signal_name(s.signal));
  if (!spec().path.empty()) {
    return InvalidArgument(fmt::format("{}: the synthetic driver reads no file (path is {})", label_, spec().path));
  }
  if (!std::isfinite(s.duration) || s.duration < 0 || s.duration > kMaxDurationS) {
    return InvalidArgument(fmt::format("{}: synthetic.duration {} is not valid (0 = endless, or seconds up to {:g})",
                                       label_, s.duration, kMaxDurationS));
  }
  modality_ = modality_of(s.signal);
  info->modality = modality_;

  if (modality_ == Modality::kAudio) {
    const SensorAudioSpec& a = spec().audio;
    if (a.sample_rate <= 0 || a.channels <= 0) {
      return InvalidArgument(fmt::format("{}: signal {} needs audio.sampleRate and audio.channels (got {} and {})",
                                         label_, signal, a.sample_rate, a.channels));
    }
    if (a.frame_ms < 1 || a.frame_ms > 1000) {
      return InvalidArgument(fmt::format("{}: audio.frameMs {} is not in 1..1000", label_, a.frame_ms));
    }
    if (uses_frequency(s.signal) && !(s.frequency > 0 && s.frequency < a.sample_rate / 2.0)) {
      return InvalidArgument(
          fmt::format("{}: synthetic.frequency {} Hz is not above 0 and below {} Hz (half the "
                      "sample rate)",
                      label_, s.frequency, a.sample_rate / 2.0));
    }
    if (uses_amplitude(s.signal) && !(s.amplitude >= 0 && s.amplitude <= 1)) {
      return InvalidArgument(fmt::format("{}: synthetic.amplitude {} is not in 0..1", label_, s.amplitude));
    }
    if (s.duration > 0) {
      pass_units_ = std::llround(s.duration * a.sample_rate);
      if (pass_units_ < 1) {
        return InvalidArgument(fmt::format("{}: synthetic.duration {} s is shorter than one sample at {} Hz", label_,
                                           s.duration, a.sample_rate));
      }
    }
    chunk_frames_ = std::max<int64_t>(1, std::llround(static_cast<double>(a.sample_rate) * a.frame_ms / 1000.0));
    info->sample_rate = a.sample_rate;
    info->channels = a.channels;
    info->duration_ns = pass_units_ < 0 ? -1 : frames_to_ns(pass_units_, a.sample_rate);
    std::string what = label_;
    if (uses_amplitude(s.signal)) what += fmt::format(", amplitude {:g}", s.amplitude);
    info->description = fmt::format("{}, {} Hz, {} ch, {}", what, a.sample_rate, a.channels,
                                    s.duration > 0 ? fmt::format("{:.2f} s", s.duration) : std::string("endless"));
  } else {
    const SensorVideoSpec& v = spec().video;
    if (v.width <= 0 || v.height <= 0 || !(v.fps > 0) || !std::isfinite(v.fps)) {
      return InvalidArgument(
          fmt::format("{}: signal {} needs video.width, video.height and video.fps (got {}, {} and {})", label_, signal,
                      v.width, v.height, v.fps));
    }
    if (s.duration > 0) {
      // Every frame that starts before `duration` (the tolerance absorbs 0.3 * 10 = 3.0000000000000004).
      pass_units_ = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(s.duration * v.fps - 1e-9)));
    }
    info->width = v.width;
    info->height = v.height;
    info->channels = 3;
    info->fps = v.fps;
    info->duration_ns = pass_units_ < 0 ? -1 : image_ns(pass_units_, v.fps);
    info->description = fmt::format("{}, {}x{} BGR, {:g} fps, {}", label_, v.width, v.height, v.fps,
                                    s.duration > 0 ? fmt::format("{:.2f} s", s.duration) : std::string("endless"));
  }
  rng_.seed(s.seed);
  return Status::Ok();
}

Result<ReplayDriver::Read> SyntheticDriver::read_next(Unit* out) {
  return modality_ == Modality::kAudio ? next_audio(out) : next_image(out);
}

Status SyntheticDriver::rewind() {
  pass_ = 0;  // total_ and the generator go on: the signal continues where it was
  return Status::Ok();
}

Result<ReplayDriver::Read> SyntheticDriver::next_audio(Unit* out) {
  const SyntheticSpec& s = spec().synthetic;
  const int rate = spec().audio.sample_rate;
  const int channels = spec().audio.channels;
  int64_t n_frames = chunk_frames_;
  if (pass_units_ >= 0) {
    n_frames = std::min(n_frames, pass_units_ - pass_);
    if (n_frames <= 0) return Read::kEndOfPass;
  }

  AudioChunk chunk;
  chunk.sample_rate = rate;
  chunk.channels = channels;
  chunk.samples.resize(static_cast<size_t>(n_frames * channels));
  const double a = s.amplitude;
  const double r = rate;
  for (int64_t i = 0; i < n_frames; ++i) {
    const int64_t n = total_ + i;
    double x = 0;
    switch (s.signal) {
      case SyntheticSignal::kSine:
      case SyntheticSignal::kSquare: {
        // The phase in cycles, reduced exactly (f n is exact for integer or half-integer f).
        const double p = std::fmod(s.frequency * static_cast<double>(n), r) / r;
        if (s.signal == SyntheticSignal::kSine) {
          x = a * std::sin(2.0 * std::numbers::pi * p);
        } else {
          x = p <= 0.5 ? a : -a;
        }
        break;
      }
      case SyntheticSignal::kWhiteNoise:
        x = a * ((2.0 * static_cast<double>(rng_()) + 1.0) / 4294967296.0 - 1.0);
        break;
      default:  // silence
        break;
    }
    std::fill_n(chunk.samples.begin() + i * channels, channels, static_cast<float>(x));
  }
  out->media_ns = frames_to_ns(total_, rate);
  out->duration_ns = frames_to_ns(total_ + n_frames, rate) - out->media_ns;
  out->data = std::move(chunk);
  total_ += n_frames;
  pass_ += n_frames;
  return Read::kUnit;
}

Result<ReplayDriver::Read> SyntheticDriver::next_image(Unit* out) {
  if (pass_units_ >= 0 && pass_ >= pass_units_) return Read::kEndOfPass;
  const SyntheticSignal signal = spec().synthetic.signal;
  const int w = spec().video.width;
  const int h = spec().video.height;
  const double fps = spec().video.fps;
  const int64_t n = total_;

  cv::Mat img(h, w, CV_8UC3, cv::Scalar(0, 0, 0));
  switch (signal) {
    case SyntheticSignal::kBars:
      for (int y = 0; y < h; ++y) {
        auto* row = img.ptr<cv::Vec3b>(y);
        for (int x = 0; x < w; ++x) {
          const auto& c = kBars[static_cast<size_t>(static_cast<int64_t>(x) * 8 / w)];
          row[x] = cv::Vec3b(c[0], c[1], c[2]);
        }
      }
      break;
    case SyntheticSignal::kCheckerboard:
      for (int y = 0; y < h; ++y) {
        auto* row = img.ptr<cv::Vec3b>(y);
        for (int x = 0; x < w; ++x) {
          if ((x / 8 + y / 8) % 2 == 0) row[x] = cv::Vec3b(255, 255, 255);
        }
      }
      break;
    case SyntheticSignal::kMovingBox: {
      const int side = std::max(1, std::min(w, h) / 8);
      const int x0 = static_cast<int>(n % (w - side + 1));
      const int y0 = (h - side) / 2;
      img(cv::Rect(x0, y0, side, side)).setTo(cv::Scalar(255, 255, 255));
      break;
    }
    case SyntheticSignal::kNoise:
      for (int y = 0; y < h; ++y) {
        uint8_t* row = img.ptr<uint8_t>(y);
        for (int k = 0; k < w * 3; ++k) row[k] = static_cast<uint8_t>(rng_() >> 24);
      }
      break;
    default: break;
  }
  out->media_ns = image_ns(n, fps);
  out->duration_ns = std::max<int64_t>(1, image_ns(1, fps));
  out->data = std::move(img);
  ++total_;
  ++pass_;
  return Read::kUnit;
}

}  // namespace sensix
