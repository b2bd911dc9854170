// The benchmark suite of issue 5: one command that measures, in one run on this machine, what
// sensix costs and saves against the baselines people use, and writes a Markdown report with plots.
//
// 1. Overhead: one model (PP-OCRv4 det) on a video, every frame decoded, served through the whole
//    runtime (video sensor -> transform -> engine -> post-processing -> prediction) against the
//    same work hand-written in one loop (OpenCV decode, image_ops, Session::run, text-region
//    decoding) and against the pure engine on a pre-made tensor (the ceiling), with the process
//    pinned to N cores for N intra-op threads (equal CPU). Goal: >= 95% of the hand-written loop.
//    1b: the tiny openWakeWord head hey-jarvis in its chain: per-call costs against Session::run.
// 2. Baseline: ten models (five audio, five vision) served by one sensix process against ten
//    separate processes, one per model, each with its own sensor and its own copy of every
//    preprocessing step and feature model it needs (the real `sensix` CLI of this build, one
//    model's documents each). Both sides process the same recordings N times as fast as they can,
//    pinned to the same cores. Goal: useful throughput >= 1.5x the baseline, with less memory (PSS).
// 3. Ablations on the same workload: sharing on/off, isolation in-process vs worker processes,
//    each scheduling policy, batching on/off.
// 4. Priorities under overload: a high-priority model with a latency objective and a growing
//    number of low-priority models on one video in real time, per scheduling policy: the high
//    model's p99 latency and the total throughput (the trade-off curves).
//
//   sensix_bench_suite [--smoke] [--duration S] [--repeat R] [--parts 1,2,3,4] [--report FILE] [--plots DIR]
//                      [--sensix PATH]
//
// Goals missed are reported, never turned into a failure; the exit status is 1 only when the
// suite could not run (a missing recording, a model that fails to load, a CLI that fails) or a
// part's runs reported model errors (a run whose models failed measures nothing).
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/paths.h"
#include "docs/parser.h"
#include "engines/registry.h"
#include "models/model_instance.h"
#include "runtime/runtime.h"
#include "suite/machine.h"
#include "suite/overhead.h"
#include "suite/plot.h"
#include "suite/processes.h"
#include "suite/spread.h"
#include "suite/workload.h"

#ifndef SENSIX_SOURCE_DIR
#error "SENSIX_SOURCE_DIR must point at the source tree (examples/)"
#endif

namespace sensix::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  bool smoke = false;
  double duration = 10;  // seconds each measured configuration runs (about)
  int repeat = 2;        // parts 2 and 3: runs of each configuration, the fastest kept
  std::string report;
  std::string plots;
  std::string sensix;                  // the CLI; default: next to the bench folder
  std::set<int> parts = {1, 2, 3, 4};  // part 3 needs part 2
  bool allow_dirty = false;            // measure a tree that differs from its commit (marked in the report)
  double wait_for_load = 120;          // seconds to wait for the load to fall to 0.5 per core before starting
};

// "0.12 0.30 0.41" (1, 5 and 15 minutes) from /proc/loadavg.
// The 1-minute load average, or -1 when unknown.
double load_1min() {
  std::ifstream f("/proc/loadavg");
  double a = -1;
  f >> a;
  return f ? a : -1;
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a.empty() ? "unknown" : fmt::format("{} {} {} (1, 5, 15 min)", a, b, c);
}

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
double ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }
std::string yes_no(bool b) { return b ? "**yes**" : "**no**"; }

// ---------------------------------------------------------------------------------------------
// The models and their scenarios

// The ten "useful" models of parts 2 and 3: what a user asked for. The wake-word family's
// feature models (oww-mel, oww-embedding) are means, not ends: they are run, but not counted.
const std::vector<std::string> kHeads = {"hey-jarvis", "alexa", "hey-mycroft", "timer"};
const std::vector<std::string> kVision = {"blazeface", "face-detection", "ssd-oidv4", "mlsd", "pose-landmarks"};

std::vector<std::string> useful_models() {
  std::vector<std::string> out = {"silero-vad"};
  out.insert(out.end(), kHeads.begin(), kHeads.end());
  out.insert(out.end(), kVision.begin(), kVision.end());
  return out;
}

bool is_head(const std::string& m) { return std::find(kHeads.begin(), kHeads.end(), m) != kHeads.end(); }

std::string speech_sensor(const Media& m) {
  return fmt::format("  driver: audio-file\n  path: {}\n  audio: {{frameMs: 20}}\n", m.speech);
}
std::string folder_sensor(const std::string& path) {
  return fmt::format("  driver: image-folder\n  path: {}\n  video: {{fps: 1}}\n", path);
}

// The steps one model needs, from its sensor: a wake-word head reads the embedding, which reads
// the mel spectrogram (named `mel`, `embedding`: a copy per head when they differ from the
// library's names).
void add_chain(Scenario* s, const std::string& model, const std::string& mel = "oww-mel",
               const std::string& embedding = "oww-embedding") {
  auto has = [&](const std::string& name) {
    return std::any_of(s->steps.begin(), s->steps.end(), [&](const Step& st) { return st.model == name; });
  };
  if (is_head(model)) {
    if (!has(mel)) s->steps.push_back({mel, "speech", "", ""});
    if (!has(embedding)) s->steps.push_back({embedding, "", mel, ""});
    s->steps.push_back({model, "", embedding, ""});
  } else if (model == "silero-vad") {
    s->steps.push_back({model, "speech", "", ""});
  } else {
    s->steps.push_back({model, "camera", "", ""});
  }
}

// The ten models in one document set (one sensix process). `own_features`: each head gets its own
// copy of the mel and embedding models (no model-as-feature sharing).
Scenario ten_models(const Media& m, bool own_features = false) {
  Scenario s;
  s.name = own_features ? "ten-models-unshared" : "ten-models";
  s.drop_spec = {"scheduling", "variants"};
  s.sensors = {{"speech", speech_sensor(m)}, {"camera", folder_sensor(m.photos)}};
  for (const auto& model : useful_models()) {
    if (own_features && is_head(model)) {
      const std::string mel = "oww-mel-for-" + model, emb = "oww-embedding-for-" + model;
      s.copies[mel] = "oww-mel";
      s.copies[emb] = "oww-embedding";
      add_chain(&s, model, mel, emb);
    } else {
      add_chain(&s, model);
    }
  }
  return s;
}

// One model with everything it needs, as its own service would run it.
Scenario one_model(const Media& m, const std::string& model) {
  Scenario s;
  s.name = "only-" + model;
  s.drop_spec = {"scheduling", "variants"};
  if (model == "silero-vad" || is_head(model)) {
    s.sensors = {{"speech", speech_sensor(m)}};
  } else {
    s.sensors = {{"camera", folder_sensor(m.photos)}};
  }
  add_chain(&s, model);
  return s;
}

// The batching workload: PP-OCRv4 det -> recogniser and orientation classifier on the text lines
// it finds (up to 8 crops per photo), and the wake-word family: the models whose inputs have a
// dynamic batch dimension (PP-OCR, the openWakeWord embedding).
Scenario ocr_and_wake_words(const Media& m, bool batch) {
  Scenario s;
  s.name = batch ? "ocr-wake-batched" : "ocr-wake";
  s.drop_spec = {"scheduling", "variants"};
  s.sensors = {{"speech", speech_sensor(m)}, {"sign", folder_sensor(m.sign)}};
  s.steps.push_back({"ppocr-det", "sign", "", ""});
  s.steps.push_back({"ppocr-rec", "", "ppocr-det", "{maxCrops: 8}"});
  s.steps.push_back({"ppocr-cls", "", "ppocr-det", "{maxCrops: 8}"});
  for (const auto& h : kHeads) add_chain(&s, h);
  if (batch) {
    for (const char* model : {"ppocr-rec", "ppocr-cls", "oww-embedding"}) {
      s.extra_spec[model] = "  scheduling:\n    batch: {max: 8, delay: 20ms}\n";
    }
  }
  return s;
}

std::vector<std::string> ocr_wake_useful() {
  std::vector<std::string> out = {"ppocr-det", "ppocr-rec", "ppocr-cls"};
  out.insert(out.end(), kHeads.begin(), kHeads.end());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

struct CliModel {
  uint64_t runs = 0;
  uint64_t errors = 0;
  uint64_t dropped = 0;
  double compute_mean_ms = 0;
  double e2e_p99_ms = 0;
  nlohmann::json raw;  // the summary's entry, for fields a newer CLI adds
};

struct CliOutcome {
  bool ok = false;
  std::string error;
  double uptime_s = 0;
  std::map<std::string, CliModel> models;
};

// One configuration's measurement: one or several CLI processes.
struct Measured {
  std::string label;
  bool ok = false;
  std::string error;
  int processes = 0;
  uint64_t useful_runs = 0;
  std::map<std::string, uint64_t> runs;  // per model, summed over processes
  double wall_s = 0;                     // launch to last exit (loading included)
  double serving_s = 0;                  // the longest uptime (start() to summary), loading excluded
  double cpu_s = 0;
  MemorySample memory;  // peak PSS/RSS, summed over processes
  std::vector<CliOutcome> outcomes;
  double rps() const { return wall_s > 0 ? static_cast<double>(useful_runs) / wall_s : 0; }
  double serving_rps() const { return serving_s > 0 ? static_cast<double>(useful_runs) / serving_s : 0; }
  double cpu_ms_per_run() const { return useful_runs ? 1000.0 * cpu_s / static_cast<double>(useful_runs) : 0; }
};

CliOutcome parse_summary(const ProcessResult& p) {
  CliOutcome o;
  if (p.exit_code != 0) {
    std::string first = p.err;
    if (size_t at = first.find("error: "); at != std::string::npos) {
      first = first.substr(at);
      first = first.substr(0, first.find('\n'));
    }
    o.error = p.exit_code < 0 ? fmt::format("{} killed by signal {}", p.name, p.signal)
                              : fmt::format("{} exited {}: {}", p.name, p.exit_code, first);
    return o;
  }
  std::string last;
  size_t pos = 0;
  while (pos < p.out.size()) {
    size_t nl = p.out.find('\n', pos);
    if (nl == std::string::npos) nl = p.out.size();
    std::string line = p.out.substr(pos, nl - pos);
    if (!line.empty() && line[0] == '{') last = line;
    pos = nl + 1;
  }
  nlohmann::json j = nlohmann::json::parse(last, nullptr, false);
  if (j.is_discarded() || j.value("type", "") != "summary") {
    o.error = p.name + " printed no JSON summary";
    return o;
  }
  o.ok = true;
  o.uptime_s = j.value("uptimeSeconds", 0.0);
  for (const auto& m : j["models"]) {
    CliModel cm;
    cm.runs = m.value("runs", uint64_t{0});
    cm.errors = m.value("errors", uint64_t{0});
    cm.dropped = m.value("droppedFrames", uint64_t{0});
    cm.compute_mean_ms = m.value("computeMeanMs", 0.0);
    cm.e2e_p99_ms = m.value("endToEndP99Ms", 0.0);
    cm.raw = m;
    o.models[m.value("name", "")] = cm;
  }
  return o;
}

class Suite {
 public:
  Suite(Options o, MachineInfo machine, ModelLibrary models)
      : opt_(std::move(o)), machine_(std::move(machine)), models_(std::move(models)), plotter_(opt_.plots) {}

  int run();

 private:
  // Writes each scenario and runs them all at once with `sensix run FILE --speed max --quiet
  // --json` plus `args`, counting the runs of `useful` models.
  Measured run_cli(const std::string& label, const std::vector<Scenario>& scenarios,
                   const std::vector<std::string>& useful, const std::vector<std::string>& args = {});
  std::string scenario_file(const Scenario& s);

  bool part_overhead();
  bool part_overhead_tiny();
  bool part_baseline();
  bool part_ablations();
  bool part_priorities();

  void add(const std::string& text) { out_ += text; }
  void plot_note(const std::vector<std::string>& files, const std::string& what);
  int cores() const { return std::max(1, static_cast<int>(machine_.pinned.size())); }
  int repeats() const { return opt_.smoke ? 1 : opt_.repeat; }

  Options opt_;
  MachineInfo machine_;
  ModelLibrary models_;
  Plotter plotter_;
  std::string tmp_;
  std::string out_;
  int repeat_ = 1;  // N: how many times parts 2 and 3 replay their recordings
  std::optional<Media> media_;
  Measured sensix_;  // part 2's sensix run, part 3's reference
  int files_ = 0;
};

std::string Suite::scenario_file(const Scenario& s) {
  return (fs::path(tmp_) / fmt::format("{:03d}-{}.yaml", files_++, s.name)).string();
}

Measured Suite::run_cli(const std::string& label, const std::vector<Scenario>& scenarios,
                        const std::vector<std::string>& useful, const std::vector<std::string>& args) {
  Measured m;
  m.label = label;
  std::vector<ProcessSpec> specs;
  for (const auto& s : scenarios) {
    const std::string file = scenario_file(s);
    if (Status st = write_scenario(s, models_, file); !st.ok()) {
      m.error = st.message();
      return m;
    }
    ProcessSpec p;
    p.name = s.name;
    p.argv = {opt_.sensix, "run", file, "--speed", "max", "--quiet", "--json"};
    p.argv.insert(p.argv.end(), args.begin(), args.end());
    specs.push_back(std::move(p));
  }
  std::fprintf(stderr, "suite: %s (%zu process%s)\n", label.c_str(), specs.size(), specs.size() == 1 ? "" : "es");
  auto g = run_processes(specs, std::chrono::seconds(opt_.smoke ? 120 : 900));
  if (!g.ok()) {
    m.error = g.status().message();
    return m;
  }
  m.processes = static_cast<int>(specs.size());
  m.wall_s = g->wall_s;
  m.cpu_s = g->cpu_s;
  m.memory = g->peak_sum;
  m.ok = !g->timed_out;
  if (g->timed_out) m.error = "timed out";
  const std::set<std::string> counted(useful.begin(), useful.end());
  for (const auto& p : g->processes) {
    CliOutcome o = parse_summary(p);
    if (!o.ok) {
      m.ok = false;
      if (m.error.empty()) m.error = o.error;
    }
    m.serving_s = std::max(m.serving_s, o.uptime_s);
    for (const auto& [name, cm] : o.models) {
      m.runs[name] += cm.runs;
      if (counted.count(name)) m.useful_runs += cm.runs;
      if (cm.errors > 0) {  // a run whose models failed measures nothing
        m.ok = false;
        if (m.error.empty()) m.error = fmt::format("{}: {} errors in {}", p.name, cm.errors, name);
      }
    }
    m.outcomes.push_back(std::move(o));
  }
  return m;
}

void Suite::plot_note(const std::vector<std::string>& files, const std::string& what) {
  if (opt_.plots.empty()) return;
  if (files.empty()) {
    add(fmt::format("\n({} not drawn: {}.)\n", what,
                    plotter_.available() ? plotter_.last_error() : plotter_.unavailable_reason()));
    return;
  }
  const fs::path rel = opt_.report.empty()
                           ? fs::path(opt_.plots)
                           : fs::relative(fs::absolute(opt_.plots), fs::absolute(opt_.report).parent_path());
  add(fmt::format("\n![{}]({})\n", what, rel == "." ? files.front() : (rel / files.front()).string()));
}

// ---------------------------------------------------------------------------------------------
// Part 1: overhead of the runtime against the bare engine

// The models of an in-process run that reported errors, as "Model/x: N errors (last: ...)", or "".
std::string model_errors(const RuntimeStats& st) {
  std::string out;
  for (const auto& m : st.models) {
    if (m.model.errors == 0) continue;
    out += fmt::format("{}Model/{}: {} errors (last: {})", out.empty() ? "" : "; ", m.model.name, m.model.errors,
                       m.model.last_error);
  }
  return out;
}

// One window of the runtime serving a document set as fast as its sensor replays.
struct RuntimeWindow {
  LoopFigures loop;  // runs = the counted model's inferences in the window
  struct PerModel {
    uint64_t runs = 0;
    double compute_us = 0;  // mean engine call (ModelStatsSnapshot.compute: ModelInstance::run's session call)
    double node_us = 0;     // the model node's busy time per inference (input, engine, post-processing)
  };
  std::map<std::string, PerModel> models;
  std::vector<std::pair<std::string, double>> busy_ms;  // per plan node, ms per counted inference
};

// Starts the documents' runtime (speed max, lossless, looping), waits for `model`'s first 3
// inferences, then measures `seconds`.
Result<RuntimeWindow> runtime_window(const DocumentSet& docs, const std::string& model, double seconds) {
  RuntimeOptions ro;
  ro.speed = 0.0;
  ro.loop = true;
  SENSIX_ASSIGN_OR_RETURN(auto rt, Runtime::create(docs, ro));
  SENSIX_RETURN_IF_ERROR(rt->start());
  auto runs_of = [&](const RuntimeStats& st) {
    for (const auto& m : st.models) {
      if (m.model.name == model) return m.model.runs;
    }
    return uint64_t{0};
  };
  const auto w0 = Clock::now();
  while (runs_of(rt->stats()) < 3 && since(w0) < 60) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const RuntimeStats a = rt->stats();
  const double cpu0 = process_cpu_seconds();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const RuntimeStats b = rt->stats();
  RuntimeWindow w;
  w.loop.wall_s = since(t0);
  w.loop.cpu_s = process_cpu_seconds() - cpu0;
  rt->stop();
  if (std::string errors = model_errors(rt->stats()); !errors.empty()) {
    return Internal("a run reported model errors, so it measures nothing: " + errors);
  }
  w.loop.runs = runs_of(b) - runs_of(a);
  const double per = static_cast<double>(std::max<uint64_t>(w.loop.runs, 1));
  for (const auto& mb : b.models) {
    for (const auto& ma : a.models) {
      if (ma.model.name != mb.model.name) continue;
      RuntimeWindow::PerModel pm;
      pm.runs = mb.model.runs - ma.model.runs;
      const double sum_a = ma.model.compute.mean_ns() * static_cast<double>(ma.model.compute.count());
      const double sum_b = mb.model.compute.mean_ns() * static_cast<double>(mb.model.compute.count());
      const int64_t n = mb.model.compute.count() - ma.model.compute.count();
      if (n > 0) pm.compute_us = (sum_b - sum_a) / static_cast<double>(n) / 1e3;
      w.models[mb.model.name] = pm;
    }
  }
  for (const auto& nb : b.nodes) {
    int64_t before = 0;
    for (const auto& na : a.nodes) {
      if (na.id == nb.id) before = na.busy_ns;
    }
    if (nb.kind == "model" && w.models.count(nb.model) && w.models[nb.model].runs > 0) {
      w.models[nb.model].node_us = static_cast<double>(nb.busy_ns - before) / 1e3 /
                                   static_cast<double>(w.models[nb.model].runs);
    }
    w.busy_ms.emplace_back(nb.label, ms(nb.busy_ns - before) / per);
  }
  return w;
}

// One configuration of part 1: `threads` intra-op threads on `cores`.
struct OverheadCase {
  int threads = 1;
  std::vector<int> cores;
  bool equal_cpu = true;  // as many cores as intra-op threads
  std::vector<LoopFigures> engine, expert;
  std::vector<RuntimeWindow> runtime;
  std::string label() const {
    return fmt::format("{} thread{}, {} core{}", threads, threads == 1 ? "" : "s", cores.size(),
                       cores.size() == 1 ? "" : "s");
  }
};

// "61.6% (60.1-62.0)": a spread of percentages.
std::string percent(const Spread& s, int decimals) {
  std::string t = format_spread(s, decimals);
  const size_t space = t.find(' ');
  return space == std::string::npos ? t + "%" : t.insert(space, "%");
}

Spread rps_spread(const std::vector<LoopFigures>& v) {
  std::vector<double> x;
  for (const auto& f : v) x.push_back(f.rps());
  return spread_of(x);
}
Spread cpu_spread(const std::vector<LoopFigures>& v) {
  std::vector<double> x;
  for (const auto& f : v) x.push_back(f.cpu_ms());
  return spread_of(x);
}
std::vector<LoopFigures> loops_of(const std::vector<RuntimeWindow>& v) {
  std::vector<LoopFigures> out;
  for (const auto& w : v) out.push_back(w.loop);
  return out;
}
// The ratio a/b of each repetition (the two measured one after the other), as a spread, in %.
Spread ratio_spread(const std::vector<LoopFigures>& a, const std::vector<LoopFigures>& b) {
  std::vector<double> x;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    x.push_back(b[i].rps() > 0 ? 100.0 * a[i].rps() / b[i].rps() : 0);
  return spread_of(x);
}

bool Suite::part_overhead() {
  const std::string model = "ppocr-det";
  const double seconds = opt_.smoke ? 1.0 : opt_.duration;
  const int reps = repeats();
  const std::string plural = reps == 1 ? "" : "s";
  // Equal CPU: N cores for N intra-op threads (the runtime's decoding and preparation then compete with its
  // engine for those cores, as the expert loop's do); beside it, one thread with every core.
  std::vector<OverheadCase> cases;
  const std::vector<int>& all = machine_.pinned;
  cases.push_back({1, {all.empty() ? 0 : all.front()}, true, {}, {}, {}});
  if (cores() > 1 && !opt_.smoke) {
    cases.push_back({1, all, false, {}, {}, {}});
    cases.push_back({cores(), all, true, {}, {}, {}});
  }
  add("## 1. Overhead: the full runtime against the bare engine\n\n");
  add("**Goal:** one model served through the full runtime on a camera-like input sustains >= 95% of the "
      "throughput of the same work hand-written around the bare engine, at every intra-op thread count, with "
      "equal CPU (both sides pinned to as many cores as intra-op threads).\n\n");
  add(fmt::format(
      "Model: PP-OCRv4 text detection (`{}`, ONNX Runtime, input 1x3x640x640). Input: OpenCV's Megamind.avi clip "
      "(MPEG-4 part 2, 720x528, 270 frames), replayed in a loop; every frame is decoded. What each side does per "
      "inference:\n\n"
      "- **runtime**: sensix's video-file sensor decodes the next frame (cv::VideoCapture, FFmpeg, on the sensor's "
      "thread; speed max, lossless, looping: the file is reopened at its end), the planned transform nodes "
      "letterbox it to 640x640 and make the NCHW float tensor with the document's mean/std (on the sensor's graph "
      "thread), the scheduler queues it for the model's lane, which runs `ModelInstance::run` (Session::run) and the "
      "document's text-region (DB) decoding, then publishes the prediction. The three threads overlap.\n"
      "- **expert loop**: what one writes by hand instead of sensix, one frame after the other in one thread: "
      "cv::VideoCapture::read of the same file (reopened at its end), the project's image_ops letterbox, colour "
      "conversion and NCHW tensor with the same mean/std (`resize_image`, `convert_color`, `image_to_tensor`), "
      "`Session::run`, the same text-region decoding (`TextRegionDecoder`).\n"
      "- **pure engine** (the ceiling): `Session::run` in a loop on one pre-made tensor: no frame decoded, no "
      "tensor made, no post-processing.\n\n"
      "Equal CPU: the whole process is pinned (sched_setaffinity, every thread) to as many cores as intra-op "
      "threads while a side is measured, so the runtime's decoding and preparation take CPU from its engine "
      "exactly as the expert loop's do; the headline compares these. The row with one thread on {} cores "
      "shows what the runtime gains when its preparation may run on an otherwise idle core (the expert loop, "
      "serial, cannot). Each side is measured for {:.0f} s after a warm-up, the three one after the other, {} "
      "time{}; each figure is the median with the min-max over those runs (a ratio: the median of the ratios of "
      "the runs measured one after the other). Throughput = inferences / wall time; CPU = process CPU (getrusage) "
      "per inference.\n\n",
      model, cores(), seconds, reps, plural));

  auto docs_for = [&](int threads, const std::string& sensor, std::vector<Step> steps,
                      const std::vector<std::string>& models) -> Result<DocumentSet> {
    Scenario s;
    s.name = fmt::format("overhead-{}-threads", threads);
    s.drop_spec = {"scheduling", "variants"};
    s.sensors = {{"input", sensor}};
    s.steps = std::move(steps);
    for (const auto& m : models) s.extra_spec[m] = fmt::format("  resources: {{threads: {}}}\n", threads);
    const std::string file = scenario_file(s);
    SENSIX_RETURN_IF_ERROR(write_scenario(s, models_, file));
    return parse_document_files({file});
  };
  const std::string video_sensor = fmt::format("  driver: video-file\n  path: {}\n", media_->clip);
  for (int rep = 0; rep < reps; ++rep) {
    for (auto& c : cases) {
      auto docs = docs_for(c.threads, video_sensor, {{model, "input", "", ""}}, {model});
      if (!docs.ok()) {
        add("The documents did not load: " + docs.status().message() + "\n\n");
        return false;
      }
      const ModelDoc& md = *docs->find_model(model);
      CorePin pin(c.cores);
      std::fprintf(stderr, "suite: overhead, %s, run %d of %d\n", c.label().c_str(), rep + 1, reps);
      auto e = engine_loop(md, c.threads, seconds);
      auto x = e.ok() ? expert_loop(md, media_->clip, c.threads, seconds) : Result<LoopFigures>(e.status());
      auto r = x.ok() ? runtime_window(*docs, model, seconds) : Result<RuntimeWindow>(x.status());
      if (!r.ok()) {
        add("A side failed: " + r.status().message() + "\n\n");
        return false;
      }
      c.engine.push_back(*e);
      c.expert.push_back(*x);
      c.runtime.push_back(std::move(*r));
    }
  }
  add("| intra-op threads, cores | pure engine inferences/s | expert loop inferences/s | runtime inferences/s | "
      "**runtime / expert loop** | runtime / pure engine | CPU ms per inference: pure engine / expert / runtime |\n");
  add("|---|---:|---:|---:|---:|---:|---|\n");
  for (const auto& c : cases) {
    const auto rt = loops_of(c.runtime);
    add(fmt::format("| {}{} | {} | {} | {} | **{}** | {} | {} / {} / {} |\n", c.label(),
                    c.equal_cpu ? " (equal CPU)" : " (all cores)", format_spread(rps_spread(c.engine), 2),
                    format_spread(rps_spread(c.expert), 2), format_spread(rps_spread(rt), 2),
                    percent(ratio_spread(rt, c.expert), 1), percent(ratio_spread(rt, c.engine), 1),
                    format_spread(cpu_spread(c.engine), 1), format_spread(cpu_spread(c.expert), 1),
                    format_spread(cpu_spread(rt), 1)));
  }
  add("\nWhere the runtime's time goes, per inference, in its median run (busy time of each plan node in the "
      "measured window; the model node's time includes the engine and the post-processing; transform nodes are "
      "sampled estimates; the engine in the runtime is the mean `compute`, beside the pure engine's time per "
      "call):\n\n");
  add("| intra-op threads, cores | node | busy ms per inference |\n|---|---|---:|\n");
  for (const auto& c : cases) {
    std::vector<double> x;
    for (const auto& w : c.runtime) x.push_back(w.loop.rps());
    const RuntimeWindow& w = c.runtime[static_cast<size_t>(std::max(0, median_index(x)))];
    for (const auto& [label, busy] : w.busy_ms) add(fmt::format("| {} | {} | {:.2f} |\n", c.label(), label, busy));
    const auto it = w.models.find(model);
    const Spread e = rps_spread(c.engine);
    add(fmt::format("| {} | (engine in the runtime, mean compute; pure engine: {:.1f}) | {:.2f} |\n", c.label(),
                    e.median > 0 ? 1000.0 / e.median : 0.0, it == w.models.end() ? 0.0 : it->second.compute_us / 1e3));
  }
  std::string headline, verdicts;
  bool met = true;
  for (const auto& c : cases) {
    if (!c.equal_cpu) continue;
    const Spread r = ratio_spread(loops_of(c.runtime), c.expert);
    met = met && r.median >= 95.0;
    headline += fmt::format("{}{} with {}", headline.empty() ? "" : ", ", percent(r, 1), c.label());
    verdicts += fmt::format("{}{} with {}", verdicts.empty() ? "" : "; ", yes_no(r.median >= 95.0), c.label());
  }
  add(fmt::format("\n**Measured (headline, equal CPU):** runtime / expert loop = {}. **Goal met:** {}.\n", headline,
                  verdicts));
  if (cases.size() > 1) {
    const auto& c = cases[1];
    add(
        fmt::format("With one intra-op thread and {} cores (not equal CPU: the runtime's preparation runs on a core "
                    "the expert loop leaves idle), runtime / expert loop = {}, runtime / pure engine = {}.\n",
                    c.cores.size(), percent(ratio_spread(loops_of(c.runtime), c.expert), 1),
                    percent(ratio_spread(loops_of(c.runtime), c.engine), 1)));
  }
  if (!met) {
    add("Where a row is below 95%, compare the CPU per inference: at equal CPU every millisecond the runtime spends "
        "beyond the expert loop (thread hand-offs, queueing, publishing) is taken from its engine.\n");
  }
  BarChart chart;
  chart.series = {"pure engine", "expert loop", "full runtime"};
  chart.values.resize(3);
  chart.low.resize(3);
  chart.high.resize(3);
  for (const auto& c : cases) {
    chart.categories.push_back(c.label());
    const Spread s[3] = {rps_spread(c.engine), rps_spread(c.expert), rps_spread(loops_of(c.runtime))};
    for (size_t i = 0; i < 3; ++i) {
      chart.values[i].push_back(s[i].median);
      chart.low[i].push_back(s[i].min);
      chart.high[i].push_back(s[i].max);
    }
  }
  plot_note(plotter_.bars("overhead",
                          {"PP-OCRv4 det on a video: pure engine, expert loop, full runtime (median, min-max)",
                           "intra-op threads, cores", "inferences/s"},
                          chart),
            "Overhead plot");
  add("\n");
  return part_overhead_tiny();
}

// Part 1, the tiny model: fixed per-call costs against the bare Session::run.
bool Suite::part_overhead_tiny() {
  const double seconds = opt_.smoke ? 1.0 : opt_.duration;
  const int reps = repeats();
  const std::vector<std::string> chain = {"oww-mel", "oww-embedding", "hey-jarvis"};
  const std::string wav = (fs::path(samples_dir()) / "speech" / "hey_jarvis.wav").string();
  std::vector<std::vector<int>> pinnings = {{machine_.pinned.empty() ? 0 : machine_.pinned.front()}};
  if (cores() > 1 && !opt_.smoke) pinnings.push_back(machine_.pinned);
  add("### 1b. A tiny model: per-call costs\n\n");
  add(fmt::format(
      "Model: the openWakeWord head `hey-jarvis` (ONNX Runtime, input [1,16,96], tens of microseconds of compute), "
      "where the fixed costs of each call dominate. Both sides run the real chain mel spectrogram -> embedding -> "
      "head on the same 16 kHz recording (hey_jarvis.wav, looped), one intra-op thread per model, so each head call "
      "follows the embedding call that made its input on both sides (the same cache condition). **bare chain**: one "
      "thread, per 1280 new samples: `Session::run` of the mel model on the last 1760 samples (x32768), the mel "
      "frames scaled (x/10 + 2) into a window of the last 76, the embedding model on it, its output into a window of "
      "the last 16, the head on it; each `Session::run` timed on its own. **runtime**: an audio-file sensor (20 ms "
      "frames, speed max, lossless, looping) -> the planned windows -> the three models as scheduler tasks, each "
      "output window feeding the next; per model the mean `compute` (`ModelInstance::run`'s engine call, the "
      "figure the runtime reports) and the model node's busy time per inference (stream input, "
      "`ModelInstance::run`, post-processing: for the head a threshold classifier). The process is pinned to one "
      "core (equal CPU: the runtime's sensor, graph and lane threads share it, so a call's wall time may include "
      "another thread's time slice), then to {} core{}. Both sides measured for {:.0f} s, one after the other, {} "
      "time{}; medians with min-max.\n\n",
      cores(), cores() == 1 ? "" : "s", seconds, reps, reps == 1 ? "" : "s"));
  add("| cores | model | bare `Session::run` us per call | runtime `compute` us per call | runtime / bare | runtime "
      "node busy us per inference |\n|---:|---|---:|---:|---:|---:|\n");
  std::string chain_text, measured;
  bool met = true;
  for (const auto& cores_used : pinnings) {
    std::vector<ChainFigures> bare;
    std::vector<RuntimeWindow> rt;
    const std::string sensor = fmt::format("  driver: audio-file\n  path: {}\n  audio: {{frameMs: 20}}\n", wav);
    for (int rep = 0; rep < reps; ++rep) {
      Scenario s;
      s.name = "overhead-tiny";
      s.drop_spec = {"scheduling", "variants"};
      s.sensors = {{"speech", sensor}};
      add_chain(&s, "hey-jarvis");
      for (const auto& m : chain) s.extra_spec[m] = "  resources: {threads: 1}\n";
      const std::string file = scenario_file(s);
      if (Status st = write_scenario(s, models_, file); !st.ok()) {
        add("Could not write the documents: " + st.message() + "\n\n");
        return false;
      }
      auto docs = parse_document_files({file});
      if (!docs.ok()) {
        add("The documents did not parse: " + docs.status().message() + "\n\n");
        return false;
      }
      CorePin pin(cores_used);
      std::fprintf(stderr, "suite: overhead, tiny model, %zu core(s), run %d of %d\n", cores_used.size(), rep + 1,
                   reps);
      auto b = chain_loop(*docs->find_model(chain[0]), *docs->find_model(chain[1]), *docs->find_model(chain[2]), wav,
                          seconds);
      auto r = b.ok() ? runtime_window(*docs, "hey-jarvis", seconds) : Result<RuntimeWindow>(b.status());
      if (!r.ok()) {
        add("A side failed: " + r.status().message() + "\n\n");
        return false;
      }
      bare.push_back(std::move(*b));
      rt.push_back(std::move(*r));
    }
    Spread head;
    for (const auto& m : chain) {
      std::vector<double> b, c, n, q;
      for (size_t i = 0; i < bare.size(); ++i) {
        b.push_back(bare[i].call_us[m]);
        const auto& pm = rt[i].models[m];
        c.push_back(pm.compute_us);
        n.push_back(pm.node_us);
        q.push_back(bare[i].call_us[m] > 0 ? 100.0 * pm.compute_us / bare[i].call_us[m] : 0);
      }
      if (m == "hey-jarvis") head = spread_of(q);
      add(fmt::format("| {} | {} | {} | {} | {} | {} |\n", cores_used.size(), m, format_spread(spread_of(b), 1),
                      format_spread(spread_of(c), 1), percent(spread_of(q), 0), format_spread(spread_of(n), 1)));
    }
    std::vector<double> bare_cpu, rt_cpu, bare_rate, rt_rate;
    for (size_t i = 0; i < bare.size(); ++i) {
      bare_cpu.push_back(1000.0 * bare[i].loop.cpu_ms());
      rt_cpu.push_back(1000.0 * rt[i].loop.cpu_ms());
      bare_rate.push_back(bare[i].loop.rps());
      rt_rate.push_back(rt[i].loop.rps());
    }
    chain_text += fmt::format(
        "- {} core{}: bare chain {} us of CPU per head inference ({} head inferences/s); runtime {} us ({} head "
        "inferences/s).\n",
        cores_used.size(), cores_used.size() == 1 ? "" : "s", format_spread(spread_of(bare_cpu), 0),
        format_spread(spread_of(bare_rate), 0), format_spread(spread_of(rt_cpu), 0),
        format_spread(spread_of(rt_rate), 0));
    measured += fmt::format("{}{} on {} core{}", measured.empty() ? "" : ", ", percent(head, 0), cores_used.size(),
                            cores_used.size() == 1 ? "" : "s");
    met = met && head.median <= 110.0;
  }
  add("\nThe whole chain, CPU per head inference (the runtime also reads and frames the audio, cuts the windows, "
      "queues each model's input and publishes each result; the difference is its fixed cost per chain step of "
      "three model calls):\n\n" +
      chain_text);
  add(
      fmt::format("\n**Measured:** the head's engine call in the runtime / the bare call = {}. **Goal (within 10%) "
                  "met:** {}.\n\n",
                  measured, yes_no(met)));
  return true;
}

// ---------------------------------------------------------------------------------------------
// Part 2: one sensix process against ten separate processes

bool Suite::part_baseline() {
  add("## 2. Baseline: ten models in one sensix process vs ten separate processes\n\n");
  add("**Goal:** sensix's aggregate useful throughput >= 1.5x the baseline's at equal CPU, with less memory.\n\n");
  const auto useful = useful_models();
  std::string list;
  for (const auto& m : useful) list += (list.empty() ? "`" : ", `") + m + "`";
  add(fmt::format(
      "The ten useful models: {} (five audio, five vision). Counted: their inferences (`runs` in the CLI's JSON "
      "summary), summed over the models; the openWakeWord mel and embedding models feed the four wake-word/intent "
      "heads and are run but not counted (in sensix one copy feeds all four heads; in the baseline each head's "
      "process runs its own).\n\n"
      "Workload (both sides): the quickstart's speech recording (17 s, 22.05 kHz) N times in one WAV file and the "
      "quickstart's four photos N times in one folder, replayed once (no loop) as fast as the models take them "
      "(`--speed max`, lossless), so both sides make the same inferences. sensix: one `sensix run` of the ten "
      "models' documents. Baseline: ten `sensix run` processes of this build at once, each with one model's "
      "documents: its own sensor reading the same file, its own resampling / image preparation and, for a head, "
      "its own mel and embedding models (what one service per model does). The examples' `variants` (the heads' TFLite "
      "twins) and `scheduling` fields (the quickstart's priorities and objectives) are left out on both sides: this "
      "part compares one process with ten, "
      "not priorities (part 4 does), and an objective is checked against the model's warm-up runs when it loads, "
      "which ten processes loading at once on these cores slow down (SSD's 1 s objective was refused that way in a "
      "trial run). Both are pinned to the same cores "
      "({}) and run at full speed: equal CPU. Throughput = useful inferences / wall time from launch to the last "
      "exit (model loading included on both sides). CPU = user + system of every process (wait4). Memory = peak "
      "PSS (/proc/PID/smaps_rollup, sampled every 200 ms; each process's peak, summed), RSS alongside.\n\n",
      list, format_cores(machine_.pinned)));

  // Size N so that the sensix side serves for about --duration seconds.
  int n = 1;
  if (!opt_.smoke) {
    auto probe_media = make_media(tmp_, 1);
    if (!probe_media.ok()) {
      add("Could not make the recordings: " + probe_media.status().message() + "\n\n");
      return false;
    }
    Measured probe = run_cli("calibration (N = 1)", {ten_models(*probe_media)}, useful);
    if (!probe.ok) {
      add("The calibration run failed: " + probe.error + "\n\n");
      return false;
    }
    n = std::clamp(static_cast<int>(std::lround(opt_.duration / std::max(probe.serving_s, 0.05))), 1, 400);
    std::error_code ec;
    fs::remove_all(probe_media->dir, ec);
  }
  repeat_ = n;
  auto media = make_media(tmp_, n);
  if (!media.ok()) {
    add("Could not make the recordings: " + media.status().message() + "\n\n");
    return false;
  }
  media_ = *media;

  std::vector<Scenario> separate;
  for (const auto& m : useful) separate.push_back(one_model(*media_, m));
  // Alternating, so that anything else the machine does falls on both sides alike; the fastest
  // run of each side is kept.
  Measured base;
  for (int r = 0; r < repeats(); ++r) {
    Measured a = run_cli("sensix, ten models in one process", {ten_models(*media_)}, useful);
    Measured b = run_cli("baseline, ten processes", separate, useful);
    if (!a.ok || !b.ok) {
      add(fmt::format("A run failed: {}\n\n", !a.ok ? a.error : b.error));
      return false;
    }
    if (r == 0 || a.wall_s < sensix_.wall_s) sensix_ = std::move(a);
    if (r == 0 || b.wall_s < base.wall_s) base = std::move(b);
  }
  add(
      fmt::format("N = {} (the speech recording {} times = {:.0f} s of audio, {} photos), sized so that sensix serves "
                  "for about {:.0f} s. Each side ran {} time{}, alternating; the fastest run of each is shown.\n\n",
                  n, n, 17.0 * n, 4 * n, opt_.duration, repeats(), repeats() == 1 ? "" : "s"));
  add("| | processes | useful inferences | wall s | useful inferences/s | CPU s | CPU ms per useful inference | peak "
      "PSS | peak RSS |\n");
  add("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Measured* m : {&sensix_, &base}) {
    add(fmt::format("| {} | {} | {} | {:.2f} | {:.1f} | {:.2f} | {:.2f} | {} | {} |\n", m->label, m->processes,
                    m->useful_runs, m->wall_s, m->rps(), m->cpu_s, m->cpu_ms_per_run(),
                    format_bytes(m->memory.pss_bytes), format_bytes(m->memory.rss_bytes)));
  }
  add("\nPer model (inferences; both sides must make the same):\n\n| model | sensix | baseline | same "
      "|\n|---|---:|---:|---|\n");
  bool same = true;
  std::vector<std::string> all = useful;
  all.insert(all.begin() + 5, {"oww-mel", "oww-embedding"});
  for (const auto& name : all) {
    const uint64_t a = sensix_.runs.count(name) ? sensix_.runs.at(name) : 0;
    const uint64_t b = base.runs.count(name) ? base.runs.at(name) : 0;
    const bool counted = std::find(useful.begin(), useful.end(), name) != useful.end();
    if (counted) same = same && a == b;
    add(fmt::format("| {}{} | {} | {} | {} |\n", name, counted ? "" : " (feature, not counted)", a, b,
                    counted ? (a == b ? "yes" : "**no**") : (b == 4 * a ? "baseline 4x" : "-")));
  }
  const double ratio = base.rps() > 0 ? sensix_.rps() / base.rps() : 0;
  const double cpu_ratio = sensix_.cpu_s > 0 ? base.cpu_s / sensix_.cpu_s : 0;
  const double mem_ratio = sensix_.memory.pss_bytes > 0 ? static_cast<double>(base.memory.pss_bytes) /
                                                              static_cast<double>(sensix_.memory.pss_bytes)
                                                        : 0;
  const bool met = ratio >= 1.5 && base.memory.pss_bytes > sensix_.memory.pss_bytes;
  add(fmt::format(
      "\n**Measured:** useful throughput sensix / baseline = **{:.2f}x** ({:.1f} vs {:.1f} inferences/s); the "
      "baseline used {:.2f}x the CPU time and {:.2f}x the memory (PSS: {} vs {}; RSS: {} vs {}). "
      "Serving alone (sensix's uptime, loading excluded): {:.1f} useful inferences/s. Same inferences on both sides: "
      "{}. "
      "Because both sides make the same inferences, the throughput ratio is also the ratio of the times they took "
      "to finish the same work, however the inferences are weighted (the audio models' many small inferences make "
      "most of the count). **Goal met:** {}.\n",
      ratio, sensix_.rps(), base.rps(), cpu_ratio, mem_ratio, format_bytes(sensix_.memory.pss_bytes),
      format_bytes(base.memory.pss_bytes), format_bytes(sensix_.memory.rss_bytes), format_bytes(base.memory.rss_bytes),
      sensix_.serving_rps(), same ? "yes" : "**no**", yes_no(met)));
  if (ratio < 1.5) {
    add("Below 1.5x: what one process saves here is the wake-word family's mel and embedding (run once instead of "
        "four times), the shared resampling and image decoding, and one engine runtime in memory instead of ten; the "
        "vision models' own inference, which neither side can share, is most of the CPU time (see part 3).\n");
  }
  BarChart chart;
  chart.categories = {"useful inferences/s", "CPU seconds", "peak PSS"};
  chart.series = {"baseline: 10 processes (= 1)", "sensix: 1 process"};
  chart.values = {{1.0, 1.0, 1.0},
                  {ratio, sensix_.cpu_s / std::max(base.cpu_s, 1e-9),
                   static_cast<double>(sensix_.memory.pss_bytes) /
                       std::max<double>(static_cast<double>(base.memory.pss_bytes), 1)}};
  plot_note(plotter_.bars("baseline",
                          {"Ten models: one sensix process relative to ten processes", "", "relative to the baseline"},
                          chart),
            "Baseline plot");
  add("\n");
  return true;
}

// ---------------------------------------------------------------------------------------------
// Part 3: ablations

bool Suite::part_ablations() {
  add("## 3. Ablations\n\n");
  add(fmt::format(
      "**Goal:** show what each mechanism contributes on part 2's workload (N = {}): sharing on/off, isolation "
      "in-process vs worker processes, each scheduling policy, batching on/off. Each row is one `sensix run "
      "--speed max` process; throughput = useful inferences / serving time (the CLI's uptime: start to the "
      "summary, loading excluded); CPU = the whole process tree's (loading included); memory = peak PSS of the "
      "process and its workers. Each row is the fastest of {} run{} (the reference row: part 2's fastest).{}\n\n",
      repeat_, repeats(), repeats() == 1 ? "" : "s",
      opt_.smoke ? " The smoke run measures only isolation and batching." : ""));
  const auto useful = useful_models();
  struct Row {
    std::string key;  // short name (plots, ratios)
    Measured m;
    int group = 0;  // 0: part 2's workload, 1: the batching workload
  };
  std::vector<Row> rows;
  // The fastest serving time of repeats() runs.
  auto measure = [&](const std::string& key, int group, bool in_smoke, auto&& run) {
    if (opt_.smoke && !in_smoke) return;
    Measured best;
    for (int r = 0; r < repeats(); ++r) {
      Measured m = run();
      if (r == 0 || (m.ok && (!best.ok || m.serving_s < best.serving_s))) best = std::move(m);
    }
    rows.push_back({key, std::move(best), group});
  };
  rows.push_back({"shared", sensix_, 0});
  rows.back().m.label = "everything shared (default; part 2's run)";
  measure("no transform sharing", 0, false, [&] {
    return run_cli("transform steps not shared (--no-sharing)", {ten_models(*media_)}, useful, {"--no-sharing"});
  });
  measure("no sharing", 0, false, [&] {
    return run_cli("nothing shared (--no-sharing, each head its own mel + embedding)", {ten_models(*media_, true)},
                   useful, {"--no-sharing"});
  });
  measure("isolation: process", 0, true, [&] {
    Scenario iso = ten_models(*media_);
    for (const auto& st : iso.steps) iso.extra_spec[st.model] = "  resources: {isolation: process}\n";
    iso.name = "ten-models-isolated";
    return run_cli("isolation: process (every model in a worker process)", {iso}, useful);
  });
  for (const char* policy : {"latency", "throughput", "balanced"}) {
    measure(fmt::format("policy {}", policy), 0, false, [&] {
      Scenario s = ten_models(*media_);
      s.name = fmt::format("ten-models-{}", policy);
      s.device_spec = fmt::format("  cores: {}\n  policy: {}\n", cores(), policy);
      return run_cli(fmt::format("Device policy: {} (cores: {})", policy, cores()), {s}, useful);
    });
  }
  // Batching: its own workload (the models with a dynamic batch dimension).
  measure("OCR+wake", 1, false, [&] {
    return run_cli("OCR + wake words, no batching", {ocr_and_wake_words(*media_, false)}, ocr_wake_useful());
  });
  measure("OCR+wake batched", 1, true, [&] {
    return run_cli("OCR + wake words, batch {max: 8, delay: 20ms} on ppocr-rec, ppocr-cls, oww-embedding",
                   {ocr_and_wake_words(*media_, true)}, ocr_wake_useful());
  });
  auto find = [&](const std::string& key) -> const Measured* {
    for (const auto& r : rows) {
      if (r.key == key && r.m.ok) return &r.m;
    }
    return nullptr;
  };

  add("| configuration | useful inferences | serving s | useful inferences/s | vs reference | CPU s | CPU ms per "
      "useful inference | peak PSS | peak RSS |\n");
  add("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  bool group_header = false;
  for (const auto& row : rows) {
    const Measured& m = row.m;
    const Measured* ref = find(row.group == 0 ? "shared" : "OCR+wake");
    if (row.group == 1 && !group_header) {
      group_header = true;
      add("| *batching workload: PP-OCRv4 det -> rec + cls (up to 8 text-line crops) on N copies of scenetext01.jpg, "
          "with the wake-word family on the speech* | | | | | | | | |\n");
    }
    if (!m.ok) {
      std::string why = m.error;
      std::replace(why.begin(), why.end(), '|', '/');
      add(fmt::format("| {} | not measured: {} | | | | | | | |\n", m.label, why));
      continue;
    }
    add(fmt::format("| {} | {} | {:.2f} | {:.1f} | {} | {:.2f} | {:.2f} | {} | {} |\n", m.label, m.useful_runs,
                    m.serving_s, m.serving_rps(),
                    ref && ref->serving_rps() > 0 ? fmt::format("{:.2f}x", m.serving_rps() / ref->serving_rps()) : "-",
                    m.cpu_s, m.cpu_ms_per_run(), format_bytes(m.memory.pss_bytes), format_bytes(m.memory.rss_bytes)));
  }
  // The batches the scheduler formed (the CLI's JSON: scheduling.batches, batch size -> engine runs).
  if (const Measured* b = find("OCR+wake batched")) {
    std::string text;
    for (const auto& o : b->outcomes) {
      for (const char* model : {"ppocr-rec", "ppocr-cls", "oww-embedding"}) {
        auto it = o.models.find(model);
        if (it == o.models.end() || !it->second.raw.contains("scheduling")) continue;
        uint64_t runs = 0, inputs = 0;
        const nlohmann::json batches = it->second.raw["scheduling"].value("batches", nlohmann::json::object());
        for (const auto& [size, n] : batches.items()) {
          runs += n.get<uint64_t>();
          inputs += n.get<uint64_t>() * static_cast<uint64_t>(std::stoi(size));
        }
        text += fmt::format("{}{}: {} inputs in {} engine runs ({:.2f} per run)", text.empty() ? "" : "; ", model,
                            inputs, runs, runs ? static_cast<double>(inputs) / static_cast<double>(runs) : 0.0);
      }
    }
    if (!text.empty()) add("\nBatches formed with batching on: " + text + ".\n");
  }
  auto cpu_ratio = [&](const std::string& a, const std::string& b) -> std::string {
    const Measured* x = find(a);
    const Measured* y = find(b);
    return x && y && y->cpu_s > 0 ? fmt::format("{:.2f}x", x->cpu_s / y->cpu_s) : "not measured";
  };
  const Measured* iso = find("isolation: process");
  const Measured* shared = find("shared");
  add(fmt::format(
      "\n**Measured:** without any sharing the same inferences cost {} the CPU of the shared plan (transform sharing "
      "alone: {}); worker-process isolation costs {} the CPU and {} more memory (PSS); serving throughput on the OCR + "
      "wake-word workload with batching / without: {}.\n",
      cpu_ratio("no sharing", "shared"), cpu_ratio("no transform sharing", "shared"),
      cpu_ratio("isolation: process", "shared"),
      iso && shared ? format_bytes(iso->memory.pss_bytes - shared->memory.pss_bytes) : std::string("?"), [&] {
        const Measured* on = find("OCR+wake batched");
        const Measured* off = find("OCR+wake");
        return on && off && off->serving_rps() > 0 ? fmt::format("{:.2f}", on->serving_rps() / off->serving_rps())
                                                   : std::string("not measured");
      }()));
  BarChart chart;
  chart.series = {"useful inferences/s (serving)"};
  chart.values.resize(1);
  for (const auto& r : rows) {
    chart.categories.push_back(r.key);
    chart.values[0].push_back(r.m.ok ? r.m.serving_rps() : 0);
  }
  plot_note(plotter_.bars("ablations",
                          {"Ablations (part 2's workload; batching on its own)", "", "useful inferences/s"}, chart),
            "Ablations plot");
  add("\n");
  // A configuration that was not measured (a run failed or its models reported errors) fails the part.
  return std::all_of(rows.begin(), rows.end(), [](const auto& r) { return r.m.ok; });
}

// ---------------------------------------------------------------------------------------------
// Part 4: priorities under overload

// The latency of every prediction published once `armed`: the steady state, without the start-up
// (the models' first runs, the scheduler's first profiles) that the runtime's whole-run histograms
// include.
class SteadyLatencySink final : public PredictionSink {
 public:
  void arm() { armed_ = true; }
  void publish(const Prediction& p) override {
    if (!armed_) return;
    std::lock_guard<std::mutex> lock(mu_);
    by_model_[p.model].record(p.latency_ns);
  }
  LatencyHistogram of(const std::string& model) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_model_.find(model);
    return it == by_model_.end() ? LatencyHistogram{} : it->second;
  }

 private:
  std::atomic<bool> armed_{false};
  mutable std::mutex mu_;
  std::map<std::string, LatencyHistogram> by_model_;
};

struct PriorityPoint {
  std::string policy;
  int low_models = 0;
  double wall_s = 0;
  double high_p99_ms = 0, high_p50_ms = 0, high_rps = 0;  // steady state (after the warm-up)
  double high_whole_p99_ms = 0;                           // the runtime's whole-run histogram
  double high_queue_p99_ms = 0;                           // time waiting in the scheduler
  int64_t high_samples = 0;
  double total_rps = 0;
  uint64_t high_misses = 0;
  struct Row {
    std::string model, priority, engine;
    double rps = 0, p50_ms = 0, p99_ms = 0;
    double compute_ms = 0;  // mean engine time per run
    int64_t samples = 0;    // predictions the latencies come from
    uint64_t dropped = 0, skipped = 0, misses = 0;
  };
  std::vector<Row> rows;
};

bool Suite::part_priorities() {
  const std::string high = "face-detection";
  const int objective_ms = 100;
  // Added in this order: the lightest first, so the load grows step by step (their compute times
  // per frame in the zoo report: 6, 48, 71, 76, 126, 168 ms).
  const std::vector<std::string> low = {"blazeface",      "mlsd",      "pose-landmarks",
                                        "palm-detection", "ppocr-det", "ssd-oidv4"};
  std::vector<int> points = {0, 1, 2, 3, 4, 6};
  std::vector<std::string> policies = {"latency", "throughput", "balanced"};
  double seconds = opt_.duration;
  double warmup = 2;
  if (opt_.smoke) {
    points = {0, 3};
    policies = {"balanced"};
    seconds = 2;
    warmup = 0.5;
  }
  add("## 4. Priorities under overload\n\n");
  add(fmt::format(
      "**Goal:** with the device overloaded, the high-priority model's p99 latency stays within its objective while "
      "the low-priority models degrade; the latency/throughput trade-off per policy.\n\n"
      "Megamind.avi replayed in real time (speed 1, looping, capped at 10 fps) into `{}` (MediaPipe short-range "
      "face detection, `scheduling: {{priority: high, latency: {}ms}}`) and 0 to {} low-priority models on the same "
      "frames (`priority: low`, added in this order: {}); at 10 fps these offer from 0.06 to about 5 cores of work "
      "to the {} here. A Device document sets `cores: {}` and the policy. Each point runs {:.0f} s in this process "
      "(the runtime API) after {:.0f} s of warm-up; latency = end to end, frame capture -> prediction, from the "
      "predictions made after the warm-up (the whole run's p99, start-up included, alongside), so the high-priority "
      "figures rest on about 10 x {:.0f} predictions.\n\n",
      high, objective_ms, low.size(), fmt::join(low, ", "),
      cores() == 1 ? "one core" : fmt::format("{} cores", cores()), cores(), seconds, warmup, seconds));

  std::vector<PriorityPoint> results;
  for (const auto& policy : policies) {
    for (int k : points) {
      Scenario s;
      s.name = fmt::format("priorities-{}-{}", policy, k);
      s.sensors = {{"clip", fmt::format("  driver: video-file\n  path: {}\n  video: {{fps: 10}}\n", media_->clip)}};
      s.steps.push_back({high, "clip", "", ""});
      s.extra_spec[high] = fmt::format("  scheduling: {{priority: high, latency: {}ms}}\n", objective_ms);
      for (int i = 0; i < k; ++i) {
        s.steps.push_back({low[static_cast<size_t>(i)], "clip", "", ""});
        s.extra_spec[low[static_cast<size_t>(i)]] = "  scheduling: {priority: low}\n";
      }
      s.device_spec = fmt::format("  cores: {}\n  policy: {}\n", cores(), policy);
      const std::string file = scenario_file(s);
      if (Status st = write_scenario(s, models_, file); !st.ok()) {
        add("Could not write the documents: " + st.message() + "\n\n");
        return false;
      }
      auto docs = parse_document_files({file});
      if (!docs.ok()) {
        add("The documents did not parse: " + docs.status().message() + "\n\n");
        return false;
      }
      std::fprintf(stderr, "suite: priorities, policy %s, %d low-priority models\n", policy.c_str(), k);
      RuntimeOptions ro;
      ro.speed = 1.0;
      ro.loop = true;
      auto rt = Runtime::create(*docs, ro);
      if (!rt.ok()) {
        add("The runtime did not start: " + rt.status().message() + "\n\n");
        return false;
      }
      auto sink = std::make_shared<SteadyLatencySink>();
      (*rt)->add_sink(sink);
      if (Status st = (*rt)->start(); !st.ok()) {
        add("The runtime did not start: " + st.message() + "\n\n");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
      const RuntimeStats before = (*rt)->stats();
      sink->arm();
      const auto t0 = Clock::now();
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      const RuntimeStats stats = (*rt)->stats();
      const double wall = since(t0);
      (*rt)->stop();
      if (std::string errors = model_errors((*rt)->stats()); !errors.empty()) {
        add("A run reported model errors, so it measures nothing: " + errors + "\n\n");
        return false;
      }
      auto earlier = [&](const std::string& name) -> const ModelRuntimeStats* {
        for (const auto& m : before.models) {
          if (m.model.name == name) return &m;
        }
        return nullptr;
      };
      PriorityPoint p;
      p.policy = policy;
      p.low_models = k;
      p.wall_s = wall;
      for (const auto& m : stats.models) {
        const auto& st = m.model;
        const ModelRuntimeStats* e = earlier(st.name);
        const SchedStatsSnapshot& sv = m.sched;
        const SchedStatsSnapshot sv0 = e ? e->sched : SchedStatsSnapshot{};
        PriorityPoint::Row r;
        r.model = st.name;
        r.priority = st.name == high ? "high" : "low";
        r.engine = st.engine;
        r.compute_ms = st.compute.mean_ns() / 1e6;
        r.rps = static_cast<double>(st.runs - (e ? e->model.runs : 0)) / wall;
        const LatencyHistogram steady = sink->of(st.name);
        r.p50_ms = ms(steady.percentile_ns(50));
        r.p99_ms = ms(steady.percentile_ns(99));
        r.samples = steady.count();
        r.dropped = m.dropped_frames - (e ? e->dropped_frames : 0);
        r.skipped = sv.skipped - sv0.skipped;
        r.misses = sv.deadline_misses - sv0.deadline_misses;
        p.total_rps += r.rps;
        if (st.name == high) {
          p.high_p99_ms = r.p99_ms;
          p.high_p50_ms = r.p50_ms;
          p.high_samples = steady.count();
          p.high_whole_p99_ms = ms(st.end_to_end.percentile_ns(99));
          p.high_queue_p99_ms = ms(sv.queue.percentile_ns(99));
          p.high_rps = r.rps;
          p.high_misses = r.misses;
        }
        p.rows.push_back(r);
      }
      results.push_back(std::move(p));
    }
  }
  add("The high-priority model at each load:\n\n");
  add("| policy | low-priority models | high p50 ms | high p99 ms | within objective | high p99 ms, whole run | high "
      "queue p99 ms | high inferences/s | high deadline misses | all inferences/s |\n");
  add("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
  bool met = true;
  bool overloaded_seen = false;
  for (const auto& p : results) {
    const bool within = p.high_p99_ms <= objective_ms;
    if (p.low_models >= 4) {
      overloaded_seen = true;
      met = met && within;
    }
    add(fmt::format("| {} | {} | {:.1f} | {:.1f} | {} | {:.1f} | {:.1f} | {:.1f} | {} | {:.1f} |\n", p.policy,
                    p.low_models, p.high_p50_ms, p.high_p99_ms, within ? "yes" : "**no**", p.high_whole_p99_ms,
                    p.high_queue_p99_ms, p.high_rps, p.high_misses, p.total_rps));
  }
  add("\nEvery model at the highest load, per policy (p50/p99 from the predictions after the warm-up, n of them: a "
      "model that found nothing reports nothing, so n = 0 has no latency; engine ms per run: the mean over the whole "
      "run; drops: frames dropped before the model; skipped: inputs the scheduler shed; misses: results later than the "
      "objective):\n\n");
  add("| policy | model | engine | priority | engine ms per run | inferences/s | p50 ms | p99 ms | n | drops | skipped "
      "| deadline misses |\n");
  add("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& p : results) {
    if (p.low_models != points.back()) continue;
    for (const auto& r : p.rows) {
      add(fmt::format("| {} | {} | {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {} | {} | {} | {} |\n", p.policy,
                      r.model, r.engine, r.priority, r.compute_ms, r.rps, r.p50_ms, r.p99_ms, r.samples, r.dropped,
                      r.skipped, r.misses));
    }
  }
  add(fmt::format(
      "\n**Measured:** the high-priority model's p99 at the highest load: {}. **Goal met** (p99 within "
      "{} ms at 4 or more low-priority models, every policy): {}.\n",
      [&] {
        std::string s;
        for (const auto& p : results) {
          if (p.low_models == points.back())
            s += fmt::format("{}{} {:.1f} ms", s.empty() ? "" : ", ", p.policy, p.high_p99_ms);
        }
        return s;
      }(),
      objective_ms, overloaded_seen ? yes_no(met) : "not measured (the smoke run stops at 3)"));
  if (overloaded_seen && !met) {
    // The wait for a lane against the slowest low-priority run on the same engine, per policy.
    std::string waits;
    for (const auto& p : results) {
      if (p.low_models != points.back()) continue;
      std::string engine;
      for (const auto& r : p.rows) {
        if (r.priority == "high") engine = r.engine;
      }
      double slowest = 0;
      std::string slowest_model;
      for (const auto& r : p.rows) {
        if (r.priority == "low" && r.engine == engine && r.compute_ms > slowest) {
          slowest = r.compute_ms;
          slowest_model = r.model;
        }
      }
      waits += fmt::format("{}{}: queue p99 {:.0f} ms, slowest low-priority run on {} {:.0f} ms ({})",
                           waits.empty() ? "" : "; ", p.policy, p.high_queue_p99_ms, engine, slowest, slowest_model);
    }
    add(fmt::format(
        "Where the high-priority model's time goes: mostly waiting for a lane (the queue p99 column), not its own "
        "run (its engine time per run above). A run in progress is never interrupted (docs/scheduling.md), so its "
        "input can wait for a low-priority run on the same accelerator (face-detection runs on TFLite and shares "
        "that lane with pose-landmarks, palm-detection and ssd-oidv4); the lanes' threads also share the cores with "
        "the sensor's graph thread (decoding and preparing every frame for every model) and with whatever else runs "
        "on the machine (the load average above), which stretches every run. At the highest load: {}. Where the "
        "queue p99 is longer than the slowest low-priority run on that lane, the wait is more than the run in "
        "progress; this report does not show what else holds the lane.\n",
        waits));
  }
  std::vector<LineSeries> p99, tput, tradeoff;
  for (const auto& p : results) {
    auto find = [&](std::vector<LineSeries>& v) -> LineSeries& {
      for (auto& s : v) {
        if (s.title == p.policy) return s;
      }
      v.push_back({p.policy, {}});
      return v.back();
    };
    find(p99).points.emplace_back(p.low_models, p.high_p99_ms);
    find(tput).points.emplace_back(p.low_models, p.total_rps);
    find(tradeoff).points.emplace_back(p.total_rps, p.high_p99_ms);
  }
  p99.push_back(
      {fmt::format("objective ({} ms)", objective_ms),
       {{static_cast<double>(points.front()), objective_ms}, {static_cast<double>(points.back()), objective_ms}}});
  plot_note(plotter_.lines("priorities-p99",
                           {"High-priority p99 latency vs offered load", "low-priority models", "p99 ms"}, p99),
            "High-priority p99 latency per policy");
  plot_note(plotter_.lines("priorities-throughput",
                           {"Total throughput vs offered load", "low-priority models", "inferences/s"}, tput),
            "Total throughput per policy");
  plot_note(plotter_.lines("priorities-tradeoff",
                           {"Trade-off: total throughput vs high-priority p99", "all inferences/s",
                            "high-priority p99 ms"},
                           tradeoff),
            "Latency/throughput trade-off per policy");
  add("\n");
  return true;
}

int Suite::run() {
  tmp_ = (fs::temp_directory_path() / fmt::format("sensix-suite-{}", ::getpid())).string();
  fs::create_directories(tmp_);
  auto media = make_media(tmp_, 1);
  if (!media.ok()) {
    std::fprintf(stderr, "suite: %s\n", media.status().message().c_str());
    return 1;
  }
  media_ = *media;
  // Figures belong to a commit: a measured run refuses a tree that differs from it (unless
  // --allow-dirty, which the report then says in its first lines).
  if (machine_.dirty && !opt_.smoke && !opt_.allow_dirty) {
    std::fprintf(stderr,
                 "suite: the source tree differs from commit %s: commit first (or pass --allow-dirty, and the report "
                 "will say that its figures belong to no commit)\n",
                 machine_.git_revision.c_str());
    return 1;
  }
  // Anything else running on these cores disturbs both sides of every comparison: wait for the
  // load to fall to 0.5 per core, then start anyway and say so.
  const double per_core = 0.5 * std::max(machine_.cores, 1);
  const auto w0 = Clock::now();
  while (!opt_.smoke && load_1min() > per_core && since(w0) < opt_.wait_for_load) {
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }
  const double load0 = load_1min();
  const auto t0 = Clock::now();
  add("# sensix benchmark suite (issue 5)\n\n");
  if (machine_.dirty) {
    add(fmt::format("**Measured on a tree that differs from commit {}: these figures belong to no commit.**\n\n",
                    machine_.git_revision));
  }
  if (load0 > per_core) {
    add(
        fmt::format("**The load average was {:.2f} when the suite started (after waiting {:.0f} s), above 0.5 per core "
                    "({:.1f}): other work on these cores disturbed the figures.**\n\n",
                    load0, since(w0) - since(t0), per_core));
  }
  add(
      fmt::format("- Machine: {}, {} cores, {} memory\n- Kernel: {}\n- Date: {}\n- Revision: {}\n"
                  "- Pinned to cores {} (every process of every comparison)\n- Command: `sensix_bench_suite{}{}{}`\n\n",
                  machine_.cpu_model, machine_.cores, format_bytes(machine_.memory_bytes), machine_.kernel,
                  machine_.date, machine_.git_revision + (machine_.dirty ? " + local changes" : ""),
                  format_cores(machine_.pinned), opt_.smoke ? " --smoke" : "",
                  opt_.smoke ? "" : fmt::format(" --duration {} --repeat {}", opt_.duration, opt_.repeat),
                  opt_.parts.size() == 4 ? "" : fmt::format(" --parts {}", fmt::join(opt_.parts, ","))));
  if (opt_.smoke) add("A smoke run: every part runs, briefly; its figures are not measurements.\n\n");
  add(
      fmt::format("Load average when the suite started: {} (anything else running on these cores disturbs both sides "
                  "of every comparison; see the end of the report for the load when it finished).\n\n",
                  load_average()));
  if (!opt_.plots.empty() && !plotter_.available())
    add(fmt::format("Plots: not drawn: {}.\n\n", plotter_.unavailable_reason()));
  const auto& want = opt_.parts;
  int parts = 0;
  bool baseline = false;
  auto timed = [&](int part, auto&& fn) {
    const auto p0 = Clock::now();
    const bool ok = fn();
    std::fprintf(stderr, "suite: part %d %s in %.1f s\n", part, ok ? "measured" : "FAILED", since(p0));
    return ok;
  };
  if (want.count(1)) parts += timed(1, [&] { return part_overhead(); }) ? 1 : 0;
  if (want.count(2)) parts += (baseline = timed(2, [&] { return part_baseline(); })) ? 1 : 0;
  if (want.count(3)) parts += baseline && timed(3, [&] { return part_ablations(); }) ? 1 : 0;
  if (want.count(4)) parts += timed(4, [&] { return part_priorities(); }) ? 1 : 0;
  add(fmt::format("Load average when the suite finished: {}.\n\n", load_average()));
  add(fmt::format("---\nSuite complete: {} of {} parts measured in {:.0f} s.\n", parts, want.size(), since(t0)));
  std::fputs(out_.c_str(), stdout);
  std::error_code ec;
  fs::remove_all(tmp_, ec);
  if (!opt_.report.empty()) {
    std::ofstream f(opt_.report);
    f << out_;
    if (!f) {
      std::fprintf(stderr, "suite: cannot write %s\n", opt_.report.c_str());
      return 1;
    }
  }
  return parts == static_cast<int>(want.size()) ? 0 : 1;
}

}  // namespace
}  // namespace sensix::bench

int main(int argc, char** argv) {
  CLI::App app{"sensix benchmark suite (issue 5): overhead, baseline, ablations, priorities"};
  sensix::bench::Options o;
  app.add_flag("--smoke", o.smoke, "a few seconds of everything (CI): no figure is a measurement");
  app.add_option("--duration", o.duration,
                 "seconds each measured configuration runs, about (the full suite takes ~55x)")
      ->check(CLI::Range(1.0, 600.0));
  app.add_option("--repeat", o.repeat, "parts 2 and 3: run each configuration this many times, keep the fastest")
      ->check(CLI::Range(1, 10));
  app.add_option("--report", o.report, "write the Markdown report here too");
  app.add_option("--plots", o.plots, "draw the plots (SVG and PNG, with gnuplot) into this folder");
  std::vector<int> parts;
  app.add_option("--parts", parts, "run only these parts (1-4; 3 needs 2), e.g. --parts 1,4")
      ->delimiter(',')
      ->check(CLI::Range(1, 4));
  app.add_option("--sensix", o.sensix, "the sensix CLI to run (default: ../sensix next to this program's folder)");
  app.add_flag("--allow-dirty", o.allow_dirty,
               "measure a source tree that differs from its commit (the report says so); refused otherwise");
  app.add_option("--wait-for-load", o.wait_for_load,
                 "seconds to wait for the 1-minute load to fall to 0.5 per core before starting (default 120)")
      ->check(CLI::Range(0.0, 3600.0));
  CLI11_PARSE(app, argc, argv);
  if (!parts.empty()) o.parts = std::set<int>(parts.begin(), parts.end());
  if (o.parts.count(3) && !o.parts.count(2)) o.parts.insert(2);
  namespace fs = std::filesystem;
  if (o.sensix.empty()) {
    std::error_code ec;
    o.sensix = (fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path() / "sensix").string();
  }
  if (!fs::exists(o.sensix)) {
    std::fprintf(stderr, "suite: the sensix CLI is not at %s (build the sensix target, or pass --sensix PATH)\n",
                 o.sensix.c_str());
    return 1;
  }
  // Pin before any thread starts: every thread and child process inherits it.
  sensix::bench::pin_to_all_cores();
  auto machine = sensix::bench::describe_machine(SENSIX_SOURCE_DIR);
  auto models = sensix::bench::ModelLibrary::load((fs::path(SENSIX_SOURCE_DIR) / "examples").string());
  if (!models.ok()) {
    std::fprintf(stderr, "suite: %s\n", models.status().message().c_str());
    return 1;
  }
  sensix::bench::Suite suite(o, std::move(machine), std::move(models).value());
  return suite.run();
}
