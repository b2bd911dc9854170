// decoders::Ctc (`postprocess.ctc`): CTC greedy decoding of one [1, T, C] output with the
// dictionary given inline or in dictionaryFile (models/ctc_decoder.h) into a text prediction. The
// CtcDecoder is made at load when C is static, else on the first result.
//
// Thread-safety: none; one per model stream.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/ctc_decoder.h"
#include "models/decoder.h"

namespace sensix::decoders {

class Ctc : public Decoder {
 public:
  using Spec = CtcSpec;
  // `spec` is the model's own (model.spec().postprocess) and must outlive the decoder.
  // Load-time checks: the output declared, the dictionary file read, the class count (CtcDecoder).
  static Result<std::unique_ptr<Decoder>> create(const ModelInstance& model, const CtcSpec& spec);

  Result<bool> decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                      Prediction* prediction) override;

 private:
  Ctc(const CtcSpec& spec, OutputRef output, std::vector<std::string> dictionary)
      : spec_(&spec), output_(std::move(output)), dictionary_(std::move(dictionary)) {}

  const CtcSpec* spec_;
  OutputRef output_;
  std::vector<std::string> dictionary_;
  std::optional<CtcDecoder> decoder_;
};

}  // namespace sensix::decoders
