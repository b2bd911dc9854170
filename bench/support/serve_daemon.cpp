#include "support/serve_daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "suite/machine.h"

extern char** environ;

namespace sensix::bench {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  return static_cast<bool>(f);
}

pid_t spawn_logged(const std::vector<std::string>& args, const std::string& log,
                   const std::vector<std::string>& env_extra, std::string* error) {
  std::vector<std::string> strings(args), env(env_extra);
  std::vector<char*> argv, envp;
  for (auto& a : strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    *error = fmt::format("cannot start {}: {}", args.at(0), std::strerror(rc));
    return -1;
  }
  return pid;
}

bool ServeDaemon::start(const std::string& data_dir, const std::vector<std::string>& extra) {
  log_ = data_dir + ".log";
  std::error_code ec;
  fs::remove(log_, ec);
  std::vector<std::string> args = {sensix_, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  spawned_ = Clock::now();
  pid_ = spawn_logged(args, log_, {}, &error_);
  if (pid_ <= 0) return false;
  const std::regex re(R"(listening on http://127\.0\.0\.1:(\d+))");
  while (since(spawned_) < 60) {
    const std::string text = read_file(log_);
    std::smatch m;
    if (std::regex_search(text, m, re)) {
      listening_s_ = since(spawned_);
      url_ = "http://127.0.0.1:" + m[1].str();
      api::ClientOptions o;
      o.server = url_;
      o.timeout = std::chrono::seconds(600);
      auto c = api::HttpClient::create(o);
      if (!c.ok()) {
        error_ = c.status().message();
        return false;
      }
      client_ = std::make_unique<api::HttpClient>(std::move(c).value());
      return true;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "the daemon exited before listening:\n" + text;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  error_ = "no \"listening on\" line within 60 s:\n" + read_file(log_);
  return false;
}

double ServeDaemon::wait_ready(double timeout_s) const {
  const auto t0 = Clock::now();
  while (since(t0) < timeout_s) {
    auto r = client_->request("GET", "/v2/health/ready");
    if (r.ok() && r->status == 200) return since(spawned_);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

int ServeDaemon::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto t0 = Clock::now();
  int status = 0;
  int code = -1;
  while (true) {
    const pid_t w = ::waitpid(pid_, &status, WNOHANG);
    if (w == pid_) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (since(t0) > 40) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  return code;
}

std::pair<int, json> ServeDaemon::call(const std::string& method, const std::string& target, const std::string& body,
                                       const std::string& content_type) const {
  const std::string type = !content_type.empty() ? content_type
                           : method == "POST"    ? "application/yaml"
                                                 : "application/json";
  auto r = client_->request(method, target, body, type);
  if (!r.ok()) return {0, json(r.status().message())};
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) j = r->body;
  return {r->status, j};
}

Result<api::ClientResponse> ServeDaemon::request(const std::string& method, const std::string& target,
                                                 const std::string& body, const std::string& content_type,
                                                 const std::map<std::string, std::string>& headers) const {
  return client_->request(method, target, body, content_type, headers);
}

std::string quickstart_with(const std::string& quickstart, const std::string& sensor_spec, bool voice_only) {
  std::string out;
  size_t pos = 0;
  while (pos <= quickstart.size()) {
    size_t end = quickstart.find("\n---\n", pos);
    if (end == std::string::npos) end = quickstart.size();
    std::string doc = quickstart.substr(pos, end - pos);
    pos = end + 5;
    const bool vision = doc.find("name: camera") != std::string::npos ||
                        doc.find("name: blazeface") != std::string::npos ||
                        doc.find("name: ssd-oidv4") != std::string::npos ||
                        doc.find("name: vision") != std::string::npos;
    if (voice_only && vision) continue;
    if (doc.find("kind: Sensor") != std::string::npos) {
      const size_t spec = doc.find("spec:\n");
      doc = doc.substr(0, spec + 6) + sensor_spec + doc.substr(spec + 6);
    }
    out += (out.empty() ? "" : "\n---\n") + doc;
  }
  return out;
}

std::string document_named(const std::string& documents, const std::string& name) {
  const size_t at = documents.find("  name: " + name + "\n");
  if (at == std::string::npos) return "";
  const size_t begin = documents.rfind("apiVersion:", at);
  const size_t end = documents.find("\n---\n", at);
  return documents.substr(begin, end == std::string::npos ? std::string::npos : end - begin) + "\n";
}

// "Key:   123 kB" of /proc/PID/status, in bytes (0 when gone).
int64_t proc_status_bytes(pid_t pid, const std::string& key) {
  return proc_kb_field(fmt::format("/proc/{}/status", pid), key);
}

// utime + stime of /proc/PID/stat, in seconds.
double proc_cpu_seconds(pid_t pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  std::getline(f, stat);
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

uint64_t model_runs(const ServeDaemon& d, const std::string& model) {
  auto [status, j] = d.call("GET", "/v1/models/" + model);
  return status == 200 ? j.value("runs", uint64_t{0}) : 0;
}

bool wait_first_run(const ServeDaemon& d, const std::string& model, double timeout_s) {
  const auto t0 = Clock::now();
  while (since(t0) < timeout_s) {
    if (model_runs(d, model) >= 1) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

Losses losses_now(const ServeDaemon& d) {
  Losses l;
  auto [s1, sensors] = d.call("GET", "/v1/sensors");
  if (s1 == 200) {
    for (const auto& s : sensors["items"]) {
      l.dropped += s.value("dropped", uint64_t{0});
      l.late += s.value("late", uint64_t{0});
    }
  }
  auto [s2, models] = d.call("GET", "/v1/models");
  if (s2 == 200) {
    for (const auto& m : models["items"]) {
      const uint64_t sk = m.value("skipped", uint64_t{0});
      l.skipped += sk;
      l.errors += m.value("errors", uint64_t{0});
      l.skipped_by_model[m.value("name", "")] = sk;
    }
  }
  return l;
}

std::string last_lines(const std::string& text, int n) {
  size_t pos = text.size();
  for (int i = 0; i < n && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
  }
  return text.substr(pos);
}

}  // namespace sensix::bench
