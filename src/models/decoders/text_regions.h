// decoders::TextRegions (`postprocess.textRegions`): a DB probability map [1, 1, H, W] (H and W
// may be dynamic: they are read from each result) decoded by models/text_region_decoder.h into
// detections with the document's label, mapped to source-frame pixels.
//
// Thread-safety: none needed (decode keeps no state); one per model stream.
#pragma once

#include <memory>
#include <vector>

#include "models/decoder.h"
#include "models/text_region_decoder.h"

namespace sensix::decoders {

class TextRegions : public Decoder {
 public:
  using Spec = TextRegionsSpec;
  // Load-time checks: the output declared and shaped [1, 1, H, W], the decoder's parameters.
  static Result<std::unique_ptr<Decoder>> create(const ModelInstance& model, const TextRegionsSpec& spec);

  Result<bool> decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                      Prediction* prediction) override;

 private:
  TextRegions(TextRegionDecoder decoder, OutputRef map) : decoder_(std::move(decoder)), map_(std::move(map)) {}

  TextRegionDecoder decoder_;
  OutputRef map_;
};

}  // namespace sensix::decoders
