// The file formats of model artifacts. Shared by docs/ (what a document declares) and
// engines/ (what an engine loads), so that neither depends on the other.
#pragma once

#include <optional>
#include <string_view>

namespace sensix {

enum class ModelFormat { kOnnx, kTflite };

constexpr std::string_view model_format_name(ModelFormat f) { return f == ModelFormat::kOnnx ? "onnx" : "tflite"; }

constexpr std::optional<ModelFormat> parse_model_format(std::string_view s) {
  if (s == "onnx") return ModelFormat::kOnnx;
  if (s == "tflite") return ModelFormat::kTflite;
  return std::nullopt;
}

}  // namespace sensix
