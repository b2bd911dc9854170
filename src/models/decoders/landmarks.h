// decoders::Landmarks (`postprocess.landmarks`): N points of D values in one output, optionally
// gated by a one-value presence output, decoded by models/landmark_decoder.h in model-input pixels
// of inputSize (default: the image input's size) and mapped to source-frame pixels.
//
// Thread-safety: none needed (decode keeps no state); one per model stream.
#pragma once

#include <memory>
#include <vector>

#include "models/decoder.h"
#include "models/landmark_decoder.h"

namespace sensix::decoders {

class Landmarks : public Decoder {
 public:
  using Spec = LandmarksSpec;
  // Load-time checks: outputs declared, the presence output one value, presence.threshold in 0..1,
  // an input size, names (inline or namesFile) one per point, the point count (LandmarkDecoder).
  static Result<std::unique_ptr<Decoder>> create(const ModelInstance& model, const LandmarksSpec& spec);

  Result<bool> decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                      Prediction* prediction) override;

 private:
  Landmarks(LandmarkDecoder decoder, OutputRef points, OutputRef presence)
      : decoder_(std::move(decoder)), points_(std::move(points)), presence_(std::move(presence)) {}

  LandmarkDecoder decoder_;
  OutputRef points_;
  OutputRef presence_;  // index -1 when the document declares no presence output
};

}  // namespace sensix::decoders
