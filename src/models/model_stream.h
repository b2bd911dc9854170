// ModelStream: one model fed by one input stream (a plan's model node). Holds the per-stream
// state — state tensors carried between calls (e.g. Silero VAD's state/stateN) and the
// post-processing trigger state — while the ModelInstance (session, stats) may be shared.
//
// Thread-safety: one thread at a time drives a stream (infer); set_pipelines() and
// set_observed() may be called from any thread while it runs (a graph changed while it runs).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/frame_source.h"
#include "common/image_geometry.h"
#include "common/status.h"
#include "common/tensor.h"
#include "models/model_instance.h"
#include "models/postprocessor.h"
#include "models/state_tensors.h"
#include "spec/prediction.h"

namespace sensix {

struct StreamInput {
  const Tensor* data = nullptr;
  const ImageGeometry* geometry = nullptr;  // set when the data came from an image
  uint64_t frame_seq = 0;
  FrameSource source;  // where the frame that completed the input came from (copied into the prediction)
  int64_t end_ns = 0;
  std::chrono::steady_clock::time_point captured;
  const CropSource* crop =
      nullptr;  // a model fed by crops: the box its input was cut around (copied into the prediction)
};

struct StreamResult {
  std::shared_ptr<const std::vector<Tensor>> outputs;  // declared outputs, declared order
  std::optional<Prediction> prediction;
  // Only when the stream is observed (set_observed): this result's meta data and everything
  // present in it whatever the trigger (runtime/result_observer.h), for the event rules.
  std::optional<Prediction> level;
};

class ModelStream {
 public:
  static Result<std::unique_ptr<ModelStream>> create(ModelInstance* model, std::vector<std::string> pipelines,
                                                     std::string sensor);

  // Runs one inference; updates state tensors; post-processes. An error fails this input only
  // (it is counted on the model) and leaves the state as it was.
  // `session`: which of the model's files runs it (ModelInstance::engines(); 0 = its own).
  Result<StreamResult> infer(const StreamInput& in, int session = 0);
  // Runs several inputs in one engine run (ModelInstance::run_batch; models without state only),
  // then post-processes each as infer() does. One result per input, in order; an engine error
  // fails them all.
  std::vector<Result<StreamResult>> infer_batch(std::span<const StreamInput> ins, int session = 0);
  // Post-processes, as infer() does, the outputs of an input that ran elsewhere (in a run shared
  // with the model's other tasks: runtime/shared_runs.h; models without state only); an error
  // passes through.
  Result<StreamResult> complete(const StreamInput& in, Result<std::vector<Tensor>> outputs);

  ModelInstance* model() const { return model_; }
  // Takes the state tensors of `from`, the stream of the model's previous version: the new version
  // goes on where the old one stopped (spec.rollout.state: carry). InvalidArgument, and the state
  // left at its init values, when the two versions' state inputs differ (StateTensors::adopt).
  // The post-processing's trigger state starts afresh either way.
  Status adopt_state(const ModelStream& from);
  // Observed streams also fill StreamResult::level on every result (a few copies per run).
  void set_observed(bool on) { observed_.store(on, std::memory_order_relaxed); }
  // The pipelines named in its predictions from the next result on.
  void set_pipelines(std::vector<std::string> pipelines);
  std::vector<std::string> pipelines() const;

 private:
  ModelStream() = default;
  // Post-processing and accounting of one input's outputs.
  Result<StreamResult> finish(const StreamInput& in, std::vector<Tensor> outputs);
  ModelInstance* model_ = nullptr;
  mutable std::mutex pipelines_mu_;
  std::vector<std::string> pipelines_;  // guarded by pipelines_mu_
  std::string sensor_;
  std::optional<StateTensors> states_;  // set in create()
  std::unique_ptr<Postprocessor> post_;
  std::atomic<bool> observed_{false};
};

}  // namespace sensix
