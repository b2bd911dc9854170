#include "models/decoders/classify.h"

#include <algorithm>

#include <fmt/format.h>

namespace sensix::decoders {

Result<std::unique_ptr<Decoder>> Classify::create(const ModelInstance& model, const ClassifySpec& spec) {
  const std::string field = postprocess_field(model, "classify");
  SENSIX_ASSIGN_OR_RETURN(OutputRef output, declared_output(model, field + ".output", spec.output));
  auto labels = labels_for(spec.labels, spec.labels_file);
  if (!labels.ok()) return labels.status().with_context(field + ".labelsFile");
  const int64_t classes = last_dim(model.output_info(output.index));
  std::unique_ptr<Classify> d(new Classify(spec, std::move(output), std::move(labels).value()));
  if (classes > 0) {
    Status s = d->ensure_classifier(static_cast<int>(classes));
    if (!s.ok()) return s.with_context(field);
  }
  return std::unique_ptr<Decoder>(std::move(d));
}

Status Classify::ensure_classifier(int num_classes) {
  if (classifier_) return Status::Ok();
  ClassifySpec spec = *spec_;
  spec.labels = labels_;
  auto c = Classifier::create(spec, num_classes);
  if (!c.ok()) return c.status();
  classifier_.emplace(std::move(c).value());
  return Status::Ok();
}

Result<bool> Classify::decode(const std::vector<Tensor>& outputs, const ImageGeometry* /*geometry*/,
                              Prediction* prediction) {
  const Tensor& t = output_.in(outputs);
  if (t.dtype() != DType::kFloat32) return InvalidArgument("classify needs a float32 output");
  int classes = t.shape().empty() ? 1 : static_cast<int>(t.shape().back());
  SENSIX_RETURN_IF_ERROR(ensure_classifier(classes));
  if (t.size() != classes) {
    return InvalidArgument(
        fmt::format("output \"{}\" holds {} values, expected one row of {} classes", output_.name, t.size(), classes));
  }
  SENSIX_ASSIGN_OR_RETURN(auto fired, classifier_->process(t.values<float>()));
  if (!fired) return false;
  prediction->kind = PredictionKind::kClassification;
  prediction->labels = std::move(*fired);
  return true;
}

std::optional<std::vector<LabelScore>> Classify::present_labels() const {
  std::vector<LabelScore> out;
  if (!classifier_) return out;
  const auto& scores = classifier_->last_scores();
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] < spec_->threshold || classifier_->ignored(static_cast<int>(i))) continue;
    out.push_back({i < labels_.size() ? labels_[i] : std::to_string(i), static_cast<int>(i), scores[i]});
  }
  std::stable_sort(out.begin(), out.end(), [](const LabelScore& a, const LabelScore& b) { return a.score > b.score; });
  return out;
}

}  // namespace sensix::decoders
