#include "e2e_support.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "common/paths.h"
#include "docs/parser.h"
#include "runtime/runtime.h"

namespace sensix::testing {

Result<DocumentSet> load_quickstart() { return parse_document_files({source_path("examples/quickstart.yaml")}); }

DocumentSet only_pipelines(const DocumentSet& docs, const std::vector<std::string>& names) {
  DocumentSet out;
  std::set<std::string> sensors, models;
  for (const auto& p : docs.pipelines) {
    if (std::find(names.begin(), names.end(), p.metadata.name) == names.end()) continue;
    out.pipelines.push_back(p);
    for (const auto& step : p.spec.steps) {
      models.insert(step.model);
      if (!step.from.sensor.empty()) sensors.insert(step.from.sensor);
    }
  }
  for (const auto& s : docs.sensors) {
    if (sensors.count(s.metadata.name)) out.sensors.push_back(s);
  }
  for (const auto& m : docs.models) {
    if (models.count(m.metadata.name)) out.models.push_back(m);
  }
  out.devices = docs.devices;
  return out;
}

void set_sensor_path(DocumentSet* docs, const std::string& sensor, const std::string& path) {
  for (auto& s : docs->sensors) {
    if (s.metadata.name == sensor) {
      s.spec.path = std::filesystem::path(path).is_absolute() ? path
                                                              : (std::filesystem::path(samples_dir()) / path).string();
    }
  }
}

void CollectingSink::publish(const Prediction& p) {
  std::lock_guard lock(mu_);
  predictions_.push_back(p);
}

void CollectingSink::publish_event(const Event& e) {
  std::lock_guard lock(mu_);
  events_.push_back(e);
}

std::vector<Event> CollectingSink::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<Prediction> CollectingSink::all() const {
  std::lock_guard lock(mu_);
  return predictions_;
}

std::vector<std::string> RunResult::models_with_label(const std::string& label) const {
  std::set<std::string> models;
  for (const auto& p : predictions) {
    for (const auto& l : p.labels) {
      if (l.label == label) models.insert(p.model);
    }
    for (const auto& d : p.detections) {
      if (d.label == label) models.insert(p.model);
    }
  }
  return {models.begin(), models.end()};
}

std::vector<Prediction> RunResult::of_model(const std::string& model) const {
  std::vector<Prediction> out;
  for (const auto& p : predictions) {
    if (p.model == model) out.push_back(p);
  }
  return out;
}

const ModelRuntimeStats* RunResult::model_stats(const std::string& model) const {
  for (const auto& m : stats.models) {
    if (m.model.name == model) return &m;
  }
  return nullptr;
}

Result<RunResult> run_to_end(const DocumentSet& docs, std::chrono::milliseconds timeout) {
  RuntimeOptions options;
  options.speed = 0.0;
  options.loop = false;
  SENSIX_ASSIGN_OR_RETURN(auto runtime, Runtime::create(docs, options));
  auto sink = std::make_shared<CollectingSink>();
  runtime->add_sink(sink);
  SENSIX_RETURN_IF_ERROR(runtime->start());
  const bool finished = runtime->wait(timeout);
  runtime->stop();
  if (!finished) {
    return Unavailable(fmt::format("the runtime did not finish within {} ms", timeout.count()));
  }
  RunResult result;
  result.predictions = sink->all();
  result.events = sink->events();
  result.stats = runtime->stats();
  return result;
}

const ModelRuntimeStats* model_stats_of(const RuntimeStats& st, const std::string& name) {
  for (const auto& m : st.models) {
    if (m.model.name == name) return &m;
  }
  return nullptr;
}

const SensorStatsSnapshot* sensor_stats_of(const RuntimeStats& st, const std::string& name) {
  for (const auto& s : st.sensors) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<NodeStatsSnapshot> model_nodes_of(const RuntimeStats& st, const std::string& model) {
  std::vector<NodeStatsSnapshot> out;
  for (const auto& n : st.nodes) {
    if (n.model == model) out.push_back(n);
  }
  return out;
}

uint64_t model_runs(const Runtime& rt, const std::string& name) {
  const RuntimeStats stats = rt.stats();
  const auto* m = model_stats_of(stats, name);
  return m ? m->model.runs : 0;
}

}  // namespace sensix::testing
