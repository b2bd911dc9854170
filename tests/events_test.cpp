// Pipeline event rules end to end: the real runtime, real models and real recordings. The wake
// word rule on the speech samples the wake-word tests use; "face for 3 frames" on Megamind.avi
// through BlazeFace, checked against the per-frame predictions; a labels-file label refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "docs/event_rule.h"
#include "docs/parser.h"
#include "e2e_support.h"
#include "runtime/runtime.h"

namespace sensix::testing {
namespace {

const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";

EventSpec event(const std::string& name, const std::string& when, int64_t cooldown_ns = 0) {
  EventSpec e;
  e.name = name;
  e.when = when;
  RuleError err;
  EXPECT_TRUE(parse_event_rule(when, &e.rule, &err)) << err.text();
  e.cooldown_ns = cooldown_ns;
  return e;
}

// The quickstart's voice pipeline on `wav` with one rule.
Result<RunResult> run_voice(const std::string& wav, const std::string& when) {
  auto docs = load_quickstart();
  if (!docs.ok()) return docs.status();
  DocumentSet voice = only_pipelines(*docs, {"voice"});
  set_sensor_path(&voice, "speech", wav);
  voice.pipelines.at(0).spec.events = {event("wake-with-speech", when)};
  return run_to_end(voice);
}

class WakeWithSpeech : public ::testing::TestWithParam<std::string> {};

TEST_P(WakeWithSpeech, FiresOnceOnTheWakeWord) {
  const std::string wav = sample_path(GetParam());
  if (wav.empty()) GTEST_SKIP() << "sample " << GetParam() << " missing: run scripts/setup";
  auto result = run_voice(wav, "hey-jarvis and silero-vad within 1s");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->events.size(), 1u) << GetParam();
  const Event& e = result->events[0];
  EXPECT_EQ(e.pipeline, "voice");
  EXPECT_EQ(e.name, "wake-with-speech");
  EXPECT_EQ(e.rule, "hey-jarvis and silero-vad within 1s");
  ASSERT_EQ(e.predictions.size(), 2u);
  const EventContribution& jarvis = e.predictions[0];
  const EventContribution& vad = e.predictions[1];
  EXPECT_EQ(jarvis.model, "hey-jarvis");
  EXPECT_EQ(jarvis.label, "hey_jarvis");
  EXPECT_GE(jarvis.score, 0.5f);
  EXPECT_EQ(vad.model, "silero-vad");
  EXPECT_EQ(vad.label, "speech");
  EXPECT_GE(vad.score, 0.5f);
  // Both within the second before the event, which is at one of their results.
  for (const auto& c : e.predictions) {
    EXPECT_LE(c.media_ns, e.media_ns);
    EXPECT_GE(c.media_ns, e.media_ns - 1'000'000'000);
    EXPECT_EQ(c.sensor, "speech");
  }
  EXPECT_TRUE(jarvis.media_ns == e.media_ns || vad.media_ns == e.media_ns);
  // The wake word is reported (rising trigger) close to the event.
  const auto heads = result->of_model("hey-jarvis");
  ASSERT_FALSE(heads.empty());
  EXPECT_LE(std::abs(heads[0].media_ns - e.media_ns), 1'000'000'000);
  ASSERT_EQ(result->stats.events.rules.size(), 1u);
  EXPECT_EQ(result->stats.events.rules[0].fired, 1u);
  EXPECT_EQ(result->stats.events.dropped + result->stats.events.late + result->stats.events.forced, 0u);
}

INSTANTIATE_TEST_SUITE_P(Speech, WakeWithSpeech,
                         ::testing::Values("speech/hey_jarvis.wav", "speech/hey_jarvis_44k_stereo.wav",
                                           "demo/speech.wav"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = std::filesystem::path(p.param).stem().string();
                           return n;
                         });

TEST(Events, WakeWithSpeechNeverFiresWithoutTheWakeWord) {
  for (const char* file :
       {"speech/silence.wav", "speech/noise.wav", "speech/alexa.wav", "speech/sentence_weather.wav"}) {
    const std::string wav = sample_path(file);
    if (wav.empty()) GTEST_SKIP() << "sample " << file << " missing: run scripts/setup";
    auto result = run_voice(wav, "hey-jarvis and silero-vad within 1s");
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->events.empty()) << file << ": fired " << result->events.size() << " time(s)";
    ASSERT_EQ(result->stats.events.rules.size(), 1u);
    EXPECT_EQ(result->stats.events.rules[0].fired, 0u);
  }
}

TEST(Events, SpeechOnItsOwnFiresOnTheSpeechButNotOnSilence) {
  // The rule sees every VAD result, not only the rising edges Silero's trigger reports: with a
  // 2 s cooldown the quickstart recording's speech gives fewer events than rising edges, and
  // silence gives none.
  const std::string demo = sample_path("demo/speech.wav");
  const std::string silence = sample_path("speech/silence.wav");
  if (demo.empty() || silence.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet voice = only_pipelines(*docs, {"voice"});
  set_sensor_path(&voice, "speech", demo);
  voice.pipelines.at(0).spec.events = {event("speech", "silero-vad:speech"),
                                       event("speech-cooldown", "silero-vad:speech", 2'000'000'000)};
  auto result = run_to_end(voice);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& rules = result->stats.events.rules;
  ASSERT_EQ(rules.size(), 2u);
  // Silero's own rising trigger has a release below the threshold, so it reports at most as often
  // as the rule (which rises whenever the score comes back over the threshold).
  EXPECT_GE(rules[0].fired, result->of_model("silero-vad").size());
  EXPECT_GT(rules[1].fired, 0u);
  EXPECT_LT(rules[1].fired, rules[0].fired);
  EXPECT_EQ(rules[1].fired + rules[1].suppressed, rules[0].fired);
  // Events of one rule are at least the cooldown apart.
  int64_t last = -1;
  for (const auto& e : result->events) {
    if (e.name != "speech-cooldown") continue;
    if (last >= 0) {
      EXPECT_GE(e.media_ns - last, 2'000'000'000);
    }
    last = e.media_ns;
  }

  set_sensor_path(&voice, "speech", silence);
  auto quiet = run_to_end(voice);
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_TRUE(quiet->events.empty());
}

// examples/megamind-faces.yaml (BlazeFace on a video file) with the clip from Debian's OpenCV docs,
// at its native rate (270 frames).
Result<DocumentSet> megamind(const std::vector<EventSpec>& events) {
  SENSIX_ASSIGN_OR_RETURN(auto docs,
                          parse_document_files({std::string(SENSIX_SOURCE_DIR) + "/examples/megamind-faces.yaml"}));
  set_sensor_path(&docs, "clip", kMegamind);
  docs.sensors.at(0).spec.video.fps = 0;
  docs.pipelines.at(0).spec.events = events;
  return docs;
}

// The media times at which `min_faces` or more faces were found in 3 consecutive frames for the
// first time in a row, from the predictions alone: BlazeFace reports every frame with a face
// (detection has no trigger) and the replay is lossless, so a frame without a prediction had none.
std::vector<int64_t> expected_runs(std::vector<Prediction> preds, size_t min_faces) {
  std::sort(preds.begin(), preds.end(), [](const auto& a, const auto& b) { return a.frame_seq < b.frame_seq; });
  std::vector<int64_t> out;
  size_t run = 0;
  uint64_t last = 0;
  for (const auto& p : preds) {
    const bool hit = p.detections.size() >= min_faces;
    run = hit ? (run > 0 && p.frame_seq == last + 1 ? run + 1 : 1) : 0;
    last = p.frame_seq;
    if (run == 3) out.push_back(p.media_ns);
  }
  return out;
}

std::vector<int64_t> event_times(const std::vector<Event>& events, const std::string& name) {
  std::vector<int64_t> out;
  for (const auto& e : events) {
    if (e.name == name) out.push_back(e.media_ns);
  }
  return out;
}

TEST(Events, FaceForThreeFramesOnMegamind) {
  if (!std::filesystem::exists(kMegamind)) GTEST_SKIP() << kMegamind << " missing (Debian package opencv-doc)";
  auto docs = megamind({event("face-present", "blazeface:face for 3 frames"),
                        event("two-faces-held", "count(blazeface:face) >= 2 for 3 frames")});
  ASSERT_TRUE(docs.ok()) << docs.status();
  auto result = run_to_end(*docs);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto preds = result->of_model("blazeface");
  const auto* stats = result->model_stats("blazeface");
  ASSERT_NE(stats, nullptr);
  EXPECT_GT(stats->model.runs, 200u);

  const auto faces = event_times(result->events, "face-present");
  ASSERT_FALSE(faces.empty()) << "no face for 3 frames in Megamind.avi";
  EXPECT_EQ(faces, expected_runs(preds, 1));
  // Two faces come and go: frames with one face break the runs, so this rule fires more than once.
  const auto two = event_times(result->events, "two-faces-held");
  EXPECT_GE(two.size(), 2u);
  EXPECT_EQ(two, expected_runs(preds, 2));

  const Event& first = result->events[0];
  EXPECT_EQ(first.name, "face-present");
  ASSERT_EQ(first.predictions.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const EventContribution& c = first.predictions[i];
    EXPECT_EQ(c.model, "blazeface");
    EXPECT_EQ(c.label, "face");
    EXPECT_EQ(c.sensor, "clip");
    EXPECT_GE(c.score, 0.75f);
    EXPECT_TRUE(c.has_box);
    EXPECT_GT(c.w, 10.0f);
    if (i > 0) {
      EXPECT_EQ(c.frame_seq, first.predictions[i - 1].frame_seq + 1);
    }
  }
  EXPECT_EQ(first.predictions[2].media_ns, first.media_ns);
  for (const auto& e : result->events) {
    if (e.name != "two-faces-held") continue;
    EXPECT_GE(e.predictions.size(), 6u);  // count contributes every counted face of the 3 frames
    EXPECT_EQ(e.predictions.back().media_ns, e.media_ns);
  }

  // The same again gives the same events (media time, not the wall clock).
  auto again = run_to_end(*docs);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(event_times(again->events, "face-present"), faces);
  EXPECT_EQ(event_times(again->events, "two-faces-held"), two);
}

TEST(Events, ALabelMissingFromALabelsFileIsRefusedWhenTheRuntimeIsBuilt) {
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet vision = only_pipelines(*docs, {"vision"});
  vision.pipelines.at(0).spec.events = {event("people", "count(ssd-oidv4:Persn) >= 2")};
  auto rt = Runtime::create(vision);
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find("Pipeline/vision: spec.events[0].when: column 17: Model/ssd-oidv4 has no label "
                                       "\"Persn\" among its"),
            std::string::npos)
      << rt.status();
  EXPECT_NE(rt.status().message().find("(did you mean \"Person\"?)"), std::string::npos) << rt.status();
}

}  // namespace
}  // namespace sensix::testing
