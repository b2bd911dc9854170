// ResultObserver: sees every run of the models it asks for, not only reported predictions (the
// event rules need the frames where nothing was found). The sensor graph calls it from the
// model's worker thread right after each run, so implementations must be quick and thread-safe.
#pragma once

#include "spec/prediction.h"

namespace sensix {

// One run of a model. `level` holds the run's meta data (model, sensor, pipelines, frame_seq,
// media_ns, crop) and what is present in it whatever the trigger: a classification's labels at or
// over its threshold (every one of them, not only the top-k or the rising edges), a detection's
// boxes, landmarks, text or lines. Nothing present: empty. `ok` false: the run failed (no result).
struct ModelResult {
  Prediction level;
  bool ok = true;
};

class ResultObserver {
 public:
  virtual ~ResultObserver() = default;
  // `lossless`: the caller's sensor must not lose data (replay at max speed); wait for room
  // instead of dropping.
  virtual void observe(ModelResult&& result, bool lossless) = 0;
};

}  // namespace sensix
