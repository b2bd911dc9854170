// MicrophoneDriver against a real PulseAudio daemon started by the test (a null sink; the driver
// records its monitor while paplay plays into it): the captured format, timestamps, frequency and
// level of a tone; the daemon killed and restarted mid-run; a source that does not exist; a
// server where nothing listens.
#include "sensors/live/microphone_driver.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "common/env.h"
#include "support/pulse_daemon.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using testing::PulseTestDaemon;
using testing::RecordingSink;
using testing::seconds_since;
using testing::TempDir;

#define SKIP_WITHOUT_PULSEAUDIO()                                                            \
  do {                                                                                       \
    if (std::string why = PulseTestDaemon::unavailable(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

SensorSpec mic_spec(const std::string& server, const std::string& device, int rate = 16000, int channels = 1,
                    int frame_ms = 20) {
  SensorSpec s;
  s.driver = DriverKind::kMicrophone;
  s.server = server;
  s.device = device;
  s.audio.sample_rate = rate;
  s.audio.channels = channels;
  s.audio.frame_ms = frame_ms;
  s.replay.speed = 1.0;
  s.reconnect.initial_delay = 0.05;
  s.reconnect.max_delay = 0.2;
  s.reconnect.timeout = 2.0;
  return s;
}

// Polls `cond` every 10 ms until it holds or `timeout` passes; returns its last value.
template <typename F>
bool wait_until(F cond, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return cond();
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A mono 16-bit WAV of a sine: `seconds` long at `rate`, `freq` Hz, amplitude `amp`.
void write_tone(const std::string& path, int rate, double seconds, double freq, double amp) {
  SF_INFO si{};
  si.samplerate = rate;
  si.channels = 1;
  si.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &si);
  ASSERT_NE(f, nullptr) << path << ": " << sf_strerror(nullptr);
  const auto n = static_cast<sf_count_t>(std::lround(seconds * rate));
  std::vector<float> buf(static_cast<size_t>(n));
  for (sf_count_t i = 0; i < n; ++i) {
    buf[static_cast<size_t>(i)] = static_cast<float>(amp * std::sin(2 * M_PI * freq * static_cast<double>(i) / rate));
  }
  ASSERT_EQ(sf_writef_float(f, buf.data(), n), n);
  sf_close(f);
}

double rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0 : std::sqrt(s / static_cast<double>(x.size()));
}

// The frequency (to 5 Hz) with the most power in `x` (Goertzel at every 5 Hz up to Nyquist).
double dominant_frequency(const std::vector<float>& x, int rate) {
  double best_f = 0, best_p = -1;
  for (double f = 50; f < rate / 2.0 - 50; f += 5) {
    const double w = 2 * M_PI * f / rate, c = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (float v : x) {
      const double s0 = v + c * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const double p = s1 * s1 + s2 * s2 - c * s1 * s2;
    if (p > best_p) best_p = p, best_f = f;
  }
  return best_f;
}

TEST(MicrophoneDriver, DescribesTheRequestedFormatWithoutConnecting) {
  // No server is needed to open: a source that is down when sensix starts does not stop it.
  MicrophoneDriver d("mic", mic_spec("unix:/nonexistent/native", "desk.monitor", 44100, 2, 10));
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.state(), SensorState::kPending);
  EXPECT_EQ(d.info().modality, Modality::kAudio);
  EXPECT_EQ(d.info().sample_rate, 44100);
  EXPECT_EQ(d.info().channels, 2);
  EXPECT_EQ(d.info().duration_ns, -1);
  EXPECT_NE(d.info().description.find("desk.monitor"), std::string::npos) << d.info().description;
  EXPECT_NE(d.info().description.find("unix:/nonexistent/native"), std::string::npos) << d.info().description;
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);

  // Defaults when a spec built in code leaves the format at 0 (the reader fills 16000 Hz, 1 ch).
  SensorSpec s = mic_spec("", "", 0, 0);
  MicrophoneDriver def("mic", s);
  ASSERT_TRUE(def.open().ok());
  EXPECT_EQ(def.info().sample_rate, 16000);
  EXPECT_EQ(def.info().channels, 1);
  EXPECT_NE(def.info().description.find("default PulseAudio source on the default server"), std::string::npos)
      << def.info().description;
}

TEST(MicrophoneDriver, RefusesAFormatPulseAudioCannotCapture) {
  for (auto [rate, channels, frame_ms, field] :
       {std::tuple{16000, 33, 20, "audio.channels"}, std::tuple{400000, 1, 20, "audio.sampleRate"},
        std::tuple{16000, 1, 0, "audio.frameMs"}}) {
    MicrophoneDriver d("mic", mic_spec("", "", rate, channels, frame_ms));
    Status s = d.open();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
    EXPECT_EQ(d.state(), SensorState::kFailed);
  }
}

TEST(MicrophoneDriver, TheFactoryBuildsItWithoutAPath) {
  auto d = make_sensor_driver("mic", mic_spec("", ""));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE((*d)->open().ok());
  EXPECT_EQ((*d)->info().sample_rate, 16000);
}

TEST(MicrophoneDriver, FailsNamingTheServerWhenNothingListensThere) {
  TempDir dir;
  const std::string server = "unix:" + dir.file("native");
  SensorSpec spec = mic_spec(server, "");
  spec.reconnect.max_attempts = 2;
  ManualEnv env;  // the back-off waits on this clock
  MicrophoneDriver d("mic", spec, &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  const auto t0 = std::chrono::steady_clock::now();
  const TimePoint clock0 = env.now();
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env.run_until([&] { return sink.eos_calls() > 0; }, 10s));
  EXPECT_EQ(env.now() - clock0, 50ms) << "one back-off (initialDelay) between the two attempts";
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_NE(d.reason().find(server), std::string::npos) << d.reason();
  EXPECT_NE(d.reason().find("2 failed attempts"), std::string::npos) << d.reason();
  EXPECT_NE(d.reason().find("Connection refused"), std::string::npos) << d.reason();
  EXPECT_FALSE(sink.eos_status().ok());
  EXPECT_EQ(d.stats().reconnects, 2u);
  EXPECT_EQ(d.stats().frames, 0u);
  EXPECT_LT(seconds_since(t0), 5.0);
  d.stop();
}

struct ToneCase {
  const char* name;
  int rate;
  int channels;
  int frame_ms;
};
void PrintTo(const ToneCase& c, std::ostream* os) { *os << c.name; }

class MicrophoneTone : public ::testing::TestWithParam<ToneCase> {};

// A 1 kHz tone played into the null sink comes back through the driver: the requested format,
// exact contiguous timestamps, the tone's frequency and a plausible level.
TEST_P(MicrophoneTone, CapturesAToneInTheRequestedFormat) {
  SKIP_WITHOUT_PULSEAUDIO();
  const ToneCase& c = GetParam();
  PulseTestDaemon pulse;
  ASSERT_TRUE(pulse.start().ok()) << pulse.log();
  const std::string tone = pulse.dir() + "/tone.wav";
  write_tone(tone, 22050, 0.8, 1000.0, 0.5);

  MicrophoneDriver d("mic", mic_spec(pulse.server(), PulseTestDaemon::kMonitor, c.rate, c.channels, c.frame_ms));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(3, 10s)) << d.reason();
  EXPECT_EQ(d.state(), SensorState::kRunning) << d.reason();
  ASSERT_TRUE(pulse.play(tone).ok());
  // What was played has been captured once ~300 ms more have arrived.
  const size_t after_play = sink.frames().size();
  ASSERT_TRUE(sink.wait_for_frames(after_play + static_cast<size_t>(300 / c.frame_ms), 10s)) << d.reason();
  EXPECT_EQ(d.state(), SensorState::kRunning) << d.reason();
  const auto t_stop = std::chrono::steady_clock::now();
  d.stop();
  EXPECT_LT(seconds_since(t_stop), 0.5) << "stop() waited too long";
  EXPECT_EQ(d.state(), SensorState::kStopped);

  const auto frames = sink.frames();
  const int64_t per_frame = std::lround(c.rate * c.frame_ms / 1000.0);
  std::vector<float> ch0;  // channel 0 of everything captured
  double max_channel_diff = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = *frames[i];
    ASSERT_TRUE(f.is_audio());
    EXPECT_EQ(f.seq, i);
    EXPECT_FALSE(f.discontinuity);
    ASSERT_NE(f.source, nullptr);
    EXPECT_EQ(*f.source, PulseTestDaemon::kMonitor);  // the PulseAudio source the server opened
    EXPECT_EQ(f.audio().sample_rate, c.rate);
    EXPECT_EQ(f.audio().channels, c.channels);
    EXPECT_EQ(f.audio().frames(), per_frame);
    EXPECT_EQ(f.duration_ns, per_frame * 1'000'000'000LL / c.rate);
    if (i > 0) {
      EXPECT_EQ(f.media_ns, frames[i - 1]->media_ns + frames[i - 1]->duration_ns) << "frame " << i;
    }
    const auto& s = f.audio().samples;
    for (size_t k = 0; k < s.size(); k += static_cast<size_t>(c.channels)) {
      ch0.push_back(s[k]);
      EXPECT_LE(std::abs(s[k]), 1.0f);
      for (int ch = 1; ch < c.channels; ++ch) {
        max_channel_diff = std::max(max_channel_diff, static_cast<double>(std::abs(s[k + ch] - s[k])));
      }
    }
  }
  // The tone: the longest run of loud 10 ms blocks.
  const size_t block = static_cast<size_t>(c.rate / 100);
  size_t best_start = 0, best_len = 0, run_start = 0, run_len = 0;
  for (size_t b = 0; (b + 1) * block <= ch0.size(); ++b) {
    std::vector<float> x(ch0.begin() + static_cast<long>(b * block), ch0.begin() + static_cast<long>((b + 1) * block));
    if (rms(x) > 0.1) {
      if (run_len == 0) run_start = b;
      if (++run_len > best_len) best_len = run_len, best_start = run_start;
    } else {
      run_len = 0;
    }
  }
  // 0.8 s were played: expect most of it as one loud run (edges may be faded by the resampler).
  EXPECT_GE(best_len, 70u) << "the tone was not captured: loudest run " << best_len * 10 << " ms";
  ASSERT_GE(best_len, 30u);
  // Analyse 200 ms from the middle of the run.
  const size_t mid = (best_start + best_len / 2) * block;
  std::vector<float> seg(ch0.begin() + static_cast<long>(mid - 10 * block),
                         ch0.begin() + static_cast<long>(mid + 10 * block));
  EXPECT_NEAR(dominant_frequency(seg, c.rate), 1000.0, 10.0);
  // A sine of amplitude 0.5 has an RMS of 0.354 (the null sink and the streams are at 100%).
  EXPECT_NEAR(rms(seg), 0.354, 0.06);
  // A mono file played into a stereo sink reaches every captured channel alike.
  EXPECT_LT(max_channel_diff, 0.05);
}

INSTANTIATE_TEST_SUITE_P(Formats, MicrophoneTone,
                         ::testing::Values(ToneCase{"mono_16k_20ms", 16000, 1, 20},
                                           ToneCase{"stereo_44k_10ms", 44100, 2, 10}),
                         [](const ::testing::TestParamInfo<ToneCase>& p) { return std::string(p.param.name); });

// The daemon is killed mid-run: the driver reconnects with back-off, naming the server; once a
// daemon serves the same socket again it runs again, and the first frame after the gap is marked.
TEST(MicrophoneDriver, ReconnectsAfterTheDaemonIsKilledAndRestarted) {
  SKIP_WITHOUT_PULSEAUDIO();
  PulseTestDaemon pulse;
  ASSERT_TRUE(pulse.start().ok()) << pulse.log();
  MicrophoneDriver d("mic", mic_spec(pulse.server(), PulseTestDaemon::kMonitor));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(5, 10s)) << d.reason();
  ASSERT_EQ(d.state(), SensorState::kRunning) << d.reason();

  pulse.kill();
  ASSERT_TRUE(wait_until([&] { return d.state() == SensorState::kReconnecting; }, 5s))
      << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_NE(d.reason().find(pulse.server()), std::string::npos) << d.reason();
  EXPECT_GE(d.stats().reconnects, 1u);
  // Let a few attempts fail against the dead socket.
  ASSERT_TRUE(wait_until([&] { return d.stats().reconnects >= 3; }, 5s)) << d.stats().reconnects;
  EXPECT_EQ(d.state(), SensorState::kReconnecting);
  EXPECT_NE(d.reason().find(pulse.server()), std::string::npos) << d.reason();
  const size_t before_gap = sink.frames().size();

  ASSERT_TRUE(pulse.start().ok()) << pulse.log();
  ASSERT_TRUE(sink.wait_for_frames(before_gap + 5, 10s)) << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_TRUE(wait_until([&] { return d.state() == SensorState::kRunning; }, 5s)) << d.reason();
  EXPECT_EQ(d.reason(), "");
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);

  const auto frames = sink.frames();
  ASSERT_GT(frames.size(), before_gap);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i]->discontinuity, i == before_gap) << "frame " << i << " of " << frames.size();
    EXPECT_EQ(frames[i]->seq, i);
    if (i > 0) {
      EXPECT_GE(frames[i]->media_ns, frames[i - 1]->media_ns + frames[i - 1]->duration_ns) << "frame " << i;
    }
  }
  // The gap is in the timestamps too: at least the back-off before the first retry (50 ms).
  const Frame& last = *frames[before_gap - 1];
  EXPECT_GE(frames[before_gap]->media_ns - (last.media_ns + last.duration_ns), 50'000'000);
}

// A daemon that freezes without closing its connections (SIGSTOP) is silence: after
// reconnect.timeout the source is lost, attempts that get no answer time out and are retried,
// stop() returns at once all the while, and capture resumes once the daemon does. (With
// libpulse's blocking simple API this sensor, and stop(), hung for as long as the daemon was
// stopped.)
TEST(MicrophoneDriver, AFrozenDaemonIsALossAndNeverBlocksStop) {
  SKIP_WITHOUT_PULSEAUDIO();
  PulseTestDaemon pulse;
  ASSERT_TRUE(pulse.start().ok()) << pulse.log();
  SensorSpec spec = mic_spec(pulse.server(), PulseTestDaemon::kMonitor);
  spec.reconnect.timeout = 0.5;
  MicrophoneDriver d("mic", spec);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(5, 10s)) << d.reason();

  pulse.freeze();
  ASSERT_TRUE(wait_until([&] { return d.state() == SensorState::kReconnecting; }, 5s))
      << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_NE(d.reason().find("no data for 0.5 s"), std::string::npos) << d.reason();
  ASSERT_TRUE(wait_until([&] { return d.reason().find("no answer while") != std::string::npos; }, 5s)) << d.reason();
  EXPECT_NE(d.reason().find(pulse.server()), std::string::npos) << d.reason();
  EXPECT_NE(d.reason().find("(reconnect.timeout)"), std::string::npos) << d.reason();

  pulse.thaw();
  const size_t before = sink.frames().size();
  ASSERT_TRUE(sink.wait_for_frames(before + 5, 10s)) << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_TRUE(wait_until([&] { return d.state() == SensorState::kRunning; }, 5s)) << d.reason();

  // Frozen again, mid-stream: stop() does not wait for the daemon.
  pulse.freeze();
  const auto t0 = std::chrono::steady_clock::now();
  d.stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 2s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_EQ(d.state(), SensorState::kStopped);
  pulse.thaw();
}

TEST(MicrophoneDriver, ASourceThatDoesNotExistIsRetriedAndNamed) {
  SKIP_WITHOUT_PULSEAUDIO();
  PulseTestDaemon pulse;
  ASSERT_TRUE(pulse.start().ok()) << pulse.log();
  ManualEnv env;  // the back-off waits on this clock
  MicrophoneDriver d("mic", mic_spec(pulse.server(), "no_such_source"), &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env.run_until([&] { return d.stats().reconnects >= 2; }, 5s)) << d.reason();
  EXPECT_EQ(d.state(), SensorState::kReconnecting);
  EXPECT_NE(d.reason().find("no_such_source"), std::string::npos) << d.reason();
  EXPECT_NE(d.reason().find(pulse.server()), std::string::npos) << d.reason();
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_TRUE(sink.frames().empty());
}

// stop() waits at most about one frame, even with long frames.
TEST(MicrophoneDriver, StopsWithinAboutOneFrame) {
  SKIP_WITHOUT_PULSEAUDIO();
  PulseTestDaemon pulse;
  ASSERT_TRUE(pulse.start().ok()) << pulse.log();
  MicrophoneDriver d("mic", mic_spec(pulse.server(), PulseTestDaemon::kMonitor, 16000, 1, 250));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(1, 10s)) << d.reason();
  EXPECT_EQ(sink.frames()[0]->audio().frames(), 4000);
  const auto t0 = std::chrono::steady_clock::now();
  d.stop();
  EXPECT_LT(seconds_since(t0), 0.6);
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(sink.eos_calls(), 1);
}

}  // namespace
}  // namespace sensix
