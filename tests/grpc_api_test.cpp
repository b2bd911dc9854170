// The inference API over gRPC (api/kserve_grpc.h) of a real daemon running the quickstart's voice
// pipeline from its recording, with two clients: the C++ stub generated from
// src/api/proto/grpc_service.proto, and an independent one, @grpc/grpc-js with
// @grpc/proto-loader (examples/kserve-grpc/infer.js). Every call answers as its HTTP twin does;
// inference gives what the engine called directly gives, bit for bit, as raw bytes and as typed
// contents; bad requests are refused naming the problem; model control and tokens follow the HTTP
// API's rules; 500 calls at once over 50 connections are each answered.
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "common/paths.h"
#include "grpc_service.grpc.pb.h"
#include "serve_support.h"
#include "support/child_process.h"
#include "support/paths.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using ::testing::HasSubstr;
using Stub = inference::GRPCInferenceService::Stub;

constexpr const char* kInput = "onnx::Flatten_0";

std::unique_ptr<Stub> stub_for(const std::string& address) {
  return inference::GRPCInferenceService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

// A request for a wake-word head, its values as raw bytes or typed contents.
inference::ModelInferRequest infer_request(const std::string& model, const std::vector<float>& values, bool raw) {
  inference::ModelInferRequest req;
  req.set_model_name(model);
  req.set_id("grpc-1");
  auto* in = req.add_inputs();
  in->set_name(kInput);
  in->set_datatype("FP32");
  for (int64_t d : {1, 16, 96}) in->add_shape(d);
  if (raw) {
    req.add_raw_input_contents(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
  } else {
    for (float v : values) in->mutable_contents()->add_fp32_contents(v);
  }
  return req;
}

struct Answer {
  grpc::Status status;
  inference::ModelInferResponse response;
};

Answer infer(Stub* stub, const inference::ModelInferRequest& req, const std::string& token = "") {
  grpc::ClientContext ctx;
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  Answer a;
  a.status = stub->ModelInfer(&ctx, req, &a.response);
  return a;
}

// The float of a one-value FP32 raw output.
float only_float(const inference::ModelInferResponse& r) {
  EXPECT_EQ(r.raw_output_contents_size(), 1);
  float v = 0;
  if (r.raw_output_contents_size() == 1 && r.raw_output_contents(0).size() == sizeof(float)) {
    std::memcpy(&v, r.raw_output_contents(0).data(), sizeof(float));
  }
  return v;
}

class GrpcApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SENSIX_REQUIRE_FILE(model_file("openwakeword/alexa_v0.1.onnx"));
    SENSIX_REQUIRE_FILE(sample_file("demo/speech.wav"));
    ASSERT_TRUE(d_.start((dir_.path() / "state").string(), {"--grpc-listen", "127.0.0.1:0"})) << d_.log();
    address_ = grpc_address(d_.log());
    ASSERT_FALSE(address_.empty()) << d_.log();
    stub_ = stub_for(address_);
    auto [status, applied] = d_.call("POST", "/v1/apply", voice_quickstart("  replay: {loop: true}\n"));
    ASSERT_EQ(status, 200) << applied;
    ASSERT_TRUE(d_.wait_ready(60s));
  }
  void TearDown() override { EXPECT_EQ(d_.stop(), 0); }

  json http_infer(const std::string& model, const std::vector<float>& values) {
    const json body{
        {"inputs",
         json::array({json{{"name", kInput}, {"shape", {1, 16, 96}}, {"datatype", "FP32"}, {"data", values}}})}};
    auto r = d_.client().request("POST", "/v2/models/" + model + "/infer", body.dump(), "application/json");
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().message());
    return r.ok() ? json::parse(r->body, nullptr, false) : json();
  }

  TempDir dir_;
  Daemon d_;
  std::string address_;
  std::unique_ptr<Stub> stub_;
};

TEST_F(GrpcApiTest, EveryCallAnswersAsItsHttpTwin) {
  {
    grpc::ClientContext ctx;
    inference::ServerLiveResponse live;
    ASSERT_TRUE(stub_->ServerLive(&ctx, {}, &live).ok());
    EXPECT_TRUE(live.live());
  }
  {
    grpc::ClientContext ctx;
    inference::ServerReadyResponse ready;
    ASSERT_TRUE(stub_->ServerReady(&ctx, {}, &ready).ok());
    EXPECT_TRUE(ready.ready());
  }
  {
    grpc::ClientContext ctx;
    inference::ServerMetadataResponse meta;
    ASSERT_TRUE(stub_->ServerMetadata(&ctx, {}, &meta).ok());
    const json http = d_.call("GET", "/v2").second;
    EXPECT_EQ(meta.name(), "sensix");
    EXPECT_EQ(meta.version(), http["version"]);
    EXPECT_EQ(json(std::vector<std::string>(meta.extensions().begin(), meta.extensions().end())), http["extensions"]);
  }
  {
    grpc::ClientContext ctx;
    inference::ModelMetadataRequest req;
    req.set_name("alexa");
    inference::ModelMetadataResponse meta;
    ASSERT_TRUE(stub_->ModelMetadata(&ctx, req, &meta).ok());
    json as_json{{"name", meta.name()},
                 {"versions", std::vector<std::string>(meta.versions().begin(), meta.versions().end())},
                 {"platform", meta.platform()}};
    for (const auto& [key, list] : {std::pair{"inputs", &meta.inputs()}, std::pair{"outputs", &meta.outputs()}}) {
      as_json[key] = json::array();
      for (const auto& t : *list) {
        as_json[key].push_back(json{{"name", t.name()},
                                    {"datatype", t.datatype()},
                                    {"shape", std::vector<int64_t>(t.shape().begin(), t.shape().end())}});
      }
    }
    EXPECT_EQ(as_json, d_.call("GET", "/v2/models/alexa").second);
  }
  for (const auto& [name, version, code, message] :
       std::vector<std::tuple<std::string, std::string, grpc::StatusCode, std::string>>{
           {"alexa", "", grpc::StatusCode::OK, ""},
           {"alexa", "0.1", grpc::StatusCode::OK, ""},
           {"alexa", "7", grpc::StatusCode::NOT_FOUND,
            "model \"alexa\" has no version \"7\" (it runs version \"0.1\")"},
           {"nope", "", grpc::StatusCode::NOT_FOUND, "no model named \"nope\" is loaded"}}) {
    grpc::ClientContext ctx;
    inference::ModelReadyRequest req;
    req.set_name(name);
    req.set_version(version);
    inference::ModelReadyResponse ready;
    const grpc::Status s = stub_->ModelReady(&ctx, req, &ready);
    EXPECT_EQ(s.error_code(), code) << name << " " << version << ": " << s.error_message();
    EXPECT_EQ(s.error_message(), message);
    EXPECT_EQ(ready.ready(), code == grpc::StatusCode::OK);
  }
  for (bool only_ready : {false, true}) {
    grpc::ClientContext ctx;
    inference::RepositoryIndexRequest req;
    req.set_ready(only_ready);
    inference::RepositoryIndexResponse index;
    ASSERT_TRUE(stub_->RepositoryIndex(&ctx, req, &index).ok());
    json as_json = json::array();
    for (const auto& m : index.models()) {
      as_json.push_back(json{{"name", m.name()}, {"version", m.version()}, {"state", m.state()}});
    }
    auto r = d_.client().request("POST", "/v2/repository/index", only_ready ? R"({"ready": true})" : "",
                                 "application/json");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(as_json, json::parse(r->body));
    EXPECT_EQ(as_json.size(), 6u);
  }
}

TEST_F(GrpcApiTest, InferenceGivesTheEnginesAnswerBitForBitAsRawBytesAndAsContents) {
  for (unsigned seed = 1; seed <= 6; ++seed) {
    const std::vector<float> values = wake_word_embeddings(seed);
    const float expected = alexa_by_the_engine(values);
    const float by_http = http_infer("alexa", values)["outputs"][0]["data"][0].get<float>();
    for (bool raw : {true, false}) {
      inference::ModelInferRequest req = infer_request("alexa", values, raw);
      if (seed % 2 == 0) req.add_outputs()->set_name("13");  // asked for by name
      const Answer a = infer(stub_.get(), req);
      ASSERT_TRUE(a.status.ok()) << a.status.error_message();
      EXPECT_EQ(a.response.id(), "grpc-1");
      EXPECT_EQ(a.response.model_name(), "alexa");
      EXPECT_EQ(a.response.model_version(), "0.1");
      ASSERT_EQ(a.response.outputs_size(), 1);
      EXPECT_EQ(a.response.outputs(0).name(), "13");
      EXPECT_EQ(a.response.outputs(0).datatype(), "FP32");
      EXPECT_THAT(a.response.outputs(0).shape(), ::testing::ElementsAre(1, 1));
      const float got = only_float(a.response);
      EXPECT_EQ(std::memcmp(&got, &expected, sizeof(float)), 0)
          << got << " vs " << expected << " (seed " << seed << ")";
      EXPECT_EQ(std::memcmp(&got, &by_http, sizeof(float)), 0) << got << " vs HTTP " << by_http;
    }
  }
  // The requests are counted in the model's statistics, as HTTP's are.
  const json stats = d_.call("GET", "/v2/models/alexa/stats").second;
  EXPECT_EQ(stats["model_stats"][0]["inference_count"], 18) << stats;  // 12 gRPC + 6 HTTP
}

TEST_F(GrpcApiTest, BadRequestsAreRefusedNamingTheProblem) {
  const std::vector<float> values = wake_word_embeddings(1);
  const uint64_t failed_before =
      d_.call("GET", "/v2/models/alexa/stats").second["model_stats"][0]["inference_stats"]["fail"]["count"];
  struct Case {
    std::string what;
    std::function<void(inference::ModelInferRequest*)> change;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"unknown model", [](auto* r) { r->set_model_name("nope"); }, grpc::StatusCode::NOT_FOUND,
       "no model named \"nope\" is loaded"},
      {"unknown version", [](auto* r) { r->set_model_version("2"); }, grpc::StatusCode::NOT_FOUND,
       "model \"alexa\" has no version \"2\" (it runs version \"0.1\")"},
      {"datatype", [](auto* r) { r->mutable_inputs(0)->set_datatype("INT64"); }, grpc::StatusCode::INVALID_ARGUMENT,
       "input \"onnx::Flatten_0\": expected datatype FP32, got INT64"},
      {"datatype the engines do not take", [](auto* r) { r->mutable_inputs(0)->set_datatype("FP64"); },
       grpc::StatusCode::INVALID_ARGUMENT, "input \"onnx::Flatten_0\": expected datatype FP32, got FP64"},
      {"shape",
       [](auto* r) {
         r->mutable_inputs(0)->set_shape(1, 96);
         r->mutable_inputs(0)->set_shape(2, 16);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "input \"onnx::Flatten_0\": expected shape [1, 16, 96], got [1, 96, 16]"},
      {"negative dimension", [](auto* r) { r->mutable_inputs(0)->set_shape(0, -1); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "input \"onnx::Flatten_0\": the shape must hold non-negative integers, got [-1, 16, 96]"},
      {"raw size", [](auto* r) { r->mutable_raw_input_contents(0)->resize(20); }, grpc::StatusCode::INVALID_ARGUMENT,
       "input \"onnx::Flatten_0\": shape [1, 16, 96] of FP32 takes 6144 bytes, its raw_input_contents entry has 20"},
      {"raw entries", [](auto* r) { r->add_raw_input_contents("x"); }, grpc::StatusCode::INVALID_ARGUMENT,
       "raw_input_contents has 2 entries for 1 inputs (one per input, in order)"},
      {"raw and contents", [](auto* r) { r->mutable_inputs(0)->mutable_contents()->add_fp32_contents(1); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "input \"onnx::Flatten_0\": has both contents and raw_input_contents (one or the other, for every input)"},
      {"contents count",
       [](auto* r) {
         r->clear_raw_input_contents();
         for (int i = 0; i < 5; ++i) r->mutable_inputs(0)->mutable_contents()->add_fp32_contents(0);
       },
       grpc::StatusCode::INVALID_ARGUMENT,
       "input \"onnx::Flatten_0\": shape [1, 16, 96] of FP32 takes 1536 values, fp32_contents has 5"},
      {"contents of another datatype",
       [](auto* r) {
         r->clear_raw_input_contents();
         for (int i = 0; i < 1536; ++i) r->mutable_inputs(0)->mutable_contents()->add_int_contents(0);
       },
       grpc::StatusCode::INVALID_ARGUMENT,
       "input \"onnx::Flatten_0\": shape [1, 16, 96] of FP32 takes 1536 values, fp32_contents has 0"},
      {"no input", [](auto* r) { r->clear_inputs(), r->clear_raw_input_contents(); },
       grpc::StatusCode::INVALID_ARGUMENT, "input \"onnx::Flatten_0\" is missing"},
      {"unknown input", [](auto* r) { r->mutable_inputs(0)->set_name("x"); }, grpc::StatusCode::INVALID_ARGUMENT,
       "unknown input \"x\""},
      {"unknown parameter", [](auto* r) { (*r->mutable_parameters())["colour"].set_string_param("red"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "parameters.colour is not a parameter this server takes (it takes timeout, priority, binary_data_output, "
       "sequence_id, sequence_start, sequence_end)"},
      {"timeout of another type", [](auto* r) { (*r->mutable_parameters())["timeout"].set_string_param("1s"); },
       grpc::StatusCode::INVALID_ARGUMENT, "parameters.timeout must be a positive integer (microseconds)"},
      {"priority beyond the levels", [](auto* r) { (*r->mutable_parameters())["priority"].set_int64_param(4); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "parameters.priority must be 0 (the model's class), 1 (high), 2 (normal), 3 (low), or \"high\", \"normal\" or "
       "\"low\", got 4"},
      {"unknown output", [](auto* r) { r->add_outputs()->set_name("14"); }, grpc::StatusCode::INVALID_ARGUMENT,
       "unknown output \"14\" (the model gives 13)"},
      {"a timeout that passes before the run",
       [](auto* r) { (*r->mutable_parameters())["timeout"].set_int64_param(1); }, grpc::StatusCode::UNAVAILABLE,
       "no answer within 1 us"},
  };
  for (const Case& c : cases) {
    inference::ModelInferRequest req = infer_request("alexa", values, true);
    c.change(&req);
    const Answer a = infer(stub_.get(), req);
    EXPECT_EQ(a.status.error_code(), c.code) << c.what << ": " << a.status.error_message();
    EXPECT_THAT(a.status.error_message(), HasSubstr(c.message)) << c.what;
  }
  // Each was counted as a failure of the model (all but the two of unknown models and versions),
  // and the model answers on.
  const json stats = d_.call("GET", "/v2/models/alexa/stats").second;
  EXPECT_EQ(stats["model_stats"][0]["inference_stats"]["fail"]["count"].get<uint64_t>(),
            failed_before + cases.size() - 2)
      << stats;
  EXPECT_TRUE(infer(stub_.get(), infer_request("alexa", values, true)).status.ok());
  // A priority class of the request's own (Triton's levels, or a class's name) is taken.
  for (const auto& set : std::vector<std::function<void(inference::InferParameter*)>>{
           [](auto* p) { p->set_int64_param(1); }, [](auto* p) { p->set_uint64_param(3); },
           [](auto* p) { p->set_string_param("low"); }, [](auto* p) { p->set_int64_param(0); }}) {
    inference::ModelInferRequest req = infer_request("alexa", values, true);
    set(&(*req.mutable_parameters())["priority"]);
    const Answer a = infer(stub_.get(), req);
    EXPECT_TRUE(a.status.ok()) << a.status.error_message();
  }
}

// 500 calls at once over 50 connections, while the voice pipeline runs: every call is answered,
// with the model's outputs or refused under overload (UNAVAILABLE, counted as refused), never lost.
TEST_F(GrpcApiTest, FiveHundredCallsAtOnceOverFiftyConnectionsAreEachAnswered) {
  const json before = d_.call("GET", "/v2/models/hey-mycroft/stats").second["model_stats"][0];
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<Stub>> stubs;
  for (int c = 0; c < 50; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);  // a channel (and connection) of its own
    channels.push_back(grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args));
    stubs.push_back(inference::GRPCInferenceService::NewStub(channels.back()));
  }
  constexpr int kCalls = 500;
  struct Call {
    grpc::ClientContext ctx;
    inference::ModelInferRequest req;
    inference::ModelInferResponse resp;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<Call>());
    calls.back()->req = infer_request("hey-mycroft", wake_word_embeddings(static_cast<unsigned>(i)), true);
    calls.back()->ctx.set_deadline(std::chrono::system_clock::now() + 60s);
  }
  for (int i = 0; i < kCalls; ++i) {
    Call* c = calls[static_cast<size_t>(i)].get();
    stubs[static_cast<size_t>(i % 50)]->async()->ModelInfer(&c->ctx, &c->req, &c->resp, [&, c](grpc::Status s) {
      std::lock_guard lock(mu);
      c->status = std::move(s);
      ++done;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 90s, [&] { return done == kCalls; })) << done << " of " << kCalls << " answered";
  }
  int ok = 0, refused = 0;
  for (const auto& c : calls) {
    if (c->status.ok()) {
      ++ok;
      EXPECT_EQ(c->resp.raw_output_contents_size(), 1);
    } else {
      ++refused;
      EXPECT_EQ(c->status.error_code(), grpc::StatusCode::UNAVAILABLE) << c->status.error_message();
    }
  }
  EXPECT_GT(ok, 0);
  const json after = d_.call("GET", "/v2/models/hey-mycroft/stats").second["model_stats"][0];
  EXPECT_EQ(after["inference_count"].get<int>() - before["inference_count"].get<int>(), ok);
  EXPECT_EQ(after["sensix"]["refused"].get<int>() - before["sensix"]["refused"].get<int>(), refused);
  RecordProperty("answered", ok);
  RecordProperty("refused", refused);
  // The sensor's pipeline ran on.
  EXPECT_EQ(d_.call("GET", "/v2/health/ready").first, 200);
}

// The independent client: Node.js with @grpc/grpc-js and @grpc/proto-loader (installed into the
// cache by scripts/install-tools), running the documented example as a user would.
TEST_F(GrpcApiTest, TheNodeClientExampleGetsTheSameAnswer) {
  const std::string node_modules = cache_dir() + "/npm/grpc/node_modules";
  ASSERT_TRUE(std::filesystem::exists(node_modules + "/@grpc/grpc-js/package.json"))
      << node_modules << " has no @grpc/grpc-js: run scripts/setup (or scripts/install-tools alone)";
  const std::vector<float> values = wake_word_embeddings(11);
  const std::string values_file = (dir_.path() / "values.json").string();
  std::ofstream(values_file) << json(values).dump();
  auto run_node = [&](const std::string& model, std::vector<std::string> extra_env = {}) {
    const std::string log = (dir_.path() / ("node-" + model + ".log")).string();
    ChildProcess node;
    std::vector<std::string> env = {"NODE_PATH=" + node_modules, "PATH=/usr/bin:/bin"};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    EXPECT_TRUE(
        node.start({"node", source_path("examples/kserve-grpc/infer.js"), address_, model, values_file}, log, env));
    const int rc = node.wait(60s);
    return std::make_pair(rc, read_text(log));
  };
  auto [rc, out] = run_node("alexa");
  ASSERT_EQ(rc, 0) << out;
  std::vector<json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line, nullptr, false));
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_EQ(lines[0]["server"]["name"], "sensix");
  EXPECT_EQ(lines[1]["model"], d_.call("GET", "/v2/models/alexa").second);
  EXPECT_EQ(lines[2]["id"], "node-1");
  ASSERT_EQ(lines[2]["outputs"].size(), 1u) << out;
  // JavaScript prints the float's exact value as a double: the same float, bit for bit.
  const float node_value = static_cast<float>(lines[2]["outputs"][0]["data"][0].get<double>());
  const float by_http = http_infer("alexa", values)["outputs"][0]["data"][0].get<float>();
  EXPECT_EQ(std::memcmp(&node_value, &by_http, sizeof(float)), 0) << node_value << " vs " << by_http;

  auto [rc_bad, bad] = run_node("nope");
  EXPECT_EQ(rc_bad, 1) << bad;
  EXPECT_THAT(bad, HasSubstr(R"({"error":{"code":"NOT_FOUND","message":"no model named \"nope\" is loaded"}})"));
}

// Model control over gRPC, under the HTTP API's token rules (a daemon with a token file).
TEST(GrpcControl, ModelsUnloadAndLoadWithAFullTokenAndAnUnloadedModelSaysSo) {
  SENSIX_REQUIRE_FILE(model_file("openwakeword/alexa_v0.1.onnx"));
  TempDir dir;
  const std::string tokens = (dir.path() / "tokens").string();
  std::ofstream(tokens) << "full-token-0123456789\nread-token-0123456789 read\n";
  Daemon d;
  ASSERT_TRUE(d.start((dir.path() / "state").string(), {"--grpc-listen", "127.0.0.1:0", "--token-file", tokens}))
      << d.log();
  auto stub = stub_for(grpc_address(d.log()));
  auto r = d.client().request("POST", "/v1/apply", solo_alexa_model(), "application/yaml",
                              {{"Authorization", "Bearer full-token-0123456789"}});
  ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().message());
  ASSERT_TRUE(d.wait_ready(60s));

  auto control = [&](bool load, const std::string& model, const std::string& token) {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    if (load) {
      inference::RepositoryModelLoadRequest req;
      req.set_model_name(model);
      inference::RepositoryModelLoadResponse resp;
      return stub->RepositoryModelLoad(&ctx, req, &resp);
    }
    inference::RepositoryModelUnloadRequest req;
    req.set_model_name(model);
    inference::RepositoryModelUnloadResponse resp;
    return stub->RepositoryModelUnload(&ctx, req, &resp);
  };
  const grpc::Status none = control(false, "alexa-solo", "");
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(none.error_message(), "this endpoint needs \"Authorization: Bearer <token>\"");
  EXPECT_EQ(control(false, "alexa-solo", "wrong-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status read_only = control(false, "alexa-solo", "read-token-0123456789");
  EXPECT_EQ(read_only.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(read_only.error_message(), "the token may only read");
  // On loopback, inference needs no token (reads are open), as over HTTP.
  const auto req = infer_request("alexa-solo", wake_word_embeddings(2), true);
  const Answer before = infer(stub.get(), req);
  ASSERT_TRUE(before.status.ok()) << before.status.error_message();

  ASSERT_TRUE(control(false, "alexa-solo", "full-token-0123456789").ok());
  const Answer unloaded = infer(stub.get(), req);
  EXPECT_EQ(unloaded.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(unloaded.status.error_message(),
            "Model/alexa-solo is unloaded (POST /v2/repository/models/alexa-solo/load runs it again)");
  {
    grpc::ClientContext ctx;
    inference::ModelReadyRequest ready_req;
    ready_req.set_name("alexa-solo");
    inference::ModelReadyResponse ready;
    ASSERT_TRUE(stub->ModelReady(&ctx, ready_req, &ready).ok());
    EXPECT_FALSE(ready.ready());
  }
  const grpc::Status unknown = control(true, "nope", "full-token-0123456789");
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error_message(), "Model/nope is not applied");

  ASSERT_TRUE(control(true, "alexa-solo", "full-token-0123456789").ok());
  const Answer after = infer(stub.get(), req);
  ASSERT_TRUE(after.status.ok()) << after.status.error_message();
  EXPECT_EQ(only_float(after.response), only_float(before.response));
  EXPECT_EQ(d.stop(), 0);

  // Off loopback, the gRPC service needs a token file, as the HTTP API does.
  Daemon open;
  EXPECT_FALSE(open.start((dir.path() / "open").string(), {"--grpc-listen", "0.0.0.0:0"}, "127.0.0.1:0", "http", 10s));
  EXPECT_THAT(open.log(), HasSubstr("--grpc-listen 0.0.0.0:0: a non-loopback address needs --token-file"));
}

}  // namespace
}  // namespace sensix::testing
