// Audio feature operations: pre-emphasis, power/magnitude spectrum, mel filterbank, log
// compression, MFCC (DCT-II) and per-feature normalisation.
//
// They compose with the Windower (audio_ops.h): a stream of samples is cut into frames of
// `frame_length` samples every `hop` samples by a Windower; Spectrum turns each frame into one
// row of n_fft / 2 + 1 bins, MelFilterbank that row into n_mels values, LogCompression and Dct
// into log-mel or MFCC rows, and those rows can be windowed again (e.g. 96 frames of 64 log-mel
// bands for a classifier). So each op works on one row; only PreEmphasis and a running
// FeatureNormalizer keep state across calls.
//
// Conventions follow librosa / torchaudio where they agree: a periodic Hann window, the
// one-sided spectrum, HTK or Slaney mel scales, Slaney area normalisation, orthonormal DCT-II.
//
// Thread-safety: none per instance; distinct instances are independent (FFTW plans are created
// under one process-wide lock, as FFTW requires, and executed without it).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"  // WindowFunction, MelScale, LogKind

namespace sensix {

// y[n] = x[n] - coefficient * x[n-1], across calls (the first sample of a stream uses x[-1] = 0).
// Mono. create() rejects a coefficient outside [0, 1) or non-finite.
class PreEmphasis {
 public:
  static Result<PreEmphasis> create(float coefficient);
  // Appends the filtered samples to `out`.
  void process(std::span<const float> in, std::vector<float>* out);
  void reset() { previous_ = 0.0f; }
  float coefficient() const { return coefficient_; }

 private:
  explicit PreEmphasis(float c) : coefficient_(c) {}
  float coefficient_;
  float previous_ = 0.0f;
};

struct SpectrumSpec {
  int n_fft = 512;                                // FFT size; the row has n_fft / 2 + 1 bins
  int frame_length = 0;                           // samples per frame (0: n_fft); <= n_fft, zero-padded centred
  WindowFunction window = WindowFunction::kHann;  // periodic (length frame_length)
  float power = 2.0f;                             // |X|^power: 2 power spectrum, 1 magnitude
  bool remove_dc = false;                         // subtract the frame's mean before windowing (Kaldi style)
};

// One frame of samples -> one spectrum row |X[k]|^power, k = 0 .. n_fft / 2.
// create() rejects n_fft outside [2, 65536] or odd, frame_length outside [1, n_fft], a power
// that is not 1 or 2. compute() rejects a frame whose length is not frame_length.
class Spectrum {
 public:
  static Result<std::unique_ptr<Spectrum>> create(const SpectrumSpec& spec);
  ~Spectrum();
  Spectrum(const Spectrum&) = delete;
  Spectrum& operator=(const Spectrum&) = delete;

  // Appends n_fft / 2 + 1 values to `out`.
  Status compute(std::span<const float> frame, std::vector<float>* out);
  int bins() const { return spec_.n_fft / 2 + 1; }
  const SpectrumSpec& spec() const { return spec_; }
  const std::vector<float>& window() const { return window_; }

 private:
  Spectrum(const SpectrumSpec& spec, std::vector<float> window, float* in, void* out, void* plan);
  SpectrumSpec spec_;
  std::vector<float> window_;  // frame_length coefficients
  float* in_;                  // n_fft floats, FFTW-aligned
  void* out_;                  // n_fft / 2 + 1 fftwf_complex
  void* plan_;                 // fftwf_plan
};

// The scales themselves. HTK: 2595 log10(1 + f / 700). Slaney: linear below 1 kHz (3 mel per
// 200 Hz), logarithmic above (27 mel per factor 6.4).
double hz_to_mel(double hz, MelScale scale);
double mel_to_hz(double mel, MelScale scale);

struct MelSpec {
  int sample_rate = 16000;
  int n_fft = 512;
  int n_mels = 40;
  double f_min = 0.0;
  double f_max = 0.0;  // 0: sample_rate / 2
  MelScale scale = MelScale::kSlaney;
  bool slaney_norm = true;  // scale each filter to unit area (2 / bandwidth in Hz)
};

// Triangular filters spaced evenly on the mel scale between f_min and f_max, applied to a
// spectrum row of n_fft / 2 + 1 bins (librosa.filters.mel's construction).
// create() rejects a non-positive rate, n_fft as Spectrum, n_mels outside [1, 512], and
// f_min < 0, f_max <= f_min or f_max > sample_rate / 2.
class MelFilterbank {
 public:
  static Result<MelFilterbank> create(const MelSpec& spec);
  // Appends n_mels values to `out`: filter m's value is the sum over bins k of weight(m, k) x
  // spectrum[k], taken over the bins where the weight is not zero. Rejects a row that is not
  // n_fft / 2 + 1 long.
  Status apply(std::span<const float> spectrum, std::vector<float>* out) const;
  // Filter m's weight for bin k.
  float weight(int m, int k) const { return weights_[static_cast<size_t>(m) * bins_ + k]; }
  int bins() const { return bins_; }
  const MelSpec& spec() const { return spec_; }

 private:
  MelFilterbank(const MelSpec& spec, int bins, std::vector<float> weights);
  MelSpec spec_;
  int bins_;
  std::vector<float> weights_;  // n_mels x bins, row-major
  // Per filter, the bins [first, last) outside which its weight is zero: apply() sums only those
  // (a triangle covers a few bins of the hundreds; the sum is the same as over every bin).
  std::vector<std::pair<int, int>> support_;
};

struct LogSpec {
  LogKind kind = LogKind::kNatural;  // ln(max(x, floor)) or 10 log10(max(x, floor))
  float floor = 1e-10f;              // > 0
  float offset = 0.0f;               // added to x before the floor (e.g. 1 for log(1 + x))
};

// In-place log compression of a row. create() rejects floor <= 0 and non-finite values.
class LogCompression {
 public:
  static Result<LogCompression> create(const LogSpec& spec);
  void apply(std::span<float> row) const;
  const LogSpec& spec() const { return spec_; }

 private:
  explicit LogCompression(const LogSpec& spec) : spec_(spec) {}
  LogSpec spec_;
};

// Orthonormal DCT-II of an n_in row, keeping the first n_out coefficients (MFCC from log-mel):
//   c[k] = s(k) sum_n x[n] cos(pi k (2n + 1) / (2 n_in)),  s(0) = sqrt(1 / n_in), s(k) = sqrt(2 / n_in),
// then, if lifter L > 0, c[k] *= 1 + (L / 2) sin(pi k / L) (HTK liftering).
// create() rejects n_in < 1, n_out outside [1, n_in], lifter < 0.
class Dct {
 public:
  static Result<Dct> create(int n_in, int n_out, float lifter = 0.0f);
  Status apply(std::span<const float> in, std::vector<float>* out) const;
  int n_in() const { return n_in_; }
  int n_out() const { return n_out_; }

 private:
  Dct(int n_in, int n_out, std::vector<float> basis) : n_in_(n_in), n_out_(n_out), basis_(std::move(basis)) {}
  int n_in_;
  int n_out_;
  std::vector<float> basis_;  // n_out x n_in, lifter folded in
};

// Per-feature normalisation of rows of `width` values: (x - mean[i]) / std[i].
//   fixed():   the mean and std given (e.g. a model's training statistics);
//   running(): the mean and standard deviation of every row seen so far in this stream (Welford),
//              including the current one; std is floored at `min_std`. reset() starts a new stream.
// Both reject a width < 1, sizes that disagree, a std <= 0 or non-finite statistics.
class FeatureNormalizer {
 public:
  static Result<FeatureNormalizer> fixed(std::vector<float> mean, std::vector<float> stddev);
  static Result<FeatureNormalizer> running(int width, float min_std = 1e-5f);
  Status apply(std::span<float> row);
  void reset();
  int width() const { return width_; }
  bool is_running() const { return running_; }

 private:
  FeatureNormalizer(int width, bool running, float min_std);
  int width_;
  bool running_;
  float min_std_;
  std::vector<float> mean_;
  std::vector<float> stddev_;
  std::vector<double> sum_;  // running: Welford mean
  std::vector<double> m2_;   // running: Welford sum of squared deviations
  int64_t count_ = 0;
};

}  // namespace sensix
