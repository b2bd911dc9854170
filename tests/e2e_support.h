// Support for the end-to-end tests: they load the real examples/quickstart.yaml, point its
// sensors at real recordings and photos from the sample cache, run the real runtime as fast as
// possible on the real engines and models, and collect every prediction.
//
// Nothing is mocked: a failing model, engine or transform fails these tests.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/prediction_sink.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"
#include "spec/spec.h"
#include "support/paths.h"

namespace sensix::testing {

// The source tree's examples/quickstart.yaml, parsed (sample and model paths resolved against
// $SENSIX_CACHE). Paths (sample_path, source_path) come from support/paths.h.
Result<DocumentSet> load_quickstart();

// The quickstart's three openWakeWord heads, which all read one shared embedding.
inline const std::vector<std::string> kWakeWordHeads = {"hey-jarvis", "alexa", "hey-mycroft"};

// Keeps only the named pipelines and the sensors and models they use.
DocumentSet only_pipelines(const DocumentSet& docs, const std::vector<std::string>& names);

// Points sensor `sensor` at `path` (absolute, or relative to the sample cache).
void set_sensor_path(DocumentSet* docs, const std::string& sensor, const std::string& path);

class CollectingSink : public PredictionSink {
 public:
  void publish(const Prediction& p) override;
  void publish_event(const Event& e) override;
  std::vector<Prediction> all() const;
  std::vector<Event> events() const;

 private:
  mutable std::mutex mu_;
  std::vector<Prediction> predictions_;
  std::vector<Event> events_;
};

struct RunResult {
  std::vector<Prediction> predictions;
  std::vector<Event> events;  // from the pipelines' event rules
  RuntimeStats stats;
  // Models that produced at least one prediction carrying `label` (any score over threshold).
  std::vector<std::string> models_with_label(const std::string& label) const;
  // Predictions of one model.
  std::vector<Prediction> of_model(const std::string& model) const;
  const ModelRuntimeStats* model_stats(const std::string& model) const;
};

// Creates a runtime for `docs` at maximum replay speed without looping, runs it to the end
// (failing after `timeout`), and returns what it produced.
Result<RunResult> run_to_end(const DocumentSet& docs, std::chrono::milliseconds timeout = std::chrono::seconds(120));

// One model's or sensor's statistics in `st` (nullptr: none of that name).
const ModelRuntimeStats* model_stats_of(const RuntimeStats& st, const std::string& name);
const SensorStatsSnapshot* sensor_stats_of(const RuntimeStats& st, const std::string& name);
// The plan nodes of a model (one per sensor it reads).
std::vector<NodeStatsSnapshot> model_nodes_of(const RuntimeStats& st, const std::string& model);
// The runs of the running model's instance (0: no such model).
uint64_t model_runs(const Runtime& rt, const std::string& name);

}  // namespace sensix::testing
