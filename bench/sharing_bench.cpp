// Feature-sharing benchmark (issue 3): K models on one sensor that share a preprocessing prefix
// (22.05 kHz speech -> resample to 16 kHz -> pre-emphasis -> 25 ms / 10 ms frames -> FFT 512 ->
// 64 mel bands -> log), each with its own window of frames (96 frames, hop 48 + k) and tensor.
// For K = 1, 2, 5, 10 it measures the transform CPU time per sensor frame with sharing on (the
// planner's normal plan: the prefix runs once) and off (every model computes its own chain), in
// the same run, on the same recording, and writes a Markdown report.
//
// CPU time is the driving thread's (CLOCK_THREAD_CPUTIME_ID) over the whole recording, the
// minimum of --repeat runs, each on a freshly built graph. Frames are read once before timing.
//
// Then the real case: the examples' voice models (Silero VAD, openWakeWord mel -> embedding ->
// hey_jarvis, alexa, hey_mycroft and the zoo's timer head) served by the runtime on the same
// recording, replayed as fast as possible (lossless), with sharing on (the normal plan) and off (each
// head its own mel and embedding models, and every model its own transform steps:
// RuntimeOptions::share = false). Process CPU (user + system, every thread, loading excluded) per
// second of audio, median, min and max of --real-runs runs of each, alternating; the predictions of
// every run are checked to be the same.
//
// Then shared engine runs: the quickstart's wake-word chain from the same recording in real time
// (looped), its embedding model batching (up to 4 inputs, waiting up to 20 ms), while a client asks
// that model for an embedding every 40 ms; with shared runs (RuntimeOptions::share_runs: a request
// rides in the engine run of the frames' inputs) and without (each task runs its own inputs).
// Process CPU per second, the embedding model's engine runs per second, the requests' latency,
// median, min and max of --shared-runs runs of each, alternating.
//
//   sensix_bench_sharing [--audio WAV] [--models 1,2,5,10] [--repeat 5] [--real-runs 5]
//                        [--shared-runs 5] [--report FILE]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/paths.h"
#include "runtime/runtime.h"
#include "runtime/sensor_graph.h"
#include "sensors/driver.h"
#include "suite/machine.h"
#include "suite/spread.h"
#include "support/lossless_run.h"
#include "support/voice_family.h"
#include "transform/plan.h"

#ifndef SENSIX_SOURCE_DIR
#error "SENSIX_SOURCE_DIR must point at the source tree (examples/)"
#endif

namespace sensix {
namespace {

class CollectingSink final : public FrameSink {
 public:
  bool push(FramePtr frame) override {
    frames.push_back(std::move(frame));
    return true;
  }
  void end_of_stream(const Status& why) override {
    std::lock_guard<std::mutex> lock(mu_);
    status = why;
    done_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }
  std::vector<FramePtr> frames;  // written by the driver thread until end_of_stream()
  Status status = Status::Ok();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

Result<std::vector<FramePtr>> read_frames(const std::string& path, SensorInfo* info) {
  SensorSpec spec;
  spec.driver = DriverKind::kAudioFile;
  spec.path = path;
  spec.replay.speed = 0;  // as fast as the sink takes them
  spec.audio.frame_ms = 20;
  SENSIX_ASSIGN_OR_RETURN(auto driver, make_sensor_driver("bench", spec));
  SENSIX_RETURN_IF_ERROR(driver->open());
  *info = driver->info();
  CollectingSink sink;
  SENSIX_RETURN_IF_ERROR(driver->start(&sink));
  sink.wait();     // the whole file
  driver->stop();  // joins the driver thread
  if (!sink.status.ok()) return sink.status;
  return std::move(sink.frames);
}

AudioInputSpec model_input(int k) {
  AudioInputSpec a;
  a.sample_rate = 16000;
  a.channels = 1;
  a.pre_emphasis = 0.97f;
  AudioFeaturesSpec f;
  f.kind = AudioFeatureKind::kLogMel;
  f.frame_length = 400;
  f.frame_hop = 160;
  f.fft_size = 512;
  f.mels = 64;
  f.f_min = 60;
  f.f_max = 7800;
  a.features = f;
  a.window = WindowSpec{96, 48 + k, Prefill::kNone, 0.0f};  // each model its own window
  return a;
}

struct Measurement {
  double cpu_us_per_frame = 0;
  int nodes = 0;                                       // plan nodes below the source
  uint64_t evaluations = 0;                            // node evaluations over the recording
  std::map<std::string, double> us_per_frame_by_kind;  // busy time per node kind, in the fastest run
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Result<Measurement> measure(const SensorInfo& info, const std::vector<FramePtr>& frames, int k_models, bool share,
                            int repeat) {
  PlanBuilder b(share);
  SourceParams src;
  src.sensor = "speech";
  src.modality = Modality::kAudio;
  src.sample_rate = info.sample_rate;
  src.channels = info.channels;
  const int source = b.add_source(src);
  for (int k = 0; k < k_models; ++k) {
    const std::string name = fmt::format("model-{}", k);
    auto leaf = b.add_audio_chain(source, model_input(k), {1, 96, 64}, DType::kFloat32, name, "bench");
    if (!leaf.ok()) return leaf.status();
  }
  Plan plan = b.finish();
  Measurement m;
  m.nodes = static_cast<int>(plan.nodes().size()) - 1;
  m.cpu_us_per_frame = 1e300;
  for (int r = 0; r < repeat; ++r) {
    SENSIX_ASSIGN_OR_RETURN(auto graph, SensorGraph::create(plan, source, {}, nullptr, SensorGraph::Options{}));
    const double t0 = thread_cpu_seconds();
    for (const auto& f : frames) graph->process_frame(f);
    const double t1 = thread_cpu_seconds();
    const double us = (t1 - t0) * 1e6 / static_cast<double>(frames.size());
    const bool fastest = us < m.cpu_us_per_frame;
    m.cpu_us_per_frame = std::min(m.cpu_us_per_frame, us);
    m.evaluations = 0;
    if (fastest) m.us_per_frame_by_kind.clear();
    for (const auto& s : graph->stats()) {
      if (s.errors > 0) return Internal(fmt::format("node {} failed {} times", s.label, s.errors));
      m.evaluations += s.items;
      if (fastest && s.kind != "source") {
        m.us_per_frame_by_kind[s.kind] += static_cast<double>(s.busy_ns) / 1e3 / static_cast<double>(frames.size());
      }
    }
  }
  return m;
}

// The real case's models: Silero VAD and the heads on openWakeWord's mel -> embedding chain.
const std::vector<std::string> kRealHeads = {"hey-jarvis", "alexa", "hey-mycroft", "timer"};

struct RealCase {
  std::vector<double> cpu_per_audio_s[2];  // [sharing off, on]: process CPU s per s of audio, each run
  std::vector<double> wall_s[2];
  bench::LosslessRun last[2];  // the last run of each, for its plan's size and predictions
  std::string difference;      // "" when every run predicted what the first did
};

Result<RealCase> measure_real_case(const std::string& audio, double audio_seconds, int runs) {
  const std::string examples = std::string(SENSIX_SOURCE_DIR) + "/examples";
  DocumentSet docs[2];
  RuntimeOptions options[2];
  for (int share = 0; share < 2; ++share) {
    SENSIX_ASSIGN_OR_RETURN(docs[share], bench::voice_documents(examples, {kRealHeads, true, share == 1}, audio));
    options[share].share = share == 1;
  }
  std::vector<std::string> compared = kRealHeads;
  compared.push_back("silero-vad");
  RealCase rc;
  std::optional<bench::LosslessRun> reference;
  auto one = [&](int share, bool counted) -> Status {
    SENSIX_ASSIGN_OR_RETURN(bench::LosslessRun r, bench::run_lossless(docs[share], options[share]));
    if (r.model_errors > 0) return Internal(fmt::format("the real case: {} model errors", r.model_errors));
    if (!reference) reference = r;
    if (rc.difference.empty()) {
      const std::string d = bench::prediction_difference(*reference, r, compared);
      if (!d.empty()) rc.difference = fmt::format("sharing {}: {}", share == 1 ? "on" : "off", d);
    }
    if (counted) {
      rc.cpu_per_audio_s[share].push_back(r.cpu_s / audio_seconds);
      rc.wall_s[share].push_back(r.wall_s);
    }
    rc.last[share] = std::move(r);
    return Status::Ok();
  };
  // A warm-up run of each (engine libraries, page cache, allocator), then the runs alternating, each
  // pair in the other order than the last, so that a drift in the machine's load hits both alike.
  SENSIX_RETURN_IF_ERROR(one(1, false));
  SENSIX_RETURN_IF_ERROR(one(0, false));
  for (int r = 0; r < runs; ++r) {
    const int first = r % 2 == 0 ? 1 : 0;
    SENSIX_RETURN_IF_ERROR(one(first, true));
    SENSIX_RETURN_IF_ERROR(one(1 - first, true));
  }
  return rc;
}

// The real case's section of the report.
std::string real_case_section(const RealCase& rc, const std::string& audio, double audio_seconds, int runs) {
  const bench::Spread on = bench::spread_of(rc.cpu_per_audio_s[1]);
  const bench::Spread off = bench::spread_of(rc.cpu_per_audio_s[0]);
  std::string counts_header;
  for (const auto& h : kRealHeads) counts_header += "/" + h;
  std::string text = fmt::format(
      "## The real case: the examples' voice models\n\n"
      "Silero VAD and openWakeWord's mel -> embedding -> hey_jarvis, alexa, hey_mycroft (examples/quickstart.yaml) "
      "and the timer intent head (examples/zoo/timer.yaml), served by the runtime on {} ({:.1f} s), replayed as fast "
      "as the models take it (lossless). Sharing on: the normal plan (one mel and one embedding model for the four "
      "heads; one resampler and the other transform steps for every model that asks for them). Sharing off: each "
      "head its own mel and embedding models, and every model its own transform steps (`RuntimeOptions::share = "
      "false`, `sensix run --no-sharing`). Process CPU (user + system, every thread; loading the models not "
      "counted) per second of audio: median (min-max) of {} run(s) of each, alternating, after one warm-up run of "
      "each.\n\n"
      "| sharing | models | plan nodes | inferences | CPU s per s of audio | wall s | predictions (silero-vad{}) |\n"
      "|---|---:|---:|---:|---:|---:|---|\n",
      audio, audio_seconds, runs, counts_header);
  for (int share = 1; share >= 0; --share) {
    const bench::LosslessRun& r = rc.last[share];
    std::string counts = fmt::format("{}", r.count("silero-vad"));
    for (const auto& h : kRealHeads) counts += fmt::format("/{}", r.count(h));
    text += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", share == 1 ? "on" : "off", r.models, r.plan_nodes,
                        r.model_runs, bench::format_spread(bench::spread_of(rc.cpu_per_audio_s[share]), 3),
                        bench::format_spread(bench::spread_of(rc.wall_s[share]), 2), counts);
  }
  text += fmt::format(
      "\nSharing off costs {:.2f}x the CPU of sharing on (the medians' ratio; {:.2f}x to {:.2f}x from the extremes). "
      "The same predictions with sharing on and off: {}.\n",
      off.median / on.median, off.min / on.max, off.max / on.min,
      rc.difference.empty() ? std::string("yes") : "NO: " + rc.difference);
  return text;
}

// Shared engine runs: requests to the embedding model beside its sensor's frames.
struct SharedRunsCase {
  // [shared runs off, on], one per run: process CPU s per s, engine runs of the embedding model
  // per s, requests' latency p50 and p99 (ms), the share of request runs that held frames.
  std::vector<double> cpu_per_s[2], engine_runs_per_s[2], p50_ms[2], p99_ms[2], shared_share[2];
  uint64_t requests[2] = {0, 0};
};

constexpr double kRequestPeriodMs = 40;  // 25 requests per second

// One run: the wake-word chain (the quickstart's hey-jarvis on openWakeWord's mel and embedding)
// from `audio` in real time, looped; a client thread asks for an embedding every 40 ms (waiting for
// each answer) for `seconds` after a one-second start.
Status shared_runs_once(const DocumentSet& docs, bool share_runs, double seconds, SharedRunsCase* out) {
  RuntimeOptions o;
  o.loop = true;
  o.speed = 1.0;
  o.share_runs = share_runs;
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<Runtime> rt, Runtime::create(docs, o));
  SENSIX_RETURN_IF_ERROR(rt->start());
  auto engine_runs = [&] {
    uint64_t n = 0;
    for (const auto& m : rt->stats().models) {
      if (m.model.name != "oww-embedding") continue;
      for (const auto& [acc, p] : m.sched.profiles) n += p.runs;
    }
    return n;
  };
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the chain running
  const uint64_t runs0 = engine_runs();
  auto before = rt->requests().stats("oww-embedding");
  if (!before.ok()) return before.status();
  const double cpu0 = bench::process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<double> latency_ms;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(0.0f, 2.0f);
  Tensor in(DType::kFloat32, {1, 76, 32, 1});
  Status failed;
  auto next = t0;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(seconds) && failed.ok()) {
    for (float& v : in.values<float>()) v = d(rng);
    const auto sent = std::chrono::steady_clock::now();
    auto r = rt->requests().infer("oww-embedding", {NamedTensor{"input_1", in}});
    if (!r.ok()) failed = r.status();
    latency_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
    next += std::chrono::microseconds(static_cast<int64_t>(kRequestPeriodMs * 1000));
    std::this_thread::sleep_until(next);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = bench::process_cpu_seconds() - cpu0;
  const uint64_t runs = engine_runs() - runs0;
  auto after = rt->requests().stats("oww-embedding");
  uint64_t errors = 0;
  for (const auto& m : rt->stats().models) errors += m.model.errors;
  rt->stop();
  SENSIX_RETURN_IF_ERROR(failed);
  if (!after.ok()) return after.status();
  if (errors > 0) return Internal(fmt::format("shared runs: {} model errors", errors));
  std::sort(latency_ms.begin(), latency_ms.end());
  const int k = share_runs ? 1 : 0;
  out->cpu_per_s[k].push_back(cpu / wall);
  out->engine_runs_per_s[k].push_back(static_cast<double>(runs) / wall);
  out->p50_ms[k].push_back(latency_ms[latency_ms.size() / 2]);
  out->p99_ms[k].push_back(latency_ms[latency_ms.size() * 99 / 100]);
  const uint64_t executions = after->executions - before->executions;
  out->shared_share[k].push_back(
      executions == 0 ? 0.0
                      : 100.0 * static_cast<double>(after->shared_executions - before->shared_executions) /
                            static_cast<double>(executions));
  out->requests[k] += latency_ms.size();
  return Status::Ok();
}

Result<SharedRunsCase> measure_shared_runs(const std::string& audio, int runs, double seconds) {
  const std::string examples = std::string(SENSIX_SOURCE_DIR) + "/examples";
  SENSIX_ASSIGN_OR_RETURN(DocumentSet docs, bench::voice_documents(examples, {{"hey-jarvis"}, false, true}, audio));
  bool found = false;
  for (ModelDoc& m : docs.models) {
    if (m.metadata.name != "oww-embedding") continue;
    m.spec.scheduling.batch = BatchSpec{4, 20'000'000};
    found = true;
  }
  if (!found) return Internal("the voice documents have no oww-embedding model");
  SharedRunsCase c;
  // Alternating, each pair in the other order than the last (a drift in the load hits both alike).
  for (int r = 0; r < runs; ++r) {
    const bool first = r % 2 == 0;
    SENSIX_RETURN_IF_ERROR(shared_runs_once(docs, first, seconds, &c));
    SENSIX_RETURN_IF_ERROR(shared_runs_once(docs, !first, seconds, &c));
  }
  return c;
}

std::string shared_runs_section(const SharedRunsCase& c, const std::string& audio, int runs, double seconds) {
  std::string text = fmt::format(
      "## Shared engine runs: requests beside a sensor's frames\n\n"
      "openWakeWord's mel -> embedding -> hey_jarvis (examples/quickstart.yaml) on {} in real time, looped; the "
      "embedding model batches (`batch: {{max: 4, delay: 20ms}}`, its 100 ms objective kept: balanced policy). A "
      "client thread in the same process asks the embedding model for an embedding of a random [1, 76, 32, 1] "
      "input every {:.0f} ms (RequestTasks::infer, waiting for each answer) for {:.0f} s, one second after the "
      "start. **Shared runs on** (the default): a request and the frames' inputs queued for the model run in one "
      "engine run (runtime/shared_runs.h). **Off** (`RuntimeOptions::share_runs = false`): the requests batch with "
      "requests, the frames with frames, each in runs of their own. Process CPU (user + system, every thread) per "
      "second of wall time, the embedding model's engine runs per second (sensor and requests together), the "
      "requests' latency (sent to answered), and the share of the request runs that also held a frame's input: "
      "median (min-max) of {} run(s) of each, alternating.\n\n"
      "| shared runs | CPU s per s | embedding engine runs per s | request p50 ms | request p99 ms | request runs "
      "shared (%) | requests |\n|---|---:|---:|---:|---:|---:|---:|\n",
      audio, kRequestPeriodMs, seconds, runs);
  for (int k = 1; k >= 0; --k) {
    const std::string side = k == 1 ? "on" : "off";
    text += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", side,
                        bench::format_spread(bench::spread_of(c.cpu_per_s[k]), 3),
                        bench::format_spread(bench::spread_of(c.engine_runs_per_s[k]), 1),
                        bench::format_spread(bench::spread_of(c.p50_ms[k]), 1),
                        bench::format_spread(bench::spread_of(c.p99_ms[k]), 1),
                        bench::format_spread(bench::spread_of(c.shared_share[k]), 0), c.requests[k]);
  }
  const bench::Spread on = bench::spread_of(c.cpu_per_s[1]), off = bench::spread_of(c.cpu_per_s[0]);
  const bench::Spread runs_on = bench::spread_of(c.engine_runs_per_s[1]),
                      runs_off = bench::spread_of(c.engine_runs_per_s[0]);
  text += fmt::format(
      "\nWithout shared runs the process used {:.2f}x the CPU (the medians' ratio; {:.2f}x to {:.2f}x from the "
      "extremes) and made {:.2f}x the embedding model's engine runs.\n",
      off.median / on.median, off.min / on.max, off.max / on.min, runs_off.median / runs_on.median);
  return text;
}

int run(int argc, char** argv) {
  CLI::App app{"sensix feature-sharing benchmark"};
  std::string audio = samples_dir() + "/demo/speech.wav";
  std::vector<int> models{1, 2, 5, 10};
  int repeat = 15;
  int real_runs = 5;
  int shared_runs = 5;
  double shared_seconds = 8;
  std::string report;
  app.add_option("--audio", audio, "recording to replay (default: the quickstart's speech)");
  app.add_option("--models", models, "numbers of models to measure")->delimiter(',');
  app.add_option("--repeat", repeat, "runs per configuration (the minimum is reported)")->check(CLI::PositiveNumber);
  app.add_option("--real-runs", real_runs,
                 "runs of the real case (the examples' voice models), sharing on and off each; 0: leave it out")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--shared-runs", shared_runs,
                 "runs of the shared engine runs case (requests beside the frames), on and off each; 0: leave it out")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--shared-seconds", shared_seconds, "seconds of requests in each run of the shared runs case")
      ->check(CLI::PositiveNumber);
  app.add_option("--report", report, "write the Markdown report to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const bench::MachineInfo machine = bench::describe_machine(SENSIX_SOURCE_DIR);
  const std::string load_at_start = bench::load_average();
  SensorInfo info;
  auto frames = read_frames(audio, &info);
  if (!frames.ok()) {
    std::fprintf(stderr, "error: %s\n", frames.status().to_string().c_str());
    return 1;
  }
  if (frames->empty()) {
    std::fprintf(stderr, "error: %s has no audio\n", audio.c_str());
    return 1;
  }
  const double seconds = static_cast<double>(frames->size()) * 0.02;
  std::string table =
      "| models | sharing on: us/frame | vs 1 model | sharing off: us/frame | vs 1 model | off / on | nodes on / off "
      "|\n"
      "|---:|---:|---:|---:|---:|---:|---:|\n";
  double base_on = 0, base_off = 0, last_ratio = 0;
  int last_k = 0;
  Measurement first_on, last_on, last_off;
  // Warm-up (page faults, FFT plans, caches, clock ramp-up) so that the first configuration
  // measured is not penalised.
  if (auto warm = measure(info, *frames, models.back(), false, 2); !warm.ok()) {
    std::fprintf(stderr, "error: %s\n", warm.status().to_string().c_str());
    return 1;
  }
  for (int k : models) {
    auto on = measure(info, *frames, k, true, repeat);
    auto off = measure(info, *frames, k, false, repeat);
    if (!on.ok() || !off.ok()) {
      std::fprintf(stderr, "error: %s\n", (on.ok() ? off.status() : on.status()).to_string().c_str());
      return 1;
    }
    if (base_on == 0) {
      base_on = on->cpu_us_per_frame;
      base_off = off->cpu_us_per_frame;
    }
    last_ratio = on->cpu_us_per_frame / base_on;
    if (last_k == 0) first_on = *on;
    last_k = k;
    last_on = *on;
    last_off = *off;
    table += fmt::format("| {} | {:.1f} | {:.2f}x | {:.1f} | {:.2f}x | {:.2f}x | {} / {} |\n", k, on->cpu_us_per_frame,
                         on->cpu_us_per_frame / base_on, off->cpu_us_per_frame, off->cpu_us_per_frame / base_off,
                         off->cpu_us_per_frame / on->cpu_us_per_frame, on->nodes, off->nodes);
  }
  const bool met = last_ratio <= 1.2;
  // Where the time goes: busy time per node kind (each node's own process() calls, timed inside the
  // graph, so the sum is a little below the thread's CPU time).
  std::string breakdown = fmt::format(
      "| step | {} model(s), sharing on: us/frame | {} models, on | {} models, off |\n"
      "|---|---:|---:|---:|\n",
      models.front(), last_k, last_k);
  for (const auto& [kind, us] : last_off.us_per_frame_by_kind) {
    auto get = [&](const Measurement& m) {
      auto it = m.us_per_frame_by_kind.find(kind);
      return it == m.us_per_frame_by_kind.end() ? 0.0 : it->second;
    };
    breakdown += fmt::format("| {} | {:.1f} | {:.1f} | {:.1f} |\n", kind, get(first_on), get(last_on), us);
  }
  std::string text = fmt::format(
      "# Feature-sharing benchmark\n\n"
      "## Synthetic: K copies of one log-mel chain\n\n"
      "K models on one sensor share a preprocessing prefix: {} ({} Hz, {} ch, {:.1f} s, {} frames of 20 ms) -> "
      "resample to 16 kHz -> pre-emphasis 0.97 -> 400/160-sample frames -> FFT 512 (Hann, power) -> 64 mel bands "
      "(60-7800 Hz) -> ln; each model then has its own window of 96 frames (hop 48 + k) and tensor. Transform CPU "
      "time of the driving thread per sensor frame, minimum of {} runs each, sharing on (the normal plan) and off "
      "(every model computes its own chain), measured in the same run.\n\n{}\n"
      "Goal: with sharing, {} models cost at most 1.2x what one costs: {:.2f}x, {}.\n\n"
      "Where the time goes (busy time of each kind of step, summed over its nodes, in the fastest run):\n\n{}",
      audio, info.sample_rate, info.channels, seconds, frames->size(), repeat, table, last_k, last_ratio,
      met ? "met" : "NOT met", breakdown);
  bool same = true;
  if (real_runs > 0) {
    auto rc = measure_real_case(audio, seconds, real_runs);
    if (!rc.ok()) {
      std::fprintf(stderr, "error: %s\n", rc.status().to_string().c_str());
      return 1;
    }
    same = rc->difference.empty();
    text += "\n" + real_case_section(*rc, audio, seconds, real_runs);
  }
  if (shared_runs > 0) {
    auto sr = measure_shared_runs(audio, shared_runs, shared_seconds);
    if (!sr.ok()) {
      std::fprintf(stderr, "error: %s\n", sr.status().to_string().c_str());
      return 1;
    }
    text += "\n" + shared_runs_section(*sr, audio, shared_runs, shared_seconds);
  }
  // Every figure is a ratio of two configurations measured alternately in this run; whatever else
  // runs on the machine slows both, and the load average says how much else there was.
  text.insert(text.find("\n\n") + 2,
              fmt::format("Machine: {} cores, {}; revision {}{}; {}. Load average at the start: {}; at the end: {} "
                          "(anything else running on the cores disturbs both sides of each comparison).\n\n",
                          machine.cores, machine.cpu_model, machine.git_revision,
                          machine.dirty ? " (with uncommitted changes)" : "", machine.date, load_at_start,
                          bench::load_average()));
  std::fputs(text.c_str(), stdout);
  if (!report.empty()) {
    std::ofstream out(report);
    out << text;
    if (!out) {
      std::fprintf(stderr, "error: cannot write the report to %s\n", report.c_str());
      return 1;
    }
  }
  return same ? 0 : 2;
}

}  // namespace
}  // namespace sensix

int main(int argc, char** argv) { return sensix::run(argc, argv); }
