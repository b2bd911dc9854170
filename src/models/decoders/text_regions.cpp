#include "models/decoders/text_regions.h"

#include <string>

#include <fmt/format.h>

namespace sensix::decoders {

Result<std::unique_ptr<Decoder>> TextRegions::create(const ModelInstance& model, const TextRegionsSpec& t) {
  const std::string field = postprocess_field(model, "textRegions");
  SENSIX_ASSIGN_OR_RETURN(OutputRef map, declared_output(model, field + ".output", t.output));
  const Shape& shape = model.output_info(map.index).shape;
  if (shape.size() != 4 || (shape[0] > 1) || (shape[1] > 1)) {
    return InvalidArgument(fmt::format("{}.output: output \"{}\" is {}, expected a probability map [1, 1, H, W]", field,
                                       t.output, shape_to_string(shape)));
  }
  auto decoder = TextRegionDecoder::create(t);
  if (!decoder.ok()) return decoder.status().with_context(field);
  return std::unique_ptr<Decoder>(new TextRegions(std::move(decoder).value(), std::move(map)));
}

Result<bool> TextRegions::decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                                 Prediction* prediction) {
  SENSIX_ASSIGN_OR_RETURN(auto values, map_.floats(outputs));
  const Shape& shape = map_.in(outputs).shape();
  if (shape.size() < 2) {
    return InvalidArgument(
        fmt::format("output \"{}\" is {}, expected [1, 1, H, W]", map_.name, shape_to_string(shape)));
  }
  const int h = static_cast<int>(shape[shape.size() - 2]), w = static_cast<int>(shape.back());
  SENSIX_ASSIGN_OR_RETURN(auto regions, decoder_.decode(values, h, w, geometry));
  if (regions.empty()) return false;
  prediction->kind = PredictionKind::kDetection;
  prediction->detections = std::move(regions);
  return true;
}

}  // namespace sensix::decoders
