#include "models/decoders/ctc.h"

namespace sensix::decoders {

Result<std::unique_ptr<Decoder>> Ctc::create(const ModelInstance& model, const CtcSpec& c) {
  const std::string field = postprocess_field(model, "ctc");
  SENSIX_ASSIGN_OR_RETURN(OutputRef output, declared_output(model, field + ".output", c.output));
  std::vector<std::string> dictionary = c.dictionary;
  if (!c.dictionary_file.empty()) {
    auto dict = read_dictionary_file(c.dictionary_file);
    if (!dict.ok()) return dict.status().with_context(field + ".dictionaryFile");
    dictionary = std::move(dict).value();
  }
  const int64_t classes = last_dim(model.output_info(output.index));
  std::unique_ptr<Ctc> d(new Ctc(c, std::move(output), std::move(dictionary)));
  if (classes > 0) {
    auto decoder = CtcDecoder::create(c, d->dictionary_, static_cast<int>(classes));
    if (!decoder.ok()) return decoder.status().with_context(field);
    d->decoder_.emplace(std::move(decoder).value());
  }
  return std::unique_ptr<Decoder>(std::move(d));
}

Result<bool> Ctc::decode(const std::vector<Tensor>& outputs, const ImageGeometry* /*geometry*/,
                         Prediction* prediction) {
  SENSIX_ASSIGN_OR_RETURN(auto values, output_.floats(outputs));
  if (!decoder_) {
    const Tensor& t = output_.in(outputs);
    const int classes = t.shape().empty() ? 1 : static_cast<int>(t.shape().back());
    SENSIX_ASSIGN_OR_RETURN(auto decoder, CtcDecoder::create(*spec_, dictionary_, classes));
    decoder_.emplace(std::move(decoder));
  }
  SENSIX_ASSIGN_OR_RETURN(auto result, decoder_->decode(values));
  if (!result) return false;
  prediction->kind = PredictionKind::kText;
  prediction->text = std::move(result->text);
  prediction->score = result->confidence;
  return true;
}

}  // namespace sensix::decoders
