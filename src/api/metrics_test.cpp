#include "api/metrics.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace sensix {
namespace {

constexpr const char* kOddSensor = "cam\"1\\back";  // cam"1\back: a quote and a backslash

RuntimeStats sample_stats() {
  RuntimeStats s;
  SensorStatsSnapshot mic;
  mic.name = "mic";
  mic.driver = "pulse";
  mic.state = SensorState::kRunning;
  mic.frames = 100;
  mic.dropped = 3;
  mic.late = 1;
  mic.errors = 2;
  mic.reconnects = 0;
  mic.queued = 4;
  s.sensors.push_back(mic);
  SensorStatsSnapshot cam;
  cam.name = kOddSensor;
  cam.driver = "rtsp";
  cam.state = SensorState::kReconnecting;
  cam.frames = 7;
  cam.reconnects = 5;
  s.sensors.push_back(cam);

  ModelRuntimeStats yamnet;
  yamnet.model.name = "yamnet";
  yamnet.model.version = "1.0";
  yamnet.model.engine = "onnxruntime";
  yamnet.model.state = ModelState::kReady;
  yamnet.model.runs = 10;
  yamnet.model.errors = 1;
  yamnet.model.predictions = 7;
  yamnet.model.warmup_runs = 2;
  yamnet.model.warmup_ns = 30'000'000;
  yamnet.model.load_ns = 500'000'000;
  yamnet.model.memory.resident_bytes = 12'345'678;
  yamnet.model.memory.file_bytes = 4'000'000;
  // 0.3 ms, 0.7 ms, 2 ms, 3 ms, 40 ms: each far from a bucket edge.
  for (int64_t us : {300, 700, 2000, 3000, 40000}) yamnet.model.compute.record(us * 1000);
  yamnet.dropped_frames = 6;
  yamnet.sched.skipped = 9;
  yamnet.sched.dropped = 4;
  yamnet.sched.deadline_misses = 2;
  yamnet.sched.queued = 1;
  yamnet.sched.queued_peak = 5;
  yamnet.sched.capacity = 8;
  yamnet.sched.admit_rate = 0.75;
  yamnet.sched.placements["cpu"] = 10;
  yamnet.sched.batches[1] = 6;
  yamnet.sched.batches[2] = 2;
  s.models.push_back(yamnet);

  ModelRuntimeStats detector;
  detector.model.name = "detector";
  detector.model.version = "2";
  detector.model.engine = "tflite";
  detector.model.state = ModelState::kFailed;
  for (int i = 0; i < 100; ++i) detector.model.end_to_end.record(int64_t{1'000'000} * (i + 1));  // 1..100 ms
  detector.sched.queue.record(200'000);
  detector.sched.queue.record(3'000'000'000);
  detector.sched.capacity = 4;
  s.models.push_back(detector);

  s.accelerators.push_back({"cpu", "onnxruntime", "cpu", 4, 20, 1'500'000'000});
  s.policy = "balanced";
  s.sharing = {7, 10, 2};
  NodeStatsSnapshot mel;
  mel.kind = "mel";
  mel.consumers = {"a", "b", "c"};
  mel.items = 50;
  mel.busy_ns = 1'000'000;
  s.nodes.push_back(mel);
  NodeStatsSnapshot model_node;
  model_node.kind = "model";
  model_node.consumers = {"a", "b"};
  model_node.items = 1000;
  s.nodes.push_back(model_node);
  s.uptime_ns = 90'500'000'000;
  s.events.rules.push_back({"door", "open\nclose", "x > 1", 3, 1});
  s.events.dropped = 2;
  s.events.late = 1;
  return s;
}

ProcessStats sample_process() {
  ProcessStats p;
  p.cpu_seconds = 12.5;
  p.rss_bytes = 1'048'576;
  p.virtual_bytes = 2'000'000'000;
  p.start_time_unix_ns = 1'700'000'000'250'000'000;
  p.open_fds = 17;
  p.threads = 9;
  return p;
}

HttpCounters sample_http() {
  HttpCounters h;
  h.requests[{"GET /v1/stats", 200}] = 5;
  h.requests[{"POST /v1/apply", 400}] = 2;
  h.open_connections = 3;
  h.rejected_connections = 1;
  h.sse_subscribers = 2;
  h.sse_events_sent = 100;
  h.sse_events_dropped = 4;
  return h;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The value of the sample `series` (name and labels exactly as written), or "" when absent.
std::string value_of(const std::string& text, const std::string& series) {
  for (const std::string& line : lines_of(text)) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return line.substr(series.size() + 1);
    }
  }
  return "";
}

const std::string kYamnet = R"(model="yamnet",version="1.0",engine="onnxruntime")";
const std::string kDetector = R"(model="detector",version="2",engine="tflite")";

TEST(PrometheusText, SensorLines) {
  const std::string text = prometheus_text(sample_stats(), sample_process(), sample_http());
  EXPECT_EQ(value_of(text, R"(sensix_sensor_frames_total{sensor="mic"})"), "100");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_dropped_frames_total{sensor="mic"})"), "3");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_late_frames_total{sensor="mic"})"), "1");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_errors_total{sensor="mic"})"), "2");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_reconnects_total{sensor="mic"})"), "0");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_queued_frames{sensor="mic"})"), "4");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_info{sensor="mic",driver="pulse"})"), "1");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_state{sensor="mic",state="running"})"), "1");
  for (const char* other : {"pending", "degraded", "reconnecting", "stopped", "failed"}) {
    EXPECT_EQ(value_of(text, fmt::format(R"(sensix_sensor_state{{sensor="mic",state="{}"}})", other)), "0") << other;
  }
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  const std::string text = prometheus_text(sample_stats(), sample_process(), sample_http());
  // cam"1\back -> "cam\"1\\back"
  EXPECT_EQ(value_of(text, R"(sensix_sensor_reconnects_total{sensor="cam\"1\\back"})"), "5");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_state{sensor="cam\"1\\back",state="reconnecting"})"), "1");
  EXPECT_EQ(value_of(text, R"(sensix_sensor_state{sensor="cam\"1\\back",state="running"})"), "0");
  // a newline -> \n
  EXPECT_EQ(value_of(text, R"(sensix_event_rule_fired_total{pipeline="door",rule="open\nclose"})"), "3");
  EXPECT_EQ(text.find(kOddSensor), std::string::npos) << "the raw value must not appear";
  EXPECT_EQ(text.find("open\nclose"), std::string::npos);
}

TEST(PrometheusText, ModelLines) {
  const std::string text = prometheus_text(sample_stats(), sample_process(), sample_http());
  auto v = [&](const std::string& name, const std::string& extra = "") {
    return value_of(text, name + "{" + kYamnet + extra + "}");
  };
  EXPECT_EQ(v("sensix_model_inferences_total"), "10");
  EXPECT_EQ(v("sensix_model_errors_total"), "1");
  EXPECT_EQ(v("sensix_model_predictions_total"), "7");
  EXPECT_EQ(v("sensix_model_warmup_inferences_total"), "2");
  EXPECT_EQ(v("sensix_model_warmup_seconds_total"), "0.03");
  EXPECT_EQ(v("sensix_model_load_duration_seconds"), "0.5");
  EXPECT_EQ(v("sensix_model_resident_memory_bytes"), "12345678");
  EXPECT_EQ(v("sensix_model_file_size_bytes"), "4000000");
  EXPECT_EQ(v("sensix_model_dropped_frames_total"), "6");
  EXPECT_EQ(v("sensix_model_skipped_inputs_total"), "9");
  EXPECT_EQ(v("sensix_model_dropped_inputs_total"), "4");
  EXPECT_EQ(v("sensix_model_deadline_misses_total"), "2");
  EXPECT_EQ(v("sensix_model_queue_depth"), "1");
  EXPECT_EQ(v("sensix_model_queue_peak_depth"), "5");
  EXPECT_EQ(v("sensix_model_queue_capacity"), "8");
  EXPECT_EQ(v("sensix_model_admitted_ratio"), "0.75");
  EXPECT_EQ(v("sensix_model_accelerator_runs_total", R"(,accelerator="cpu")"), "10");
  EXPECT_EQ(v("sensix_model_batches_total", R"(,size="2")"), "2");
  EXPECT_EQ(v("sensix_model_state", R"(,state="ready")"), "1");
  EXPECT_EQ(v("sensix_model_state", R"(,state="failed")"), "0");
  EXPECT_EQ(value_of(text, "sensix_model_state{" + kDetector + R"(,state="failed"})"), "1");
  EXPECT_EQ(value_of(text, "sensix_model_queue_capacity{" + kDetector + "}"), "4");
}

TEST(PrometheusText, RolloutLines) {
  RuntimeStats stats = sample_stats();
  CandidateFigures f;
  f.model = "yamnet";
  f.version = "2";
  f.from_version = "1";
  f.options.mode = CandidateMode::kCanary;
  f.options.share = 0.25;
  f.runs = 40;
  f.errors = 1;
  f.compared = 39;
  f.disagreed = 2;
  f.served = 39;
  stats.candidates.push_back(f);
  const std::string text = prometheus_text(stats, sample_process(), sample_http());
  const std::string labels = R"({model="yamnet",version="2",from_version="1",strategy="canary"})";
  EXPECT_EQ(value_of(text, "sensix_rollout_runs_total" + labels), "40");
  EXPECT_EQ(value_of(text, "sensix_rollout_errors_total" + labels), "1");
  EXPECT_EQ(value_of(text, "sensix_rollout_compared_total" + labels), "39");
  EXPECT_EQ(value_of(text, "sensix_rollout_disagreed_total" + labels), "2");
  EXPECT_EQ(value_of(text, "sensix_rollout_served_total" + labels), "39");
  EXPECT_EQ(value_of(text, "sensix_rollout_share" + labels), "0.25");
  // Without a rollout in progress, no rollout family at all.
  EXPECT_EQ(prometheus_text(sample_stats(), sample_process(), sample_http()).find("sensix_rollout_"),
            std::string::npos);
}

TEST(PrometheusText, HistogramBuckets) {
  const std::string text = prometheus_text(sample_stats(), sample_process(), sample_http());
  const std::string h = "sensix_model_inference_duration_seconds";
  auto bucket = [&](const std::string& model, const std::string& name, const std::string& le) {
    return value_of(text, name + "_bucket{" + model + ",le=\"" + le + "\"}");
  };
  // 0.3 ms, 0.7 ms, 2 ms, 3 ms, 40 ms
  EXPECT_EQ(bucket(kYamnet, h, "0.0005"), "1");
  EXPECT_EQ(bucket(kYamnet, h, "0.001"), "2");
  EXPECT_EQ(bucket(kYamnet, h, "0.0025"), "3");
  EXPECT_EQ(bucket(kYamnet, h, "0.005"), "4");
  EXPECT_EQ(bucket(kYamnet, h, "0.025"), "4");
  EXPECT_EQ(bucket(kYamnet, h, "0.05"), "5");
  EXPECT_EQ(bucket(kYamnet, h, "10"), "5");
  EXPECT_EQ(bucket(kYamnet, h, "+Inf"), "5");
  EXPECT_EQ(value_of(text, h + "_sum{" + kYamnet + "}"), "0.046");
  EXPECT_EQ(value_of(text, h + "_count{" + kYamnet + "}"), "5");
  // the detector ran nothing: every bucket 0
  EXPECT_EQ(bucket(kDetector, h, "+Inf"), "0");
  EXPECT_EQ(value_of(text, h + "_sum{" + kDetector + "}"), "0");

  // 1..100 ms end to end: 1 + 2 + ... + 100 ms = 5.05 s
  const std::string e2e = "sensix_model_end_to_end_latency_seconds";
  EXPECT_EQ(bucket(kDetector, e2e, "0.001"), "1");
  // 10 ms itself lies in the histogram bucket [9.96, 10.49] ms, whose middle is above 0.01: it counts
  // from the next `le` on (metrics.h); 50 ms lies in [48.2, 50.3] ms, whose middle is below 0.05.
  EXPECT_EQ(bucket(kDetector, e2e, "0.01"), "9");
  EXPECT_EQ(bucket(kDetector, e2e, "0.025"), "25");
  EXPECT_EQ(bucket(kDetector, e2e, "0.05"), "50");
  EXPECT_EQ(bucket(kDetector, e2e, "0.1"), "100");
  EXPECT_EQ(bucket(kDetector, e2e, "+Inf"), "100");
  EXPECT_EQ(value_of(text, e2e + "_sum{" + kDetector + "}"), "5.05");
  // 0.2 ms and 3 s in the queue
  const std::string queue = "sensix_model_queue_wait_seconds";
  EXPECT_EQ(bucket(kDetector, queue, "0.0005"), "1");
  EXPECT_EQ(bucket(kDetector, queue, "2.5"), "1");
  EXPECT_EQ(bucket(kDetector, queue, "5"), "2");
  EXPECT_EQ(value_of(text, queue + "_sum{" + kDetector + "}"), "3.0002");
  EXPECT_EQ(value_of(text, queue + "_count{" + kDetector + "}"), "2");
}

// Every histogram series: le ascending, counts cumulative, +Inf last and equal to _count.
TEST(PrometheusText, HistogramsAreCumulative) {
  const std::string text = prometheus_text(sample_stats(), sample_process(), sample_http());
  const std::regex bucket_re(R"re(^(\w+)_bucket\{(.*),le="([^"]+)"\} (\S+)$)re");
  struct Series {
    std::vector<std::pair<double, double>> buckets;  // (le, count)
  };
  std::map<std::string, Series> series;
  for (const std::string& line : lines_of(text)) {
    std::smatch m;
    if (!std::regex_match(line, m, bucket_re)) continue;
    const double le = m[3] == "+Inf" ? INFINITY : std::stod(m[3]);
    series[m[1].str() + "{" + m[2].str() + "}"].buckets.emplace_back(le, std::stod(m[4]));
  }
  ASSERT_EQ(series.size(), 6u) << "three histograms for each of two models";
  for (const auto& [key, s] : series) {
    ASSERT_EQ(s.buckets.size(), 15u) << key;
    for (size_t i = 1; i < s.buckets.size(); ++i) {
      EXPECT_LT(s.buckets[i - 1].first, s.buckets[i].first) << key;
      EXPECT_LE(s.buckets[i - 1].second, s.buckets[i].second) << key;
    }
    EXPECT_EQ(s.buckets.back().first, INFINITY) << key;
    const std::string count_series = key.substr(0, key.find('{')) + "_count" + key.substr(key.find('{'));
    EXPECT_EQ(std::stod(value_of(text, count_series)), s.buckets.back().second) << key;
  }
}

TEST(PrometheusText, SchedulerPlanEventsProcessAndHttp) {
  const std::string text = prometheus_text(sample_stats(), sample_process(), sample_http());
  const std::string cpu = R"({accelerator="cpu",engine="onnxruntime",device="cpu"})";
  EXPECT_EQ(value_of(text, "sensix_accelerator_runs_total" + cpu), "20");
  EXPECT_EQ(value_of(text, "sensix_accelerator_busy_seconds_total" + cpu), "1.5");
  EXPECT_EQ(value_of(text, "sensix_accelerator_threads" + cpu), "4");
  EXPECT_EQ(value_of(text, R"(sensix_scheduler_info{policy="balanced"})"), "1");
  EXPECT_EQ(value_of(text, "sensix_plan_nodes"), "7");
  EXPECT_EQ(value_of(text, "sensix_plan_requested_nodes"), "10");
  EXPECT_EQ(value_of(text, "sensix_plan_shared_nodes"), "2");
  EXPECT_EQ(value_of(text, "sensix_plan_saved_evaluations_total"), "100");  // (3 - 1) x 50; models are not shared
  EXPECT_EQ(value_of(text, "sensix_plan_saved_seconds_total"), "0.002");
  EXPECT_EQ(value_of(text, R"(sensix_event_rule_suppressed_total{pipeline="door",rule="open\nclose"})"), "1");
  EXPECT_EQ(value_of(text, "sensix_event_dropped_results_total"), "2");
  EXPECT_EQ(value_of(text, "sensix_event_late_results_total"), "1");
  EXPECT_EQ(value_of(text, "sensix_event_forced_evaluations_total"), "0");
  EXPECT_EQ(value_of(text, "process_cpu_seconds_total"), "12.5");
  EXPECT_EQ(value_of(text, "process_resident_memory_bytes"), "1048576");
  EXPECT_EQ(value_of(text, "process_virtual_memory_bytes"), "2000000000");
  EXPECT_EQ(value_of(text, "process_start_time_seconds"), "1700000000.25");
  EXPECT_EQ(value_of(text, "process_open_fds"), "17");
  EXPECT_EQ(value_of(text, "sensix_process_threads"), "9");
  EXPECT_EQ(value_of(text, "sensix_uptime_seconds"), "90.5");
  EXPECT_EQ(value_of(text, R"(sensix_http_requests_total{route="GET /v1/stats",code="200"})"), "5");
  EXPECT_EQ(value_of(text, R"(sensix_http_requests_total{route="POST /v1/apply",code="400"})"), "2");
  EXPECT_EQ(value_of(text, "sensix_http_open_connections"), "3");
  EXPECT_EQ(value_of(text, "sensix_http_rejected_connections_total"), "1");
  EXPECT_EQ(value_of(text, "sensix_sse_subscribers"), "2");
  EXPECT_EQ(value_of(text, "sensix_sse_events_sent_total"), "100");
  EXPECT_EQ(value_of(text, "sensix_sse_events_dropped_total"), "4");
}

// One HELP and one TYPE per family, HELP first, then only that family's samples; counters end in
// _total and nothing else does; names are sensix_ or the standard process_ ones.
TEST(PrometheusText, FamiliesAreWellFormed) {
  const std::string text = prometheus_text(sample_stats(), sample_process(), sample_http());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::regex help_re(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$)");
  const std::regex type_re(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  const std::regex sample_re(
      R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="(?:[^"\\\n]|\\["\\n])*"(?:,[a-z_]+="(?:[^"\\\n]|\\["\\n])*")*\})? (\S+)$)re");
  std::set<std::string> seen;
  std::string family, type, helped;
  int samples = 0;
  for (const std::string& line : lines_of(text)) {
    std::smatch m;
    if (std::regex_match(line, m, help_re)) {
      EXPECT_TRUE(seen.insert(m[1]).second) << "repeated family " << m[1];
      helped = m[1];
      family.clear();
    } else if (std::regex_match(line, m, type_re)) {
      EXPECT_EQ(m[1], helped) << "TYPE without its HELP just before: " << line;
      family = m[1];
      type = m[2];
      EXPECT_TRUE(family.starts_with("sensix_") || family.starts_with("process_")) << family;
      EXPECT_EQ(type == "counter", family.ends_with("_total")) << family;
    } else if (std::regex_match(line, m, sample_re)) {
      ++samples;
      std::string name = m[1];
      if (type == "histogram") {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          if (name.ends_with(suffix)) name.resize(name.size() - std::string_view(suffix).size());
        }
      }
      EXPECT_EQ(name, family) << "sample outside its family: " << line;
      EXPECT_NO_THROW((void)std::stod(m[3])) << line;
    } else {
      ADD_FAILURE() << "malformed line: " << line;
    }
  }
  EXPECT_GT(samples, 100);
  for (const char* f : {"sensix_sensor_state", "sensix_model_inference_duration_seconds",
                        "sensix_model_end_to_end_latency_seconds", "sensix_model_queue_wait_seconds",
                        "sensix_accelerator_busy_seconds_total", "sensix_plan_saved_evaluations_total",
                        "sensix_event_rule_fired_total", "process_cpu_seconds_total", "sensix_http_requests_total"}) {
    EXPECT_TRUE(seen.count(f)) << f;
  }
}

TEST(PrometheusText, EmptyFamiliesAreLeftOut) {
  const std::string text = prometheus_text(RuntimeStats{}, ProcessStats{}, HttpCounters{});
  EXPECT_EQ(text.find("sensix_sensor_"), std::string::npos);
  EXPECT_EQ(text.find("sensix_model_"), std::string::npos);
  EXPECT_EQ(text.find("sensix_http_requests_total"), std::string::npos);
  EXPECT_EQ(value_of(text, "sensix_http_open_connections"), "0");
  EXPECT_EQ(value_of(text, "process_open_fds"), "0");
}

// promtool (Debian's prometheus package) must be installed: the format and the naming lint are
// checked by Prometheus's own parser, not by what this test believes them to be.
void expect_promtool_accepts(const std::string& text) {
  ASSERT_TRUE(testing::have_program("promtool")) << "promtool is missing: apt-get install prometheus";
  testing::TempDir dir;
  const std::string input = dir.file("metrics.txt");
  const std::string log = dir.file("promtool.log");
  {
    std::ofstream out(input, std::ios::binary);
    out << text;
    ASSERT_TRUE(out.good());
  }
  testing::ChildProcess promtool;
  ASSERT_TRUE(promtool.start({"/bin/sh", "-c", "exec promtool check metrics < \"$0\"", input}, log));
  const int code = promtool.wait(std::chrono::seconds(60));
  const std::string said = testing::read_text(log);
  EXPECT_EQ(code, 0) << said << "\n--- input:\n" << text;
  EXPECT_EQ(said, "") << "promtool warned:\n" << said;
}

TEST(PrometheusText, PromtoolAcceptsIt) {
  expect_promtool_accepts(prometheus_text(sample_stats(), sample_process(), sample_http()));
}

TEST(PrometheusText, PromtoolAcceptsTheEmptyRuntime) {
  expect_promtool_accepts(prometheus_text(RuntimeStats{}, ProcessStats{}, HttpCounters{}));
}

InferenceMetrics sample_inference() {
  InferenceMetrics m;
  RequestStats s;
  s.success = {.count = 40, .ns = 2'000'000'000};
  s.fail = {.count = 3, .ns = 500'000'000};
  s.refused = 2;
  s.timed_out = 1;
  s.inferences = 40;
  s.executions = 25;
  s.shared_executions = 5;
  s.queue = {.count = 40, .ns = 100'000'000};
  s.compute_input = {.count = 40, .ns = 4'000'000};
  s.compute_infer = {.count = 25, .ns = 1'500'000'000};
  s.compute_output = {.count = 25, .ns = 2'000'000};
  s.sequences_open = 1;
  s.sequences_expired = 4;
  m.models.push_back({"embedding", "1", s});
  m.models.push_back({"blazeface", "1.2.0", RequestStats{}});
  m.media_threads = 2;
  m.media_waiting = 3;
  m.media_refused = 7;
  return m;
}

TEST(PrometheusText, InferenceRequestsPerModelAndTheMediaQueue) {
  const std::string text = prometheus_inference_text(sample_inference());
  const std::string e = R"(model="embedding",version="1")";
  EXPECT_EQ(value_of(text, "sensix_inference_requests_total{" + e + R"(,outcome="success"})"), "40");
  EXPECT_EQ(value_of(text, "sensix_inference_requests_total{" + e + R"(,outcome="failure"})"), "3");
  EXPECT_EQ(value_of(text, "sensix_inference_request_duration_seconds_total{" + e + R"(,outcome="success"})"), "2");
  EXPECT_EQ(value_of(text, "sensix_inference_request_duration_seconds_total{" + e + R"(,outcome="failure"})"), "0.5");
  EXPECT_EQ(value_of(text, "sensix_inference_refused_requests_total{" + e + "}"), "2");
  EXPECT_EQ(value_of(text, "sensix_inference_timed_out_requests_total{" + e + "}"), "1");
  EXPECT_EQ(value_of(text, "sensix_inference_inferences_total{" + e + "}"), "40");
  EXPECT_EQ(value_of(text, "sensix_inference_executions_total{" + e + "}"), "25");
  EXPECT_EQ(value_of(text, "sensix_inference_shared_executions_total{" + e + "}"), "5");
  EXPECT_EQ(value_of(text, "sensix_inference_queue_duration_seconds_total{" + e + "}"), "0.1");
  EXPECT_EQ(value_of(text, "sensix_inference_compute_duration_seconds_total{" + e + R"(,phase="input"})"), "0.004");
  EXPECT_EQ(value_of(text, "sensix_inference_compute_duration_seconds_total{" + e + R"(,phase="infer"})"), "1.5");
  EXPECT_EQ(value_of(text, "sensix_inference_compute_duration_seconds_total{" + e + R"(,phase="output"})"), "0.002");
  EXPECT_EQ(value_of(text, "sensix_inference_sequences_open{" + e + "}"), "1");
  EXPECT_EQ(value_of(text, "sensix_inference_sequences_expired_total{" + e + "}"), "4");
  EXPECT_EQ(value_of(text, R"(sensix_inference_requests_total{model="blazeface",version="1.2.0",outcome="success"})"),
            "0");
  EXPECT_EQ(value_of(text, "sensix_media_decoding_threads"), "2");
  EXPECT_EQ(value_of(text, "sensix_media_waiting_requests"), "3");
  EXPECT_EQ(value_of(text, "sensix_media_refused_requests_total"), "7");
}

TEST(PrometheusText, PromtoolAcceptsTheInferenceText) {
  expect_promtool_accepts(prometheus_inference_text(sample_inference()));
  expect_promtool_accepts(prometheus_inference_text(InferenceMetrics{}));
  // With the other families, as /metrics serves them: no family twice.
  expect_promtool_accepts(prometheus_text(sample_stats(), sample_process(), sample_http()) +
                          prometheus_inference_text(sample_inference()));
}

// The check itself catches problems: a counter without _total, and a family written twice.
TEST(PrometheusText, PromtoolCatchesBadText) {
  ASSERT_TRUE(testing::have_program("promtool")) << "promtool is missing: apt-get install prometheus";
  for (const std::string& bad : {std::string("# HELP x_things x\n# TYPE x_things counter\nx_things 1\n"),
                                 std::string("# HELP a_total a\n# TYPE a_total counter\na_total 1\n"
                                             "# HELP a_total a\n# TYPE a_total counter\na_total 2\n")}) {
    testing::TempDir dir;
    {
      std::ofstream out(dir.file("m.txt"));
      out << bad;
    }
    testing::ChildProcess promtool;
    ASSERT_TRUE(
        promtool.start({"/bin/sh", "-c", "exec promtool check metrics < \"$0\"", dir.file("m.txt")}, dir.file("log")));
    EXPECT_NE(promtool.wait(std::chrono::seconds(60)), 0) << bad;
  }
}

}  // namespace
}  // namespace sensix
