// End to end through a live microphone: a private PulseAudio daemon with a null sink, the real
// runtime with a `microphone` Sensor document recording the sink's monitor and the quickstart's
// voice pipeline (Silero VAD, mel -> embedding -> three wake-word heads), while paplay speaks
// "hey jarvis" (and, as a control, "alexa") into the sink in real time.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <sndfile.h>
#include <fmt/format.h>

#include "docs/parser.h"
#include "e2e_support.h"
#include "runtime/runtime.h"
#include "support/pulse_daemon.h"

namespace sensix::testing {
namespace {

using namespace std::chrono_literals;

template <typename F>
bool wait_until(F cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return cond();
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

size_t count_of(const std::vector<Prediction>& all, const std::string& model) {
  return static_cast<size_t>(
      std::count_if(all.begin(), all.end(), [&](const Prediction& p) { return p.model == model; }));
}

// What a failure needs to tell: whether audio was lost (sensor buffer, scheduler) or arrived whole.
std::string where_audio_went(const RuntimeStats& stats) {
  std::string out;
  for (const auto& s : stats.sensors) {
    out += fmt::format("sensor {}: {} frames, {} dropped, {} late, {} queued; ", s.name, s.frames, s.dropped, s.late,
                       s.queued);
  }
  for (const auto& m : stats.models) {
    out += fmt::format("{}: {} runs, {} skipped ({} from a full queue), {} deadline misses; ", m.model.name,
                       m.model.runs, m.sched.skipped, m.sched.dropped, m.sched.deadline_misses);
  }
  return out;
}

// `wav` (16-bit mono) twice, the second time half a hop of the wake-word chain (640 samples of the
// mel model's 1280) out of step with the first, written to `out`. Why: a head's score depends on
// where the speech falls within that hop, and a live capture starts anywhere in it. Replayed from the
// file at 16 offsets 5 ms apart, "alexa" peaks between 0.23 and 0.99 on the alexa head, below its
// threshold (0.5) for offsets within 25 ms of each other, so one utterance failed about one run in
// eight; of two utterances half a hop apart one is always well over it (0.68 at the worst offset,
// "hey jarvis" peaks at 0.88 or more at every offset).
std::string twice_half_a_hop_apart(const std::string& wav, const std::string& out) {
  SF_INFO info{};
  SNDFILE* in = sf_open(wav.c_str(), SFM_READ, &info);
  EXPECT_NE(in, nullptr) << wav << ": " << sf_strerror(nullptr);
  if (in == nullptr) return "";
  EXPECT_EQ(info.channels, 1) << wav;
  std::vector<int16_t> clip(static_cast<size_t>(info.frames));
  EXPECT_EQ(sf_readf_short(in, clip.data(), info.frames), info.frames) << wav;
  sf_close(in);
  constexpr size_t kHop = 1280;
  std::vector<int16_t> both = clip;
  both.resize(clip.size() + (kHop / 2 + kHop - clip.size() % kHop) % kHop, 0);
  both.insert(both.end(), clip.begin(), clip.end());
  SF_INFO out_info{};
  out_info.samplerate = info.samplerate;
  out_info.channels = 1;
  out_info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* o = sf_open(out.c_str(), SFM_WRITE, &out_info);
  EXPECT_NE(o, nullptr) << out << ": " << sf_strerror(nullptr);
  if (o == nullptr) return "";
  EXPECT_EQ(sf_writef_short(o, both.data(), static_cast<sf_count_t>(both.size())),
            static_cast<sf_count_t>(both.size()));
  sf_close(o);
  return out;
}

struct SpokenCase {
  std::string file;    // under samples/speech/
  std::string fires;   // the head that must fire; the others must not
  bool twice = false;  // played twice, half a hop apart (twice_half_a_hop_apart)
};
void PrintTo(const SpokenCase& c, std::ostream* os) { *os << c.file; }

class Microphone : public ::testing::TestWithParam<SpokenCase> {};

TEST_P(Microphone, SpeechPlayedIntoTheMicrophoneFiresOnlyItsHead) {
  const SpokenCase& c = GetParam();
  if (std::string why = PulseTestDaemon::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string wav = sample_path("speech/" + c.file);
  if (wav.empty()) GTEST_SKIP() << "sample speech/" << c.file << " missing: run scripts/setup";
  PulseTestDaemon pulse;
  ASSERT_TRUE(pulse.start().ok()) << pulse.log();

  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet voice = only_pipelines(*docs, {"voice"});
  // The quickstart's `speech` sensor, now a microphone: the null sink's monitor on the test daemon.
  // A deep buffer so that a busy CI machine delays frames instead of dropping them.
  const std::string yaml = fmt::format(R"(apiVersion: sensix/v1
kind: Sensor
metadata:
  name: speech
spec:
  driver: microphone
  server: {}
  device: {}
  audio: {{sampleRate: 16000, channels: 1, frameMs: 20}}
  reconnect: {{initialDelay: 0.1, maxDelay: 2, maxAttempts: 0, timeout: 5}}
  buffer: {{capacity: 256}}
)",
                                       pulse.server(), PulseTestDaemon::kMonitor);
  auto mic = parse_document_text(yaml, "microphone.yaml", pulse.dir());
  ASSERT_TRUE(mic.ok()) << mic.status();
  ASSERT_EQ(mic->sensors.size(), 1u);
  bool replaced = false;
  for (auto& s : voice.sensors) {
    if (s.metadata.name == "speech") s = mic->sensors[0], replaced = true;
  }
  ASSERT_TRUE(replaced);

  auto runtime = Runtime::create(voice);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto sink = std::make_shared<CollectingSink>();
  (*runtime)->add_sink(sink);
  ASSERT_TRUE((*runtime)->start().ok());
  auto speech = [&] {
    for (const auto& s : (*runtime)->stats().sensors) {
      if (s.name == "speech") return s;
    }
    return SensorStatsSnapshot{};
  };
  ASSERT_TRUE(wait_until([&] { return speech().state == SensorState::kRunning && speech().frames >= 10; }, 10s))
      << sensor_state_name(speech().state) << ": " << speech().reason;
  EXPECT_EQ(speech().driver, "microphone");
  EXPECT_EQ(speech().info.sample_rate, 16000);

  // paplay returns once the speech has been played (real time, about 4 s; twice: 8 s).
  const std::string played = c.twice ? twice_half_a_hop_apart(wav, pulse.dir() + "/twice.wav") : wav;
  ASSERT_FALSE(played.empty());
  ASSERT_TRUE(pulse.play(played).ok());
  EXPECT_TRUE(wait_until([&] { return count_of(sink->all(), c.fires) > 0; }, 10s))
      << c.fires << " did not fire on the microphone; " << where_audio_went((*runtime)->stats());
  // Let the last second of audio through every model before judging the other heads.
  const uint64_t frames_now = speech().frames;
  ASSERT_TRUE(wait_until([&] { return speech().frames >= frames_now + 50; }, 10s));
  const RuntimeStats stats = (*runtime)->stats();
  (*runtime)->stop();

  const auto all = sink->all();
  for (const std::string& head : kWakeWordHeads) {
    if (head == c.fires) {
      const size_t utterances = c.twice ? 2 : 1;
      EXPECT_GE(count_of(all, head), 1u) << head << ": " << where_audio_went(stats);
      EXPECT_LE(count_of(all, head), 2 * utterances) << head << " fired too often (rising trigger)";
    } else {
      EXPECT_EQ(count_of(all, head), 0u) << head << " fired on " << c.file;
    }
  }
  EXPECT_GE(count_of(all, "silero-vad"), 1u) << "Silero VAD found no speech";
  for (const auto& s : stats.sensors) {
    EXPECT_EQ(s.state, SensorState::kRunning) << s.name << ": " << s.reason;
    EXPECT_EQ(s.errors, 0u) << s.name;
  }
  for (const auto& m : stats.models) {
    EXPECT_GT(m.model.runs, 0u) << m.model.name;
    EXPECT_EQ(m.model.errors, 0u) << m.model.name << ": " << m.model.last_error;
  }
}

// "hey jarvis" is the case that matters; "alexa" shows that the head that fires follows what was said.
INSTANTIATE_TEST_SUITE_P(Speech, Microphone,
                         ::testing::Values(SpokenCase{"hey_jarvis.wav", "hey-jarvis"},
                                           SpokenCase{"alexa.wav", "alexa", true}),
                         [](const ::testing::TestParamInfo<SpokenCase>& p) {
                           return p.param.file.substr(0, p.param.file.find('.'));
                         });

}  // namespace
}  // namespace sensix::testing
