#include "api/format.h"

#include <cmath>

#include <fmt/format.h>

#include "common/byte_size.h"

namespace sensix {

std::string format_media_time(int64_t ns) {
  int64_t cs = ns / 10'000'000;  // centiseconds
  int64_t minutes = cs / 6000;
  int64_t seconds = (cs / 100) % 60;
  return fmt::format("{:02}:{:02}.{:02}", minutes, seconds, cs % 100);
}

namespace {

// Each prediction kind's rendering: the text after the model's name, and its JSON fields.
std::string classification_text(const Prediction& p) {
  std::string what;
  for (size_t i = 0; i < p.labels.size(); ++i) {
    if (i) what += ", ";
    what += fmt::format("{} {:.3f}", p.labels[i].label, p.labels[i].score);
  }
  return what;
}

void classification_json(const Prediction& p, nlohmann::json& j) {
  auto& labels = j["labels"] = nlohmann::json::array();
  for (const auto& l : p.labels) labels.push_back({{"label", l.label}, {"index", l.index}, {"score", l.score}});
}

std::string detection_text(const Prediction& p) {
  std::string what;
  for (size_t i = 0; i < p.detections.size(); ++i) {
    const Detection& d = p.detections[i];
    if (i) what += ", ";
    what += fmt::format("{} {:.2f} at ({:.0f},{:.0f} {:.0f}x{:.0f})", d.label, d.score, d.x, d.y, d.w, d.h);
  }
  return what;
}

void detection_json(const Prediction& p, nlohmann::json& j) {
  auto& dets = j["detections"] = nlohmann::json::array();
  for (const auto& d : p.detections) {
    nlohmann::json dj{{"label", d.label},
                      {"index", d.class_index},
                      {"score", d.score},
                      {"box", {{"x", d.x}, {"y", d.y}, {"w", d.w}, {"h", d.h}}}};
    if (!d.keypoints.empty()) {
      auto& kps = dj["keypoints"] = nlohmann::json::array();
      for (const auto& kp : d.keypoints) kps.push_back({kp[0], kp[1]});
    }
    dets.push_back(std::move(dj));
  }
}

std::string landmarks_text(const Prediction& p) {
  std::string what = fmt::format("{} landmarks {:.2f}:", p.landmarks.size(), p.score);
  for (size_t i = 0; i < p.landmarks.size() && i < 3; ++i) {
    const Landmark& l = p.landmarks[i];
    what += fmt::format("{} {}({:.0f},{:.0f})", i ? "," : "", l.name.empty() ? "" : l.name + " ", l.x, l.y);
  }
  if (p.landmarks.size() > 3) what += ", ...";
  return what;
}

void landmarks_json(const Prediction& p, nlohmann::json& j) {
  j["score"] = p.score;
  auto& points = j["landmarks"] = nlohmann::json::array();
  for (const auto& l : p.landmarks) {
    nlohmann::json lj{{"x", l.x}, {"y", l.y}, {"z", l.z}};
    if (!l.name.empty()) lj["name"] = l.name;
    if (l.visibility) lj["visibility"] = *l.visibility;
    if (l.presence) lj["presence"] = *l.presence;
    points.push_back(std::move(lj));
  }
}

std::string text_text(const Prediction& p) { return fmt::format("\"{}\" {:.3f}", p.text, p.score); }

void text_json(const Prediction& p, nlohmann::json& j) {
  j["text"] = p.text;
  j["score"] = p.score;
}

std::string lines_text(const Prediction& p) {
  std::string what = fmt::format("{} lines:", p.segments.size());
  for (size_t i = 0; i < p.segments.size() && i < 3; ++i) {
    const Segment& g = p.segments[i];
    what += fmt::format("{} ({:.0f},{:.0f})-({:.0f},{:.0f}) {:.2f}", i ? "," : "", g.x1, g.y1, g.x2, g.y2, g.score);
  }
  if (p.segments.size() > 3) what += ", ...";
  return what;
}

void lines_json(const Prediction& p, nlohmann::json& j) {
  auto& segs = j["segments"] = nlohmann::json::array();
  for (const auto& g : p.segments) {
    segs.push_back({{"x1", g.x1}, {"y1", g.y1}, {"x2", g.x2}, {"y2", g.y2}, {"score", g.score}});
  }
}

struct KindFormat {
  const char* name;  // JSON "kind"
  std::string (*text)(const Prediction&);
  void (*json)(const Prediction&, nlohmann::json&);
};

// The one place a prediction kind is added: its JSON name and its two renderings.
KindFormat kind_format(PredictionKind kind) {
  switch (kind) {
    case PredictionKind::kClassification: return {"classification", classification_text, classification_json};
    case PredictionKind::kDetection: return {"detection", detection_text, detection_json};
    case PredictionKind::kLandmarks: return {"landmarks", landmarks_text, landmarks_json};
    case PredictionKind::kText: return {"text", text_text, text_json};
    case PredictionKind::kLines: return {"lines", lines_text, lines_json};
  }
  return {"detection", detection_text, detection_json};  // not reached: -Wswitch wants every kind above
}

}  // namespace

std::string short_source(std::string_view source) {
  if (source.find("://") != std::string_view::npos || source.starts_with("/dev/")) return std::string(source);
  const size_t slash = source.find_last_of('/');
  if (slash == std::string_view::npos || slash + 1 == source.size()) return std::string(source);
  return std::string(source.substr(slash + 1));
}

std::string prediction_to_text(const Prediction& p) {
  std::string what = kind_format(p.kind).text(p);
  if (p.crop) {  // a model fed by crops: which box of which detector
    const CropSource& c = *p.crop;
    what += fmt::format("  [in crop of {} #{} {} {:.2f}: ({:.0f},{:.0f} {:.0f}x{:.0f})]", c.model, c.detection, c.label,
                        c.score, c.x, c.y, c.w, c.h);
  }
  if (p.source && !p.source->empty()) what += "  from " + short_source(*p.source);  // last, for every kind
  return fmt::format("  {}  {:<10} {:<16} {}", format_media_time(p.media_ns), p.sensor, p.model, what);
}

nlohmann::json prediction_to_json(const Prediction& p) {
  nlohmann::json j;
  j["type"] = "prediction";
  j["time"] = static_cast<double>(p.media_ns) / 1e9;
  j["sensor"] = p.sensor;
  j["model"] = p.model;
  j["version"] = p.version;
  j["pipelines"] = p.pipelines;
  j["frame"] = p.frame_seq;
  if (p.source && !p.source->empty()) j["source"] = *p.source;
  j["latencyMs"] = std::round(static_cast<double>(p.latency_ns) / 1e4) / 100.0;
  const KindFormat f = kind_format(p.kind);
  j["kind"] = f.name;
  f.json(p, j);
  if (p.crop) {
    const CropSource& c = *p.crop;
    j["crop"] = {{"model", c.model},
                 {"detection", c.detection},
                 {"label", c.label},
                 {"score", c.score},
                 {"region", {{"x", c.x}, {"y", c.y}, {"w", c.w}, {"h", c.h}}}};
  }
  return j;
}

Result<Prediction> prediction_from_json(const nlohmann::json& j) {
  try {
    if (!j.is_object() || j.value("type", "") != "prediction") return InvalidArgument("not a prediction");
    Prediction p;
    p.media_ns = static_cast<int64_t>(std::llround(j.at("time").get<double>() * 1e9));
    p.sensor = j.at("sensor").get<std::string>();
    p.model = j.at("model").get<std::string>();
    p.version = j.value("version", "");
    p.pipelines = j.value("pipelines", std::vector<std::string>{});
    p.frame_seq = j.value("frame", uint64_t{0});
    if (j.contains("source")) p.source = std::make_shared<const std::string>(j["source"].get<std::string>());
    p.latency_ns = static_cast<int64_t>(std::llround(j.value("latencyMs", 0.0) * 1e6));
    const std::string kind = j.at("kind").get<std::string>();
    p.score = j.value("score", 0.0f);
    if (kind == "classification") {
      p.kind = PredictionKind::kClassification;
      for (const auto& l : j.at("labels")) p.labels.push_back({l.at("label"), l.value("index", 0), l.at("score")});
    } else if (kind == "detection") {
      p.kind = PredictionKind::kDetection;
      for (const auto& d : j.at("detections")) {
        Detection det;
        det.label = d.at("label");
        det.class_index = d.value("index", 0);
        det.score = d.at("score");
        const auto& b = d.at("box");
        det.x = b.at("x"), det.y = b.at("y"), det.w = b.at("w"), det.h = b.at("h");
        if (d.contains("keypoints")) {
          for (const auto& k : d["keypoints"]) det.keypoints.push_back({k.at(0).get<float>(), k.at(1).get<float>()});
        }
        p.detections.push_back(std::move(det));
      }
    } else if (kind == "landmarks") {
      p.kind = PredictionKind::kLandmarks;
      for (const auto& l : j.at("landmarks")) {
        Landmark m;
        m.name = l.value("name", "");
        m.x = l.at("x"), m.y = l.at("y"), m.z = l.value("z", 0.0f);
        if (l.contains("visibility")) m.visibility = l["visibility"].get<float>();
        if (l.contains("presence")) m.presence = l["presence"].get<float>();
        p.landmarks.push_back(std::move(m));
      }
    } else if (kind == "text") {
      p.kind = PredictionKind::kText;
      p.text = j.at("text").get<std::string>();
    } else if (kind == "lines") {
      p.kind = PredictionKind::kLines;
      for (const auto& g : j.at("segments"))
        p.segments.push_back({g.at("x1"), g.at("y1"), g.at("x2"), g.at("y2"), g.at("score")});
    } else {
      return InvalidArgument(fmt::format("unknown prediction kind \"{}\"", kind));
    }
    if (j.contains("crop")) {
      const auto& c = j["crop"];
      CropSource cs;
      cs.model = c.at("model");
      cs.detection = c.at("detection");
      cs.label = c.value("label", "");
      cs.score = c.value("score", 0.0f);
      const auto& r = c.at("region");
      cs.x = r.at("x"), cs.y = r.at("y"), cs.w = r.at("w"), cs.h = r.at("h");
      p.crop = cs;
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("not a prediction: ") + e.what());
  }
}

std::string event_to_text(const Event& e) {
  if (e.rollout) {
    return fmt::format("  {:<10} {:<16} Model/{} {} -> {} ({}): {}", "ROLLOUT", e.name, e.rollout->model,
                       e.rollout->from_version, e.rollout->to_version, e.rollout->strategy, e.rollout->reason);
  }
  std::string what;
  for (size_t i = 0; i < e.predictions.size(); ++i) {
    const EventContribution& c = e.predictions[i];
    if (i) what += ", ";
    what += fmt::format("{}{}{} {:.3f} @{}", c.model, c.label.empty() ? "" : ":", c.label, c.score,
                        format_media_time(c.media_ns));
  }
  return fmt::format("  {}  {:<10} {:<16} {}", format_media_time(e.media_ns), "EVENT", e.name, what);
}

nlohmann::json event_to_json(const Event& e) {
  nlohmann::json j;
  j["type"] = "event";
  j["event"] = e.name;
  j["pipeline"] = e.pipeline;
  j["rule"] = e.rule;
  j["time"] = static_cast<double>(e.media_ns) / 1e9;
  j["wallTime"] = std::round(static_cast<double>(e.wall_ns) / 1e6) / 1e3;  // Unix seconds, ms resolution
  auto& preds = j["predictions"] = nlohmann::json::array();
  for (const auto& c : e.predictions) {
    nlohmann::json cj{{"model", c.model}, {"sensor", c.sensor},   {"label", c.label},
                      {"score", c.score}, {"frame", c.frame_seq}, {"time", static_cast<double>(c.media_ns) / 1e9}};
    if (c.has_box) cj["box"] = {{"x", c.x}, {"y", c.y}, {"w", c.w}, {"h", c.h}};
    preds.push_back(std::move(cj));
  }
  if (e.rollout) {
    const RolloutNotice& r = *e.rollout;
    j["rollout"] = {{"model", r.model},
                    {"strategy", r.strategy},
                    {"fromVersion", r.from_version},
                    {"toVersion", r.to_version},
                    {"reason", r.reason}};
  }
  return j;
}

namespace {
double ms(double ns) { return ns / 1e6; }

nlohmann::json sched_to_json(const SchedStatsSnapshot& sc) {
  nlohmann::json batches = nlohmann::json::object();
  for (const auto& [b, n] : sc.batches) batches[std::to_string(b)] = n;
  nlohmann::json placements = nlohmann::json::object();
  for (const auto& [a, n] : sc.placements) placements[a] = n;
  nlohmann::json profiles = nlohmann::json::object();
  for (const auto& [a, p] : sc.profiles) {
    nlohmann::json means = nlohmann::json::object();
    for (const auto& [b, ns] : p.mean_by_batch) means[std::to_string(b)] = ms(static_cast<double>(ns));
    profiles[a] = {{"runs", p.runs},
                   {"p50Ms", ms(static_cast<double>(p.latency.percentile_ns(50)))},
                   {"p99Ms", ms(static_cast<double>(p.latency.percentile_ns(99)))},
                   {"meanMsByBatch", std::move(means)}};
  }
  return {{"priority", sc.priority},
          {"policy", sc.policy},
          {"objectiveMs", ms(static_cast<double>(sc.objective_ns))},
          {"queueP50Ms", ms(static_cast<double>(sc.queue.percentile_ns(50)))},
          {"queueP99Ms", ms(static_cast<double>(sc.queue.percentile_ns(99)))},
          {"queuedPeak", sc.queued_peak},
          {"queueCapacity", sc.capacity},
          {"batches", std::move(batches)},
          {"deadlineMisses", sc.deadline_misses},
          {"skipped", sc.skipped},
          {"droppedFromFullQueue", sc.dropped},
          {"sharedRuns", sc.shared_runs},
          {"admitRate", sc.admit_rate},
          {"bestRunMs", ms(static_cast<double>(sc.best_ns))},
          {"placements", std::move(placements)},
          {"profiles", std::move(profiles)}};
}
}  // namespace

std::string stats_to_text(const RuntimeStats& s) {
  std::string out;
  out += fmt::format("\nsensors ({:.1f} s)\n", static_cast<double>(s.uptime_ns) / 1e9);
  out += fmt::format("  {:<12} {:<14} {:<12} {:>8} {:>8} {:>6} {:>7} {:>7}\n", "sensor", "driver", "state", "frames",
                     "dropped", "late", "errors", "reconn");
  for (const auto& ss : s.sensors) {
    out += fmt::format("  {:<12} {:<14} {:<12} {:>8} {:>8} {:>6} {:>7} {:>7}{}\n", ss.name, ss.driver,
                       sensor_state_name(ss.state), ss.frames, ss.dropped, ss.late, ss.errors, ss.reconnects,
                       ss.reason.empty() ? "" : "  (" + ss.reason + ")");
  }
  out += "\nmodels\n";
  out += fmt::format("  {:<16} {:<12} {:<9} {:>6} {:>9} {:>9} {:>11} {:>7} {:>6} {:>6} {:>8}\n", "model", "engine",
                     "state", "runs", "mean ms", "p99 ms", "e2e p99 ms", "preds", "drops", "errors", "mem MiB");
  for (const auto& m : s.models) {
    const auto& st = m.model;
    out += fmt::format("  {:<16} {:<12} {:<9} {:>6} {:>9.3f} {:>9.3f} {:>11.1f} {:>7} {:>6} {:>6} {:>8.1f}\n", st.name,
                       st.engine, model_state_name(st.state), st.runs, ms(st.compute.mean_ns()),
                       ms(static_cast<double>(st.compute.percentile_ns(99))),
                       ms(static_cast<double>(st.end_to_end.percentile_ns(99))), st.predictions, m.dropped_frames,
                       st.errors, static_cast<double>(st.memory.resident_bytes) / (1024.0 * 1024.0));
    if (st.isolation == "process") {
      out += fmt::format("      worker: {}, {} restart{}{}\n",
                         st.worker_pid > 0 ? fmt::format("pid {}", st.worker_pid) : std::string("no process now"),
                         st.restarts, st.restarts == 1 ? "" : "s",
                         st.memory_limit_bytes > 0 ? ", memory limit " + format_bytes(st.memory_limit_bytes)
                                                   : std::string());
    }
    if (st.state == ModelState::kFailed) out += fmt::format("      failed: {}\n", st.reason);
    if (!st.last_error.empty() && st.last_error != st.reason) {
      out += fmt::format("      last error: {}\n", st.last_error);
    }
  }
  if (!s.accelerators.empty()) {
    out += fmt::format("\nscheduling (policy {})\n", s.policy);
    for (const auto& a : s.accelerators) {
      const double busy = s.uptime_ns > 0 ? 100.0 * static_cast<double>(a.busy_ns) /
                                                static_cast<double>(s.uptime_ns * std::max(1, a.threads))
                                          : 0.0;
      out += fmt::format("  accelerator {}: {} on {}, {} thread{}, {} runs, {:.0f}% busy\n", a.name, a.engine, a.device,
                         a.threads, a.threads == 1 ? "" : "s", a.runs, busy);
    }
    out += fmt::format("  {:<16} {:<6} {:<10} {:>9} {:>8} {:>8} {:>6} {:>7}  {:<14} {}\n", "model", "prio", "policy",
                       "objective", "queue ms", "e2e p99", "misses", "skipped", "batches", "placement");
    for (const auto& m : s.models) {
      const SchedStatsSnapshot& sc = m.sched;
      std::string batches, placement;
      for (const auto& [b, n] : sc.batches) batches += fmt::format("{}{}x{}", batches.empty() ? "" : " ", n, b);
      for (const auto& [a, n] : sc.placements) placement += fmt::format("{}{} {}", placement.empty() ? "" : ", ", a, n);
      out += fmt::format("  {:<16} {:<6} {:<10} {:>9} {:>8.1f} {:>8.1f} {:>6} {:>7}  {:<14} {}\n", m.model.name,
                         sc.priority, sc.policy,
                         sc.objective_ns > 0 ? fmt::format("{:.0f} ms", ms(static_cast<double>(sc.objective_ns))) : "-",
                         ms(static_cast<double>(sc.queue.percentile_ns(99))),
                         ms(static_cast<double>(m.model.end_to_end.percentile_ns(99))), sc.deadline_misses, sc.skipped,
                         batches.empty() ? "-" : batches, placement.empty() ? "-" : placement);
    }
  }
  uint64_t saved = 0;
  int64_t saved_ns = 0;
  std::string shared;
  for (const auto& n : s.nodes) {
    if (!n.shared()) continue;
    saved += n.saved_items();
    saved_ns += n.saved_ns();
    if (n.kind == "source") continue;  // listed under sensors
    shared += fmt::format("  {:>9} {:>8} {:>9.1f} {:>9.1f}  {}: {}\n", n.consumers.size(), n.items,
                          ms(static_cast<double>(n.busy_ns)), ms(static_cast<double>(n.saved_ns())), n.sensor, n.label);
  }
  if (!shared.empty()) {
    out += "\nshared steps\n";
    out += fmt::format("  {:>9} {:>8} {:>9} {:>9}  {}\n", "consumers", "runs", "busy ms", "saved ms", "step");
    out += shared;
  }
  if (!s.events.rules.empty()) {
    out += "\nevents\n";
    out += fmt::format("  {:<12} {:<20} {:>6} {:>10}  {}\n", "pipeline", "event", "fired", "suppressed", "rule");
    for (const auto& r : s.events.rules) {
      out += fmt::format("  {:<12} {:<20} {:>6} {:>10}  {}\n", r.pipeline, r.name, r.fired, r.suppressed, r.rule);
    }
    if (s.events.dropped || s.events.late || s.events.forced) {
      out += fmt::format("  results: {} dropped (queue full), {} late, {} instants forced\n", s.events.dropped,
                         s.events.late, s.events.forced);
    }
  }
  out += fmt::format(
      "\nplan: {} nodes for {} requested steps; {} transform nodes shared, {} node evaluations and {:.1f} ms saved\n",
      s.sharing.nodes, s.sharing.requested, s.sharing.shared_nodes, saved, ms(static_cast<double>(saved_ns)));
  return out;
}

nlohmann::json stats_to_json(const RuntimeStats& s) {
  nlohmann::json j;
  j["type"] = "summary";
  j["uptimeSeconds"] = static_cast<double>(s.uptime_ns) / 1e9;
  auto& sensors = j["sensors"] = nlohmann::json::array();
  for (const auto& ss : s.sensors) {
    sensors.push_back({{"name", ss.name},
                       {"driver", ss.driver},
                       {"state", sensor_state_name(ss.state)},
                       {"reason", ss.reason},
                       {"frames", ss.frames},
                       {"dropped", ss.dropped},
                       {"late", ss.late},
                       {"errors", ss.errors},
                       {"reconnects", ss.reconnects}});
  }
  auto& models = j["models"] = nlohmann::json::array();
  for (const auto& m : s.models) {
    const auto& st = m.model;
    models.push_back({{"name", st.name},
                      {"version", st.version},
                      {"engine", st.engine},
                      {"state", model_state_name(st.state)},
                      {"reason", st.reason},
                      {"loadMs", ms(static_cast<double>(st.load_ns))},
                      {"warmupRuns", st.warmup_runs},
                      {"warmupMs", ms(static_cast<double>(st.warmup_ns))},
                      {"runs", st.runs},
                      {"errors", st.errors},
                      {"predictions", st.predictions},
                      {"droppedFrames", m.dropped_frames},
                      {"computeMeanMs", ms(st.compute.mean_ns())},
                      {"computeP50Ms", ms(static_cast<double>(st.compute.percentile_ns(50)))},
                      {"computeP99Ms", ms(static_cast<double>(st.compute.percentile_ns(99)))},
                      {"endToEndP99Ms", ms(static_cast<double>(st.end_to_end.percentile_ns(99)))},
                      {"memory",
                       {{"fileBytes", st.memory.file_bytes},
                        {"residentBytes", st.memory.resident_bytes},
                        {"limitBytes", st.memory_limit_bytes}}},
                      {"isolation", st.isolation},
                      {"workerPid", st.worker_pid},
                      {"restarts", st.restarts},
                      {"lastError", st.last_error},
                      {"scheduling", sched_to_json(m.sched)}});
  }
  auto& accelerators = j["accelerators"] = nlohmann::json::array();
  for (const auto& a : s.accelerators) {
    accelerators.push_back({{"name", a.name},
                            {"engine", a.engine},
                            {"device", a.device},
                            {"threads", a.threads},
                            {"runs", a.runs},
                            {"busyMs", ms(static_cast<double>(a.busy_ns))}});
  }
  j["policy"] = s.policy;
  auto& nodes = j["nodes"] = nlohmann::json::array();
  for (const auto& n : s.nodes) {
    nodes.push_back({{"id", n.id},
                     {"sensor", n.sensor},
                     {"kind", n.kind},
                     {"label", n.label},
                     {"consumers", n.consumers},
                     {"items", n.items},
                     {"errors", n.errors},
                     {"busyMs", ms(static_cast<double>(n.busy_ns))},
                     {"shared", n.shared()},
                     {"savedRuns", n.saved_items()},
                     {"savedMs", ms(static_cast<double>(n.saved_ns()))}});
  }
  uint64_t saved = 0;
  int64_t saved_ns = 0;
  for (const auto& n : s.nodes) {
    saved += n.saved_items();
    saved_ns += n.saved_ns();
  }
  auto& events = j["events"] = nlohmann::json::array();
  for (const auto& r : s.events.rules) {
    events.push_back({{"pipeline", r.pipeline},
                      {"event", r.name},
                      {"rule", r.rule},
                      {"fired", r.fired},
                      {"suppressed", r.suppressed}});
  }
  j["eventResults"] = {{"dropped", s.events.dropped}, {"late", s.events.late}, {"forced", s.events.forced}};
  j["plan"] = {{"nodes", s.sharing.nodes},
               {"requested", s.sharing.requested},
               {"sharedNodes", s.sharing.shared_nodes},
               {"savedRuns", saved},
               {"savedMs", ms(static_cast<double>(saved_ns))}};
  return j;
}

}  // namespace sensix
