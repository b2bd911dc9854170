// Serve benchmark: the device daemon (`sensix serve`, the real binary of this build run as a child
// process) measured from outside, as a device runs it, in five parts, each repeated --repeat times
// and reported as median (min-max):
//
// 1. Idle daemon: its resident memory (VmRSS) 1 s after it is ready with nothing applied (goal: at
//    most 40 MB), and the time from spawn to its "listening on" line and to /v2/health/ready 200.
// 2. Start to ready with ten models applied and stored: the quickstart (8 models) plus the timer and
//    weather intent heads on its embedding, applied once; then the daemon is restarted on the same
//    data directory and timed from spawn to /v2/health/ready 200 (goal: at most 1 s).
// 3. Apply latency per zoo model, with the quickstart running (looping): the POST /v1/apply call
//    (validate, load, warm up, start) and apply -> the model's first run; then its pipeline and model
//    are deleted.
// 4. Frames lost during 50 applies and deletes of the timer head while the quickstart's voice
//    pipeline runs in real time: the sensors' dropped and late frames and the models' skipped inputs
//    over that time, and the daemon's memory before and after (goal: zero dropped).
// 5. Server-Sent Events fan-out: the daemon's CPU per delivered prediction with 1, 10 and 100
//    subscribers against none, on one steady stream of predictions; every subscriber is checked to
//    get every prediction.
//
//   sensix_bench_serve [--repeat 5] [--applies 50] [--sse-seconds 10] [--report FILE] [--smoke]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "api/http_client.h"
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
using bench::embedding_pipeline;
using bench::format_spread;
using bench::kLooping;
using bench::last_lines;
using bench::Losses;
using bench::losses_now;
using bench::mb;
using bench::model_runs;
using bench::photo_sensors;
using bench::proc_cpu_seconds;
using bench::proc_status_bytes;
using bench::read_file;
using bench::ServeDaemon;
using bench::since;
using bench::sleep_s;
using bench::Spread;
using bench::spread_of;
using bench::wait_first_run;
using bench::write_file;
using bench::zoo_cases;

struct Options {
  int repeat = 5;
  int applies = 50;
  double sse_seconds = 10;
  bool smoke = false;
  std::string report;
};

std::string source_file(const std::string& rel) { return read_file(std::string(SENSIX_SOURCE_DIR) + "/" + rel); }

std::string sensix_binary() { return std::string(SENSIX_BINARY_DIR) + "/sensix"; }

// How many shared libraries the sensix binary loads (lines of `ldd` naming a file), or "an unknown number of".
std::string shared_libraries() {
  int n = 0;
  const std::string cmd = fmt::format("ldd '{}/sensix' 2>/dev/null", SENSIX_BINARY_DIR);
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char line[1024];
    while (std::fgets(line, sizeof line, p) != nullptr) {
      if (std::strstr(line, "=> /") != nullptr) ++n;
    }
    ::pclose(p);
  }
  return n > 0 ? std::to_string(n) : "an unknown number of";
}

// --- documents -------------------------------------------------------------------------------

std::string quickstart_with(const std::string& sensor_spec, bool voice_only) {
  return bench::quickstart_with(source_file("examples/quickstart.yaml"), sensor_spec, voice_only);
}

// The ten models: the quickstart (looping in real time), timer and weather on its embedding.
std::string ten_models_documents() {
  return quickstart_with(kLooping, false) + "\n---\n" + source_file("examples/zoo/timer.yaml") + "\n---\n" +
         source_file("examples/zoo/weather.yaml") + R"(
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {name: intents}
spec:
  steps:
    - {model: oww-mel, from: {sensor: speech}}
    - {model: oww-embedding, from: {model: oww-mel}}
    - {model: timer, from: {model: oww-embedding}}
    - {model: weather, from: {model: oww-embedding}}
)";
}

// Silero VAD reporting every run (threshold 0, trigger every), on the speech recording looping at
// `speed`: one prediction per 32 ms of audio.
std::string sse_documents(double speed) {
  std::string vad = source_file("examples/quickstart.yaml");
  const size_t start = vad.find("kind: Model\nmetadata:\n  name: silero-vad");
  const size_t end = vad.find("\n---\n", start);
  std::string model = "apiVersion: sensix/v1\n" + vad.substr(start, end - start);
  model.replace(model.find("name: silero-vad"), 16, "name: vad-every");
  const size_t classify = model.find("    classify:");
  model = model.substr(0, classify) +
          "    classify: {output: output, labels: [speech], threshold: 0.0, trigger: every}\n";
  return fmt::format(R"(apiVersion: sensix/v1
kind: Sensor
metadata: {{name: speech}}
spec:
  driver: audio-file
  path: samples:demo/speech.wav
  replay: {{loop: true, speed: {}}}
  buffer: {{capacity: 400}}
  audio: {{frameMs: 20}}
---
{}
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {{name: fanout}}
spec:
  steps:
    - {{model: vad-every, from: {{sensor: speech}}}}
)",
                     speed, model);
}

// --- the benchmark -----------------------------------------------------------------------------

class ServeBench {
 public:
  explicit ServeBench(Options o) : opt_(std::move(o)) {}

  int run() {
    machine_ = bench::describe_machine(SENSIX_SOURCE_DIR);
    work_ = (fs::temp_directory_path() / fmt::format("sensix-serve-bench-{}", ::getpid())).string();
    fs::create_directories(work_);
    const auto t0 = Clock::now();
    const std::string load0 = bench::load_average();
    const std::vector<bench::Part> parts = {
        {"idle daemon", [this] { return part_idle(); }},
        {"start to ready with ten models", [this] { return part_restart(); }},
        {"apply latency per zoo model", [this] { return part_apply(); }},
        {"frames lost during applies and deletes", [this] { return part_churn(); }},
        {"SSE fan-out", [this] { return part_fanout(); }},
    };
    const int measured = bench::run_parts("serve bench", parts, failure_, &sections_);
    std::string out = bench::report_header(machine_, "Serve benchmark: the device daemon (`sensix serve`) from outside",
                                           "sensix_bench_serve" +
                                               (opt_.smoke ? std::string(" --smoke")
                                                           : fmt::format(" --repeat {} --applies {} --sse-seconds {}",
                                                                         opt_.repeat, opt_.applies, opt_.sse_seconds)),
                                           {}, load0, since(t0));
    if (opt_.smoke) out += "A smoke run: every part runs, briefly; its figures are not measurements.\n\n";
    out +=
        "Method: the benchmark runs the real `sensix` binary of the build (`sensix serve --listen 127.0.0.1:0`, "
        "its own data directory per part) as a child process and measures it from outside: HTTP requests with "
        "the CLI's client (`api::HttpClient`), /proc/PID/status (VmRSS) and /proc/PID/stat (utime + stime) of the "
        "daemon. Every figure is the median (min-max) of `--repeat` runs. The benchmark's own threads (the "
        "pollers, the SSE subscribers) share the machine's cores with the daemon.\n\n";
    out += "## Goals\n\n| goal | figure | met |\n|---|---|---|\n" + goals_ + "\n";
    out += sections_;
    std::error_code ec;
    fs::remove_all(work_, ec);
    std::fputs(out.c_str(), stdout);
    if (!opt_.report.empty() && !write_file(opt_.report, out)) {
      std::fprintf(stderr, "serve bench: cannot write %s\n", opt_.report.c_str());
      return 1;
    }
    std::printf("Serve benchmark complete: %d of %zu measured\n", measured, parts.size());
    return measured == static_cast<int>(parts.size()) ? 0 : 2;
  }

 private:
  bool fail(const std::string& why, const ServeDaemon* d = nullptr) {
    failure_ = why;
    if (d != nullptr) failure_ += "\n\n```\n" + last_lines(d->log(), 30) + "\n```";
    std::fprintf(stderr, "serve bench: %s\n", failure_.c_str());
    return false;
  }

  std::string dir(const std::string& name) const { return work_ + "/" + name; }

  std::string file(const std::string& name, const std::string& text) const {
    const std::string path = work_ + "/" + name;
    write_file(path, text);
    return path;
  }

  void goal(const std::string& what, const std::string& figure, bool met) {
    goals_ += fmt::format("| {} | {} | {} |\n", what, figure, met ? "yes" : "**no**");
  }

  // 1. Idle daemon.
  bool part_idle() {
    std::vector<double> listening, ready, rss, rss_anon, rss_file, threads;
    for (int r = 0; r < opt_.repeat; ++r) {
      ServeDaemon d(sensix_binary());
      if (!d.start(dir(fmt::format("idle-{}", r)))) return fail(d.error());
      const double ready_s = d.wait_ready();
      if (ready_s < 0) return fail("not ready within 180 s", &d);
      sleep_s(1.0);
      listening.push_back(d.listening_s() * 1e3);
      ready.push_back(ready_s * 1e3);
      rss.push_back(mb(proc_status_bytes(d.pid(), "VmRSS")));
      rss_anon.push_back(mb(proc_status_bytes(d.pid(), "RssAnon")));
      rss_file.push_back(mb(proc_status_bytes(d.pid(), "RssFile")));
      threads.push_back(static_cast<double>(proc_status_bytes(d.pid(), "Threads") / 1024));
      if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    }
    const Spread rs = spread_of(rss);
    goal("idle daemon: VmRSS 1 s after ready, nothing applied <= 40 MB", format_spread(rs, 1) + " MB", rs.median <= 40);
    sections_ += "## 1. Idle daemon\n\n";
    sections_ += fmt::format(
        "A fresh data directory each run, nothing applied.\n\n| figure | median (min-max) |\n|---|---:|\n"
        "| spawn -> \"listening on\" line, ms | {} |\n| spawn -> /v2/health/ready 200, ms | {} |\n"
        "| VmRSS 1 s after ready, MB | {} |\n| of which RssAnon (heap, stacks), MB | {} |\n"
        "| of which RssFile (mapped files: the binary and its shared libraries), MB | {} |\n| threads | {} |\n\n"
        "`sensix` links {} shared libraries (`ldd`); most of its idle memory and of the time before the "
        "\"listening on\" line is theirs: the pages of them it touches and the dynamic loader's relocations.\n\n",
        format_spread(spread_of(listening), 1), format_spread(spread_of(ready), 1), format_spread(rs, 1),
        format_spread(spread_of(rss_anon), 1), format_spread(spread_of(rss_file), 1),
        format_spread(spread_of(threads), 0), shared_libraries());
    return true;
  }

  // 2. Start to ready with ten models stored.
  bool part_restart() {
    const std::string data = dir("ten");
    {
      ServeDaemon d(sensix_binary());
      if (!d.start(data)) return fail(d.error());
      if (d.wait_ready() < 0) return fail("not ready", &d);
      auto [status, body] = d.call("POST", "/v1/apply", ten_models_documents());
      if (status != 200) return fail(fmt::format("apply: {} {}", status, body.dump()), &d);
      auto [s2, models] = d.call("GET", "/v1/models");
      if (s2 != 200 || models["items"].size() != 10) {
        return fail(fmt::format("expected 10 models, got {}", models.dump()), &d);
      }
      if (d.wait_ready() < 0) return fail("not ready after the apply", &d);
      if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    }
    std::vector<double> listening, ready, rss, load_sum;
    std::map<std::string, std::vector<double>> load_by_model;
    std::string log_excerpt;
    for (int r = 0; r < opt_.repeat; ++r) {
      ServeDaemon d(sensix_binary());
      if (!d.start(data)) return fail(d.error());
      const double ready_s = d.wait_ready();
      if (ready_s < 0) return fail("not ready within 180 s", &d);
      listening.push_back(d.listening_s() * 1e3);
      ready.push_back(ready_s * 1e3);
      auto [s, models] = d.call("GET", "/v1/models");
      double sum = 0;
      for (const auto& m : models["items"]) {
        const double ms = m.value("loadMs", 0.0);
        load_by_model[m.value("name", "")].push_back(ms);
        sum += ms;
      }
      load_sum.push_back(sum);
      sleep_s(1.0);
      rss.push_back(mb(proc_status_bytes(d.pid(), "VmRSS")));
      if (r == 0) log_excerpt = d.log();
      if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    }
    const Spread rd = spread_of(ready);
    goal("start -> ready with ten models stored <= 1 s", format_spread(rd, 0) + " ms", rd.median <= 1000);
    sections_ += "## 2. Start to ready with ten models stored\n\n";
    sections_ += fmt::format(
        "The quickstart (8 models: Silero VAD, openWakeWord mel, embedding, three wake-word heads, BlazeFace, SSD; "
        "its sensors looping in real time) plus the timer and weather intent heads on its embedding, applied once "
        "over the API; the daemon stopped (SIGTERM) and started again on the same data directory {} times, timed "
        "from spawn until /v2/health/ready answers 200 (polled every 5 ms). The model files are in the page cache "
        "(the apply read them).\n\n| figure | median (min-max) |\n|---|---:|\n"
        "| spawn -> \"listening on\" line, ms | {} |\n| spawn -> /v2/health/ready 200, ms | {} |\n"
        "| sum of the ten models' load + warm-up (`loadMs` of /v1/models), ms | {} |\n"
        "| VmRSS 1 s after ready, MB | {} |\n\nPer model, `loadMs` (load and warm-up, as /v1/models reports it):\n\n"
        "| model | loadMs median (min-max) |\n|---|---:|\n",
        opt_.repeat, format_spread(spread_of(listening), 1), format_spread(rd, 0),
        format_spread(spread_of(load_sum), 0), format_spread(spread_of(rss), 1));
    std::vector<std::pair<double, std::string>> by;
    for (const auto& [name, v] : load_by_model) by.push_back({spread_of(v).median, name});
    std::sort(by.rbegin(), by.rend());
    for (const auto& [med, name] : by) {
      sections_ += fmt::format("| {} | {} |\n", name, format_spread(spread_of(load_by_model[name]), 1));
    }
    const Spread ls = spread_of(load_sum);
    sections_ += fmt::format(
        "\nWhere the time to ready goes (medians): {:.0f} ms from spawn to the \"listening on\" line (the process "
        "start: dynamic loading, the engine probe, opening the store), {:.0f} ms loading and warming up the ten "
        "models one after the other ({:.0f}% of the time to ready), and {:.0f} ms for the rest (the plan, the "
        "sensors, the 5 ms polling).\n\nThe daemon's log of the first restart:\n\n```\n{}\n```\n\n",
        spread_of(listening).median, ls.median, rd.median > 0 ? 100.0 * ls.median / rd.median : 0.0,
        rd.median - spread_of(listening).median - ls.median, last_lines(log_excerpt, 25));
    return true;
  }

  // 3. Apply latency per zoo model.
  bool part_apply() {
    if (const std::string missing = bench::missing_photo(); !missing.empty()) {
      return fail(fmt::format("{} missing (Debian opencv-doc; run scripts/setup)", missing));
    }
    const int fps = 5;
    const std::string base = file("apply-base.yaml", quickstart_with(kLooping, false) + photo_sensors(fps));
    ServeDaemon d(sensix_binary());
    if (!d.start(dir("apply"), {"-f", base})) return fail(d.error());
    if (d.wait_ready() < 0) return fail("not ready", &d);
    sleep_s(1.0);
    const int64_t rss0 = proc_status_bytes(d.pid(), "VmRSS");
    const auto cases = zoo_cases();
    std::map<std::string, std::vector<double>> apply_ms, first_ms;
    for (int r = 0; r < opt_.repeat; ++r) {
      for (const auto& c : cases) {
        const std::string body = source_file("examples/zoo/" + c.model + ".yaml") + c.pipeline;
        const auto t0 = Clock::now();
        auto [status, j] = d.call("POST", "/v1/apply", body);
        const double a = since(t0);
        if (status != 200) return fail(fmt::format("apply {}: {} {}", c.model, status, j.dump()), &d);
        if (!wait_first_run(d, c.model, 60)) return fail(fmt::format("{}: no run within 60 s", c.model), &d);
        const double b = since(t0);
        apply_ms[c.model].push_back(a * 1e3);
        first_ms[c.model].push_back(b * 1e3);
        const std::string pipeline = "bench-" + c.model;
        auto [s1, j1] = d.call("DELETE", "/v1/documents/pipeline/" + pipeline);
        if (s1 != 200) return fail(fmt::format("delete {}: {} {}", pipeline, s1, j1.dump()), &d);
        auto [s2, j2] = d.call("DELETE", "/v1/documents/model/" + c.model);
        if (s2 != 200) return fail(fmt::format("delete {}: {} {}", c.model, s2, j2.dump()), &d);
      }
    }
    const int64_t rss1 = proc_status_bytes(d.pid(), "VmRSS");
    const Losses l = losses_now(d);
    sections_ += "## 3. Apply latency per zoo model\n\n";
    sections_ += fmt::format(
        "The quickstart running (speech looping in real time, the photos at 1 fps; given with `-f`), and six "
        "photo sensors looping at {} fps (opencv-doc's and the samples' photos, given with `-f` as they lie "
        "outside the daemon's folders). Each model of examples/zoo/ is applied with a Pipeline of its own, "
        "timed: (a) the POST /v1/apply call (validate, load, warm up, start), (b) from the POST to the model's "
        "first run (GET /v1/models/NAME polled every 5 ms until `runs` >= 1); then its pipeline and model are "
        "deleted. Each model {} times, in turn with the others. face-mesh, which needs face crops, is applied "
        "with a pipeline cascading it from the running BlazeFace (only the face-mesh model is new).\n\n"
        "| model | how it runs | (a) apply ms | (b) apply -> first run ms |\n|---|---|---:|---:|\n",
        fps, opt_.repeat);
    for (const auto& c : cases) {
      sections_ += fmt::format("| {} | {} | {} | {} |\n", c.model, c.how,
                               format_spread(spread_of(apply_ms[c.model]), 0),
                               format_spread(spread_of(first_ms[c.model]), 0));
    }
    sections_ += fmt::format(
        "\nThe daemon's VmRSS: {:.1f} MB before the {} applies and deletes, {:.1f} MB after. Over the whole part: "
        "{} frames dropped and {} late at the sensors, {} inputs skipped by the models, {} model errors.\n\n",
        mb(rss0), cases.size() * static_cast<size_t>(opt_.repeat), mb(rss1), l.dropped, l.late, l.skipped, l.errors);
    if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    return true;
  }

  // 4. Frames lost during applies and deletes.
  bool part_churn() {
    const std::string base = file("churn-base.yaml", quickstart_with(kLooping, true));
    ServeDaemon d(sensix_binary());
    if (!d.start(dir("churn"), {"-f", base})) return fail(d.error());
    if (d.wait_ready() < 0) return fail("not ready", &d);
    sleep_s(2.0);
    const std::string body = source_file("examples/zoo/timer.yaml") + embedding_pipeline("churn", "timer");
    std::vector<double> dropped, late, skipped, apply_ms, first_ms, rss_growth, seconds;
    std::vector<int64_t> rss_after;
    const int64_t rss_start = proc_status_bytes(d.pid(), "VmRSS");
    std::map<std::string, uint64_t> skipped_total;
    std::string rss_trend = fmt::format("{:.1f}", mb(rss_start));
    for (int r = 0; r < opt_.repeat; ++r) {
      const Losses before = losses_now(d);
      const int64_t rss0 = proc_status_bytes(d.pid(), "VmRSS");
      const auto tr = Clock::now();
      for (int i = 0; i < opt_.applies; ++i) {
        const auto t0 = Clock::now();
        auto [status, j] = d.call("POST", "/v1/apply", body);
        if (status != 200) return fail(fmt::format("apply {}: {} {}", i, status, j.dump()), &d);
        apply_ms.push_back(since(t0) * 1e3);
        if (!wait_first_run(d, "timer", 60)) return fail(fmt::format("apply {}: timer did not run", i), &d);
        first_ms.push_back(since(t0) * 1e3);
        auto [s1, j1] = d.call("DELETE", "/v1/documents/pipeline/churn");
        if (s1 != 200) return fail(fmt::format("delete pipeline: {} {}", s1, j1.dump()), &d);
        auto [s2, j2] = d.call("DELETE", "/v1/documents/model/timer");
        if (s2 != 200) return fail(fmt::format("delete model: {} {}", s2, j2.dump()), &d);
        if (r == 0 && (i + 1) % std::max(1, opt_.applies / 5) == 0) {
          rss_trend += fmt::format(" -> {:.1f} ({})", mb(proc_status_bytes(d.pid(), "VmRSS")), i + 1);
        }
      }
      seconds.push_back(since(tr));
      const Losses after = losses_now(d);
      const int64_t rss1 = proc_status_bytes(d.pid(), "VmRSS");
      dropped.push_back(static_cast<double>(after.dropped - before.dropped));
      late.push_back(static_cast<double>(after.late - before.late));
      skipped.push_back(static_cast<double>(after.skipped - before.skipped));
      for (const auto& [m, n] : after.skipped_by_model) {
        auto it = before.skipped_by_model.find(m);
        skipped_total[m] += n - (it == before.skipped_by_model.end() ? 0 : it->second);
      }
      rss_growth.push_back(mb(rss1 - rss0));
      rss_after.push_back(rss1);
    }
    const Spread dr = spread_of(dropped);
    goal(fmt::format("no frame dropped during {} applies and deletes", opt_.applies), format_spread(dr, 0) + " dropped",
         dr.max == 0);
    sections_ += fmt::format("## 4. Frames lost during {} applies and deletes\n\n", opt_.applies);
    sections_ += fmt::format(
        "The quickstart's voice documents (speech in real time, looping; Silero VAD, mel, embedding, three "
        "wake-word heads) running; then {} times: apply the timer head with a pipeline of its own on the "
        "running embedding, wait for its first run (GET /v1/models/timer every 5 ms), delete the pipeline, then "
        "the model. Losses are the differences of /v1/sensors (`dropped`, `late`) and /v1/models (`skipped`) "
        "over each run of {} cycles, {} runs on the same daemon.\n\n| figure, per run of {} cycles | median "
        "(min-max) |\n|---|---:|\n| duration, s | {} |\n| frames dropped (sensors) | {} |\n| frames late (sensors) | "
        "{} |\n| inputs skipped (models) | {} |\n| apply call, ms | {} |\n| apply -> first run of the timer, ms | {} "
        "|\n| VmRSS growth over the run, MB | {} |\n\n",
        opt_.applies, opt_.applies, opt_.repeat, opt_.applies, format_spread(spread_of(seconds), 1),
        format_spread(dr, 0), format_spread(spread_of(late), 0), format_spread(spread_of(skipped), 0),
        format_spread(spread_of(apply_ms), 0), format_spread(spread_of(first_ms), 0),
        format_spread(spread_of(rss_growth), 2));
    std::string rss_line = fmt::format("{:.1f}", mb(rss_start));
    for (int64_t v : rss_after) rss_line += fmt::format(" -> {:.1f}", mb(v));
    sections_ += fmt::format("The daemon's VmRSS before the first run and after each, MB: {}.\n\n", rss_line);
    sections_ += fmt::format("Within the first run, VmRSS in MB (after how many cycles): {}.\n\n", rss_trend);
    std::string sk;
    for (const auto& [m, n] : skipped_total) {
      if (n > 0) sk += fmt::format("{}{}: {}", sk.empty() ? "" : ", ", m, n);
    }
    sections_ += fmt::format("Skipped inputs by model over all runs: {}.\n\n", sk.empty() ? "none" : sk);
    if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    return true;
  }

  // 5. SSE fan-out.
  struct Subscriber {
    std::thread thread;
    std::atomic<uint64_t> in_window{0};
    std::atomic<bool> connected{false};
    std::vector<uint64_t> ids;  // every prediction's id (owned by the thread until joined)
    uint64_t dropped = 0;       // items the daemon said it dropped for this subscriber
    std::string error;
  };

  struct FanoutRun {
    double cpu_s = 0;
    uint64_t runs = 0;
    uint64_t delivered = 0;
    uint64_t lost = 0;
    double wall_s = 0;
  };

  FanoutRun fanout_once(const ServeDaemon& d, int k) {
    std::atomic<bool> window{false}, stop{false};
    std::vector<std::unique_ptr<Subscriber>> subs;
    for (int i = 0; i < k; ++i) {
      auto s = std::make_unique<Subscriber>();
      Subscriber* sp = s.get();
      sp->thread = std::thread([sp, &d, &window, &stop] {
        api::ClientOptions o;
        o.server = d.url();
        o.timeout = std::chrono::seconds(600);
        auto c = api::HttpClient::create(o);
        if (!c.ok()) {
          sp->error = c.status().message();
          sp->connected = true;
          return;
        }
        api::ClientResponse err;
        Status st = c->stream(
            "/v1/predictions/stream?model=vad-every", {},
            [&](const api::SseEvent& e) {
              sp->connected = true;
              if (e.event == "prediction") {
                sp->ids.push_back(std::strtoull(e.id.c_str(), nullptr, 10));
                if (window) sp->in_window++;
              } else if (e.event == "dropped") {
                json j = json::parse(e.data, nullptr, false);
                if (!j.is_discarded()) sp->dropped += j.value("dropped", uint64_t{0});
              }
              return !stop.load();
            },
            &err);
        if (!st.ok()) sp->error = st.message();
        sp->connected = true;
      });
      subs.push_back(std::move(s));
    }
    const auto tc = Clock::now();
    while (since(tc) < 30 &&
           !std::all_of(subs.begin(), subs.end(), [](const auto& s) { return s->connected.load(); })) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    sleep_s(0.5);
    FanoutRun run;
    const uint64_t runs0 = model_runs(d, "vad-every");
    const double cpu0 = proc_cpu_seconds(d.pid());
    const auto t0 = Clock::now();
    window = true;
    sleep_s(opt_.sse_seconds);
    window = false;
    run.wall_s = since(t0);
    run.cpu_s = proc_cpu_seconds(d.pid()) - cpu0;
    run.runs = model_runs(d, "vad-every") - runs0;
    sleep_s(0.3);
    stop = true;
    for (auto& s : subs) s->thread.join();
    // Losses: over the ids every subscriber was connected for, each should have them all.
    uint64_t lo = 0, hi = UINT64_MAX;
    std::set<uint64_t> all;
    for (const auto& s : subs) {
      run.delivered += s->in_window;
      if (s->ids.empty()) {
        hi = 0;
        continue;
      }
      lo = std::max(lo, s->ids.front());
      hi = std::min(hi, s->ids.back());
      all.insert(s->ids.begin(), s->ids.end());
      run.lost += s->dropped;
      if (!s->error.empty()) fanout_errors_.insert(s->error);
    }
    if (!subs.empty() && lo <= hi) {
      const uint64_t expected = static_cast<uint64_t>(std::distance(all.lower_bound(lo), all.upper_bound(hi)));
      for (const auto& s : subs) {
        const auto b = std::lower_bound(s->ids.begin(), s->ids.end(), lo);
        const auto e = std::upper_bound(s->ids.begin(), s->ids.end(), hi);
        const uint64_t got = static_cast<uint64_t>(std::distance(b, e));
        run.lost += expected > got ? expected - got : 0;
      }
    }
    return run;
  }

  bool part_fanout() {
    const double speed = 2;
    const std::string docs = file("fanout.yaml", sse_documents(speed));
    ServeDaemon d(sensix_binary());
    if (!d.start(dir("fanout"), {"-f", docs})) return fail(d.error());
    if (d.wait_ready() < 0) return fail("not ready", &d);
    sleep_s(2.0);
    const std::vector<int> ks = {0, 1, 10, 100};
    std::map<int, std::vector<FanoutRun>> runs;
    for (int r = 0; r < opt_.repeat; ++r) {
      for (int k : ks) runs[k].push_back(fanout_once(d, k));
    }
    sections_ += "## 5. Server-Sent Events fan-out\n\n";
    sections_ += fmt::format(
        "One steady stream of predictions: Silero VAD with `threshold: 0.0, trigger: every` (a prediction every "
        "run, 32 ms of audio) on the speech recording looping at speed {}; k subscriber threads in the benchmark "
        "process, each on its own connection to /v1/predictions/stream?model=vad-every (`api::HttpClient::stream`). "
        "For k = 0, 1, 10, 100, in turn, {} times: the daemon's CPU (utime + stime of /proc/PID/stat) over {} s "
        "with the subscribers connected, and the predictions they received in that time. CPU per delivered "
        "prediction = (CPU with k - CPU with 0 in the same round) / deliveries with k. Lost: predictions a "
        "subscriber did not get that another got while both were connected, plus what the daemon reported "
        "dropped (`event: dropped`).\n\n"
        "| subscribers | model runs | daemon CPU s | deliveries | CPU us per delivered prediction | lost |\n"
        "|---:|---:|---:|---:|---:|---:|\n",
        speed, opt_.repeat, opt_.sse_seconds);
    bool all_delivered = true;
    for (int k : ks) {
      std::vector<double> per;
      uint64_t lost = 0;
      for (size_t r = 0; r < runs[k].size(); ++r) {
        const auto& x = runs[k][r];
        lost += x.lost;
        if (k > 0 && x.delivered > 0) {
          per.push_back((x.cpu_s - runs[0][r].cpu_s) / static_cast<double>(x.delivered) * 1e6);
        }
        if (k > 0 && x.delivered < x.runs * static_cast<uint64_t>(k) * 9 / 10) all_delivered = false;
      }
      if (lost > 0) all_delivered = false;
      sections_ += fmt::format(
          "| {} | {} | {} | {} | {} | {} |\n", k,
          format_spread(bench::spread_over(runs[k], [](const FanoutRun& x) { return static_cast<double>(x.runs); }), 0),
          format_spread(bench::spread_over(runs[k], [](const FanoutRun& x) { return x.cpu_s; }), 2),
          format_spread(
              bench::spread_over(runs[k], [](const FanoutRun& x) { return static_cast<double>(x.delivered); }), 0),
          k == 0 ? std::string("-") : format_spread(spread_of(per), 1), lost);
    }
    sections_ += fmt::format(
        "\nEvery subscriber got every prediction: {}.{} The CPU clock of /proc/PID/stat ticks every {:.0f} ms, so "
        "one run's CPU is known to about 0.01 s.\n\n",
        all_delivered ? "yes" : "**no**",
        fanout_errors_.empty() ? "" : fmt::format(" Subscriber errors: {}.", fmt::join(fanout_errors_, "; ")),
        1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK)));
    goal("SSE: every subscriber gets every prediction (1, 10, 100 subscribers)", all_delivered ? "yes" : "no",
         all_delivered);
    if (const int code = d.stop(); code != 0) return fail(fmt::format("SIGTERM: exit code {}", code), &d);
    return true;
  }

  Options opt_;
  bench::MachineInfo machine_;
  std::string work_;
  std::string goals_, sections_, failure_;
  std::set<std::string> fanout_errors_;
};

}  // namespace
}  // namespace sensix

int main(int argc, char** argv) {
  CLI::App app{"sensix serve benchmark: the device daemon measured from outside"};
  sensix::Options o;
  app.add_option("--repeat", o.repeat, "runs of each measurement (median, min, max)")->check(CLI::Range(1, 50));
  app.add_option("--applies", o.applies, "apply + delete cycles per run of part 4")->check(CLI::Range(1, 1000));
  app.add_option("--sse-seconds", o.sse_seconds, "seconds of each fan-out measurement")->check(CLI::Range(0.5, 600.0));
  app.add_option("--report", o.report, "write the Markdown report here too");
  app.add_flag("--smoke", o.smoke, "every part, briefly (repeat 1, 3 applies, 2 s fan-out): not measurements");
  CLI11_PARSE(app, argc, argv);
  if (o.smoke) {
    o.repeat = 1;
    o.applies = 3;
    o.sse_seconds = 2;
  }
  return sensix::ServeBench(std::move(o)).run();
}
