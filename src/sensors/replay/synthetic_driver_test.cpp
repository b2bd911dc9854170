// synthetic driver: exact sample and pixel values against hand-computed formulas, phase
// continuity across frames and loops, durations, endless mode, and the checks of open().
#include "sensors/replay/synthetic_driver.h"

#include <atomic>
#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "common/env.h"
#include "support/recording_sink.h"
#include "support/wait.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using testing::RecordingSink;
using testing::seconds_since;

SensorSpec audio_signal(SyntheticSignal signal, int rate = 16000, int channels = 1, int frame_ms = 20,
                        double duration = 0.1) {
  SensorSpec s;
  s.driver = DriverKind::kSynthetic;
  s.synthetic.signal = signal;
  s.synthetic.duration = duration;
  s.audio.sample_rate = rate;
  s.audio.channels = channels;
  s.audio.frame_ms = frame_ms;
  s.replay.speed = 0;  // as fast as the sink takes them
  return s;
}

SensorSpec image_signal(SyntheticSignal signal, int width, int height, double fps = 10, double duration = 0.3) {
  SensorSpec s;
  s.driver = DriverKind::kSynthetic;
  s.synthetic.signal = signal;
  s.synthetic.duration = duration;
  s.video.width = width;
  s.video.height = height;
  s.video.fps = fps;
  s.replay.speed = 0;
  return s;
}

// Runs a finite signal to its end; the frames it published.
std::vector<FramePtr> run_to_end(const SensorSpec& spec) {
  SyntheticDriver d("gen", spec);
  Status opened = d.open();
  EXPECT_TRUE(opened.ok()) << opened.message();
  if (!opened.ok()) return {};
  RecordingSink sink;
  EXPECT_TRUE(d.start(&sink).ok());
  EXPECT_TRUE(sink.wait_for_end());
  d.stop();
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_TRUE(sink.eos_status().ok()) << sink.eos_status().message();
  EXPECT_EQ(d.state(), SensorState::kStopped);
  return sink.frames();
}

// All samples of channel `c`, frames concatenated.
std::vector<float> channel(const std::vector<FramePtr>& frames, int c) {
  std::vector<float> out;
  for (const auto& f : frames) {
    const AudioChunk& a = f->audio();
    for (int64_t i = 0; i < a.frames(); ++i) out.push_back(a.samples[static_cast<size_t>(i * a.channels + c)]);
  }
  return out;
}

cv::Vec3b px(const Frame& f, int x, int y) { return f.image().at<cv::Vec3b>(y, x); }

// ---------------------------------------------------------------------------------------------
// Audio

TEST(SyntheticAudio, SineHasTheHandComputedValues) {
  SensorSpec spec = audio_signal(SyntheticSignal::kSine);
  spec.synthetic.frequency = 1000;  // 16 samples per period at 16 kHz
  spec.synthetic.amplitude = 0.5;
  auto frames = run_to_end(spec);
  ASSERT_EQ(frames.size(), 5u);
  for (const auto& f : frames) EXPECT_EQ(f->source, nullptr) << "generated data has no source";
  const std::vector<float> x = channel(frames, 0);
  ASSERT_EQ(x.size(), 1600u);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_FLOAT_EQ(x[2], static_cast<float>(0.5 * std::sqrt(0.5)));  // sin(pi/4)
  EXPECT_EQ(x[4], 0.5f);                                            // sin(pi/2)
  EXPECT_NEAR(x[8], 0.0f, 1e-7);                                    // sin(pi)
  EXPECT_EQ(x[12], -0.5f);                                          // sin(3 pi/2)
  EXPECT_EQ(x[16], 0.0f);                                           // a whole period: phase exactly 0
  EXPECT_EQ(x[320], 0.0f);                                          // first sample of the second frame
  EXPECT_EQ(x[324], 0.5f);
}

TEST(SyntheticAudio, SineIsPhaseContinuousAcrossFrameBoundaries) {
  // 440 Hz in 7 ms chunks of 112 samples: no chunk holds a whole number of periods.
  SensorSpec spec = audio_signal(SyntheticSignal::kSine, 16000, 2, 7);
  spec.synthetic.frequency = 440;
  spec.synthetic.amplitude = 0.8;
  auto frames = run_to_end(spec);
  ASSERT_EQ(frames.size(), 15u);  // 14 x 112 + 32 = 1600 samples
  EXPECT_EQ(frames[0]->audio().frames(), 112);
  EXPECT_EQ(frames[14]->audio().frames(), 32);
  // Hand-computed at the second chunk's first sample: 440 * 112 / 16000 = 3.08 cycles.
  EXPECT_NEAR(frames[1]->audio().samples[0], 0.8 * std::sin(2 * std::numbers::pi * 0.08), 1e-6);
  const std::vector<float> left = channel(frames, 0);
  const std::vector<float> right = channel(frames, 1);
  ASSERT_EQ(left.size(), 1600u);
  for (size_t n = 0; n < left.size(); ++n) {
    ASSERT_NEAR(left[n], 0.8 * std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(n) / 16000.0), 1e-6)
        << "sample " << n;
    ASSERT_EQ(left[n], right[n]) << "channels differ at sample " << n;
  }
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(frames[k]->media_ns, static_cast<int64_t>(k) * 7'000'000) << "frame " << k;
  }
}

TEST(SyntheticAudio, SquareIsTheSignOfTheSineWithZeroPositive) {
  // 3000 Hz at 16 kHz: the phase of sample n is (3 n mod 16) / 16 cycles; the sine is >= 0 when
  // 3 n mod 16 <= 8 (0 and 8 are its zeros).
  SensorSpec spec = audio_signal(SyntheticSignal::kSquare, 16000, 2);
  spec.synthetic.frequency = 3000;
  spec.synthetic.amplitude = 0.25;
  auto frames = run_to_end(spec);
  ASSERT_EQ(frames.size(), 5u);
  const std::vector<float> x = channel(frames, 0);
  const std::vector<float> y = channel(frames, 1);
  ASSERT_EQ(x.size(), 1600u);
  EXPECT_EQ(x[0], 0.25f);   // sin(0) = 0 -> +A
  EXPECT_EQ(x[3], -0.25f);  // 9/16 of a cycle
  EXPECT_EQ(x[8], 0.25f);   // 24 mod 16 = 8: sin(pi) = 0 -> +A
  for (size_t n = 0; n < x.size(); ++n) {
    const float want = (3 * n) % 16 <= 8 ? 0.25f : -0.25f;
    ASSERT_EQ(x[n], want) << "sample " << n;  // across the four chunk boundaries too
    ASSERT_EQ(y[n], want) << "sample " << n;
  }
}

TEST(SyntheticAudio, LoopContinuesThePhaseAndTheMediaTime) {
  // 10 ms passes (160 samples, 4.4 periods of 440 Hz), looped.
  SensorSpec spec = audio_signal(SyntheticSignal::kSine, 16000, 1, 20, 0.01);
  spec.synthetic.frequency = 440;
  spec.replay.loop = true;
  SyntheticDriver d("gen", spec);
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.info().duration_ns, 10'000'000);  // one pass
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(6));
  d.stop();
  auto frames = sink.frames();
  ASSERT_GE(frames.size(), 6u);
  std::vector<FramePtr> first(frames.begin(), frames.begin() + 6);
  const std::vector<float> x = channel(first, 0);
  ASSERT_EQ(x.size(), 6u * 160);
  for (size_t n = 0; n < x.size(); ++n) {
    ASSERT_NEAR(x[n], 0.5 * std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(n) / 16000.0), 1e-6)
        << "sample " << n;
  }
  for (size_t k = 0; k < 6; ++k) EXPECT_EQ(frames[k]->media_ns, static_cast<int64_t>(k) * 10'000'000);
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kCancelled);
}

TEST(SyntheticAudio, WhiteNoiseIsDeterministicUniformAndInRange) {
  SensorSpec spec = audio_signal(SyntheticSignal::kWhiteNoise, 16000, 2, 20, 1.0);
  spec.synthetic.amplitude = 0.3;
  spec.synthetic.seed = 7;
  const std::vector<float> a = channel(run_to_end(spec), 0);
  const std::vector<float> a_again = channel(run_to_end(spec), 1);  // the other channel of another run
  spec.synthetic.seed = 8;
  const std::vector<float> b = channel(run_to_end(spec), 0);
  ASSERT_EQ(a.size(), 16000u);
  EXPECT_EQ(a, a_again);  // same seed, same samples; every channel identical
  EXPECT_NE(a, b);
  // The documented formula: A ((2 k + 1) / 2^32 - 1), k the mt19937 outputs in order.
  std::mt19937 rng(7);
  double sum = 0, lo = 1, hi = -1;
  for (size_t n = 0; n < a.size(); ++n) {
    const double k = static_cast<double>(rng());
    ASSERT_EQ(a[n], static_cast<float>(0.3 * ((2 * k + 1) / 4294967296.0 - 1))) << "sample " << n;
    ASSERT_GE(a[n], -0.3f);
    ASSERT_LE(a[n], 0.3f);
    sum += a[n];
    lo = std::min(lo, static_cast<double>(a[n]));
    hi = std::max(hi, static_cast<double>(a[n]));
  }
  EXPECT_NEAR(sum / a.size(), 0.0, 0.01);  // uniform: mean 0, std A / sqrt(3) / sqrt(16000) ~ 0.0014
  EXPECT_LT(lo, -0.29);
  EXPECT_GT(hi, 0.29);
}

TEST(SyntheticAudio, SilenceIsZeros) {
  auto frames = run_to_end(audio_signal(SyntheticSignal::kSilence, 8000, 3));
  ASSERT_EQ(frames.size(), 5u);
  for (const auto& f : frames) {
    for (float v : f->audio().samples) ASSERT_EQ(v, 0.0f);
  }
}

TEST(SyntheticAudio, ADurationOfATenthOfASecondIsFiveFramesThenTheEnd) {
  SensorSpec spec = audio_signal(SyntheticSignal::kSine);
  spec.synthetic.frequency = 1000;
  SyntheticDriver d("tone", spec);
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.info().modality, Modality::kAudio);
  EXPECT_EQ(d.info().sample_rate, 16000);
  EXPECT_EQ(d.info().channels, 1);
  EXPECT_EQ(d.info().duration_ns, 100'000'000);
  EXPECT_EQ(d.info().description, "synthetic sine 1000 Hz, amplitude 0.5, 16000 Hz, 1 ch, 0.10 s");
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  d.stop();
  auto frames = sink.frames();
  ASSERT_EQ(frames.size(), 5u);
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(frames[k]->seq, k);
    EXPECT_EQ(frames[k]->audio().frames(), 320);
    EXPECT_EQ(frames[k]->audio().sample_rate, 16000);
    EXPECT_EQ(frames[k]->media_ns, static_cast<int64_t>(k) * 20'000'000);
    EXPECT_EQ(frames[k]->duration_ns, 20'000'000);
  }
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_TRUE(sink.eos_status().ok()) << sink.eos_status().message();
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(d.reason(), "end of synthetic sine 1000 Hz");
  EXPECT_EQ(d.stats().frames, 5u);
}

TEST(SyntheticAudio, RealTimeIsPacedLikeAFile) {
  SensorSpec spec = audio_signal(SyntheticSignal::kSine, 16000, 1, 20, 0.3);
  spec.synthetic.frequency = 440;
  spec.replay.speed = 1;
  ManualEnv env;
  SyntheticDriver d("tone", spec, &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  const auto t0 = env.now();
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env.run_until([&] { return sink.eos_calls() > 0; }));
  const double took = std::chrono::duration<double>(env.now() - t0).count();
  d.stop();
  EXPECT_EQ(sink.frames().size(), 15u);
  EXPECT_GT(took, 0.25);  // the last frame is due at 280 ms
  EXPECT_LT(took, 2.0);
  EXPECT_DOUBLE_EQ(took, 0.28);
}

// Counts frames without keeping them (an endless source at max speed makes many).
class CountingSink final : public FrameSink {
 public:
  bool push(FramePtr frame) override {
    last_media_ns = frame->media_ns;
    ++count;
    return true;
  }
  void end_of_stream(const Status& why) override {
    status = why;
    ++eos_calls;
  }
  std::atomic<uint64_t> count{0};
  std::atomic<int64_t> last_media_ns{0};
  Status status;
  int eos_calls = 0;
};

TEST(SyntheticAudio, EndlessKeepsProducingUntilStopped) {
  SensorSpec spec = audio_signal(SyntheticSignal::kWhiteNoise, 16000, 1, 20, 0);  // duration 0: endless
  SyntheticDriver d("hiss", spec);
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.info().duration_ns, -1);
  CountingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  // 2000 frames are 40 s of audio, far beyond any end a finite default could have.
  const auto t0 = std::chrono::steady_clock::now();
  while (sink.count < 2000 && seconds_since(t0) < 30) std::this_thread::sleep_for(1ms);
  ASSERT_GE(sink.count, 2000u);
  EXPECT_EQ(d.state(), SensorState::kRunning);
  EXPECT_EQ(sink.eos_calls, 0);
  d.stop();
  EXPECT_EQ(sink.eos_calls, 1);
  EXPECT_EQ(sink.status.code(), StatusCode::kCancelled);
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(d.reason(), "stopped on request");
  EXPECT_EQ(sink.last_media_ns, static_cast<int64_t>(sink.count - 1) * 20'000'000);
}

TEST(SyntheticAudio, EndlessInRealTimeStopsPromptly) {
  SensorSpec spec = audio_signal(SyntheticSignal::kSine, 16000, 1, 20, 0);
  spec.synthetic.frequency = 440;
  spec.replay.speed = 1;
  ManualEnv env;
  SyntheticDriver d("tone", spec, &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env.run_until([&] { return sink.frames().size() >= 10; }));
  ASSERT_TRUE(env.await_blocked(1));  // pacing the 11th frame: stop() must wake it
  EXPECT_EQ(d.state(), SensorState::kRunning);
  const auto t0 = std::chrono::steady_clock::now();
  d.stop();
  EXPECT_LT(seconds_since(t0), 0.2);
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kCancelled);
}

// ---------------------------------------------------------------------------------------------
// Images

TEST(SyntheticImage, BarsHaveTheDocumentedColours) {
  auto frames = run_to_end(image_signal(SyntheticSignal::kBars, 320, 240, 10, 0.3));
  ASSERT_EQ(frames.size(), 3u);  // 0.3 s x 10 fps, although 0.3 * 10 is 3.0000000000000004
  const cv::Vec3b want[8] = {{255, 255, 255}, {0, 255, 255}, {255, 255, 0}, {0, 255, 0},
                             {255, 0, 255},   {0, 0, 255},   {255, 0, 0},   {0, 0, 0}};
  for (size_t k = 0; k < frames.size(); ++k) {
    const Frame& f = *frames[k];
    ASSERT_FALSE(f.is_audio());
    EXPECT_EQ(f.image().type(), CV_8UC3);
    EXPECT_EQ(f.image().cols, 320);
    EXPECT_EQ(f.image().rows, 240);
    EXPECT_EQ(f.media_ns, static_cast<int64_t>(k) * 100'000'000);
    EXPECT_EQ(f.duration_ns, 100'000'000);
    for (int bar = 0; bar < 8; ++bar) {
      for (int x : {bar * 40, bar * 40 + 20, bar * 40 + 39}) {
        for (int y : {0, 120, 239}) ASSERT_EQ(px(f, x, y), want[bar]) << "bar " << bar << " at " << x << "," << y;
      }
    }
  }
  EXPECT_EQ(px(*frames[0], 10, 10), cv::Vec3b(255, 255, 255));      // bar 0 white
  EXPECT_EQ(px(*frames[0], 5 * 40 + 7, 10), cv::Vec3b(0, 0, 255));  // bar 5 red (BGR)
}

TEST(SyntheticImage, BarsOfAWidthNotDivisibleByEight) {
  // The bar of column x is x * 8 / width: with 100 columns bar 0 is 0..12, bar 1 13..24.
  auto frames = run_to_end(image_signal(SyntheticSignal::kBars, 100, 2, 10, 0.1));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(px(*frames[0], 12, 1), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(px(*frames[0], 13, 1), cv::Vec3b(0, 255, 255));
  EXPECT_EQ(px(*frames[0], 24, 1), cv::Vec3b(0, 255, 255));
  EXPECT_EQ(px(*frames[0], 25, 1), cv::Vec3b(255, 255, 0));
  EXPECT_EQ(px(*frames[0], 99, 0), cv::Vec3b(0, 0, 0));
}

TEST(SyntheticImage, CheckerboardOfEightPixelSquares) {
  auto frames = run_to_end(image_signal(SyntheticSignal::kCheckerboard, 64, 48, 10, 0.2));
  ASSERT_EQ(frames.size(), 2u);
  const cv::Vec3b white(255, 255, 255), black(0, 0, 0);
  for (const auto& f : frames) {
    EXPECT_EQ(px(*f, 0, 0), white);
    EXPECT_EQ(px(*f, 7, 7), white);
    EXPECT_EQ(px(*f, 8, 0), black);
    EXPECT_EQ(px(*f, 0, 8), black);
    EXPECT_EQ(px(*f, 8, 8), white);
    EXPECT_EQ(px(*f, 15, 3), black);
    EXPECT_EQ(px(*f, 63, 47), white);  // square (7, 5): 12 is even
    for (int y = 0; y < 48; ++y) {
      for (int x = 0; x < 64; ++x) ASSERT_EQ(px(*f, x, y), (x / 8 + y / 8) % 2 == 0 ? white : black);
    }
  }
}

TEST(SyntheticImage, MovingBoxMovesOnePixelPerFrameAndWraps) {
  // 80x64: side 8, rows 28..35; the left edge goes 0, 1, ... 72, then 0 again (73 positions).
  auto frames = run_to_end(image_signal(SyntheticSignal::kMovingBox, 80, 64, 10, 7.5));
  ASSERT_EQ(frames.size(), 75u);
  for (size_t n = 0; n < frames.size(); ++n) {
    const int left = static_cast<int>(n % 73);
    const cv::Mat& img = frames[n]->image();
    ASSERT_EQ(cv::countNonZero(img.reshape(1)), 8 * 8 * 3) << "frame " << n;
    EXPECT_EQ(px(*frames[n], left, 28), cv::Vec3b(255, 255, 255)) << "frame " << n;
    EXPECT_EQ(px(*frames[n], left + 7, 35), cv::Vec3b(255, 255, 255)) << "frame " << n;
    if (left > 0) {
      EXPECT_EQ(px(*frames[n], left - 1, 30), cv::Vec3b(0, 0, 0)) << "frame " << n;
    }
    if (left + 8 < 80) {
      EXPECT_EQ(px(*frames[n], left + 8, 30), cv::Vec3b(0, 0, 0)) << "frame " << n;
    }
    EXPECT_EQ(px(*frames[n], left, 27), cv::Vec3b(0, 0, 0)) << "frame " << n;
    EXPECT_EQ(px(*frames[n], left, 36), cv::Vec3b(0, 0, 0)) << "frame " << n;
  }
  EXPECT_EQ(px(*frames[72], 79, 30), cv::Vec3b(255, 255, 255));  // at the right edge
  EXPECT_EQ(px(*frames[73], 0, 30), cv::Vec3b(255, 255, 255));   // back at the left
}

TEST(SyntheticImage, NoiseIsSeededUniformBytes) {
  SensorSpec spec = image_signal(SyntheticSignal::kNoise, 64, 32, 10, 0.2);
  spec.synthetic.seed = 42;
  auto a = run_to_end(spec);
  auto again = run_to_end(spec);
  spec.synthetic.seed = 43;
  auto b = run_to_end(spec);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(again.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  auto same = [](const cv::Mat& x, const cv::Mat& y) { return cv::norm(x, y, cv::NORM_INF) == 0; };
  EXPECT_TRUE(same(a[0]->image(), again[0]->image()));
  EXPECT_TRUE(same(a[1]->image(), again[1]->image()));
  EXPECT_FALSE(same(a[0]->image(), a[1]->image()));  // fresh every frame
  EXPECT_FALSE(same(a[0]->image(), b[0]->image()));
  // The documented bytes: the top 8 bits of mt19937(seed), row by row, B G R per pixel.
  std::mt19937 rng(42);
  double sum = 0;
  for (const auto& f : a) {
    const cv::Mat& img = f->image();
    for (int y = 0; y < img.rows; ++y) {
      const uint8_t* row = img.ptr<uint8_t>(y);
      for (int k = 0; k < img.cols * 3; ++k) {
        ASSERT_EQ(row[k], static_cast<uint8_t>(rng() >> 24)) << "byte " << k << " of row " << y;
        sum += row[k];
      }
    }
  }
  EXPECT_NEAR(sum / (2.0 * 64 * 32 * 3), 127.5, 3.0);
}

TEST(SyntheticImage, InfoDescribesTheStream) {
  SyntheticDriver d("bars", image_signal(SyntheticSignal::kBars, 320, 240, 10, 0));
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.info().modality, Modality::kImage);
  EXPECT_EQ(d.info().width, 320);
  EXPECT_EQ(d.info().height, 240);
  EXPECT_EQ(d.info().channels, 3);
  EXPECT_DOUBLE_EQ(d.info().fps, 10.0);
  EXPECT_EQ(d.info().duration_ns, -1);
  EXPECT_EQ(d.info().description, "synthetic bars, 320x240 BGR, 10 fps, endless");
}

// ---------------------------------------------------------------------------------------------
// Construction and checks

TEST(SyntheticSpec, ModalityFollowsTheSignal) {
  EXPECT_EQ(modality_of(audio_signal(SyntheticSignal::kSilence)), Modality::kAudio);
  EXPECT_EQ(modality_of(image_signal(SyntheticSignal::kNoise, 8, 8)), Modality::kImage);
  SensorSpec file;
  file.driver = DriverKind::kImageFolder;
  EXPECT_EQ(modality_of(file), Modality::kImage);
  file.driver = DriverKind::kAudioFile;
  EXPECT_EQ(modality_of(file), Modality::kAudio);
}

TEST(SyntheticSpec, MakeSensorDriverBuildsIt) {
  SensorSpec spec = audio_signal(SyntheticSignal::kSine);
  spec.synthetic.frequency = 440;
  auto d = make_sensor_driver("tone", spec);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_NE(dynamic_cast<SyntheticDriver*>(d->get()), nullptr);
  EXPECT_EQ((*d)->state(), SensorState::kPending);
  ASSERT_TRUE((*d)->open().ok());
  EXPECT_EQ((*d)->info().sample_rate, 16000);

  spec.path = "/tmp/tone.wav";
  auto with_path = make_sensor_driver("tone", spec);
  ASSERT_FALSE(with_path.ok());
  EXPECT_EQ(with_path.status().message(),
            "sensor tone: the synthetic driver reads no file, but spec.path is /tmp/tone.wav");
}

struct OpenCase {
  const char* name;
  SensorSpec spec;
  const char* message;
};
void PrintTo(const OpenCase& c, std::ostream* os) { *os << c.name; }

SensorSpec edit(SensorSpec s, void (*f)(SensorSpec&)) {
  f(s);
  return s;
}

class SyntheticOpenFails : public ::testing::TestWithParam<OpenCase> {};

TEST_P(SyntheticOpenFails, NamingTheField) {
  const OpenCase& c = GetParam();
  SyntheticDriver d("gen", c.spec);
  Status s = d.open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), c.message);
  EXPECT_EQ(d.state(), SensorState::kFailed);
}

SensorSpec tone() {
  SensorSpec s = audio_signal(SyntheticSignal::kSine);
  s.synthetic.frequency = 1000;
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Table, SyntheticOpenFails,
    ::testing::Values(
        OpenCase{"NoSampleRate", edit(tone(), [](SensorSpec& s) { s.audio.sample_rate = 0; }),
                 "synthetic sine 1000 Hz: signal sine needs audio.sampleRate and audio.channels (got 0 and 1)"},
        OpenCase{"NoFrequency", edit(tone(), [](SensorSpec& s) { s.synthetic.frequency = 0; }),
                 "synthetic sine 0 Hz: synthetic.frequency 0 Hz is not above 0 and below 8000 Hz (half the sample "
                 "rate)"},
        OpenCase{"AboveNyquist", edit(tone(), [](SensorSpec& s) { s.synthetic.frequency = 8000; }),
                 "synthetic sine 8000 Hz: synthetic.frequency 8000 Hz is not above 0 and below 8000 Hz (half the "
                 "sample rate)"},
        OpenCase{"Amplitude", edit(tone(), [](SensorSpec& s) { s.synthetic.amplitude = 2; }),
                 "synthetic sine 1000 Hz: synthetic.amplitude 2 is not in 0..1"},
        OpenCase{"NegativeDuration", edit(tone(), [](SensorSpec& s) { s.synthetic.duration = -1; }),
                 "synthetic sine 1000 Hz: synthetic.duration -1 is not valid (0 = endless, or seconds up to 1e+09)"},
        OpenCase{"ShorterThanASample", edit(tone(), [](SensorSpec& s) { s.synthetic.duration = 1e-5; }),
                 "synthetic sine 1000 Hz: synthetic.duration 1e-05 s is shorter than one sample at 16000 Hz"},
        OpenCase{"FrameMs", edit(tone(), [](SensorSpec& s) { s.audio.frame_ms = 0; }),
                 "synthetic sine 1000 Hz: audio.frameMs 0 is not in 1..1000"},
        OpenCase{"Path", edit(tone(), [](SensorSpec& s) { s.path = "a.wav"; }),
                 "synthetic sine 1000 Hz: the synthetic driver reads no file (path is a.wav)"},
        OpenCase{"NoWidth",
                 edit(image_signal(SyntheticSignal::kBars, 320, 240), [](SensorSpec& s) { s.video.width = 0; }),
                 "synthetic bars: signal bars needs video.width, video.height and video.fps (got 0, 240 and 10)"},
        OpenCase{"NoFps", edit(image_signal(SyntheticSignal::kNoise, 320, 240), [](SensorSpec& s) { s.video.fps = 0; }),
                 "synthetic noise (seed 1): signal noise needs video.width, video.height and video.fps (got 320, 240 "
                 "and 0)"}),
    [](const ::testing::TestParamInfo<OpenCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace sensix
