// decoders::Classify (`postprocess.classify`): one output's last dimension is the class count;
// activation, top-k, threshold and trigger as models/classifier.h does them, with the labels given
// inline or in labelsFile. The Classifier is made at load when the class count is static, else on
// the first result.
//
// Thread-safety: none (the trigger state is per stream).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/classifier.h"
#include "models/decoder.h"

namespace sensix::decoders {

class Classify : public Decoder {
 public:
  using Spec = ClassifySpec;
  // `spec` is the model's own (model.spec().postprocess) and must outlive the decoder.
  static Result<std::unique_ptr<Decoder>> create(const ModelInstance& model, const ClassifySpec& spec);

  Result<bool> decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                      Prediction* prediction) override;
  std::optional<std::vector<LabelScore>> present_labels() const override;

 private:
  Classify(const ClassifySpec& spec, OutputRef output, std::vector<std::string> labels)
      : spec_(&spec), output_(std::move(output)), labels_(std::move(labels)) {}
  Status ensure_classifier(int num_classes);

  const ClassifySpec* spec_;
  OutputRef output_;
  std::vector<std::string> labels_;
  std::optional<Classifier> classifier_;
};

}  // namespace sensix::decoders
