// Tests of model_reader.h: a Model's artifact fields, outputs, the one data input, resources
// (isolation, worker, memory), scheduling and variants, with the exact messages a user sees.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sha256.h"
#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

using ::testing::HasSubstr;

// spec.resources.isolation, .worker and .memory (the isolation helper's fields).
std::string with_resources(const std::string& block) {
  return replace(kSensor + "---\n" + kModel, "  postprocess:\n", "  resources:\n" + block + "  postprocess:\n");
}

// A missing or malformed sha256 on a file that is there: the message gives the file's digest, so
// that the fix is to paste it (sensix inspect prints it too).
TEST(ModelReaderTest, AMissingOrMalformedSha256GivesTheFilesDigest) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("sensix-sha-test-" + std::to_string(::getpid()) + ".onnx");
  const std::string bytes = "the bytes of a model file";
  std::ofstream(file, std::ios::binary) << bytes;
  const std::string digest = sha256_bytes(
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
  const std::string doc = replace(kModel, "source: repo:vad.onnx", "source: " + file.string());
  EXPECT_THAT(errors_of(replace(doc, "  sha256: " + kSha + "\n", "")),
              HasSubstr(M + "spec.sha256: required field is missing (the file has sha256 " + digest + ") (line 4)"));
  EXPECT_THAT(errors_of(replace(doc, kSha, "unknown")),
              HasSubstr(M + "spec.sha256: expected 64 lowercase hex digits, got \"unknown\" (the file has sha256 " +
                        digest + ") (line 7)"));
  // No file there: nothing to compute, the message is as before.
  EXPECT_THAT(errors_of(replace(kModel, "  sha256: " + kSha + "\n", "")),
              HasSubstr(M + "spec.sha256: required field is missing (line 4)"));
  std::filesystem::remove(file);
}

TEST(ModelReaderTest, IsolationWorkerAndMemoryParse) {
  auto docs = parse_document_text(with_resources("    isolation: process\n"
                                                 "    worker:\n"
                                                 "      timeout: 0.5\n"
                                                 "      restart: {initialDelay: 0.1, maxDelay: 4, maxAttempts: 0}\n"
                                                 "    memory: 256Mi\n"),
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(docs.ok()) << docs.status();
  const ResourceSpec& r = docs->models.at(0).spec.resources;
  EXPECT_EQ(r.isolation, Isolation::kProcess);
  EXPECT_DOUBLE_EQ(r.worker.timeout, 0.5);
  EXPECT_DOUBLE_EQ(r.worker.restart.initial_delay, 0.1);
  EXPECT_DOUBLE_EQ(r.worker.restart.max_delay, 4.0);
  EXPECT_EQ(r.worker.restart.max_attempts, 0);
  EXPECT_EQ(r.memory_limit_bytes, 256LL << 20);
  EXPECT_EQ(r.memory, "256Mi");

  auto defaults = parse_document_text(with_resources("    memory: 268435456\n"), "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  const ResourceSpec& d = defaults->models.at(0).spec.resources;
  EXPECT_EQ(d.isolation, Isolation::kInProcess);
  EXPECT_EQ(d.memory_limit_bytes, 268435456);
  EXPECT_DOUBLE_EQ(d.worker.timeout, 2.0);
  EXPECT_DOUBLE_EQ(d.worker.restart.initial_delay, 0.5);
  EXPECT_DOUBLE_EQ(d.worker.restart.max_delay, 10.0);
  EXPECT_EQ(d.worker.restart.max_attempts, 5);
  EXPECT_EQ(d.idle_unload_ns, 0);

  auto idle = parse_document_text(with_resources("    idleUnload: 600s\n"), "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_EQ(idle->models.at(0).spec.resources.idle_unload_ns, 600'000'000'000);
}

TEST(ModelReaderTest, IsolationWorkerAndMemoryReportBadFields) {
  const std::string rs = M + "spec.resources.";
  const std::string size = "expected a memory size above 0: bytes, or a number with Ki, Mi or Gi (e.g. 256Mi), got ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    isolation: thread\n", rs + "isolation: expected one of in-process, process, got \"thread\""},
      {"    memory: 256M\n", rs + "memory: " + size + "\"256M\""},
      {"    memory: 256MB\n", rs + "memory: " + size + "\"256MB\""},
      {"    memory: 0\n", rs + "memory: " + size + "0"},
      {"    memory: -1\n", rs + "memory: " + size + "-1"},
      {"    memory: 1.5\n", rs + "memory: " + size + "1.5"},
      {"    worker: {timeout: 1}\n", rs + "worker: worker applies to isolation: process (the model runs in-process)"},
      {"    isolation: process\n    worker: {timeout: 0}\n",
       rs + "worker.timeout: expected a number of seconds above 0 and at most 3600, got 0"},
      {"    isolation: process\n    worker: {restart: {initialDelay: 2, maxDelay: 1}}\n",
       rs + "worker.restart.maxDelay: maxDelay (1 s) is shorter than initialDelay (2 s)"},
      {"    isolation: process\n    worker: {restart: {maxAttempts: -1}}\n",
       rs + "worker.restart.maxAttempts: expected"},
      {"    isolation: process\n    worker: {timeout: 1, retries: 3}\n", rs + "worker.retries: unknown field"},
      {"    idleUnload: 0s\n", rs + "idleUnload: expected a duration such as 50ms or 2s (above 0, at most 3600s)"},
      {"    idleUnload: 10\n", rs + "idleUnload: expected a duration such as 50ms or 2s"},
  };
  for (const auto& [block, expected] : cases) {
    EXPECT_THAT(errors_of(with_resources(block)), HasSubstr(expected)) << block;
  }
}

TEST(ModelReaderTest, SchedulingParses) {
  auto docs = parse_document_text(with_scheduling("    priority: high\n"
                                                  "    latency: 150ms\n"
                                                  "    policy: latency\n"
                                                  "    batch: {max: 4, delay: 20ms}\n"
                                                  "    accelerators: [ort]\n") +
                                      "---\n" + kDevice,
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(docs.ok()) << docs.status();
  const SchedulingSpec& s = docs->models.at(0).spec.scheduling;
  EXPECT_EQ(s.priority, Priority::kHigh);
  EXPECT_EQ(s.latency_ns, 150'000'000);
  ASSERT_TRUE(s.policy.has_value());
  EXPECT_EQ(*s.policy, SchedPolicy::kLatency);
  EXPECT_EQ(s.batch.max, 4);
  EXPECT_EQ(s.batch.delay_ns, 20'000'000);
  EXPECT_EQ(s.accelerators, std::vector<std::string>({"ort"}));

  auto defaults = parse_document_text(kSensor + "---\n" + kModel, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(defaults.ok());
  const SchedulingSpec& n = defaults->models.at(0).spec.scheduling;
  EXPECT_EQ(n.priority, Priority::kNormal);
  EXPECT_EQ(n.latency_ns, 0);
  EXPECT_FALSE(n.policy.has_value());
  EXPECT_EQ(n.batch.max, 1);
  EXPECT_TRUE(n.accelerators.empty());
}

TEST(ModelReaderTest, SchedulingReportsBadFields) {
  const std::string sc = M + "spec.scheduling.";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    priority: urgent\n", sc + "priority: expected one of high, normal, low, got \"urgent\""},
      {"    latency: 150\n", sc + "latency: expected a duration such as 50ms or 2s"},
      {"    latency: fast\n", sc + "latency: expected a duration such as 50ms or 2s"},
      {"    policy: fastest\n", sc + "policy: expected one of latency, throughput, balanced, got \"fastest\""},
      {"    batch: {max: 0}\n", sc + "batch.max: expected"},
      {"    batch: {max: 65}\n", sc + "batch.max: expected"},
      {"    batch: {delay: 5ms}\n", sc + "batch.max: required field is missing"},
      {"    batch: {max: 1, delay: 5ms}\n", sc + "batch.delay: delay applies to batches of more than one input"},
      {"    accelerators: [ort, ort]\n", sc + "accelerators: \"ort\" is listed twice"},
      {"    accelerators: ort\n", sc + "accelerators: expected"},
      {"    deadline: 5ms\n", sc + "deadline: unknown field"},
  };
  for (const auto& [block, expected] : cases) {
    EXPECT_THAT(errors_of(with_scheduling(block)), HasSubstr(expected)) << block;
  }
  // A model that carries state between runs cannot batch.
  const std::string stateful = replace(
      replace(kSensor + "---\n" + kModel, "  postprocess:\n", "  scheduling: {batch: {max: 2}}\n  postprocess:\n"),
      "  outputs:\n", "    - name: h\n      shape: [1, 4]\n      state: {from: hn}\n  outputs:\n    - name: hn\n");
  EXPECT_THAT(errors_of(stateful), HasSubstr(sc + "batch: batch.max 2 needs inputs that do not depend on the previous "
                                                  "run, but input \"h\" is a state carried between runs"));
}

// spec.variants: the same model in another file for another engine.
std::string with_variants(const std::string& block) {
  return replace(kSensor + "---\n" + kModel, "  postprocess:\n", "  variants:\n" + block + "  postprocess:\n");
}

TEST(ModelReaderTest, VariantsParse) {
  auto docs = parse_document_text(with_variants(
                                      "    - format: tflite\n"
                                      "      source: repo:vad.tflite\n"
                                      "      sha256: " +
                                      kSha +
                                      "\n"
                                      "      tensors: {input: \"serving_default_input:0\", output: \"Identity:0\"}\n"),
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(docs.ok()) << docs.status();
  const auto& v = docs->models.at(0).spec.variants;
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].format, ModelFormat::kTflite);
  EXPECT_EQ(v[0].engine, "tflite");
  EXPECT_EQ(v[0].path, "/repo/vad.tflite");
  EXPECT_EQ(v[0].tensors.at("input"), "serving_default_input:0");
  EXPECT_EQ(v[0].tensors.at("output"), "Identity:0");
}

TEST(ModelReaderTest, VariantsReportBadFields) {
  const std::string vr = M + "spec.variants";
  const std::string tfl = "    - format: tflite\n      source: repo:vad.tflite\n      sha256: " + kSha + "\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    - format: onnx\n      source: repo:v2.onnx\n      sha256: " + kSha + "\n",
       vr + "[0]: a second onnxruntime variant (the model already runs on onnxruntime through spec.engine); one file "
            "per engine"},
      {tfl + tfl, vr + "[1]: a second tflite variant (the model already runs on tflite through spec.variants[0])"},
      {tfl + "      tensors: {inputs: x}\n",
       vr + "[0].tensors.inputs: \"inputs\" is not one of the model's declared inputs or outputs"},
      {tfl + "      engine: onnxruntime\n", vr + "[0].engine: engine onnxruntime cannot load tflite models"},
      {"    - format: tflite\n      source: repo:vad.tflite\n", vr + "[0].sha256: required field is missing"},
      {tfl + "      threads: 2\n", vr + "[0].threads: unknown field"},
  };
  for (const auto& [block, expected] : cases) {
    EXPECT_THAT(errors_of(with_variants(block)), HasSubstr(expected)) << block;
  }
  const std::string isolated = replace(with_variants(tfl), "  variants:\n",
                                       "  resources: {isolation: process}\n  variants:\n");
  EXPECT_THAT(errors_of(isolated), HasSubstr(vr + ": a model with variants runs in-process"));
}

TEST(ModelReaderTest, SelfTestAndRolloutParse) {
  auto docs = parse_document_text(kModel +
                                      "  selfTest:\n"
                                      "    - input: samples:speech.wav\n"
                                      "      expect: {label: speech, score: 0.9, tolerance: 0.02, count: 2}\n"
                                      "    - input: samples:face.jpg\n"
                                      "      expect: {box: [1, 2, 30, 40], minIoU: 0.7, text: hi}\n"
                                      "    - input: samples:silence.wav\n"
                                      "      expect: {nothing: true}\n"
                                      "  rollout:\n"
                                      "    strategy: canary\n"
                                      "    state: carry\n"
                                      "    share: 0.25\n"
                                      "    analysis: {runs: 50, maxErrorRate: 0.02, maxDisagreement: 0.1, maxP99: 20ms,"
                                      " tolerance: 0.01, timeout: 120s, promote: manual}\n",
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(docs.ok()) << docs.status();
  const ModelSpec& m = docs->models.at(0).spec;
  ASSERT_EQ(m.self_test.size(), 3u);
  EXPECT_EQ(m.self_test[0].input, "samples:speech.wav");
  EXPECT_EQ(m.self_test[0].path, "/samples/speech.wav");
  EXPECT_EQ(m.self_test[0].expect.label, "speech");
  EXPECT_FLOAT_EQ(*m.self_test[0].expect.score, 0.9f);
  EXPECT_FLOAT_EQ(m.self_test[0].expect.tolerance, 0.02f);
  EXPECT_EQ(*m.self_test[0].expect.count, 2);
  EXPECT_EQ(*m.self_test[1].expect.box, (std::array<float, 4>{1, 2, 30, 40}));
  EXPECT_FLOAT_EQ(m.self_test[1].expect.min_iou, 0.7f);
  EXPECT_EQ(*m.self_test[1].expect.text, "hi");
  EXPECT_TRUE(m.self_test[2].expect.nothing);
  EXPECT_EQ(m.rollout.state, SwitchState::kCarry);
  EXPECT_EQ(m.rollout.strategy, RolloutStrategy::kCanary);
  EXPECT_DOUBLE_EQ(m.rollout.effective_share(), 0.25);
  const RolloutAnalysisSpec& a = m.rollout.analysis;
  EXPECT_EQ(a.runs, 50);
  EXPECT_DOUBLE_EQ(a.max_error_rate, 0.02);
  EXPECT_DOUBLE_EQ(a.max_disagreement, 0.1);
  EXPECT_EQ(a.max_p99_ns, 20'000'000);
  EXPECT_DOUBLE_EQ(a.tolerance, 0.01);
  EXPECT_EQ(a.timeout_ns, 120'000'000'000);
  EXPECT_FALSE(a.auto_promote);
  // The defaults.
  auto plain = parse_document_text(kModel, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->models.at(0).spec.self_test.empty());
  EXPECT_EQ(plain->models.at(0).spec.rollout.state, SwitchState::kReset);
  EXPECT_EQ(plain->models.at(0).spec.rollout.strategy, RolloutStrategy::kReplace);
  RolloutSpec other;
  other.strategy = RolloutStrategy::kShadow;
  EXPECT_DOUBLE_EQ(other.effective_share(), 1.0);
  other.strategy = RolloutStrategy::kCanary;
  EXPECT_DOUBLE_EQ(other.effective_share(), 0.1);
  auto stop_first = parse_document_text(kModel + "  rollout: {strategy: stopThenStart, state: carry}\n", "t.yaml",
                                        "/docs", kRoots);
  ASSERT_TRUE(stop_first.ok()) << stop_first.status();
  EXPECT_EQ(stop_first->models.at(0).spec.rollout.strategy, RolloutStrategy::kStopThenStart);
  EXPECT_EQ(rollout_strategy_name(RolloutStrategy::kStopThenStart), "stopThenStart");
}

TEST(ModelReaderTest, SelfTestAndRolloutReportBadFields) {
  const std::string st = M + "spec.selfTest";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"  selfTest: []\n", st + ": expected a list with at least 1 item, got an empty list (line 16)"},
      {"  selfTest:\n    - expect: {nothing: true}\n", st + "[0].input: required field is missing (line 17)"},
      {"  selfTest:\n    - input: a.wav\n", st + "[0].expect: required field is missing (line 17)"},
      {"  selfTest:\n    - input: a.wav\n      expect: {}\n",
       st + "[0].expect: expects nothing to check: give nothing: true, or a label, count, box or text (line 18)"},
      {"  selfTest:\n    - input: a.wav\n      expect: {nothing: true, label: speech}\n",
       st + "[0].expect: nothing: true expects no prediction at all; it takes no label, count, box or text (line 18)"},
      {"  selfTest:\n    - input: a.wav\n      expect: {count: 1, score: 0.5}\n",
       st + "[0].expect.score: a score is the score of a label: give the label too (line 18)"},
      {"  selfTest:\n    - input: a.wav\n      expect: {label: x, tolerance: 0.5}\n",
       st + "[0].expect.tolerance: a tolerance is the score's: give the score too (line 18)"},
      {"  selfTest:\n    - input: a.wav\n      expect: {label: x, minIoU: 0.5}\n",
       st + "[0].expect.minIoU: minIoU is the box's: give the box too (line 18)"},
      {"  selfTest:\n    - input: a.wav\n      expect: {box: [1, 2, 3]}\n",
       st + "[0].expect.box: expected a list of numbers with at least 4 items, got 3 items (line 18)"},
      {"  selfTest:\n    - input: a.wav\n      expect: {box: [1, 2, 3, 4, 5]}\n",
       st + "[0].expect.box: expected [x, y, width, height] in the file's pixels"},
      {"  selfTest:\n    - input: a.wav\n      expect: {label: x, score: 2}\n",
       st + "[0].expect.score: expected a number from 0 to 1, got 2 (line 18)"},
      {"  selfTest:\n    - input: a.wav\n      expect: {labels: [x]}\n",
       st + "[0].expect.labels: unknown field (expected one of: nothing, label, score, tolerance, count, box, minIoU, "
            "text); did you mean \"label\"? (line 18)"},
      {"  rollout: {state: keep}\n", M + "spec.rollout.state: expected one of reset, carry, got \"keep\" (line 16)"},
      {"  rollout: {strategy: blue-green}\n",
       M + "spec.rollout.strategy: expected one of replace, canary, shadow, stopThenStart, got \"blue-green\" (line "
           "16)"},
      {"  rollout: {strategy: stopThenStart, share: 0.5}\n",
       M + "spec.rollout.share: a share is a canary's or a shadow's (strategy: canary or shadow) (line 16)"},
      {"  rollout: {share: 0.5}\n",
       M + "spec.rollout.share: a share is a canary's or a shadow's (strategy: canary or shadow) (line 16)"},
      {"  rollout: {strategy: canary, share: 0}\n",
       M + "spec.rollout.share: expected a number over 0, at most 1, got 0 (line 16)"},
      {"  rollout: {analysis: {runs: 10}}\n",
       M + "spec.rollout.analysis: an analysis judges a canary or a shadow (strategy: canary or shadow) (line 16)"},
      {"  rollout: {strategy: shadow, analysis: {runs: 0}}\n",
       M + "spec.rollout.analysis.runs: expected an integer from 1 to 1000000000, got 0 (line 16)"},
      {"  rollout: {strategy: shadow, analysis: {maxP99: 5}}\n",
       M + "spec.rollout.analysis.maxP99: expected a duration such as 50ms or 2s"},
      {"  rollout: {strategy: shadow, analysis: {promote: later}}\n",
       M + "spec.rollout.analysis.promote: expected one of auto, manual, got \"later\" (line 16)"},
  };
  for (const auto& [block, expected] : cases) EXPECT_THAT(errors_of(kModel + block), HasSubstr(expected)) << block;
  // A model fed by another model's output has no file to take.
  const std::string head = replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                                   "stream: {window: 2, hop: 1}");
  EXPECT_THAT(errors_of(head + "  selfTest:\n    - input: a.wav\n      expect: {nothing: true}\n"),
              HasSubstr(st + ": a self-test feeds an image or an audio clip to the model's data input, and input "
                             "\"input\" is a stream of another model's output (line 17)"));
}

class ModelReaderInvalidTest : public InvalidDocumentTest {};

TEST_P(ModelReaderInvalidTest, ReportsTheFieldAndWhatWasExpected) { expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Table, ModelReaderInvalidTest,
    ::testing::Values(
        Case{"MapWhereScalar", replace(kModel, "version: \"5\"", "version: {major: 5}"),
             M + "spec.version: expected a string, got a map (line 8)"},
        Case{"UnquotedVersion", replace(kModel, "version: \"5\"", "version: 5"),
             M + "spec.version: expected a string, got 5 (quote values that look like numbers or booleans) (line 8)"},
        Case{"EmptyValue", replace(kModel, "format: onnx", "format:"),
             M + "spec.format: expected one of onnx, tflite, got null (line 5)"},
        Case{"BadSha", replace(kModel, kSha, std::string(64, 'A')),
             M + "spec.sha256: expected 64 lowercase hex digits, got \"" + std::string(64, 'A') + "\" (line 7)"},
        Case{"MissingRequired", replace(kModel, "  sha256: " + kSha + "\n", ""),
             M + "spec.sha256: required field is missing (line 4)"},
        Case{"BadEnum", replace(kModel, "format: onnx", "format: onx"),
             M + "spec.format: expected one of onnx, tflite, got \"onx\"; did you mean \"onnx\"? (line 5)"},
        Case{"EngineDoesNotFitFormat", kModel + "  engine: tflite\n",
             M + "spec.engine: engine tflite cannot load onnx models (use onnxruntime) (line 16)"},
        Case{"NoDataInput",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}", "constant: {value: 1}"),
             M + "spec.inputs: a model needs exactly one data input (audio, image, series or stream); none is given "
                 "(line 10)"},
        Case{"TwoDataInputs", replace(kModel, "  outputs:", "    - {name: b, stream: {window: 2, hop: 1}}\n  outputs:"),
             M + "spec.inputs[1]: a model has exactly one data input (audio, image, series or stream); spec.inputs[0] "
                 "is one "
                 "already (line 12)"},
        Case{"StateFromUndeclaredOutput",
             replace(kModel, "  outputs:", "    - {name: state, state: {from: stateN}}\n  outputs:"),
             M + "spec.inputs[1].state.from: \"stateN\" is not a declared output (spec.outputs declares \"output\") "
                 "(line 12)"},
        Case{"EmptyInputs",
             replace(replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}\n", ""),
                     "  inputs:\n    - name: input\n", "  inputs: []\n"),
             M + "spec.inputs: expected a list with at least 1 item, got an empty list (line 9)"}));

}  // namespace
}  // namespace sensix::docs_test
