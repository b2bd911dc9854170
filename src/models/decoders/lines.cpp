#include "models/decoders/lines.h"

#include <string>

#include <fmt/format.h>

namespace sensix::decoders {

Result<std::unique_ptr<Decoder>> Lines::create(const ModelInstance& model, const LinesSpec& l) {
  const std::string field = postprocess_field(model, "lines");
  SENSIX_ASSIGN_OR_RETURN(OutputRef scores_output, declared_output(model, field + ".scores", l.scores_output));
  SENSIX_ASSIGN_OR_RETURN(OutputRef offsets_output, declared_output(model, field + ".offsets", l.offsets_output));
  const Shape& scores = model.output_info(scores_output.index).shape;
  const Shape& offsets = model.output_info(offsets_output.index).shape;
  if (scores.size() != 4 || scores[1] <= 0 || scores[2] <= 0 || scores[3] != 1) {
    return InvalidArgument(fmt::format("{}.scores: output \"{}\" is {}, expected a static [1, H, W, 1]", field,
                                       l.scores_output, shape_to_string(scores)));
  }
  if (offsets.size() != 4 || offsets[1] != scores[1] || offsets[2] != scores[2] || offsets[3] != 4) {
    return InvalidArgument(fmt::format("{}.offsets: output \"{}\" is {}, expected [1, {}, {}, 4] (the scores' grid)",
                                       field, l.offsets_output, shape_to_string(offsets), scores[1], scores[2]));
  }
  int width = l.input_width, height = l.input_height;
  SENSIX_RETURN_IF_ERROR(input_size(model, field, &width, &height));
  auto decoder = LineDecoder::create(l, static_cast<int>(scores[1]), static_cast<int>(scores[2]), width, height);
  if (!decoder.ok()) return decoder.status().with_context(field);
  return std::unique_ptr<Decoder>(
      new Lines(std::move(decoder).value(), std::move(scores_output), std::move(offsets_output)));
}

Result<bool> Lines::decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry, Prediction* prediction) {
  SENSIX_ASSIGN_OR_RETURN(auto scores, scores_.floats(outputs));
  SENSIX_ASSIGN_OR_RETURN(auto offsets, offsets_.floats(outputs));
  SENSIX_ASSIGN_OR_RETURN(auto segments, decoder_.decode(scores, offsets, geometry));
  if (segments.empty()) return false;
  prediction->kind = PredictionKind::kLines;
  prediction->segments = std::move(segments);
  return true;
}

}  // namespace sensix::decoders
