// The real daemon for tests and benchmarks: `sensix serve` (the binary next to the tests) started on
// a free port with its own data directory, and a client of its API.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http_client.h"
#include "support/child_process.h"

namespace sensix::testing {

class Daemon {
 public:
  struct Options {
    std::string data_dir;            // required
    std::vector<std::string> extra;  // more arguments (--token-file ..., -f ...)
    std::string listen = "127.0.0.1:0";
    std::string scheme = "http";  // "https" with --tls-cert
  };
  Daemon() = default;
  ~Daemon() { stop(); }

  // Starts it and waits (up to `timeout`) for its "listening on URL" line. False (with the log
  // in `error()`) when it exits or says nothing.
  // `extra`: more arguments (--token-file ..., -f ...); `scheme` "https" with --tls-cert.
  bool start(const std::string& data_dir, const std::vector<std::string>& extra = {},
             const std::string& listen = "127.0.0.1:0", const std::string& scheme = "http",
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // KEY=VALUE variables added to the environment of the next start() (SENSIX_TEST_CRASH_AT=...).
  void set_env(std::vector<std::string> vars) { env_ = std::move(vars); }
  // Waits for it to exit by itself (a crash hook): its exit code, 128 + its signal, or -1.
  int wait_exit(std::chrono::milliseconds timeout);
  // SIGTERM (or `sig`) and the exit code (-1: it had to be killed).
  int stop(int sig = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void kill_now() { process_.kill_now(); }
  pid_t pid() const { return process_.pid(); }

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  std::string log() const;
  const std::string& log_path() const { return log_; }

  // A client of it (token and CA as given).
  api::HttpClient client(const std::string& token = "", const std::string& ca_file = "") const;
  // One request; the status and the body as JSON (null when it is not JSON). A failed connection
  // fails the test.
  std::pair<int, nlohmann::json> call(const std::string& method, const std::string& target,
                                      const std::string& body = "", const std::string& token = "") const;
  // Waits until /v2/health/ready answers 200.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;

 private:
  ChildProcess process_;
  std::vector<std::string> env_;
  std::string log_;
  std::string url_;
  int port_ = 0;
  bool running_ = false;
};

// The quickstart's documents, with every file sensor looping at `speed` and a buffer of a second
// or more (a stalled graph would drop, counted).
std::string looping_quickstart(double speed = 2.0);
// The quickstart's voice documents (no camera), each Sensor's spec starting with `sensor_spec`
// (e.g. "  replay: {speed: 0}\n").
std::string voice_quickstart(const std::string& sensor_spec);
// A whole file.
std::string file_contents(const std::string& path);
// Runs the CLI against `d`: its exit code, and stdout + stderr.
// `prefix`: what runs before the command line ("timeout 4 ", "SENSIX_TOKEN=x ").
std::pair<int, std::string> cli(const Daemon& d, const std::string& args, const std::string& prefix = "");
// The process's resident memory (VmRSS of /proc/PID/status), in KiB; -1 when it is gone.
int64_t rss_kib_of(pid_t pid);

// `bytes` in base64 (a BYTES element of a JSON inference request).
std::string base64(const std::string& bytes);
// [1, 16, 96] float32 values in [-2, 2), the same every run for a seed: a wake-word head's input.
std::vector<float> wake_word_embeddings(unsigned seed);
// The alexa head's score for `values` ([1, 16, 96]) from ONNX Runtime called directly (the
// reference a served answer must equal, bit for bit); NaN, with a test failure, when it cannot run.
float alexa_by_the_engine(const std::vector<float>& values);
// The gRPC address a daemon started with --grpc-listen printed ("grpc listening on 127.0.0.1:PORT"),
// or "".
std::string grpc_address(const std::string& log);
// The document of examples/quickstart.yaml named `name` (a Sensor or a Model), with its comments.
std::string quickstart_document(const std::string& name);
// The quickstart's alexa Model document, named alexa-solo (no pipeline runs it).
std::string solo_alexa_model();

}  // namespace sensix::testing
