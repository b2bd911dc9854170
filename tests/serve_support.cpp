#include "serve_support.h"

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "engines/registry.h"
#include "support/paths.h"
#include "support/wait.h"

namespace sensix::testing {

std::string file_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string looping_quickstart(double speed) {
  std::string text = file_contents(source_path("examples/quickstart.yaml"));
  // Every Sensor's spec gets a looping replay and a buffer of a few seconds.
  const std::string replay = "spec:\n  replay: {loop: true, speed: " + std::to_string(speed) +
                             "}\n  buffer: {capacity: 200}\n";
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t kind = text.find("kind: Sensor", pos);
    if (kind == std::string::npos) break;
    const size_t spec = text.find("spec:\n", kind);
    out += text.substr(pos, spec - pos) + replay;
    pos = spec + 6;
  }
  out += text.substr(pos);
  return out;
}

std::string voice_quickstart(const std::string& sensor_spec) {
  const std::string text = file_contents(source_path("examples/quickstart.yaml"));
  std::string out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find("\n---\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string doc = text.substr(pos, end - pos);
    pos = end + 5;
    const bool vision = doc.find("name: camera") != std::string::npos ||
                        doc.find("sensor: camera") != std::string::npos ||
                        doc.find("name: blazeface") != std::string::npos ||
                        doc.find("name: ssd-oidv4") != std::string::npos;
    if (vision) continue;
    if (doc.find("kind: Sensor") != std::string::npos) {
      const size_t spec = doc.find("spec:\n");
      doc = doc.substr(0, spec + 6) + sensor_spec + doc.substr(spec + 6);
    }
    out += (out.empty() ? "" : "\n---\n") + doc;
  }
  return out;
}

bool Daemon::start(const std::string& data_dir, const std::vector<std::string>& extra, const std::string& listen,
                   const std::string& scheme, std::chrono::milliseconds timeout) {
  log_ = data_dir + ".log";
  std::error_code ec;
  std::filesystem::remove(log_, ec);  // a restart on the same data directory: only this run's lines
  std::vector<std::string> argv;
  if (!env_.empty()) argv.push_back("env");  // the variables on top of this process's environment
  argv.insert(argv.end(), env_.begin(), env_.end());
  for (std::string a : {std::string(SENSIX_BINARY_DIR) + "/sensix", std::string("serve"), std::string("--data-dir"),
                        data_dir, std::string("--listen"), listen}) {
    argv.push_back(std::move(a));
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (!process_.start(argv, log_)) return false;
  running_ = true;
  const std::regex re(R"(listening on (https?)://([^:\s]+|\[[^\]]+\]):(\d+))");
  std::smatch m;
  const bool up = eventually(
      [&] {
        const std::string text = log();
        if (std::regex_search(text, m, re)) return true;
        return !process_.running();
      },
      timeout);
  const std::string text = log();
  if (!up || !std::regex_search(text, m, re)) return false;
  port_ = std::stoi(m[3].str());
  url_ = scheme + "://127.0.0.1:" + m[3].str();
  return true;
}

int Daemon::wait_exit(std::chrono::milliseconds timeout) {
  if (!running_) return -1;
  const int rc = process_.wait(timeout);
  if (rc != -1) running_ = false;
  return rc;
}

int Daemon::stop(int sig, std::chrono::milliseconds timeout) {
  if (!running_) return -1;
  running_ = false;
  if (!process_.running()) return process_.wait(std::chrono::milliseconds(100));
  ::kill(process_.pid(), sig);
  return process_.wait(timeout);
}

std::string Daemon::log() const { return read_text(log_); }

api::HttpClient Daemon::client(const std::string& token, const std::string& ca_file) const {
  api::ClientOptions o;
  o.server = url_;
  o.token = token;
  o.ca_file = ca_file;
  o.timeout = std::chrono::seconds(300);
  auto c = api::HttpClient::create(o);
  EXPECT_TRUE(c.ok()) << c.status();
  return std::move(c).value();
}

std::pair<int, nlohmann::json> Daemon::call(const std::string& method, const std::string& target,
                                            const std::string& body, const std::string& token) const {
  auto r = client(token).request(method, target, body, method == "POST" ? "application/yaml" : "application/json");
  EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.status() << "\n" << log();
  if (!r.ok()) return {0, nullptr};
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) j = r->body;
  return {r->status, j};
}

bool Daemon::wait_ready(std::chrono::milliseconds timeout) const {
  return eventually(
      [&] {
        auto r = client().request("GET", "/v2/health/ready");
        return r.ok() && r->status == 200;
      },
      timeout);
}

std::vector<float> wake_word_embeddings(unsigned seed) {
  std::vector<float> v(16 * 96);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-2.0f, 2.0f);
  for (float& x : v) x = d(rng);
  return v;
}

float alexa_by_the_engine(const std::vector<float>& values) {
  static EngineRegistry engines;
  static auto session = [&]() -> Result<std::unique_ptr<Session>> {
    auto ort = engines.get("onnxruntime");
    if (!ort.ok()) return ort.status();
    return (*ort)->load(model_file("openwakeword/alexa_v0.1.onnx"), SessionOptions{1});
  }();
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok()) return std::numeric_limits<float>::quiet_NaN();
  const Tensor in = Tensor::from_values<float>({1, 16, 96}, values);
  const Tensor* inputs[] = {&in};
  const int want[] = {0};
  std::vector<Tensor> out;
  const Status s = (*session)->run(inputs, want, &out);
  EXPECT_TRUE(s.ok()) << s;
  return s.ok() ? out[0].values<float>()[0] : std::numeric_limits<float>::quiet_NaN();
}

std::pair<int, std::string> cli(const Daemon& d, const std::string& args, const std::string& prefix) {
  const std::string cmd = prefix + std::string(SENSIX_BINARY_DIR) + "/sensix " + args + " --server " + d.url() +
                          " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

int64_t rss_kib_of(pid_t pid) {
  const std::string status = file_contents("/proc/" + std::to_string(pid) + "/status");
  const size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stoll(status.substr(at + 6));
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string quickstart_document(const std::string& name) {
  const std::string quickstart = file_contents(source_path("examples/quickstart.yaml"));
  const size_t at = quickstart.find("  name: " + name + "\n");
  EXPECT_NE(at, std::string::npos) << name;
  if (at == std::string::npos) return "";
  const size_t begin = quickstart.rfind("apiVersion:", at);
  const size_t end = quickstart.find("\n---\n", at);
  return quickstart.substr(begin, end == std::string::npos ? std::string::npos : end - begin) + "\n";
}

std::string solo_alexa_model() {
  std::string model = quickstart_document("alexa");
  model.replace(model.find("name: alexa"), 11, "name: alexa-solo");
  return model;
}

std::string grpc_address(const std::string& log) {
  std::smatch m;
  static const std::regex re(R"(grpc listening on (127\.0\.0\.1:\d+))");
  return std::regex_search(log, m, re) ? m[1].str() : "";
}

}  // namespace sensix::testing
