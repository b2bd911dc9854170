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
#include <sys/resource.h>
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

#ifndef SENSIX_SOURCE_DIR
#error "SENSIX_SOURCE_DIR must point at the source tree (examples/)"
#endif

namespace sensix {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";
constexpr const char* kSign = "/usr/share/doc/opencv-doc/examples/text/scenetext01.jpg";
constexpr const char* kHand = "/usr/share/doc/opencv-doc/opencv4/html/handSrc.jpg";

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double ms(double ns) { return ns / 1e6; }

// "Intel(R) Xeon(R) ..." from /proc/cpuinfo, or "unknown CPU".
std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

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
  const fs::path quickstart = examples / "quickstart.yaml";
  std::vector<std::string> files = {quickstart.string()};
  for (const auto& e : fs::directory_iterator(examples / "zoo")) {
    if (e.path().extension() == ".yaml" && e.path().filename() != "postprocess-demo.yaml") files.push_back(e.path());
  }
  std::sort(files.begin() + 1, files.end());
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
  std::erase_if(docs->pipelines, [&](const PipelineDoc& p) { return p.origin.file == quickstart.string(); });
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

// The wake-word family on the speech sensor: shared (one mel and embedding for every head) or
// not (each head with its own copies, named <model>-for-<head>).
Result<DocumentSet> wake_word_documents(bool shared) {
  const fs::path examples = fs::path(SENSIX_SOURCE_DIR) / "examples";
  SENSIX_ASSIGN_OR_RETURN(DocumentSet docs, parse_document_files({(examples / "quickstart.yaml").string()}));
  docs.pipelines.clear();
  std::erase_if(docs.sensors, [](const SensorDoc& s) { return s.metadata.name != "speech"; });
  const std::vector<std::string> heads = {"hey-jarvis", "alexa", "hey-mycroft"};
  PipelineDoc p;
  p.origin.file = "zoo-bench";
  p.metadata.name = "wake";
  auto step = [&](const std::string& model, const std::string& sensor, const std::string& upstream) {
    StepSpec s;
    s.model = model;
    s.from.sensor = sensor;
    s.from.model = upstream;
    p.spec.steps.push_back(s);
  };
  if (shared) {
    step("oww-mel", "speech", "");
    step("oww-embedding", "", "oww-mel");
    for (const auto& h : heads) step(h, "", "oww-embedding");
  } else {
    std::vector<ModelDoc> copies;
    for (const auto& h : heads) {
      for (const char* base : {"oww-mel", "oww-embedding"}) {
        const ModelDoc* original = docs.find_model(base);
        if (original == nullptr) return NotFound(fmt::format("quickstart.yaml has no Model/{}", base));
        ModelDoc copy = *original;
        copy.metadata.name = fmt::format("{}-for-{}", base, h);
        copies.push_back(std::move(copy));
      }
      step("oww-mel-for-" + h, "speech", "");
      step("oww-embedding-for-" + h, "", "oww-mel-for-" + h);
      step(h, "", "oww-embedding-for-" + h);
    }
    for (auto& c : copies) docs.models.push_back(std::move(c));
  }
  docs.pipelines.push_back(std::move(p));
  return docs;
}

struct SharingRun {
  double cpu_s = 1e9;
  double wall_s = 1e9;
  std::map<std::string, int> predictions;
  uint64_t model_runs = 0;
};

Result<SharingRun> run_wake_words(bool shared, int repeat) {
  SharingRun best;
  for (int r = 0; r < repeat; ++r) {
    SENSIX_ASSIGN_OR_RETURN(DocumentSet docs, wake_word_documents(shared));
    RuntimeOptions ro;
    ro.speed = 0.0;  // as fast as the models allow, lossless
    ro.loop = false;
    SENSIX_ASSIGN_OR_RETURN(auto rt, Runtime::create(docs, ro));
    auto sink = std::make_shared<CountingSink>();
    rt->add_sink(sink);
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    SENSIX_RETURN_IF_ERROR(rt->start());
    if (!rt->wait(std::chrono::minutes(5))) return Internal("the wake-word run did not finish in 5 minutes");
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    rt->stop();
    uint64_t runs = 0;
    for (const auto& m : rt->stats().models) runs += m.model.runs;
    if (cpu < best.cpu_s) {
      best.cpu_s = cpu;
      best.wall_s = wall;
      best.predictions = sink->counts();
      best.model_runs = runs;
    }
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
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = (*rt)->start(); !s.ok()) {
    std::fprintf(stderr, "zoo bench: %s\n", s.message().c_str());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(duration));
  (*rt)->stop();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const RuntimeStats stats = (*rt)->stats();
  const auto preds = sink->counts();

  std::string out;
  out += "# Zoo benchmark: every model at once, and model-as-feature sharing\n\n";
  out += fmt::format("Machine: {} cores, {}. Command: `sensix_bench_zoo --duration {} --repeat {}`.\n\n",
                     std::thread::hardware_concurrency(), cpu_model(), duration, repeat);
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
  const bool same = [&] {
    for (const char* h : {"hey-jarvis", "alexa", "hey-mycroft"}) {
      if (shared->predictions[h] != separate->predictions[h]) return false;
    }
    return true;
  }();
  out += "## 2. Model-as-feature sharing: wake-word heads\n\n";
  out +=
      "The quickstart's speech recording (17 s) through openWakeWord mel -> embedding -> hey_jarvis, alexa, "
      "hey_mycroft, replayed as fast as possible (lossless), minimum process CPU of the runs:\n\n";
  out +=
      "| plan | models | inferences | CPU s | wall s | predictions (jarvis/alexa/mycroft) "
      "|\n|---|---:|---:|---:|---:|---|\n";
  auto row = [&](const char* name, int models, const SharingRun& r) {
    out += fmt::format("| {} | {} | {} | {:.3f} | {:.3f} | {}/{}/{} |\n", name, models, r.model_runs, r.cpu_s, r.wall_s,
                       r.predictions.count("hey-jarvis") ? r.predictions.at("hey-jarvis") : 0,
                       r.predictions.count("alexa") ? r.predictions.at("alexa") : 0,
                       r.predictions.count("hey-mycroft") ? r.predictions.at("hey-mycroft") : 0);
  };
  row("shared embedding (one mel + one embedding)", 5, *shared);
  row("each head its own mel + embedding", 9, *separate);
  const double saved = 1.0 - shared->cpu_s / separate->cpu_s;
  out += fmt::format(
      "\nSharing the mel and embedding models uses {:.2f}x less CPU ({:.0f}% saved) for the same predictions: {}.\n",
      separate->cpu_s / shared->cpu_s, 100.0 * saved, same ? "yes" : "NO (see the table)");
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
