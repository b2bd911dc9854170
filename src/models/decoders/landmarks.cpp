#include "models/decoders/landmarks.h"

#include <cmath>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "models/classifier.h"

namespace sensix::decoders {

Result<std::unique_ptr<Decoder>> Landmarks::create(const ModelInstance& model, const LandmarksSpec& l) {
  const std::string field = postprocess_field(model, "landmarks");
  SENSIX_ASSIGN_OR_RETURN(OutputRef points, declared_output(model, field + ".output", l.output));
  OutputRef presence;
  if (!l.presence_output.empty()) {
    SENSIX_ASSIGN_OR_RETURN(presence, declared_output(model, field + ".presence.output", l.presence_output));
    const Shape& shape = model.output_info(presence.index).shape;
    const int64_t n = static_count(shape);
    if (n >= 0 && n != 1) {
      return InvalidArgument(fmt::format("{}.presence.output: output \"{}\" is {}, expected one value", field,
                                         l.presence_output, shape_to_string(shape)));
    }
  }
  if (!std::isfinite(l.presence_threshold) || l.presence_threshold < 0 || l.presence_threshold > 1) {
    return InvalidArgument(fmt::format("{}.presence.threshold: {} is not within 0..1", field, l.presence_threshold));
  }
  int width = l.input_width, height = l.input_height;
  SENSIX_RETURN_IF_ERROR(input_size(model, field, &width, &height));
  std::vector<std::string> names = l.names;
  if (!l.names_file.empty()) {
    auto read = read_labels_file(l.names_file);
    if (!read.ok()) return read.status().with_context(field + ".namesFile");
    names = std::move(read).value();
  }
  auto decoder = LandmarkDecoder::create(l, static_count(model.output_info(points.index).shape), width, height,
                                         std::move(names));
  if (!decoder.ok()) return decoder.status().with_context(field);
  return std::unique_ptr<Decoder>(new Landmarks(std::move(decoder).value(), std::move(points), std::move(presence)));
}

Result<bool> Landmarks::decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                               Prediction* prediction) {
  SENSIX_ASSIGN_OR_RETURN(auto values, points_.floats(outputs));
  std::optional<float> presence;
  if (presence_.index >= 0) {
    SENSIX_ASSIGN_OR_RETURN(auto pv, presence_.floats(outputs));
    if (pv.size() != 1) {
      return InvalidArgument(fmt::format("output \"{}\" holds {} values, expected one", presence_.name, pv.size()));
    }
    presence = pv[0];
  }
  SENSIX_ASSIGN_OR_RETURN(auto result, decoder_.decode(values, presence, geometry));
  if (!result) return false;
  prediction->kind = PredictionKind::kLandmarks;
  prediction->score = result->score;
  prediction->landmarks = std::move(result->points);
  return true;
}

}  // namespace sensix::decoders
