// ServeDaemon: `sensix serve` as a child process, for the benchmarks that measure the daemon from
// outside (serve_bench.cpp, inference_bench.cpp): spawned on a data directory and a free loopback
// port, its log in DATA_DIR.log, asked over its HTTP API, stopped with SIGTERM.
//
// Thread-safety: call() and request() from any thread (each on its own connection); the rest from
// one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http_client.h"

namespace sensix::bench {

// The whole file ("" when it cannot be read).
std::string read_file(const std::string& path);
// Writes `text` as the whole file; false when it cannot.
bool write_file(const std::string& path, const std::string& text);

// Spawns `args` (the program found on PATH) with stdin from /dev/null, stdout and stderr to `log`
// (truncated), and this process's environment plus `env_extra` (KEY=VALUE, first); the pid, or -1
// with the reason in `*error`.
pid_t spawn_logged(const std::vector<std::string>& args, const std::string& log,
                   const std::vector<std::string>& env_extra, std::string* error);

// The quickstart's documents (`quickstart`: the text of examples/quickstart.yaml), each Sensor's
// spec starting with `sensor_spec`; `voice_only` leaves the camera, its models and its pipeline out.
std::string quickstart_with(const std::string& quickstart, const std::string& sensor_spec, bool voice_only);
// The document of `documents` (YAML, separated by "---" lines) whose metadata names `name`; "" when none.
std::string document_named(const std::string& documents, const std::string& name);

// "Key:   123 kB" of /proc/PID/status, in bytes (0 when gone).
int64_t proc_status_bytes(pid_t pid, const std::string& key);
// utime + stime of /proc/PID/stat, in seconds.
double proc_cpu_seconds(pid_t pid);
// The last `n` lines of `text`.
std::string last_lines(const std::string& text, int n);

class ServeDaemon {
 public:
  // `sensix`: the path of the binary to run.
  explicit ServeDaemon(std::string sensix) : sensix_(std::move(sensix)) {}
  ServeDaemon(const ServeDaemon&) = delete;
  ServeDaemon& operator=(const ServeDaemon&) = delete;
  ~ServeDaemon() { stop(); }

  // Spawns `sensix serve` on `data_dir` (a free port) and waits for its "listening on" line;
  // listening_s: seconds from spawn to that line. False with error() when it does not come.
  bool start(const std::string& data_dir, const std::vector<std::string>& extra = {});
  // Polls /v2/health/ready every 5 ms until 200; the seconds from spawn (-1: not within `timeout_s`).
  double wait_ready(double timeout_s = 180) const;
  // SIGTERM and wait (40 s, then SIGKILL); the exit code, or -1.
  int stop();

  // One request: status and JSON body (a string when not JSON; status 0 when unreachable). POST
  // bodies are YAML documents (application/yaml) unless `content_type` says otherwise.
  std::pair<int, nlohmann::json> call(const std::string& method, const std::string& target,
                                      const std::string& body = "", const std::string& content_type = "") const;
  // One request as it is: any body and headers.
  Result<api::ClientResponse> request(const std::string& method, const std::string& target, const std::string& body,
                                      const std::string& content_type,
                                      const std::map<std::string, std::string>& headers = {}) const;

  pid_t pid() const { return pid_; }
  double listening_s() const { return listening_s_; }
  const std::string& url() const { return url_; }
  const std::string& error() const { return error_; }
  std::string log() const { return read_file(log_); }

 private:
  std::string sensix_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point spawned_;
  double listening_s_ = 0;
  std::string log_, url_, error_;
  std::unique_ptr<api::HttpClient> client_;
};

// GET /v1/models/NAME's `runs` (0 when it answers otherwise).
uint64_t model_runs(const ServeDaemon& d, const std::string& model);
// Polls GET /v1/models/NAME every 5 ms until runs >= 1; false after `timeout_s`.
bool wait_first_run(const ServeDaemon& d, const std::string& model, double timeout_s);

// What the sensors and models lost so far: /v1/sensors' dropped and late, /v1/models' skipped and errors.
struct Losses {
  uint64_t dropped = 0, late = 0, skipped = 0, errors = 0;
  std::map<std::string, uint64_t> skipped_by_model;
};
Losses losses_now(const ServeDaemon& d);

}  // namespace sensix::bench
