// Documents applied to a running runtime (Runtime::apply): the quickstart's voice pipeline runs on
// a looping real recording at twice real time (a real-time sensor: a stalled graph would drop
// frames, counted), and models, pipelines and sensors come and go beside it. Real models, real
// engines, nothing mocked.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/parser.h"
#include "e2e_support.h"
#include "runtime/runtime.h"
#include "support/wait.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A fourth head on the shared embedding, in a pipeline of its own, and a second sensor.
const char* kIntent = R"(apiVersion: sensix/v1
kind: Pipeline
metadata: {name: intent}
spec:
  steps:
    - {model: oww-mel, from: {sensor: speech}}
    - {model: oww-embedding, from: {model: oww-mel}}
    - {model: timer, from: {model: oww-embedding}}
)";
// The same with a rule of its own.
const char* kIntentRule = R"(
  events:
    - name: timer-heard
      when: "timer"
)";
const char* kSecondSensor = R"(apiVersion: sensix/v1
kind: Sensor
metadata: {name: speech-2}
spec:
  driver: audio-file
  path: samples:demo/speech.wav
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {name: vad-2}
spec:
  steps:
    - {model: silero-vad, from: {sensor: speech-2}}
)";

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every document these tests use, from one text: the quickstart, the timer head, the intent
// pipeline (with `intent_events` after its steps) and the second sensor (the same text gives the
// same canonical documents).
// `edit` (text, its replacement) changes that text once, where it must occur.
DocumentSet apply_documents(const std::string& intent_events = "",
                            const std::pair<std::string, std::string>& edit = {}) {
  std::string text = file_text(testing::source_path("examples/quickstart.yaml")) + "\n---\n" +
                     file_text(testing::source_path("examples/zoo/timer.yaml")) + "\n---\n" + kIntent + intent_events +
                     "---\n" + kSecondSensor;
  if (!edit.first.empty()) {
    const size_t at = text.find(edit.first);
    EXPECT_NE(at, std::string::npos) << edit.first;
    EXPECT_EQ(text.find(edit.first, at + 1), std::string::npos) << edit.first << " occurs twice";
    if (at != std::string::npos) text.replace(at, edit.first.size(), edit.second);
  }
  auto docs = parse_document_text(text, "apply.yaml", testing::source_path("examples"));
  EXPECT_TRUE(docs.ok()) << docs.status();
  DocumentSet d = docs.ok() ? *docs : DocumentSet{};
  // One second of frames between the driver and the graph at twice real time: a moment's
  // starvation (another test on both cores) drops nothing, a graph held for a second would.
  for (auto& s : d.sensors) s.spec.buffer.capacity = 100;
  return d;
}

using testing::model_nodes_of;
using testing::model_stats_of;
using testing::sensor_stats_of;

// The models' plan nodes ran for as long as the models did: a node rebuilt by an apply would
// count only its runs since (and a window rebuilt would have lost its rows, a stream its state).
void expect_nodes_kept(const RuntimeStats& st, const std::vector<std::string>& models) {
  for (const auto& name : models) {
    const auto nodes = model_nodes_of(st, name);
    const auto* m = model_stats_of(st, name);
    ASSERT_EQ(nodes.size(), 1u) << name;
    ASSERT_NE(m, nullptr) << name;
    EXPECT_NEAR(static_cast<double>(nodes[0].items), static_cast<double>(m->model.runs), 2.0)
        << name << ": its node ran less than the model: rebuilt by the apply";
  }
}

const std::vector<std::string> kVoiceModels = {"silero-vad", "oww-mel", "oww-embedding",
                                               "hey-jarvis", "alexa",   "hey-mycroft"};

uint64_t runs_of(const Runtime& rt, const std::string& name) {
  const auto st = rt.stats();
  const auto* m = model_stats_of(st, name);
  return m ? m->model.runs : 0;
}

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    all_ = apply_documents();
    voice_ = testing::only_pipelines(all_, {"voice"});
    RuntimeOptions o;
    o.speed = 2.0;  // twice real time, dropping the oldest frame when the graph falls behind
    o.loop = true;
    auto rt = Runtime::create(voice_, o);
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = std::move(rt).value();
    ASSERT_TRUE(rt_->start().ok());
    ASSERT_TRUE(testing::eventually([&] { return runs_of(*rt_, "hey-jarvis") >= 10; }, 60s));
  }
  void TearDown() override {
    if (rt_) rt_->stop();
  }

  DocumentSet all_, voice_;
  std::unique_ptr<Runtime> rt_;
};

TEST_F(ApplyTest, AHeadAppliedWhileRunningReadsTheRunningEmbeddingWithNoGap) {
  const DocumentSet with_intent = testing::only_pipelines(all_, {"voice", "intent"});
  const RuntimeStats before = rt_->stats();
  auto r = rt_->apply(with_intent);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->loaded, ElementsAre("timer"));
  EXPECT_THAT(r->replaced, IsEmpty());
  EXPECT_THAT(r->started, IsEmpty());
  EXPECT_THAT(r->stopped, IsEmpty());
  EXPECT_THAT(r->restarted, IsEmpty());
  EXPECT_THAT(r->updated, ElementsAre("speech"));
  EXPECT_THAT(r->released, IsEmpty());
  // Only the head's own window, tensor and model node are new; the window reads the running embedding.
  ASSERT_EQ(r->shared.size(), 1u);
  EXPECT_THAT(r->shared[0], HasSubstr("reads speech/"));
  EXPECT_THAT(r->shared[0], HasSubstr("model(oww-embedding)"));
  EXPECT_EQ(r->attached.size(), 3u) << ::testing::PrintToString(r->attached);

  ASSERT_TRUE(testing::eventually([&] { return runs_of(*rt_, "timer") >= 20; }, 60s));
  const RuntimeStats after = rt_->stats();
  // One embedding, read by four heads; it kept running (its node's count went on, not from zero).
  const auto emb_before = model_nodes_of(before, "oww-embedding");
  const auto emb_after = model_nodes_of(after, "oww-embedding");
  ASSERT_EQ(emb_after.size(), 1u);
  EXPECT_GT(emb_after[0].items, emb_before[0].items);
  EXPECT_THAT(emb_after[0].consumers, ::testing::Contains("timer"));
  // No gap: every embedding run since before the apply reached hey-jarvis (give or take those
  // in flight), and the sensor dropped no frame.
  const auto head_before = model_nodes_of(before, "hey-jarvis");
  const auto head_after = model_nodes_of(after, "hey-jarvis");
  const int64_t emb_runs = static_cast<int64_t>(emb_after[0].items - emb_before[0].items);
  const int64_t head_runs = static_cast<int64_t>(head_after[0].items - head_before[0].items);
  EXPECT_LE(std::abs(emb_runs - head_runs), 2 * static_cast<int64_t>(emb_after[0].sched->capacity));
  EXPECT_EQ(sensor_stats_of(after, "speech")->dropped, 0u);
  for (const auto& m : after.models) EXPECT_EQ(m.model.errors, 0u) << m.model.name;
  // The model instance was not reloaded: the same load, the runs go on.
  EXPECT_EQ(model_stats_of(after, "oww-embedding")->model.load_ns,
            model_stats_of(before, "oww-embedding")->model.load_ns);
  EXPECT_THAT(rt_->documents().pipelines, ::testing::SizeIs(2));
  expect_nodes_kept(after, kVoiceModels);
}

TEST_F(ApplyTest, ADeletedHeadIsUnloadedAndItsStepsReleasedWhileTheSharedOnesRun) {
  ASSERT_TRUE(rt_->apply(testing::only_pipelines(all_, {"voice", "intent"})).ok());
  ASSERT_TRUE(testing::eventually([&] { return runs_of(*rt_, "timer") >= 5; }, 60s));
  auto r = rt_->apply(voice_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->unloaded, ElementsAre("timer"));
  EXPECT_EQ(r->released.size(), 3u) << ::testing::PrintToString(r->released);
  EXPECT_THAT(r->attached, IsEmpty());
  const RuntimeStats st = rt_->stats();
  EXPECT_EQ(model_stats_of(st, "timer"), nullptr);
  EXPECT_THAT(model_nodes_of(st, "timer"), IsEmpty());
  const uint64_t emb = runs_of(*rt_, "oww-embedding");
  ASSERT_TRUE(testing::eventually([&] { return runs_of(*rt_, "oww-embedding") > emb + 10; }, 60s))
      << "the chain stopped";
  EXPECT_EQ(sensor_stats_of(rt_->stats(), "speech")->dropped, 0u);
  expect_nodes_kept(rt_->stats(), kVoiceModels);
}

TEST_F(ApplyTest, ASensorStartsAndStopsBesideTheRunningOne) {
  auto r = rt_->apply(testing::only_pipelines(all_, {"voice", "vad-2"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->started, ElementsAre("speech-2"));
  EXPECT_THAT(r->loaded, IsEmpty()) << "silero-vad runs already: the new sensor's step uses it";
  ASSERT_TRUE(testing::eventually(
      [&] {
        const auto st = rt_->stats();
        const auto* s = sensor_stats_of(st, "speech-2");
        return s && s->frames > 50;
      },
      60s));
  r = rt_->apply(voice_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->stopped, ElementsAre("speech-2"));
  EXPECT_THAT(r->unloaded, IsEmpty());
  const RuntimeStats st = rt_->stats();
  EXPECT_EQ(sensor_stats_of(st, "speech-2"), nullptr);
  EXPECT_EQ(sensor_stats_of(st, "speech")->dropped, 0u);
  EXPECT_EQ(model_nodes_of(st, "silero-vad").size(), 1u);
  std::vector<std::string> others(kVoiceModels.begin() + 1, kVoiceModels.end());  // silero-vad ran on both
  expect_nodes_kept(st, others);
}

// A changed sensor is restarted: its own graph only. The other sensor's graph, which shares a
// model with it, runs on without a drop or a reload.
TEST_F(ApplyTest, AChangedSensorRestartsOnlyItsOwnGraph) {
  ASSERT_TRUE(rt_->apply(testing::only_pipelines(all_, {"voice", "vad-2"})).ok());
  auto frames_of = [&](const std::string& sensor) -> uint64_t {
    const auto st = rt_->stats();
    const auto* s = sensor_stats_of(st, sensor);
    return s ? s->frames : 0;
  };
  ASSERT_TRUE(testing::eventually([&] { return frames_of("speech-2") > 200; }, 60s));
  const RuntimeStats before = rt_->stats();

  const DocumentSet changed = testing::only_pipelines(
      apply_documents("", {"metadata: {name: speech-2}", "metadata: {name: speech-2, labels: {room: hall}}"}),
      {"voice", "vad-2"});
  auto r = rt_->apply(changed);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->restarted, ElementsAre("speech-2"));
  EXPECT_THAT(r->started, IsEmpty());
  EXPECT_THAT(r->stopped, IsEmpty());
  EXPECT_THAT(r->loaded, IsEmpty());
  EXPECT_THAT(r->replaced, IsEmpty());
  EXPECT_THAT(r->unloaded, IsEmpty());
  // The restarted sensor is a new instance: it counts from zero, and runs.
  EXPECT_LT(frames_of("speech-2"), sensor_stats_of(before, "speech-2")->frames);
  ASSERT_TRUE(testing::eventually([&] { return frames_of("speech-2") > 20; }, 60s));
  const RuntimeStats after = rt_->stats();
  // The other sensor and its graph ran on: no drop, no model reloaded, its nodes kept.
  EXPECT_EQ(sensor_stats_of(after, "speech")->dropped, 0u);
  EXPECT_GT(sensor_stats_of(after, "speech")->frames, sensor_stats_of(before, "speech")->frames);
  for (const std::string& name : kVoiceModels) {
    EXPECT_EQ(model_stats_of(after, name)->model.load_ns, model_stats_of(before, name)->model.load_ns) << name;
  }
  std::vector<std::string> others(kVoiceModels.begin() + 1, kVoiceModels.end());  // silero-vad runs on both
  expect_nodes_kept(after, others);
  const DocumentSet running = rt_->documents();
  ASSERT_NE(running.find_sensor("speech-2"), nullptr);
  EXPECT_EQ(running.find_sensor("speech-2")->metadata.labels.at("room"), "hall");
}

// A changed model is replaced (a new instance, loaded and warmed up before the old one stops); the
// models beside it keep running, and its pipeline's sensor drops nothing.
TEST_F(ApplyTest, AChangedModelIsReplacedAndTheOthersRunOn) {
  ASSERT_TRUE(testing::eventually([&] { return runs_of(*rt_, "hey-mycroft") >= 60; }, 60s));
  const RuntimeStats before = rt_->stats();
  const DocumentSet changed = testing::only_pipelines(apply_documents("", {"labels: [hey_mycroft], threshold: 0.5",
                                                                           "labels: [hey_mycroft], threshold: 0.6"}),
                                                      {"voice"});
  auto r = rt_->apply(changed);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->replaced, ElementsAre("hey-mycroft"));
  EXPECT_THAT(r->loaded, IsEmpty());
  EXPECT_THAT(r->unloaded, IsEmpty());
  EXPECT_THAT(r->restarted, IsEmpty());
  EXPECT_THAT(r->started, IsEmpty());
  EXPECT_THAT(r->stopped, IsEmpty());
  // The new instance counts its runs from zero, and runs ...
  EXPECT_LT(runs_of(*rt_, "hey-mycroft"), model_stats_of(before, "hey-mycroft")->model.runs);
  ASSERT_TRUE(testing::eventually([&] { return runs_of(*rt_, "hey-mycroft") >= 10; }, 60s));
  const RuntimeStats after = rt_->stats();
  EXPECT_NE(model_stats_of(after, "hey-mycroft")->model.load_ns, model_stats_of(before, "hey-mycroft")->model.load_ns);
  const DocumentSet running = rt_->documents();
  ASSERT_NE(running.find_model("hey-mycroft"), nullptr);
  EXPECT_EQ(std::get<ClassifySpec>(running.find_model("hey-mycroft")->spec.postprocess).threshold, 0.6f);
  // ... and the others were not reloaded, their nodes kept, the sensor dropped nothing.
  for (const std::string& name : kVoiceModels) {
    if (name == "hey-mycroft") continue;
    EXPECT_EQ(model_stats_of(after, name)->model.load_ns, model_stats_of(before, name)->model.load_ns) << name;
    EXPECT_GT(model_stats_of(after, name)->model.runs, model_stats_of(before, name)->model.runs) << name;
  }
  EXPECT_EQ(sensor_stats_of(after, "speech")->dropped, 0u);
  std::vector<std::string> others;
  for (const std::string& name : kVoiceModels) {
    if (name != "hey-mycroft") others.push_back(name);
  }
  expect_nodes_kept(after, others);
  for (const auto& m : after.models) EXPECT_EQ(m.model.errors, 0u) << m.model.name;
}

TEST_F(ApplyTest, ADryRunSaysWhatWouldChangeAndChangesNothing) {
  auto r = rt_->apply(testing::only_pipelines(all_, {"voice", "intent"}), /*dry_run=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->dry_run);
  EXPECT_THAT(r->loaded, ElementsAre("timer"));
  EXPECT_EQ(r->shared.size(), 1u);
  EXPECT_EQ(model_stats_of(rt_->stats(), "timer"), nullptr);
  EXPECT_THAT(rt_->documents().pipelines, ::testing::SizeIs(1));
}

TEST_F(ApplyTest, AnApplyWithOneBadDocumentChangesNothing) {
  DocumentSet bad = testing::only_pipelines(all_, {"voice", "intent", "vad-2"});
  for (auto& m : bad.models) {
    if (m.metadata.name == "timer") m.spec.sha256 = std::string(64, '0');
  }
  auto r = rt_->apply(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Model/timer"));
  EXPECT_THAT(r.status().message(), HasSubstr("sha256"));
  const RuntimeStats st = rt_->stats();
  EXPECT_EQ(model_stats_of(st, "timer"), nullptr);
  EXPECT_EQ(sensor_stats_of(st, "speech-2"), nullptr) << "the good part of a bad set was applied";
  EXPECT_THAT(rt_->documents().pipelines, ::testing::SizeIs(1));
  const uint64_t jarvis = runs_of(*rt_, "hey-jarvis");
  ASSERT_TRUE(testing::eventually([&] { return runs_of(*rt_, "hey-jarvis") > jarvis + 5; }, 60s));
}

TEST_F(ApplyTest, ADeviceDocumentCannotChangeWhileRunning) {
  const RuntimeStats before = rt_->stats();
  // A Device document.
  auto with_device = parse_document_text(file_text(testing::source_path("examples/quickstart.yaml")) +
                                             "\n---\napiVersion: sensix/v1\nkind: Device\nmetadata: {name: edge}\n"
                                             "spec: {cores: 1}\n",
                                         "apply.yaml", testing::source_path("examples"));
  ASSERT_TRUE(with_device.ok()) << with_device.status();
  auto r = rt_->apply(testing::only_pipelines(*with_device, {"voice"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("Device/edge: added"));
  EXPECT_THAT(rt_->documents().devices, IsEmpty());
}

// Event rules follow the pipelines: an unchanged pipeline's rule keeps its state and counts, a new
// pipeline's rule comes, a deleted one's goes.
TEST_F(ApplyTest, EventRulesComeAndGoWithTheirPipelines) {
  ASSERT_TRUE(testing::eventually([&] { return !rt_->stats().events.rules.empty(); }, 10s));
  DocumentSet with_rule = testing::only_pipelines(apply_documents(kIntentRule), {"voice", "intent"});
  auto r = rt_->apply(with_rule);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->documents.of("Pipeline", "voice"), DocChange::kUnchanged);
  auto rules = [&] {
    std::vector<std::string> out;
    for (const auto& x : rt_->stats().events.rules) out.push_back(x.pipeline + "/" + x.name);
    return out;
  };
  EXPECT_THAT(rules(), ElementsAre("voice/wake-with-speech", "intent/timer-heard"));
  r = rt_->apply(voice_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(rules(), ElementsAre("voice/wake-with-speech"));
  const uint64_t jarvis = runs_of(*rt_, "hey-jarvis");
  ASSERT_TRUE(testing::eventually([&] { return runs_of(*rt_, "hey-jarvis") > jarvis + 5; }, 60s));
}

// A device service starts with nothing (RuntimeOptions::allow_empty) and every engine's
// accelerator (RuntimeOptions::engines); its documents come through apply(), and can all go again.
TEST(ApplyToAnEmptyRuntime, TheFirstDocumentsStartEverythingAndAnEmptySetStopsIt) {
  const DocumentSet all = apply_documents();
  RuntimeOptions o;
  o.speed = 2.0;
  o.loop = true;
  o.allow_empty = true;
  o.engines = {"onnxruntime", "tflite"};
  auto rt = Runtime::create(DocumentSet{}, o);
  ASSERT_TRUE(rt.ok()) << rt.status();
  ASSERT_TRUE((*rt)->start().ok());
  EXPECT_TRUE((*rt)->wait(0ms)) << "nothing to wait for";
  auto r = (*rt)->apply(testing::only_pipelines(all, {"intent"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->started, ElementsAre("speech"));
  EXPECT_THAT(r->loaded, ElementsAre("oww-embedding", "oww-mel", "timer"));
  ASSERT_TRUE(testing::eventually([&] { return runs_of(**rt, "timer") >= 5; }, 60s));
  r = (*rt)->apply(DocumentSet{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->stopped, ElementsAre("speech"));
  EXPECT_THAT(r->unloaded, ElementsAre("oww-embedding", "oww-mel", "timer"));
  const RuntimeStats st = (*rt)->stats();
  EXPECT_THAT(st.models, IsEmpty());
  EXPECT_THAT(st.sensors, IsEmpty());
  EXPECT_THAT(st.nodes, IsEmpty());
  (*rt)->stop();
}

}  // namespace
}  // namespace sensix
