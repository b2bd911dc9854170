// Deploy benchmark: continuous deployment on the device daemon (`sensix serve`, the real binary of
// this build run as a child process), measured from outside, in five parts, each repeated --repeat
// times and reported as median (min-max):
//
// 1. Upgrade time per model, with the quickstart and six photo sensors running: each of the
//    eighteen models of examples/ (the quickstart's eight, the zoo's ten others) goes to a new
//    version (its document at another `version`: the same file, so the figures are the mechanism's,
//    not a download's) by the default strategy (loaded, warmed up and switched in place beside the
//    running version) and by stopThenStart (the running version unloaded first, its baseline: what
//    a device without room for both does, and what a restart-based deployment does): the POST
//    /v1/apply call, apply -> the new version's first run, and the model's inputs not run meanwhile.
// 2. Losses during upgrades under load: the quickstart's sensors in real time and a steady request
//    load (the speech recording as WAV to Silero VAD, embeddings to hey_jarvis) while Silero VAD
//    goes 5 -> 6 -> 5 (its real next release, examples/deploy/silero-vad-v6.yaml, state carried)
//    and hey_jarvis to new versions, --upgrades times; against the same time without upgrades on
//    the same daemon: failed requests, frames dropped or late, inputs skipped, model errors.
// 3. The high-priority wake-word chain (100 ms objective) during upgrades of another model: its
//    end-to-end p99 and deadline misses over --seconds in a fresh daemon, quiet against upgrading
//    SSD (the quickstart's slowest model) over and over.
// 4. Memory peak during an upgrade: the daemon's VmHWM over one upgrade (reset through
//    /proc/PID/clear_refs) against its VmRSS before, per strategy, for the largest models.
// 5. RSS over upgrade/undo cycles: Silero VAD 5 -> 6, then `POST /v1/rollouts/silero-vad/undo`
//    back to 5, --cycles times; VmRSS after 10 cycles against after all (goal: within 5%), against
//    the bare engine swapping the same files (bare_swaps.cpp), and again with Silero VAD in a worker
//    process (isolation: process: the daemon's VmRSS and its workers' RSS from smaps_rollup, together).
//
//   sensix_bench_deploy [--repeat 3] [--upgrades 20] [--seconds 20] [--cycles 1000] [--parts 1,2,3,4,5]
//                       [--report FILE] [--smoke]
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/paths.h"
#include "suite/machine.h"
#include "suite/spread.h"
#include "support/parts.h"
#include "support/serve_daemon.h"
#include "support/zoo_documents.h"

#ifndef SENSIX_SOURCE_DIR
#error "SENSIX_SOURCE_DIR must point at the source tree (examples/)"
#endif
#ifndef SENSIX_BINARY_DIR
#error "SENSIX_BINARY_DIR must point at the build tree (the sensix binary)"
#endif

namespace sensix {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using bench::format_spread;
using bench::mb;
using bench::proc_status_bytes;
using bench::read_file;
using bench::ServeDaemon;
using bench::since;
using bench::sleep_s;
using bench::Spread;
using bench::spread_of;

struct Options {
  int repeat = 3;
  int upgrades = 20;
  int seconds = 20;
  int cycles = 1000;
  std::vector<int> parts = {1, 2, 3, 4, 5};
  bool smoke = false;
  std::string report;
};

std::string source_file(const std::string& rel) { return read_file(std::string(SENSIX_SOURCE_DIR) + "/" + rel); }
std::string sensix_binary() { return std::string(SENSIX_BINARY_DIR) + "/sensix"; }

const char* const kStopFirst = "  rollout: {strategy: stopThenStart}";

// The sha256 a document of `documents` (Model/name) declares.
std::string sha_of(const std::string& documents, const std::string& name) {
  std::smatch m;
  const std::string doc = bench::document_named(documents, name);
  return std::regex_search(doc, m, std::regex(R"(sha256: ([0-9a-f]{64}))")) ? m[1].str() : std::string();
}

// `doc` (one Model document) at `version`, with `rollout` (a line of its spec, or "").
std::string model_at(const std::string& doc, const std::string& version, const std::string& rollout) {
  static const std::regex kVersion("\n  version: [^\n]*");
  std::string out = doc;
  const std::string line = fmt::format("\n  version: \"{}\"", version) + (rollout.empty() ? "" : "\n" + rollout);
  std::smatch m;
  if (std::regex_search(out, m, kVersion)) {
    out.replace(static_cast<size_t>(m.position(0)), static_cast<size_t>(m.length(0)), line);
  } else if (const size_t at = out.find("\nspec:"); at != std::string::npos) {
    out.insert(at + 6, line);
  }
  return out;
}

// GET /v1/models/NAME (null when it does not answer 200).
json model_info(const ServeDaemon& d, const std::string& model) {
  auto [status, j] = d.call("GET", "/v1/models/" + model);
  return status == 200 ? j : json();
}

// Polls /v1/models/NAME every 5 ms until it runs `version` and has run once; false after `timeout_s`.
bool wait_serving(const ServeDaemon& d, const std::string& model, const std::string& version, double timeout_s) {
  const auto t0 = Clock::now();
  while (since(t0) < timeout_s) {
    const json m = model_info(d, model);
    if (m.is_object() && m.value("version", "") == version && m.value("runs", uint64_t{0}) >= 1) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// A steady request load: each client sends its request, waits for the answer, pauses `gap_ms`, and
// again, until stopped; every answer but a 200 is a failure, kept with its body.
class RequestLoad {
 public:
  struct Client {
    std::string model, body, content_type;
    std::map<std::string, std::string> headers;
  };
  RequestLoad(const ServeDaemon& d, std::vector<Client> clients, int gap_ms) : d_(d), clients_(std::move(clients)) {
    for (const Client& c : clients_) {
      threads_.emplace_back([this, &c, gap_ms] {
        while (!stop_) {
          auto r = d_.request("POST", "/v2/models/" + c.model + "/infer", c.body, c.content_type, c.headers);
          if (r.ok() && r->status == 200) {
            ++ok_;
          } else {
            ++failed_;
            std::lock_guard<std::mutex> lock(mu_);
            last_error_ = c.model + ": " + (r.ok() ? fmt::format("{} {}", r->status, r->body) : r.status().message());
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
        }
      });
    }
  }
  ~RequestLoad() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  uint64_t ok() const { return ok_; }
  uint64_t failed() const { return failed_; }
  std::string last_error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_error_;
  }

 private:
  const ServeDaemon& d_;
  std::vector<Client> clients_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ok_{0}, failed_{0};
  mutable std::mutex mu_;
  std::string last_error_;
};

// A KServe v2 request with one BYTES input of raw media after the JSON header (binary extension).
RequestLoad::Client media_client(const std::string& model, const std::string& input, const std::string& type,
                                 const std::string& bytes) {
  const std::string header =
      json{{"inputs",
            {{{"name", input},
              {"shape", {1}},
              {"datatype", "BYTES"},
              {"parameters", {{"content_type", type}, {"binary_data_size", 4 + bytes.size()}}}}}}}
          .dump();
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  return {model,
          header + std::string(reinterpret_cast<const char*>(&n), 4) + bytes,
          "application/octet-stream",
          {{"Inference-Header-Content-Length", std::to_string(header.size())}}};
}

// A KServe v2 JSON request with one FP32 tensor of `shape`, every value `v`.
RequestLoad::Client tensor_client(const std::string& model, const std::string& input, const std::vector<int>& shape,
                                  float v) {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  const json body = {
      {"inputs", {{{"name", input}, {"shape", shape}, {"datatype", "FP32"}, {"data", std::vector<float>(n, v)}}}}};
  return {model, body.dump(), "application/json", {}};
}

class DeployBench {
 public:
  explicit DeployBench(Options o) : opt_(std::move(o)) {}

  int run() {
    machine_ = bench::describe_machine(SENSIX_SOURCE_DIR);
    work_ = (fs::temp_directory_path() / fmt::format("sensix-deploy-bench-{}", ::getpid())).string();
    fs::create_directories(work_);
    quickstart_ = source_file("examples/quickstart.yaml");
    const auto t0 = Clock::now();
    const std::string load0 = bench::load_average();
    const std::vector<bench::Part> all = {
        {"upgrade time per model", [this] { return part_upgrade_time(); }},
        {"losses during upgrades under load", [this] { return part_losses(); }},
        {"the wake-word chain during upgrades", [this] { return part_chain(); }},
        {"memory peak during an upgrade", [this] { return part_peak(); }},
        {"RSS over upgrade/undo cycles", [this] { return part_cycles(); }},
    };
    std::vector<bench::Part> parts;
    for (int p : opt_.parts) parts.push_back(all.at(static_cast<size_t>(p - 1)));
    const int measured = bench::run_parts("deploy bench", parts, failure_, &sections_);
    std::string out = bench::report_header(
        machine_, "Deploy benchmark: upgrades on the device daemon (`sensix serve`)",
        "sensix_bench_deploy" +
            (opt_.smoke ? std::string(" --smoke")
                        : fmt::format(" --repeat {} --upgrades {} --seconds {} --cycles {} --parts {}", opt_.repeat,
                                      opt_.upgrades, opt_.seconds, opt_.cycles, fmt::join(opt_.parts, ","))),
        {}, load0, since(t0));
    if (opt_.smoke) out += "A smoke run: every part runs, briefly; its figures are not measurements.\n\n";
    out +=
        "Method: the benchmark runs the real `sensix` binary of the build (`sensix serve --listen 127.0.0.1:0`, "
        "its own data directory per daemon) as a child process and measures it from outside: HTTP requests with "
        "the CLI's client, /proc/PID/status (VmRSS, VmHWM) of the daemon. A new version of a model is its "
        "document at another `version` unless said otherwise (Silero VAD 6 is a real new release). Every figure "
        "is the median (min-max) of its runs. The benchmark's own threads (the pollers, the request clients) "
        "share the machine's cores with the daemon.\n\n";
    out += "## Goals\n\n| goal | figure | met |\n|---|---|---|\n" + goals_ + "\n";
    out += sections_;
    std::error_code ec;
    fs::remove_all(work_, ec);
    std::fputs(out.c_str(), stdout);
    if (!opt_.report.empty() && !bench::write_file(opt_.report, out)) {
      std::fprintf(stderr, "deploy bench: cannot write %s\n", opt_.report.c_str());
      return 1;
    }
    std::printf("Deploy benchmark complete: %d of %zu measured\n", measured, parts.size());
    return measured == static_cast<int>(parts.size()) ? 0 : 2;
  }

 private:
  bool fail(const std::string& why, const ServeDaemon* d = nullptr) {
    failure_ = why;
    if (d != nullptr) failure_ += "\n\n```\n" + bench::last_lines(d->log(), 30) + "\n```";
    std::fprintf(stderr, "deploy bench: %s\n", failure_.c_str());
    return false;
  }
  std::string dir(const std::string& name) const { return work_ + "/" + name; }
  std::string file(const std::string& name, const std::string& text) const {
    const std::string path = work_ + "/" + name;
    bench::write_file(path, text);
    return path;
  }
  void goal(const std::string& what, const std::string& figure, bool met) {
    goals_ += fmt::format("| {} | {} | {} |\n", what, figure, met ? "yes" : "**no**");
  }
  std::string quickstart_with(const std::string& sensor_spec, bool voice_only) const {
    return bench::quickstart_with(quickstart_, sensor_spec, voice_only);
  }
  std::string quickstart_model(const std::string& name) const { return bench::document_named(quickstart_, name); }

  // Applies `doc` (a Model document at `version`) and waits for that version's first run: the
  // apply call's and the first run's seconds from the POST, and whether it was switched in place.
  struct Upgrade {
    double apply_s = 0, serving_s = 0;
    bool switched = false;
  };
  Result<Upgrade> upgrade(const ServeDaemon& d, const std::string& model, const std::string& doc,
                          const std::string& version) {
    Upgrade u;
    const auto t0 = Clock::now();
    auto [status, j] = d.call("POST", "/v1/apply", doc);
    u.apply_s = since(t0);
    if (status != 200) return Internal(fmt::format("apply {} {}: {} {}", model, version, status, j.dump()));
    if (!wait_serving(d, model, version, 120)) {
      return Internal(fmt::format("{} {} did not run within 120 s of its apply", model, version));
    }
    u.serving_s = since(t0);
    const json& sw = j["models"]["switched"];
    u.switched = sw.is_array() && std::find(sw.begin(), sw.end(), model) != sw.end();
    return u;
  }

  // 1. Upgrade time per model.
  bool part_upgrade_time() {
    if (const std::string missing = bench::missing_photo(); !missing.empty()) {
      return fail(missing + " missing (Debian opencv-doc; run scripts/setup)");
    }
    const int fps = 2;
    const std::string base = file("upgrade-base.yaml",
                                  quickstart_with(bench::kLooping, false) + bench::photo_sensors(fps));
    ServeDaemon d(sensix_binary());
    if (!d.start(dir("upgrade"), {"-f", base})) return fail(d.error());
    if (d.wait_ready() < 0) return fail("not ready", &d);
    struct Case {
      std::string model, how, doc, pipeline;  // pipeline: a zoo model's own, applied for its turn only
    };
    std::vector<Case> cases;
    // A smoke run takes one model of each kind: a stream, a feature model, a head, a detector, a
    // model on photos of its own, one on crops.
    const std::set<std::string> smoke = {"silero-vad", "oww-embedding", "hey-jarvis",
                                         "ssd-oidv4",  "ppocr-rec",     "face-mesh"};
    auto wanted = [&](const std::string& m) { return !opt_.smoke || smoke.count(m) > 0; };
    for (const char* m :
         {"silero-vad", "oww-mel", "oww-embedding", "hey-jarvis", "alexa", "hey-mycroft", "blazeface", "ssd-oidv4"}) {
      if (wanted(m)) cases.push_back({m, "the quickstart's", quickstart_model(m), ""});
    }
    for (const auto& c : bench::zoo_cases()) {
      if (wanted(c.model))
        cases.push_back({c.model, c.how, source_file("examples/zoo/" + c.model + ".yaml"), c.pipeline});
    }
    sleep_s(1.0);
    struct Figures {
      std::vector<double> apply_ms, serving_ms, missed;
    };
    std::map<std::string, std::map<bool, Figures>> fig;  // model -> stop first? -> figures
    int not_switched = 0;
    for (const auto& c : cases) {
      if (!c.pipeline.empty()) {
        auto [status, j] = d.call("POST", "/v1/apply", c.doc + c.pipeline);
        if (status != 200) return fail(fmt::format("apply {}: {} {}", c.model, status, j.dump()), &d);
        if (!bench::wait_first_run(d, c.model, 60)) return fail(c.model + ": no run within 60 s", &d);
      }
      for (int r = 0; r < opt_.repeat; ++r) {
        for (bool stop_first : {false, true}) {
          const std::string version = fmt::format("bench-{}-{}", r, stop_first ? "stop" : "replace");
          const json before = model_info(d, c.model);
          auto u = upgrade(d, c.model, model_at(c.doc, version, stop_first ? kStopFirst : ""), version);
          if (!u.ok()) return fail(u.status().message(), &d);
          if (!u->switched) ++not_switched;
          // Inputs the model did not run: skipped by its scheduler, or passed over while it was
          // unloaded. The counts belong to its nodes, which the switch keeps.
          const json after = model_info(d, c.model);
          Figures& f = fig[c.model][stop_first];
          f.apply_ms.push_back(u->apply_s * 1e3);
          f.serving_ms.push_back(u->serving_s * 1e3);
          f.missed.push_back(static_cast<double>(after.value("skipped", uint64_t{0})) -
                             static_cast<double>(before.value("skipped", uint64_t{0})));
        }
      }
      if (!c.pipeline.empty()) {
        auto [s1, j1] = d.call("DELETE", "/v1/documents/pipeline/bench-" + c.model);
        if (s1 != 200) return fail(fmt::format("delete the pipeline of {}: {} {}", c.model, s1, j1.dump()), &d);
        auto [s2, j2] = d.call("DELETE", "/v1/documents/model/" + c.model);
        if (s2 != 200) return fail(fmt::format("delete {}: {} {}", c.model, s2, j2.dump()), &d);
      }
    }
    const Losses l = losses_of(d);
    sections_ += "## 1. Upgrade time per model\n\n";
    sections_ += fmt::format(
        "The quickstart running (speech in real time, its photos at 1 fps; looping) and six photo sensors looping at "
        "{} fps. Each of the eighteen models in turn (the zoo's ten others applied with a pipeline of their own for "
        "their turn, as serve_bench does, and deleted after), {} times: a new version by the default strategy "
        "(`replace`: loaded, warmed up beside the "
        "running version, switched in place between two runs), then another by `stopThenStart` (the running "
        "version unloaded first: what a device without room for both must do, and what a deployment that "
        "restarts the model's service does). (a) the POST /v1/apply call, (b) the POST -> the new version's first "
        "run (GET /v1/models/NAME polled every 5 ms until it shows the new version with `runs` >= 1; a photo model's "
        "next frame comes within 1/{} s), (c) the model's inputs not run in between (its `skipped` before and "
        "after: dropped from its queue, or passed over while it was unloaded).\n\n"
        "| model | how it runs | replace: (a) apply ms | (b) -> serving ms | (c) inputs not run | stopThenStart: "
        "(a) apply ms | (b) -> serving ms | (c) inputs not run |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
        fps, opt_.repeat, fps);
    double missed_replace = 0;
    for (const auto& c : cases) {
      const Figures& a = fig[c.model][false];
      const Figures& b = fig[c.model][true];
      missed_replace += spread_of(a.missed).max;
      sections_ += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", c.model, c.how,
                               format_spread(spread_of(a.apply_ms), 0), format_spread(spread_of(a.serving_ms), 0),
                               format_spread(spread_of(a.missed), 0), format_spread(spread_of(b.apply_ms), 0),
                               format_spread(spread_of(b.serving_ms), 0), format_spread(spread_of(b.missed), 0));
    }
    sections_ += fmt::format(
        "\nEvery upgrade was switched in place: {}. Over the whole part: {} frames dropped and {} late at the "
        "sensors, {} model errors.\n\n",
        not_switched == 0 ? "yes" : fmt::format("**no** ({} were not)", not_switched), l.dropped, l.late, l.errors);
    goal("an upgrade (default strategy) leaves no input of the model unrun, every model",
         fmt::format("{:.0f} not run (sum of the maxima)", missed_replace), missed_replace == 0);
    if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    return true;
  }

  struct Losses {
    uint64_t dropped = 0, late = 0, skipped = 0, errors = 0;
  };
  static Losses losses_of(const ServeDaemon& d) {
    const bench::Losses l = bench::losses_now(d);
    return {l.dropped, l.late, l.skipped, l.errors};
  }

  // 2. Losses during upgrades under load.
  bool part_losses() {
    const std::string base = file("losses-base.yaml", quickstart_with(bench::kLooping, false));
    const std::string wav = read_file(samples_dir() + "/demo/speech.wav");
    if (wav.empty()) return fail("samples: demo/speech.wav missing (run scripts/setup)");
    const std::string v5 = quickstart_model("silero-vad");
    const std::string v6 = source_file("examples/deploy/silero-vad-v6.yaml");
    const std::string jarvis = quickstart_model("hey-jarvis");
    struct Window {
      double seconds = 0;
      uint64_t ok = 0, failed = 0, dropped = 0, late = 0, skipped = 0, errors = 0;
    };
    std::vector<Window> quiet, busy;
    std::string last_error;
    for (int r = 0; r < opt_.repeat; ++r) {
      ServeDaemon d(sensix_binary());
      if (!d.start(dir(fmt::format("losses-{}", r)), {"-f", base})) return fail(d.error());
      if (d.wait_ready() < 0) return fail("not ready", &d);
      sleep_s(2.0);
      auto window = [&](bool upgrading, double seconds) -> Result<Window> {
        RequestLoad load(d,
                         {media_client("silero-vad", "input", "audio/wav", wav),
                          tensor_client("hey-jarvis", "x.1", {1, 16, 96}, 0.5f)},
                         20);
        sleep_s(0.5);
        const Losses l0 = losses_of(d);
        const uint64_t ok0 = load.ok(), failed0 = load.failed();
        const auto t0 = Clock::now();
        if (upgrading) {
          for (int i = 0; i < opt_.upgrades; ++i) {
            const bool to6 = i % 2 == 0;
            auto a = upgrade(d, "silero-vad", to6 ? v6 : v5, to6 ? "6" : "5");
            if (!a.ok()) return a.status();
            const std::string v = fmt::format("0.1-bench-{}-{}", r, i);
            auto b = upgrade(d, "hey-jarvis", model_at(jarvis, v, ""), v);
            if (!b.ok()) return b.status();
          }
        } else {
          sleep_s(seconds);
        }
        Window w;
        w.seconds = since(t0);
        sleep_s(0.5);  // the requests in flight at the end are answered
        load.stop();
        const Losses l1 = losses_of(d);
        w.ok = load.ok() - ok0;
        w.failed = load.failed() - failed0;
        w.dropped = l1.dropped - l0.dropped;
        w.late = l1.late - l0.late;
        w.skipped = l1.skipped - l0.skipped;
        w.errors = l1.errors - l0.errors;
        if (w.failed > 0) last_error = load.last_error();
        return w;
      };
      auto b = window(true, 0);
      if (!b.ok()) return fail(b.status().message(), &d);
      auto q = window(false, b->seconds);
      if (!q.ok()) return fail(q.status().message(), &d);
      busy.push_back(*b);
      quiet.push_back(*q);
      if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    }
    auto of = [](const std::vector<Window>& v, auto f) {
      std::vector<double> x;
      for (const Window& w : v) x.push_back(static_cast<double>(f(w)));
      return spread_of(std::move(x));
    };
    sections_ += fmt::format("## 2. Losses during {} upgrades under load\n\n", 2 * opt_.upgrades);
    sections_ += fmt::format(
        "A fresh daemon per run running the quickstart (speech and photos in real time, looping; eight models), and "
        "two request clients, each sending a request, waiting for its answer and pausing 20 ms: the quickstart's "
        "recording (WAV, {:.0f} KB) to Silero VAD and a [1, 16, 96] embedding (JSON) to hey_jarvis. Upgrading: "
        "{} times Silero VAD 5 -> 6 or 6 -> 5 (examples/deploy/silero-vad-v6.yaml, its real next release, with a "
        "self-test and its state carried; the quickstart's own document back) and hey_jarvis to a new version, "
        "each apply waited for until the new version runs. Quiet: the same time on the same daemon without "
        "upgrades, after. Losses are the differences of /v1/sensors and /v1/models over the window; a failed "
        "request is any answer but 200.\n\n"
        "| figure, per window | upgrading | quiet |\n|---|---:|---:|\n"
        "| seconds | {} | {} |\n| requests answered 200 | {} | {} |\n| requests failed | {} | {} |\n"
        "| frames dropped (sensors) | {} | {} |\n| frames late (sensors) | {} | {} |\n"
        "| inputs skipped (models) | {} | {} |\n| model errors | {} | {} |\n\n",
        static_cast<double>(wav.size()) / 1e3, opt_.upgrades,
        format_spread(of(busy, [](const Window& w) { return w.seconds; }), 1),
        format_spread(of(quiet, [](const Window& w) { return w.seconds; }), 1),
        format_spread(of(busy, [](const Window& w) { return w.ok; }), 0),
        format_spread(of(quiet, [](const Window& w) { return w.ok; }), 0),
        format_spread(of(busy, [](const Window& w) { return w.failed; }), 0),
        format_spread(of(quiet, [](const Window& w) { return w.failed; }), 0),
        format_spread(of(busy, [](const Window& w) { return w.dropped; }), 0),
        format_spread(of(quiet, [](const Window& w) { return w.dropped; }), 0),
        format_spread(of(busy, [](const Window& w) { return w.late; }), 0),
        format_spread(of(quiet, [](const Window& w) { return w.late; }), 0),
        format_spread(of(busy, [](const Window& w) { return w.skipped; }), 0),
        format_spread(of(quiet, [](const Window& w) { return w.skipped; }), 0),
        format_spread(of(busy, [](const Window& w) { return w.errors; }), 0),
        format_spread(of(quiet, [](const Window& w) { return w.errors; }), 0));
    if (!last_error.empty()) sections_ += fmt::format("The last failed request: `{}`.\n\n", last_error);
    const Spread failed = of(busy, [](const Window& w) { return w.failed; });
    const Spread dropped = of(busy, [](const Window& w) { return w.dropped; });
    goal(fmt::format("no request fails and no frame is dropped during {} upgrades under load", 2 * opt_.upgrades),
         fmt::format("{} failed, {} dropped", format_spread(failed, 0), format_spread(dropped, 0)),
         failed.max == 0 && dropped.max == 0);
    return true;
  }

  // 3. The wake-word chain during upgrades of SSD.
  bool part_chain() {
    const std::string base = file("chain-base.yaml", quickstart_with(bench::kLooping, false));
    const std::vector<std::string> chain = {"oww-mel", "oww-embedding", "hey-jarvis", "alexa", "hey-mycroft"};
    const std::string ssd = quickstart_model("ssd-oidv4");
    struct Run {
      double p99_ms = 0, misses = 0, runs = 0, upgrades = 0;
    };
    std::vector<Run> quiet, busy;
    for (int r = 0; r < opt_.repeat; ++r) {
      for (bool upgrading : {false, true}) {
        ServeDaemon d(sensix_binary());
        if (!d.start(dir(fmt::format("chain-{}-{}", r, upgrading)), {"-f", base})) return fail(d.error());
        if (d.wait_ready() < 0) return fail("not ready", &d);
        Run run;
        const auto t0 = Clock::now();
        if (upgrading) {
          for (int i = 0; since(t0) < opt_.seconds; ++i) {
            const std::string v = fmt::format("bench-{}", i);
            auto u = upgrade(d, "ssd-oidv4", model_at(ssd, v, ""), v);
            if (!u.ok()) return fail(u.status().message(), &d);
            ++run.upgrades;
          }
        } else {
          sleep_s(opt_.seconds);
        }
        auto [status, stats] = d.call("GET", "/v1/stats");
        if (status != 200 || !stats.contains("models")) return fail("GET /v1/stats: " + stats.dump(), &d);
        for (const json& m : stats["models"]) {
          const std::string name = m.value("name", "");
          if (std::find(chain.begin(), chain.end(), name) == chain.end()) continue;
          run.misses += m.contains("scheduling") ? m["scheduling"].value("deadlineMisses", 0.0) : 0.0;
          if (name == "hey-jarvis") {
            run.p99_ms = m.value("endToEndP99Ms", 0.0);
            run.runs = m.value("runs", 0.0);
          }
        }
        if (run.runs == 0) return fail("hey-jarvis did not run", &d);
        if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
        (upgrading ? busy : quiet).push_back(run);
      }
    }
    auto of = [](const std::vector<Run>& v, auto f) {
      std::vector<double> x;
      for (const Run& w : v) x.push_back(f(w));
      return spread_of(std::move(x));
    };
    const Spread p99_quiet = of(quiet, [](const Run& x) { return x.p99_ms; });
    const Spread p99_busy = of(busy, [](const Run& x) { return x.p99_ms; });
    const Spread misses_busy = of(busy, [](const Run& x) { return x.misses; });
    sections_ += "## 3. The wake-word chain during upgrades of another model\n\n";
    sections_ += fmt::format(
        "A fresh daemon per run running the quickstart (speech and photos in real time, looping): the wake-word "
        "chain mel -> embedding -> three heads at high priority with a 100 ms objective, Silero VAD, BlazeFace, and "
        "SSD at low priority. For {} s either nothing else happens (quiet) or SSD (a 10 MB TFLite model, the "
        "slowest) is upgraded to a new version over and over, each apply waited for until the new version runs "
        "(upgrading). The chain's figures from /v1/stats at the end (since the daemon started): hey_jarvis's "
        "end-to-end p99 (audio captured -> its score) and the deadline misses of the chain's five models.\n\n"
        "| | hey_jarvis end-to-end p99, ms | deadline misses | hey_jarvis runs | SSD upgrades |\n"
        "|---|---:|---:|---:|---:|\n| quiet | {} | {} | {} | - |\n| upgrading SSD | {} | {} | {} | {} |\n\n",
        opt_.seconds, format_spread(p99_quiet, 1), format_spread(of(quiet, [](const Run& x) { return x.misses; }), 0),
        format_spread(of(quiet, [](const Run& x) { return x.runs; }), 0), format_spread(p99_busy, 1),
        format_spread(misses_busy, 0), format_spread(of(busy, [](const Run& x) { return x.runs; }), 0),
        format_spread(of(busy, [](const Run& x) { return x.upgrades; }), 0));
    goal("the wake-word chain holds its 100 ms objective while another model is upgraded over and over (p99)",
         fmt::format("{} ms (quiet: {} ms), {} misses", format_spread(p99_busy, 1), format_spread(p99_quiet, 1),
                     format_spread(misses_busy, 0)),
         p99_busy.max <= 100);
    return true;
  }

  // 4. Memory peak during an upgrade.
  bool part_peak() {
    if (const std::string missing = bench::missing_photo(); !missing.empty()) return fail(missing + " missing");
    const std::string base = file("peak-base.yaml", quickstart_with(bench::kLooping, false) + bench::photo_sensors(2));
    ServeDaemon d(sensix_binary());
    if (!d.start(dir("peak"), {"-f", base})) return fail(d.error());
    if (d.wait_ready() < 0) return fail("not ready", &d);
    struct Case {
      std::string model, doc;
    };
    std::vector<Case> cases = {{"ssd-oidv4", quickstart_model("ssd-oidv4")}};
    for (const char* m : {"ppocr-rec", "ppocr-det"}) {
      const std::string doc = source_file(std::string("examples/zoo/") + m + ".yaml");
      std::string pipeline;
      for (const auto& c : bench::zoo_cases()) {
        if (c.model == m) pipeline = c.pipeline;
      }
      auto [status, j] = d.call("POST", "/v1/apply", doc + pipeline);
      if (status != 200) return fail(fmt::format("apply {}: {} {}", m, status, j.dump()), &d);
      if (!bench::wait_first_run(d, m, 60)) return fail(std::string(m) + ": no run within 60 s", &d);
      cases.push_back({m, doc});
    }
    sleep_s(2.0);
    const std::string clear = fmt::format("/proc/{}/clear_refs", d.pid());
    std::map<std::string, std::map<bool, std::vector<double>>> growth;  // model -> stop first -> peak - steady, MB
    std::map<std::string, std::vector<double>> counted;                 // the model's budgeted MB
    std::vector<double> steady_mb;
    for (int r = 0; r < opt_.repeat; ++r) {
      for (const auto& c : cases) {
        for (bool stop_first : {false, true}) {
          // The baseline: the peak over a window of the same length without an upgrade (the other
          // models' runs take and give back memory too).
          const double window = 1.5;
          if (!bench::write_file(clear, "5")) return fail("cannot write " + clear + " (VmHWM reset)");
          sleep_s(window);
          const int64_t steady = proc_status_bytes(d.pid(), "VmHWM");
          if (!bench::write_file(clear, "5")) return fail("cannot write " + clear + " (VmHWM reset)");
          const auto t0 = Clock::now();
          const std::string v = fmt::format("bench-{}-{}", r, stop_first);
          auto u = upgrade(d, c.model, model_at(c.doc, v, stop_first ? kStopFirst : ""), v);
          if (!u.ok()) return fail(u.status().message(), &d);
          sleep_s(std::max(0.0, window - since(t0)));
          const int64_t peak = proc_status_bytes(d.pid(), "VmHWM");
          growth[c.model][stop_first].push_back(mb(peak - steady));
          steady_mb.push_back(mb(steady));
          const json m = model_info(d, c.model);
          counted[c.model].push_back(mb(std::max(m.value("residentBytes", int64_t{0}), int64_t{0})));
        }
      }
    }
    const Spread steady = spread_of(steady_mb);
    sections_ += "## 4. Memory peak during an upgrade\n\n";
    sections_ += fmt::format(
        "The quickstart and six photo sensors at 2 fps running; the two PP-OCR models applied with their "
        "pipelines. For the three largest models, {} times each, by each strategy: the daemon's peak resident "
        "memory (VmHWM, reset with `echo 5 > /proc/PID/clear_refs`) over 1.5 s without an upgrade (steady: the "
        "other models' runs take and give back memory too), then over 1.5 s from the upgrade's apply (its new "
        "version's first run waited for within it). Steady peak: {} MB.\n\n"
        "| model | its resident growth at load, MB | replace: peak - steady, MB | peak / steady | stopThenStart: "
        "peak - steady, MB | peak / steady |\n|---|---:|---:|---:|---:|---:|\n",
        opt_.repeat, format_spread(steady, 1));
    double worst_stop_first = 0;
    for (const auto& c : cases) {
      const Spread a = spread_of(growth[c.model][false]);
      const Spread b = spread_of(growth[c.model][true]);
      auto ratio = [&](const Spread& s) { return fmt::format("{:.3f}", (steady.median + s.median) / steady.median); };
      worst_stop_first = std::max(worst_stop_first, (steady.median + b.median) / steady.median);
      sections_ += fmt::format("| {} | {} | {} | {} | {} | {} |\n", c.model,
                               format_spread(spread_of(counted[c.model]), 1), format_spread(a, 1), ratio(a),
                               format_spread(b, 1), ratio(b));
    }
    sections_ +=
        "\nBy the default strategy both versions are resident for a moment, so the peak grows by about the new "
        "version's size; `stopThenStart` unloads the running version first (and gives its memory back) so that the "
        "peak stays near the steady state, at the price of the time the model serves nothing (part 1).\n\n";
    goal("an upgrade by stopThenStart keeps the memory peak within 2% of the steady state's (worst model's median)",
         fmt::format("{:.3f}x", worst_stop_first), worst_stop_first <= 1.02);
    if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    return true;
  }

  // VmRSS between cycles: the median of 5 readings 100 ms apart (the sensors' frames come and go
  // meanwhile; one reading catches them mid-flight).
  // The resident memory of the processes below `pid` (a daemon's model workers): its process tree's
  // less its own (both from smaps_rollup).
  static int64_t workers_rss(pid_t pid) {
    return bench::process_tree_memory(pid).rss_bytes -
           bench::proc_kb_field(fmt::format("/proc/{}/smaps_rollup", pid), "Rss");
  }

  static int64_t resting_rss(pid_t pid, int64_t* workers = nullptr) {
    std::vector<int64_t> readings, of_workers;
    for (int k = 0; k < 5; ++k) {
      if (k > 0) sleep_s(0.1);
      readings.push_back(proc_status_bytes(pid, "VmRSS"));
      if (workers != nullptr) of_workers.push_back(workers_rss(pid));
    }
    std::sort(readings.begin(), readings.end());
    std::sort(of_workers.begin(), of_workers.end());
    if (workers != nullptr) *workers = of_workers[2];
    return readings[2];
  }

  // Silero VAD's document in `documents` with spec.resources.isolation: process (its own worker).
  static std::string silero_in_a_worker(std::string documents) {
    const size_t doc = documents.find("name: silero-vad\n");
    const size_t at = doc == std::string::npos ? doc : documents.find("  format: onnx\n", doc);
    if (at == std::string::npos) return "";
    documents.insert(at + 15, "  resources: {isolation: process}\n");
    return documents;
  }

  // One run of part 5: a fresh daemon on `base`, then opt_.cycles times apply `v6` and undo.
  struct CycleRun {
    int64_t rss10 = 0, rss_end = 0;          // the daemon's VmRSS
    int64_t workers10 = 0, workers_end = 0;  // its workers' (isolation: process), read with it
    double cycle_ms = 0;
    std::string trend;  // the first run's
  };
  bool run_cycles(const std::string& name, const std::string& base, const std::string& v6, bool trend, CycleRun& out) {
    ServeDaemon d(sensix_binary());
    if (!d.start(dir(name), {"-f", base})) return fail(d.error());
    if (d.wait_ready() < 0) return fail("not ready", &d);
    sleep_s(1.0);
    const auto t0 = Clock::now();
    for (int i = 1; i <= opt_.cycles; ++i) {
      auto [s1, j1] = d.call("POST", "/v1/apply", v6);
      if (s1 != 200) return fail(fmt::format("cycle {}: apply 6: {} {}", i, s1, j1.dump()), &d);
      auto [s2, j2] = d.call("POST", "/v1/rollouts/silero-vad/undo");
      if (s2 != 200) return fail(fmt::format("cycle {}: undo: {} {}", i, s2, j2.dump()), &d);
      if (i == 10) out.rss10 = resting_rss(d.pid(), &out.workers10);
      if (trend && (i == 1 || i % std::max(1, opt_.cycles / 10) == 0)) {
        const int64_t workers = workers_rss(d.pid());
        out.trend += fmt::format("{}{:.1f} ({:.1f} anon{}; {})", out.trend.empty() ? "" : " -> ",
                                 mb(proc_status_bytes(d.pid(), "VmRSS")), mb(proc_status_bytes(d.pid(), "RssAnon")),
                                 workers > 0 ? fmt::format(", worker {:.1f}", mb(workers)) : "", i);
      }
    }
    out.cycle_ms = since(t0) * 1e3 / opt_.cycles;
    out.rss_end = resting_rss(d.pid(), &out.workers_end);
    if (out.rss10 == 0) out.rss10 = out.rss_end, out.workers10 = out.workers_end;
    const json m = model_info(d, "silero-vad");
    if (m.value("version", "") != "5") return fail("Silero VAD does not run version 5 after the cycles", &d);
    if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    return true;
  }

  // 5. RSS over upgrade/undo cycles: in-process, the bare engine, and in a worker process.
  bool part_cycles() {
    const std::string base = file("cycles-base.yaml", quickstart_with(bench::kLooping, true));
    const std::string v6 = source_file("examples/deploy/silero-vad-v6.yaml");
    const std::string base_text = read_file(base);
    const std::string base_worker = file("cycles-worker-base.yaml", silero_in_a_worker(base_text));
    const std::string v6_worker = silero_in_a_worker(v6);
    if (read_file(base_worker).empty() || v6_worker.empty()) return fail("Silero VAD's document has no format: onnx");
    std::vector<double> at10, at_end, ratio, cycle_ms, bare10, bare_end, bare_ratio;
    std::vector<double> w_at10, w_at_end, w_ratio, w_total10, w_total_end, w_total_ratio, w_cycle_ms;
    std::string trend, w_trend;
    for (int r = 0; r < opt_.repeat; ++r) {
      CycleRun run;
      if (!run_cycles(fmt::format("cycles-{}", r), base, v6, r == 0, run)) return false;
      if (r == 0) trend = run.trend;
      at10.push_back(mb(run.rss10));
      at_end.push_back(mb(run.rss_end));
      ratio.push_back(static_cast<double>(run.rss_end) / static_cast<double>(run.rss10));
      cycle_ms.push_back(run.cycle_ms);
      // The bare engine swapping the same two files (the daemon's store has both) as many times.
      const std::string store = dir(fmt::format("cycles-{}", r)) + "/models/sha256/";
      const std::string log = dir(fmt::format("bare-{}.log", r));
      std::string error;
      const pid_t pid = bench::spawn_logged({std::string(SENSIX_BINARY_DIR) + "/bench/sensix_bench_bare_swaps",
                                             std::to_string(2 * opt_.cycles), store + sha_of(base_text, "silero-vad"),
                                             store + sha_of(v6, "silero-vad"), "input=1x576"},
                                            log, {}, &error);
      if (pid <= 0) return fail("bare engine: " + error);
      int status = 0;
      ::waitpid(pid, &status, 0);
      const std::string said = read_file(log);
      std::smatch m10, mn;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
          !std::regex_search(said, m10, std::regex(R"(swaps-20 (\d+))")) ||
          !std::regex_search(said, mn, std::regex(fmt::format(R"(swaps-{} (\d+))", 2 * opt_.cycles)))) {
        return fail("the bare engine's swaps failed:\n" + said);
      }
      const double b10 = std::stod(m10[1].str()), bn = std::stod(mn[1].str());
      bare10.push_back(b10 / 1e6);
      bare_end.push_back(bn / 1e6);
      bare_ratio.push_back(bn / b10);
      // Silero VAD in a worker process of its own: each version's engine comes and goes with its worker.
      CycleRun w;
      if (!run_cycles(fmt::format("cycles-worker-{}", r), base_worker, v6_worker, r == 0, w)) return false;
      if (w.workers10 <= 0 || w.workers_end <= 0) return fail("Silero VAD ran in no worker process");
      if (r == 0) w_trend = w.trend;
      w_at10.push_back(mb(w.rss10));
      w_at_end.push_back(mb(w.rss_end));
      w_ratio.push_back(static_cast<double>(w.rss_end) / static_cast<double>(w.rss10));
      w_total10.push_back(mb(w.rss10 + w.workers10));
      w_total_end.push_back(mb(w.rss_end + w.workers_end));
      w_total_ratio.push_back(static_cast<double>(w.rss_end + w.workers_end) /
                              static_cast<double>(w.rss10 + w.workers10));
      w_cycle_ms.push_back(w.cycle_ms);
    }
    const Spread rs = spread_of(ratio);
    const Spread ws = spread_of(w_total_ratio);
    sections_ += fmt::format("## 5. RSS over {} upgrade/undo cycles\n\n", opt_.cycles);
    sections_ += fmt::format(
        "A fresh daemon per run running the quickstart's voice documents (speech in real time, looping; Silero VAD "
        "5, the wake-word chain); then {} times: apply examples/deploy/silero-vad-v6.yaml (loaded, warmed up, "
        "self-tested, switched in place with its state carried) and `POST /v1/rollouts/silero-vad/undo` (version 5 "
        "again, the same way), each a new revision in the state store. VmRSS after cycle 10 and after the last (each "
        "the median of 5 readings 100 ms apart).\n\n"
        "| in-process (the default) | median (min-max) |\n|---|---:|\n| VmRSS after 10 cycles, MB | {} |\n"
        "| VmRSS after {} cycles, MB | {} |\n| ratio | {} |\n| one cycle (two applies), ms | {} |\n\n"
        "VmRSS during the first run, MB (of which RssAnon: heap, stacks; after how many cycles): {}.\n\n"
        "The bare engine, for comparison: a process that loads ONNX Runtime (the same library) and does what a "
        "service written by hand does to change a model, with nothing else: load the other file, run it once "
        "(zeros), destroy the session it replaces; the same two files, {} swaps after a first load (as many as the "
        "daemon's loads). Its growth is ONNX Runtime's and the C library's own: no sensix code runs in it.\n\n"
        "| bare engine | median (min-max) |\n|---|---:|\n| VmRSS after 20 swaps, MB | {} |\n"
        "| VmRSS after {} swaps, MB | {} |\n| ratio | {} |\n\n",
        opt_.cycles, format_spread(spread_of(at10), 1), opt_.cycles, format_spread(spread_of(at_end), 1),
        format_spread(rs, 3), format_spread(spread_of(cycle_ms), 0), trend, 2 * opt_.cycles,
        format_spread(spread_of(bare10), 1), 2 * opt_.cycles, format_spread(spread_of(bare_end), 1),
        format_spread(spread_of(bare_ratio), 3));
    sections_ += fmt::format(
        "The same cycles with Silero VAD in a worker process of its own (`spec.resources.isolation: process` in both "
        "versions): each version loads in a new worker, and the replaced worker exits with its engine, so ONNX "
        "Runtime's own growth goes with it. Total: the daemon's VmRSS and its workers' RSS (smaps_rollup) together.\n\n"
        "| isolation: process | median (min-max) |\n|---|---:|\n| daemon VmRSS after 10 cycles, MB | {} |\n"
        "| daemon VmRSS after {} cycles, MB | {} |\n| daemon ratio | {} |\n| total after 10 cycles, MB | {} |\n"
        "| total after {} cycles, MB | {} |\n| total ratio | {} |\n| one cycle (two applies), ms | {} |\n\n"
        "During the first run, MB (daemon VmRSS, its RssAnon and the workers' RSS; after how many cycles): "
        "{}.\n\n",
        format_spread(spread_of(w_at10), 1), opt_.cycles, format_spread(spread_of(w_at_end), 1),
        format_spread(spread_of(w_ratio), 3), format_spread(spread_of(w_total10), 1), opt_.cycles,
        format_spread(spread_of(w_total_end), 1), format_spread(ws, 3), format_spread(spread_of(w_cycle_ms), 0),
        w_trend);
    goal(fmt::format("VmRSS after {} upgrade/undo cycles within 5% of after 10 (in-process)", opt_.cycles),
         format_spread(rs, 3) + "x", rs.max <= 1.05);
    const Spread bare = spread_of(bare_ratio);
    goal(fmt::format("that growth no more than the bare engine's over as many loads ({} swaps)", 2 * opt_.cycles),
         fmt::format("{}x vs {}x", format_spread(rs, 3), format_spread(bare, 3)), rs.median <= bare.median);
    goal(fmt::format("resident memory after {} upgrade/undo cycles within 5% of after 10 (isolation: process, "
                     "daemon and worker together)",
                     opt_.cycles),
         format_spread(ws, 3) + "x", ws.max <= 1.05);
    return true;
  }

  Options opt_;
  bench::MachineInfo machine_;
  std::string work_, quickstart_;
  std::string goals_, sections_, failure_;
};

}  // namespace
}  // namespace sensix

int main(int argc, char** argv) {
  CLI::App app{"sensix deploy benchmark: upgrades on the device daemon, measured from outside"};
  sensix::Options o;
  app.add_option("--repeat", o.repeat, "runs of each measurement (median, min, max)")->check(CLI::Range(1, 50));
  app.add_option("--upgrades", o.upgrades, "upgrades of each model per window of part 2")->check(CLI::Range(1, 1000));
  app.add_option("--seconds", o.seconds, "seconds of each run of part 3")->check(CLI::Range(1, 600));
  app.add_option("--cycles", o.cycles, "upgrade/undo cycles per run of part 5 (at least 10)")
      ->check(CLI::Range(10, 100000));
  app.add_option("--parts", o.parts, "which parts to run, e.g. 1,5 (default: all)")
      ->delimiter(',')
      ->check(CLI::Range(1, 5));
  app.add_option("--report", o.report, "write the Markdown report here too");
  app.add_flag("--smoke", o.smoke, "every part, briefly (repeat 1, 2 upgrades, 4 s, 12 cycles): not measurements");
  CLI11_PARSE(app, argc, argv);
  if (o.smoke) {
    o.repeat = 1;
    o.upgrades = 2;
    o.seconds = 4;
    o.cycles = 12;
  }
  return sensix::DeployBench(std::move(o)).run();
}
