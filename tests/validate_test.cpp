// `sensix validate` reports every problem of a broken document set at once: a table of broken sets
// (copies of the examples with mistakes a user makes), each with every error one run must print,
// in full, with its document, field and line. Nothing else may be printed: a problem that hides
// another, or one reported twice, fails the case.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_support.h"

namespace sensix::testing {
namespace {

namespace fs = std::filesystem;

// One change to one file: the first `from` becomes `to` (`from` must be there).
struct Edit {
  std::string file;  // a file of the case, by its name in the case's folder
  std::string from;
  std::string to;
};

// One error line: its text (without "error: " and the folder) up to " (line N)", and where N
// points: the line of the first `at` in `file` (after the edits) that follows `after`.
struct Expected {
  Expected(std::string t, std::string f, std::string a, std::string af = "")
      : text(std::move(t)), file(std::move(f)), at(std::move(a)), after(std::move(af)) {}
  std::string text;
  std::string file;
  std::string at;
  std::string after;
};

struct BrokenSet {
  std::string name;
  std::vector<std::string> files;  // copied from the source tree, relative to it
  std::vector<Edit> edits;
  std::vector<Expected> errors;
};

void PrintTo(const BrokenSet& c, std::ostream* os) { *os << c.name; }

const std::string kWrongInputA =
    "the model has no input \"wrong_a\"; its inputs are: onnx::Flatten_0 (float32 [1, 16, 96])";
const std::string kWrongInputB =
    "the model has no input \"wrong_b\"; its inputs are: onnx::Flatten_0 (float32 [1, 16, 96])";

std::vector<BrokenSet> cases() {
  const std::string q = "quickstart.yaml";
  const std::string c = "cascades.yaml";
  const std::string t = "timer.yaml";
  return {
      {"TwoModelsWithWrongInputNames",
       {"examples/quickstart.yaml"},
       {{q, "    - name: onnx::Flatten_0\n      stream: {window: 16, hop: 1}\n  outputs:\n    - name: \"13\"",
         "    - name: wrong_a\n      stream: {window: 16, hop: 1}\n  outputs:\n    - name: \"13\""},
        {q, "    - name: onnx::Flatten_0\n      stream: {window: 16, hop: 1}\n  outputs:\n    - name: \"39\"",
         "    - name: wrong_b\n      stream: {window: 16, hop: 1}\n  outputs:\n    - name: \"39\""}},
       {{q + ": Model/alexa: spec.inputs[0].name: " + kWrongInputA, q, "name: wrong_a"},
        {q + ": Model/hey-mycroft: spec.inputs[0].name: " + kWrongInputB, q, "name: wrong_b"}}},

      {"AMissingRecordingDoesNotHideAModelsError",
       {"examples/quickstart.yaml"},
       {{q, "path: samples:demo/speech.wav", "path: samples:demo/no-such.wav"},
        {q, "    - name: onnx::Flatten_0\n      stream: {window: 16, hop: 1}\n  outputs:\n    - name: \"13\"",
         "    - name: wrong_a\n      stream: {window: 16, hop: 1}\n  outputs:\n    - name: \"13\""}},
       {{q + ": Sensor/speech: spec.path: audio file " + cache("samples/demo/no-such.wav") + " does not exist", q,
         "path: samples:demo/no-such.wav"},
        {q + ": Model/alexa: spec.inputs[0].name: " + kWrongInputA, q, "name: wrong_a"}}},

      {"WrongWindowsOnTwoHeadsEachWithTheWindowThatFits",
       {"examples/quickstart.yaml", "examples/zoo/timer.yaml"},
       {{q, "    - name: x.1\n      stream: {window: 16, hop: 1}",
         "    - name: x.1\n      stream: {window: 12, hop: 1}"},
        {t, "stream: {window: 34, hop: 1}", "stream: {window: 30, hop: 1}"},
        {q, "    - {model: hey-mycroft, from: {model: oww-embedding}}",
         "    - {model: hey-mycroft, from: {model: oww-embedding}}\n    - {model: timer, from: {model: "
         "oww-embedding}}"}},
       {{q + ": Model/hey-jarvis: spec.inputs[0].stream.window: 12 rows of output \"conv2d_19\" of Model/oww-embedding "
             "(96 values each) give 1152 values, but the model's input [1, 16, 96] holds 1536; window: 16 fits",
         q, "stream: {window: 12"},
        {t + ": Model/timer: spec.inputs[0].stream.window: 30 rows of output \"conv2d_19\" of Model/oww-embedding (96 "
             "values each) give 2880 values, but the model's input [1, 34, 96] holds 3264; window: 34 fits",
         t, "stream: {window: 30"}}},

      {"SwappedAnchorLayersBesideAWrongDigestInAnotherFile",
       {"examples/cascades.yaml", "examples/zoo/timer.yaml"},
       {{c, "scores: [\"Identity:0\", \"Identity_1:0\"]     # [1, 512, 1] (stride 8)",
         "scores: [\"Identity_1:0\", \"Identity:0\"]  # swapped (stride 8)"},
        {t, "sha256: 371e44535470a29248b3b8f1bbbbaf2525c86417fd8f75c67fcf02ae0b9626df",
         "sha256: 0000000000000000000000000000000000000000000000000000000000000000"}},
       {{c + ": Model/blazeface-front: spec.postprocess.detect.scores: the outputs must follow the anchor layers' "
             "order (512 anchors at stride 8, then 384 at stride 16), but \"Identity_1:0\" has 384, \"Identity:0\" "
             "512: list them as [\"Identity:0\", \"Identity_1:0\"]",
         c, "swapped (stride 8)"},
        {t + ": Model/timer: spec.sha256: timer_v0.1.onnx has sha256 "
             "371e44535470a29248b3b8f1bbbbaf2525c86417fd8f75c67fcf02ae0b9626df, the document says "
             "0000000000000000000000000000000000000000000000000000000000000000",
         t, "sha256: 0000"}}},

      {"ADocumentErrorDoesNotHideTheOtherDocumentsLoadErrors",
       {"examples/quickstart.yaml"},
       {{q, "classify: {output: \"13\"", "classify: {output: \"14\""},
        {q, "    - name: onnx::Flatten_0\n      stream: {window: 16, hop: 1}\n  outputs:\n    - name: \"39\"",
         "    - name: wrong_b\n      stream: {window: 16, hop: 1}\n  outputs:\n    - name: \"39\""},
        {q, "    - name: x.1\n      stream: {window: 16, hop: 1}",
         "    - name: x.1\n      stream: {window: 12, hop: 1}"}},
       {{q + ": Model/alexa: spec.postprocess.classify.output: \"14\" is not a declared output (spec.outputs "
             "declares \"13\"); did you mean \"13\"?",
         q, "classify: {output: \"14\""},
        {q + ": Model/hey-mycroft: spec.inputs[0].name: " + kWrongInputB, q, "name: wrong_b"},
        {q + ": Model/hey-jarvis: spec.inputs[0].stream.window: 12 rows of output \"conv2d_19\" of Model/oww-embedding "
             "(96 values each) give 1152 values, but the model's input [1, 16, 96] holds 1536; window: 16 fits",
         q, "stream: {window: 12"}}},

      {"AnUndefinedModelAndAMissingDigestAreBothNamedWithTheirFix",
       {"examples/quickstart.yaml"},
       {{q, "    - {model: hey-mycroft, from: {model: oww-embedding}}",
         "    - {model: hey-mycroft, from: {model: oww-embedding}}\n    - {model: hey-siri, from: {model: "
         "oww-embedding}}"},
        {q, "  sha256: c2a311e8fa1338de89c31b3b46dc4dffd4af2f9a8d6ddead48893c2d301b1f18\n", ""}},
       {{q + ": Model/hey-mycroft: spec.sha256: required field is missing (the file has sha256 "
             "c2a311e8fa1338de89c31b3b46dc4dffd4af2f9a8d6ddead48893c2d301b1f18)",
         q, "spec:", "name: hey-mycroft"},
        {q + ": Pipeline/voice: spec.steps[6].model: model \"hey-siri\" is not defined (the Models defined: "
             "\"silero-vad\", \"oww-mel\", \"oww-embedding\", \"hey-jarvis\", \"alexa\", \"blazeface\", "
             "\"ssd-oidv4\", \"hey-mycroft\")",
         q, "model: hey-siri"}}},
  };
}

int line_of(const std::string& text, const std::string& needle, const std::string& after) {
  const size_t from = text.find(after);
  if (from == std::string::npos) return -1;
  const size_t at = text.find(needle, from);
  if (at == std::string::npos) return -1;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

class BrokenDocuments : public ::testing::TestWithParam<BrokenSet> {};

TEST_P(BrokenDocuments, ValidateReportsEveryProblemOnce) {
  if (!have_setup()) GTEST_SKIP() << "run scripts/setup";
  const BrokenSet& bs = GetParam();
  const fs::path dir = scratch() / bs.name;
  fs::create_directories(dir);
  std::map<std::string, std::string> texts;
  for (const auto& f : bs.files) texts[fs::path(f).filename().string()] = read_text(fs::path(SENSIX_SOURCE_DIR) / f);
  for (const auto& e : bs.edits) {
    std::string& text = texts.at(e.file);
    const size_t at = text.find(e.from);
    ASSERT_NE(at, std::string::npos) << e.file << " has no " << e.from;
    text.replace(at, e.from.size(), e.to);
  }
  std::string args = "validate";
  for (const auto& [name, text] : texts) {
    std::ofstream(dir / name) << text;
    args += " " + (dir / name).string();
  }
  // Messages name the files as given; the test gives full paths.
  Output o = run_sensix(args);
  EXPECT_EQ(o.code, 1);
  std::vector<std::string> lines;
  std::stringstream err(o.err);
  for (std::string line; std::getline(err, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), bs.errors.size() + 1) << o.err;
  EXPECT_EQ(lines.back(), fmt::format("{} problems", bs.errors.size()));
  for (const auto& want : bs.errors) {
    const int n = line_of(texts.at(want.file), want.at, want.after);
    ASSERT_GT(n, 0) << want.file << " has no " << want.at;
    const std::string full = "error: " + (dir / "").string() + want.text + fmt::format(" (line {})", n);
    EXPECT_EQ(std::count(lines.begin(), lines.end(), full), 1) << "expected the line\n" << full << "\nin\n" << o.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenDocuments, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<BrokenSet>& i) { return i.param.name; });

}  // namespace
}  // namespace sensix::testing
