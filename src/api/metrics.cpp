#include "api/metrics.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <string_view>
#include <vector>

namespace sensix {
namespace {

using MetricLabels = std::vector<std::pair<std::string_view, std::string_view>>;

// Label values: backslash, double quote and newline escaped. HELP text: backslash and newline.
void append_escaped(std::string* out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && quote) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

std::string metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // the shortest text that reads back as v (Go's ParseFloat reads it)
}
std::string metric_value(int64_t v) { return fmt::format("{}", v); }
std::string metric_value(uint64_t v) { return fmt::format("{}", v); }
std::string metric_value(int v) { return fmt::format("{}", v); }

// Whole seconds and the fraction apart, so that a time since the epoch keeps its microseconds.
double ns_to_seconds(int64_t ns) {
  return static_cast<double>(ns / 1'000'000'000) + static_cast<double>(ns % 1'000'000'000) / 1e9;
}

// One family: its # HELP and # TYPE lines, written before its first sample (a family without
// samples writes nothing), then one line per sample.
class MetricFamily {
 public:
  MetricFamily(std::string* out, std::string_view name, std::string_view type, std::string_view help)
      : out_(out), name_(name), type_(type), help_(help) {}

  // `suffix`: _bucket, _sum, _count of a histogram's samples.
  void add(const MetricLabels& labels, std::string_view value, std::string_view suffix = {}) {
    if (!started_) {
      *out_ += fmt::format("# HELP {} ", name_);
      append_escaped(out_, help_, false);
      *out_ += fmt::format("\n# TYPE {} {}\n", name_, type_);
      started_ = true;
    }
    *out_ += name_;
    *out_ += suffix;
    if (!labels.empty()) {
      *out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) *out_ += ',';
        *out_ += labels[i].first;
        *out_ += "=\"";
        append_escaped(out_, labels[i].second, true);
        *out_ += '"';
      }
      *out_ += '}';
    }
    *out_ += ' ';
    *out_ += value;
    *out_ += '\n';
  }

 private:
  std::string* out_;
  std::string_view name_;
  std::string_view type_;
  std::string_view help_;
  bool started_ = false;
};

struct LatencyBucket {
  int64_t ns;
  std::string_view le;
};
constexpr std::array<LatencyBucket, 14> kLatencyBuckets = {{
    {500'000, "0.0005"},
    {1'000'000, "0.001"},
    {2'500'000, "0.0025"},
    {5'000'000, "0.005"},
    {10'000'000, "0.01"},
    {25'000'000, "0.025"},
    {50'000'000, "0.05"},
    {100'000'000, "0.1"},
    {250'000'000, "0.25"},
    {500'000'000, "0.5"},
    {1'000'000'000, "1"},
    {2'500'000'000, "2.5"},
    {5'000'000'000, "5"},
    {10'000'000'000, "10"},
}};

void add_histogram(MetricFamily& f, MetricLabels labels, const LatencyHistogram& h) {
  labels.emplace_back("le", "");
  for (const LatencyBucket& b : kLatencyBuckets) {
    labels.back().second = b.le;
    f.add(labels, metric_value(h.count_at_most(b.ns)), "_bucket");
  }
  labels.back().second = "+Inf";
  f.add(labels, metric_value(h.count()), "_bucket");
  labels.pop_back();
  f.add(labels, metric_value(ns_to_seconds(h.sum_ns())), "_sum");
  f.add(labels, metric_value(h.count()), "_count");
}

// Every state, for the state gauges (a new enumerator must be added here).
constexpr std::array kSensorStates = {SensorState::kPending,      SensorState::kRunning, SensorState::kDegraded,
                                      SensorState::kReconnecting, SensorState::kStopped, SensorState::kFailed};
constexpr std::array kModelStates = {ModelState::kLoading,  ModelState::kWarming,  ModelState::kReady,
                                     ModelState::kDraining, ModelState::kUnloaded, ModelState::kFailed,
                                     ModelState::kIdle};

MetricLabels model_labels(const ModelStatsSnapshot& m) {
  return {{"model", m.name}, {"version", m.version}, {"engine", m.engine}};
}

void write_sensors(std::string* out, const RuntimeStats& stats) {
  {
    MetricFamily f(out, "sensix_sensor_info", "gauge", "A sensor and its driver (always 1).");
    for (const auto& s : stats.sensors) f.add({{"sensor", s.name}, {"driver", s.driver}}, "1");
  }
  {
    MetricFamily f(out, "sensix_sensor_state", "gauge", "1 for the sensor's current state, 0 for each other state.");
    for (const auto& s : stats.sensors) {
      for (SensorState state : kSensorStates) {
        f.add({{"sensor", s.name}, {"state", sensor_state_name(state)}}, state == s.state ? "1" : "0");
      }
    }
  }
  auto counter = [&](std::string_view name, std::string_view help, auto get) {
    MetricFamily f(out, name, "counter", help);
    for (const auto& s : stats.sensors) f.add({{"sensor", s.name}}, metric_value(get(s)));
  };
  counter("sensix_sensor_frames_total", "Frames the sensor's driver published.",
          [](const SensorStatsSnapshot& s) { return s.frames; });
  counter("sensix_sensor_dropped_frames_total", "Frames dropped because the sensor graph's buffer was full.",
          [](const SensorStatsSnapshot& s) { return s.dropped; });
  counter("sensix_sensor_late_frames_total", "Frames published late (real-time replay).",
          [](const SensorStatsSnapshot& s) { return s.late; });
  counter("sensix_sensor_errors_total", "Read and decode errors and rejected messages.",
          [](const SensorStatsSnapshot& s) { return s.errors; });
  counter("sensix_sensor_reconnects_total", "Connections of a live source lost, or attempts failed (each retried).",
          [](const SensorStatsSnapshot& s) { return s.reconnects; });
  MetricFamily queued(out, "sensix_sensor_queued_frames", "gauge", "Frames of the sensor waiting now.");
  for (const auto& s : stats.sensors) queued.add({{"sensor", s.name}}, metric_value(s.queued));
}

void write_models(std::string* out, const RuntimeStats& stats) {
  {
    MetricFamily f(out, "sensix_model_state", "gauge", "1 for the model's current state, 0 for each other state.");
    for (const auto& m : stats.models) {
      for (ModelState state : kModelStates) {
        MetricLabels labels = model_labels(m.model);
        labels.emplace_back("state", model_state_name(state));
        f.add(labels, state == m.model.state ? "1" : "0");
      }
    }
  }
  auto each = [&](std::string_view name, std::string_view type, std::string_view help, auto get) {
    MetricFamily f(out, name, type, help);
    for (const auto& m : stats.models) f.add(model_labels(m.model), metric_value(get(m)));
  };
  using M = ModelRuntimeStats;
  each("sensix_model_inferences_total", "counter", "Inferences run (warm-up not counted).",
       [](const M& m) { return m.model.runs; });
  each("sensix_model_errors_total", "counter", "Failed inferences (engine errors, NaN/Inf outputs, post-processing).",
       [](const M& m) { return m.model.errors; });
  each("sensix_model_predictions_total", "counter", "Predictions reported.",
       [](const M& m) { return m.model.predictions; });
  each("sensix_model_warmup_inferences_total", "counter", "Inferences made while warming up.",
       [](const M& m) { return m.model.warmup_runs; });
  each("sensix_model_warmup_seconds_total", "counter", "Time spent in warm-up inferences.",
       [](const M& m) { return ns_to_seconds(m.model.warmup_ns); });
  each("sensix_model_load_duration_seconds", "gauge", "Time the model took to load and warm up.",
       [](const M& m) { return ns_to_seconds(m.model.load_ns); });
  each("sensix_model_resident_memory_bytes", "gauge", "Growth of the process's resident memory while the model loaded.",
       [](const M& m) { return m.model.memory.resident_bytes; });
  each("sensix_model_file_size_bytes", "gauge", "Size of the model file.",
       [](const M& m) { return m.model.memory.file_bytes; });
  each("sensix_model_worker_restarts_total", "counter", "Worker processes started again after one was lost.",
       [](const M& m) { return m.model.restarts; });
  each("sensix_model_dropped_frames_total", "counter", "Frames of the model's sensors dropped before they reached it.",
       [](const M& m) { return m.dropped_frames; });
  each("sensix_model_skipped_inputs_total", "counter",
       "Inputs the scheduler did not run: not admitted, stale, or dropped from a full queue.",
       [](const M& m) { return m.sched.skipped; });
  each("sensix_model_dropped_inputs_total", "counter", "Skipped inputs that were dropped from a full queue.",
       [](const M& m) { return m.sched.dropped; });
  each("sensix_model_deadline_misses_total", "counter", "Inputs whose run ended after capture time plus the objective.",
       [](const M& m) { return m.sched.deadline_misses; });
  each("sensix_model_queue_depth", "gauge", "Inputs waiting in the scheduler's queue now.",
       [](const M& m) { return m.sched.queued; });
  each("sensix_model_queue_peak_depth", "gauge", "The most inputs that ever waited at once.",
       [](const M& m) { return m.sched.queued_peak; });
  each("sensix_model_queue_capacity", "gauge", "The capacity of the model's scheduler queue.",
       [](const M& m) { return m.sched.capacity; });
  each("sensix_model_admitted_ratio", "gauge",
       "Share of inputs the scheduler admits now (1: all; less under overload).",
       [](const M& m) { return m.sched.admit_rate; });
  {
    MetricFamily f(out, "sensix_model_accelerator_runs_total", "counter", "Engine runs of the model per accelerator.");
    for (const auto& m : stats.models) {
      for (const auto& [accelerator, runs] : m.sched.placements) {
        MetricLabels labels = model_labels(m.model);
        labels.emplace_back("accelerator", accelerator);
        f.add(labels, metric_value(runs));
      }
    }
  }
  {
    MetricFamily f(out, "sensix_model_batches_total", "counter", "Engine runs of the model per batch size.");
    for (const auto& m : stats.models) {
      for (const auto& [size, runs] : m.sched.batches) {
        const std::string size_text = fmt::format("{}", size);
        MetricLabels labels = model_labels(m.model);
        labels.emplace_back("size", size_text);
        f.add(labels, metric_value(runs));
      }
    }
  }
  auto histogram = [&](std::string_view name, std::string_view help, auto get) {
    MetricFamily f(out, name, "histogram", help);
    for (const auto& m : stats.models) add_histogram(f, model_labels(m.model), get(m));
  };
  histogram("sensix_model_inference_duration_seconds", "Engine run time per inference.",
            [](const M& m) -> const LatencyHistogram& { return m.model.compute; });
  histogram("sensix_model_end_to_end_latency_seconds", "Frame capture to prediction (or result, for feature models).",
            [](const M& m) -> const LatencyHistogram& { return m.model.end_to_end; });
  histogram("sensix_model_queue_wait_seconds", "Time an input waited in the scheduler's queue.",
            [](const M& m) -> const LatencyHistogram& { return m.sched.queue; });
}

void write_scheduler(std::string* out, const RuntimeStats& stats) {
  if (!stats.policy.empty()) {
    MetricFamily f(out, "sensix_scheduler_info", "gauge", "The device's scheduling policy (always 1).");
    f.add({{"policy", stats.policy}}, "1");
  }
  auto each = [&](std::string_view name, std::string_view type, std::string_view help, auto get) {
    MetricFamily f(out, name, type, help);
    for (const auto& a : stats.accelerators) {
      f.add({{"accelerator", a.name}, {"engine", a.engine}, {"device", a.device}}, metric_value(get(a)));
    }
  };
  each("sensix_accelerator_runs_total", "counter", "Engine runs on the accelerator.",
       [](const AcceleratorStats& a) { return a.runs; });
  each("sensix_accelerator_busy_seconds_total", "counter", "Time the accelerator's lanes spent running, summed.",
       [](const AcceleratorStats& a) { return ns_to_seconds(a.busy_ns); });
  each("sensix_accelerator_threads", "gauge", "The accelerator's thread budget.",
       [](const AcceleratorStats& a) { return a.threads; });
}

void write_plan(std::string* out, const RuntimeStats& stats) {
  uint64_t saved = 0;
  int64_t saved_ns = 0;
  for (const auto& n : stats.nodes) {
    saved += n.saved_items();
    saved_ns += n.saved_ns();
  }
  MetricFamily(out, "sensix_plan_nodes", "gauge", "Distinct nodes of the shared sensor and transform plan.")
      .add({}, metric_value(stats.sharing.nodes));
  MetricFamily(out, "sensix_plan_requested_nodes", "gauge", "Nodes the pipelines requested in total, with repeats.")
      .add({}, metric_value(stats.sharing.requested));
  MetricFamily(out, "sensix_plan_shared_nodes", "gauge", "Sensor and transform nodes with more than one consumer.")
      .add({}, metric_value(stats.sharing.shared_nodes));
  MetricFamily(out, "sensix_plan_saved_evaluations_total", "counter",
               "Node evaluations that sharing saved (each shared node's runs times its consumers less one).")
      .add({}, metric_value(saved));
  MetricFamily(out, "sensix_plan_saved_seconds_total", "counter", "Processing time that sharing saved.")
      .add({}, metric_value(ns_to_seconds(saved_ns)));
}

void write_events(std::string* out, const EventStats& events) {
  {
    MetricFamily f(out, "sensix_event_rule_fired_total", "counter", "Events the rule published.");
    for (const auto& r : events.rules) f.add({{"pipeline", r.pipeline}, {"rule", r.name}}, metric_value(r.fired));
  }
  {
    MetricFamily f(out, "sensix_event_rule_suppressed_total", "counter",
                   "Times the rule became true within its cooldown (no event).");
    for (const auto& r : events.rules) f.add({{"pipeline", r.pipeline}, {"rule", r.name}}, metric_value(r.suppressed));
  }
  MetricFamily(out, "sensix_event_dropped_results_total", "counter",
               "Model results dropped because the event rules' queue was full.")
      .add({}, metric_value(events.dropped));
  MetricFamily(out, "sensix_event_late_results_total", "counter",
               "Model results that came after their instant had been evaluated.")
      .add({}, metric_value(events.late));
  MetricFamily(out, "sensix_event_forced_evaluations_total", "counter",
               "Instants evaluated before every model had reached them (too much held).")
      .add({}, metric_value(events.forced));
}

void write_process(std::string* out, const ProcessStats& p, int64_t uptime_ns) {
  MetricFamily(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
      .add({}, metric_value(p.cpu_seconds));
  MetricFamily(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
      .add({}, metric_value(p.rss_bytes));
  MetricFamily(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
      .add({}, metric_value(p.virtual_bytes));
  MetricFamily(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
      .add({}, metric_value(ns_to_seconds(p.start_time_unix_ns)));
  MetricFamily(out, "process_open_fds", "gauge", "Number of open file descriptors.").add({}, metric_value(p.open_fds));
  MetricFamily(out, "sensix_process_threads", "gauge", "Threads of the process.").add({}, metric_value(p.threads));
  MetricFamily(out, "sensix_uptime_seconds", "gauge", "Time since the runtime started.")
      .add({}, metric_value(ns_to_seconds(uptime_ns)));
}

void write_http(std::string* out, const HttpCounters& http) {
  {
    MetricFamily f(out, "sensix_http_requests_total", "counter", "HTTP requests answered, by route and status code.");
    for (const auto& [key, count] : http.requests) {
      const std::string code = fmt::format("{}", key.second);
      f.add({{"route", key.first}, {"code", code}}, metric_value(count));
    }
  }
  MetricFamily(out, "sensix_http_open_connections", "gauge", "HTTP connections open now.")
      .add({}, metric_value(http.open_connections));
  MetricFamily(out, "sensix_http_rejected_connections_total", "counter",
               "HTTP connections refused because the connection limit was reached.")
      .add({}, metric_value(http.rejected_connections));
  MetricFamily(out, "sensix_sse_subscribers", "gauge", "Server-Sent Events subscribers now.")
      .add({}, metric_value(http.sse_subscribers));
  MetricFamily(out, "sensix_sse_events_sent_total", "counter", "Server-Sent Events sent to subscribers.")
      .add({}, metric_value(http.sse_events_sent));
  MetricFamily(out, "sensix_sse_events_dropped_total", "counter", "Server-Sent Events lost by slow subscribers.")
      .add({}, metric_value(http.sse_events_dropped));
}

// New versions running beside their models (canary, shadow rollouts): what each did so far.
void write_rollouts(std::string* out, const RuntimeStats& stats) {
  auto labels = [](const CandidateFigures& f) {
    return MetricLabels{{"model", f.model},
                        {"version", f.version},
                        {"from_version", f.from_version},
                        {"strategy", candidate_mode_name(f.options.mode)}};  // views of f, which outlives the family
  };
  struct Counter {
    const char* name;
    const char* help;
    uint64_t CandidateFigures::*field;
  };
  for (const Counter& c :
       {Counter{"sensix_rollout_runs_total", "Inputs the new version of a rollout ran.", &CandidateFigures::runs},
        Counter{"sensix_rollout_errors_total", "Of them, failed.", &CandidateFigures::errors},
        Counter{"sensix_rollout_compared_total",
                "Of them, compared with the running version's result for the same input.", &CandidateFigures::compared},
        Counter{"sensix_rollout_disagreed_total", "Of the compared, differing from the running version's result.",
                &CandidateFigures::disagreed},
        Counter{"sensix_rollout_served_total",
                "A canary's results that went to consumers (predictions, models below, requests).",
                &CandidateFigures::served}}) {
    MetricFamily family(out, c.name, "counter", c.help);
    for (const auto& f : stats.candidates) family.add(labels(f), metric_value(f.*c.field));
  }
  MetricFamily share(out, "sensix_rollout_share", "gauge", "The share of the inputs the new version runs.");
  for (const auto& f : stats.candidates) share.add(labels(f), metric_value(f.options.share));
}

}  // namespace

std::string prometheus_text(const RuntimeStats& stats, const ProcessStats& process, const HttpCounters& http) {
  std::string out;
  write_sensors(&out, stats);
  write_models(&out, stats);
  write_scheduler(&out, stats);
  write_plan(&out, stats);
  write_events(&out, stats.events);
  write_rollouts(&out, stats);
  write_process(&out, process, stats.uptime_ns);
  write_http(&out, http);
  return out;
}

std::string prometheus_store_text(const StoreUsage& store) {
  std::string out;
  MetricFamily(&out, "sensix_model_store_files", "gauge", "Model files in the model store.")
      .add({}, metric_value(store.files));
  MetricFamily(&out, "sensix_model_store_bytes", "gauge", "Bytes of the model store's files.")
      .add({}, metric_value(store.bytes));
  MetricFamily(&out, "sensix_model_store_free_bytes", "gauge", "Free bytes on the model store's file system.")
      .add({}, metric_value(store.free_bytes));
  MetricFamily(&out, "sensix_model_store_limit_bytes", "gauge", "The model store's size limit (0: none).")
      .add({}, metric_value(store.max_bytes));
  MetricFamily(&out, "sensix_model_store_fetched_total", "counter", "Model files stored since the start.")
      .add({}, metric_value(store.fetched));
  MetricFamily(&out, "sensix_model_store_collected_total", "counter",
               "Model files removed since the start because no kept document version named them.")
      .add({}, metric_value(store.collected));
  MetricFamily(&out, "sensix_model_store_collected_bytes_total", "counter", "Bytes of the files removed so.")
      .add({}, metric_value(store.collected_bytes));
  return out;
}

std::string prometheus_inference_text(const InferenceMetrics& inference) {
  std::string out;
  using Model = InferenceMetrics::Model;
  const auto labels = [](const Model& m) -> MetricLabels { return {{"model", m.model}, {"version", m.version}}; };
  auto each = [&](std::string_view name, std::string_view type, std::string_view help, auto get) {
    MetricFamily f(&out, name, type, help);
    for (const Model& m : inference.models) f.add(labels(m), metric_value(get(m.stats)));
  };
  {
    MetricFamily f(&out, "sensix_inference_requests_total", "counter",
                   "Inference requests answered, by outcome: success (outputs) or failure (bad input, refused, "
                   "failed, timed out).");
    for (const Model& m : inference.models) {
      MetricLabels l = labels(m);
      l.emplace_back("outcome", "success");
      f.add(l, metric_value(m.stats.success.count));
      l.back().second = "failure";
      f.add(l, metric_value(m.stats.fail.count));
    }
  }
  {
    MetricFamily f(&out, "sensix_inference_request_duration_seconds_total", "counter",
                   "Time from a request's arrival to its answer, summed, by outcome.");
    for (const Model& m : inference.models) {
      MetricLabels l = labels(m);
      l.emplace_back("outcome", "success");
      f.add(l, metric_value(ns_to_seconds(m.stats.success.ns)));
      l.back().second = "failure";
      f.add(l, metric_value(ns_to_seconds(m.stats.fail.ns)));
    }
  }
  each("sensix_inference_refused_requests_total", "counter",
       "Failed requests that were refused under overload (the scheduler's, or the raw media decoding queue's) or "
       "left queued at unload.",
       [](const RequestStats& s) { return s.refused; });
  each("sensix_inference_timed_out_requests_total", "counter",
       "Failed requests without an answer within their timeout.", [](const RequestStats& s) { return s.timed_out; });
  each("sensix_inference_inferences_total", "counter", "Requests answered with outputs (Triton's inference_count).",
       [](const RequestStats& s) { return s.inferences; });
  each("sensix_inference_executions_total", "counter", "Engine runs for requests (Triton's execution_count).",
       [](const RequestStats& s) { return s.executions; });
  each("sensix_inference_shared_executions_total", "counter",
       "Engine runs for requests that held other inputs too (a sensor's, another priority class's).",
       [](const RequestStats& s) { return s.shared_executions; });
  each("sensix_inference_queue_duration_seconds_total", "counter",
       "Time requests waited for their run in the scheduler's queue, summed.",
       [](const RequestStats& s) { return ns_to_seconds(s.queue.ns); });
  {
    MetricFamily f(&out, "sensix_inference_compute_duration_seconds_total", "counter",
                   "Time of the requests' runs, summed, by phase: input (checks), infer (the engine run), output.");
    for (const Model& m : inference.models) {
      for (const auto& [phase, counts] :
           {std::pair{"input", &m.stats.compute_input}, std::pair{"infer", &m.stats.compute_infer},
            std::pair{"output", &m.stats.compute_output}}) {
        MetricLabels l = labels(m);
        l.emplace_back("phase", phase);
        f.add(l, metric_value(ns_to_seconds(counts->ns)));
      }
    }
  }
  each("sensix_inference_sequences_open", "gauge", "Request sequences of a stateful model open now.",
       [](const RequestStats& s) { return s.sequences_open; });
  each("sensix_inference_sequences_expired_total", "counter",
       "Request sequences dropped after sensix serve --sequence-idle-timeout without a request.",
       [](const RequestStats& s) { return s.sequences_expired; });
  MetricFamily(&out, "sensix_media_decoding_threads", "gauge", "Threads that decode raw media requests.")
      .add({}, metric_value(inference.media_threads));
  MetricFamily(&out, "sensix_media_waiting_requests", "gauge", "Raw media requests waiting for a decoding thread now.")
      .add({}, metric_value(inference.media_waiting));
  MetricFamily(&out, "sensix_media_refused_requests_total", "counter",
               "Raw media requests refused because sensix serve --media-queue requests were waiting.")
      .add({}, metric_value(inference.media_refused));
  return out;
}

}  // namespace sensix
