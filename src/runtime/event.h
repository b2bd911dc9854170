// Event: what a Pipeline's event rule (`events[]`) reports when it becomes true: a first-class
// output next to predictions, published to every PredictionSink (publish_event).
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sensix {

// One model result that made the rule true: the matching label, detection, text or region.
struct EventContribution {
  std::string model;
  std::string sensor;
  std::string label;  // the label, detection label or recognised text; empty for unlabelled items
  float score = 0.0f;
  uint64_t frame_seq = 0;            // the sensor frame of the result
  int64_t media_ns = 0;              // the result's media time
  bool has_box = false;              // detections, lines and results of models fed by crops
  float x = 0, y = 0, w = 0, h = 0;  // source-frame pixels
};

// A rollout's step, published as an event (control/: started, passed, promoted, rolled back,
// aborted; docs/deployment.md): the event's name is "rollout-<step>", its pipeline empty.
struct RolloutNotice {
  std::string model;
  std::string strategy;  // "canary" | "shadow"
  std::string from_version, to_version;
  std::string reason;  // why (a verdict with its figures, "by hand", ...)
};

struct Event {
  std::string pipeline;
  std::string name;                            // the rule's name
  std::string rule;                            // the rule's text (`when`)
  int64_t media_ns = 0;                        // the media time at which the rule became true
  int64_t wall_ns = 0;                         // system clock (ns since the Unix epoch) when it was evaluated
  std::vector<EventContribution> predictions;  // what made it true, at most kMaxEventContributions
  std::optional<RolloutNotice> rollout;        // a rollout's step instead of a rule's
};

inline constexpr size_t kMaxEventContributions = 64;

struct EventRuleStats {
  std::string pipeline;
  std::string name;
  std::string rule;
  uint64_t fired = 0;       // events published
  uint64_t suppressed = 0;  // rising edges within the cooldown
};

struct EventStats {
  std::vector<EventRuleStats> rules;  // every rule of every pipeline, in document order
  uint64_t dropped = 0;               // results dropped because the rules' queue was full
  uint64_t late = 0;                  // results that came after their instant had been evaluated
  uint64_t forced = 0;                // instants evaluated before every model had reached them (too much held)
};

}  // namespace sensix
