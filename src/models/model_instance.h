// ModelInstance: one loaded model — its document, its engine session, and the binding of the
// document's declared inputs and outputs to the model's tensors, checked at load time.
//
// Load-time checks (each error names the document and the field):
//   every model input is declared and every declared input exists, with the same dtype;
//   declared shapes agree with the model's static dims, and every input ends up with a
//   concrete shape; declared outputs exist; constants fit their shape.
//
// run() is safe to call from several threads (calls on the one session are serialised); the
// per-stream state (state tensors, trigger state) lives in ModelStream, not here.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/histogram.h"
#include "common/status.h"
#include "common/tensor.h"
#include "docs/spec.h"
#include "engines/engine.h"
#include "engines/registry.h"

namespace sensix {

enum class ModelState { kLoading, kReady, kFailed, kUnloaded };
std::string_view model_state_name(ModelState s);

struct ModelStatsSnapshot {
  std::string name;
  std::string version;
  std::string engine;
  ModelState state = ModelState::kLoading;
  uint64_t runs = 0;
  uint64_t errors = 0;               // failed runs (engine errors, NaN/Inf outputs, post-processing errors)
  uint64_t predictions = 0;          // predictions reported
  LatencyHistogram compute;          // engine run time per inference
  LatencyHistogram end_to_end;       // frame capture -> prediction (or result, for feature models)
  MemoryUsage memory;
  std::string last_error;
};

class ModelInstance {
 public:
  static Result<std::unique_ptr<ModelInstance>> load(const ModelDoc& doc, EngineRegistry& engines);

  const ModelDoc& doc() const { return doc_; }
  const std::string& name() const { return doc_.metadata.name; }
  const ModelSpec& spec() const { return doc_.spec; }
  std::string_view engine_name() const { return engine_name_; }

  // Index (in spec().inputs) of the data input (audio, image or stream).
  int data_input() const { return data_input_; }
  // The concrete shape of spec().inputs[i].
  const Shape& input_shape(int i) const { return input_shapes_.at(static_cast<size_t>(i)); }
  // The model's description of spec().outputs[i] (shape may have dynamic dims).
  const TensorInfo& output_info(int i) const { return output_infos_.at(static_cast<size_t>(i)); }
  // Index in spec().outputs of a declared output, or -1.
  int find_output(std::string_view name) const;

  // Runs one inference. `data` feeds the data input; `states` holds one tensor per state input,
  // in the order they appear in spec().inputs. Returns the declared outputs, in declared
  // order, with scale/offset applied. Records compute time and errors.
  Result<std::vector<Tensor>> run(const Tensor& data, std::span<const Tensor> states);

  // Called by streams to account for end-to-end latency, predictions and post-processing errors.
  void record_result(int64_t end_to_end_ns, bool predicted);
  void record_error(const Status& s);

  ModelStatsSnapshot stats() const;

 private:
  explicit ModelInstance(ModelDoc doc) : doc_(std::move(doc)) {}
  Status bind(const Session& session);

  ModelDoc doc_;
  std::string engine_name_;
  std::unique_ptr<Session> session_;
  int data_input_ = -1;
  std::vector<Shape> input_shapes_;              // per spec input
  std::vector<int> session_input_of_;            // spec input -> session input index
  std::vector<int> state_inputs_;                // spec input indices of state inputs, in order
  std::vector<Tensor> constants_;                // per spec input (empty tensor when not a constant)
  std::vector<int> output_indices_;              // spec output -> session output index
  std::vector<TensorInfo> output_infos_;         // per spec output

  std::mutex run_mu_;  // serialises session_->run()
  mutable std::mutex stats_mu_;
  ModelStatsSnapshot stats_;
};

}  // namespace sensix
