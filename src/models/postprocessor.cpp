#include "models/postprocessor.h"

#include <algorithm>
#include <cmath>
#include <span>

#include <fmt/format.h>

#include "models/anchors.h"

namespace sensix {
namespace {

Result<std::vector<std::string>> labels_for(const std::vector<std::string>& inline_labels, const std::string& file) {
  if (!file.empty()) return read_labels_file(file);
  return inline_labels;
}

int64_t last_dim(const TensorInfo& info) { return info.shape.empty() ? 1 : info.shape.back(); }

// The element count of a static shape, or -1 when a dimension is dynamic.
int64_t static_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

const ImageInputSpec* image_input(const ModelInstance& model) {
  if (model.data_input() < 0) return nullptr;
  return std::get_if<ImageInputSpec>(&model.spec().inputs[static_cast<size_t>(model.data_input())].source);
}

// `width` x `height` as declared, else the image input's size.
Status input_size(const ModelInstance& model, const std::string& field, int* width, int* height) {
  if (*width > 0 && *height > 0) return Status::Ok();
  const ImageInputSpec* image = image_input(model);
  if (!image) return InvalidArgument(fmt::format("{}.inputSize: required when the model has no image input", field));
  *width = image->width;
  *height = image->height;
  return Status::Ok();
}

Result<std::span<const float>> float_values(const Tensor& t, const std::string& name) {
  if (t.dtype() != DType::kFloat32) return InvalidArgument(fmt::format("output \"{}\" is not float32", name));
  return t.values<float>();
}

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
  if (const auto* l = std::get_if<LandmarksSpec>(&spec.postprocess)) {
    Status s = create_landmarks(model, *l, p.get());
    if (!s.ok()) return s;
    return p;
  }
  if (const auto* t = std::get_if<TextRegionsSpec>(&spec.postprocess)) {
    const std::string field = label + ": spec.postprocess.textRegions";
    p->main_output_ = model.find_output(t->output);
    if (p->main_output_ < 0) return InvalidArgument(fmt::format("{}.output: \"{}\" is not a declared output", field, t->output));
    const Shape& shape = model.output_info(p->main_output_).shape;
    if (shape.size() != 4 || (shape[0] > 1) || (shape[1] > 1)) {
      return InvalidArgument(fmt::format("{}.output: output \"{}\" is {}, expected a probability map [1, 1, H, W]", field,
                                         t->output, shape_to_string(shape)));
    }
    auto decoder = TextRegionDecoder::create(*t);
    if (!decoder.ok()) return decoder.status().with_context(field);
    p->text_regions_.emplace(std::move(decoder).value());
    return p;
  }
  if (const auto* c = std::get_if<CtcSpec>(&spec.postprocess)) {
    const std::string field = label + ": spec.postprocess.ctc";
    p->ctc_spec_ = c;
    p->main_output_ = model.find_output(c->output);
    if (p->main_output_ < 0) return InvalidArgument(fmt::format("{}.output: \"{}\" is not a declared output", field, c->output));
    if (!c->dictionary_file.empty()) {
      auto dict = read_dictionary_file(c->dictionary_file);
      if (!dict.ok()) return dict.status().with_context(field + ".dictionaryFile");
      p->dictionary_ = std::move(dict).value();
    } else {
      p->dictionary_ = c->dictionary;
    }
    const int64_t classes = last_dim(model.output_info(p->main_output_));
    if (classes > 0) {
      auto decoder = CtcDecoder::create(*c, p->dictionary_, static_cast<int>(classes));
      if (!decoder.ok()) return decoder.status().with_context(field);
      p->ctc_.emplace(std::move(decoder).value());
    }
    return p;
  }
  if (const auto* l = std::get_if<LinesSpec>(&spec.postprocess)) {
    Status s = create_lines(model, *l, p.get());
    if (!s.ok()) return s;
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

Status Postprocessor::create_landmarks(const ModelInstance& model, const LandmarksSpec& l, Postprocessor* p) {
  const std::string field = doc_label(model.doc()) + ": spec.postprocess.landmarks";
  p->main_output_ = model.find_output(l.output);
  if (p->main_output_ < 0) return InvalidArgument(fmt::format("{}.output: \"{}\" is not a declared output", field, l.output));
  if (!l.presence_output.empty()) {
    p->second_output_ = model.find_output(l.presence_output);
    if (p->second_output_ < 0) {
      return InvalidArgument(fmt::format("{}.presence.output: \"{}\" is not a declared output", field, l.presence_output));
    }
    const int64_t n = static_count(model.output_info(p->second_output_).shape);
    if (n >= 0 && n != 1) {
      return InvalidArgument(fmt::format("{}.presence.output: output \"{}\" is {}, expected one value", field,
                                         l.presence_output, shape_to_string(model.output_info(p->second_output_).shape)));
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
  auto decoder = LandmarkDecoder::create(l, static_count(model.output_info(p->main_output_).shape), width, height,
                                         std::move(names));
  if (!decoder.ok()) return decoder.status().with_context(field);
  p->landmarks_.emplace(std::move(decoder).value());
  return Status::Ok();
}

Status Postprocessor::create_lines(const ModelInstance& model, const LinesSpec& l, Postprocessor* p) {
  const std::string field = doc_label(model.doc()) + ": spec.postprocess.lines";
  p->main_output_ = model.find_output(l.scores_output);
  if (p->main_output_ < 0) {
    return InvalidArgument(fmt::format("{}.scores: \"{}\" is not a declared output", field, l.scores_output));
  }
  p->second_output_ = model.find_output(l.offsets_output);
  if (p->second_output_ < 0) {
    return InvalidArgument(fmt::format("{}.offsets: \"{}\" is not a declared output", field, l.offsets_output));
  }
  const Shape& scores = model.output_info(p->main_output_).shape;
  const Shape& offsets = model.output_info(p->second_output_).shape;
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
  p->lines_.emplace(std::move(decoder).value());
  return Status::Ok();
}

Result<bool> Postprocessor::process_landmarks(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                                              Prediction* prediction) {
  const std::string& name = model_->spec().outputs[static_cast<size_t>(main_output_)].name;
  SENSIX_ASSIGN_OR_RETURN(auto values, float_values(outputs.at(static_cast<size_t>(main_output_)), name));
  std::optional<float> presence;
  if (second_output_ >= 0) {
    const Tensor& t = outputs.at(static_cast<size_t>(second_output_));
    const std::string& pname = model_->spec().outputs[static_cast<size_t>(second_output_)].name;
    SENSIX_ASSIGN_OR_RETURN(auto pv, float_values(t, pname));
    if (pv.size() != 1) return InvalidArgument(fmt::format("output \"{}\" holds {} values, expected one", pname, pv.size()));
    presence = pv[0];
  }
  SENSIX_ASSIGN_OR_RETURN(auto result, landmarks_->decode(values, presence, geometry));
  if (!result) return false;
  prediction->kind = PredictionKind::kLandmarks;
  prediction->score = result->score;
  prediction->landmarks = std::move(result->points);
  return true;
}

Result<bool> Postprocessor::process_text_regions(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                                                 Prediction* prediction) {
  const Tensor& t = outputs.at(static_cast<size_t>(main_output_));
  const std::string& name = model_->spec().outputs[static_cast<size_t>(main_output_)].name;
  SENSIX_ASSIGN_OR_RETURN(auto values, float_values(t, name));
  const Shape& shape = t.shape();
  if (shape.size() < 2) {
    return InvalidArgument(fmt::format("output \"{}\" is {}, expected [1, 1, H, W]", name, shape_to_string(shape)));
  }
  const int h = static_cast<int>(shape[shape.size() - 2]), w = static_cast<int>(shape.back());
  SENSIX_ASSIGN_OR_RETURN(auto regions, text_regions_->decode(values, h, w, geometry));
  if (regions.empty()) return false;
  prediction->kind = PredictionKind::kDetection;
  prediction->detections = std::move(regions);
  return true;
}

Result<bool> Postprocessor::process_ctc(const std::vector<Tensor>& outputs, Prediction* prediction) {
  const Tensor& t = outputs.at(static_cast<size_t>(main_output_));
  SENSIX_ASSIGN_OR_RETURN(auto values, float_values(t, ctc_spec_->output));
  if (!ctc_) {
    const int classes = t.shape().empty() ? 1 : static_cast<int>(t.shape().back());
    SENSIX_ASSIGN_OR_RETURN(auto decoder, CtcDecoder::create(*ctc_spec_, dictionary_, classes));
    ctc_.emplace(std::move(decoder));
  }
  SENSIX_ASSIGN_OR_RETURN(auto result, ctc_->decode(values));
  if (!result) return false;
  prediction->kind = PredictionKind::kText;
  prediction->text = std::move(result->text);
  prediction->score = result->confidence;
  return true;
}

Result<bool> Postprocessor::process_lines(const std::vector<Tensor>& outputs, const ImageGeometry* geometry,
                                          Prediction* prediction) {
  const auto& outs = model_->spec().outputs;
  SENSIX_ASSIGN_OR_RETURN(auto scores, float_values(outputs.at(static_cast<size_t>(main_output_)),
                                                    outs[static_cast<size_t>(main_output_)].name));
  SENSIX_ASSIGN_OR_RETURN(auto offsets, float_values(outputs.at(static_cast<size_t>(second_output_)),
                                                     outs[static_cast<size_t>(second_output_)].name));
  SENSIX_ASSIGN_OR_RETURN(auto segments, lines_->decode(scores, offsets, geometry));
  if (segments.empty()) return false;
  prediction->kind = PredictionKind::kLines;
  prediction->segments = std::move(segments);
  return true;
}

std::optional<std::vector<LabelScore>> Postprocessor::present_labels() const {
  if (!classify_) return std::nullopt;
  std::vector<LabelScore> out;
  if (!classifier_) return out;
  const auto& scores = classifier_->last_scores();
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] < classify_->threshold || classifier_->ignored(static_cast<int>(i))) continue;
    out.push_back({i < labels_.size() ? labels_[i] : std::to_string(i), static_cast<int>(i), scores[i]});
  }
  std::stable_sort(out.begin(), out.end(), [](const LabelScore& a, const LabelScore& b) { return a.score > b.score; });
  return out;
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
  if (landmarks_) return process_landmarks(outputs, geometry, prediction);
  if (text_regions_) return process_text_regions(outputs, geometry, prediction);
  if (ctc_spec_) return process_ctc(outputs, prediction);
  if (lines_) return process_lines(outputs, geometry, prediction);
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
