// PredictionSink: where the runtime delivers predictions and events (the CLI printer, JSON-lines
// files, later the REST/SSE API and MQTT).
//
// publish() is called from sensor graph threads, possibly several at once: implementations
// must be thread-safe and quick (they run on the inference path).
#pragma once

#include "runtime/event.h"
#include "spec/prediction.h"

namespace sensix {

class PredictionSink {
 public:
  virtual ~PredictionSink() = default;
  virtual void publish(const Prediction& prediction) = 0;
  // An event from a Pipeline's rules (called from the one rules thread). Default: ignored.
  virtual void publish_event(const Event& /*event*/) {}
};

}  // namespace sensix
