// The inference API (KServe v2 over HTTP, api/kserve_api.h) of a real daemon running the
// quickstart's voice pipeline from its recording: metadata, readiness, JSON inference that gives
// what the engine called directly gives, bit for bit, every bad request refused with the
// protocol's error object, and concurrent requests beside the running sensor.
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "serve_support.h"
#include "support/paths.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using ::testing::HasSubstr;

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

  for (unsigned seed = 1; seed <= 10; ++seed) {
    const std::vector<float> values = wake_word_embeddings(seed);
    auto [status, out] = post("/v2/models/alexa/versions/0.1/infer", infer_body(values).dump());
    ASSERT_EQ(status, 200) << out;
    EXPECT_EQ(out["id"], "req-1");
    EXPECT_EQ(out["model_name"], "alexa");
    EXPECT_EQ(out["model_version"], "0.1");
    ASSERT_EQ(out["outputs"].size(), 1u) << out;
    EXPECT_EQ(out["outputs"][0]["name"], "13");
    EXPECT_EQ(out["outputs"][0]["datatype"], "FP32");
    EXPECT_EQ(out["outputs"][0]["shape"], json::array({1, 1}));

    const float expected = alexa_by_the_engine(values);
    const float got = out["outputs"][0]["data"][0].get<float>();
    EXPECT_EQ(std::memcmp(&got, &expected, sizeof(float)), 0) << got << " vs " << expected << " (seed " << seed << ")";
  }
}

TEST_F(InferenceApiTest, BadRequestsGetTheProtocolsErrorNamingTheProblem) {
  const std::vector<float> values = wake_word_embeddings(1);
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
      {"/v2/models/alexa/infer", "[1, 2]", 400, "the request body must be a JSON object with \"inputs\""},
      {"/v2/models/alexa/infer", json{{"inputs", json::array()}, {"id", 7}}.dump(), 400, "\"id\" must be a string"},
      {"/v2/models/alexa/infer", json{{"inputs", json::array()}, {"outputs", 1}}.dump(), 400,
       "\"outputs\" must be an array"},
      // Fields of the wrong type are named, as any other mistake (not a server error).
      {"/v2/models/alexa/infer",
       [&] {
         json b = infer_body(values);
         b["inputs"][0]["datatype"] = 5;
         return b.dump();
       }(),
       400, "input \"onnx::Flatten_0\": \"datatype\" must be a string"},
      {"/v2/models/alexa/infer",
       [&] {
         json b = infer_body(values);
         b["inputs"][0]["name"] = json::array({"x"});
         return b.dump();
       }(),
       400, "an input has no \"name\""},
      {"/v2/models/alexa/infer",
       [&] {
         json b = infer_body(values);
         b["outputs"] = json::array({json{{"name", "13"}, {"parameters", {{"binary_data", "yes"}}}}});
         return b.dump();
       }(),
       400, "output \"13\": parameters.binary_data is not a parameter this server takes"},
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
         b["parameters"] = json{{"priority", "urgent"}};
         return b.dump();
       }(),
       400,
       "parameters.priority must be 0 (the model's class), 1 (high), 2 (normal), 3 (low), or \"high\", \"normal\" or "
       "\"low\", got \"urgent\""},
      {"/v2/models/alexa/infer",
       [&] {
         json b = infer_body(values);
         b["parameters"] = json{{"colour", 1}};
         return b.dump();
       }(),
       400,
       "parameters.colour is not a parameter this server takes (it takes timeout, priority, binary_data_output, "
       "sequence_id, sequence_start, sequence_end)"},
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
  // The daemon serves on: the same request, well formed, is answered, in any priority class.
  EXPECT_EQ(post("/v2/models/alexa/infer", infer_body(values).dump()).first, 200);
  for (const json& priority : {json(1), json(2), json(3), json(0), json("high"), json("low")}) {
    json b = infer_body(values);
    b["parameters"] = json{{"priority", priority}};
    EXPECT_EQ(post("/v2/models/alexa/infer", b.dump()).first, 200) << priority;
  }
}

// A Model document applied alone (no pipeline runs it) is loaded and served on request only; once
// deleted, it is gone. Here: alexa's document under another name, beside the running voice.
// Triton's binary tensor extension, both ways and mixed with JSON: the same answer as JSON gives,
// bit for bit; a body whose sizes do not add up is refused, naming what does not.
TEST_F(InferenceApiTest, BinaryTensorsBothWaysGiveTheJsonAnswerBitForBit) {
  const std::vector<float> values = wake_word_embeddings(3);
  const std::string raw(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  auto [sj, by_json] = post("/v2/models/alexa/infer", infer_body(values).dump());
  ASSERT_EQ(sj, 200) << by_json;
  const float expected = by_json["outputs"][0]["data"][0].get<float>();

  const json input{{"name", "onnx::Flatten_0"},
                   {"shape", {1, 16, 96}},
                   {"datatype", "FP32"},
                   {"parameters", {{"binary_data_size", raw.size()}}}};
  auto send = [&](const json& header, const std::string& binary, std::string length = "") {
    const std::string text = header.dump();
    if (length.empty()) length = std::to_string(text.size());
    auto r = d_.client().request("POST", "/v2/models/alexa/infer", text + binary, "application/octet-stream",
                                 {{"Inference-Header-Content-Length", length}});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : api::ClientResponse{};
  };

  // Binary in, binary out.
  api::ClientResponse both = send(
      json{{"id", "b1"}, {"inputs", {input}}, {"parameters", {{"binary_data_output", true}}}}, raw);
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(both.content_type, "application/octet-stream");
  ASSERT_TRUE(both.headers.count("inference-header-content-length")) << both.body;
  const size_t n = std::stoul(both.headers["inference-header-content-length"]);
  ASSERT_EQ(both.body.size(), n + sizeof(float));
  EXPECT_EQ(json::parse(both.body.substr(0, n)), json::parse(R"({"id": "b1", "model_name": "alexa",
      "model_version": "0.1", "outputs": [{"name": "13", "datatype": "FP32", "shape": [1, 1],
      "parameters": {"binary_data_size": 4}}]})"));
  EXPECT_EQ(std::memcmp(both.body.data() + n, &expected, sizeof(float)), 0);

  // Binary in, JSON out: a plain JSON answer.
  api::ClientResponse json_out = send(json{{"inputs", {input}}}, raw);
  ASSERT_EQ(json_out.status, 200) << json_out.body;
  EXPECT_EQ(json_out.content_type, "application/json");
  EXPECT_EQ(json_out.headers.count("inference-header-content-length"), 0u);
  EXPECT_EQ(json::parse(json_out.body)["outputs"], by_json["outputs"]);

  // JSON in, one output asked for as binary.
  json mixed = infer_body(values);
  mixed["outputs"] = json::array({json{{"name", "13"}, {"parameters", {{"binary_data", true}}}}});
  auto r = d_.client().request("POST", "/v2/models/alexa/infer", mixed.dump());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, 200) << r->body;
  const size_t m = std::stoul(r->headers["inference-header-content-length"]);
  ASSERT_EQ(r->body.size(), m + sizeof(float));
  EXPECT_EQ(std::memcmp(r->body.data() + m, &expected, sizeof(float)), 0);

  // Sizes that do not add up.
  auto refused = [&](const api::ClientResponse& got, const std::string& message) {
    EXPECT_EQ(got.status, 400) << got.body;
    EXPECT_EQ(json::parse(got.body, nullptr, false), json({{"error", message}})) << got.body;
  };
  const json header{{"inputs", {input}}};
  const size_t body_size = header.dump().size() + raw.size();
  refused(send(header, raw, "2147483648"),
          fmt::format("Inference-Header-Content-Length is 2147483648 but the body has {} bytes", body_size));
  refused(send(header, raw, "12abc"), "Inference-Header-Content-Length must be a byte count, got \"12abc\"");
  refused(send(header, raw.substr(0, 6000)),
          "input \"onnx::Flatten_0\": binary_data_size 6144 is beyond the 6000 bytes of binary data left");
  refused(send(header, raw + "tail"),
          "the body has 6148 bytes of binary data, the inputs' binary_data_size add up to 6144");
  json short_input = input;
  short_input["parameters"]["binary_data_size"] = 6140;
  refused(send(json{{"inputs", {short_input}}}, raw.substr(0, 6140)),
          "input \"onnx::Flatten_0\": shape [1, 16, 96] of FP32 takes 6144 bytes, binary_data_size is 6140");
  auto no_header = d_.client().request("POST", "/v2/models/alexa/infer", json{{"inputs", {input}}}.dump());
  ASSERT_TRUE(no_header.ok());
  refused(*no_header,
          "input \"onnx::Flatten_0\": parameters.binary_data_size, but the request has no "
          "Inference-Header-Content-Length (no binary data)");
  json bad_output = json{{"inputs", {input}}, {"outputs", {{{"name", "13"}, {"parameters", {{"binary", true}}}}}}};
  refused(send(bad_output, raw),
          "output \"13\": parameters.binary is not a parameter this server takes (it takes binary_data: true or "
          "false)");
  EXPECT_EQ(post("/v2/models/alexa/infer", infer_body(values).dump()).first, 200);  // and it still serves
}

// Triton's statistics and model configuration extensions: the request counters follow what was
// asked, and the times add up (each answered request's time covers its queue and engine time).
TEST_F(InferenceApiTest, StatisticsAndConfigurationInTritonsShape) {
  auto [s0, config] = d_.call("GET", "/v2/models/alexa/config");
  ASSERT_EQ(s0, 200) << config;
  EXPECT_EQ(config, json::parse(R"({"name": "alexa", "platform": "onnxruntime_onnx", "backend": "onnxruntime",
      "version_policy": {"specific": {"versions": ["0.1"]}}, "max_batch_size": 0,
      "input": [{"name": "onnx::Flatten_0", "data_type": "TYPE_FP32", "dims": [1, 16, 96]}],
      "output": [{"name": "13", "data_type": "TYPE_FP32", "dims": [1, 1]}],
      "parameters": {"priority": {"string_value": "high"}, "objective_us": {"string_value": "100000"}}})"));
  auto [s1, vad] = d_.call("GET", "/v2/models/silero-vad/versions/5/config");
  ASSERT_EQ(s1, 200) << vad;
  EXPECT_THAT(vad["parameters"]["stateful"]["string_value"].get<std::string>(), HasSubstr("keeps state"));
  EXPECT_EQ(d_.call("GET", "/v2/models/alexa/versions/7/config").first, 404);
  EXPECT_EQ(d_.call("GET", "/v2/models/nope/config").first, 404);

  auto [s2, before] = d_.call("GET", "/v2/models/alexa/stats");
  ASSERT_EQ(s2, 200) << before;
  ASSERT_EQ(before["model_stats"].size(), 1u) << before;
  EXPECT_EQ(before["model_stats"][0], json::parse(R"({"name": "alexa", "version": "0.1", "last_inference": 0,
      "inference_count": 0, "execution_count": 0,
      "inference_stats": {"success": {"count": 0, "ns": 0}, "fail": {"count": 0, "ns": 0},
        "queue": {"count": 0, "ns": 0}, "compute_input": {"count": 0, "ns": 0},
        "compute_infer": {"count": 0, "ns": 0}, "compute_output": {"count": 0, "ns": 0},
        "cache_hit": {"count": 0, "ns": 0}, "cache_miss": {"count": 0, "ns": 0}},
      "batch_stats": [], "memory_usage": [], "sensix": {"refused": 0, "timed_out": 0,
      "sequences_open": 0, "sequences_expired": 0, "shared_executions": 0}})"));

  for (unsigned seed = 1; seed <= 3; ++seed) {
    ASSERT_EQ(post("/v2/models/alexa/infer", infer_body(wake_word_embeddings(seed)).dump()).first, 200);
  }
  EXPECT_EQ(post("/v2/models/alexa/infer", infer_body(wake_word_embeddings(4), "FP32", json::array({1, 96, 16})).dump())
                .first,
            400);
  auto [s3, after] = d_.call("GET", "/v2/models/alexa/versions/0.1/stats");
  ASSERT_EQ(s3, 200) << after;
  const json& m = after["model_stats"][0];
  EXPECT_EQ(m["inference_count"], 3);
  EXPECT_EQ(m["execution_count"], 3);
  EXPECT_GT(m["last_inference"].get<int64_t>(), 1'700'000'000'000);  // ms since the epoch
  const json& st = m["inference_stats"];
  EXPECT_EQ(st["success"]["count"], 3);
  EXPECT_EQ(st["fail"]["count"], 1);  // the wrong shape
  EXPECT_EQ(st["queue"]["count"], 3);
  EXPECT_EQ(st["compute_input"]["count"], 3);
  EXPECT_EQ(st["compute_infer"]["count"], 3);
  EXPECT_EQ(st["compute_output"]["count"], 3);
  EXPECT_GT(st["compute_infer"]["ns"].get<int64_t>(), 0);
  EXPECT_GE(st["success"]["ns"].get<int64_t>(),
            st["queue"]["ns"].get<int64_t>() + st["compute_infer"]["ns"].get<int64_t>())
      << st;
  ASSERT_EQ(m["batch_stats"].size(), 1u) << m;
  EXPECT_EQ(m["batch_stats"][0]["batch_size"], 1);
  EXPECT_EQ(m["batch_stats"][0]["compute_infer"], st["compute_infer"]);

  auto [s4, all] = d_.call("GET", "/v2/models/stats");
  ASSERT_EQ(s4, 200) << all;
  std::vector<std::string> names;
  for (const json& one : all["model_stats"]) names.push_back(one["name"]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"alexa", "hey-jarvis", "hey-mycroft", "oww-embedding", "oww-mel", "silero-vad"}));
  EXPECT_EQ(all["model_stats"][0]["inference_count"], 3);
  EXPECT_EQ(all["model_stats"][1]["inference_count"], 0);  // the sensor's runs are not requests
  EXPECT_EQ(d_.call("GET", "/v2/models/nope/stats").first, 404);

  // A request whose timeout (1 us) passes before its run: 503, counted as timed out, not run.
  json late = infer_body(wake_word_embeddings(9));
  late["parameters"] = json{{"timeout", 1}};
  EXPECT_EQ(post("/v2/models/alexa/infer", late.dump()),
            std::make_pair(503, json{{"error", "Model/alexa: no answer within 1 us"}}));
  auto [s5, timed] = d_.call("GET", "/v2/models/alexa/stats");
  EXPECT_EQ(timed["model_stats"][0]["sensix"],
            json::parse(R"({"refused": 0, "timed_out": 1, "sequences_open": 0, "sequences_expired": 0,
                                "shared_executions": 0})"));
  EXPECT_EQ(timed["model_stats"][0]["execution_count"], 3);  // it did not run
  EXPECT_EQ(d_.call("GET", "/v2").second["extensions"],
            json::array({"binary_tensor_data", "model_configuration", "model_repository", "statistics"}));
}

TEST_F(InferenceApiTest, AModelAppliedWithoutAPipelineIsServedOnRequest) {
  auto [status, applied] = d_.call("POST", "/v1/apply", solo_alexa_model());
  ASSERT_EQ(status, 200) << applied;
  EXPECT_EQ(applied["models"]["loaded"], json::array({"alexa-solo"})) << applied;
  EXPECT_EQ(d_.call("GET", "/v2/models/alexa-solo/ready").first, 200);

  const std::string body = infer_body(wake_word_embeddings(7)).dump();
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

// Triton's model control: an applied model unloads (its document stays) and loads again; a model
// that a pipeline runs does not unload; applying its document loads it again.
TEST_F(InferenceApiTest, ModelsUnloadAndLoadAsTritonsModelControl) {
  ASSERT_EQ(d_.call("POST", "/v1/apply", solo_alexa_model()).first, 200);
  const std::string body = infer_body(wake_word_embeddings(5)).dump();
  auto [s0, before] = post("/v2/models/alexa-solo/infer", body);
  ASSERT_EQ(s0, 200) << before;

  auto [s1, unloaded] = post("/v2/repository/models/alexa-solo/unload", "");
  ASSERT_EQ(s1, 200) << unloaded;
  EXPECT_EQ(unloaded, json::object());
  const std::string why = "Model/alexa-solo is unloaded (POST /v2/repository/models/alexa-solo/load runs it again)";
  EXPECT_EQ(d_.call("GET", "/v2/models/alexa-solo/ready"),
            std::make_pair(503, json{{"name", "alexa-solo"}, {"ready", false}, {"reason", why}}));
  EXPECT_EQ(post("/v2/models/alexa-solo/infer", body), std::make_pair(503, json{{"error", why}}));
  auto [s2, index] = post("/v2/repository/index", "");
  EXPECT_THAT(index, ::testing::Contains(json::parse(
                         R"({"name": "alexa-solo", "version": "0.1", "state": "UNAVAILABLE", "reason": "unloaded"})")));
  EXPECT_EQ(post("/v2/repository/index", R"({"ready": true})").second.size(), 6u);
  EXPECT_EQ(d_.call("GET", "/v1/documents/model/alexa-solo").first, 200);  // the document stays
  EXPECT_EQ(d_.call("GET", "/v1/models/alexa-solo").first, 404);           // nothing runs
  EXPECT_EQ(d_.call("GET", "/v2/health/ready").first, 200);
  EXPECT_EQ(post("/v2/repository/models/alexa-solo/unload", R"({"parameters": {"unload_dependents": false}})").first,
            200);  // already unloaded

  // What cannot be unloaded or loaded, and why.
  EXPECT_EQ(post("/v2/repository/models/alexa/unload", ""),
            std::make_pair(400, json{{"error",
                                      "Model/alexa is a step of Pipeline/voice: it runs while the pipeline does "
                                      "(delete or change the pipeline first)"}}));
  EXPECT_EQ(post("/v2/repository/models/nope/load", ""),
            std::make_pair(404, json{{"error", "Model/nope is not applied"}}));
  EXPECT_EQ(post("/v2/repository/models/alexa-solo/load", R"({"parameters": {"config": "{}"}})").first, 400);
  EXPECT_EQ(post("/v2/repository/models/alexa-solo/load", "[1]").first, 400);
  EXPECT_EQ(post("/v2/models/alexa/infer", body).first, 200);  // the pipeline's model runs on

  auto [s3, loaded] = post("/v2/repository/models/alexa-solo/load", "");
  ASSERT_EQ(s3, 200) << loaded;
  EXPECT_EQ(d_.call("GET", "/v2/models/alexa-solo/ready").first, 200);
  auto [s4, after] = post("/v2/models/alexa-solo/infer", body);
  ASSERT_EQ(s4, 200) << after;
  EXPECT_EQ(after["outputs"], before["outputs"]);

  // Applying the document again loads an unloaded model; deleting it forgets that it was unloaded.
  ASSERT_EQ(post("/v2/repository/models/alexa-solo/unload", "").first, 200);
  ASSERT_EQ(d_.call("POST", "/v1/apply", solo_alexa_model()).first, 200);
  EXPECT_EQ(d_.call("GET", "/v2/models/alexa-solo/ready").first, 200);
  ASSERT_EQ(post("/v2/repository/models/alexa-solo/unload", "").first, 200);
  ASSERT_EQ(d_.call("DELETE", "/v1/documents/model/alexa-solo").first, 200);
  EXPECT_EQ(post("/v2/models/alexa-solo/infer", body).first, 404);
  EXPECT_EQ(post("/v2/repository/index", "").second.size(), 6u);
}

// Requests that arrive while their model unloads (and loads again) over HTTP: each is answered,
// 200 with the outputs or 503 saying why (unloaded, or dropped from the queue at unload), never
// lost or failed otherwise; the pipeline's models answer throughout.
TEST_F(InferenceApiTest, RequestsDuringAnUnloadAreAnsweredOkOr503SayingWhy) {
  ASSERT_EQ(d_.call("POST", "/v1/apply", solo_alexa_model()).first, 200);
  ASSERT_EQ(d_.call("GET", "/v2/models/alexa-solo/ready").first, 200);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, unavailable{0};
  std::mutex mu;
  std::vector<std::string> others;  // any other answer
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      const std::string body = infer_body(wake_word_embeddings(static_cast<unsigned>(c))).dump();
      while (!stop) {
        auto r = d_.client().request("POST", "/v2/models/alexa-solo/infer", body, "application/json");
        const json j = r.ok() ? json::parse(r->body, nullptr, false) : json();
        const std::string error = j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "";
        if (r.ok() && r->status == 200) {
          ++ok;
        } else if (r.ok() && r->status == 503 &&
                   (error.find("is unloaded") != std::string::npos ||
                    error.find("the request was not run") != std::string::npos ||
                    error.find("is being unloaded") != std::string::npos ||
                    error.find("is being applied") != std::string::npos ||
                    error.find("is applied but not running now") != std::string::npos ||
                    error.find("went while the request arrived") != std::string::npos ||
                    error.find("is draining") != std::string::npos)) {
          ++unavailable;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          others.push_back(r.ok() ? std::to_string(r->status) + " " + r->body : r.status().message());
        }
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return ok.load() >= 20; }, 30s));
  auto [s1, unloaded] = post("/v2/repository/models/alexa-solo/unload", "");
  EXPECT_EQ(s1, 200) << unloaded;
  const int ok_at_unload = ok.load();
  EXPECT_TRUE(eventually([&] { return unavailable.load() >= 20; }, 30s));
  // Read before the load is asked for: once it is loaded again, requests are answered 200 before
  // this thread reads the count after the load's answer.
  const int ok_before_load = ok.load();
  auto [s2, loaded] = post("/v2/repository/models/alexa-solo/load", "");
  EXPECT_EQ(s2, 200) << loaded;
  EXPECT_TRUE(eventually([&] { return ok.load() >= ok_before_load + 20; }, 30s));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_TRUE(others.empty()) << others.size() << " other answers, the first: " << others.front();
  // At most one answer per client was on its way when the unload returned.
  EXPECT_LE(ok_before_load - ok_at_unload, 4) << "answered after the unload returned (at most those in flight)";
  EXPECT_EQ(post("/v2/models/alexa/infer", infer_body(wake_word_embeddings(1)).dump()).first, 200);
  const json index = post("/v2/repository/index", "").second;
  EXPECT_THAT(index, ::testing::Contains(json::parse(R"({"name": "alexa-solo", "version": "0.1", "state": "READY"})")));
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
                                     infer_body(wake_word_embeddings(static_cast<unsigned>(c * 100 + i))).dump(),
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

TEST(InferenceBatching, RequestsToABatchingModelRunTogetherAndEachGetsItsOwnAnswer) {
  SENSIX_REQUIRE_FILE(model_file("openwakeword/embedding_model.onnx"));
  TempDir dir;
  Daemon d;
  ASSERT_TRUE(d.start((dir.path() / "state").string())) << d.log();
  // The quickstart's embedding model, batching up to 4 inputs, waiting up to 300 ms for them.
  std::string embedding = quickstart_document("oww-embedding");
  const std::string scheduling = "scheduling: {priority: high, latency: 100ms}";
  ASSERT_NE(embedding.find(scheduling), std::string::npos);
  embedding.replace(embedding.find(scheduling), scheduling.size(),
                    "scheduling: {priority: high, batch: {max: 4, delay: 300ms}}");
  auto [status, applied] = d.call("POST", "/v1/apply", embedding);
  ASSERT_EQ(status, 200) << applied;
  ASSERT_TRUE(d.wait_ready(60s));
  auto [sc, config] = d.call("GET", "/v2/models/oww-embedding/config");
  ASSERT_EQ(sc, 200) << config;
  EXPECT_EQ(config["parameters"]["batch_max"]["string_value"], "4");
  EXPECT_EQ(config["parameters"]["batch_delay_us"]["string_value"], "300000");

  auto body = [](unsigned seed) {
    std::vector<float> values(76 * 32);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>((i * 7 + seed * 13) % 97) / 97.0f;
    return json{{"inputs", {{{"name", "input_1"}, {"shape", {1, 76, 32, 1}}, {"datatype", "FP32"}, {"data", values}}}}}
        .dump();
  };
  auto infer = [&](unsigned seed) {
    auto r = d.client().request("POST", "/v2/models/oww-embedding/infer", body(seed), "application/json");
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().message());
    return r.ok() ? json::parse(r->body, nullptr, false)["outputs"][0]["data"] : json();
  };
  // Each input alone first (a batch of one, after the delay), then eight at once.
  std::vector<json> alone;
  for (unsigned seed = 0; seed < 8; ++seed) alone.push_back(infer(seed));
  std::vector<json> together(8);
  std::vector<std::thread> clients;
  for (unsigned seed = 0; seed < 8; ++seed) clients.emplace_back([&, seed] { together[seed] = infer(seed); });
  for (auto& t : clients) t.join();
  for (unsigned seed = 0; seed < 8; ++seed) {
    ASSERT_EQ(together[seed].size(), 96u) << seed;
    for (size_t k = 0; k < 96; ++k) {
      EXPECT_NEAR(together[seed][k].get<double>(), alone[seed][k].get<double>(), 1e-4) << "input " << seed << ", " << k;
    }
  }
  // Triton's statistics: sixteen requests, the last eight in fewer engine runs of more than one.
  // The lane counts a run once it has answered its requests: the last run's count may come a little
  // after its answers.
  json stats, m;
  uint64_t requests = 0, runs = 0, batched = 0;
  for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;) {
    auto [ss, got] = d.call("GET", "/v2/models/oww-embedding/stats");
    ASSERT_EQ(ss, 200) << got;
    stats = std::move(got);
    m = stats["model_stats"][0];
    requests = runs = batched = 0;
    for (const json& b : m["batch_stats"]) {
      const uint64_t n = b["compute_infer"]["count"].get<uint64_t>();
      requests += n * b["batch_size"].get<uint64_t>();
      runs += n;
      if (b["batch_size"].get<int>() > 1) batched += n;
    }
    if (requests >= 16) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(m["inference_count"], 16);
  EXPECT_EQ(requests, 16u) << m["batch_stats"];
  EXPECT_EQ(m["execution_count"], runs);
  EXPECT_GT(batched, 0u) << m["batch_stats"];
  EXPECT_LE(runs, 8u + 6u) << m["batch_stats"];  // eight alone, the others at least two at a time
  EXPECT_EQ(d.stop(), 0);
}

}  // namespace
}  // namespace sensix::testing
