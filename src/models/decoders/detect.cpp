#include "models/decoders/detect.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "models/anchors.h"

namespace sensix::decoders {
namespace {

// Whether outputs of these anchor counts, concatenated in this order, cover the anchor grids in
// theirs: each output a whole number of consecutive grids.
bool follows_grids(const std::vector<int64_t>& counts, const std::vector<AnchorGrid>& grids) {
  size_t g = 0;
  for (int64_t c : counts) {
    int64_t covered = 0;
    while (covered < c && g < grids.size()) covered += grids[g++].anchors;
    if (covered != c) return false;
  }
  return g == grids.size();
}

// With several outputs of one kind (`key`: "scores" or "boxes"), their order must be the anchor
// grids' (BlazeFace lists stride 8 then stride 16): swapped, every box would sit on another
// anchor. The error lists the grids and, when one exists, the order that fits.
Status check_output_order(const std::string& field, std::string_view key, const std::vector<std::string>& names,
                          const std::vector<int64_t>& counts, const std::vector<AnchorGrid>& grids) {
  if (names.size() < 2 || follows_grids(counts, grids)) return Status::Ok();
  std::string layers;
  for (const AnchorGrid& g : grids) {
    layers += layers.empty() ? fmt::format("{} anchors at stride {}", g.anchors, g.stride)
                             : fmt::format(", then {} at stride {}", g.anchors, g.stride);
  }
  std::string given;
  for (size_t i = 0; i < names.size(); ++i) {
    given += i == 0 ? fmt::format("\"{}\" has {}", names[i], counts[i])
                    : fmt::format(", \"{}\" {}", names[i], counts[i]);
  }
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::string fix;
  do {
    std::vector<int64_t> c;
    for (size_t i : order) c.push_back(counts[i]);
    if (follows_grids(c, grids)) {
      for (size_t i : order) fix += fmt::format("{}\"{}\"", fix.empty() ? "" : ", ", names[i]);
      break;
    }
  } while (names.size() <= 8 && std::next_permutation(order.begin(), order.end()));
  return InvalidArgument(fmt::format("{}.{}: the outputs must follow the anchor layers' order ({}), but {}{}", field,
                                     key, layers, given, fix.empty() ? "" : fmt::format(": list them as [{}]", fix)));
}

}  // namespace

Result<std::unique_ptr<Decoder>> Detect::create(const ModelInstance& model, const DetectSpec& d) {
  const std::string field = postprocess_field(model, "detect");
  std::vector<int> score_outputs, box_outputs;
  std::vector<int64_t> score_counts, box_counts;  // anchors per output, as listed
  int64_t anchors_in_outputs = 0;
  int64_t classes = -1;
  for (const auto& name : d.score_outputs) {
    SENSIX_ASSIGN_OR_RETURN(OutputRef o, declared_output(model, field + ".scores", name));
    const TensorInfo& info = model.output_info(o.index);
    if (info.shape.size() != 3 || info.shape[1] < 0 || info.shape[2] < 0) {
      return InvalidArgument(fmt::format("{}.scores: output \"{}\" is {}, expected a static [1, anchors, classes]",
                                         field, name, shape_to_string(info.shape)));
    }
    if (classes >= 0 && classes != info.shape[2]) {
      return InvalidArgument(fmt::format("{}.scores: outputs disagree on the number of classes ({} vs {})", field,
                                         classes, info.shape[2]));
    }
    classes = info.shape[2];
    anchors_in_outputs += info.shape[1];
    score_counts.push_back(info.shape[1]);
    score_outputs.push_back(o.index);
  }
  int64_t anchors_in_boxes = 0;
  for (const auto& name : d.box_outputs) {
    SENSIX_ASSIGN_OR_RETURN(OutputRef o, declared_output(model, field + ".boxes", name));
    const TensorInfo& info = model.output_info(o.index);
    if (info.shape.size() != 3 || info.shape[1] < 0 || info.shape[2] != d.box.num_coords) {
      return InvalidArgument(fmt::format("{}.boxes: output \"{}\" is {}, expected [1, anchors, {}] (box.coords)", field,
                                         name, shape_to_string(info.shape), d.box.num_coords));
    }
    anchors_in_boxes += info.shape[1];
    box_counts.push_back(info.shape[1]);
    box_outputs.push_back(o.index);
  }
  if (anchors_in_boxes != anchors_in_outputs) {
    return InvalidArgument(fmt::format("{}: score outputs cover {} anchors but box outputs cover {}", field,
                                       anchors_in_outputs, anchors_in_boxes));
  }
  AnchorSpec anchors = d.anchors;
  const InputSpec& data = model.spec().inputs[static_cast<size_t>(model.data_input())];
  const auto* image = std::get_if<ImageInputSpec>(&data.source);
  if (!image) return InvalidArgument(fmt::format("{}: detection needs an image input", field));
  if (anchors.input_width == 0) anchors.input_width = image->width;
  if (anchors.input_height == 0) anchors.input_height = image->height;
  auto generated = generate_ssd_anchors(anchors);
  if (!generated.ok()) return generated.status().with_context(field + ".anchors");
  if (static_cast<int64_t>(generated->size()) != anchors_in_outputs) {
    return InvalidArgument(fmt::format("{}.anchors: the parameters give {} anchors but the model's outputs have {}",
                                       field, generated->size(), anchors_in_outputs));
  }
  SENSIX_ASSIGN_OR_RETURN(std::vector<AnchorGrid> grids, ssd_anchor_grids(anchors));
  SENSIX_RETURN_IF_ERROR(check_output_order(field, "scores", d.score_outputs, score_counts, grids));
  SENSIX_RETURN_IF_ERROR(check_output_order(field, "boxes", d.box_outputs, box_counts, grids));
  auto labels = labels_for(d.labels, d.labels_file);
  if (!labels.ok()) return labels.status().with_context(field + ".labelsFile");
  if (static_cast<int64_t>(labels->size()) != classes) {
    return InvalidArgument(fmt::format("{}.labels: {} labels{} for {} classes in the model's output", field,
                                       labels->size(), d.labels_file.empty() ? "" : " in " + d.labels_file, classes));
  }
  auto decoder = DetectionDecoder::create(d, std::move(generated).value(), static_cast<int>(classes));
  if (!decoder.ok()) return decoder.status().with_context(field);
  return std::unique_ptr<Decoder>(new Detect(std::move(decoder).value(), std::move(score_outputs),
                                             std::move(box_outputs), std::move(labels).value()));
}

Result<bool> Detect::decode(const std::vector<Tensor>& outputs, const ImageGeometry* geometry, Prediction* prediction) {
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
  SENSIX_ASSIGN_OR_RETURN(auto raw, decoder_.decode(boxes_buf_, scores_buf_));
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

}  // namespace sensix::decoders
