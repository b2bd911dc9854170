// Snapshots of the runtime's statistics, taken at any time from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/model_instance.h"
#include "runtime/candidate.h"
#include "runtime/event.h"
#include "sched/scheduler.h"
#include "sensors/driver.h"
#include "transform/plan.h"

namespace sensix {

struct SensorStatsSnapshot {
  std::string name;
  std::string driver;
  SensorState state = SensorState::kPending;
  std::string reason;
  SensorInfo info;
  uint64_t frames = 0;      // frames the driver published
  uint64_t dropped = 0;     // frames dropped because the graph's buffer was full
  uint64_t late = 0;        // frames published late (real-time replay)
  uint64_t errors = 0;      // read/decode errors, rejected messages
  uint64_t reconnects = 0;  // live sources: connections lost or attempts failed (each retried)
  size_t queued = 0;        // frames waiting now
};

// A sensor whose driver is running but whose buffer dropped a frame within the last second is
// reported as degraded: its consumers are slower than the sensor. `since_last_drop_ns` is the time
// since the last drop (negative: never dropped). Other states are left as the driver reports them.
void mark_overflow(SensorStatsSnapshot* s, int64_t since_last_drop_ns, size_t capacity);

struct NodeStatsSnapshot {
  int id = 0;
  std::string sensor;
  std::string kind;
  std::string label;
  std::string key;
  std::vector<std::string> consumers;
  uint64_t items = 0;                       // items processed
  uint64_t errors = 0;                      // items that failed
  int64_t busy_ns = 0;                      // time spent processing (for models: including the engine; for transform
                                            // nodes an estimate from every 8th run after the first 32)
  std::string model;                        // models: the Model document's name
  uint64_t dropped = 0;                     // models: inputs skipped by the scheduler (full queue, or overload)
  size_t queued = 0;                        // models: inputs waiting now
  std::optional<SchedStatsSnapshot> sched;  // models: the scheduler's figures for this node

  // A shared sensor or transform step runs once for all its consumers; without sharing each would
  // run its own copy on the same data, so it saves (consumers - 1) x its evaluations and its time.
  bool shared() const { return consumers.size() > 1 && kind != "model"; }
  uint64_t saved_items() const { return shared() ? (consumers.size() - 1) * items : 0; }
  int64_t saved_ns() const { return shared() ? static_cast<int64_t>(consumers.size() - 1) * busy_ns : 0; }
};

struct ModelRuntimeStats {
  ModelStatsSnapshot model;
  uint64_t dropped_frames = 0;  // frames of this model's sensors dropped before they reached it
  SchedStatsSnapshot sched;     // the scheduler's figures, summed over the model's streams
  // Its earlier versions loaded for the requests that name them (Runtime::serve_version).
  std::vector<ModelStatsSnapshot> kept;
};

struct RuntimeStats {
  std::vector<SensorStatsSnapshot> sensors;
  std::vector<AcceleratorStats> accelerators;  // the device's accelerators: budget, runs, busy time
  std::string policy;                          // the device's scheduling policy
  std::vector<ModelRuntimeStats> models;
  std::vector<NodeStatsSnapshot> nodes;
  Plan::Sharing sharing;
  int64_t uptime_ns = 0;
  EventStats events;                         // the Pipelines' event rules (empty when none declares events)
  std::vector<CandidateFigures> candidates;  // new versions running beside running models (rollouts)
};

}  // namespace sensix
