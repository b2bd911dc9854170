// Tests of confine.h: documents parsed as the API parses them (label "api", a base folder inside
// the data directory), checked against a policy of folders in a fresh temp folder, with the exact
// messages a client sees.
#include "docs/confine.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/parser.h"
#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// <tmp>/repo (model repository), samples, data (read and write), data/docs (the documents' base
// folder) and outside (no root).
class ConfineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::canonical(fs::temp_directory_path()) / ("sensix_confine_test_" + std::to_string(::getpid()) + "_" +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    for (const char* d : {"repo", "samples", "data/docs", "outside"}) fs::create_directories(dir_ / d);
    policy_.read_roots = {at("repo"), at("samples"), at("data")};
    policy_.write_roots = {at("data")};
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string at(const std::string& rel) const { return (dir_ / rel).string(); }
  void touch(const std::string& rel) const { std::ofstream(dir_ / rel) << "x"; }

  // `text` parsed as the API would ("api", relative paths against data/docs); a test failure when it does not parse.
  DocumentSet parse(const std::string& text) const {
    auto r = parse_document_text(text, "api", at("data/docs"), ParseOptions{at("repo"), at("samples")});
    EXPECT_TRUE(r.ok()) << r.status() << "\n" << text;
    return r.ok() ? *r : DocumentSet{};
  }
  // The problems confine_paths finds in `text`, "" when none.
  std::string problems(const std::string& text) const { return problems(parse(text)); }
  std::string problems(const DocumentSet& docs) const {
    const Status s = confine_paths(docs, policy_);
    if (s.ok()) return "";
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    return s.message();
  }
  // "(<repo>, <samples>, <data>)" and "(<data>)", as messages list the roots.
  std::string read_roots() const { return "(" + at("repo") + ", " + at("samples") + ", " + at("data") + ")"; }
  std::string write_roots() const { return "(" + at("data") + ")"; }

  fs::path dir_;
  PathPolicy policy_;
};

// kModel with `source` (line 6) and the classify labels from a file (line 15).
std::string model(const std::string& source, const std::string& labels_file = "") {
  std::string m = replace(kModel, "repo:vad.onnx", source);
  if (!labels_file.empty()) m = replace(m, "labels: [speech]", "labelsFile: \"" + labels_file + "\"");
  return m;
}
// kSensor (audio-file) with `path` (line 6).
std::string sensor(const std::string& path) { return replace(kSensor, "samples:a.wav", path); }
// A v4l2-camera sensor with `device` (line 6).
std::string camera(const std::string& device) {
  return "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: cam}\nspec:\n  driver: v4l2-camera\n  device: " +
         device + "\n";
}
// A network-camera sensor with `url` (line 6).
std::string stream(const std::string& url) {
  return replace(replace(kCamera, "rtsp://127.0.0.1:8554/cam", url), "name: mic", "name: cam");
}
// kSensor + kModel + a Pipeline whose sinks (lines 31, 32, ... of the set) write to `paths`.
std::string with_sinks(const std::vector<std::string>& paths) {
  std::string p =
      "apiVersion: sensix/v1\n"                                                         // 1 (24 in the set)
      "kind: Pipeline\n"                                                                // 2
      "metadata: {name: voice}\n"                                                       // 3
      "spec:\n"                                                                         // 4
      "  steps:\n"                                                                      // 5
      "    - {model: vad, from: {sensor: mic}}\n"                                       // 6
      "  sinks:\n";                                                                     // 7
  for (const auto& path : paths) p += "    - {type: jsonl, path: \"" + path + "\"}\n";  // 8 (31) ...
  return kSensor + "---\n" + kModel + "---\n" + p;
}

const std::string kModelAt = "api: Model/vad: ";
const std::string kSensorAt = "api: Sensor/mic: ";

TEST_F(ConfineTest, FilesInsideTheRootsPass) {
  touch("repo/vad.onnx");
  touch("repo/vad.tflite");
  touch("data/docs/labels.txt");
  const std::string variants =
      "  variants:\n"
      "    - {format: tflite, source: repo:vad.tflite, sha256: " +
      kSha + "}\n";
  EXPECT_EQ(problems(replace(model("repo:vad.onnx", "labels.txt"), "  inputs:\n", variants + "  inputs:\n")), "");
  // Absolute paths inside, files that do not exist yet, the root itself, a link that stays inside.
  EXPECT_EQ(problems(model(at("repo/sub/new.onnx"))), "");
  EXPECT_EQ(problems(sensor(at("samples")) + "---\n" + model(at("data/docs/../x.onnx"))), "");
  fs::create_symlink(dir_ / "repo/vad.onnx", dir_ / "data/alias.onnx");
  EXPECT_EQ(problems(model("../alias.onnx")), "");
}

TEST_F(ConfineTest, SystemFileAsModelSourceIsRefused) {
  EXPECT_EQ(problems(model("/etc/shadow")), kModelAt +
                                                "spec.source: \"/etc/shadow\" is outside the daemon's directories " +
                                                read_roots() + " (line 6)");
}

TEST_F(ConfineTest, ASelfTestFileOutsideTheRootsIsRefused) {
  const std::string with_test = model("repo:vad.onnx") +
                                "  selfTest:\n    - input: /etc/shadow\n      expect: {nothing: true}\n";
  EXPECT_EQ(problems(with_test), kModelAt +
                                     "spec.selfTest[0].input: \"/etc/shadow\" is outside the daemon's directories " +
                                     read_roots() + " (line 17)");
}

TEST_F(ConfineTest, SystemFileAsSensorPathIsRefused) {
  EXPECT_EQ(problems(sensor("/etc/shadow")),
            kSensorAt + "spec.path: \"/etc/shadow\" is outside the daemon's directories " + read_roots() + " (line 6)");
}

TEST_F(ConfineTest, RelativeTraversalOutOfTheBaseFolderIsRefused) {
  // data/docs/../../x.wav is <tmp>/x.wav: out of data.
  EXPECT_EQ(problems(sensor("../../x.wav")), kSensorAt + "spec.path: \"" + at("x.wav") +
                                                 "\" is outside the daemon's directories " + read_roots() +
                                                 " (line 6)");
  EXPECT_EQ(problems(model("repo:vad.onnx", "../../outside/labels.txt")),
            kModelAt + "spec.postprocess.classify.labelsFile: \"" + at("outside/labels.txt") +
                "\" is outside the daemon's directories " + read_roots() + " (line 15)");
}

TEST_F(ConfineTest, LinkInsideARootThatPointsOutsideIsRefused) {
  touch("outside/secret.onnx");
  fs::create_symlink(dir_ / "outside/secret.onnx", dir_ / "repo/evil.onnx");
  EXPECT_EQ(problems(model("repo:evil.onnx")), kModelAt + "spec.source: \"repo:evil.onnx\" resolves to " +
                                                   at("outside/secret.onnx") + ", outside the daemon's directories " +
                                                   read_roots() + " (line 6)");
  // A linked folder, and a file under it that does not exist.
  fs::create_directory_symlink(dir_ / "outside", dir_ / "data/docs/up");
  EXPECT_EQ(problems(sensor("up/new.wav")), kSensorAt + "spec.path: \"" + at("data/docs/up/new.wav") +
                                                "\" resolves to " + at("outside/new.wav") +
                                                ", outside the daemon's directories " + read_roots() + " (line 6)");
}

TEST_F(ConfineTest, LinkReachedThroughAMissingFolderAndDotDotIsRefused) {
  // The parser normalises ".." away; a spec built by hand may keep it. weakly_canonical stops at
  // "missing" and drops "missing/.." lexically, so the link is only seen on a second round.
  fs::create_directory_symlink(dir_ / "outside", dir_ / "data/up");
  DocumentSet docs;
  SensorDoc s;
  s.origin.file = "api";
  s.metadata.name = "mic";
  s.spec.path = at("data/missing/../up/a.wav");
  docs.sensors.push_back(s);
  EXPECT_EQ(problems(docs), kSensorAt + "spec.path: \"" + s.spec.path + "\" resolves to " + at("outside/a.wav") +
                                ", outside the daemon's directories " + read_roots());
}

TEST_F(ConfineTest, FolderWhoseNameStartsWithARootIsNotInsideIt) {
  fs::create_directories(dir_ / "data2");
  touch("data2/x.wav");
  EXPECT_EQ(problems(sensor(at("data2/x.wav"))), kSensorAt + "spec.path: \"" + at("data2/x.wav") +
                                                     "\" is outside the daemon's directories " + read_roots() +
                                                     " (line 6)");
  // The same with a root written with a trailing slash.
  policy_.read_roots = {at("data") + "/"};
  EXPECT_THAT(problems(sensor(at("data2/x.wav"))), HasSubstr("is outside the daemon's directories"));
  EXPECT_EQ(problems(sensor(at("data/x.wav"))), "");
}

TEST_F(ConfineTest, SinksMustBeUnderTheWriteRoots) {
  EXPECT_EQ(problems(with_sinks({"out/results.jsonl", at("data/results.jsonl")})), "");
  // The model repository may be read, not written.
  EXPECT_EQ(problems(with_sinks({"out/results.jsonl", at("repo/results.jsonl"), "/etc/cron.d/x"})),
            "api: Pipeline/voice: spec.sinks[1].path: \"" + at("repo/results.jsonl") +
                "\" is outside the directories the daemon writes to " + write_roots() +
                " (line 32)\n"
                "api: Pipeline/voice: spec.sinks[2].path: \"/etc/cron.d/x\" is outside the directories the daemon "
                "writes to " +
                write_roots() + " (line 33)");
}

TEST_F(ConfineTest, VideoDevicesOnlyWhenAllowed) {
  EXPECT_EQ(problems(camera("/dev/video0")), "");
  EXPECT_EQ(problems(camera("/dev/sda")),
            "api: Sensor/cam: spec.device: \"/dev/sda\" is not a video device (/dev/video<N>) (line 6)");
  EXPECT_EQ(problems(camera("/dev/video0/../sda")),
            "api: Sensor/cam: spec.device: \"/dev/video0/../sda\" is not a video device (/dev/video<N>) (line 6)");
  policy_.allow_devices = false;
  EXPECT_EQ(problems(camera("/dev/video0")),
            "api: Sensor/cam: spec.device: \"/dev/video0\": the daemon does not allow documents to name devices "
            "(line 6)");
}

TEST_F(ConfineTest, LocalSdpFilesOfNetworkCamerasAreChecked) {
  EXPECT_EQ(problems(stream("rtsp://127.0.0.1:8554/cam.sdp")), "");
  EXPECT_EQ(problems(stream(at("data/cam.sdp"))), "");
  EXPECT_EQ(problems(stream(at("outside/cam.sdp"))), "api: Sensor/cam: spec.url: \"" + at("outside/cam.sdp") +
                                                         "\" is outside the daemon's directories " + read_roots() +
                                                         " (line 6)");
  EXPECT_EQ(problems(stream("file:///etc/cam.sdp")),
            "api: Sensor/cam: spec.url: \"file:///etc/cam.sdp\" is neither a network stream (rtsp, rtsps, http, "
            "https, udp, rtp or tcp) nor a local .sdp file (line 6)");
}

TEST_F(ConfineTest, EveryProblemIsOneLine) {
  // One variant at most: one file per engine, and the model is ONNX.
  const std::string variants = "  variants:\n    - {format: tflite, source: /etc/passwd, sha256: " + kSha + "}\n";
  const std::string text = sensor("/etc/shadow") + "---\n" +
                           replace(model("/etc/shadow", "/etc/group"), "  inputs:\n", variants + "  inputs:\n");
  // Sensor lines 1-6, "---" 7, Model from line 8: source 13, variants[0] 17, labelsFile 24.
  EXPECT_EQ(problems(text),
            kSensorAt + "spec.path: \"/etc/shadow\" is outside the daemon's directories " + read_roots() +
                " (line 6)\n" + kModelAt + "spec.source: \"/etc/shadow\" is outside the daemon's directories " +
                read_roots() + " (line 13)\n" + kModelAt +
                "spec.variants[0].source: \"/etc/passwd\" is outside the daemon's directories " + read_roots() +
                " (line 17)\n" + kModelAt +
                "spec.postprocess.classify.labelsFile: \"/etc/group\" is outside the daemon's directories " +
                read_roots() + " (line 24)");
}

TEST_F(ConfineTest, NoRootsRefusesEveryFile) {
  policy_ = PathPolicy{};
  EXPECT_EQ(problems(model("repo:vad.onnx")), kModelAt + "spec.source: \"repo:vad.onnx\" resolves to " +
                                                  at("repo/vad.onnx") +
                                                  ", outside the daemon's directories (none) (line 6)");
  policy_.read_roots = {""};  // an empty root is no root (not the working directory)
  EXPECT_THAT(problems(model("repo:vad.onnx")), HasSubstr("outside the daemon's directories (none)"));
}

}  // namespace
}  // namespace sensix::docs_test
