// Postprocessor: turns a model's declared outputs into a Prediction, as its document's
// `postprocess` block says. It picks the decoder of that block's kind from the table of decoders
// by kind (postprocessor.cpp: one line per PostprocessSpec alternative) and hands each result to
// it; each kind's checks and decoding live in its own file pair in models/decoders/ (see
// models/decoder.h).
//
// Load-time checks name the document field: label counts, outputs' class and anchor counts.
// Per-result failures (NaN scores, a tensor of the wrong size) fail that result only.
//
// Thread-safety: none; one Postprocessor per model stream (its decoder may hold trigger state).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "common/image_geometry.h"
#include "common/status.h"
#include "common/tensor.h"
#include "models/decoder.h"
#include "models/model_instance.h"
#include "spec/prediction.h"

namespace sensix {

class Postprocessor {
 public:
  // nullptr (and ok) when the model has no postprocess block. The model must outlive the result.
  static Result<std::unique_ptr<Postprocessor>> create(const ModelInstance& model);

  // `outputs` are the declared outputs in declared order. `geometry` maps model-input
  // coordinates to the source frame (detection needs it). Fills `*prediction` (its kind and
  // that kind's fields) and returns true when there is something to report.
  Result<bool> process(const std::vector<Tensor>& outputs, const ImageGeometry* geometry, Prediction* prediction) {
    return decoder_->decode(outputs, geometry, prediction);
  }

  // Classification only (nullopt otherwise): every label of the last processed result whose
  // score is at or over the threshold, best first, whatever the trigger and top-k (the event
  // rules read what is present, not what was reported).
  std::optional<std::vector<LabelScore>> present_labels() const { return decoder_->present_labels(); }

 private:
  explicit Postprocessor(std::unique_ptr<Decoder> decoder) : decoder_(std::move(decoder)) {}
  std::unique_ptr<Decoder> decoder_;
};

}  // namespace sensix
