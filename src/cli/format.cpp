#include "cli/format.h"

#include <cmath>

#include <fmt/format.h>

namespace sensix {

std::string format_media_time(int64_t ns) {
  int64_t cs = ns / 10'000'000;  // centiseconds
  int64_t minutes = cs / 6000;
  int64_t seconds = (cs / 100) % 60;
  return fmt::format("{:02}:{:02}.{:02}", minutes, seconds, cs % 100);
}

std::string prediction_to_text(const Prediction& p) {
  std::string what;
  if (p.kind == PredictionKind::kClassification) {
    for (size_t i = 0; i < p.labels.size(); ++i) {
      if (i) what += ", ";
      what += fmt::format("{} {:.3f}", p.labels[i].label, p.labels[i].score);
    }
  } else {
    for (size_t i = 0; i < p.detections.size(); ++i) {
      const Detection& d = p.detections[i];
      if (i) what += ", ";
      what += fmt::format("{} {:.2f} at ({:.0f},{:.0f} {:.0f}x{:.0f})", d.label, d.score, d.x, d.y, d.w, d.h);
    }
  }
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
  j["latencyMs"] = std::round(static_cast<double>(p.latency_ns) / 1e4) / 100.0;
  if (p.kind == PredictionKind::kClassification) {
    j["kind"] = "classification";
    auto& labels = j["labels"] = nlohmann::json::array();
    for (const auto& l : p.labels) labels.push_back({{"label", l.label}, {"index", l.index}, {"score", l.score}});
  } else {
    j["kind"] = "detection";
    auto& dets = j["detections"] = nlohmann::json::array();
    for (const auto& d : p.detections) {
      nlohmann::json dj{{"label", d.label}, {"index", d.class_index}, {"score", d.score},
                        {"box", {{"x", d.x}, {"y", d.y}, {"w", d.w}, {"h", d.h}}}};
      if (!d.keypoints.empty()) {
        auto& kps = dj["keypoints"] = nlohmann::json::array();
        for (const auto& kp : d.keypoints) kps.push_back({kp[0], kp[1]});
      }
      dets.push_back(std::move(dj));
    }
  }
  return j;
}

namespace {
double ms(double ns) { return ns / 1e6; }
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
  out += fmt::format("  {:<16} {:<12} {:>6} {:>9} {:>9} {:>11} {:>7} {:>6} {:>6}\n", "model", "engine", "runs", "mean ms",
                     "p99 ms", "e2e p99 ms", "events", "drops", "errors");
  for (const auto& m : s.models) {
    const auto& st = m.model;
    out += fmt::format("  {:<16} {:<12} {:>6} {:>9.3f} {:>9.3f} {:>11.1f} {:>7} {:>6} {:>6}\n", st.name, st.engine, st.runs,
                       ms(st.compute.mean_ns()), ms(static_cast<double>(st.compute.percentile_ns(99))),
                       ms(static_cast<double>(st.end_to_end.percentile_ns(99))), st.predictions, m.dropped_frames,
                       st.errors);
    if (!st.last_error.empty()) out += fmt::format("      last error: {}\n", st.last_error);
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
                      {"runs", st.runs},
                      {"errors", st.errors},
                      {"predictions", st.predictions},
                      {"droppedFrames", m.dropped_frames},
                      {"computeMeanMs", ms(st.compute.mean_ns())},
                      {"computeP50Ms", ms(static_cast<double>(st.compute.percentile_ns(50)))},
                      {"computeP99Ms", ms(static_cast<double>(st.compute.percentile_ns(99)))},
                      {"endToEndP99Ms", ms(static_cast<double>(st.end_to_end.percentile_ns(99)))},
                      {"memory", {{"fileBytes", st.memory.file_bytes}, {"residentBytes", st.memory.resident_bytes}}},
                      {"lastError", st.last_error}});
  }
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
  j["plan"] = {{"nodes", s.sharing.nodes},
               {"requested", s.sharing.requested},
               {"sharedNodes", s.sharing.shared_nodes},
               {"savedRuns", saved},
               {"savedMs", ms(static_cast<double>(saved_ns))}};
  return j;
}

}  // namespace sensix
