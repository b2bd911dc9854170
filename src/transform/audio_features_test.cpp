// Audio features checked against independently computed values: a direct O(N^2) DFT in double
// precision for the FFT, the mel formulas evaluated by hand (python3 math, values below), and
// the defining properties of the orthonormal DCT.
#include "transform/audio_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <random>

namespace sensix {
namespace {

std::vector<float> random_frame(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// ---- PreEmphasis -------------------------------------------------------------------------

TEST(PreEmphasis, HandComputedAndContinuousAcrossCalls) {
  auto pe = PreEmphasis::create(0.97f);
  ASSERT_TRUE(pe.ok()) << pe.status();
  std::vector<float> out;
  pe->process(std::vector<float>{1.0f, 0.5f}, &out);
  pe->process(std::vector<float>{-1.0f}, &out);  // uses 0.5 from the previous call
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0], 1.0f);
  EXPECT_FLOAT_EQ(out[1], 0.5f - 0.97f * 1.0f);
  EXPECT_FLOAT_EQ(out[2], -1.0f - 0.97f * 0.5f);
  pe->reset();
  out.clear();
  pe->process(std::vector<float>{2.0f}, &out);
  EXPECT_FLOAT_EQ(out[0], 2.0f);
}

TEST(PreEmphasis, RejectsCoefficientsOutsideTheUnitInterval) {
  for (float c : {-0.1f, 1.0f, 2.0f, std::nanf("")}) {
    auto pe = PreEmphasis::create(c);
    ASSERT_FALSE(pe.ok()) << c;
    EXPECT_NE(pe.status().message().find("pre-emphasis coefficient"), std::string::npos) << pe.status();
  }
}

// ---- Spectrum ----------------------------------------------------------------------------

// Direct DFT of the zero-padded, windowed frame, in double precision.
std::vector<double> direct_power(const std::vector<float>& frame, int n_fft, const std::vector<float>& window) {
  const size_t offset = (static_cast<size_t>(n_fft) - frame.size()) / 2;
  std::vector<double> x(static_cast<size_t>(n_fft), 0.0);
  for (size_t i = 0; i < frame.size(); ++i) x[offset + i] = static_cast<double>(frame[i]) * window[i];
  std::vector<double> p(static_cast<size_t>(n_fft / 2 + 1));
  for (size_t k = 0; k < p.size(); ++k) {
    std::complex<double> acc = 0.0;
    for (int n = 0; n < n_fft; ++n)
      acc += x[static_cast<size_t>(n)] * std::polar(1.0, -2.0 * std::numbers::pi * k * n / n_fft);
    p[k] = std::norm(acc);
  }
  return p;
}

TEST(Spectrum, MatchesADirectDftWithPaddingAndHannWindow) {
  SpectrumSpec spec;
  spec.n_fft = 512;
  spec.frame_length = 400;  // 25 ms at 16 kHz, padded to 512 as librosa does
  auto s = Spectrum::create(spec);
  ASSERT_TRUE(s.ok()) << s.status();
  const auto frame = random_frame(400, 7);
  std::vector<float> got;
  ASSERT_TRUE((*s)->compute(frame, &got).ok());
  ASSERT_EQ(got.size(), 257u);
  // The periodic Hann window computed by hand: w[n] = 0.5 - 0.5 cos(2 pi n / 400).
  std::vector<float> hann(400);
  for (int n = 0; n < 400; ++n)
    hann[static_cast<size_t>(n)] = static_cast<float>(0.5 - 0.5 * std::cos(2 * std::numbers::pi * n / 400));
  EXPECT_FLOAT_EQ((*s)->window()[0], 0.0f);
  EXPECT_FLOAT_EQ((*s)->window()[200], 1.0f);
  const auto want = direct_power(frame, 512, hann);
  double peak = *std::max_element(want.begin(), want.end());
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_NEAR(got[k], want[k], 1e-4 * peak) << "bin " << k;
  }
}

TEST(Spectrum, ASineOnABinHasAllItsPowerThere) {
  // Rectangular window, a cosine of amplitude 0.5 exactly on bin 8 of 64: |X[8]| = 0.5 * 64 / 2.
  SpectrumSpec spec;
  spec.n_fft = 64;
  spec.window = WindowFunction::kRectangular;
  spec.power = 1.0f;
  auto s = Spectrum::create(spec);
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<float> frame(64);
  for (int n = 0; n < 64; ++n)
    frame[static_cast<size_t>(n)] = static_cast<float>(0.5 * std::cos(2 * std::numbers::pi * 8 * n / 64));
  std::vector<float> mag;
  ASSERT_TRUE((*s)->compute(frame, &mag).ok());
  for (size_t k = 0; k < mag.size(); ++k) EXPECT_NEAR(mag[k], k == 8 ? 16.0f : 0.0f, 1e-4f) << "bin " << k;
}

TEST(Spectrum, ParsevalHoldsForTheOneSidedPowerSpectrum) {
  SpectrumSpec spec;
  spec.n_fft = 256;
  spec.window = WindowFunction::kRectangular;
  auto s = Spectrum::create(spec);
  ASSERT_TRUE(s.ok());
  const auto frame = random_frame(256, 11);
  std::vector<float> p;
  ASSERT_TRUE((*s)->compute(frame, &p).ok());
  double energy = 0.0;
  for (float x : frame) energy += static_cast<double>(x) * x;
  double sum = p.front() + p.back();
  for (size_t k = 1; k + 1 < p.size(); ++k) sum += 2.0 * p[k];
  EXPECT_NEAR(sum / 256.0, energy, 1e-4 * energy);
}

TEST(Spectrum, RemoveDcCancelsAConstant) {
  SpectrumSpec spec;
  spec.n_fft = 32;
  spec.remove_dc = true;
  auto s = Spectrum::create(spec);
  ASSERT_TRUE(s.ok());
  std::vector<float> p;
  ASSERT_TRUE((*s)->compute(std::vector<float>(32, 0.25f), &p).ok());
  for (float v : p) EXPECT_NEAR(v, 0.0f, 1e-10f);
}

TEST(Spectrum, RejectsBadSpecsAndFrames) {
  struct Case {
    SpectrumSpec spec;
    const char* expect;
  };
  SpectrumSpec odd;
  odd.n_fft = 511;
  SpectrumSpec too_long;
  too_long.n_fft = 256;
  too_long.frame_length = 300;
  SpectrumSpec bad_power;
  bad_power.power = 3.0f;
  for (const auto& c :
       {Case{odd, "n_fft must be an even number"}, Case{too_long, "frame length must be in [1, n_fft = 256]"},
        Case{bad_power, "spectrum power must be 1"}}) {
    auto s = Spectrum::create(c.spec);
    ASSERT_FALSE(s.ok()) << c.expect;
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status();
  }
  auto s = Spectrum::create(SpectrumSpec{});
  ASSERT_TRUE(s.ok());
  std::vector<float> out;
  Status st = (*s)->compute(std::vector<float>(100, 0.0f), &out);
  EXPECT_NE(st.message().find("must have 512 samples, got 100"), std::string::npos) << st;
  EXPECT_TRUE(out.empty());
}

// ---- Mel ---------------------------------------------------------------------------------

TEST(MelScales, HandComputedPoints) {
  // python3: 2595*log10(1+1000/700) = 999.9855371396244; Slaney: 1000/(200/3) = 15,
  // 15 + ln(4000/1000) / (ln(6.4)/27) = 35.163760314616646.
  EXPECT_NEAR(hz_to_mel(1000, MelScale::kHtk), 999.9855371396244, 1e-9);
  EXPECT_NEAR(hz_to_mel(4000, MelScale::kHtk), 2146.06452750619, 1e-9);
  EXPECT_NEAR(hz_to_mel(1000, MelScale::kSlaney), 15.0, 1e-12);
  EXPECT_NEAR(hz_to_mel(500, MelScale::kSlaney), 7.5, 1e-12);
  EXPECT_NEAR(hz_to_mel(4000, MelScale::kSlaney), 35.163760314616646, 1e-9);
  for (double hz : {0.0, 123.0, 999.0, 1000.0, 1500.0, 7999.0}) {
    for (MelScale s : {MelScale::kHtk, MelScale::kSlaney}) {
      EXPECT_NEAR(mel_to_hz(hz_to_mel(hz, s), s), hz, 1e-6) << hz << " " << mel_scale_name(s);
    }
  }
}

TEST(MelFilterbank, HandComputedTwoFilterCase) {
  // 8 kHz, n_fft 8 (bins at 0, 1, 2, 3, 4 kHz), two HTK filters over 0-4 kHz: edges at
  // 0, 620.5797881531344, 1791.3299669693959, 4000 Hz (python3, the HTK formula).
  MelSpec spec;
  spec.sample_rate = 8000;
  spec.n_fft = 8;
  spec.n_mels = 2;
  spec.scale = MelScale::kHtk;
  spec.slaney_norm = false;
  auto fb = MelFilterbank::create(spec);
  ASSERT_TRUE(fb.ok()) << fb.status();
  const double want[2][5] = {{0, 0.6759170156775076, 0, 0, 0},
                             {0, 0.3240829843224924, 0.9055223143747371, 0.4527611571873685, 0}};
  for (int m = 0; m < 2; ++m) {
    for (int k = 0; k < 5; ++k) EXPECT_NEAR(fb->weight(m, k), want[m][k], 1e-6) << m << "," << k;
  }
  // Slaney normalisation scales filter m by 2 / (right - left edge).
  spec.slaney_norm = true;
  auto normed = MelFilterbank::create(spec);
  ASSERT_TRUE(normed.ok());
  EXPECT_NEAR(normed->weight(0, 1), 0.6759170156775076 * 0.0011164888864018928, 1e-9);
  EXPECT_NEAR(normed->weight(1, 2), 0.9055223143747371 * 0.0005918174937194309, 1e-9);
  // Applying it is the weighted sum.
  std::vector<float> out;
  ASSERT_TRUE(fb->apply(std::vector<float>{1, 2, 3, 4, 5}, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0], 2 * 0.6759170156775076, 1e-5);
  EXPECT_NEAR(out[1], 2 * 0.3240829843224924 + 3 * 0.9055223143747371 + 4 * 0.4527611571873685, 1e-5);
}

// apply() sums each filter over its non-zero bins only: the result equals the full weighted sum
// over every bin, for 64 Slaney bands on a 512-point spectrum with random values.
TEST(MelFilterbank, ApplyEqualsTheSumOverEveryBin) {
  MelSpec spec;
  spec.sample_rate = 16000;
  spec.n_fft = 512;
  spec.n_mels = 64;
  spec.f_min = 60;
  spec.f_max = 7800;
  auto fb = MelFilterbank::create(spec);
  ASSERT_TRUE(fb.ok()) << fb.status();
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(0.0f, 10.0f);
  std::vector<float> row(static_cast<size_t>(fb->bins()));
  for (auto& v : row) v = dist(rng);
  std::vector<float> out;
  ASSERT_TRUE(fb->apply(row, &out).ok());
  ASSERT_EQ(out.size(), 64u);
  for (int m = 0; m < 64; ++m) {
    double full = 0;
    for (int k = 0; k < fb->bins(); ++k) full += static_cast<double>(fb->weight(m, k)) * row[static_cast<size_t>(k)];
    EXPECT_EQ(out[static_cast<size_t>(m)], static_cast<float>(full)) << "band " << m;
  }
}

TEST(MelFilterbank, ATonePeaksInTheBandAroundItsFrequency) {
  // 1 kHz at 16 kHz -> Spectrum(512) -> 40 Slaney mel bands -> log: the loudest band is the
  // one whose centre is nearest 1 kHz.
  SpectrumSpec sspec;
  sspec.n_fft = 512;
  sspec.frame_length = 400;
  auto spectrum = Spectrum::create(sspec);
  MelSpec mspec;
  auto mel = MelFilterbank::create(mspec);
  auto log = LogCompression::create(LogSpec{});
  ASSERT_TRUE(spectrum.ok() && mel.ok() && log.ok());
  std::vector<float> frame(400);
  for (int n = 0; n < 400; ++n)
    frame[static_cast<size_t>(n)] = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 1000 * n / 16000.0));
  std::vector<float> p, m;
  ASSERT_TRUE((*spectrum)->compute(frame, &p).ok());
  ASSERT_TRUE(mel->apply(p, &m).ok());
  log->apply(m);
  const auto loudest = std::max_element(m.begin(), m.end()) - m.begin();
  const double step = (hz_to_mel(8000, MelScale::kSlaney) - 0.0) / 41.0;
  int nearest = 0;
  double best = 1e9;
  for (int b = 0; b < 40; ++b) {
    const double centre = mel_to_hz(step * (b + 1), MelScale::kSlaney);
    if (std::abs(centre - 1000.0) < best) {
      best = std::abs(centre - 1000.0);
      nearest = b;
    }
  }
  EXPECT_EQ(loudest, nearest);
  EXPECT_LT(m.front(), m[static_cast<size_t>(loudest)] - 10.0f);  // far bands are e^10 quieter
}

TEST(MelFilterbank, RejectsBandsOutsideTheSpectrum) {
  MelSpec above;
  above.f_max = 9000;  // 16 kHz: Nyquist is 8 kHz
  MelSpec inverted;
  inverted.f_min = 4000;
  inverted.f_max = 3000;
  MelSpec none;
  none.n_mels = 0;
  for (const auto& [spec, expect] : {std::pair{above, "fMax <= 8000"}, std::pair{inverted, "0 <= fMin < fMax"},
                                     std::pair{none, "n_mels must be in [1, 512]"}}) {
    auto fb = MelFilterbank::create(spec);
    ASSERT_FALSE(fb.ok()) << expect;
    EXPECT_NE(fb.status().message().find(expect), std::string::npos) << fb.status();
  }
  auto fb = MelFilterbank::create(MelSpec{});
  ASSERT_TRUE(fb.ok());
  std::vector<float> out;
  EXPECT_NE(fb->apply(std::vector<float>(256), &out).message().find("needs 257 spectrum bins, got 256"),
            std::string::npos);
}

// ---- Log ---------------------------------------------------------------------------------

TEST(LogCompression, NaturalDecibelFloorAndOffset) {
  std::vector<float> row{1.0f, std::exp(2.0f), 0.0f};
  auto ln = LogCompression::create(LogSpec{LogKind::kNatural, 1e-6f, 0.0f});
  ASSERT_TRUE(ln.ok());
  ln->apply(row);
  EXPECT_NEAR(row[0], 0.0f, 1e-6f);
  EXPECT_NEAR(row[1], 2.0f, 1e-5f);
  EXPECT_NEAR(row[2], std::log(1e-6f), 1e-4f);  // floored, not -inf
  std::vector<float> db{100.0f, 1e-12f};
  auto d = LogCompression::create(LogSpec{LogKind::kDecibel, 1e-10f, 0.0f});
  ASSERT_TRUE(d.ok());
  d->apply(db);
  EXPECT_NEAR(db[0], 20.0f, 1e-5f);
  EXPECT_NEAR(db[1], -100.0f, 1e-3f);
  std::vector<float> plus_one{0.0f, std::exp(1.0f) - 1.0f};
  auto log1p = LogCompression::create(LogSpec{LogKind::kNatural, 1e-10f, 1.0f});
  ASSERT_TRUE(log1p.ok());
  log1p->apply(plus_one);
  EXPECT_NEAR(plus_one[0], 0.0f, 1e-6f);
  EXPECT_NEAR(plus_one[1], 1.0f, 1e-5f);
  EXPECT_FALSE(LogCompression::create(LogSpec{LogKind::kNatural, 0.0f, 0.0f}).ok());
}

// ---- DCT ---------------------------------------------------------------------------------

TEST(Dct, ConstantGoesToTheFirstCoefficientOnly) {
  auto dct = Dct::create(40, 13);
  ASSERT_TRUE(dct.ok()) << dct.status();
  std::vector<float> out;
  ASSERT_TRUE(dct->apply(std::vector<float>(40, 2.0f), &out).ok());
  ASSERT_EQ(out.size(), 13u);
  EXPECT_NEAR(out[0], 2.0 * std::sqrt(40.0), 1e-4);  // sqrt(1/N) * N * 2
  for (size_t k = 1; k < out.size(); ++k) EXPECT_NEAR(out[k], 0.0f, 1e-5f) << k;
}

TEST(Dct, IsOrthonormalSoACosineMapsToOneCoefficient) {
  // The k-th orthonormal basis vector, built by hand, maps to the unit vector e_k; and a full
  // DCT keeps the energy of any row (Parseval for an orthogonal matrix).
  const int n = 16;
  auto dct = Dct::create(n, n);
  ASSERT_TRUE(dct.ok());
  for (int k : {0, 3, 15}) {
    std::vector<float> basis(n);
    for (int i = 0; i < n; ++i) {
      basis[static_cast<size_t>(i)] = static_cast<float>(std::sqrt((k == 0 ? 1.0 : 2.0) / n) *
                                                         std::cos(std::numbers::pi * k * (2 * i + 1) / (2.0 * n)));
    }
    std::vector<float> out;
    ASSERT_TRUE(dct->apply(basis, &out).ok());
    for (int j = 0; j < n; ++j) EXPECT_NEAR(out[static_cast<size_t>(j)], j == k ? 1.0f : 0.0f, 1e-5f) << k << "," << j;
  }
  const auto row = random_frame(n, 3);
  std::vector<float> out;
  ASSERT_TRUE(dct->apply(row, &out).ok());
  double e_in = 0, e_out = 0;
  for (int i = 0; i < n; ++i) {
    e_in += static_cast<double>(row[static_cast<size_t>(i)]) * row[static_cast<size_t>(i)];
    e_out += static_cast<double>(out[static_cast<size_t>(i)]) * out[static_cast<size_t>(i)];
  }
  EXPECT_NEAR(e_out, e_in, 1e-5 * e_in);
}

TEST(Dct, LifterScalesEachCoefficient) {
  // HTK lifter L = 22: coefficient 1 is scaled by 1 + 11 sin(pi / 22) = 2.5654632...
  auto plain = Dct::create(20, 13);
  auto lifted = Dct::create(20, 13, 22.0f);
  ASSERT_TRUE(plain.ok() && lifted.ok());
  const auto row = random_frame(20, 5);
  std::vector<float> a, b;
  ASSERT_TRUE(plain->apply(row, &a).ok());
  ASSERT_TRUE(lifted->apply(row, &b).ok());
  EXPECT_NEAR(b[0], a[0], 1e-5f);
  EXPECT_NEAR(b[1], a[1] * 2.5654632210061363, 1e-5);
  EXPECT_FALSE(Dct::create(10, 11).ok());
  EXPECT_FALSE(Dct::create(10, 5, -1.0f).ok());
}

// ---- FeatureNormalizer -------------------------------------------------------------------

TEST(FeatureNormalizer, FixedStatistics) {
  auto n = FeatureNormalizer::fixed({1.0f, -2.0f}, {2.0f, 0.5f});
  ASSERT_TRUE(n.ok()) << n.status();
  std::vector<float> row{5.0f, -1.0f};
  ASSERT_TRUE(n->apply(row).ok());
  EXPECT_FLOAT_EQ(row[0], 2.0f);
  EXPECT_FLOAT_EQ(row[1], 2.0f);
  std::vector<float> wrong{1.0f};
  EXPECT_NE(n->apply(wrong).message().find("width 2 got a row of 1"), std::string::npos);
  EXPECT_FALSE(FeatureNormalizer::fixed({1.0f}, {0.0f}).ok());
  EXPECT_FALSE(FeatureNormalizer::fixed({1.0f, 2.0f}, {1.0f}).ok());
}

TEST(FeatureNormalizer, RunningStatisticsHandComputed) {
  auto n = FeatureNormalizer::running(1, 1e-3f);
  ASSERT_TRUE(n.ok());
  // Rows 1, 3, 8: means 1, 2, 4; population std 0 (floored), 1, sqrt(((1-4)^2 + (3-4)^2 + (8-4)^2) / 3).
  std::vector<float> r{1.0f};
  ASSERT_TRUE(n->apply(r).ok());
  EXPECT_FLOAT_EQ(r[0], 0.0f);
  r = {3.0f};
  ASSERT_TRUE(n->apply(r).ok());
  EXPECT_FLOAT_EQ(r[0], 1.0f);
  r = {8.0f};
  ASSERT_TRUE(n->apply(r).ok());
  EXPECT_NEAR(r[0], 4.0 / std::sqrt(26.0 / 3.0), 1e-6);
  n->reset();
  r = {100.0f};
  ASSERT_TRUE(n->apply(r).ok());
  EXPECT_FLOAT_EQ(r[0], 0.0f);
}

}  // namespace
}  // namespace sensix
