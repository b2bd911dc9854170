// Bad input at run time: each broken document, model file or recording is refused by
// Runtime::create with a message that names the document, the field and the problem, before
// anything starts. Real models and samples; the faults are made on purpose.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "common/sha256.h"
#include "e2e_support.h"
#include "runtime/runtime.h"

namespace sensix::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("sensix-rt-errors-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string write_file(const std::string& name, const std::string& content) {
  fs::path p = temp_dir() / name;
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

ModelDoc* find_model(DocumentSet* docs, const std::string& name) {
  for (auto& m : docs->models) {
    if (m.metadata.name == name) return &m;
  }
  return nullptr;
}

struct BreakCase {
  std::string name;
  std::function<void(DocumentSet*)> damage;
  std::vector<std::string> expected;  // substrings of the error
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const BreakCase& c, std::ostream* os) { *os << c.name; }

class RuntimeRefuses : public ::testing::TestWithParam<BreakCase> {};

TEST_P(RuntimeRefuses, WithAClearMessage) {
  if (sample_path("speech/hey_jarvis.wav").empty()) GTEST_SKIP() << "run scripts/setup";
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet set = *docs;
  GetParam().damage(&set);
  auto runtime = Runtime::create(set);
  ASSERT_FALSE(runtime.ok()) << GetParam().name << " was accepted";
  for (const auto& want : GetParam().expected) {
    EXPECT_THAT(runtime.status().message(), HasSubstr(want)) << GetParam().name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Faults, RuntimeRefuses,
    ::testing::Values(BreakCase{"wrong_sha256",
                                [](DocumentSet* d) { find_model(d, "alexa")->spec.sha256 = std::string(64, '0'); },
                                {"Model/alexa", "spec.sha256", "alexa_v0.1.onnx"}},
                      BreakCase{"missing_model_file",
                                [](DocumentSet* d) {
                                  find_model(d, "hey-jarvis")->spec.path = "/nonexistent/hey.onnx";
                                },
                                {"Model/hey-jarvis", "/nonexistent/hey.onnx"}},
                      BreakCase{"text_file_as_model",
                                [](DocumentSet* d) {
                                  auto* m = find_model(d, "hey-mycroft");
                                  m->spec.path = write_file("not-a-model.onnx", "this is not a model\n");
                                  m->spec.sha256 = sha256_file(m->spec.path).value();
                                },
                                {"Model/hey-mycroft", "not-a-model.onnx"}},
                      BreakCase{"truncated_model",
                                [](DocumentSet* d) {
                                  auto* m = find_model(d, "hey-jarvis");
                                  std::ifstream in(m->spec.path, std::ios::binary);
                                  std::string bytes((std::istreambuf_iterator<char>(in)), {});
                                  m->spec.path = write_file("truncated.onnx", bytes.substr(0, bytes.size() / 3));
                                  m->spec.sha256 = sha256_file(m->spec.path).value();
                                },
                                {"Model/hey-jarvis", "truncated.onnx"}},
                      BreakCase{"input_name_not_in_model",
                                [](DocumentSet* d) { find_model(d, "hey-jarvis")->spec.inputs[0].name = "x.2"; },
                                {"Model/hey-jarvis", "x.2", "x.1"}},
                      BreakCase{"output_name_not_in_model",
                                [](DocumentSet* d) { find_model(d, "silero-vad")->spec.outputs[0].name = "prob"; },
                                {"Model/silero-vad", "prob"}},
                      BreakCase{"shape_disagrees_with_model",
                                [](DocumentSet* d) {
                                  find_model(d, "oww-embedding")->spec.inputs[0].shape = Shape{1, 70, 32, 1};
                                },
                                {"Model/oww-embedding", "input_1"}},
                      BreakCase{"missing_recording",
                                [](DocumentSet* d) { set_sensor_path(d, "speech", "/nonexistent/speech.wav"); },
                                {"speech", "/nonexistent/speech.wav"}},
                      BreakCase{"image_as_recording",
                                [](DocumentSet* d) { set_sensor_path(d, "speech", sample_path("images/dog.jpg")); },
                                {"speech", "dog.jpg"}},
                      BreakCase{"declared_rate_disagrees_with_file",
                                [](DocumentSet* d) {
                                  for (auto& s : d->sensors) {
                                    if (s.metadata.name == "speech") s.spec.audio.sample_rate = 48000;
                                  }
                                },
                                {"speech", "48000"}}),
    [](const ::testing::TestParamInfo<BreakCase>& param_info) { return param_info.param.name; });

// A runtime that refused one document set leaves the process able to run a good one.
TEST(RuntimeRefuses, AGoodSetStillRunsAfterABadOne) {
  const std::string wav = sample_path("speech/alexa.wav");
  if (wav.empty()) GTEST_SKIP() << "run scripts/setup";
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet bad = only_pipelines(*docs, {"voice"});
  find_model(&bad, "alexa")->spec.sha256 = std::string(64, 'a');
  ASSERT_FALSE(Runtime::create(bad).ok());

  DocumentSet good = only_pipelines(*docs, {"voice"});
  set_sensor_path(&good, "speech", wav);
  auto result = run_to_end(good);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->of_model("alexa").size(), 1u);
}

// A recording damaged in the middle fails its own sensor (state failed, the reason names the file)
// after delivering what could be read; the other sensor's pipeline runs to its end untouched.
TEST(RuntimeRefuses, ADamagedVideoFailsItsSensorAndNothingElse) {
  const std::string wav = sample_path("speech/hey_jarvis.wav");
  const std::string clip = sample_path("video/Megamind.avi");
  if (wav.empty() || clip.empty()) GTEST_SKIP() << "run scripts/setup";
  std::ifstream in(clip, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = write_file("megamind-truncated.avi", bytes.substr(0, bytes.size() * 3 / 10));
  auto docs = load_quickstart();
  ASSERT_TRUE(docs.ok()) << docs.status();
  DocumentSet set = only_pipelines(*docs, {"voice", "vision"});
  set_sensor_path(&set, "speech", wav);
  for (auto& s : set.sensors) {
    if (s.metadata.name != "camera") continue;
    s.spec.driver = DriverKind::kVideoFile;
    s.spec.path = truncated;
    s.spec.video = {};
  }
  auto result = run_to_end(set);
  ASSERT_TRUE(result.ok()) << result.status();
  const SensorStatsSnapshot* camera = nullptr;
  const SensorStatsSnapshot* speech = nullptr;
  for (const auto& s : result->stats.sensors) {
    if (s.name == "camera") camera = &s;
    if (s.name == "speech") speech = &s;
  }
  ASSERT_NE(camera, nullptr);
  ASSERT_NE(speech, nullptr);
  EXPECT_EQ(camera->state, SensorState::kFailed);
  EXPECT_THAT(camera->reason, HasSubstr("megamind-truncated.avi"));
  EXPECT_GT(camera->frames, 0u) << "what decoded before the damage is delivered";
  EXPECT_EQ(speech->state, SensorState::kStopped);
  EXPECT_EQ(result->of_model("hey-jarvis").size(), 1u);
  const ModelRuntimeStats* face = result->model_stats("blazeface");
  ASSERT_NE(face, nullptr);
  EXPECT_EQ(face->model.runs, camera->frames);
}

}  // namespace
}  // namespace sensix::testing
