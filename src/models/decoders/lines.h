// decoders::Lines (`postprocess.lines`): M-LSD's centre-score map [1, H, W, 1] and start/end
// offsets [1, H, W, 4] decoded by models/line_decoder.h into segments in model-input pixels of
// inputSize (default: the image input's size), mapped to source-frame pixels.
//
// Thread-safety: none needed (decode keeps no state); one per model stream.
#pragma once

#include <memory>
#include <vector>

#include "models/decoder.h"
#include "models/line_decoder.h"

namespace sensix::decoders {

class Lines : public Decoder {
 public:
  using Spec = LinesSpec;
  // Load-time checks: both outputs declared, static and on the same grid, an input size, the
  // decoder's parameters (LineDecoder).
  static Result<std::unique_ptr<Decoder>> create(const ModelInstance& model, const LinesSpec& spec);

  Result<bool> decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                      Prediction* prediction) override;

 private:
  Lines(LineDecoder decoder, OutputRef scores, OutputRef offsets)
      : decoder_(std::move(decoder)), scores_(std::move(scores)), offsets_(std::move(offsets)) {}

  LineDecoder decoder_;
  OutputRef scores_, offsets_;
};

}  // namespace sensix::decoders
