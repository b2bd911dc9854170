#include "transform/audio_features.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numbers>

#include <fmt/format.h>

namespace sensix {
namespace {

// FFTW's planner is not thread-safe (plans may be executed concurrently; created and destroyed
// only one at a time).
std::mutex& fftw_planner_mutex() {
  static std::mutex mu;
  return mu;
}

bool finite(double v) { return std::isfinite(v); }

Status check_n_fft(int n_fft) {
  if (n_fft < 2 || n_fft > 65536 || n_fft % 2 != 0) {
    return InvalidArgument(fmt::format("n_fft must be an even number in [2, 65536], got {}", n_fft));
  }
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PreEmphasis

Result<PreEmphasis> PreEmphasis::create(float coefficient) {
  if (!finite(coefficient) || coefficient < 0.0f || coefficient >= 1.0f) {
    return InvalidArgument(fmt::format("pre-emphasis coefficient must be in [0, 1), got {}", coefficient));
  }
  return PreEmphasis(coefficient);
}

void PreEmphasis::process(std::span<const float> in, std::vector<float>* out) {
  out->reserve(out->size() + in.size());
  for (float x : in) {
    out->push_back(x - coefficient_ * previous_);
    previous_ = x;
  }
}

// ---------------------------------------------------------------------------------------------
// Spectrum

Result<std::unique_ptr<Spectrum>> Spectrum::create(const SpectrumSpec& spec_in) {
  SpectrumSpec spec = spec_in;
  SENSIX_RETURN_IF_ERROR(check_n_fft(spec.n_fft));
  if (spec.frame_length == 0) spec.frame_length = spec.n_fft;
  if (spec.frame_length < 1 || spec.frame_length > spec.n_fft) {
    return InvalidArgument(
        fmt::format("frame length must be in [1, n_fft = {}], got {}", spec.n_fft, spec.frame_length));
  }
  if (spec.power != 1.0f && spec.power != 2.0f) {
    return InvalidArgument(fmt::format("spectrum power must be 1 (magnitude) or 2 (power), got {}", spec.power));
  }
  // Periodic windows (the DFT-even form librosa and torchaudio use for spectrograms).
  const int n = spec.frame_length;
  std::vector<float> window(static_cast<size_t>(n), 1.0f);
  for (int i = 0; i < n; ++i) {
    const double phase = 2.0 * std::numbers::pi * i / n;
    if (spec.window == WindowFunction::kHann)
      window[static_cast<size_t>(i)] = static_cast<float>(0.5 - 0.5 * std::cos(phase));
    if (spec.window == WindowFunction::kHamming)
      window[static_cast<size_t>(i)] = static_cast<float>(0.54 - 0.46 * std::cos(phase));
  }
  const int bins = spec.n_fft / 2 + 1;
  std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  auto* in = static_cast<float*>(fftwf_malloc(sizeof(float) * static_cast<size_t>(spec.n_fft)));
  auto* out = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * static_cast<size_t>(bins)));
  if (in == nullptr || out == nullptr) {
    fftwf_free(in);
    fftwf_free(out);
    return ResourceExhausted(fmt::format("cannot allocate FFT buffers for n_fft {}", spec.n_fft));
  }
  fftwf_plan plan = fftwf_plan_dft_r2c_1d(spec.n_fft, in, out, FFTW_ESTIMATE);
  if (plan == nullptr) {
    fftwf_free(in);
    fftwf_free(out);
    return Internal(fmt::format("FFTW could not plan a real FFT of size {}", spec.n_fft));
  }
  return std::unique_ptr<Spectrum>(new Spectrum(spec, std::move(window), in, out, plan));
}

Spectrum::Spectrum(const SpectrumSpec& spec, std::vector<float> window, float* in, void* out, void* plan)
    : spec_(spec), window_(std::move(window)), in_(in), out_(out), plan_(plan) {}

Spectrum::~Spectrum() {
  std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
  fftwf_free(in_);
  fftwf_free(out_);
}

Status Spectrum::compute(std::span<const float> frame, std::vector<float>* out) {
  if (static_cast<int>(frame.size()) != spec_.frame_length) {
    return InvalidArgument(
        fmt::format("a spectrum frame must have {} samples, got {}", spec_.frame_length, frame.size()));
  }
  float mean = 0.0f;
  if (spec_.remove_dc) {
    double sum = 0.0;
    for (float x : frame) sum += x;
    mean = static_cast<float>(sum / static_cast<double>(frame.size()));
  }
  // Zero-pad around the frame, centred (librosa's window padding).
  const size_t offset = static_cast<size_t>((spec_.n_fft - spec_.frame_length) / 2);
  std::fill(in_, in_ + spec_.n_fft, 0.0f);
  for (size_t i = 0; i < frame.size(); ++i) in_[offset + i] = (frame[i] - mean) * window_[i];
  fftwf_execute(static_cast<fftwf_plan>(plan_));
  const auto* c = static_cast<const fftwf_complex*>(out_);
  out->reserve(out->size() + static_cast<size_t>(bins()));
  for (int k = 0; k < bins(); ++k) {
    const float p = c[k][0] * c[k][0] + c[k][1] * c[k][1];
    out->push_back(spec_.power == 2.0f ? p : std::sqrt(p));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Mel

namespace {
constexpr double kSlaneyLinearStep = 200.0 / 3.0;  // Hz per mel below 1 kHz
constexpr double kSlaneyLogStartHz = 1000.0;
constexpr double kSlaneyLogStartMel = kSlaneyLogStartHz / kSlaneyLinearStep;  // 15
const double kSlaneyLogStep = std::log(6.4) / 27.0;
}  // namespace

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kSlaneyLogStartHz) return hz / kSlaneyLinearStep;
  return kSlaneyLogStartMel + std::log(hz / kSlaneyLogStartHz) / kSlaneyLogStep;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyLogStartMel) return mel * kSlaneyLinearStep;
  return kSlaneyLogStartHz * std::exp(kSlaneyLogStep * (mel - kSlaneyLogStartMel));
}

Result<MelFilterbank> MelFilterbank::create(const MelSpec& spec_in) {
  MelSpec spec = spec_in;
  if (spec.sample_rate < 1)
    return InvalidArgument(fmt::format("sample rate must be positive, got {}", spec.sample_rate));
  SENSIX_RETURN_IF_ERROR(check_n_fft(spec.n_fft));
  if (spec.n_mels < 1 || spec.n_mels > 512) {
    return InvalidArgument(fmt::format("n_mels must be in [1, 512], got {}", spec.n_mels));
  }
  const double nyquist = spec.sample_rate / 2.0;
  if (spec.f_max == 0.0) spec.f_max = nyquist;
  if (!finite(spec.f_min) || !finite(spec.f_max) || spec.f_min < 0.0 || spec.f_max <= spec.f_min ||
      spec.f_max > nyquist) {
    return InvalidArgument(fmt::format("mel band {}-{} Hz must satisfy 0 <= fMin < fMax <= {} (half the sample rate)",
                                       spec.f_min, spec.f_max, nyquist));
  }
  const int bins = spec.n_fft / 2 + 1;
  const int m = spec.n_mels;
  // n_mels + 2 edge frequencies, evenly spaced in mel.
  std::vector<double> edges(static_cast<size_t>(m) + 2);
  const double lo = hz_to_mel(spec.f_min, spec.scale);
  const double hi = hz_to_mel(spec.f_max, spec.scale);
  for (size_t i = 0; i < edges.size(); ++i) {
    edges[i] = mel_to_hz(lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(m + 1), spec.scale);
  }
  std::vector<float> weights(static_cast<size_t>(m) * static_cast<size_t>(bins), 0.0f);
  for (int f = 0; f < m; ++f) {
    const double left = edges[static_cast<size_t>(f)];
    const double centre = edges[static_cast<size_t>(f) + 1];
    const double right = edges[static_cast<size_t>(f) + 2];
    const double norm = spec.slaney_norm ? 2.0 / (right - left) : 1.0;
    for (int k = 0; k < bins; ++k) {
      const double hz = static_cast<double>(k) * spec.sample_rate / spec.n_fft;
      const double rising = (hz - left) / (centre - left);
      const double falling = (right - hz) / (right - centre);
      const double w = std::max(0.0, std::min(rising, falling));
      weights[static_cast<size_t>(f) * bins + k] = static_cast<float>(w * norm);
    }
  }
  return MelFilterbank(spec, bins, std::move(weights));
}

MelFilterbank::MelFilterbank(const MelSpec& spec, int bins, std::vector<float> weights)
    : spec_(spec), bins_(bins), weights_(std::move(weights)) {
  support_.reserve(static_cast<size_t>(spec_.n_mels));
  for (int f = 0; f < spec_.n_mels; ++f) {
    const float* w = weights_.data() + static_cast<size_t>(f) * bins_;
    int first = 0;
    int last = bins_;
    while (first < bins_ && w[first] == 0.0f) ++first;
    while (last > first && w[last - 1] == 0.0f) --last;
    support_.emplace_back(first, last);
  }
}

Status MelFilterbank::apply(std::span<const float> spectrum, std::vector<float>* out) const {
  if (static_cast<int>(spectrum.size()) != bins_) {
    return InvalidArgument(fmt::format("a mel filterbank for n_fft {} needs {} spectrum bins, got {}", spec_.n_fft,
                                       bins_, spectrum.size()));
  }
  out->reserve(out->size() + static_cast<size_t>(spec_.n_mels));
  for (int f = 0; f < spec_.n_mels; ++f) {
    const float* w = weights_.data() + static_cast<size_t>(f) * bins_;
    double acc = 0.0;
    const auto [first, last] = support_[static_cast<size_t>(f)];
    for (int k = first; k < last; ++k) acc += static_cast<double>(w[k]) * spectrum[static_cast<size_t>(k)];
    out->push_back(static_cast<float>(acc));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// LogCompression

Result<LogCompression> LogCompression::create(const LogSpec& spec) {
  if (!finite(spec.floor) || spec.floor <= 0.0f) {
    return InvalidArgument(fmt::format("log floor must be a positive number, got {}", spec.floor));
  }
  if (!finite(spec.offset)) return InvalidArgument(fmt::format("log offset must be finite, got {}", spec.offset));
  return LogCompression(spec);
}

void LogCompression::apply(std::span<float> row) const {
  for (float& x : row) {
    const float v = std::max(x + spec_.offset, spec_.floor);
    x = spec_.kind == LogKind::kNatural ? std::log(v) : 10.0f * std::log10(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Dct

Result<Dct> Dct::create(int n_in, int n_out, float lifter) {
  if (n_in < 1) return InvalidArgument(fmt::format("DCT input size must be positive, got {}", n_in));
  if (n_out < 1 || n_out > n_in) {
    return InvalidArgument(fmt::format("DCT output size must be in [1, {}], got {}", n_in, n_out));
  }
  if (!finite(lifter) || lifter < 0.0f) return InvalidArgument(fmt::format("lifter must be >= 0, got {}", lifter));
  std::vector<float> basis(static_cast<size_t>(n_out) * static_cast<size_t>(n_in));
  for (int k = 0; k < n_out; ++k) {
    const double scale = std::sqrt((k == 0 ? 1.0 : 2.0) / n_in);
    const double lift = lifter > 0.0f ? 1.0 + (lifter / 2.0) * std::sin(std::numbers::pi * k / lifter) : 1.0;
    for (int n = 0; n < n_in; ++n) {
      basis[static_cast<size_t>(k) * n_in + n] = static_cast<float>(
          lift * scale * std::cos(std::numbers::pi * k * (2.0 * n + 1.0) / (2.0 * n_in)));
    }
  }
  return Dct(n_in, n_out, std::move(basis));
}

Status Dct::apply(std::span<const float> in, std::vector<float>* out) const {
  if (static_cast<int>(in.size()) != n_in_) {
    return InvalidArgument(fmt::format("a DCT of size {} got a row of {}", n_in_, in.size()));
  }
  out->reserve(out->size() + static_cast<size_t>(n_out_));
  for (int k = 0; k < n_out_; ++k) {
    const float* b = basis_.data() + static_cast<size_t>(k) * n_in_;
    double acc = 0.0;
    for (int n = 0; n < n_in_; ++n) acc += static_cast<double>(b[n]) * in[static_cast<size_t>(n)];
    out->push_back(static_cast<float>(acc));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// FeatureNormalizer

FeatureNormalizer::FeatureNormalizer(int width, bool running, float min_std)
    : width_(width), running_(running), min_std_(min_std) {}

Result<FeatureNormalizer> FeatureNormalizer::fixed(std::vector<float> mean, std::vector<float> stddev) {
  if (mean.empty()) return InvalidArgument("feature normalisation needs at least one mean");
  if (mean.size() != stddev.size()) {
    return InvalidArgument(
        fmt::format("feature normalisation has {} means but {} standard deviations", mean.size(), stddev.size()));
  }
  for (size_t i = 0; i < mean.size(); ++i) {
    if (!finite(mean[i]) || !finite(stddev[i]) || stddev[i] <= 0.0f) {
      return InvalidArgument(
          fmt::format("feature {}: mean {} and std {} must be finite with std > 0", i, mean[i], stddev[i]));
    }
  }
  FeatureNormalizer n(static_cast<int>(mean.size()), false, 0.0f);
  n.mean_ = std::move(mean);
  n.stddev_ = std::move(stddev);
  return n;
}

Result<FeatureNormalizer> FeatureNormalizer::running(int width, float min_std) {
  if (width < 1) return InvalidArgument(fmt::format("feature width must be positive, got {}", width));
  if (!finite(min_std) || min_std <= 0.0f) {
    return InvalidArgument(fmt::format("minimum standard deviation must be positive, got {}", min_std));
  }
  FeatureNormalizer n(width, true, min_std);
  n.reset();
  return n;
}

void FeatureNormalizer::reset() {
  if (!running_) return;
  sum_.assign(static_cast<size_t>(width_), 0.0);
  m2_.assign(static_cast<size_t>(width_), 0.0);
  count_ = 0;
}

Status FeatureNormalizer::apply(std::span<float> row) {
  if (static_cast<int>(row.size()) != width_) {
    return InvalidArgument(fmt::format("feature normalisation of width {} got a row of {}", width_, row.size()));
  }
  if (!running_) {
    for (size_t i = 0; i < row.size(); ++i) row[i] = (row[i] - mean_[i]) / stddev_[i];
    return Status::Ok();
  }
  ++count_;
  for (size_t i = 0; i < row.size(); ++i) {
    const double x = row[i];
    const double delta = x - sum_[i];  // sum_ holds the running mean
    sum_[i] += delta / static_cast<double>(count_);
    m2_[i] += delta * (x - sum_[i]);
    const double sd = std::max(std::sqrt(m2_[i] / static_cast<double>(count_)), static_cast<double>(min_std_));
    row[i] = static_cast<float>((x - sum_[i]) / sd);
  }
  return Status::Ok();
}

}  // namespace sensix
