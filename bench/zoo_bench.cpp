// Zoo benchmark (issue 4), two parts in one run on this machine:
//
// 1. Every zoo model at once on the demo sensors, in real time, for a fixed duration: the
//    quickstart's eight models (speech recording -> Silero VAD, openWakeWord mel -> embedding ->
//    three heads; photos -> BlazeFace, SSD) plus the zoo's (examples/zoo/): the timer intent head on
//    the same embedding, MediaPipe face detection
//    on Megamind.avi, BlazeFace -> Face Mesh on its faces, SSD Person -> pose landmarks, PP-OCRv4 det
//    -> recogniser and orientation classifier on a sign, palm detection -> hand landmarks on a hand,
//    M-LSD on the photos. Every sensor loops. Reported per model: inferences per second, compute
//    and end-to-end latency p50/p99, frames dropped before the model, errors, resident memory;
//    and the process's CPU use.
// 2. Model-as-feature sharing on the wake-word family: the same heads fed by one shared mel ->
//    embedding chain (the planner's normal plan) against each head with its own copy of the mel
//    and embedding models, both replaying the same recording as fast as possible (lossless), in the
//    same process. Reported: process CPU seconds (getrusage, minimum of --repeat runs), and a check
//    that both give the same predictions.
//
//   sensix_bench_zoo [--duration 20] [--repeat 3] [--report FILE]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/paths.h"
#include "docs/parser.h"
#include "runtime/runtime.h"
#include "support/lossless_run.h"
#include "support/voice_family.h"

#ifndef SENSIX_SOURCE_DIR
#error "SENSIX_SOURCE_DIR must point at the source tree (examples/)"
#endif

namespace sensix {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";
constexpr const char* kSign = "/usr/share/doc/opencv-doc/examples/text/scenetext01.jpg";
constexpr const char* kHand = "/usr/share/doc/opencv-doc/opencv4/html/handSrc.jpg";

double ms(double ns) { return ns / 1e6; }

// Counts predictions per model (the console is not part of what is measured).
class CountingSink final : public PredictionSink {
 public:
  void publish(const Prediction& p) override {
    std::lock_guard<std::mutex> lock(mu_);
    by_model_[p.model]++;
  }
  std::map<std::string, int> counts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return by_model_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> by_model_;
};

// The quickstart's sensors and models, every Model document of examples/zoo/, and `extra` (the
// benchmark's own sensors and pipelines, written next to the report); the quickstart's own
// pipelines are left out.
Result<DocumentSet> load_zoo(const std::string& extra) {
  const fs::path examples = fs::path(SENSIX_SOURCE_DIR) / "examples";
  const std::string quickstart = (examples / "quickstart.yaml").string();
  std::vector<std::string> files = bench::example_document_files(examples.string());
  const fs::path extra_file = fs::temp_directory_path() / fmt::format("sensix-zoo-bench-{}.yaml", ::getpid());
  {
    std::ofstream f(extra_file);
    f << extra;
    if (!f) return Internal("cannot write " + extra_file.string());
  }
  files.push_back(extra_file.string());
  auto docs = parse_document_files(files);
  fs::remove(extra_file);
  if (!docs.ok()) return docs.status();
  std::erase_if(docs->pipelines, [&](const PipelineDoc& p) { return p.origin.file == quickstart; });
  return docs;
}

std::string all_models_documents() {
  return fmt::format(R"(
apiVersion: sensix/v1
kind: Sensor
metadata: {{name: clip}}
spec:
  driver: video-file
  path: {}
  video: {{fps: 10}}
---
apiVersion: sensix/v1
kind: Sensor
metadata: {{name: sign}}
spec:
  driver: image-folder
  path: {}
  video: {{fps: 1}}
---
apiVersion: sensix/v1
kind: Sensor
metadata: {{name: hand}}
spec:
  driver: image-folder
  path: {}
  video: {{fps: 2}}
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {{name: bench-voice}}
spec:
  steps:
    - {{model: silero-vad, from: {{sensor: speech}}}}
    - {{model: oww-mel, from: {{sensor: speech}}}}
    - {{model: oww-embedding, from: {{model: oww-mel}}}}
    - {{model: hey-jarvis, from: {{model: oww-embedding}}}}
    - {{model: alexa, from: {{model: oww-embedding}}}}
    - {{model: hey-mycroft, from: {{model: oww-embedding}}}}
    - {{model: timer, from: {{model: oww-embedding}}}}
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {{name: bench-faces}}
spec:
  steps:
    - {{model: face-detection, from: {{sensor: clip}}}}
    - {{model: blazeface, from: {{sensor: clip}}}}
    - {{model: face-mesh, from: {{model: blazeface, crops: {{labels: [face], maxCrops: 2, scale: 1.5, square: true}}}}}}
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {{name: bench-scene}}
spec:
  steps:
    - {{model: ssd-oidv4, from: {{sensor: camera}}}}
    - {{model: pose-landmarks, from: {{model: ssd-oidv4, crops: {{labels: [Person], maxCrops: 2, scale: 1.2}}}}}}
    - {{model: mlsd, from: {{sensor: camera}}}}
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {{name: bench-ocr}}
spec:
  steps:
    - {{model: ppocr-det, from: {{sensor: sign}}}}
    - {{model: ppocr-rec, from: {{model: ppocr-det, crops: {{maxCrops: 8}}}}}}
    - {{model: ppocr-cls, from: {{model: ppocr-det, crops: {{maxCrops: 8}}}}}}
---
apiVersion: sensix/v1
kind: Pipeline
metadata: {{name: bench-hands}}
spec:
  steps:
    - {{model: palm-detection, from: {{sensor: hand}}}}
    - {{model: hand-landmarks, from: {{model: palm-detection, crops: {{maxCrops: 2, scale: 2.0, square: true}}}}}}
)",
                     kMegamind, kSign, kHand);
}

const std::vector<std::string> kWakeWords = {"hey-jarvis", "alexa", "hey-mycroft"};

// The wake-word family on the speech sensor, replayed losslessly `repeat` times: the run with the
// least CPU. `shared`: one mel and embedding for every head; else each head its own copies.
Result<bench::LosslessRun> run_wake_words(bool shared, int repeat) {
  const std::string examples = (fs::path(SENSIX_SOURCE_DIR) / "examples").string();
  SENSIX_ASSIGN_OR_RETURN(DocumentSet docs, bench::voice_documents(examples, {kWakeWords, false, shared}));
  bench::LosslessRun best;
  best.cpu_s = 1e9;
  for (int r = 0; r < repeat; ++r) {
    SENSIX_ASSIGN_OR_RETURN(bench::LosslessRun run, bench::run_lossless(docs, RuntimeOptions{}));
    if (run.cpu_s < best.cpu_s) best = std::move(run);
  }
  return best;
}

int run(double duration, int repeat, const std::string& report_path) {
  for (const char* f : {kMegamind, kSign, kHand}) {
    if (!fs::exists(f)) {
      std::fprintf(stderr, "zoo bench: %s missing (Debian opencv-doc; run scripts/setup)\n", f);
      return 1;
    }
  }
  auto docs = load_zoo(all_models_documents());
  if (!docs.ok()) {
    std::fprintf(stderr, "zoo bench: %s\n", docs.status().message().c_str());
    return 1;
  }
  RuntimeOptions ro;
  ro.loop = true;  // every sensor replays in real time, again and again
  auto rt = Runtime::create(*docs, ro);
  if (!rt.ok()) {
    std::fprintf(stderr, "zoo bench: %s\n", rt.status().message().c_str());
    return 1;
  }
  auto sink = std::make_shared<CountingSink>();
  (*rt)->add_sink(sink);
  const double cpu0 = bench::process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = (*rt)->start(); !s.ok()) {
    std::fprintf(stderr, "zoo bench: %s\n", s.message().c_str());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(duration));
  (*rt)->stop();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = bench::process_cpu_seconds() - cpu0;
  const RuntimeStats stats = (*rt)->stats();
  const auto preds = sink->counts();

  std::string out;
  out += "# Zoo benchmark: every model at once, and model-as-feature sharing\n\n";
  out += fmt::format("Machine: {} cores, {}. Command: `sensix_bench_zoo --duration {} --repeat {}`.\n\n",
                     std::thread::hardware_concurrency(), bench::describe_machine(SENSIX_SOURCE_DIR).cpu_model,
                     duration, repeat);
  out += fmt::format(
      "## 1. {} models at once, real time, {:.1f} s\n\n"
      "Sensors (each looping): the quickstart's speech recording (22.05 kHz, real time) and photos "
      "(1 fps), Megamind.avi (capped at 10 fps), scenetext01.jpg (1 fps), handSrc.jpg (2 fps). "
      "Process CPU: {:.1f} s in {:.1f} s of wall time = {:.0f}% of one core ({} cores here).\n\n",
      stats.models.size(), wall, cpu, wall, 100.0 * cpu / wall, std::thread::hardware_concurrency());
  out +=
      "| model | engine | runs/s | compute p50 ms | compute p99 ms | e2e p50 ms | e2e p99 ms | drops | errors | "
      "predictions | memory MiB |\n";
  out += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  uint64_t total_runs = 0, total_drops = 0, total_errors = 0;
  double total_mem = 0;
  for (const auto& m : stats.models) {
    const auto& st = m.model;
    auto it = preds.find(st.name);
    out += fmt::format("| {} | {} | {:.1f} | {:.2f} | {:.2f} | {:.1f} | {:.1f} | {} | {} | {} | {:.1f} |\n", st.name,
                       st.engine, static_cast<double>(st.runs) / wall,
                       ms(static_cast<double>(st.compute.percentile_ns(50))),
                       ms(static_cast<double>(st.compute.percentile_ns(99))),
                       ms(static_cast<double>(st.end_to_end.percentile_ns(50))),
                       ms(static_cast<double>(st.end_to_end.percentile_ns(99))), m.dropped_frames, st.errors,
                       it == preds.end() ? 0 : it->second, static_cast<double>(st.memory.resident_bytes) / 1048576.0);
    total_runs += st.runs;
    total_drops += m.dropped_frames;
    total_errors += st.errors;
    total_mem += static_cast<double>(st.memory.resident_bytes) / 1048576.0;
  }
  out += fmt::format("| **all** | | {:.1f} | | | | | {} | {} | | {:.1f} |\n\n", static_cast<double>(total_runs) / wall,
                     total_drops, total_errors, total_mem);
  out +=
      "runs/s counts inferences (a crop-fed model runs once per crop). Drops are inputs the model's bounded "
      "queue dropped because the model (or the two cores) could not keep up in real time; each is counted, "
      "none grows a queue. Memory is the resident growth while each model loaded (models loaded later can "
      "reuse memory freed earlier, so small figures are lower bounds).\n\n";

  auto shared = run_wake_words(true, repeat);
  auto separate = run_wake_words(false, repeat);
  if (!shared.ok() || !separate.ok()) {
    std::fprintf(stderr, "zoo bench: %s\n", (!shared.ok() ? shared.status() : separate.status()).message().c_str());
    return 1;
  }
  const std::string difference = bench::prediction_difference(*shared, *separate, kWakeWords);
  const bool same = difference.empty();
  out += "## 2. Model-as-feature sharing: wake-word heads\n\n";
  out +=
      "The quickstart's speech recording (17 s) through openWakeWord mel -> embedding -> hey_jarvis, alexa, "
      "hey_mycroft, replayed as fast as possible (lossless), minimum process CPU of the runs:\n\n";
  out +=
      "| plan | models | inferences | CPU s | wall s | predictions (jarvis/alexa/mycroft) "
      "|\n|---|---:|---:|---:|---:|---|\n";
  auto row = [&](const char* name, const bench::LosslessRun& r) {
    out += fmt::format("| {} | {} | {} | {:.3f} | {:.3f} | {}/{}/{} |\n", name, r.models, r.model_runs, r.cpu_s,
                       r.wall_s, r.count("hey-jarvis"), r.count("alexa"), r.count("hey-mycroft"));
  };
  row("shared embedding (one mel + one embedding)", *shared);
  row("each head its own mel + embedding", *separate);
  const double saved = 1.0 - shared->cpu_s / separate->cpu_s;
  out += fmt::format(
      "\nSharing the mel and embedding models uses {:.2f}x less CPU ({:.0f}% saved) for the same predictions: {}.\n",
      separate->cpu_s / shared->cpu_s, 100.0 * saved, same ? std::string("yes") : "NO: " + difference);
  std::fputs(out.c_str(), stdout);
  if (!report_path.empty()) {
    std::ofstream f(report_path);
    f << out;
    if (!f) {
      std::fprintf(stderr, "zoo bench: cannot write %s\n", report_path.c_str());
      return 1;
    }
  }
  return same && total_errors == 0 ? 0 : 2;
}

}  // namespace
}  // namespace sensix

int main(int argc, char** argv) {
  CLI::App app{"sensix zoo benchmark: every zoo model at once, and model-as-feature sharing"};
  double duration = 20;
  int repeat = 3;
  std::string report;
  app.add_option("--duration", duration, "seconds to run all models in real time")->check(CLI::Range(1.0, 3600.0));
  app.add_option("--repeat", repeat, "runs of each sharing configuration (the minimum CPU counts)")
      ->check(CLI::Range(1, 20));
  app.add_option("--report", report, "write the Markdown report here too");
  CLI11_PARSE(app, argc, argv);
  return sensix::run(duration, repeat, report);
}
