// Postprocessor: turns a model's declared outputs into a Prediction, as its document's
// `postprocess` block says (classify: activation, top-k, threshold, trigger; detect: anchors,
// box decoding, NMS, labels, mapping back to the source frame; landmarks, textRegions, ctc and
// lines: see landmark_decoder.h, text_region_decoder.h, ctc_decoder.h, line_decoder.h).
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
#include "models/ctc_decoder.h"
#include "models/detection_decoder.h"
#include "models/landmark_decoder.h"
#include "models/line_decoder.h"
#include "models/model_instance.h"
#include "models/text_region_decoder.h"
#include "spec/prediction.h"
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

  // Classification only (nullopt otherwise): every label of the last processed result whose
  // score is at or over the threshold, best first, whatever the trigger and top-k (the event
  // rules read what is present, not what was reported).
  std::optional<std::vector<LabelScore>> present_labels() const;

 private:
  Postprocessor() = default;
  Status ensure_classifier(int num_classes);
  static Status create_landmarks(const ModelInstance& model, const LandmarksSpec& l, Postprocessor* p);
  static Status create_lines(const ModelInstance& model, const LinesSpec& l, Postprocessor* p);
  Result<bool> process_landmarks(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                                 Prediction* prediction);
  Result<bool> process_text_regions(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                                    Prediction* prediction);
  Result<bool> process_ctc(const std::vector<Tensor>& outputs, Prediction* prediction);
  Result<bool> process_lines(const std::vector<Tensor>& outputs, const ImageGeometry* geometry, Prediction* prediction);

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
  // landmarks, textRegions, ctc, lines: the output indices they read
  int main_output_ = -1, second_output_ = -1;
  std::optional<LandmarkDecoder> landmarks_;
  std::optional<TextRegionDecoder> text_regions_;
  const CtcSpec* ctc_spec_ = nullptr;
  std::vector<std::string> dictionary_;
  std::optional<CtcDecoder> ctc_;
  std::optional<LineDecoder> lines_;
};

}  // namespace sensix
