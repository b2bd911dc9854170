// Tests of parser.h itself: the quickstart example, the document envelope, YAML and JSON input,
// error order, files and directories, and the complete examples of docs/documents.md. The
// per-kind readers, paths and cross-document checks have their own *_test.cpp beside them.
#include "docs/parser.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(ParserTest, BaseDocumentsAreValid) {
  EXPECT_EQ(errors_of(kSensor), "");
  EXPECT_EQ(errors_of(kModel), "");
  EXPECT_EQ(errors_of(kValidSet), "");
}

// ---------------------------------------------------------------------------------------------
// The quickstart example.

TEST(ParserTest, QuickstartParses) {
  const std::string path = std::string(SENSIX_SOURCE_DIR) + "/examples/quickstart.yaml";
  auto r = parse_document_files({path}, kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const DocumentSet& d = *r;
  ASSERT_EQ(d.sensors.size(), 2u);
  ASSERT_GE(d.models.size(), 6u);
  ASSERT_GE(d.pipelines.size(), 1u);

  const SensorDoc* speech = d.find_sensor("speech");
  ASSERT_NE(speech, nullptr);
  EXPECT_EQ(speech->origin.file, path);
  EXPECT_EQ(speech->origin.index, 0);
  EXPECT_EQ(speech->spec.driver, DriverKind::kAudioFile);
  EXPECT_EQ(speech->spec.path, "/samples/demo/speech.wav");
  EXPECT_EQ(speech->spec.audio.frame_ms, 20);
  EXPECT_EQ(speech->spec.audio.sample_rate, 0);  // from the file
  EXPECT_DOUBLE_EQ(speech->spec.replay.speed, 1.0);
  EXPECT_EQ(speech->spec.buffer.capacity, 16);
  EXPECT_FALSE(speech->spec.buffer.overflow.has_value());

  const ModelDoc* vad = d.find_model("silero-vad");
  ASSERT_NE(vad, nullptr);
  EXPECT_EQ(vad->metadata.labels.at("task"), "voice-activity");
  EXPECT_EQ(vad->spec.format, ModelFormat::kOnnx);
  EXPECT_EQ(vad->spec.source, "repo:silero-vad/silero_vad_v5.onnx");
  EXPECT_EQ(vad->spec.path, "/repo/silero-vad/silero_vad_v5.onnx");
  EXPECT_EQ(vad->spec.sha256, "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f");
  EXPECT_EQ(vad->spec.version, "5");
  EXPECT_EQ(vad->spec.engine, "onnxruntime");
  ASSERT_EQ(vad->spec.inputs.size(), 3u);
  const auto& audio = std::get<AudioInputSpec>(vad->spec.inputs[0].source);
  EXPECT_EQ(audio.sample_rate, 16000);
  EXPECT_EQ(audio.channels, 1);
  EXPECT_EQ(audio.window.window, 576);
  EXPECT_EQ(audio.window.hop, 512);
  EXPECT_EQ(audio.window.prefill, Prefill::kValue);
  EXPECT_EQ(audio.window.prefill_value, 0.0f);
  EXPECT_EQ(vad->spec.inputs[0].shape, (Shape{1, 576}));
  EXPECT_EQ(std::get<StateInputSpec>(vad->spec.inputs[1].source).from_output, "stateN");
  EXPECT_EQ(vad->spec.inputs[2].dtype, DType::kInt64);
  EXPECT_EQ(std::get<ConstantInputSpec>(vad->spec.inputs[2].source).values, (std::vector<double>{16000}));
  const auto& classify = std::get<ClassifySpec>(vad->spec.postprocess);
  EXPECT_EQ(classify.output, "output");
  EXPECT_EQ(classify.labels, (std::vector<std::string>{"speech"}));
  EXPECT_FLOAT_EQ(classify.threshold, 0.5f);
  ASSERT_TRUE(classify.release.has_value());
  EXPECT_FLOAT_EQ(*classify.release, 0.35f);
  EXPECT_EQ(classify.trigger, Trigger::kRising);
  EXPECT_EQ(classify.top_k, 1);

  const ModelDoc* mel = d.find_model("oww-mel");
  ASSERT_NE(mel, nullptr);
  EXPECT_FLOAT_EQ(std::get<AudioInputSpec>(mel->spec.inputs[0].source).scale, 32768.0f);
  EXPECT_FLOAT_EQ(mel->spec.outputs[0].scale, 0.1f);
  EXPECT_FLOAT_EQ(mel->spec.outputs[0].offset, 2.0f);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(mel->spec.postprocess));

  const ModelDoc* emb = d.find_model("oww-embedding");
  ASSERT_NE(emb, nullptr);
  const auto& stream = std::get<StreamInputSpec>(emb->spec.inputs[0].source);
  EXPECT_EQ(stream.window.window, 76);
  EXPECT_EQ(stream.window.hop, 8);
  EXPECT_EQ(stream.window.prefill, Prefill::kValue);
  EXPECT_FLOAT_EQ(stream.window.prefill_value, 1.0f);

  const ModelDoc* jarvis = d.find_model("hey-jarvis");
  ASSERT_NE(jarvis, nullptr);
  EXPECT_EQ(jarvis->spec.outputs[0].name, "53");
  EXPECT_EQ(std::get<StreamInputSpec>(jarvis->spec.inputs[0].source).window.prefill, Prefill::kNone);

  const PipelineDoc* voice = d.find_pipeline("voice");
  ASSERT_NE(voice, nullptr);
  ASSERT_EQ(voice->spec.steps.size(), 6u);
  EXPECT_EQ(voice->spec.steps[0].model, "silero-vad");
  EXPECT_EQ(voice->spec.steps[0].from.sensor, "speech");
  EXPECT_EQ(voice->spec.steps[3].model, "hey-jarvis");
  EXPECT_EQ(voice->spec.steps[3].from.model, "oww-embedding");
  EXPECT_EQ(voice->spec.steps[3].from.output, "");

  if (const ModelDoc* face = d.find_model("blazeface")) {
    const auto& img = std::get<ImageInputSpec>(face->spec.inputs[0].source);
    EXPECT_EQ(img.width, 256);
    EXPECT_EQ(img.resize, ResizeMode::kLetterbox);
    EXPECT_FLOAT_EQ(img.range_lo, -1.0f);
    EXPECT_FLOAT_EQ(img.range_hi, 1.0f);
    const auto& det = std::get<DetectSpec>(face->spec.postprocess);
    EXPECT_EQ(det.anchors.num_layers, 4);
    EXPECT_EQ(det.anchors.strides, (std::vector<int>{16, 32, 32, 32}));
    EXPECT_TRUE(det.anchors.fixed_anchor_size);
    EXPECT_FLOAT_EQ(det.anchors.offset_x, 0.5f);
    EXPECT_EQ(det.box.num_keypoints, 6);
    EXPECT_EQ(det.box.num_coords, 16);
    EXPECT_FLOAT_EQ(det.box.x_scale, 256.0f);
    EXPECT_FLOAT_EQ(det.score_clip, 100.0f);
    EXPECT_FLOAT_EQ(det.nms_iou, 0.3f);
    EXPECT_EQ(det.max_detections, 20);
  }
  if (const ModelDoc* ssd = d.find_model("ssd-oidv4")) {
    EXPECT_EQ(ssd->spec.format, ModelFormat::kTflite);
    EXPECT_EQ(ssd->spec.engine, "tflite");
    const auto& det = std::get<DetectSpec>(ssd->spec.postprocess);
    EXPECT_EQ(det.labels_file, "/repo/mediapipe-objectron/oidv4_labelmap.txt");
    EXPECT_TRUE(det.labels.empty());
    EXPECT_EQ(det.box.format, BoxFormat::kYxhw);
    EXPECT_TRUE(det.box.exp_size);
    EXPECT_EQ(det.ignore_classes, (std::vector<int>{0}));
  }
  if (const SensorDoc* camera = d.find_sensor("camera")) {
    EXPECT_EQ(camera->spec.driver, DriverKind::kImageFolder);
    EXPECT_EQ(camera->spec.path, "/samples/images");
    EXPECT_DOUBLE_EQ(camera->spec.video.fps, 1.0);
  }
  EXPECT_TRUE(validate_references(d).ok());
}

TEST(ParserTest, DefaultRootsComeFromTheEnvironment) {
  ::setenv("SENSIX_MODEL_REPO", "/env-repo", 1);
  auto r = parse_document_text(kModel, "t.yaml", "/docs");
  ::unsetenv("SENSIX_MODEL_REPO");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->models[0].spec.path, "/env-repo/vad.onnx");
}

// ---------------------------------------------------------------------------------------------
// Invalid documents: the envelope and YAML itself.

class InvalidEnvelopeTest : public InvalidDocumentTest {};

TEST_P(InvalidEnvelopeTest, ReportsTheFieldAndWhatWasExpected) { expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidEnvelopeTest,
    ::testing::Values(
        Case{"UnknownTopLevelField", "spek: {}\n" + kSensor,
             S + "spek: unknown field (expected one of: apiVersion, kind, metadata, spec); did you mean \"spec\"? "
                 "(line 1)"},
        Case{"MissingSpec", "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: mic}\n",
             S + "spec: required field is missing (line 1)"},
        Case{"DuplicateKey", kSensor + "  path: samples:b.wav\n", S + "spec.path: field given twice (line 7)"},
        Case{"BadName", replace(kModel, "name: vad", "name: Vad_1"),
             "t.yaml: Model/Vad_1: metadata.name: expected a name of lowercase letters, digits and '-', 1 to 63 "
             "characters, starting and ending with a letter or digit, got \"Vad_1\" (line 3)"},
        Case{"NameTooLong", replace(kSensor, "name: mic", "name: " + std::string(64, 'm')),
             "metadata.name: expected a name of lowercase letters"},
        Case{"MissingName", replace(kSensor, "metadata: {name: mic}", "metadata: {labels: {a: b}}"),
             "t.yaml: Sensor (document 1): metadata.name: required field is missing (line 3)"},
        Case{"LabelNotString", replace(kSensor, "{name: mic}", "{name: mic, labels: {floor: 2}}"),
             S + "metadata.labels.floor: expected a string, got 2 (quote values"},
        Case{"BadApiVersion", replace(kModel, "sensix/v1", "sensix/v2"),
             M + "apiVersion: expected \"sensix/v1\", got \"sensix/v2\" (line 1)"},
        Case{"BadKind", replace(kModel, "kind: Model", "kind: Modle"),
             "t.yaml: document 1: kind: expected one of Sensor, Model, Pipeline, Device, got \"Modle\"; did you mean "
             "\"Model\"? (line 2)"},
        Case{"TopLevelList", "- " + replace(kSensor, "\n", "\n  "),
             "t.yaml: document 1: expected a document (a map with apiVersion, kind, metadata, spec), got a list (line "
             "1)"},
        Case{"SyntaxError", replace(kModel, "hop: 512}", "hop: 512"), "t.yaml:12:"},
        Case{"SyntaxErrorTab", kSensor + "\tloop: true\n", "t.yaml:7:1: YAML syntax error: "},
        Case{"EmptyFile", "", "t.yaml: no documents (the file is empty)"},
        Case{"OnlyComments", "# nothing here\n---\n# nor here\n", "t.yaml: no documents (the file is empty)"}));

// All errors are reported, one per line, in file order.
TEST(ParserTest, AllErrorsReportedInFileOrder) {
  std::string text = kModel;
  text = replace(text, "sensix/v1", "v1");                                        // line 1
  text = replace(text, "format: onnx", "format: pytorch");                        // line 5
  text = replace(text, "window: 512", "window: -1");                              // line 11
  text = replace(text, "labels: [speech]", "labels: [speech], topK: 0");          // line 15
  text += "---\n" + replace(kSensor, "driver: audio-file", "drivr: audio-file");  // doc 2
  auto r = parse_document_text(text, "t.yaml", "/docs", kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            M + "apiVersion: expected \"sensix/v1\", got \"v1\" (line 1)\n" + M +
                "spec.format: expected one of onnx, tflite, got \"pytorch\" (line 5)\n" + M +
                "spec.inputs[0].audio.window: expected a positive integer, got -1 (line 11)\n" + M +
                "spec.postprocess.classify.topK: expected a positive integer, got 0 (line 15)\n" + S +
                "spec.driver: required field is missing (line 20)\n" + S +
                "spec.drivr: unknown field (expected one of: driver, path, url, device, server, "
                "synthetic, mqtt, series, "
                "replay, reconnect, audio, video, buffer, allowDegraded); did you mean \"driver\"? (line 21)");
}

// A broken document does not cause "not defined" errors in the documents that name it.
TEST(ParserTest, NoFollowOnErrorsForBrokenDocuments) {
  auto r = parse_document_text(set_of(kSensor, replace(kModel, "sampleRate: 16000", "sampleRate: x"), kHead, kPipeline),
                               "t.yaml", "/docs", kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got \"x\" (line 18)");
}

// ---------------------------------------------------------------------------------------------
// JSON

const std::string kModelJson = R"({
  "apiVersion": "sensix/v1",
  "kind": "Model",
  "metadata": {"name": "vad"},
  "spec": {
    "format": "onnx",
    "source": "repo:vad.onnx",
    "sha256": ")" + kSha + R"(",
    "version": "5",
    "inputs": [{"name": "input", "audio": {"sampleRate": 16000, "window": 512, "hop": 512}}],
    "outputs": [{"name": "output"}],
    "postprocess": {"classify": {"output": "output", "labels": ["speech"]}}
  }
})";

TEST(ParserTest, JsonIsEquivalentToYaml) {
  auto j = parse_document_text(kModelJson, "t.json", "/docs", kRoots);
  auto y = parse_document_text(kModel, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_TRUE(y.ok()) << y.status();
  const ModelSpec& a = j->models[0].spec;
  const ModelSpec& b = y->models[0].spec;
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.engine, b.engine);
  const auto& aa = std::get<AudioInputSpec>(a.inputs[0].source);
  const auto& ba = std::get<AudioInputSpec>(b.inputs[0].source);
  EXPECT_EQ(aa.sample_rate, ba.sample_rate);
  EXPECT_EQ(aa.window.window, ba.window.window);
  EXPECT_EQ(aa.window.hop, ba.window.hop);
  EXPECT_EQ(std::get<ClassifySpec>(a.postprocess).labels, std::get<ClassifySpec>(b.postprocess).labels);
}

TEST(ParserTest, JsonErrorsNameFieldAndLine) {
  auto r = parse_document_text(replace(kModelJson, "\"sampleRate\": 16000", "\"sampleRate\": \"fast\""), "t.json",
                               "/docs", kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "t.json: Model/vad: spec.inputs[0].audio.sampleRate: expected a positive integer, got \"fast\" (line 10)");
  auto compact = parse_document_text(R"({"apiVersion":"sensix/v1","kind":"Sensor","metadata":{"name":"mic"},)"
                                     R"("spec":{"driver":"audio-file","path":"a.wav","audio":{"channels":0}}})",
                                     "c.json", "/docs", kRoots);
  ASSERT_FALSE(compact.ok());
  EXPECT_EQ(compact.status().message(),
            "c.json: Sensor/mic: spec.audio.channels: expected a positive integer, got 0 (line 1)");
  auto bad = parse_document_text("{\"apiVersion\": \"sensix/v1\",\n \"kind\": ]", "b.json", "/docs", kRoots);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("b.json:2:"));
  EXPECT_THAT(bad.status().message(), HasSubstr("YAML syntax error"));
}

// ---------------------------------------------------------------------------------------------
// Files and directories

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sensix_parser_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(FilesTest, DirectoryReadsSortedDocumentFiles) {
  write("b-models.yaml", kModel + "---\n" + kHead);
  write("a-sensor.json",
        R"({"apiVersion": "sensix/v1", "kind": "Sensor", "metadata": {"name": "mic"},
            "spec": {"driver": "audio-file", "path": "rec/a.wav"}})");
  write("c-pipeline.yml", kPipeline);
  write("notes.txt", "not a document");
  auto r = parse_document_files({dir_.string()}, kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->sensors.size(), 1u);
  EXPECT_EQ(r->sensors[0].origin.file, (dir_ / "a-sensor.json").string());
  EXPECT_EQ(r->sensors[0].spec.path, (dir_ / "rec/a.wav").string());
  ASSERT_EQ(r->models.size(), 2u);
  EXPECT_EQ(r->models[1].origin.index, 1);
  EXPECT_EQ(r->models[1].origin.line, 17);
  EXPECT_EQ(r->pipelines.size(), 1u);
}

TEST_F(FilesTest, DuplicateAcrossFilesNamesBoth) {
  const std::string a = write("a.yaml", kSensor);
  const std::string b = write("b.yaml", "# second\n" + kSensor);
  auto r = parse_document_files({a, b}, kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            b + ": Sensor/mic: metadata.name: Sensor \"mic\" is already defined at " + a + " line 1 (line 2)");
}

TEST_F(FilesTest, ErrorsInFileOrderAcrossFiles) {
  const std::string a = write("a.yaml", replace(kSensor, "audio-file", "audio"));
  const std::string b = write("b.yaml", replace(kModel, "onnx\n", "onyx\n"));
  auto r = parse_document_files({b, a}, kRoots);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_LT(m.find(b + ": Model/vad: spec.format"), m.find(a + ": Sensor/mic: spec.driver")) << m;
}

TEST_F(FilesTest, MissingFileIsNotFound) {
  auto r = parse_document_files({(dir_ / "nope.yaml").string()}, kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("nope.yaml: cannot read: No such file or directory"));
}

TEST_F(FilesTest, EmptyDirectory) {
  auto r = parse_document_files({dir_.string()}, kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("the directory holds no *.yaml, *.yml or *.json files"));
}

// ---------------------------------------------------------------------------------------------
// docs/documents.md: every ```yaml block that is a whole document (starts with apiVersion, no "...") must
// parse, so that a user can copy it. The Pipeline example names the quickstart's openWakeWord
// models, so those documents are added from examples/quickstart.yaml.

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(DocsReference, CompleteExamplesParse) {
  const std::string md = read_text(std::string(SENSIX_SOURCE_DIR) + "/docs/documents.md");
  ASSERT_FALSE(md.empty());
  std::string joined;
  int whole = 0;
  for (size_t at = md.find("```yaml\n"); at != std::string::npos; at = md.find("```yaml\n", at)) {
    // A file of the "Bring your own model" walk-through: run by Docs.BringYourOwnModelWalkThrough.
    const bool walkthrough = md.rfind("<!-- walkthrough: write ", at) != std::string::npos &&
                             md.rfind("-->\n", at) == at - 4;
    at += 8;
    const size_t end = md.find("```", at);
    ASSERT_NE(end, std::string::npos);
    const std::string block = md.substr(at, end - at);
    at = end + 3;
    // A fragment of a spec, or a sketch with "..." placeholders: not a document to copy.
    if (walkthrough || block.rfind("apiVersion:", 0) != 0 || block.find("...") != std::string::npos) continue;
    ++whole;
    joined += "---\n" + block;
  }
  // One complete Model and Pipeline, and complete Sensors (a file sensor and the live drivers).

  const std::string quickstart = read_text(std::string(SENSIX_SOURCE_DIR) + "/examples/quickstart.yaml");
  for (const char* name : {"oww-mel", "oww-embedding", "hey-jarvis"}) {
    const size_t at = quickstart.find(std::string("kind: Model\nmetadata:\n  name: ") + name + "\n");
    ASSERT_NE(at, std::string::npos) << name;
    const size_t end = quickstart.find("\n---", at);
    joined += "---\napiVersion: sensix/v1\n" + quickstart.substr(at, end - at + 1);
  }
  auto r = parse_document_text(joined, "documents.md", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status() << "\n" << joined;
  EXPECT_GE(r->sensors.size(), 2u);
  EXPECT_EQ(whole, static_cast<int>(r->sensors.size()) + 2) << "only Sensors, one Model and one Pipeline";
  EXPECT_EQ(r->models.size(), 4u);
  EXPECT_EQ(r->pipelines.size(), 1u);
}

// The synthetic Sensor fragment of documents.md ("spec:" with driver synthetic) parses as a Sensor.
TEST(DocsReference, SyntheticSensorExampleParses) {
  const std::string md = read_text(std::string(SENSIX_SOURCE_DIR) + "/docs/documents.md");
  const std::string start = "```yaml\nspec:\n  driver: synthetic\n";
  const size_t at = md.find(start);
  ASSERT_NE(at, std::string::npos) << "documents.md should show a synthetic Sensor";
  const size_t end = md.find("```", at + 8);
  ASSERT_NE(end, std::string::npos);
  const std::string doc = "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: tone}\n" +
                          md.substr(at + 8, end - at - 8);
  auto r = parse_document_text(doc, "documents.md", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status() << "\n" << doc;
  const SensorSpec& s = r->sensors.at(0).spec;
  EXPECT_EQ(s.driver, DriverKind::kSynthetic);
  EXPECT_EQ(s.synthetic.signal, SyntheticSignal::kSine);
  EXPECT_EQ(modality_of(s), Modality::kAudio);
}

// Every ```yaml fragment that is one entry of spec.inputs ("  - name: ...") must parse as the only
// input of a Model, so the input examples (audio, features, image, stream...) stay copyable.
TEST(DocsReference, InputExamplesParse) {
  const std::string md = read_text(std::string(SENSIX_SOURCE_DIR) + "/docs/documents.md");
  int checked = 0;
  bool saw_features = false;
  for (size_t at = md.find("```yaml\n"); at != std::string::npos; at = md.find("```yaml\n", at)) {
    at += 8;
    const size_t end = md.find("```", at);
    ASSERT_NE(end, std::string::npos);
    std::string block = md.substr(at, end - at);
    at = end + 3;
    if (block.rfind("inputs:\n", 0) == 0) block = block.substr(8);
    if (block.rfind("  - name: ", 0) != 0) continue;
    // Only audio and image inputs stand alone (a stream needs a Pipeline, a state an output).
    if (block.find("    audio:") == std::string::npos && block.find("    image:") == std::string::npos) continue;
    std::string indented;
    for (size_t p = 0; p < block.size();) {
      const size_t nl = block.find('\n', p);
      indented += "  " + block.substr(p, nl - p + 1);
      p = nl == std::string::npos ? block.size() : nl + 1;
    }
    const std::string doc =
        "apiVersion: sensix/v1\nkind: Model\nmetadata: {name: m}\nspec:\n  format: onnx\n"
        "  source: repo:m.onnx\n  sha256: " +
        kSha + "\n  version: \"1\"\n  inputs:\n" + indented + "  outputs:\n    - name: y\n";
    auto r = parse_document_text(doc, "documents.md", "/docs", kRoots);
    EXPECT_TRUE(r.ok()) << r.status() << "\n" << doc;
    ++checked;
    saw_features = saw_features || block.find("features:") != std::string::npos;
  }
  EXPECT_GE(checked, 3);
  EXPECT_TRUE(saw_features) << "documents.md should show an audio input with features";
}

}  // namespace
}  // namespace sensix::docs_test
