// ModelStream: one model fed by one input stream (a plan's model node). Holds the per-stream
// state — state tensors carried between calls (e.g. Silero VAD's state/stateN) and the
// post-processing trigger state — while the ModelInstance (session, stats) may be shared.
//
// Thread-safety: none; one sensor graph thread drives a stream.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "models/model_instance.h"
#include "models/postprocessor.h"
#include "models/prediction.h"
#include "sensors/frame.h"
#include "transform/image_ops.h"

namespace sensix {

struct StreamInput {
  const Tensor* data = nullptr;
  const ImageGeometry* geometry = nullptr;  // set when the data came from an image
  uint64_t frame_seq = 0;
  int64_t end_ns = 0;
  SteadyClock::time_point captured;
};

struct StreamResult {
  std::shared_ptr<const std::vector<Tensor>> outputs;  // declared outputs, declared order
  std::optional<Prediction> prediction;
};

class ModelStream {
 public:
  static Result<std::unique_ptr<ModelStream>> create(ModelInstance* model, std::vector<std::string> pipelines,
                                                     std::string sensor);

  // Runs one inference; updates state tensors; post-processes. An error fails this input only
  // (it is counted on the model) and leaves the state as it was.
  Result<StreamResult> infer(const StreamInput& in);

  ModelInstance* model() const { return model_; }

 private:
  ModelStream() = default;
  ModelInstance* model_ = nullptr;
  std::vector<std::string> pipelines_;
  std::string sensor_;
  std::vector<Tensor> states_;          // one per state input, in spec order
  std::vector<int> state_from_output_;  // declared output index feeding each state
  std::unique_ptr<Postprocessor> post_;
};

}  // namespace sensix
