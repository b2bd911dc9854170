// Rollouts on the runtime: a Model's self-tests (spec.selfTest, runtime/self_test.h) on the real
// models with real photos and recordings, and new versions of a running model applied while the
// quickstart's voice pipeline runs on a looping recording (a real-time sensor: a graph held up
// would drop frames, counted). Nothing is mocked.
#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/env.h"
#include "docs/parser.h"
#include "e2e_support.h"
#include "engines/registry.h"
#include "models/model_instance.h"
#include "models/model_stream.h"
#include "runtime/media_request.h"
#include "runtime/request_tasks.h"
#include "runtime/runtime.h"
#include "runtime/self_test.h"
#include "support/child_process.h"  // read_text
#include "support/wait.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kCloseUp = "/usr/share/doc/opencv-doc/opencv4/html/face_swapped.jpg";  // 320x320, one face
constexpr const char* kBuilding = "/usr/share/doc/opencv-doc/examples/data/building.jpg";    // no face

// The one Model of `file` (under examples/), with `self_test` (YAML, indented as spec's fields) added.
Result<ModelDoc> model_with_tests(const std::string& file, const std::string& name, const std::string& self_test) {
  std::string text = testing::read_text(testing::source_path("examples/" + file));
  const std::string head = "metadata:\n  name: " + name + "\n";
  const size_t at = text.find(head);
  if (at == std::string::npos) return NotFound("no Model/" + name + " in " + file);
  const size_t spec = text.find("spec:\n", at);
  text.insert(spec + 6, self_test);
  SENSIX_ASSIGN_OR_RETURN(DocumentSet docs, parse_document_text(text, file, testing::source_path("examples")));
  const ModelDoc* md = docs.find_model(name);
  if (!md) return NotFound("no Model/" + name);
  return *md;
}

class SelfTestTest : public ::testing::Test {
 protected:
  // Loads the model with `self_test` and runs its self-tests.
  Status run(const std::string& file, const std::string& name, const std::string& self_test) {
    auto md = model_with_tests(file, name, self_test);
    if (!md.ok()) return md.status();
    auto m = ModelInstance::load(*md, engines_);
    if (!m.ok()) return m.status();
    return run_self_tests(**m);
  }
  EngineRegistry engines_;
};

TEST_F(SelfTestTest, APhotoMeetsItsLabelScoreCountAndBox) {
  // examples/zoo/blazeface-front.yaml: the close-up face at 0.93, box x 102..221, y 88..207.
  EXPECT_TRUE(run("zoo/blazeface-front.yaml", "blazeface-front",
                  fmt::format("  selfTest:\n"
                              "    - input: {}\n"
                              "      expect: {{label: face, score: 0.93, tolerance: 0.03, count: 1,"
                              " box: [102, 88, 119, 119], minIoU: 0.8}}\n"
                              "    - input: {}\n"
                              "      expect: {{nothing: true}}\n",
                              kCloseUp, kBuilding))
                  .ok());
}

TEST_F(SelfTestTest, EachUnmetExpectationSaysWhatCameAndWhatWasExpected) {
  struct Case {
    std::string expect, message;
  };
  const std::vector<Case> cases = {
      {"{label: face, count: 2}", "expected 2 detections, got 1: face 0.9"},
      {"{label: cat}", "expected label \"cat\", got face 0.9"},
      {"{label: face, score: 0.5, tolerance: 0.1}", "expected label \"face\" with score 0.50 +- 0.10, got 0.9"},
      {"{box: [0, 0, 100, 100]}", "expected a box near [0, 0, 100, 100] (intersection over union >= 0.50), got 0.00"},
      {"{nothing: true}", "expected no prediction, got face 0.9"},
  };
  for (const auto& c : cases) {
    Status s = run("zoo/blazeface-front.yaml", "blazeface-front",
                   fmt::format("  selfTest:\n    - input: {}\n      expect: {}\n", kCloseUp, c.expect));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.expect;
    EXPECT_THAT(std::string(s.message()),
                HasSubstr(fmt::format("spec.selfTest[0]: {} (JPEG 320x320, 1 run): the self-test failed: ", kCloseUp)))
        << c.expect;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message)) << c.expect;
  }
}

TEST_F(SelfTestTest, AClipRunsWindowByWindowWithTheModelsState) {
  // Silero VAD (a state carried from window to window) on the quickstart's recording: speech
  // rises (trigger: rising) at least once; the expected number of onsets is what the model finds.
  const std::string speech = testing::sample_path("demo/speech.wav");
  Status s = run("quickstart.yaml", "silero-vad",
                 fmt::format("  selfTest:\n    - input: {}\n      expect: {{label: speech, count: 99}}\n", speech));
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("runs): the self-test failed: expected 99 runs reporting a prediction"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("runs reported: run "));
  EXPECT_TRUE(run("quickstart.yaml", "silero-vad",
                  fmt::format("  selfTest:\n    - input: {}\n      expect: {{label: speech}}\n", speech))
                  .ok());
}

TEST_F(SelfTestTest, AFileThatIsNotMediaOrMissingIsNamed) {
  Status s = run("zoo/blazeface-front.yaml", "blazeface-front",
                 "  selfTest:\n    - input: samples:nothing-here.jpg\n      expect: {nothing: true}\n");
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("spec.selfTest[0]: samples:nothing-here.jpg"));
  s = run("zoo/blazeface-front.yaml", "blazeface-front",
          "  selfTest:\n    - input: repo:blazeface/face_detection_front_128x128_barracuda.onnx\n"
          "      expect: {nothing: true}\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("are not a JPEG, PNG, WAV, FLAC or OGG file"));
  // A clip for an image model.
  s = run("zoo/blazeface-front.yaml", "blazeface-front",
          fmt::format("  selfTest:\n    - input: {}\n      expect: {{nothing: true}}\n",
                      testing::sample_path("demo/speech.wav")));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("takes an image"));
}

// A carried state goes on exactly where the old version stopped; a reset one starts afresh.
TEST(SwitchState, ACarriedStateGoesOnWhereTheOldVersionStopped) {
  EngineRegistry engines;
  auto md = model_with_tests("quickstart.yaml", "silero-vad", "");
  ASSERT_TRUE(md.ok()) << md.status();
  auto old_version = ModelInstance::load(*md, engines);
  auto new_version = ModelInstance::load(*md, engines);
  ASSERT_TRUE(old_version.ok() && new_version.ok());
  auto clip = prepare_media(signature_of(**old_version),
                            MediaInput{"speech", "audio/wav",
                                       testing::read_text(testing::sample_path("demo/speech.wav"))});
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_GT(clip->inputs.size(), 40u);
  auto old_stream = ModelStream::create(old_version->get(), {}, "mic");
  auto carried = ModelStream::create(new_version->get(), {}, "mic");
  auto reset = ModelStream::create(new_version->get(), {}, "mic");
  ASSERT_TRUE(old_stream.ok() && carried.ok() && reset.ok());
  auto run = [&](ModelStream& s, size_t i) {
    StreamInput in;
    in.data = std::get<TensorData>(clip->inputs[i].data).tensor.get();
    auto r = s.infer(in);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? (*r->outputs)[0].values<float>()[0] : -1.0f;
  };
  const size_t half = clip->inputs.size() / 2;
  for (size_t i = 0; i < half; ++i) run(**old_stream, i);
  ASSERT_TRUE((*carried)->adopt_state(**old_stream).ok());
  int differ = 0;
  for (size_t i = half; i < clip->inputs.size(); ++i) {
    const float expected = run(**old_stream, i);
    EXPECT_EQ(run(**carried, i), expected) << "window " << i;
    differ += run(**reset, i) != expected ? 1 : 0;
  }
  EXPECT_GT(differ, 0) << "a reset stream gave what the running one did: its state was not reset";
}

// The quickstart's voice pipeline at twice real time on a looping recording, with `edit` (text and
// its replacement, once) made to examples/quickstart.yaml.
DocumentSet voice_with(const std::pair<std::string, std::string>& edit = {}) {
  std::string text = testing::read_text(testing::source_path("examples/quickstart.yaml"));
  if (!edit.first.empty()) {
    const size_t at = text.find(edit.first);
    EXPECT_NE(at, std::string::npos) << edit.first;
    if (at != std::string::npos) text.replace(at, edit.first.size(), edit.second);
  }
  auto docs = parse_document_text(text, "quickstart.yaml", testing::source_path("examples"));
  EXPECT_TRUE(docs.ok()) << docs.status();
  DocumentSet d = testing::only_pipelines(docs.ok() ? *docs : DocumentSet{}, {"voice"});
  for (auto& s : d.sensors) s.spec.buffer.capacity = 100;  // a second of frames: a held graph would drop
  return d;
}

using testing::model_runs;

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions o;
    o.speed = 2.0;
    o.loop = true;
    o.allow_empty = true;  // a device service: every model also takes requests
    auto rt = Runtime::create(voice_with(), o);
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = std::move(rt).value();
    ASSERT_TRUE(rt_->start().ok());
    ASSERT_TRUE(testing::eventually([&] { return model_runs(*rt_, "hey-jarvis") >= 10; }, 60s));
  }
  void TearDown() override {
    if (rt_) rt_->stop();
  }
  std::unique_ptr<Runtime> rt_;
};

TEST_F(UpgradeTest, ANewVersionTakesOverInPlaceAndNothingBelowItRestartsOrIsLost) {
  // Requests to the embedding go on through the upgrade: none may fail.
  std::atomic<bool> done{false};
  std::atomic<int> served{0}, failed{0};
  std::string last_error;
  auto sig = rt_->requests().signature("oww-embedding");
  ASSERT_TRUE(sig.ok()) << sig.status();
  std::thread client([&] {
    Tensor zeros(sig->inputs[0].dtype, sig->inputs[0].shape);
    while (!done) {
      RequestTasks::Options ro;
      ro.timeout = 5s;
      auto r = rt_->requests().infer("oww-embedding", {NamedTensor{sig->inputs[0].name, zeros}}, ro);
      if (r.ok()) {
        ++served;
      } else {
        ++failed;
        last_error = r.status().message();
      }
    }
  });
  ASSERT_TRUE(testing::eventually([&] { return served >= 5; }, 30s));
  const RuntimeStats before = rt_->stats();
  auto r = rt_->apply(
      voice_with({"version: \"0.1\"\n  scheduling: {priority: high, latency: 100ms}\n  inputs:\n    - name: input_1",
                  "version: \"0.2\"\n  scheduling: {priority: high, latency: 100ms}\n  inputs:\n    - name: input_1"}));
  const int served_before_switch = served;
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->replaced, ElementsAre("oww-embedding"));
  EXPECT_THAT(r->switched, ElementsAre("oww-embedding"));
  EXPECT_THAT(r->attached, IsEmpty());
  EXPECT_THAT(r->released, IsEmpty());
  ASSERT_TRUE(testing::eventually([&] { return served >= served_before_switch + 5; }, 30s));
  ASSERT_TRUE(testing::eventually([&] { return model_runs(*rt_, "oww-embedding") >= 20; }, 60s));
  done = true;
  client.join();
  EXPECT_EQ(failed, 0) << last_error;
  const RuntimeStats after = rt_->stats();
  EXPECT_EQ(testing::model_stats_of(after, "oww-embedding")->model.version, "0.2");
  // The embedding's node was kept (it counts on from before the switch; a new node would count
  // from zero), and so were the heads' windows and streams below it: each head's node ran as often
  // as its model.
  auto node_before = testing::model_nodes_of(before, "oww-embedding");
  auto node = testing::model_nodes_of(after, "oww-embedding");
  ASSERT_EQ(node.size(), 1u);
  ASSERT_EQ(node_before.size(), 1u);
  EXPECT_GT(node[0].items, node_before[0].items);
  EXPECT_EQ(node[0].key, node_before[0].key);
  for (const std::string& head : testing::kWakeWordHeads) {
    EXPECT_EQ(testing::model_stats_of(after, head)->model.load_ns,
              testing::model_stats_of(before, head)->model.load_ns);
    auto n = testing::model_nodes_of(after, head);
    ASSERT_EQ(n.size(), 1u) << head;
    EXPECT_NEAR(static_cast<double>(n[0].items), static_cast<double>(testing::model_stats_of(after, head)->model.runs),
                2.0)
        << head;
    EXPECT_EQ(n[0].dropped, 0u) << head;
  }
  EXPECT_EQ(testing::sensor_stats_of(after, "speech")->dropped, 0u);
  for (const auto& m : after.models) EXPECT_EQ(m.model.errors, 0u) << m.model.name;
}

TEST_F(UpgradeTest, AVersionThatFailsItsSelfTestNeverServesAndTheRunningOneGoesOn) {
  const RuntimeStats before = rt_->stats();
  const std::string speech = testing::sample_path("demo/speech.wav");
  auto r = rt_->apply(voice_with({"  version: \"5\"\n", fmt::format("  version: \"6\"\n  selfTest:\n    - input: {}\n"
                                                                    "      expect: {{nothing: true}}\n",
                                                                    speech)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("Model/silero-vad: spec.selfTest[0]: " + speech + " (WAV"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("the self-test failed: expected no prediction, got "));
  const uint64_t runs = model_runs(*rt_, "silero-vad");
  ASSERT_TRUE(testing::eventually([&] { return model_runs(*rt_, "silero-vad") >= runs + 20; }, 60s));
  const RuntimeStats after = rt_->stats();
  EXPECT_EQ(testing::model_stats_of(after, "silero-vad")->model.version, "5");
  EXPECT_EQ(testing::model_stats_of(after, "silero-vad")->model.load_ns,
            testing::model_stats_of(before, "silero-vad")->model.load_ns);
  EXPECT_EQ(rt_->documents().find_model("silero-vad")->spec.version, "5");
  EXPECT_EQ(testing::sensor_stats_of(after, "speech")->dropped, 0u);
}

TEST_F(UpgradeTest, AVersionReadingOtherStepsGetsNewNodesAndCannotCarryState) {
  // Another hop: the windows before the model differ, so it cannot take over the running node.
  const std::pair<std::string, std::string> hop = {"window: 576, hop: 512", "window: 576, hop: 480"};
  auto r = rt_->apply(
      voice_with({"  version: \"5\"\n  inputs:\n    - name: input\n      shape: [1, 576]\n"
                  "      audio: {sampleRate: 16000, window: 576, hop: 512",
                  "  version: \"5\"\n  rollout: {state: carry}\n  inputs:\n    - name: input\n"
                  "      shape: [1, 576]\n      audio: {sampleRate: 16000, window: 576, hop: 480"}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("Model/silero-vad: spec.rollout.state: carry: the new version cannot go on from the running "
                        "one's state: its input is prepared otherwise (other steps before it)"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("(line "));
  auto plain = rt_->apply(voice_with(hop));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT(plain->replaced, ElementsAre("silero-vad"));
  EXPECT_THAT(plain->switched, IsEmpty());
  EXPECT_THAT(plain->attached, ::testing::Not(IsEmpty()));
}

TEST_F(UpgradeTest, ACarriedStateIsTakenWhereTheVersionsAgree) {
  auto r = rt_->apply(voice_with({"  version: \"5\"\n", "  version: \"5.1\"\n  rollout: {state: carry}\n"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->switched, ElementsAre("silero-vad"));
  const uint64_t runs = model_runs(*rt_, "silero-vad");
  ASSERT_TRUE(testing::eventually([&] { return model_runs(*rt_, "silero-vad") >= runs + 20; }, 60s));
  EXPECT_EQ(testing::model_stats_of(rt_->stats(), "silero-vad")->model.errors, 0u);
}

}  // namespace
}  // namespace sensix

namespace sensix {
namespace {

RuntimeOptions voice_options(int64_t budget) {
  RuntimeOptions o;
  o.speed = 2.0;
  o.loop = true;
  o.allow_empty = true;
  o.memory_budget_bytes = budget;
  return o;
}

std::unique_ptr<Runtime> started_voice(int64_t budget) {
  auto rt = Runtime::create(voice_with(), voice_options(budget));
  EXPECT_TRUE(rt.ok()) << rt.status();
  if (!rt.ok()) return nullptr;
  EXPECT_TRUE((*rt)->start().ok());
  EXPECT_TRUE(testing::eventually([&] { return model_runs(**rt, "hey-jarvis") >= 5; }, 60s));
  return std::move(rt).value();
}

// The quickstart's vision pipeline (BlazeFace and SSD on the looping photos) with SSD, a 10 MB
// TFLite file whose load grows the memory by less than its size (TFLite maps the file), at
// `version` with `rollout` (lines of its spec): it counts exactly its file's size.
DocumentSet vision_with(const std::string& version, const std::string& rollout = "") {
  std::string text = testing::read_text(testing::source_path("examples/quickstart.yaml"));
  const std::string running = "  version: \"0.4.1675468480\"\n";
  const size_t at = text.find(running);
  EXPECT_NE(at, std::string::npos);
  text.replace(at, running.size(), fmt::format("  version: \"{}\"\n{}", version, rollout));
  auto docs = parse_document_text(text, "quickstart.yaml", testing::source_path("examples"));
  EXPECT_TRUE(docs.ok()) << docs.status();
  DocumentSet d = testing::only_pipelines(docs.ok() ? *docs : DocumentSet{}, {"vision"});
  for (auto& sd : d.sensors) sd.spec.replay.loop = true;
  return d;
}

// A budget with room for the running models and half SSD's file more: SSD's two versions cannot be
// loaded at once (each counts at least its file), one at a time can.
TEST(StopThenStart, BothVersionsOverTheBudgetAreRefusedAndTheRunningOneStopsFirstWhenAsked) {
  RuntimeOptions o;
  o.loop = true;
  o.allow_empty = true;
  auto created = Runtime::create(vision_with("0.4.1675468480"), o);
  ASSERT_TRUE(created.ok()) << created.status();
  auto rt = std::move(created).value();
  ASSERT_TRUE(rt->start().ok());
  ASSERT_TRUE(testing::eventually([&] { return model_runs(*rt, "ssd-oidv4") >= 1; }, 120s));
  const RuntimeStats before = rt->stats();
  const MemoryUsage old = testing::model_stats_of(before, "ssd-oidv4")->model.memory;
  const int64_t others = budgeted_bytes(testing::model_stats_of(before, "blazeface")->model.memory);
  const int64_t budget = others + budgeted_bytes(old) + old.file_bytes / 2;
  rt->set_memory_budget(budget);

  auto refused = rt->apply(vision_with("0.5"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  const std::string why(refused.status().message());
  EXPECT_THAT(why, HasSubstr("Model/ssd-oidv4 needs "));
  EXPECT_THAT(why, HasSubstr("the running versions of changed models stay loaded until their new versions take over "
                             "(Model/ssd-oidv4 "));
  EXPECT_THAT(why, HasSubstr("spec.rollout.strategy: stopThenStart unloads a running version first"));
  EXPECT_EQ(testing::model_stats_of(rt->stats(), "ssd-oidv4")->model.version, "0.4.1675468480");

  auto r = rt->apply(vision_with("0.5", "  rollout: {strategy: stopThenStart}\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->switched, ElementsAre("ssd-oidv4"));
  EXPECT_THAT(r->attached, IsEmpty());
  ASSERT_TRUE(testing::eventually([&] { return model_runs(*rt, "ssd-oidv4") >= 1; }, 120s));
  const RuntimeStats after = rt->stats();
  const auto* m = testing::model_stats_of(after, "ssd-oidv4");
  EXPECT_EQ(m->model.version, "0.5");
  EXPECT_EQ(m->model.state, ModelState::kReady);
  EXPECT_EQ(m->model.errors, 0u);  // inputs of the stopped version are passed over, not failed
  EXPECT_LE(others + budgeted_bytes(m->model.memory), budget);
  rt->stop();
}

// An earlier version loaded for the requests that name it (serve_version) counts against the memory
// budget while it holds its session: an apply that fits without it is refused naming it; once idle
// it counts no more, and loading it again for a request must fit again. The runtime's clock is a
// ManualEnv, so the kept version goes idle when the test moves the clock, not when a slow machine
// happens to take longer than its idleUnload.
TEST(KeptVersions, CountAgainstTheMemoryBudgetWhileLoaded) {
  ManualEnv clock;  // outlives the runtime
  RuntimeOptions o;
  o.loop = true;
  o.allow_empty = true;
  o.env = &clock;
  auto created = Runtime::create(vision_with("0.4"), o);
  ASSERT_TRUE(created.ok()) << created.status();
  auto rt = std::move(created).value();
  ASSERT_TRUE(rt->start().ok());
  ASSERT_TRUE(testing::eventually([&] { return model_runs(*rt, "ssd-oidv4") >= 1; }, 120s));
  ASSERT_TRUE(rt->apply(vision_with("0.5")).ok());
  ModelDoc kept = *vision_with("0.4").find_model("ssd-oidv4");
  kept.spec.resources.idle_unload_ns =
      1'000'000'000;  // a second of the clock without a request (the daemon's: a minute)
  auto sig = rt->serve_version(kept);
  ASSERT_TRUE(sig.ok()) << sig.status();
  auto ssd = [&] { return *testing::model_stats_of(rt->stats(), "ssd-oidv4"); };
  ASSERT_EQ(ssd().kept.size(), 1u);
  EXPECT_EQ(ssd().kept[0].version, "0.4");
  EXPECT_EQ(ssd().kept[0].state, ModelState::kReady);

  // Room for the running models and one more SSD (a new version beside the running one), not two.
  const RuntimeStats before = rt->stats();
  const int64_t one = budgeted_bytes(ssd().model.memory);
  const int64_t others = budgeted_bytes(testing::model_stats_of(before, "blazeface")->model.memory);
  rt->set_memory_budget(others + 2 * one + one / 2);
  auto refused = rt->apply(vision_with("0.6"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("Model/ssd-oidv4 version 0.4 (kept for requests) "));
  EXPECT_EQ(ssd().model.version, "0.5");

  // Idle, it gave its memory back: the same apply fits.
  EXPECT_EQ(ssd().kept[0].state, ModelState::kReady);
  clock.advance(2s);
  ASSERT_TRUE(
      testing::eventually([&] { return !ssd().kept.empty() && ssd().kept[0].state == ModelState::kIdle; }, 10s));
  auto applied = rt->apply(vision_with("0.6"));
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(ssd().model.version, "0.6");
  ASSERT_EQ(ssd().kept.size(), 1u);  // kept while its model runs

  // Loading it again for a request must fit the budget then.
  rt->set_memory_budget(others + one + one / 2);
  auto again = rt->serve_version(kept);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("Model/ssd-oidv4 needs "));
  rt->set_memory_budget(others + 2 * one + one / 2);
  EXPECT_TRUE(rt->serve_version(kept).ok());
  rt->stop();
}

TEST(StopThenStart, ANewVersionThatFailsBringsTheStoppedOneBack) {
  auto rt = started_voice(0);
  ASSERT_NE(rt, nullptr);
  const std::string speech = testing::sample_path("demo/speech.wav");
  auto r = rt->apply(voice_with({"  version: \"5\"\n", fmt::format("  version: \"6\"\n  rollout: {{strategy: "
                                                                   "stopThenStart}}\n  selfTest:\n    - input: {}\n"
                                                                   "      expect: {{nothing: true}}\n",
                                                                   speech)}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("the self-test failed: expected no prediction, got "));
  // The stopped version 5 is loaded again and serves on: frames and requests.
  const uint64_t runs = model_runs(*rt, "silero-vad");
  ASSERT_TRUE(testing::eventually([&] { return model_runs(*rt, "silero-vad") >= runs + 20; }, 60s));
  const RuntimeStats after = rt->stats();
  const auto* vad = testing::model_stats_of(after, "silero-vad");
  EXPECT_EQ(vad->model.version, "5");
  EXPECT_EQ(vad->model.state, ModelState::kReady);
  EXPECT_EQ(vad->model.errors, 0u);
  EXPECT_EQ(rt->documents().find_model("silero-vad")->spec.version, "5");
  EXPECT_TRUE(rt->requests().ready("silero-vad").ok());
  rt->stop();
}

}  // namespace
}  // namespace sensix

namespace sensix {
namespace {

// The first output's values of an answer.
std::vector<float> first_values(const std::vector<NamedTensor>& answer) {
  if (answer.empty()) return {};
  auto v = answer[0].tensor.values<float>();
  return {v.begin(), v.end()};
}

// A model served on request only, unloaded after 300 ms without a request and loaded again (then
// answering as before) by the next.
TEST(IdleUnload, AModelWithoutInputsUnloadsAndTheNextRequestLoadsItAgain) {
  std::string text = testing::read_text(testing::source_path("examples/zoo/timer.yaml"));
  const size_t spec = text.find("\nspec:\n");
  ASSERT_NE(spec, std::string::npos);
  text.insert(spec + 7, "  resources: {idleUnload: 300ms}\n");
  auto docs = parse_document_text(text, "timer.yaml", testing::source_path("examples/zoo"));
  ASSERT_TRUE(docs.ok()) << docs.status();
  RuntimeOptions o;
  o.allow_empty = true;  // a device service: its models take requests
  auto created = Runtime::create(*docs, o);
  ASSERT_TRUE(created.ok()) << created.status();
  auto rt = std::move(created).value();
  ASSERT_TRUE(rt->start().ok());
  auto sig = rt->requests().signature("timer");
  ASSERT_TRUE(sig.ok()) << sig.status();
  Tensor input(sig->inputs[0].dtype, sig->inputs[0].shape);
  auto values = input.values<float>();
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7) * 0.1f;
  auto infer = [&] {
    RequestTasks::Options ro;
    ro.timeout = 30s;
    return rt->requests().infer("timer", {NamedTensor{sig->inputs[0].name, input}}, ro);
  };
  auto first = infer();
  ASSERT_TRUE(first.ok()) << first.status();
  auto timer = [&] { return testing::model_stats_of(rt->stats(), "timer")->model; };
  ASSERT_TRUE(testing::eventually([&] { return timer().state == ModelState::kIdle; }, 10s));
  const ModelStatsSnapshot idle = timer();
  EXPECT_EQ(idle.idle_unloads, 1u);
  EXPECT_THAT(idle.reason, HasSubstr("no input for 0.3 s (spec.resources.idleUnload)"));
  EXPECT_TRUE(rt->requests().ready("timer").ok());  // an idle model takes requests

  auto again = infer();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(first_values(*again), first_values(*first));  // the same model, loaded again
  const ModelStatsSnapshot back = timer();
  EXPECT_EQ(back.state, ModelState::kReady);
  EXPECT_EQ(back.reloads, 1u);
  EXPECT_THAT(back.reason, HasSubstr("loaded again by an input"));
  EXPECT_EQ(back.errors, 0u);
  rt->stop();
}

}  // namespace
}  // namespace sensix
