// The benchmark suite of issue 5: one command that measures, in one run on this machine, what
// sensix costs and saves against the baselines people use, and writes a Markdown report with plots.
//
// 1. Overhead: one model (PP-OCRv4 det) on a video, every frame decoded, served through the whole
//    runtime (video sensor -> transform -> engine -> post-processing -> prediction) against the
//    same work hand-written in one loop (OpenCV decode, image_ops, Session::run, text-region
//    decoding) and against the pure engine on a pre-made tensor (the ceiling), with the process
//    pinned to N cores for N intra-op threads (equal CPU). Goal: >= 95% of the hand-written loop.
//    1b: the tiny openWakeWord head hey-jarvis in its chain: per-call costs against Session::run.
// 2. Baseline: ten models (five audio, five vision) served by one sensix process against two
//    baselines of the real `sensix` CLI of this build: one process per upstream component (an
//    openWakeWord-style process serving mel + embedding + the four heads, Silero VAD alone, each
//    vision model alone) and one process per model (each head with its own mel and embedding).
//    Every side processes the same recordings N times as fast as it can, pinned to the same cores.
//    Goal: useful throughput >= 1.5x the per-component baseline, with less memory (summed PSS).
// 3. Ablations on the same workload: sharing on/off, isolation in-process vs worker processes,
//    each scheduling policy, batching on/off; the reference configuration twice (the noise).
// 4. Priorities under overload: a high-priority model with a latency objective and a growing
//    number of low-priority models on one video in real time, per scheduling policy: the high
//    model's p99 latency and the total throughput (the trade-off curves).
//
//   sensix_bench_suite [--smoke] [--duration S] [--repeat R] [--repeat-priorities R4] [--parts 1,2,3,4]
//                      [--report FILE] [--plots DIR] [--sensix PATH]
//
// Parts 2-4 report every figure as the median of the repeated runs with their min and max.
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
#include <functional>
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
  double duration = 8;        // seconds each measured configuration runs (about)
  int repeat = 5;             // parts 1-3: runs of each configuration (figures: median, min, max)
  int repeat_priorities = 3;  // part 4: runs of each point
  std::string report;
  std::string plots;
  std::string sensix;                  // the CLI; default: next to the bench folder
  std::set<int> parts = {1, 2, 3, 4};  // part 3 needs part 2
  bool allow_dirty = false;            // measure a tree that differs from its commit (marked in the report)
  double wait_for_load = 120;          // seconds to wait for the load to fall to 0.5 per core before starting
};

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

// The quickstart's voice pipeline (Silero VAD, the openWakeWord mel -> embedding -> hey-jarvis,
// alexa, hey-mycroft) on the speech, with hey-jarvis's TFLite twin (its `variants`) listed or not:
// listing a twin must never make the workload slower (issue 15: the cores were once split by engine).
Scenario voice_pipeline(const Media& m, bool twin) {
  Scenario s;
  s.name = twin ? "voice-with-twin" : "voice-without-twin";
  s.drop_spec = {"scheduling"};
  if (!twin) s.drop_spec.push_back("variants");
  s.sensors = {{"speech", speech_sensor(m)}};
  for (const std::string model : {"silero-vad", "hey-jarvis", "alexa", "hey-mycroft"}) add_chain(&s, model);
  return s;
}

const std::vector<std::string> kVoiceUseful = {"silero-vad", "hey-jarvis", "alexa", "hey-mycroft"};

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
  // Loading excluded: from the first process to begin serving (its exit minus its uptime, the
  // CLI's start() to its summary) to the last exit; one process: its uptime.
  double serving_s = 0;
  double last_ready_s = 0;  // when the last process began serving, from the launch
  double cpu_s = 0;
  MemorySample memory;  // the peak of the processes' PSS summed at the same instants (RSS likewise)
  std::vector<CliOutcome> outcomes;
  double rps() const { return wall_s > 0 ? static_cast<double>(useful_runs) / wall_s : 0; }
  double serving_rps() const { return serving_s > 0 ? static_cast<double>(useful_runs) / serving_s : 0; }
  double cpu_ms_per_run() const { return useful_runs ? 1000.0 * cpu_s / static_cast<double>(useful_runs) : 0; }
  double pss() const { return static_cast<double>(memory.pss_bytes); }
  double rss() const { return static_cast<double>(memory.rss_bytes); }
};

// The repeated runs of one configuration: each figure is reported as the median of the runs with
// their min and max (spread.h).
struct Runs {
  std::string key;  // short name (plots, ratios)
  std::string label;
  std::vector<Measured> runs;

  template <typename F>
  Spread of(F&& figure) const {
    return spread_over(runs, std::forward<F>(figure));
  }
  bool ok() const {
    return !runs.empty() && std::all_of(runs.begin(), runs.end(), [](const Measured& m) { return m.ok; });
  }
  std::string error() const {
    for (const auto& m : runs) {
      if (!m.ok) return m.error;
    }
    return runs.empty() ? "not run" : "";
  }
  // The run whose `figure` is closest to the median (the one whose details a report shows).
  template <typename F>
  const Measured& typical(F&& figure) const {
    std::vector<double> v;
    for (const auto& m : runs) v.push_back(figure(m));
    return runs[static_cast<size_t>(std::max(0, median_index(v)))];
  }
};

// Per repetition i, figure(a's run i) / figure(b's run i): the runs of one repetition ran in turn
// on the machine in the same state.
template <typename F>
Spread paired_ratio(const Runs& a, const Runs& b, F&& figure) {
  std::vector<double> v;
  for (size_t i = 0; i < std::min(a.runs.size(), b.runs.size()); ++i) {
    const double den = figure(b.runs[i]);
    if (den > 0) v.push_back(figure(a.runs[i]) / den);
  }
  return spread_of(std::move(v));
}

double wall_rps(const Measured& m) { return m.rps(); }
double serving_rps(const Measured& m) { return m.serving_rps(); }
double wall_of(const Measured& m) { return m.wall_s; }
double serving_of(const Measured& m) { return m.serving_s; }
double cpu_of(const Measured& m) { return m.cpu_s; }
double cpu_per_run(const Measured& m) { return m.cpu_ms_per_run(); }
double pss_of(const Measured& m) { return m.pss(); }
double rss_of(const Measured& m) { return m.rss(); }

// "337 MiB (330 MiB-345 MiB)": a spread of byte counts.
std::string format_bytes_spread(const Spread& s) {
  auto b = [](double x) { return format_bytes(static_cast<int64_t>(std::llround(x))); };
  if (s.n == 0) return "n/a";
  if (s.n == 1) return b(s.median) + " (1 run)";
  return fmt::format("{} ({}-{})", b(s.median), b(s.min), b(s.max));
}

// "2.09x (1.95-2.20)" for a spread of ratios.
std::string format_ratio(const Spread& s) {
  if (s.n == 0) return "n/a";
  if (s.n == 1) return fmt::format("{:.2f}x (1 run)", s.median);
  return fmt::format("{:.2f}x ({:.2f}-{:.2f})", s.median, s.min, s.max);
}

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
  // Writes the scenario's documents to a fresh scenario_file() and parses them back (for the parts
  // that run a Runtime in this process).
  Result<DocumentSet> scenario_docs(const Scenario& s);

  bool part_overhead();
  bool part_overhead_tiny();
  bool part_baseline();
  bool part_ablations();
  bool part_priorities();

  void add(const std::string& text) { out_ += text; }
  void plot_note(const std::vector<std::string>& files, const std::string& what);
  int cores() const { return std::max(1, static_cast<int>(machine_.pinned.size())); }
  int repeats() const { return opt_.smoke ? 1 : opt_.repeat; }
  int prio_repeats() const { return opt_.smoke ? 1 : opt_.repeat_priorities; }

  Options opt_;
  MachineInfo machine_;
  ModelLibrary models_;
  Plotter plotter_;
  std::string tmp_;
  std::string out_;
  int repeat_ = 1;  // N: how many times parts 2 and 3 replay their recordings
  std::optional<Media> media_;
  Runs sensix_;  // part 2's sensix runs (part 3 shows them beside its own reference)
  int files_ = 0;
};

std::string Suite::scenario_file(const Scenario& s) {
  return (fs::path(tmp_) / fmt::format("{:03d}-{}.yaml", files_++, s.name)).string();
}

Result<DocumentSet> Suite::scenario_docs(const Scenario& s) {
  const std::string file = scenario_file(s);
  if (Status st = write_scenario(s, models_, file); !st.ok()) {
    return st.with_context(fmt::format("could not write the documents ({})", file));
  }
  auto docs = parse_document_files({file});
  if (!docs.ok()) return docs.status().with_context(fmt::format("the documents did not parse ({})", file));
  return docs;
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
  double first_ready = g->wall_s;
  for (const auto& p : g->processes) {
    CliOutcome o = parse_summary(p);
    if (!o.ok) {
      m.ok = false;
      if (m.error.empty()) m.error = o.error;
    }
    // Began serving: its exit minus its uptime (the summary comes at the end of its run).
    const double ready = std::max(0.0, p.wall_s - o.uptime_s);
    first_ready = std::min(first_ready, ready);
    m.last_ready_s = std::max(m.last_ready_s, ready);
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
  m.serving_s = std::max(0.0, m.wall_s - first_ready);
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
    return scenario_docs(s);
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
  chart.ranges.resize(3);
  for (const auto& c : cases) {
    chart.categories.push_back(c.label());
    const Spread s[3] = {rps_spread(c.engine), rps_spread(c.expert), rps_spread(loops_of(c.runtime))};
    for (size_t i = 0; i < 3; ++i) {
      chart.values[i].push_back(s[i].median);
      chart.ranges[i].push_back({s[i].min, s[i].max});
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
  // A configuration: the cores the process is pinned to, and whether the runtime gets one ONNX Runtime lane
  // (its three models' calls one after the other, as in the bare chain) or the default lanes (one per core: a
  // mel call may run beside an embedding or head call, as the bare chain's never does).
  struct Config {
    std::vector<int> cores;
    bool one_lane = false;
    std::string label() const { return fmt::format("{}{}", cores.size(), one_lane ? ", one lane" : ""); }
    std::string where() const {
      return fmt::format("{} core{}{}", cores.size(), cores.size() == 1 ? "" : "s",
                         one_lane ? ", one engine lane" : "");
    }
  };
  std::vector<Config> configs = {{{machine_.pinned.empty() ? 0 : machine_.pinned.front()}, false}};
  if (cores() > 1 && !opt_.smoke) {
    configs.push_back({machine_.pinned, false});
    configs.push_back({machine_.pinned, true});
  }
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
      "another thread's time slice), then to {} core{}: once with the runtime's default lanes (one per core, so "
      "a mel call may run beside an embedding or head call of an earlier window, which the bare chain's never "
      "does), once with a Device document giving ONNX Runtime one lane (`threads: 1`: the three models' calls one "
      "after the other, as in the bare chain, while the sensor and graph threads have the other core). Both sides "
      "measured for {:.0f} s, one after the other, {} "
      "time{}; medians with min-max.\n\n",
      cores(), cores() == 1 ? "" : "s", seconds, reps, reps == 1 ? "" : "s"));
  add("| cores | model | bare `Session::run` us per call | runtime `compute` us per call | runtime / bare | runtime "
      "node busy us per inference |\n|---:|---|---:|---:|---:|---:|\n");
  std::string chain_text, measured;
  bool met = true;
  for (const auto& config : configs) {
    const std::vector<int>& cores_used = config.cores;
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
      if (config.one_lane) {
        s.device_spec = fmt::format(
            "  cores: {}\n  accelerators:\n    - {{name: ort, engine: onnxruntime, threads: 1}}\n", cores_used.size());
      }
      auto docs = scenario_docs(s);
      if (!docs.ok()) {
        add("Not measured: " + docs.status().message() + "\n\n");
        return false;
      }
      CorePin pin(cores_used);
      std::fprintf(stderr, "suite: overhead, tiny model, %s core(s), run %d of %d\n", config.label().c_str(), rep + 1,
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
      add(fmt::format("| {} | {} | {} | {} | {} | {} |\n", config.label(), m, format_spread(spread_of(b), 1),
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
        "- {}: bare chain {} us of CPU per head inference ({} head inferences/s); runtime {} us ({} head "
        "inferences/s).\n",
        config.where(), format_spread(spread_of(bare_cpu), 0), format_spread(spread_of(bare_rate), 0),
        format_spread(spread_of(rt_cpu), 0), format_spread(spread_of(rt_rate), 0));
    measured += fmt::format("{}{} on {}", measured.empty() ? "" : ", ", percent(head, 0), config.where());
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
// Part 2: one sensix process against one process per component and one per model

// The openWakeWord-style service: the mel and embedding models and the four heads on them, in
// one process that shares the two feature models between its heads (as openWakeWord's library does).
Scenario wake_word_service(const Media& m) {
  Scenario s;
  s.name = "openwakeword-style";
  s.drop_spec = {"scheduling", "variants"};
  s.sensors = {{"speech", speech_sensor(m)}};
  for (const auto& h : kHeads) add_chain(&s, h);
  return s;
}

bool Suite::part_baseline() {
  add("## 2. Baseline: ten models in one sensix process vs one process per component, and per model\n\n");
  add("**Goal:** sensix's aggregate useful throughput >= 1.5x the per-component baseline's at equal CPU, with less "
      "memory.\n\n");
  const auto useful = useful_models();
  std::string list;
  for (const auto& m : useful) list += (list.empty() ? "`" : ", `") + m + "`";
  add(fmt::format(
      "The ten useful models: {} (five audio, five vision). Counted: their inferences (`runs` in the CLI's JSON "
      "summary), summed over the models; the openWakeWord mel and embedding models feed the four wake-word/intent "
      "heads and are run but not counted.\n\n"
      "Workload (every side): the quickstart's speech recording (17 s, 22.05 kHz) N times in one WAV file and the "
      "quickstart's four photos N times in one folder, replayed once (no loop) as fast as the models take them "
      "(`--speed max`, lossless), so every side makes the same inferences. Three sides, all `sensix run` "
      "processes of this build with the examples' Model documents, started at once, pinned to the same cores ({}) "
      "and running at full speed (equal CPU):\n\n"
      "- **sensix**: one process serving the ten models (one mel -> embedding chain feeds the four heads).\n"
      "- **per-component baseline** (what a user builds from the upstream projects): one process per upstream "
      "component, seven at once: an openWakeWord-style process serving the mel and embedding models and the four "
      "heads on them (openWakeWord's library shares the two between its heads, and so does this process), Silero "
      "VAD alone, and each of the five vision models alone. Each has its own sensor on the same file and its own "
      "resampling / image preparation.\n"
      "- **per-model baseline**: ten processes, one model each; a head's process runs its own mel and embedding "
      "models (one service per model).\n\n"
      "The examples' `variants` (the heads' TFLite twins) and `scheduling` fields (the quickstart's priorities "
      "and objectives) are left out on every side: this part compares processes, not priorities (part 4 does), "
      "and an objective is checked against the model's warm-up runs when it loads, which several processes "
      "loading at once on these cores slow down (SSD's 1 s objective was refused that way in a trial run).\n\n"
      "Wall time: from the launch to the last exit (loading included). Serving time (loading excluded): for one "
      "process its uptime (the CLI's JSON summary: from `start()`, after every model loaded, to the summary); for "
      "several, from the first of them to begin serving (its exit minus its uptime) to the last exit: the span "
      "of their serving intervals, which also holds the loading of the others that overlaps it. Throughput = "
      "useful inferences / that time. CPU = user + system of every process (wait4), loading included. Memory = "
      "the peak over the run of the processes' PSS summed at the same instants (/proc/PID/smaps_rollup of each "
      "process and its descendants, all sampled in one pass every 200 ms; PSS splits shared pages such as the "
      "engine libraries between the processes mapping them); RSS likewise (the peak of its own same-instant "
      "sums; a shared page counts in every process).\n\n",
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

  std::vector<Scenario> per_component = {wake_word_service(*media_), one_model(*media_, "silero-vad")};
  for (const auto& m : kVision) per_component.push_back(one_model(*media_, m));
  std::vector<Scenario> per_model;
  for (const auto& m : useful) per_model.push_back(one_model(*media_, m));
  struct Side {
    std::vector<Scenario> scenarios;
    Runs* runs;
  };
  sensix_ = {"sensix", "sensix, ten models in one process", {}};
  Runs component{"per-component", fmt::format("per-component baseline, {} processes", per_component.size()), {}};
  Runs model{"per-model", fmt::format("per-model baseline, {} processes", per_model.size()), {}};
  std::vector<Side> sides = {{{ten_models(*media_)}, &sensix_}, {per_component, &component}, {per_model, &model}};
  // In turn within each repetition, the order rotating, so that anything else the machine does
  // falls on every side alike.
  for (int r = 0; r < repeats(); ++r) {
    for (size_t i = 0; i < sides.size(); ++i) {
      Side& side = sides[(static_cast<size_t>(r) + i) % sides.size()];
      Measured m = run_cli(side.runs->label, side.scenarios, useful);
      if (!m.ok) {
        add(fmt::format("A run failed ({}): {}\n\n", side.runs->label, m.error));
        return false;
      }
      side.runs->runs.push_back(std::move(m));
    }
  }
  add(fmt::format(
      "N = {} (the speech recording {} times = {:.0f} s of audio, {} photos), sized so that sensix serves for about "
      "{:.0f} s. Each side ran {} time{}; every figure is the median (min-max) of its runs; the ratios are taken per "
      "repetition (the runs of one repetition ran one after the other).\n\n",
      n, n, 17.0 * n, 4 * n, opt_.duration, repeats(), repeats() == 1 ? "" : "s"));
  add("| | processes | useful inferences | wall s | useful inferences/s (wall) | serving s | useful inferences/s "
      "(serving) | CPU s | CPU ms per useful inference | peak PSS (summed) | peak RSS (summed) |\n");
  add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Runs* s : {&sensix_, &component, &model}) {
    add(fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", s->label, s->runs.front().processes,
                    s->runs.front().useful_runs, format_spread(s->of(wall_of), 2), format_spread(s->of(wall_rps), 1),
                    format_spread(s->of(serving_of), 2), format_spread(s->of(serving_rps), 1),
                    format_spread(s->of(cpu_of), 2), format_spread(s->of(cpu_per_run), 3),
                    format_bytes_spread(s->of(pss_of)), format_bytes_spread(s->of(rss_of))));
  }
  add("\nPer model (inferences in every run; every side must make the same):\n\n| model | sensix | per-component | "
      "per-model | same |\n|---|---:|---:|---:|---|\n");
  bool same = true;
  std::vector<std::string> all = useful;
  all.insert(all.begin() + 5, {"oww-mel", "oww-embedding"});
  auto count = [](const Measured& m, const std::string& name) { return m.runs.count(name) ? m.runs.at(name) : 0; };
  for (const auto& name : all) {
    const uint64_t a = count(sensix_.runs.front(), name);
    const bool counted = std::find(useful.begin(), useful.end(), name) != useful.end();
    bool all_same = true;
    for (const Runs* s : {&sensix_, &component, &model}) {
      for (const auto& m : s->runs) all_same = all_same && (!counted || count(m, name) == a);
    }
    if (counted) same = same && all_same;
    const uint64_t b = count(component.runs.front(), name), c = count(model.runs.front(), name);
    add(fmt::format("| {}{} | {} | {} | {} | {} |\n", name, counted ? "" : " (feature, not counted)", a, b, c,
                    counted ? (all_same ? "yes" : "**no**") : (c == 4 * a && b == a ? "per-model 4x" : "-")));
  }
  const Spread thr_c = paired_ratio(sensix_, component, wall_rps);
  const Spread srv_c = paired_ratio(sensix_, component, serving_rps);
  const Spread cpu_c = paired_ratio(component, sensix_, cpu_of);
  const Spread mem_c = paired_ratio(component, sensix_, pss_of);
  const Spread thr_m = paired_ratio(sensix_, model, wall_rps);
  const Spread srv_m = paired_ratio(sensix_, model, serving_rps);
  const Spread cpu_m = paired_ratio(model, sensix_, cpu_of);
  const Spread mem_m = paired_ratio(model, sensix_, pss_of);
  const double sensix_pss = sensix_.of(pss_of).median, comp_pss = component.of(pss_of).median;
  const bool met = thr_c.median >= 1.5 && comp_pss > sensix_pss;
  add(fmt::format(
      "\n**Measured:** against the per-component baseline, useful throughput sensix / baseline = **{}** over the "
      "wall time and {} over the serving time; the baseline used {} the CPU time and {} the memory (peak summed "
      "PSS: {} vs {}). Against the per-model baseline: **{}** (wall), {} (serving), {} the CPU, {} the memory "
      "(PSS {}). Same inferences on every side in every run: {}. Because every side makes the same inferences, a "
      "throughput ratio is also the ratio of the times taken for the same work, however the inferences are "
      "weighted (the audio models' many small inferences make most of the count). **Goal met** (median wall-time "
      "ratio >= 1.5x the per-component baseline, with less memory): {}.\n",
      format_ratio(thr_c), format_ratio(srv_c), format_ratio(cpu_c), format_ratio(mem_c),
      format_bytes(static_cast<int64_t>(sensix_pss)), format_bytes(static_cast<int64_t>(comp_pss)), format_ratio(thr_m),
      format_ratio(srv_m), format_ratio(cpu_m), format_ratio(mem_m),
      format_bytes(static_cast<int64_t>(model.of(pss_of).median)), same ? "yes" : "**no**", yes_no(met)));
  if (thr_c.median < 1.5 && thr_c.n > 0) {
    // What 1.5x would take. With every process pinned to the same saturated cores, throughput
    // follows CPU per inference, so the goal needs sensix's CPU per inference at 1/1.5 of the
    // baseline's; where sensix's CPU goes (engine time per model, the CLI's computeMeanMs x runs).
    const double base_cpu = component.of(cpu_per_run).median, own_cpu = sensix_.of(cpu_per_run).median;
    const Measured& typical = sensix_.typical(wall_rps);
    std::vector<std::pair<double, std::string>> engine;
    double engine_s = 0;
    for (const auto& o : typical.outcomes) {
      for (const auto& [name, cm] : o.models) {
        const double sec = cm.compute_mean_ms * static_cast<double>(cm.runs) / 1000.0;
        engine.emplace_back(sec, name);
        engine_s += sec;
      }
    }
    std::sort(engine.rbegin(), engine.rend());
    std::string top;
    for (size_t i = 0; i < std::min<size_t>(4, engine.size()); ++i) {
      top += fmt::format("{}{} {:.2f} s", i ? ", " : "", engine[i].second, engine[i].first);
    }
    add(fmt::format(
        "Short of 1.5x by {:.0f}% ({:.2f}x of 1.50x): sensix would have to do the same work in {:.2f} s instead of "
        "{:.2f} s (median wall time). On cores that both sides saturate, throughput follows the CPU each useful "
        "inference costs: the per-component baseline spends {:.3f} ms, sensix {:.3f} ms; 1.5x needs sensix at "
        "{:.3f} ms ({:.0f}% less CPU than now). The per-component baseline already shares what one process can "
        "share between a component's models (the mel and embedding feed the four heads in both), so what sensix "
        "still saves is the second decoding and resampling of each recording and the per-process costs (six more "
        "engine runtimes, sensors and threads). The rest is the models' own inference, which no process layout "
        "shares: in sensix's median run the engine runs took {:.2f} s on the lanes (the models' `compute` times, "
        "summed; {}) against {:.2f} s of process CPU. 1.5x would need that inference itself to cost less: a cheaper "
        "variant of the heaviest "
        "models (quantised, or the TFLite twins the examples declare), batching the models that accept it (part 3), "
        "or skipping the work a result does not need (e.g. gating the wake-word family on the VAD).\n",
        100.0 * (1.5 - thr_c.median) / 1.5, thr_c.median, sensix_.of(wall_of).median * thr_c.median / 1.5,
        sensix_.of(wall_of).median, base_cpu, own_cpu, base_cpu / 1.5,
        own_cpu > 0 ? 100.0 * (1.0 - base_cpu / 1.5 / own_cpu) : 0.0, engine_s, top, typical.cpu_s));
  }
  BarChart chart;
  chart.categories = {"useful inferences/s (wall)", "useful inferences/s (serving)", "CPU seconds", "peak PSS"};
  chart.series = {"per-model baseline", "per-component baseline (= 1)", "sensix: 1 process"};
  auto rel = [&](const Runs& x) {
    return std::vector<Spread>{paired_ratio(x, component, wall_rps), paired_ratio(x, component, serving_rps),
                               paired_ratio(x, component, cpu_of), paired_ratio(x, component, pss_of)};
  };
  for (const Runs* x : {&model, &component, &sensix_}) {
    std::vector<double> v;
    std::vector<std::pair<double, double>> r;
    for (const Spread& s : rel(*x)) {
      v.push_back(s.median);
      r.emplace_back(s.min, s.max);
    }
    chart.values.push_back(std::move(v));
    chart.ranges.push_back(std::move(r));
  }
  plot_note(plotter_.bars("baseline",
                          {"Ten models: relative to the per-component baseline (median, min-max)", "",
                           "relative to the per-component baseline"},
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
      "process and its workers (summed at the same instants). Every configuration ran {} time{}, in turn with the "
      "others in each repetition; every figure is the median (min-max) of its runs, and a ratio to the reference "
      "is the ratio of the medians. The reference configuration runs twice over: as part 3's reference and as "
      "part 2's sensix side (the same documents, the same workload, measured in part 2): the difference between "
      "those two rows is the noise of this machine, below which a ratio means nothing.{}\n\n",
      repeat_, repeats(), repeats() == 1 ? "" : "s",
      opt_.smoke ? " The smoke run measures only isolation and batching, against part 2's run." : ""));
  const auto useful = useful_models();
  struct Config {
    std::string key;
    std::string label;
    int group = 0;  // 0: part 2's workload, 1: the batching workload
    bool in_smoke = false;
    std::function<Measured(const std::string&)> run;
  };
  std::vector<Config> configs;
  configs.push_back({"shared", "everything shared (default): the reference", 0, false,
                     [&](const std::string& l) { return run_cli(l, {ten_models(*media_)}, useful); }});
  configs.push_back(
      {"no transform sharing", "transform steps not shared (--no-sharing)", 0, false,
       [&](const std::string& l) { return run_cli(l, {ten_models(*media_)}, useful, {"--no-sharing"}); }});
  configs.push_back(
      {"no sharing", "nothing shared (--no-sharing, each head its own mel + embedding)", 0, false,
       [&](const std::string& l) { return run_cli(l, {ten_models(*media_, true)}, useful, {"--no-sharing"}); }});
  configs.push_back({"isolation: process", "isolation: process (every model in a worker process)", 0, true,
                     [&](const std::string& l) {
                       Scenario iso = ten_models(*media_);
                       for (const auto& st : iso.steps)
                         iso.extra_spec[st.model] = "  resources: {isolation: process}\n";
                       iso.name = "ten-models-isolated";
                       return run_cli(l, {iso}, useful);
                     }});
  for (const std::string policy : {"latency", "throughput", "balanced"}) {
    configs.push_back({"policy " + policy, fmt::format("Device policy: {} (cores: {})", policy, cores()), 0, false,
                       [&, policy](const std::string& l) {
                         Scenario s = ten_models(*media_);
                         s.name = "ten-models-" + policy;
                         s.device_spec = fmt::format("  cores: {}\n  policy: {}\n", cores(), policy);
                         return run_cli(l, {s}, useful);
                       }});
  }
  // Batching: its own workload (the models with a dynamic batch dimension).
  configs.push_back({"OCR+wake", "OCR + wake words, no batching", 1, false, [&](const std::string& l) {
                       return run_cli(l, {ocr_and_wake_words(*media_, false)}, ocr_wake_useful());
                     }});
  configs.push_back({"OCR+wake batched",
                     "OCR + wake words, batch {max: 8, delay: 20ms} on ppocr-rec, ppocr-cls, "
                     "oww-embedding",
                     1, true, [&](const std::string& l) {
                       return run_cli(l, {ocr_and_wake_words(*media_, true)}, ocr_wake_useful());
                     }});
  // The twin: the cores are one budget, so a listed TFLite twin must not slow the workload.
  configs.push_back({"voice", "voice pipeline, hey-jarvis without its TFLite twin", 2, true,
                     [&](const std::string& l) { return run_cli(l, {voice_pipeline(*media_, false)}, kVoiceUseful); }});
  configs.push_back({"voice + twin", "voice pipeline, hey-jarvis's TFLite twin listed (`variants`)", 2, true,
                     [&](const std::string& l) { return run_cli(l, {voice_pipeline(*media_, true)}, kVoiceUseful); }});
  std::erase_if(configs, [&](const Config& c) { return opt_.smoke && !c.in_smoke; });

  std::vector<Runs> rows;
  std::vector<int> groups;
  for (const auto& c : configs) {
    rows.push_back({c.key, c.label, {}});
    groups.push_back(c.group);
  }
  // Round-robin: repetition r runs every configuration once, so drift falls on all alike.
  for (int r = 0; r < repeats(); ++r) {
    for (size_t i = 0; i < configs.size(); ++i) rows[i].runs.push_back(configs[i].run(configs[i].label));
  }
  // Part 2's sensix runs: the reference configuration measured again.
  Runs again = sensix_;
  again.key = "shared (part 2)";
  again.label = "everything shared, part 2's sensix runs (the reference again: the noise)";
  rows.insert(rows.begin() + (opt_.smoke ? 0 : 1), again);
  groups.insert(groups.begin() + (opt_.smoke ? 0 : 1), 0);

  auto find = [&](const std::string& key) -> const Runs* {
    for (const auto& r : rows) {
      if (r.key == key && r.ok()) return &r;
    }
    return nullptr;
  };
  const Runs* reference = find("shared") ? find("shared") : find("shared (part 2)");
  add("| configuration | useful inferences | serving s | useful inferences/s | vs reference | CPU s | CPU ms per "
      "useful inference | peak PSS | peak RSS |\n");
  add("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  bool group_header = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Runs& row = rows[i];
    const Runs* ref = groups[i] == 0 ? reference : groups[i] == 1 ? find("OCR+wake") : find("voice");
    if (groups[i] == 1 && !group_header) {
      group_header = true;
      add("| *batching workload: PP-OCRv4 det -> rec + cls (up to 8 text-line crops) on N copies of scenetext01.jpg, "
          "with the wake-word family on the speech* | | | | | | | | |\n");
    }
    if (groups[i] == 2 && (i == 0 || groups[i - 1] != 2)) {
      add("| *twin workload: the quickstart's voice pipeline (Silero VAD, mel -> embedding -> hey-jarvis, alexa, "
          "hey-mycroft) on the speech, no Device document (every core one budget)* | | | | | | | | |\n");
    }
    if (!row.ok()) {
      std::string why = row.error();
      std::replace(why.begin(), why.end(), '|', '/');
      add(fmt::format("| {} | not measured: {} | | | | | | | |\n", row.label, why));
      continue;
    }
    const double rps = row.of(serving_rps).median, ref_rps = ref ? ref->of(serving_rps).median : 0;
    add(fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", row.label, row.runs.front().useful_runs,
                    format_spread(row.of(serving_of), 2), format_spread(row.of(serving_rps), 1),
                    ref_rps > 0 ? fmt::format("{:.2f}x", rps / ref_rps) : "-", format_spread(row.of(cpu_of), 2),
                    format_spread(row.of(cpu_per_run), 3), format_bytes_spread(row.of(pss_of)),
                    format_bytes_spread(row.of(rss_of))));
  }
  // The batches the scheduler formed (the CLI's JSON: scheduling.batches, batch size -> engine runs),
  // in the run with the median serving throughput.
  if (const Runs* b = find("OCR+wake batched")) {
    std::string text;
    for (const auto& o : b->typical(serving_rps).outcomes) {
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
    if (!text.empty()) add("\nBatches formed with batching on (the median run): " + text + ".\n");
  }
  auto ratio_of_medians = [&](const std::string& a, const std::string& b, auto&& figure) -> std::string {
    const Runs* x = find(a);
    const Runs* y = find(b);
    const double den = y ? y->of(figure).median : 0;
    return x && den > 0 ? fmt::format("{:.2f}x", x->of(figure).median / den) : "not measured";
  };
  const std::string ref_key = reference ? reference->key : "shared";
  const Runs* iso = find("isolation: process");
  std::string noise = "not measured (one of the two rows is missing)";
  if (const Runs* a = find("shared"); a && find("shared (part 2)")) {
    const Runs* b = find("shared (part 2)");
    noise = fmt::format(
        "serving throughput {} (part 3) vs {} (part 2): the two medians differ by {:.1f}%, and single runs of the one "
        "configuration span {:.1f}%",
        format_spread(a->of(serving_rps), 1), format_spread(b->of(serving_rps), 1),
        100.0 * std::abs(a->of(serving_rps).median / std::max(b->of(serving_rps).median, 1e-9) - 1.0), [&] {
          std::vector<double> v;
          for (const Runs* x : {a, b}) {
            for (const auto& m : x->runs) v.push_back(m.serving_rps());
          }
          const Spread s = spread_of(v);
          return s.min > 0 ? 100.0 * (s.max / s.min - 1.0) : 0.0;
        }());
  }
  add(fmt::format(
      "\n**Measured:** the noise (the reference configuration twice): {}. Without any sharing the same inferences "
      "cost {} the CPU of the shared plan (transform sharing alone: {}); worker-process isolation costs {} the CPU "
      "and {} more memory (PSS, medians); serving throughput on the OCR + wake-word workload with batching / "
      "without: {}; the voice pipeline with hey-jarvis's TFLite twin listed / without it: {} (goal: not below 1.00x "
      "beyond the noise; before the cores became one budget it was 0.57x).\n",
      noise, ratio_of_medians("no sharing", ref_key, cpu_of), ratio_of_medians("no transform sharing", ref_key, cpu_of),
      ratio_of_medians("isolation: process", ref_key, cpu_of),
      iso && reference ? format_bytes(static_cast<int64_t>(iso->of(pss_of).median - reference->of(pss_of).median))
                       : std::string("?"),
      ratio_of_medians("OCR+wake batched", "OCR+wake", serving_rps),
      ratio_of_medians("voice + twin", "voice", serving_rps)));
  BarChart chart;
  chart.series = {"useful inferences/s (serving; median, min-max)"};
  chart.values.resize(1);
  chart.ranges.resize(1);
  for (const auto& r : rows) {
    const Spread s = r.ok() ? r.of(serving_rps) : Spread{};
    chart.categories.push_back(r.key);
    chart.values[0].push_back(s.median);
    chart.ranges[0].emplace_back(s.min, s.max);
  }
  plot_note(plotter_.bars("ablations",
                          {"Ablations (part 2's workload; batching on its own)", "", "useful inferences/s"}, chart),
            "Ablations plot");
  add("\n");
  // A configuration that was not measured (a run failed or its models reported errors) fails the part.
  return std::all_of(rows.begin(), rows.end(), [](const Runs& r) { return r.ok(); });
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

// The repeated runs of one point of part 4.
struct PointRuns {
  std::string policy;
  int low_models = 0;
  std::vector<PriorityPoint> runs;
  template <typename F>
  Spread of(F&& figure) const {
    return spread_over(runs, std::forward<F>(figure));
  }
  // The run whose high-priority p99 is the median one (its per-model rows are shown).
  const PriorityPoint& typical() const {
    std::vector<double> v;
    for (const auto& p : runs) v.push_back(p.high_p99_ms);
    return runs[static_cast<size_t>(std::max(0, median_index(v)))];
  }
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
      "figures of one run rest on about 10 x {:.0f} predictions. Every point runs {} time{}, in turn with the other "
      "points in each repetition.\n\n",
      high, objective_ms, low.size(), fmt::join(low, ", "),
      cores() == 1 ? "one core" : fmt::format("{} cores", cores()), cores(), seconds, warmup, seconds, prio_repeats(),
      prio_repeats() == 1 ? "" : "s"));

  // Every point runs prio_repeats() times, round-robin over the grid (drift falls on every point alike).
  std::vector<PointRuns> results;
  for (const auto& policy : policies) {
    for (int k : points) results.push_back({policy, k, {}});
  }
  for (int rep = 0; rep < prio_repeats(); ++rep) {
    for (auto& point : results) {
      const std::string& policy = point.policy;
      const int k = point.low_models;
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
      auto docs = scenario_docs(s);
      if (!docs.ok()) {
        add("Not measured: " + docs.status().message() + "\n\n");
        return false;
      }
      std::fprintf(stderr, "suite: priorities, policy %s, %d low-priority models, run %d of %d\n", policy.c_str(), k,
                   rep + 1, prio_repeats());
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
      point.runs.push_back(std::move(p));
    }
  }
  auto high_p50 = [](const PriorityPoint& p) { return p.high_p50_ms; };
  auto high_p99 = [](const PriorityPoint& p) { return p.high_p99_ms; };
  auto high_whole = [](const PriorityPoint& p) { return p.high_whole_p99_ms; };
  auto high_queue = [](const PriorityPoint& p) { return p.high_queue_p99_ms; };
  auto high_rps = [](const PriorityPoint& p) { return p.high_rps; };
  auto high_misses = [](const PriorityPoint& p) { return static_cast<double>(p.high_misses); };
  auto total_rps = [](const PriorityPoint& p) { return p.total_rps; };
  add(
      fmt::format("The high-priority model at each load (every figure: the median (min-max) of {} run{} of the "
                  "point; within objective: the median p99, and how many runs kept it):\n\n",
                  prio_repeats(), prio_repeats() == 1 ? "" : "s"));
  add("| policy | low-priority models | high p50 ms | high p99 ms | within objective | high p99 ms, whole run | high "
      "queue p99 ms | high inferences/s | high deadline misses | all inferences/s |\n");
  add("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
  bool met = true;
  bool overloaded_seen = false;
  for (const auto& p : results) {
    const Spread p99 = p.of(high_p99);
    const bool within = p99.median <= objective_ms;
    const auto kept = std::count_if(p.runs.begin(), p.runs.end(),
                                    [&](const PriorityPoint& r) { return r.high_p99_ms <= objective_ms; });
    if (p.low_models >= 4) {
      overloaded_seen = true;
      met = met && within;
    }
    add(fmt::format("| {} | {} | {} | {} | {} ({} of {}) | {} | {} | {} | {} | {} |\n", p.policy, p.low_models,
                    format_spread(p.of(high_p50), 1), format_spread(p99, 1), within ? "yes" : "**no**", kept,
                    p.runs.size(), format_spread(p.of(high_whole), 1), format_spread(p.of(high_queue), 1),
                    format_spread(p.of(high_rps), 1), format_spread(p.of(high_misses), 0),
                    format_spread(p.of(total_rps), 1)));
  }
  add("\nEvery model at the highest load, per policy, in the run whose high-priority p99 is the median one (p50/p99 "
      "from the predictions after the warm-up, n of them: a model that found nothing reports nothing, so n = 0 has "
      "no latency; engine ms per run: the mean over the whole run; drops: frames dropped before the model; skipped: "
      "inputs the scheduler shed; misses: results later than the objective):\n\n");
  add("| policy | model | engine | priority | engine ms per run | inferences/s | p50 ms | p99 ms | n | drops | skipped "
      "| deadline misses |\n");
  add("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& point : results) {
    if (point.low_models != points.back()) continue;
    const PriorityPoint& p = point.typical();
    for (const auto& r : p.rows) {
      add(fmt::format("| {} | {} | {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {} | {} | {} | {} |\n", p.policy,
                      r.model, r.engine, r.priority, r.compute_ms, r.rps, r.p50_ms, r.p99_ms, r.samples, r.dropped,
                      r.skipped, r.misses));
    }
  }
  add(fmt::format(
      "\n**Measured:** the high-priority model's p99 at the highest load (median, min-max): {}. **Goal met** (median "
      "p99 within {} ms at 4 or more low-priority models, every policy): {}.\n",
      [&] {
        std::string s;
        for (const auto& p : results) {
          if (p.low_models == points.back())
            s += fmt::format("{}{} {} ms", s.empty() ? "" : ", ", p.policy, format_spread(p.of(high_p99), 1));
        }
        return s;
      }(),
      objective_ms, overloaded_seen ? yes_no(met) : "not measured (the smoke run stops at 3)"));
  if (overloaded_seen && !met) {
    // The wait for a lane against the slowest low-priority run on the same engine, per policy.
    std::string waits;
    for (const auto& point : results) {
      if (point.low_models != points.back()) continue;
      const PriorityPoint& p = point.typical();
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
        "on the machine (the load average above), which stretches every run. At the highest load (the median run): "
        "{}. Where the queue p99 is longer than the slowest low-priority run on that lane, the wait is more than the "
        "run in progress; this report does not show what else holds the lane.\n",
        waits));
  }
  // Medians with min-max error bars.
  std::vector<LineSeries> p99, tput, tradeoff;
  for (const auto& p : results) {
    auto find = [&](std::vector<LineSeries>& v) -> LineSeries& {
      for (auto& s : v) {
        if (s.title == p.policy) return s;
      }
      v.push_back({p.policy, {}, {}});
      return v.back();
    };
    const Spread lat = p.of(high_p99), all = p.of(total_rps);
    find(p99).points.emplace_back(p.low_models, lat.median);
    find(p99).ranges.emplace_back(lat.min, lat.max);
    find(tput).points.emplace_back(p.low_models, all.median);
    find(tput).ranges.emplace_back(all.min, all.max);
    find(tradeoff).points.emplace_back(all.median, lat.median);
    find(tradeoff).ranges.emplace_back(lat.min, lat.max);
  }
  p99.push_back(
      {fmt::format("objective ({} ms)", objective_ms),
       {{static_cast<double>(points.front()), objective_ms}, {static_cast<double>(points.back()), objective_ms}},
       {}});
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
                  opt_.smoke ? ""
                             : fmt::format(" --duration {} --repeat {} --repeat-priorities {}", opt_.duration,
                                           opt_.repeat, opt_.repeat_priorities),
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
                 "seconds each measured configuration runs, about (default 8; the full suite takes ~175x)")
      ->check(CLI::Range(1.0, 600.0));
  app.add_option("--repeat", o.repeat,
                 "parts 1-3: run each configuration this many times (figures: the median, with min and max; "
                 "default 5)")
      ->check(CLI::Range(1, 20));
  app.add_option("--repeat-priorities", o.repeat_priorities, "part 4: run each point this many times (default 3)")
      ->check(CLI::Range(1, 20));
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
