// EventEngine: runs every Pipeline's event rules on one thread of its own. Model worker threads
// hand it the results of the models the rules read (observe) through one bounded queue; the
// rules thread evaluates them (PipelineRules, in media-time order) and publishes each event to
// the sink (the runtime's bus, which fans it out to every PredictionSink).
//
// Queue: `capacity` results. When full, a lossless caller (replay at max speed) waits for room;
// otherwise the oldest waiting result is dropped and counted. end_models() returns once every
// result queued before it has been evaluated, so a finished sensor's events are all out.
//
// Thread-safety: observe() and end_models() from any thread; start/stop from the control thread;
// stats() from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "runtime/prediction_sink.h"
#include "runtime/result_observer.h"
#include "runtime/rule_evaluator.h"
#include "spec/spec.h"

namespace sensix {

class EventEngine final : public ResultObserver {
 public:
  // nullptr (and ok) when no pipeline declares events. `labels` gives, per model, the labels it
  // declares (read from labelsFile where the document has one); a rule naming another label is
  // refused with the document, field and column. Events are stamped with `env`'s wall time.
  static Result<std::unique_ptr<EventEngine>> create(const DocumentSet& docs,
                                                     const std::map<std::string, std::vector<std::string>>& labels,
                                                     Env* env = Env::Default(), size_t capacity = 4096);
  // An engine without rules (a runtime whose rules may come later, through update()).
  static std::unique_ptr<EventEngine> empty(Env* env = Env::Default(), size_t capacity = 4096);
  ~EventEngine() override;

  // While running: the rules become `next`'s (made by create() for the new set of documents). The
  // pipelines named in `keep` (their rules, and what they read, unchanged) keep their running
  // state (pending windows, counts, cooldowns); every other pipeline starts afresh, and those gone
  // are dropped. Results queued before are evaluated by the rules they were queued for or dropped
  // with their pipeline. From the control thread.
  void update(std::unique_ptr<EventEngine> next, const std::set<std::string>& keep);
  bool has_rules() const;

  // The models some rule reads; the sensor graphs observe only these.
  const std::set<std::string>& observed() const { return observed_; }

  void start(PredictionSink* sink);
  void observe(ModelResult&& result, bool lossless) override;
  // Sensor `sensor` has ended: the `models` it feeds will deliver no more results from it;
  // returns once everything queued before is evaluated.
  void end_models(const std::string& sensor, const std::vector<std::string>& models);
  // Evaluates what is queued, then ends the thread. Idempotent.
  void stop();

  EventStats stats() const;

 private:
  struct EndMarker {
    std::string sensor;
    std::vector<std::string> models;
    uint64_t ticket = 0;
  };
  using Entry = std::variant<ModelResult, EndMarker>;

  EventEngine() = default;
  void loop();

  size_t capacity_ = 4096;
  std::vector<std::unique_ptr<PipelineRules>> pipelines_;
  std::vector<std::map<std::string, std::string>> sensor_of_;  // per pipeline: model -> the sensor feeding it
  std::set<std::string> observed_;
  PredictionSink* sink_ = nullptr;
  mutable std::mutex rules_mu_;  // pipelines_' state: the rules thread evaluates, stats() reads

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Entry> queue_;   // guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  uint64_t next_ticket_ = 0;  // guarded by mu_
  uint64_t done_ticket_ = 0;  // guarded by mu_: end markers handled so far
  uint64_t dropped_ = 0;      // guarded by mu_
  std::thread thread_;
};

}  // namespace sensix
