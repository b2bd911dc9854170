// Postprocessor: turns a model's declared outputs into a Prediction, as its document's
// `postprocess` block says (classify: activation, top-k, threshold, trigger; detect: anchors,
// box decoding, NMS, labels, mapping back to the source frame).
//
// Load-time checks name the document field: label counts, outputs' class and anchor counts.
// Per-result failures (NaN scores, a tensor of the wrong size) fail that result only.
//
// Thread-safety: none; one Postprocessor per model stream (it holds trigger state).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "models/classifier.h"
#include "models/detection_decoder.h"
#include "models/model_instance.h"
#include "models/prediction.h"
#include "transform/image_ops.h"

namespace sensix {

class Postprocessor {
 public:
  // nullptr (and ok) when the model has no postprocess block.
  static Result<std::unique_ptr<Postprocessor>> create(const ModelInstance& model);

  // `outputs` are the declared outputs in declared order. `geometry` maps model-input
  // coordinates to the source frame (detection needs it). Fills labels or detections of
  // `*prediction` and returns true when there is something to report.
  Result<bool> process(const std::vector<Tensor>& outputs, const ImageGeometry* geometry, Prediction* prediction);

 private:
  Postprocessor() = default;
  Status ensure_classifier(int num_classes);

  const ModelInstance* model_ = nullptr;
  // classify
  const ClassifySpec* classify_ = nullptr;
  int classify_output_ = -1;
  std::optional<Classifier> classifier_;
  // detect
  const DetectSpec* detect_ = nullptr;
  std::vector<int> score_outputs_, box_outputs_;
  std::optional<DetectionDecoder> decoder_;
  std::vector<std::string> labels_;
  std::vector<float> scores_buf_, boxes_buf_;
};

}  // namespace sensix
