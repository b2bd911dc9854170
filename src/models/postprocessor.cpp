#include "models/postprocessor.h"

#include <algorithm>

#include <fmt/format.h>

#include "models/anchors.h"

namespace sensix {
namespace {

Result<std::vector<std::string>> labels_for(const std::vector<std::string>& inline_labels, const std::string& file) {
  if (!file.empty()) return read_labels_file(file);
  return inline_labels;
}

int64_t last_dim(const TensorInfo& info) { return info.shape.empty() ? 1 : info.shape.back(); }

}  // namespace

Result<std::unique_ptr<Postprocessor>> Postprocessor::create(const ModelInstance& model) {
  const ModelSpec& spec = model.spec();
  if (std::holds_alternative<std::monostate>(spec.postprocess)) return std::unique_ptr<Postprocessor>();
  const std::string label = doc_label(model.doc());
  std::unique_ptr<Postprocessor> p(new Postprocessor());
  p->model_ = &model;
  if (const auto* c = std::get_if<ClassifySpec>(&spec.postprocess)) {
    p->classify_ = c;
    p->classify_output_ = model.find_output(c->output);
    if (p->classify_output_ < 0) {
      return InvalidArgument(fmt::format("{}: spec.postprocess.classify.output: \"{}\" is not a declared output", label, c->output));
    }
    auto labels = labels_for(c->labels, c->labels_file);
    if (!labels.ok()) return labels.status().with_context(label + ": spec.postprocess.classify.labelsFile");
    p->labels_ = std::move(labels).value();
    int64_t classes = last_dim(model.output_info(p->classify_output_));
    if (classes > 0) {
      Status s = p->ensure_classifier(static_cast<int>(classes));
      if (!s.ok()) return s.with_context(label + ": spec.postprocess.classify");
    }
    return p;
  }
  const auto& d = std::get<DetectSpec>(spec.postprocess);
  p->detect_ = &d;
  const std::string field = label + ": spec.postprocess.detect";
  int64_t anchors_in_outputs = 0;
  int64_t classes = -1;
  for (const auto& name : d.score_outputs) {
    int o = model.find_output(name);
    if (o < 0) return InvalidArgument(fmt::format("{}.scores: \"{}\" is not a declared output", field, name));
    const TensorInfo& info = model.output_info(o);
    if (info.shape.size() != 3 || info.shape[1] < 0 || info.shape[2] < 0) {
      return InvalidArgument(fmt::format("{}.scores: output \"{}\" is {}, expected a static [1, anchors, classes]", field,
                                         name, shape_to_string(info.shape)));
    }
    if (classes >= 0 && classes != info.shape[2]) {
      return InvalidArgument(fmt::format("{}.scores: outputs disagree on the number of classes ({} vs {})", field, classes,
                                         info.shape[2]));
    }
    classes = info.shape[2];
    anchors_in_outputs += info.shape[1];
    p->score_outputs_.push_back(o);
  }
  int64_t anchors_in_boxes = 0;
  for (const auto& name : d.box_outputs) {
    int o = model.find_output(name);
    if (o < 0) return InvalidArgument(fmt::format("{}.boxes: \"{}\" is not a declared output", field, name));
    const TensorInfo& info = model.output_info(o);
    if (info.shape.size() != 3 || info.shape[1] < 0 || info.shape[2] != d.box.num_coords) {
      return InvalidArgument(fmt::format("{}.boxes: output \"{}\" is {}, expected [1, anchors, {}] (box.coords)", field, name,
                                         shape_to_string(info.shape), d.box.num_coords));
    }
    anchors_in_boxes += info.shape[1];
    p->box_outputs_.push_back(o);
  }
  if (anchors_in_boxes != anchors_in_outputs) {
    return InvalidArgument(fmt::format("{}: score outputs cover {} anchors but box outputs cover {}", field,
                                       anchors_in_outputs, anchors_in_boxes));
  }
  AnchorSpec anchors = d.anchors;
  const InputSpec& data = spec.inputs[static_cast<size_t>(model.data_input())];
  const auto* image = std::get_if<ImageInputSpec>(&data.source);
  if (!image) return InvalidArgument(fmt::format("{}: detection needs an image input", field));
  if (anchors.input_width == 0) anchors.input_width = image->width;
  if (anchors.input_height == 0) anchors.input_height = image->height;
  auto generated = generate_ssd_anchors(anchors);
  if (!generated.ok()) return generated.status().with_context(field + ".anchors");
  if (static_cast<int64_t>(generated->size()) != anchors_in_outputs) {
    return InvalidArgument(fmt::format("{}.anchors: the parameters give {} anchors but the model's outputs have {}", field,
                                       generated->size(), anchors_in_outputs));
  }
  auto labels = labels_for(d.labels, d.labels_file);
  if (!labels.ok()) return labels.status().with_context(field + ".labelsFile");
  p->labels_ = std::move(labels).value();
  if (static_cast<int64_t>(p->labels_.size()) != classes) {
    return InvalidArgument(fmt::format("{}.labels: {} labels{} for {} classes in the model's output", field,
                                       p->labels_.size(), d.labels_file.empty() ? "" : " in " + d.labels_file, classes));
  }
  auto decoder = DetectionDecoder::create(d, std::move(generated).value(), static_cast<int>(classes));
  if (!decoder.ok()) return decoder.status().with_context(field);
  p->decoder_.emplace(std::move(decoder).value());
  return p;
}

Status Postprocessor::ensure_classifier(int num_classes) {
  if (classifier_) return Status::Ok();
  ClassifySpec spec = *classify_;
  spec.labels = labels_;
  auto c = Classifier::create(spec, num_classes);
  if (!c.ok()) return c.status();
  classifier_.emplace(std::move(c).value());
  return Status::Ok();
}

Result<bool> Postprocessor::process(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                                    Prediction* prediction) {
  if (classify_) {
    const Tensor& t = outputs.at(static_cast<size_t>(classify_output_));
    if (t.dtype() != DType::kFloat32) return InvalidArgument("classify needs a float32 output");
    int classes = t.shape().empty() ? 1 : static_cast<int>(t.shape().back());
    SENSIX_RETURN_IF_ERROR(ensure_classifier(classes));
    if (t.size() != classes) {
      return InvalidArgument(fmt::format("output \"{}\" holds {} values, expected one row of {} classes",
                                         classify_->output, t.size(), classes));
    }
    SENSIX_ASSIGN_OR_RETURN(auto fired, classifier_->process(t.values<float>()));
    if (!fired) return false;
    prediction->kind = PredictionKind::kClassification;
    prediction->labels = std::move(*fired);
    return true;
  }
  scores_buf_.clear();
  boxes_buf_.clear();
  for (int o : score_outputs_) {
    auto v = outputs.at(static_cast<size_t>(o)).values<float>();
    scores_buf_.insert(scores_buf_.end(), v.begin(), v.end());
  }
  for (int o : box_outputs_) {
    auto v = outputs.at(static_cast<size_t>(o)).values<float>();
    boxes_buf_.insert(boxes_buf_.end(), v.begin(), v.end());
  }
  SENSIX_ASSIGN_OR_RETURN(auto raw, decoder_->decode(boxes_buf_, scores_buf_));
  if (raw.empty()) return false;
  prediction->kind = PredictionKind::kDetection;
  prediction->detections.clear();
  for (const RawDetection& r : raw) {
    Detection d;
    d.class_index = r.class_index;
    d.label = labels_.at(static_cast<size_t>(r.class_index));
    d.score = r.score;
    float x0 = r.xmin, y0 = r.ymin, x1 = r.xmax, y1 = r.ymax;
    if (geometry) {
      // Under a rotation the corners map to other corners of the source box: take the extent
      // of the mapped corners.
      float ax = 0, ay = 0, bx = 0, by = 0;
      geometry->to_source(r.xmin, r.ymin, &ax, &ay);
      geometry->to_source(r.xmax, r.ymax, &bx, &by);
      x0 = std::min(ax, bx);
      x1 = std::max(ax, bx);
      y0 = std::min(ay, by);
      y1 = std::max(ay, by);
    }
    d.x = x0;
    d.y = y0;
    d.w = x1 - x0;
    d.h = y1 - y0;
    for (const auto& kp : r.keypoints) {
      float x = kp[0], y = kp[1];
      if (geometry) geometry->to_source(kp[0], kp[1], &x, &y);
      d.keypoints.push_back({x, y});
    }
    prediction->detections.push_back(std::move(d));
  }
  return true;
}

}  // namespace sensix
