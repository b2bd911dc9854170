#include "models/decoder.h"

#include <fmt/format.h>

#include "models/classifier.h"

namespace sensix {

std::string postprocess_field(const ModelInstance& model, std::string_view kind) {
  return fmt::format("{}: spec.postprocess.{}", doc_label(model.doc()), kind);
}

Result<std::span<const float>> OutputRef::floats(const std::vector<Tensor>& outputs) const {
  const Tensor& t = in(outputs);
  if (t.dtype() != DType::kFloat32) return InvalidArgument(fmt::format("output \"{}\" is not float32", name));
  return t.values<float>();
}

Result<OutputRef> declared_output(const ModelInstance& model, const std::string& field, const std::string& name) {
  const int index = model.find_output(name);
  if (index < 0) return InvalidArgument(fmt::format("{}: \"{}\" is not a declared output", field, name));
  return OutputRef{index, name};
}

int64_t last_dim(const TensorInfo& info) { return info.shape.empty() ? 1 : info.shape.back(); }

int64_t static_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

Status input_size(const ModelInstance& model, const std::string& field, int* width, int* height) {
  if (*width > 0 && *height > 0) return Status::Ok();
  const ImageInputSpec* image = nullptr;
  if (model.data_input() >= 0) {
    image = std::get_if<ImageInputSpec>(&model.spec().inputs[static_cast<size_t>(model.data_input())].source);
  }
  if (!image) return InvalidArgument(fmt::format("{}.inputSize: required when the model has no image input", field));
  *width = image->width;
  *height = image->height;
  return Status::Ok();
}

Result<std::vector<std::string>> labels_for(const std::vector<std::string>& inline_labels, const std::string& file) {
  if (!file.empty()) return read_labels_file(file);
  return inline_labels;
}

}  // namespace sensix
