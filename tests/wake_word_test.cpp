// End to end on the real audio models: espeak-ng speech through the quickstart's voice
// pipeline (resample, windows, Silero VAD, mel -> embedding -> three wake-word heads).
#include <gtest/gtest.h>

#include <ostream>

#include <algorithm>

#include "e2e_support.h"

namespace sensix::testing {
namespace {

struct WakeCase {
  std::string file;   // under samples/speech/
  std::string fires;  // the head that must fire, or "" for none
  bool speech;        // whether Silero VAD must report speech
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const WakeCase& c, std::ostream* os) { *os << c.file; }

class WakeWordTest : public ::testing::TestWithParam<WakeCase> {};

TEST_P(WakeWordTest, OnlyTheRightHeadFires) {
  const WakeCase& c = GetParam();
  const std::string wav = sample_path("speech/" + c.file);
  if (wav.empty()) GTEST_SKIP() << "sample speech/" << c.file << " missing: run scripts/setup";
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet voice = only_pipelines(*docs, {"voice"});
  set_sensor_path(&voice, "speech", wav);

  auto result = run_to_end(voice);
  ASSERT_TRUE(result.ok()) << result.status();

  for (const std::string& head : kWakeWordHeads) {
    const auto preds = result->of_model(head);
    if (head == c.fires) {
      EXPECT_GE(preds.size(), 1u) << c.file << ": " << head << " did not fire";
      EXPECT_LE(preds.size(), 2u) << c.file << ": " << head << " fired too often (rising trigger)";
    } else {
      EXPECT_TRUE(preds.empty()) << c.file << ": " << head << " fired " << preds.size() << " time(s), score "
                                 << (preds.empty() ? 0 : preds[0].labels.at(0).score);
    }
  }
  const auto vad = result->of_model("silero-vad");
  if (c.speech) {
    EXPECT_GE(vad.size(), 1u) << c.file << ": Silero VAD found no speech";
  } else {
    EXPECT_TRUE(vad.empty()) << c.file << ": Silero VAD found speech in " << c.file;
  }
  // Every model ran and none failed.
  for (const auto& m : result->stats.models) {
    EXPECT_GT(m.model.runs, 0u) << m.model.name;
    EXPECT_EQ(m.model.errors, 0u) << m.model.name << ": " << m.model.last_error;
  }
}

INSTANTIATE_TEST_SUITE_P(Speech, WakeWordTest,
                         ::testing::Values(WakeCase{"hey_jarvis.wav", "hey-jarvis", true},
                                           WakeCase{"alexa.wav", "alexa", true},
                                           WakeCase{"hey_mycroft.wav", "hey-mycroft", true},
                                           // 44.1 kHz stereo: exercises mix-down and resampling to 16 kHz.
                                           WakeCase{"hey_jarvis_44k_stereo.wav", "hey-jarvis", true},
                                           WakeCase{"sentence_weather.wav", "", true},
                                           WakeCase{"sentence_kitchen.wav", "", true},
                                           WakeCase{"sentence_meeting.wav", "", true},
                                           WakeCase{"silence.wav", "", false}, WakeCase{"noise.wav", "", false}),
                         [](const ::testing::TestParamInfo<WakeCase>& param_info) {
                           std::string n = param_info.param.file.substr(0, param_info.param.file.find('.'));
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// Feature sharing: the mel and embedding models run once per chunk for all three heads, and
// each head runs once per embedding result.
TEST(FeatureSharing, MelAndEmbeddingRunOnceForAllHeads) {
  const std::string wav = sample_path("speech/hey_jarvis.wav");
  if (wav.empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet voice = only_pipelines(*docs, {"voice"});
  set_sensor_path(&voice, "speech", wav);
  auto result = run_to_end(voice);
  ASSERT_TRUE(result.ok()) << result.status();

  const auto* mel = result->model_stats("oww-mel");
  const auto* emb = result->model_stats("oww-embedding");
  ASSERT_NE(mel, nullptr);
  ASSERT_NE(emb, nullptr);
  // 80 ms hops of mel frames (8 rows each at hop 8): one embedding per mel run once the
  // 76-row window is full (prefilled), so the counts are equal.
  EXPECT_EQ(emb->model.runs, mel->model.runs);
  for (const std::string& head : kWakeWordHeads) {
    const auto* h = result->model_stats(head);
    ASSERT_NE(h, nullptr) << head;
    EXPECT_GT(h->model.runs, 0u);
    EXPECT_LE(h->model.runs, emb->model.runs) << head << " ran more often than its feature model";
    EXPECT_GE(h->model.runs + 16, emb->model.runs) << head << " skipped embedding results";
  }
  // The resampled 16 kHz stream is computed once and consumed by Silero VAD and the mel model.
  EXPECT_GT(result->stats.sharing.shared_nodes, 0);
  EXPECT_LT(result->stats.sharing.nodes, result->stats.sharing.requested);
}

}  // namespace
}  // namespace sensix::testing
