// `sensix serve` as a device runs it: the real binary on a free port, its own data directory, the
// real models and recordings, and real clients (the API over HTTP, the CLI). docs/api.md.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "serve_support.h"
#include "support/paths.h"
#include "support/ports.h"
#include "support/scoped_env.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;

// A fourth wake-word head on the running embedding, in a pipeline of its own, and a third sensor.
std::string intent_documents() {
  return file_contents(source_path("examples/zoo/timer.yaml")) + R"(
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {name: intent}
spec:
  steps:
    - {model: oww-mel, from: {sensor: speech}}
    - {model: oww-embedding, from: {model: oww-mel}}
    - {model: timer, from: {model: oww-embedding}}
---
apiVersion: sensix/v1
kind: Sensor
metadata: {name: speech-2}
spec:
  driver: audio-file
  path: samples:demo/speech.wav
  replay: {loop: true, speed: 2}
  buffer: {capacity: 200}
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {name: vad-2}
spec:
  steps:
    - {model: silero-vad, from: {sensor: speech-2}}
)";
}

const json* find_named(const json& items, const std::string& name) {
  for (const auto& i : items) {
    if (i.value("name", "") == name) return &i;
  }
  return nullptr;
}

uint64_t model_runs(const Daemon& d, const std::string& model) {
  auto [status, j] = d.call("GET", "/v1/models/" + model);
  return status == 200 ? j.value("runs", uint64_t{0}) : 0;
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SENSIX_REQUIRE_FILE(model_file("openwakeword/embedding_model.onnx"));
    SENSIX_REQUIRE_FILE(sample_file("demo/speech.wav"));
  }
  std::string data_dir(const std::string& name) const { return (dir_.path() / name).string(); }

  TempDir dir_;
};

TEST_F(ServeTest, DocumentsComeAndGoWhileTheRestRuns) {
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"))) << d.log();
  ASSERT_TRUE(d.wait_ready(30s)) << d.log();  // nothing applied yet: ready

  auto [st, applied] = d.call("POST", "/v1/apply", looping_quickstart());
  ASSERT_EQ(st, 200) << applied.dump(2) << d.log();
  EXPECT_EQ(applied["revision"], 1);
  EXPECT_THAT(applied["models"]["loaded"], Contains("hey-jarvis"));
  ASSERT_TRUE(d.wait_ready(60s)) << d.call("GET", "/v2/health/ready").second.dump();
  ASSERT_TRUE(eventually([&] { return model_runs(d, "hey-jarvis") > 20; }, 60s)) << d.log();

  // A fourth head and a third sensor join the running set.
  auto [st2, added] = d.call("POST", "/v1/apply", intent_documents());
  ASSERT_EQ(st2, 200) << added.dump(2) << d.log();
  EXPECT_EQ(added["models"]["loaded"], json::array({"timer"}));
  EXPECT_EQ(added["sensors"]["started"], json::array({"speech-2"}));
  EXPECT_TRUE(added["models"]["replaced"].empty()) << added.dump(2);
  EXPECT_TRUE(added["sensors"]["restarted"].empty()) << added.dump(2);
  // The head reads the running embedding: the plan says so.
  bool reads_running_embedding = false;
  for (const auto& s : added["plan"]["shared"]) {
    if (s.get<std::string>().find("oww-embedding") != std::string::npos) reads_running_embedding = true;
  }
  EXPECT_TRUE(reads_running_embedding) << added["plan"].dump(2);
  ASSERT_TRUE(eventually([&] { return model_runs(d, "timer") > 20; }, 60s)) << d.log();
  {
    auto [s, timer] = d.call("GET", "/v1/models/timer");
    ASSERT_EQ(s, 200);
    std::set<std::string> shared_with;
    for (const auto& r : timer["reads"]) {
      for (const auto& o : r["sharedWith"]) shared_with.insert(o.get<std::string>());
    }
    EXPECT_TRUE(shared_with.count("hey-jarvis")) << timer.dump(2);
  }
  // The head's predictions reach /v1/predictions like every other model's.
  ASSERT_TRUE(eventually(
      [&] {
        auto [s, p] = d.call("GET", "/v1/predictions?model=silero-vad");
        return s == 200 && !p["items"].empty();
      },
      30s));

  // A model deleted: its pipeline first (409 while the pipeline names it): its steps go, the model
  // stays loaded for requests (a Model document applied is served); then the model, which unloads.
  auto [st3, conflict] = d.call("DELETE", "/v1/documents/model/timer");
  EXPECT_EQ(st3, 409) << conflict.dump(2);
  EXPECT_THAT(conflict["error"]["message"].get<std::string>(), HasSubstr("Pipeline/intent"));
  auto [st4, gone] = d.call("DELETE", "/v1/documents/pipeline/intent");
  ASSERT_EQ(st4, 200) << gone.dump(2);
  EXPECT_EQ(gone["models"]["unloaded"], json::array());
  EXPECT_FALSE(gone["plan"]["released"].empty());
  EXPECT_EQ(d.call("GET", "/v2/models/timer/ready").first, 200);
  auto [st5, after] = d.call("DELETE", "/v1/documents/model/timer");
  EXPECT_EQ(st5, 200) << after.dump(2);
  EXPECT_EQ(after["models"]["unloaded"], json::array({"timer"}));
  EXPECT_EQ(d.call("GET", "/v1/models/timer").first, 404);

  // An apply with one bad document changes nothing, and names the document and field.
  auto [docs_before_status, docs_before] = d.call("GET", "/v1/documents");
  ASSERT_EQ(docs_before_status, 200);
  const std::string bad = intent_documents() + R"(
---
apiVersion: sensix/v1
kind: Model
metadata: {name: broken}
spec:
  format: onnx
  source: repo:openwakeword/hey_jarvis_v0.1.onnx
  sha256: 0000000000000000000000000000000000000000000000000000000000000000
  inputs: [{name: x, shape: [1, 16, 96], stream: {window: 16}}]
  outputs: [{name: y}]
)";
  auto [st6, refused] = d.call("POST", "/v1/apply", bad);
  EXPECT_EQ(st6 / 100, 4) << refused.dump(2);
  EXPECT_THAT(refused["error"]["message"].get<std::string>(), HasSubstr("Model/broken"));
  EXPECT_EQ(d.call("GET", "/v1/documents").second, docs_before);
  EXPECT_EQ(d.call("GET", "/v1/models/timer").first, 404);

  // The sensors that ran through all of it lost nothing.
  auto [st7, sensors] = d.call("GET", "/v1/sensors");
  ASSERT_EQ(st7, 200);
  for (const char* name : {"speech", "speech-2"}) {
    const json* s = find_named(sensors["items"], name);
    ASSERT_NE(s, nullptr) << name << sensors.dump(2);
    EXPECT_EQ((*s)["dropped"], 0) << name;
    EXPECT_GT((*s)["frames"].get<uint64_t>(), 0u) << name;
  }
  EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST_F(ServeTest, ARestartAfterSigkillRunsTheSameDocuments) {
  const std::string state = data_dir("state");
  std::string before;
  {
    Daemon d;
    ASSERT_TRUE(d.start(state)) << d.log();
    auto [st, applied] = d.call("POST", "/v1/apply", looping_quickstart());
    ASSERT_EQ(st, 200) << applied.dump(2);
    before = d.call("GET", "/v1/documents").second.dump();
    d.kill_now();
  }
  Daemon d;
  ASSERT_TRUE(d.start(state)) << d.log();
  ASSERT_TRUE(d.wait_ready(120s)) << d.call("GET", "/v2/health/ready").second.dump() << d.log();
  EXPECT_EQ(d.call("GET", "/v1/documents").second.dump(), before);
  ASSERT_TRUE(eventually([&] { return model_runs(d, "hey-jarvis") > 10; }, 60s)) << d.log();
  auto [st, models] = d.call("GET", "/v1/models");
  EXPECT_EQ(models["items"].size(), 8u) << models.dump(2);  // the quickstart's models, running again
  EXPECT_EQ(d.stop(), 0);
}

TEST_F(ServeTest, BadRequestsGetClearErrorsAndChangeNothing) {
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--max-body", "64Ki"})) << d.log();
  ASSERT_EQ(d.call("POST", "/v1/apply", looping_quickstart()).first, 200);
  const std::string docs = d.call("GET", "/v1/documents").second.dump();

  // Malformed YAML and JSON: the line.
  auto [s1, yaml] = d.call("POST", "/v1/apply", "kind: Sensor\nmetadata: {name: [\n");
  EXPECT_EQ(s1, 400);
  EXPECT_THAT(yaml["error"]["message"].get<std::string>(), HasSubstr("YAML syntax error"));
  auto [s2, js] = d.call("POST", "/v1/apply", R"({"apiVersion": "sensix/v1", "kind": "Model", )");
  EXPECT_EQ(s2, 400) << js.dump();
  // A field that is wrong: its path.
  auto [s3, field] = d.call("POST", "/v1/apply", R"(apiVersion: sensix/v1
kind: Sensor
metadata: {name: speech}
spec:
  driver: audio-file
  path: samples:demo/speech.wav
  audio: {frameMs: fast}
)");
  EXPECT_EQ(s3, 400);
  EXPECT_EQ(field["error"]["field"], "Sensor/speech: spec.audio.frameMs") << field.dump();
  // Files outside the daemon's folders.
  auto [s4, shadow] = d.call("POST", "/v1/apply", R"(apiVersion: sensix/v1
kind: Sensor
metadata: {name: leak}
spec:
  driver: audio-file
  path: /etc/shadow
)");
  EXPECT_EQ(s4, 400);
  EXPECT_THAT(shadow["error"]["message"].get<std::string>(), HasSubstr("outside the daemon's directories"));
  EXPECT_EQ(shadow["error"]["field"], "Sensor/leak: spec.path") << shadow.dump();
  auto [s5, up] = d.call("POST", "/v1/apply", R"(apiVersion: sensix/v1
kind: Sensor
metadata: {name: leak}
spec:
  driver: audio-file
  path: ../../x.wav
)");
  EXPECT_EQ(s5, 400);
  EXPECT_THAT(up["error"]["message"].get<std::string>(), HasSubstr("outside the daemon's directories"));
  // A folder the operator allowed (--allow-read) may be named; the test's own folder was not allowed.
  const std::string outside = (dir_.path() / "speech.wav").string();
  std::filesystem::copy_file(sample_file("demo/speech.wav"), outside);
  const std::string elsewhere =
      "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: elsewhere}\nspec: {driver: "
      "audio-file, path: " +
      outside + "}\n";
  EXPECT_EQ(d.call("POST", "/v1/apply?dryRun=true", elsewhere).first, 400);
  // Too large: 413.
  auto [s6, big] = d.call("POST", "/v1/apply", std::string(100 << 10, '#'));
  EXPECT_EQ(s6, 413) << big.dump();
  // Unknown kinds, names, endpoints and methods.
  EXPECT_EQ(d.call("GET", "/v1/documents/widgets").first, 400);
  EXPECT_EQ(d.call("GET", "/v1/documents/model/nope").first, 404);
  EXPECT_EQ(d.call("DELETE", "/v1/documents/model/nope").first, 404);
  EXPECT_EQ(d.call("GET", "/v1/nope").first, 404);
  auto [s7, method] = d.call("PUT", "/v1/apply", "x");
  EXPECT_EQ(s7, 405);
  EXPECT_EQ(method["error"]["code"], "MethodNotAllowed");
  EXPECT_EQ(d.call("GET", "/v1/predictions?minScore=lots").first, 400);
  EXPECT_EQ(d.call("PUT", "/v1/log-level", R"({"level": "loud"})").first, 400);
  // A document another names cannot go alone.
  EXPECT_EQ(d.call("DELETE", "/v1/documents/model/hey-jarvis").first, 409);

  // Nothing changed, and it still runs.
  EXPECT_EQ(d.call("GET", "/v1/documents").second.dump(), docs);
  EXPECT_TRUE(d.wait_ready(60s));
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// What `sensix run --json` prints for `docs`: its predictions, one JSON object each.
std::vector<json> run_predictions(const std::string& docs_path) {
  const std::string cmd = std::string(SENSIX_BINARY_DIR) + "/sensix run --json --speed max " + docs_path +
                          " 2>/dev/null";
  std::vector<json> out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char* line = nullptr;
  size_t cap = 0;
  while (getline(&line, &cap, p) > 0) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("type", "") == "prediction") out.push_back(std::move(j));
  }
  free(line);
  EXPECT_EQ(pclose(p), 0) << cmd;
  return out;
}

// A prediction as both sides must agree on it: which model, sensor and frame, and what it says
// (labels and scores to two decimals; latency differs from run to run).
std::string projection(const json& p) {
  std::string s = fmt::format("{} {} {} {}", p.value("model", ""), p.value("sensor", ""), p.value("frame", 0),
                              p.value("kind", ""));
  for (const auto& l : p.value("labels", json::array()))
    s += fmt::format(" {}={:.2f}", l.value("label", ""), l.value("score", 0.0));
  return s;
}

std::multiset<std::string> projections(const std::vector<json>& ps) {
  std::multiset<std::string> out;
  for (const auto& p : ps) out.insert(projection(p));
  return out;
}

// A client that asks for the stream and then never reads: its socket fills, its queue overflows.
int stalled_subscriber(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string req = "GET /v1/predictions/stream HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  return fd;
}

TEST_F(ServeTest, AHundredSubscribersGetWhatSensixRunPrints) {
  const std::string docs = voice_quickstart("  replay: {speed: 0}\n");  // as fast as it goes: nothing dropped
  const std::string docs_path = (dir_.path() / "voice.yaml").string();
  std::ofstream(docs_path) << docs;
  const std::vector<json> expected = run_predictions(docs_path);
  ASSERT_GT(expected.size(), 3u);

  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"))) << d.log();
  constexpr int kSubscribers = 100;
  std::vector<std::vector<json>> got(kSubscribers);
  std::vector<std::thread> threads;
  std::atomic<int> ended{0};
  for (int i = 0; i < kSubscribers; ++i) {
    threads.emplace_back([&, i] {
      api::HttpClient c = d.client();
      api::ClientResponse refused;
      Status s = c.stream(
          "/v1/predictions/stream?type=prediction", {},
          [&](const api::SseEvent& e) {
            if (e.event == "prediction") got[i].push_back(json::parse(e.data));
            return true;
          },
          &refused);
      EXPECT_TRUE(s.ok()) << s;
      ++ended;
    });
  }
  const int stalled = stalled_subscriber(d.port());
  ASSERT_TRUE(eventually(
      [&] { return d.call("GET", "/v1/stats").second["api"].value("subscribers", 0) == kSubscribers + 1; }, 30s))
      << d.call("GET", "/v1/stats").second["api"].dump();

  auto [st, applied] = d.call("POST", "/v1/apply", docs);
  ASSERT_EQ(st, 200) << applied.dump(2);
  const bool all = eventually(
      [&] {
        for (const auto& g : got) {
          if (g.size() < expected.size()) return false;
        }
        return true;
      },
      120s);
  // The stream ends when the daemon stops.
  EXPECT_EQ(d.stop(), 0) << d.log();
  for (auto& t : threads) t.join();
  ::close(stalled);
  EXPECT_EQ(ended.load(), kSubscribers);
  ASSERT_TRUE(all);
  const auto want = projections(expected);
  for (int i = 0; i < kSubscribers; ++i) {
    ASSERT_EQ(projections(got[i]), want) << "subscriber " << i;
  }
}

TEST_F(ServeTest, TokensGuardWhatTheyMust) {
  const std::string tokens = (dir_.path() / "tokens").string();
  std::ofstream(tokens) << "# operators\n0123456789abcdef-full\n0123456789abcdef-read read\n";
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--token-file", tokens})) << d.log();
  const std::string dry = "/v1/apply?dryRun=true";
  const std::string doc = voice_quickstart("");
  // On loopback, reads are open; changes need a full token.
  EXPECT_EQ(d.call("GET", "/v1/stats").first, 200);
  auto [s1, none] = d.call("POST", dry, doc);
  EXPECT_EQ(s1, 401);
  EXPECT_EQ(none["error"]["code"], "Unauthorized");
  EXPECT_EQ(d.call("POST", dry, doc, "0123456789abcdef-wrong").first, 401);
  EXPECT_EQ(d.call("POST", dry, doc, "0123456789abcdef-read").first, 403);
  EXPECT_EQ(d.call("PUT", "/v1/log-level", R"({"level": "debug"})", "0123456789abcdef-read").first, 403);
  // Triton's model control changes what runs; inference and the repository index only read.
  EXPECT_EQ(d.call("POST", "/v2/repository/models/alexa/unload", "", "0123456789abcdef-read").first, 403);
  EXPECT_EQ(d.call("POST", "/v2/repository/models/alexa/load", "").first, 401);
  EXPECT_EQ(d.call("POST", "/v2/repository/index", "", "0123456789abcdef-read").first, 200);
  auto [s2, ok] = d.call("POST", dry, doc, "0123456789abcdef-full");
  EXPECT_EQ(s2, 200) << ok.dump();
  EXPECT_EQ(ok["dryRun"], true);
  EXPECT_EQ(d.call("GET", "/v1/documents").second["items"].size(), 0u);  // a dry run stores nothing
  // The token is never logged.
  EXPECT_EQ(d.log().find("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(d.stop(), 0);

  // Off loopback: a token file is required, and TLS unless plain HTTP is allowed; then every
  // endpoint needs a token.
  Daemon open;
  EXPECT_FALSE(open.start(data_dir("open"), {}, "0.0.0.0:0", "http", 10s));
  EXPECT_THAT(open.log(), HasSubstr("needs --token-file"));
  Daemon plain;
  EXPECT_FALSE(plain.start(data_dir("plain"), {"--token-file", tokens}, "0.0.0.0:0", "http", 10s));
  EXPECT_THAT(plain.log(), HasSubstr("needs TLS"));
  Daemon allowed;
  ASSERT_TRUE(allowed.start(data_dir("allowed"), {"--token-file", tokens, "--allow-insecure-http"}, "0.0.0.0:0"))
      << allowed.log();
  EXPECT_EQ(allowed.call("GET", "/v1/stats").first, 401);
  EXPECT_EQ(allowed.call("GET", "/v2/health/live").first, 401);
  EXPECT_EQ(allowed.call("GET", "/v1/stats", "", "0123456789abcdef-read").first, 200);
  EXPECT_EQ(allowed.stop(), 0);
}

TEST_F(ServeTest, TlsWithACertificateMadeByOpenssl) {
  const std::string key = (dir_.path() / "key.pem").string(), cert = (dir_.path() / "cert.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext "
      "subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--tls-cert", cert, "--tls-key", key}, "127.0.0.1:0", "https")) << d.log();
  auto r = d.client("", cert).request("GET", "/v2/health/live");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  // Without the certificate to trust, the handshake fails; plain HTTP gets no answer.
  EXPECT_FALSE(d.client().request("GET", "/v2/health/live").ok());
  api::ClientOptions plain;
  plain.server = "http://127.0.0.1:" + std::to_string(d.port());
  plain.timeout = 5s;
  auto p = api::HttpClient::create(plain)->request("GET", "/v2/health/live");
  EXPECT_TRUE(!p.ok() || p->status != 200);
  // A wrong key file: a clear error at start.
  Daemon bad;
  EXPECT_FALSE(bad.start(data_dir("bad"), {"--tls-cert", cert, "--tls-key", cert}, "127.0.0.1:0", "http", 10s));
  EXPECT_THAT(bad.log(), HasSubstr("--tls-key"));
  EXPECT_EQ(d.stop(), 0);
}

TEST_F(ServeTest, ASlowClientHoldsNoOneUpAndTwoHundredClientsAreServed) {
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--request-timeout", "2"})) << d.log();
  // A client sending its request a byte at a time.
  const int slow = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(d.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(slow, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::atomic<bool> slow_done{false};
  std::string slow_answer;
  std::thread trickle([&] {
    const std::string req = "GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n";
    for (char c : req) {
      if (::write(slow, &c, 1) != 1) break;
      std::this_thread::sleep_for(500ms);
      if (slow_done) break;
    }
  });
  // Meanwhile 200 clients at once.
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back([&] {
      auto r = d.client().request("GET", "/v2/health/live");
      if (r.ok() && r->status == 200) ++ok;
    });
  }
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_LT(seconds, 10.0);
  // The slow one is cut off at the request timeout with 408.
  char buf[1024];
  const ssize_t n = ::read(slow, buf, sizeof(buf));
  slow_done = true;
  trickle.join();
  ::close(slow);
  ASSERT_GT(n, 0);
  EXPECT_THAT(std::string(buf, n), HasSubstr("408"));
  EXPECT_EQ(d.stop(), 0);
}

TEST_F(ServeTest, SighupReopensTheLogAndSigtermStopsWithinTheGrace) {
  const std::string log = (dir_.path() / "sensix.log").string();
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--log-file", log})) << d.log();
  ASSERT_EQ(d.call("POST", "/v1/apply", looping_quickstart()).first, 200);
  ASSERT_TRUE(eventually([&] { return file_contents(log).find("revision 1") != std::string::npos; }, 10s))
      << file_contents(log);
  std::filesystem::rename(log, log + ".1");
  ::kill(d.pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return file_contents(log).find("log file reopened") != std::string::npos; }, 10s));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.stop(SIGTERM), 0);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
  EXPECT_THAT(file_contents(log), HasSubstr("stopped"));
}

// SIGTERM while an apply loads a model: the apply finishes (200), the daemon exits 0 within the
// grace time, and a restart runs what it applied.
TEST_F(ServeTest, SigtermLetsTheApplyInFlightFinishAndStoreIt) {
  const std::string log = (dir_.path() / "sensix.log").string();
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--log-file", log})) << d.log();
  const std::string mlsd = file_contents(source_path("examples/zoo/mlsd.yaml"));
  std::pair<int, nlohmann::json> applied{0, nullptr};
  std::thread client([&] { applied = d.call("POST", "/v1/apply", mlsd); });
  // The apply has begun (it loads and warms up a vision model: a second or more) ...
  ASSERT_TRUE(eventually([&] { return file_contents(log).find("apply from") != std::string::npos; }, 30s))
      << file_contents(log);
  // ... when SIGTERM comes.
  const int rc = d.stop(SIGTERM);
  client.join();
  EXPECT_EQ(rc, 0) << file_contents(log);
  EXPECT_EQ(applied.first, 200) << applied.second.dump() << file_contents(log);
  const std::string text = file_contents(log);
  ASSERT_NE(text.find("SIGTERM: stopping"), std::string::npos) << text;
  EXPECT_LT(text.find("SIGTERM: stopping"), text.find("revision 1")) << "the apply was not in flight: " << text;

  Daemon again;
  ASSERT_TRUE(again.start(data_dir("state"))) << again.log();
  ASSERT_TRUE(again.wait_ready(60s)) << again.log();
  EXPECT_EQ(again.call("GET", "/v1/documents/model/mlsd").first, 200);
  EXPECT_EQ(again.call("GET", "/v2/models/mlsd/ready").first, 200);
}

// While an apply loads models, GET /v1/progress says what it applies and which model it loads and
// warms up, of how many; after it, nothing runs.
TEST_F(ServeTest, AnApplyInProgressSaysWhichModelItLoads) {
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"))) << d.log();
  EXPECT_EQ(d.call("GET", "/v1/progress").second, json::parse(R"({"applying": false})"));
  std::string docs;
  for (const char* zoo : {"mlsd", "ppocr-det", "face-mesh"}) {
    docs += (docs.empty() ? "" : "\n---\n") + file_contents(source_path(std::string("examples/zoo/") + zoo + ".yaml"));
  }
  std::atomic<bool> done{false};
  std::pair<int, json> applied{0, nullptr};
  std::thread client([&] {
    applied = d.call("POST", "/v1/apply", docs);
    done = true;
  });
  std::vector<json> seen;
  while (!done) {
    auto [status, p] = d.call("GET", "/v1/progress");
    if (status == 200 && p.value("applying", false)) seen.push_back(p);
    std::this_thread::sleep_for(5ms);
  }
  client.join();
  ASSERT_EQ(applied.first, 200) << applied.second.dump();
  ASSERT_FALSE(seen.empty()) << "three vision models loaded and warmed up before a poll saw the apply";
  std::set<std::string> steps;
  for (const json& p : seen) {
    EXPECT_THAT(p["summary"].get<std::string>(), HasSubstr("Model/mlsd")) << p;
    EXPECT_GE(p["seconds"].get<double>(), 0) << p;
    if (p["step"] == "") continue;  // checking the documents, before the first model
    EXPECT_THAT(p["step"].get<std::string>(), ::testing::StartsWith("loading and warming up Model/")) << p;
    EXPECT_EQ(p["total"], 3) << p;
    EXPECT_LT(p["done"].get<int>(), 3) << p;
    steps.insert(p["step"].get<std::string>());
  }
  EXPECT_FALSE(steps.empty()) << seen.size() << " polls saw no model loading";
  EXPECT_EQ(d.call("GET", "/v1/progress").second, json::parse(R"({"applying": false})"));
}

// --log-format json: every line of the log is one JSON object with the time, level, thread and
// message (quotes and newlines of a message escaped).
TEST_F(ServeTest, JsonLogsAreOneObjectALine) {
  const std::string log = (dir_.path() / "sensix.log.json").string();
  const std::string bad = (dir_.path() / "bad.yaml").string();
  std::ofstream(bad) << "kind: Model\napiVersion: sensix/v1\nmetadata: {name: \"q\\\"uote\"}\n";
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--log-format", "json", "--log-file", log, "-f", bad})) << d.log();
  ASSERT_TRUE(eventually([&] { return file_contents(log).find("were not applied") != std::string::npos; }, 30s))
      << file_contents(log);
  EXPECT_EQ(d.stop(), 0);
  std::istringstream lines(file_contents(log));
  int count = 0;
  bool quoted = false;
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_THAT(j["time"].get<std::string>(),
                ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z"));
    EXPECT_TRUE(j["level"] == "info" || j["level"] == "error" || j["level"] == "warning") << line;
    EXPECT_TRUE(j["thread"].is_number_integer()) << line;
    quoted = quoted || j["message"].get<std::string>().find('"') != std::string::npos;
    ++count;
  }
  EXPECT_GE(count, 4);
  EXPECT_TRUE(quoted) << "no message with a quote: " << file_contents(log);
  EXPECT_THAT(file_contents(log), HasSubstr(R"("message":"SIGTERM: stopping")"));

  Daemon wrong;
  EXPECT_FALSE(wrong.start(data_dir("wrong"), {"--log-format", "xml"}, "127.0.0.1:0", "http", 10s));
  EXPECT_THAT(wrong.log(), HasSubstr("--log-format: expected text or json, got \"xml\""));
}

// promtool checks /metrics, and a real Prometheus server scrapes it: the per-model inference
// counter is then a series in Prometheus's own API.
TEST_F(ServeTest, PrometheusScrapesTheMetrics) {
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"))) << d.log();
  ASSERT_EQ(d.call("POST", "/v1/apply", looping_quickstart()).first, 200);
  ASSERT_TRUE(eventually([&] { return model_runs(d, "hey-jarvis") > 5; }, 60s));
  // One inference request too: its model's request counters are series of their own.
  const json request{
      {"inputs",
       {{{"name", "x.1"}, {"shape", {1, 16, 96}}, {"datatype", "FP32"}, {"data", std::vector<float>(1536)}}}}};
  auto answered = d.client().request("POST", "/v2/models/hey-jarvis/infer", request.dump(), "application/json");
  ASSERT_TRUE(answered.ok() && answered->status == 200)
      << (answered.ok() ? answered->body : answered.status().message());
  auto metrics = d.client().request("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->content_type, HasSubstr("text/plain; version=0.0.4"));
  const std::string path = (dir_.path() / "metrics.txt").string();
  std::ofstream(path) << metrics->body;
  const std::string check = "promtool check metrics < " + path + " > " + path + ".out 2>&1";
  EXPECT_EQ(std::system(check.c_str()), 0) << file_contents(path + ".out");
  EXPECT_EQ(file_contents(path + ".out"), "") << "promtool warned";
  EXPECT_THAT(metrics->body, HasSubstr("sensix_model_inferences_total{model=\"hey-jarvis\""));
  EXPECT_THAT(metrics->body,
              ::testing::ContainsRegex(
                  R"(sensix_inference_requests_total\{model="hey-jarvis",version="[^"]+",outcome="success"\} 1)"));
  EXPECT_THAT(metrics->body, HasSubstr("sensix_media_decoding_threads "));

  // A Prometheus server with a scrape config for the daemon.
  const int prom_port = free_tcp_port();
  ASSERT_GT(prom_port, 0);
  const std::string config = (dir_.path() / "prometheus.yml").string();
  std::ofstream(config) << fmt::format(R"(global:
  scrape_interval: 1s
scrape_configs:
  - job_name: sensix
    static_configs:
      - targets: ["127.0.0.1:{}"]
)",
                                       d.port());
  ChildProcess prometheus;
  ASSERT_TRUE(prometheus.start({"prometheus", "--config.file=" + config,
                                "--storage.tsdb.path=" + (dir_.path() / "tsdb").string(),
                                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                               (dir_.path() / "prometheus.log").string()));
  api::ClientOptions po;
  po.server = "http://127.0.0.1:" + std::to_string(prom_port);
  po.timeout = 5s;
  auto prom = api::HttpClient::create(po);
  ASSERT_TRUE(prom.ok());
  json series;
  const bool scraped = eventually(
      [&] {
        auto r = prom->request("GET", "/api/v1/query?query=sensix_model_inferences_total");
        if (!r.ok() || r->status != 200) return false;
        series = json::parse(r->body, nullptr, false);
        if (series.is_discarded()) return false;
        for (const auto& s : series["data"]["result"]) {
          if (s["metric"].value("model", "") == "hey-jarvis") return true;
        }
        return false;
      },
      60s);
  EXPECT_TRUE(scraped) << series.dump(2) << "\n" << file_contents((dir_.path() / "prometheus.log").string());
  EXPECT_EQ(d.stop(), 0);
}

// A Pipeline's `sinks` write inside the data directory, and follow the pipeline: a sink outside it
// is refused.
TEST_F(ServeTest, PipelineSinksWriteInsideTheDataDirectory) {
  const std::string state = data_dir("state");
  Daemon d;
  ASSERT_TRUE(d.start(state, {"--allow-read", dir_.path().string()})) << d.log();
  // --allow-read: the test's folder may be named.
  const std::string outside = (dir_.path() / "speech.wav").string();
  std::filesystem::copy_file(sample_file("demo/speech.wav"), outside);
  EXPECT_EQ(d.call("POST", "/v1/apply?dryRun=true",
                   "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: elsewhere}\nspec: {driver: audio-file, "
                   "path: " +
                       outside + "}\n")
                .first,
            200);
  std::string docs = voice_quickstart("  replay: {loop: true, speed: 2}\n");
  const std::string with_sink = docs + "\n  sinks:\n    - {type: jsonl, path: voice.jsonl}\n";
  auto [st, applied] = d.call("POST", "/v1/apply", with_sink);
  ASSERT_EQ(st, 200) << applied.dump(2);
  ASSERT_TRUE(eventually(
      [&] { return file_contents(state + "/voice.jsonl").find("\"model\":\"silero-vad\"") != std::string::npos; }, 30s))
      << d.log();
  auto [st2, refused] = d.call("POST", "/v1/apply", docs + "\n  sinks:\n    - {type: jsonl, path: /tmp/voice.jsonl}\n");
  EXPECT_EQ(st2, 400) << refused.dump(2);
  EXPECT_THAT(refused["error"]["message"].get<std::string>(), HasSubstr("spec.sinks[0].path"));
  EXPECT_EQ(d.stop(), 0);
}

// The CLI's client commands, as a script uses them: tables, JSON, and exit codes.
TEST_F(ServeTest, TheCliAppliesListsDescribesAndDeletes) {
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"))) << d.log();
  const std::string docs = (dir_.path() / "voice.yaml").string();
  std::ofstream(docs) << voice_quickstart("  replay: {loop: true, speed: 2}\n");

  auto [rc1, dry] = cli(d, "apply --dry-run -f " + docs);
  EXPECT_EQ(rc1, 0) << dry;
  EXPECT_THAT(dry, HasSubstr("Model/hey-jarvis would be created"));
  EXPECT_THAT(dry, HasSubstr("dry run: nothing changed"));
  auto [rc2, applied] = cli(d, "apply -f " + docs);
  EXPECT_EQ(rc2, 0) << applied;
  EXPECT_THAT(applied, HasSubstr("Model/hey-jarvis created (generation 1)"));
  EXPECT_THAT(applied, HasSubstr("applied: revision 1"));
  auto [rc3, again] = cli(d, "apply -f " + docs);
  EXPECT_EQ(rc3, 0);
  EXPECT_THAT(again, HasSubstr("Model/hey-jarvis unchanged"));

  auto [rc4, models] = cli(d, "get models");
  EXPECT_EQ(rc4, 0);
  EXPECT_THAT(models, HasSubstr("NAME"));
  EXPECT_THAT(models, ::testing::ContainsRegex("hey-jarvis +0.1 +onnxruntime +ready"));
  auto [rc5, js] = cli(d, "get sensors -o json");
  EXPECT_EQ(rc5, 0);
  EXPECT_EQ(json::parse(js)["items"][0]["name"], "speech") << js;
  auto [rc6, yaml] = cli(d, "get documents -o yaml");
  EXPECT_EQ(rc6, 0);
  EXPECT_THAT(yaml, HasSubstr("kind: \"Model\""));
  auto [rc7, described] = cli(d, "describe model hey-jarvis");
  EXPECT_EQ(rc7, 0);
  EXPECT_THAT(described, HasSubstr("Model/hey-jarvis: generation 1"));
  EXPECT_THAT(described, HasSubstr("sha256:"));
  EXPECT_THAT(described, HasSubstr("shared with"));
  ASSERT_TRUE(eventually(
      [&] { return cli(d, "predictions --model silero-vad").second.find("silero-vad") != std::string::npos; }, 30s));
  auto [rc8, lines] = cli(d, "predictions --model silero-vad");
  EXPECT_THAT(lines, ::testing::ContainsRegex("speech +silero-vad +speech 0\\.[0-9]+  from speech.wav"));
  // Filter values are URL-encoded: a label with a space and an '&' is one value (no match here).
  auto [rc_label, by_label] = cli(d, "predictions --label 'no such & label'");
  EXPECT_EQ(rc_label, 0) << by_label;
  EXPECT_EQ(by_label, "");
  // -w follows the stream: JSON lines of the model asked for, until it is stopped.
  auto [rc_watch, watched] = cli(d, "predictions -w --model silero-vad -o json", "timeout 4 ");
  EXPECT_EQ(rc_watch, 124) << watched;  // ended by timeout(1): the stream does not end by itself
  std::istringstream watched_lines(watched);
  int watched_count = 0;
  for (std::string line; std::getline(watched_lines, line);) {
    const json p = json::parse(line, nullptr, false);
    ASSERT_TRUE(p.is_object()) << line;
    // A prediction of the model, or an event that one of its predictions fired.
    bool of_model = p.value("model", "") == "silero-vad";
    for (const json& q : p.value("predictions", json::array())) of_model = of_model || q["model"] == "silero-vad";
    EXPECT_TRUE(of_model) << line;
    ++watched_count;
  }
  EXPECT_GT(watched_count, 0) << watched;
  auto [rc_pipes, pipes] = cli(d, "get pipelines");
  EXPECT_EQ(rc_pipes, 0) << pipes;
  EXPECT_THAT(pipes, ::testing::ContainsRegex("voice +.*running"));
  auto [rc_stats, stats] = cli(d, "stats");
  EXPECT_EQ(rc_stats, 0) << stats;
  EXPECT_THAT(stats, HasSubstr("sensix "));
  // The sensor's live state as the daemon reports it: running, or degraded for a moment where the
  // real-time replay fell behind on a loaded machine (CI's two cores under the sanitizers, beside
  // another test) and caught up again (sensors/replay/replay_driver.cpp). What is checked here is
  // that the CLI shows it; the replay's timing has tests of its own.
  EXPECT_THAT(stats, ::testing::ContainsRegex("sensor +speech +(running|degraded)"));
  EXPECT_THAT(stats, ::testing::ContainsRegex("model +hey-jarvis +ready"));
  EXPECT_EQ(cli(d, "log-level debug"), (std::pair<int, std::string>{0, "debug\n"}));
  EXPECT_EQ(cli(d, "log-level"), (std::pair<int, std::string>{0, "debug\n"}));

  // Exit codes: 1 refused, 3 unreachable.
  auto [rc9, conflict] = cli(d, "delete model hey-jarvis");
  EXPECT_EQ(rc9, 1);
  EXPECT_THAT(conflict, HasSubstr("error: "));
  EXPECT_THAT(conflict, HasSubstr("Pipeline/voice"));
  EXPECT_EQ(cli(d, "get models nope").first, 1);
  EXPECT_EQ(cli(d, "log-level loud").first, 1);
  auto [rc10, deleted] = cli(d, "delete pipeline voice");
  EXPECT_EQ(rc10, 0) << deleted;
  EXPECT_THAT(deleted, HasSubstr("sensors stopped: speech"));
  auto [rc12, unloaded] = cli(d, "delete model hey-jarvis");
  EXPECT_EQ(rc12, 0) << unloaded;
  EXPECT_THAT(unloaded, HasSubstr("models unloaded: hey-jarvis"));
  EXPECT_EQ(d.stop(), 0);
  auto [rc11, gone] = cli(d, "get models");
  EXPECT_EQ(rc11, 3);
  EXPECT_THAT(gone, HasSubstr("cannot connect"));
}

// The CLI's token: from SENSIX_TOKEN, or from --token-file (which wins); without one, a mutating
// command is refused with the daemon's reason and exit code 1.
TEST_F(ServeTest, TheCliTakesItsTokenFromTheEnvironmentOrAFile) {
  const std::string tokens = (dir_.path() / "tokens").string();
  std::ofstream(tokens) << "cli-full-token-0123456789\ncli-read-token-0123456789 read\n";
  const std::string mine = (dir_.path() / "my-token").string();
  std::ofstream(mine) << "cli-full-token-0123456789\n";
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--token-file", tokens})) << d.log();
  const std::string docs = (dir_.path() / "solo.yaml").string();
  std::ofstream(docs) << solo_alexa_model();

  auto [rc_none, none] = cli(d, "apply -f " + docs, "env -u SENSIX_TOKEN ");
  EXPECT_EQ(rc_none, 1) << none;
  EXPECT_THAT(none, HasSubstr("error: this endpoint needs \"Authorization: Bearer <token>\""));
  auto [rc_read, read_only] = cli(d, "apply -f " + docs, "SENSIX_TOKEN=cli-read-token-0123456789 ");
  EXPECT_EQ(rc_read, 1) << read_only;
  EXPECT_THAT(read_only, HasSubstr("error: the token may only read"));
  auto [rc_env, by_env] = cli(d, "apply -f " + docs, "SENSIX_TOKEN=cli-full-token-0123456789 ");
  EXPECT_EQ(rc_env, 0) << by_env;
  EXPECT_THAT(by_env, HasSubstr("Model/alexa-solo created"));
  auto [rc_file, by_file] = cli(d, "delete model alexa-solo --token-file " + mine,
                                "SENSIX_TOKEN=cli-read-token-0123456789 ");
  EXPECT_EQ(rc_file, 0) << by_file;
  EXPECT_THAT(by_file, HasSubstr("models unloaded: alexa-solo"));
  auto [rc_missing, missing] = cli(d, "get models --token-file " + mine + ".nope");
  EXPECT_EQ(rc_missing, 2) << missing;
  EXPECT_THAT(missing, HasSubstr("error: --token-file"));
}

// The daemon's threads (/proc/<pid>/status).
int threads_of(pid_t pid) {
  const std::string status = file_contents("/proc/" + std::to_string(pid) + "/status");
  const size_t at = status.find("Threads:");
  return at == std::string::npos ? -1 : std::stoi(status.substr(at + 8));
}

// A raw TCP connection to the daemon, opened and left as it is.
int raw_connection(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// One HTTP/1.1 exchange on a connection that stays open (keep-alive): the status and the body.
// The daemon answers with a Content-Length, so the body ends where it says.
std::pair<int, std::string> exchange(int fd, const std::string& target) {
  const std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return {0, ""};
  std::string in;
  char buf[4096];
  size_t head_end = std::string::npos, length = 0;
  while (head_end == std::string::npos || in.size() < head_end + 4 + length) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return {0, in};
    in.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      const size_t at = in.find("Content-Length: ");
      if (at == std::string::npos || at > head_end) return {0, in};
      length = std::stoul(in.substr(at + 16));
    }
  }
  return {std::stoi(in.substr(9, 3)), in.substr(head_end + 4, length)};
}

// The header limit (--max-header) answers 431; a kept-alive connection idle past --idle-timeout is
// closed, while one in use stays open; one whose client stops reading its responses is closed too.
TEST_F(ServeTest, HeadersPastTheLimitGet431AndIdleConnectionsClose) {
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--max-header", "4Ki", "--idle-timeout", "2"})) << d.log();
  auto r = d.client().request("GET", "/v2/health/live", "", "application/json",
                              {{"X-Padding", std::string(5000, 'x')}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 431) << r->body;
  EXPECT_THAT(r->body, HasSubstr("the request headers are larger than 4096 bytes"));
  r = d.client().request("GET", "/v2/health/live", "", "application/json", {{"X-Padding", std::string(2000, 'x')}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);

  const int fd = raw_connection(d.port());
  EXPECT_EQ(exchange(fd, "/v2/health/live").first, 200);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(exchange(fd, "/v2/health/live").first, 200) << "closed before its idle time";
  // Idle for more than two seconds: the daemon closes it (a read sees the end).
  const auto t0 = std::chrono::steady_clock::now();
  char byte;
  EXPECT_EQ(::read(fd, &byte, 1), 0);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(waited, 1.0);
  EXPECT_LT(waited, 8.0);
  ::close(fd);

  // A client that sends requests and never reads the answers: once the socket's buffers are full,
  // the response waits to be written, and after the idle timeout the daemon closes the connection
  // (a response's write has the idle timeout as its deadline), while it serves everyone else.
  const int stuck = ::socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096;
  ASSERT_EQ(::setsockopt(stuck, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);  // before connect: the window
  {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(d.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(stuck, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  const int other = raw_connection(d.port());
  const auto openapi = exchange(other, "/openapi.json");
  ASSERT_EQ(openapi.first, 200);
  std::string pipelined;
  for (int i = 0; i < 256; ++i) pipelined += "GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(stuck, pipelined.data(), pipelined.size()), static_cast<ssize_t>(pipelined.size()));
  std::this_thread::sleep_for(3500ms);  // past the 2 s idle timeout of the blocked write
  const int fresh = raw_connection(d.port());
  EXPECT_EQ(exchange(fresh, "/v2/health/live").first, 200) << "the others are served meanwhile";
  ::close(fresh);
  const timeval wait{5, 0};
  ASSERT_EQ(::setsockopt(stuck, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)), 0);
  size_t got = 0;
  ssize_t n = 0;
  char chunk[65536];
  while ((n = ::read(stuck, chunk, sizeof(chunk))) > 0) got += static_cast<size_t>(n);
  const int read_errno = errno;
  EXPECT_TRUE(n == 0 || read_errno == ECONNRESET)
      << "the connection was not closed (read: " << std::strerror(read_errno) << ")";
  EXPECT_LT(got, 256 * openapi.second.size()) << "every response was written: the client was not cut off";
  ::close(stuck);
  ::close(other);

  Daemon bad;
  EXPECT_FALSE(bad.start(data_dir("bad"), {"--idle-timeout", "0"}, "127.0.0.1:0", "http", 10s));
  EXPECT_THAT(bad.log(), HasSubstr("--idle-timeout: seconds above 0, got 0"));
}

// Open connections cost no thread: 150 prediction streams leave the daemon's thread count as it
// was; past --max-connections a connection gets 503 and is closed.
TEST_F(ServeTest, StreamsCostNoThreadsAndConnectionsOverTheLimitGet503) {
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"--max-connections", "160"})) << d.log();
  ASSERT_TRUE(d.wait_ready(30s));
  const int before = threads_of(d.pid());
  ASSERT_GT(before, 0);
  std::vector<int> streams;
  for (int i = 0; i < 150; ++i) streams.push_back(stalled_subscriber(d.port()));
  // The count is watched over one kept-alive connection: a connection per question would leave
  // closing ones in the count, and those would change what the next connection meets.
  const int watcher = raw_connection(d.port());
  auto api_stats = [&] {
    auto [status, body] = exchange(watcher, "/v1/stats");
    EXPECT_EQ(status, 200) << body;
    return status == 200 ? json::parse(body)["api"] : json::object();
  };
  ASSERT_TRUE(eventually([&] { return api_stats().value("subscribers", 0) == 150; }, 30s));
  EXPECT_EQ(threads_of(d.pid()), before);
  // Every earlier connection gone: 150 streams and the watcher.
  ASSERT_TRUE(eventually([&] { return api_stats().value("openConnections", 0) == 151; }, 30s));
  // 150 streams, the watcher and 9 idle connections reach the limit of 160.
  std::vector<int> idle;
  for (int i = 0; i < 9; ++i) idle.push_back(raw_connection(d.port()));
  ASSERT_TRUE(eventually([&] { return api_stats().value("openConnections", 0) == 160; }, 10s));
  EXPECT_EQ(api_stats().value("rejectedConnections", -1), 0);
  // The next connection is refused, with a 503 that says why.
  auto [status, refused] = d.call("GET", "/v2/health/live");
  EXPECT_EQ(status, 503);
  ASSERT_TRUE(refused.is_object()) << refused;
  EXPECT_THAT(refused["error"]["message"].get<std::string>(), HasSubstr("too many open connections"));
  // The connections already open are served as before.
  EXPECT_EQ(api_stats().value("rejectedConnections", -1), 1);
  ::close(watcher);
  for (int fd : idle) ::close(fd);
  for (int fd : streams) ::close(fd);
  // Once they are gone, requests pass again.
  EXPECT_TRUE(eventually([&] { return d.call("GET", "/v2/health/live").first == 200; }, 10s));
  EXPECT_EQ(d.stop(), 0);
}

// A damaged store stops the daemon at start, naming the file; it is left as it was.
TEST_F(ServeTest, ADamagedStoreIsReportedNotReplaced) {
  const std::string state = data_dir("state");
  {
    Daemon d;
    ASSERT_TRUE(d.start(state)) << d.log();
    ASSERT_EQ(d.call("POST", "/v1/apply", looping_quickstart()).first, 200);
    EXPECT_EQ(d.stop(), 0);
  }
  // Half the file, as a disk that lost its tail would leave it.
  const std::string db = state + "/state.db";
  const std::string whole = file_contents(db);
  std::filesystem::remove(state + "/state.db-wal");
  std::ofstream(db, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() / 2);
  const std::string damaged = file_contents(db);
  Daemon d;
  EXPECT_FALSE(d.start(state, {}, "127.0.0.1:0", "http", 20s));
  EXPECT_THAT(d.log(), HasSubstr("state.db"));
  EXPECT_THAT(d.log(), HasSubstr("error: "));
  EXPECT_EQ(file_contents(db), damaged);  // nothing replaced
}

// A sensor that cannot connect makes the daemon unready, unless its document allows it to be
// degraded: then /v2/health/ready is 200 and lists it under "degraded". The microphone of the voice
// pipeline names a PulseAudio server that does not exist.
TEST_F(ServeTest, ASensorAllowedToBeDegradedLeavesTheDaemonReady) {
  auto voice = [&](bool allow) {
    std::string docs = voice_quickstart("");
    const std::string file_sensor = "  driver: audio-file\n  path: samples:demo/speech.wav\n";
    const size_t at = docs.find(file_sensor);
    EXPECT_NE(at, std::string::npos);
    return docs.replace(at, file_sensor.size(),
                        fmt::format("  driver: microphone\n  server: unix:{}/no-pulse/native\n"
                                    "  reconnect: {{initialDelay: 0.2, maxDelay: 0.2}}\n{}",
                                    dir_.path().string(), allow ? "  allowDegraded: true\n" : ""));
  };
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"))) << d.log();
  ASSERT_TRUE(d.wait_ready(30s));
  auto [applied, body] = d.call("POST", "/v1/apply", voice(false));
  ASSERT_EQ(applied, 200) << body;
  ASSERT_TRUE(eventually(
      [&] {
        auto [status, ready] = d.call("GET", "/v2/health/ready");
        return status == 503 && ready["reasons"].dump().find("Sensor/speech is reconnecting") != std::string::npos;
      },
      20s))
      << d.call("GET", "/v2/health/ready").second.dump();
  ASSERT_EQ(d.call("POST", "/v1/apply", voice(true)).first, 200);
  ASSERT_TRUE(eventually(
      [&] {
        auto [status, ready] = d.call("GET", "/v2/health/ready");
        return status == 200 && ready["degraded"].dump().find("Sensor/speech is reconnecting") != std::string::npos;
      },
      20s))
      << d.call("GET", "/v2/health/ready").second.dump();
  auto [status, ready] = d.call("GET", "/v2/health/ready");
  EXPECT_EQ(ready["reasons"], json::array()) << ready.dump();
  EXPECT_EQ(d.stop(), 0);
}

// Which of `libraries` the process has mapped (/proc/<pid>/maps).
std::set<std::string> mapped(pid_t pid, const std::vector<std::string>& libraries) {
  const std::string maps = file_contents("/proc/" + std::to_string(pid) + "/maps");
  std::set<std::string> out;
  for (const auto& l : libraries) {
    if (maps.find("/" + l) != std::string::npos) out.insert(l);
  }
  return out;
}

// An idle daemon maps no engine and none of the image and video libraries; an audio pipeline
// brings its engine only; an image sensor brings the media plugin, and with it OpenCV's codecs.
TEST_F(ServeTest, AnIdleDaemonMapsOnlyWhatItsDocumentsNeed) {
  const std::vector<std::string> libs = {"libonnxruntime.so", "libsensix-media.so", "libopencv_imgcodecs.so",
                                         "libopencv_videoio.so", "libavcodec.so"};
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"))) << d.log();
  ASSERT_TRUE(d.wait_ready(30s));
  EXPECT_EQ(mapped(d.pid(), libs), std::set<std::string>{});
  ASSERT_EQ(d.call("POST", "/v1/apply", voice_quickstart("")).first, 200);
  EXPECT_EQ(mapped(d.pid(), libs), std::set<std::string>{"libonnxruntime.so"});
  auto [status, applied] = d.call("POST", "/v1/apply", looping_quickstart());
  ASSERT_EQ(status, 200) << applied;
  EXPECT_EQ(mapped(d.pid(), libs), std::set<std::string>(libs.begin(), libs.end()));
  EXPECT_EQ(d.stop(), 0);
}

// A daemon serves requests for months: a connection, once closed, leaves nothing behind (a closed
// session's bookkeeping once kept about a kilobyte per connection).
TEST_F(ServeTest, ManyConnectionsLeaveNoMemoryBehind) {
  // Under AddressSanitizer, freed memory waits in a quarantine (256 MB) before it is reused: none,
  // so that the daemon's resident memory shows what it keeps (harmless in other builds).
  ScopedEnv asan("ASAN_OPTIONS", "quarantine_size_mb=0:thread_local_quarantine_size_kb=0");
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"))) << d.log();
  api::HttpClient c = d.client();
  auto requests = [&](int n) {
    for (int i = 0; i < n; ++i) ASSERT_EQ(c.request("GET", "/v2/health/live")->status, 200);
  };
  requests(2000);  // the allocator's pools and the server's lists at their working size
  const int64_t before = rss_kib_of(d.pid());
  requests(10000);
  const int64_t after = rss_kib_of(d.pid());
  EXPECT_LT(after - before, 2048) << before << " KiB -> " << after << " KiB over 10000 connections";
  EXPECT_EQ(d.stop(), 0);
}

// -f: files applied at start, after the stored documents (trusted: a file outside the daemon's
// folders may be named), stored like any apply.
TEST_F(ServeTest, FilesGivenAtStartAreAppliedAndStored) {
  const std::string docs = (dir_.path() / "voice.yaml").string();
  const std::string outside = (dir_.path() / "speech.wav").string();
  std::filesystem::copy_file(sample_file("demo/speech.wav"), outside);
  std::string text = voice_quickstart("  replay: {loop: true, speed: 2}\n");
  const size_t at = text.find("samples:demo/speech.wav");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::string("samples:demo/speech.wav").size(), outside);
  std::ofstream(docs) << text;
  Daemon d;
  ASSERT_TRUE(d.start(data_dir("state"), {"-f", docs})) << d.log();
  // Ready only once the files run.
  ASSERT_TRUE(d.wait_ready(60s)) << d.log();
  EXPECT_EQ(d.call("GET", "/v1/models").second["items"].size(), 6u);
  ASSERT_TRUE(eventually([&] { return model_runs(d, "hey-jarvis") > 5; }, 60s)) << d.log();
  auto [st, stored] = d.call("GET", "/v1/documents/sensor/speech");
  ASSERT_EQ(st, 200);
  EXPECT_THAT(stored["text"].get<std::string>(), HasSubstr(outside));
  EXPECT_EQ(d.stop(), 0);
}

}  // namespace
}  // namespace sensix::testing
