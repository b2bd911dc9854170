// Lifecycle and replay clock of the file drivers (ReplayDriver), on real WAV files: real-time
// pacing, speed, loop, stop, a refusing sink, falling behind. Paced replays run on a ManualEnv
// (exact times, no waiting); what is about real time (max speed, a prompt stop) is timed for real,
// with loose bounds.
#include "sensors/replay/replay_driver.h"

#include <thread>

#include <gtest/gtest.h>

#include "common/env.h"
#include "sensors/replay/audio_file_driver.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"
#include "support/test_audio.h"
#include "support/wait.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using testing::audio_spec;
using testing::RecordingSink;
using testing::seconds_since;
using testing::TempDir;
using testing::write_test_audio;

class Replay : public ::testing::Test {
 protected:
  void SetUp() override {
    one_second_ = dir_.file("one-second.wav");
    write_test_audio(one_second_, 16000, 1, 16000);
  }
  // Runs the one-second file to its end at `speed` on the manual clock; returns the clock's
  // seconds it took.
  double run_to_end(double speed, RecordingSink* sink, std::unique_ptr<AudioFileDriver>* out) {
    auto d = std::make_unique<AudioFileDriver>("mic", audio_spec(one_second_, speed), &env_);
    EXPECT_TRUE(d->open().ok());
    auto t0 = env_.now();
    EXPECT_TRUE(d->start(sink).ok());
    EXPECT_TRUE(env_.run_until([&] { return sink->eos_calls() > 0; }));
    double took = clock_seconds_since(t0);
    d->stop();
    *out = std::move(d);
    return took;
  }
  double clock_seconds_since(TimePoint t0) const { return std::chrono::duration<double>(env_.now() - t0).count(); }
  ManualEnv env_;  // declared first: outlives the drivers of a test
  TempDir dir_;
  std::string one_second_;
};

TEST_F(Replay, RealTimeTakesAboutTheLengthOfTheFile) {
  RecordingSink sink;
  std::unique_ptr<AudioFileDriver> d;
  double took = run_to_end(1.0, &sink, &d);
  EXPECT_GT(took, 0.8);
  EXPECT_LT(took, 2.5);
  EXPECT_DOUBLE_EQ(took, 0.98) << "the end follows the last chunk, due at 980 ms";
  EXPECT_EQ(sink.frames().size(), 50u);
  EXPECT_EQ(d->state(), SensorState::kStopped);
  EXPECT_EQ(sink.eos_calls(), 1);
  // Publication follows the media clock: the last chunk (at 980 ms) leaves well after the first.
  auto frames = sink.frames();
  auto spread = frames.back()->captured - frames.front()->captured;
  EXPECT_GT(spread, 700ms);
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(frames[k]->captured - frames[0]->captured, std::chrono::nanoseconds(frames[k]->media_ns))
        << "frame " << k;
  }
  EXPECT_EQ(d->stats().late_frames, 0u);
}

TEST_F(Replay, MaxSpeedIsFarFasterThanRealTime) {
  RecordingSink sink;
  std::unique_ptr<AudioFileDriver> d;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run_to_end(0.0, &sink, &d), 0.0) << "an unpaced replay never waits for the clock";
  double took = seconds_since(t0);
  EXPECT_LT(took, 0.4);
  EXPECT_EQ(sink.frames().size(), 50u);
  EXPECT_EQ(d->stats().late_frames, 0u);
}

TEST_F(Replay, SpeedFourTakesAboutAQuarter) {
  RecordingSink sink;
  std::unique_ptr<AudioFileDriver> d;
  double took = run_to_end(4.0, &sink, &d);
  EXPECT_GT(took, 0.18);
  EXPECT_LT(took, 0.8);
  EXPECT_DOUBLE_EQ(took, 0.245);  // the last chunk is due at 980 ms / 4
  EXPECT_EQ(sink.frames().size(), 50u);
}

TEST_F(Replay, LoopKeepsGoingWithMonotonicMediaTime) {
  SensorSpec spec = audio_spec(one_second_, 0);
  spec.replay.loop = true;
  AudioFileDriver d("mic", spec);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(175));  // three and a half passes
  d.stop();
  auto frames = sink.frames();
  ASSERT_GE(frames.size(), 175u);
  for (size_t k = 1; k < frames.size(); ++k) {
    EXPECT_EQ(frames[k]->seq, frames[k - 1]->seq + 1);
    ASSERT_EQ(frames[k]->media_ns, frames[k - 1]->media_ns + frames[k - 1]->duration_ns) << "frame " << k;
  }
  // The second pass starts where the first ended and repeats its samples.
  EXPECT_EQ(frames[50]->media_ns, 1'000'000'000);
  EXPECT_EQ(frames[50]->audio().samples, frames[0]->audio().samples);
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(d.reason(), "stopped on request");
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kCancelled);
}

TEST_F(Replay, LoopInRealTimeCrossesThePassBoundaryOnTime) {
  const std::string short_file = dir_.file("short.wav");
  write_test_audio(short_file, 16000, 1, 3200);  // 200 ms
  SensorSpec spec = audio_spec(short_file, 1.0);
  spec.replay.loop = true;
  AudioFileDriver d("mic", spec, &env_);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  auto t0 = env_.now();
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env_.run_until([&] { return sink.frames().size() >= 25; }));  // 2.5 passes: 500 ms of media
  double took = clock_seconds_since(t0);
  d.stop();
  EXPECT_GT(took, 0.4);
  EXPECT_LT(took, 2.0);
  EXPECT_DOUBLE_EQ(took, 0.48);  // the 25th chunk is due at 480 ms, across two pass boundaries
  auto frames = sink.frames();
  for (size_t k = 0; k < 25; ++k) {
    EXPECT_EQ(frames[k]->captured - t0, std::chrono::nanoseconds(frames[k]->media_ns)) << "frame " << k;
  }
}

TEST_F(Replay, StopInTheMiddleIsPromptAndEndsTheStreamOnce) {
  const std::string long_file = dir_.file("ten-seconds.wav");
  write_test_audio(long_file, 16000, 1, 160000);
  AudioFileDriver d("mic", audio_spec(long_file, 1.0), &env_);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env_.run_until([&] { return sink.frames().size() >= 5; }));
  ASSERT_TRUE(env_.await_blocked(1));  // pacing the 6th frame: stop() must wake it
  EXPECT_EQ(d.state(), SensorState::kRunning);
  EXPECT_EQ(d.reason(), "");
  auto t0 = std::chrono::steady_clock::now();
  d.stop();
  EXPECT_LT(seconds_since(t0), 0.2);
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kCancelled);
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_LT(sink.frames().size(), 100u);
  d.stop();  // idempotent
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_FALSE(d.start(&sink).ok());  // a stopped driver does not start again
}

TEST_F(Replay, StopAtTheEndOfTheFileKeepsTheEndReason) {
  RecordingSink sink;
  std::unique_ptr<AudioFileDriver> d;
  run_to_end(0.0, &sink, &d);
  EXPECT_EQ(d->state(), SensorState::kStopped);
  EXPECT_NE(d->reason().find("end of"), std::string::npos) << d->reason();
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_TRUE(sink.eos_status().ok());
}

TEST_F(Replay, StopBeforeStartAndLifecycleMisuse) {
  AudioFileDriver d("mic", audio_spec(one_second_, 0));
  RecordingSink sink;
  EXPECT_EQ(d.start(&sink).code(), StatusCode::kFailedPrecondition);  // not open
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.open().code(), StatusCode::kFailedPrecondition);  // twice
  EXPECT_EQ(d.start(nullptr).code(), StatusCode::kInvalidArgument);
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_FALSE(d.start(&sink).ok());
  EXPECT_EQ(sink.eos_calls(), 0);  // never started: nothing to end
}

TEST_F(Replay, DestroyingARunningDriverStopsIt) {
  RecordingSink sink;
  {
    SensorSpec spec = audio_spec(one_second_, 1.0);
    spec.replay.loop = true;
    AudioFileDriver d("mic", spec, &env_);
    ASSERT_TRUE(d.open().ok());
    ASSERT_TRUE(d.start(&sink).ok());
    ASSERT_TRUE(env_.run_until([&] { return sink.frames().size() >= 2; }));
  }
  EXPECT_EQ(sink.eos_calls(), 1);
}

TEST_F(Replay, ASinkThatRefusesStopsTheDriver) {
  RecordingSink sink;
  int pushes = 0;
  sink.on_push = [&](const Frame&) { return ++pushes <= 5; };
  AudioFileDriver d("mic", audio_spec(one_second_, 0));
  ASSERT_TRUE(d.open().ok());
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  d.stop();
  EXPECT_EQ(sink.frames().size(), 5u);
  EXPECT_EQ(d.stats().frames, 5u);
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kCancelled);
}

TEST_F(Replay, FallingBehindDegradesCountsLateFramesAndRecovers) {
  const std::string file = dir_.file("three-seconds.wav");
  write_test_audio(file, 16000, 1, 48000);
  SensorSpec spec = audio_spec(file, 1.0);
  spec.audio.frame_ms = 100;
  AudioFileDriver d("mic", spec, &env_);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  std::vector<SensorState> seen;  // the driver's state as each frame is pushed
  sink.on_push = [&](const Frame& f) {
    seen.push_back(d.state());
    if (f.seq < 3) env_.advance(300ms);  // a slow consumer (300 ms per frame on the clock), then a fast one
    return true;
  };
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env_.run_until([&] { return sink.eos_calls() > 0; }));
  d.stop();
  ASSERT_EQ(seen.size(), 30u);
  EXPECT_GE(d.stats().late_frames, 1u);
  EXPECT_EQ(d.stats().late_frames, 3u) << "frames 1, 2 and 3 come 200 ms after they were due";
  EXPECT_EQ(seen[1], SensorState::kDegraded);  // due at 100 ms, published after 300 ms
  EXPECT_EQ(seen.back(), SensorState::kRunning) << "no recovery after the consumer caught up";
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(d.stats().frames, 30u);
}

TEST(SensorStateName, EveryStateHasItsName) {
  const std::vector<std::pair<SensorState, std::string>> cases = {
      {SensorState::kPending, "pending"},   {SensorState::kRunning, "running"},
      {SensorState::kDegraded, "degraded"}, {SensorState::kReconnecting, "reconnecting"},
      {SensorState::kStopped, "stopped"},   {SensorState::kFailed, "failed"},
  };
  for (const auto& [s, name] : cases) EXPECT_EQ(sensor_state_name(s), name);
}

}  // namespace
}  // namespace sensix
