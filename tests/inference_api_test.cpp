// The inference API (KServe v2 over HTTP, api/kserve_api.h) of a real daemon running the
// quickstart's voice pipeline from its recording: metadata, readiness, JSON inference that gives
// what the engine called directly gives, bit for bit, every bad request refused with the
// protocol's error object, and concurrent requests beside the running sensor.
#include <cstring>
#include <random>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engines/registry.h"
#include "serve_support.h"
#include "support/paths.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using ::testing::HasSubstr;

// [1, 16, 96] float32 values, the same every run.
std::vector<float> embeddings(unsigned seed) {
  std::vector<float> v(16 * 96);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-2.0f, 2.0f);
  for (float& x : v) x = d(rng);
  return v;
}

json infer_body(const std::vector<float>& values, const std::string& datatype = "FP32",
                const json& shape = json::array({1, 16, 96})) {
  return json{
      {"id", "req-1"},
      {"inputs",
       json::array({json{{"name", "onnx::Flatten_0"}, {"shape", shape}, {"datatype", datatype}, {"data", values}}})}};
}

class InferenceApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SENSIX_REQUIRE_FILE(model_file("openwakeword/alexa_v0.1.onnx"));
    SENSIX_REQUIRE_FILE(sample_file("demo/speech.wav"));
    ASSERT_TRUE(d_.start((dir_.path() / "state").string())) << d_.log();
    auto [status, applied] = d_.call("POST", "/v1/apply", voice_quickstart("  replay: {loop: true}\n"));
    ASSERT_EQ(status, 200) << applied;
    ASSERT_TRUE(d_.wait_ready(60s));
  }
  void TearDown() override { EXPECT_EQ(d_.stop(), 0); }

  std::pair<int, json> post(const std::string& target, const std::string& body) {
    auto r = d_.client().request("POST", target, body, "application/json");
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {0, nullptr};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  uint64_t runs_of(const std::string& model) {
    auto [status, m] = d_.call("GET", "/v1/models/" + model);
    return status == 200 ? m.value("runs", uint64_t{0}) : 0;
  }

  TempDir dir_;
  Daemon d_;
};

TEST_F(InferenceApiTest, MetadataReadinessAndJsonInferenceBitForBitWithTheEngine) {
  auto [s0, server] = d_.call("GET", "/v2");
  EXPECT_EQ(s0, 200);
  EXPECT_EQ(server["name"], "sensix");

  auto [s1, meta] = d_.call("GET", "/v2/models/alexa");
  ASSERT_EQ(s1, 200) << meta;
  EXPECT_EQ(meta, json::parse(R"({"name": "alexa", "versions": ["0.1"], "platform": "onnxruntime_onnx",
      "inputs": [{"name": "onnx::Flatten_0", "datatype": "FP32", "shape": [1, 16, 96]}],
      "outputs": [{"name": "13", "datatype": "FP32", "shape": [1, 1]}]})"));
  EXPECT_EQ(d_.call("GET", "/v2/models/alexa/versions/0.1").first, 200);
  EXPECT_EQ(d_.call("GET", "/v2/models/alexa/ready").second, json::parse(R"({"name": "alexa", "ready": true})"));
  auto [si, index] = post("/v2/repository/index", "");
  ASSERT_EQ(si, 200) << index;
  ASSERT_EQ(index.size(), 6u) << index;  // the voice pipeline's models
  EXPECT_THAT(index, ::testing::Contains(json::parse(R"({"name": "alexa", "version": "0.1", "state": "READY"})")));
  EXPECT_EQ(post("/v2/repository/index", R"({"ready": true})").second.size(), 6u);
  auto [sb, bad_index] = post("/v2/repository/index", R"({"ready": "yes"})");
  EXPECT_EQ(sb, 400);
  EXPECT_EQ(bad_index, json::parse(R"({"error": "\"ready\" must be true or false"})"));
  auto [s2, wrong_version] = d_.call("GET", "/v2/models/alexa/versions/7/ready");
  EXPECT_EQ(s2, 404);
  EXPECT_EQ(wrong_version["error"], "model \"alexa\" has no version \"7\" (it runs version \"0.1\")");

  EngineRegistry engines;
  auto ort = engines.get("onnxruntime");
  ASSERT_TRUE(ort.ok()) << ort.status();
  auto session = (*ort)->load(model_file("openwakeword/alexa_v0.1.onnx"), SessionOptions{1});
  ASSERT_TRUE(session.ok()) << session.status();
  for (unsigned seed = 1; seed <= 10; ++seed) {
    const std::vector<float> values = embeddings(seed);
    auto [status, out] = post("/v2/models/alexa/versions/0.1/infer", infer_body(values).dump());
    ASSERT_EQ(status, 200) << out;
    EXPECT_EQ(out["id"], "req-1");
    EXPECT_EQ(out["model_name"], "alexa");
    EXPECT_EQ(out["model_version"], "0.1");
    ASSERT_EQ(out["outputs"].size(), 1u) << out;
    EXPECT_EQ(out["outputs"][0]["name"], "13");
    EXPECT_EQ(out["outputs"][0]["datatype"], "FP32");
    EXPECT_EQ(out["outputs"][0]["shape"], json::array({1, 1}));

    const Tensor in = Tensor::from_values<float>({1, 16, 96}, values);
    const Tensor* direct_in[] = {&in};
    const int want[] = {0};
    std::vector<Tensor> direct;
    ASSERT_TRUE((*session)->run(direct_in, want, &direct).ok());
    const float expected = direct[0].values<float>()[0];
    const float got = out["outputs"][0]["data"][0].get<float>();
    EXPECT_EQ(std::memcmp(&got, &expected, sizeof(float)), 0) << got << " vs " << expected << " (seed " << seed << ")";
  }
}

TEST_F(InferenceApiTest, BadRequestsGetTheProtocolsErrorNamingTheProblem) {
  const std::vector<float> values = embeddings(1);
  struct Case {
    std::string target, body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/v2/models/nope/infer", infer_body(values).dump(), 404, "no model named \"nope\" is loaded"},
      {"/v2/models/alexa/infer", "{\"inputs\": [", 400, "the request body is not valid JSON"},
      {"/v2/models/alexa/infer", "{}", 400, "the request has no \"inputs\" array"},
      {"/v2/models/alexa/infer", json{{"inputs", json::array()}, {"extra", 1}}.dump(), 400, "unknown field \"extra\""},
      {"/v2/models/alexa/infer", infer_body(std::vector<float>(16 * 96, 0.0f), "INT64").dump(), 400,
       "input \"onnx::Flatten_0\": expected datatype FP32, got INT64"},
      {"/v2/models/alexa/infer", infer_body(values, "FP32", json::array({1, 96, 16})).dump(), 400,
       "input \"onnx::Flatten_0\": expected shape [1, 16, 96], got [1, 96, 16]"},
      {"/v2/models/alexa/infer", infer_body(std::vector<float>(5, 0.0f)).dump(), 400,
       "input \"onnx::Flatten_0\": shape [1, 16, 96] holds 1536 values, \"data\" has 5"},
      {"/v2/models/alexa/infer",
       json{{"inputs", json::array({json{{"name", "x"}, {"shape", {1}}, {"datatype", "FP32"}, {"data", {1}}}})}}.dump(),
       400, "unknown input \"x\" (the model takes one input, \"onnx::Flatten_0\")"},
      {"/v2/models/alexa/infer",
       [&] {
         json b = infer_body(values);
         b["outputs"] = json::array({json{{"name", "14"}}});
         return b.dump();
       }(),
       400, "unknown output \"14\" (the model gives 13)"},
      {"/v2/models/alexa/infer",
       [&] {
         json b = infer_body(values);
         b["parameters"] = json{{"priority", 1}};
         return b.dump();
       }(),
       400, "parameters.priority is not a parameter this server takes"},
      {"/v2/models/silero-vad/infer",
       json{{"inputs", json::array({json{{"name", "input"},
                                         {"shape", {1, 576}},
                                         {"datatype", "FP32"},
                                         {"data", std::vector<float>(576, 0.0f)}}})}}
           .dump(),
       400, "keeps state between runs"},
  };
  for (const Case& c : cases) {
    auto [status, err] = post(c.target, c.body);
    EXPECT_EQ(status, c.status) << c.body.substr(0, 200) << "\n" << err;
    ASSERT_TRUE(err.is_object() && err.contains("error") && err["error"].is_string()) << err;
    EXPECT_THAT(err["error"].get<std::string>(), HasSubstr(c.message)) << c.body.substr(0, 200);
  }
  // The daemon serves on: the same request, well formed, is answered.
  EXPECT_EQ(post("/v2/models/alexa/infer", infer_body(values).dump()).first, 200);
}

// A Model document applied alone (no pipeline runs it) is loaded and served on request only; once
// deleted, it is gone. Here: alexa's document under another name, beside the running voice.
TEST_F(InferenceApiTest, AModelAppliedWithoutAPipelineIsServedOnRequest) {
  const std::string quickstart = file_contents(source_path("examples/quickstart.yaml"));
  const size_t at = quickstart.find("  name: alexa\n");
  ASSERT_NE(at, std::string::npos);
  const size_t begin = quickstart.rfind("apiVersion:", at);
  const size_t end = quickstart.find("\n---\n", at);
  std::string model = quickstart.substr(begin, end - begin);
  model.replace(model.find("name: alexa"), 11, "name: alexa-solo");
  auto [status, applied] = d_.call("POST", "/v1/apply", model);
  ASSERT_EQ(status, 200) << applied;
  EXPECT_EQ(applied["models"]["loaded"], json::array({"alexa-solo"})) << applied;
  EXPECT_EQ(d_.call("GET", "/v2/models/alexa-solo/ready").first, 200);

  const std::string body = infer_body(embeddings(7)).dump();
  auto [s1, solo] = post("/v2/models/alexa-solo/infer", body);
  ASSERT_EQ(s1, 200) << solo;
  auto [s2, piped] = post("/v2/models/alexa/infer", body);
  ASSERT_EQ(s2, 200) << piped;
  EXPECT_EQ(solo["outputs"], piped["outputs"]);  // the same model file, the same answer
  auto [s3, m] = d_.call("GET", "/v1/models/alexa-solo");
  ASSERT_EQ(s3, 200) << m;
  EXPECT_EQ(m["state"], "ready");
  EXPECT_EQ(m["runs"], 1);  // the request's run: no pipeline feeds it

  EXPECT_EQ(d_.call("DELETE", "/v1/documents/model/alexa-solo").first, 200);
  auto [s4, gone] = post("/v2/models/alexa-solo/infer", body);
  EXPECT_EQ(s4, 404) << gone;
  EXPECT_EQ(post("/v2/models/alexa/infer", body).first, 200);
}

// 8 clients x 25 requests at once, while the voice pipeline runs from its recording: every request
// answered, the sensor's stream runs on.
TEST_F(InferenceApiTest, ConcurrentRequestsAreAnsweredBesideTheRunningSensor) {
  const uint64_t before = runs_of("alexa");
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 25; ++i) {
        auto r = d_.client().request("POST", "/v2/models/hey-mycroft/infer",
                                     infer_body(embeddings(static_cast<unsigned>(c * 100 + i))).dump(),
                                     "application/json");
        (r.ok() && r->status == 200 ? ok : failed)++;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_TRUE(eventually([&] { return runs_of("alexa") > before + 10; }, 30s));
}

}  // namespace
}  // namespace sensix::testing
