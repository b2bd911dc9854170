// decoders::Detect (`postprocess.detect`): anchor-based detector outputs (score outputs
// [1, anchors, classes] and box outputs [1, anchors, box.coords], each concatenated along the
// anchor axis in declared order) decoded against SSD anchors generated from the document
// (models/anchors.h) by models/detection_decoder.h, then mapped to source-frame pixels: a box is
// the extent of its two mapped corners (under a rotation corners map to other corners), keypoints
// are mapped one by one.
//
// Thread-safety: none (scratch buffers).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/decoder.h"
#include "models/detection_decoder.h"

namespace sensix::decoders {

class Detect : public Decoder {
 public:
  using Spec = DetectSpec;
  // Load-time checks: outputs declared with static shapes, score and box outputs covering the same
  // anchors, as many anchors as the parameters generate, one label per class.
  static Result<std::unique_ptr<Decoder>> create(const ModelInstance& model, const DetectSpec& spec);

  Result<bool> decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                      Prediction* prediction) override;

 private:
  Detect(DetectionDecoder decoder, std::vector<int> score_outputs, std::vector<int> box_outputs,
         std::vector<std::string> labels)
      : decoder_(std::move(decoder)),
        score_outputs_(std::move(score_outputs)),
        box_outputs_(std::move(box_outputs)),
        labels_(std::move(labels)) {}

  DetectionDecoder decoder_;
  std::vector<int> score_outputs_, box_outputs_;
  std::vector<std::string> labels_;
  std::vector<float> scores_buf_, boxes_buf_;
};

}  // namespace sensix::decoders
