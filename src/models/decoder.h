// Decoder: one kind of a model document's `postprocess` block (classify, detect, landmarks,
// textRegions, ctc, lines) bound to the loaded model. Each kind is one class in models/decoders/,
// created at load from the model and its spec struct (docs/spec.h), and listed once in the table
// of decoders by kind (models/postprocessor.cpp); the pure decoding it wraps (thresholds, NMS,
// geometry) lives in a file pair of its own in models/ with no engine (library sensix_postprocess).
//
// A decoder's create() checks what can be checked when the model loads (declared outputs and
// their shapes, label and class counts) and names the document field in its error. decode()
// failures (NaN scores, a tensor of the wrong size or type) fail that result only.
//
// Thread-safety: none; one decoder per model stream (it may hold trigger state).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/image_geometry.h"
#include "common/status.h"
#include "common/tensor.h"
#include "models/model_instance.h"
#include "spec/prediction.h"
#include "spec/spec.h"

namespace sensix {

class Decoder {
 public:
  virtual ~Decoder() = default;

  // `outputs` are the declared outputs in declared order. `geometry` (may be null) maps
  // model-input coordinates to the source frame. Fills `*prediction` (its kind and that kind's
  // fields) and returns true when there is something to report.
  virtual Result<bool> decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                              Prediction* prediction) = 0;

  // Classification only (nullopt for the other kinds): every label of the last decoded result whose
  // score is at or over the threshold, best first, whatever the trigger and top-k (the event
  // rules read what is present, not what was reported).
  virtual std::optional<std::vector<LabelScore>> present_labels() const { return std::nullopt; }
};

// ---- For the decoders' create() and decode() ----

// "<document>: spec.postprocess.<kind>", the prefix of every load-time error of that kind.
std::string postprocess_field(const ModelInstance& model, std::string_view kind);

// A declared output that a decoder reads: its index among the declared outputs, and its name.
struct OutputRef {
  int index = -1;
  std::string name;

  const Tensor& in(const std::vector<Tensor>& outputs) const { return outputs.at(static_cast<size_t>(index)); }
  // Its values in `outputs`; InvalidArgument `output "<name>" is not float32` for another dtype.
  Result<std::span<const float>> floats(const std::vector<Tensor>& outputs) const;
};

// The declared output `name`; InvalidArgument `<field>: "<name>" is not a declared output`.
Result<OutputRef> declared_output(const ModelInstance& model, const std::string& field, const std::string& name);

// The last dimension of an output (1 for a scalar; -1 when dynamic).
int64_t last_dim(const TensorInfo& info);
// The element count of a static shape, or -1 when a dimension is dynamic.
int64_t static_count(const Shape& shape);

// `*width` x `*height` when both are declared (> 0), else the model's image input size;
// InvalidArgument `<field>.inputSize: required when the model has no image input`.
Status input_size(const ModelInstance& model, const std::string& field, int* width, int* height);

// The labels read from `file` when it is set (models/classifier.h read_labels_file), else `inline_labels`.
Result<std::vector<std::string>> labels_for(const std::vector<std::string>& inline_labels, const std::string& file);

}  // namespace sensix
