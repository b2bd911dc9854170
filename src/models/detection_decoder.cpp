#include "models/detection_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/activation.h"

namespace sensix {
namespace {

bool positive_finite(float v) { return std::isfinite(v) && v > 0.0f; }

Status validate(const DetectSpec& spec, size_t num_anchors, int num_classes) {
  if (num_anchors == 0) return InvalidArgument("anchors: the parameters give no anchors");
  if (num_anchors > kMaxAnchors) {
    return InvalidArgument(fmt::format("anchors: {} anchors, at most {} are supported", num_anchors, kMaxAnchors));
  }
  if (num_classes < 1) return InvalidArgument(fmt::format("the score outputs have {} class columns", num_classes));
  const BoxCodingSpec& b = spec.box;
  if (b.num_keypoints < 0 || b.num_keypoints > 1024) {
    return InvalidArgument(fmt::format("box.keypoints must be 0..1024, got {}", b.num_keypoints));
  }
  const int needed = 4 + 2 * b.num_keypoints;
  if (b.num_coords < needed || b.num_coords > 4096) {
    return InvalidArgument(fmt::format("box.coords is {} but the box and {} keypoints need at least {} values",
                                       b.num_coords, b.num_keypoints, needed));
  }
  if (!positive_finite(b.x_scale) || !positive_finite(b.y_scale) || !positive_finite(b.w_scale) ||
      !positive_finite(b.h_scale)) {
    return InvalidArgument(fmt::format("box.scale must be 4 positive numbers, got [{}, {}, {}, {}]", b.x_scale,
                                       b.y_scale, b.w_scale, b.h_scale));
  }
  if (!std::isfinite(spec.score_clip) || spec.score_clip < 0.0f) {
    return InvalidArgument(fmt::format("scoreClip must be >= 0 (0 = off), got {}", spec.score_clip));
  }
  if (!std::isfinite(spec.min_score))
    return InvalidArgument(fmt::format("minScore must be a number, got {}", spec.min_score));
  if (spec.score_activation != Activation::kNone && (spec.min_score < 0.0f || spec.min_score > 1.0f)) {
    return InvalidArgument(fmt::format("minScore must be in [0, 1] with {} scores, got {}",
                                       activation_name(spec.score_activation), spec.min_score));
  }
  if (!std::isfinite(spec.nms_iou) || spec.nms_iou < 0.0f || spec.nms_iou > 1.0f) {
    return InvalidArgument(fmt::format("nms.iou must be in [0, 1], got {}", spec.nms_iou));
  }
  if (spec.max_detections < 1) {
    return InvalidArgument(fmt::format("nms.maxDetections must be >= 1, got {}", spec.max_detections));
  }
  for (size_t i = 0; i < spec.ignore_classes.size(); ++i) {
    int c = spec.ignore_classes[i];
    if (c < 0 || c >= num_classes) {
      return InvalidArgument(fmt::format("ignoreClasses[{}] = {} is not a class column (the scores have {}: 0..{})", i,
                                         c, num_classes, num_classes - 1));
    }
  }
  return Status::Ok();
}

}  // namespace

DetectionDecoder::DetectionDecoder(DetectSpec spec, std::vector<Anchor> anchors, int num_classes)
    : spec_(std::move(spec)), anchors_(std::move(anchors)), num_classes_(num_classes) {
  allowed_.assign(static_cast<size_t>(num_classes_), 1);
  for (int c : spec_.ignore_classes) allowed_[static_cast<size_t>(c)] = 0;
}

Result<DetectionDecoder> DetectionDecoder::create(const DetectSpec& spec, std::vector<Anchor> anchors,
                                                  int num_classes) {
  SENSIX_RETURN_IF_ERROR(validate(spec, anchors.size(), num_classes));
  DetectionDecoder d(spec, std::move(anchors), num_classes);
  if (std::find(d.allowed_.begin(), d.allowed_.end(), 1) == d.allowed_.end()) {
    return InvalidArgument(fmt::format("ignoreClasses ignores all {} class columns", num_classes));
  }
  return d;
}

bool DetectionDecoder::best_class(const float* scores, float* best_score, int* best_index) const {
  const float clip = spec_.score_clip;
  auto clipped = [clip](float v) { return clip > 0.0f ? std::clamp(v, -clip, clip) : v; };
  for (int c = 0; c < num_classes_; ++c) {
    if (!std::isfinite(scores[c])) return false;
  }
  float softmax_max = 0.0f, softmax_sum = 0.0f;
  if (spec_.score_activation == Activation::kSoftmax) {
    softmax_max = -std::numeric_limits<float>::infinity();
    for (int c = 0; c < num_classes_; ++c) softmax_max = std::max(softmax_max, clipped(scores[c]));
    for (int c = 0; c < num_classes_; ++c) softmax_sum += std::exp(clipped(scores[c]) - softmax_max);
  }
  float best = -std::numeric_limits<float>::infinity();
  int index = -1;
  for (int c = 0; c < num_classes_; ++c) {
    if (!allowed_[static_cast<size_t>(c)]) continue;
    float v = clipped(scores[c]);
    switch (spec_.score_activation) {
      case Activation::kSigmoid: v = sigmoid(v); break;
      case Activation::kSoftmax: v = std::exp(v - softmax_max) / softmax_sum; break;
      case Activation::kNone: break;
    }
    if (index < 0 || best < v) {
      best = v;
      index = c;
    }
  }
  *best_score = best;
  *best_index = index;
  return true;
}

Result<std::vector<RawDetection>> DetectionDecoder::decode(std::span<const float> raw_boxes,
                                                           std::span<const float> raw_scores, int* non_finite) const {
  const size_t n = anchors_.size();
  const size_t coords = static_cast<size_t>(spec_.box.num_coords);
  const size_t classes = static_cast<size_t>(num_classes_);
  if (raw_boxes.size() != n * coords) {
    return InvalidArgument(fmt::format("box outputs hold {} values, expected {} anchors x {} coords = {}",
                                       raw_boxes.size(), n, coords, n * coords));
  }
  if (raw_scores.size() != n * classes) {
    return InvalidArgument(fmt::format("score outputs hold {} values, expected {} anchors x {} classes = {}",
                                       raw_scores.size(), n, classes, n * classes));
  }
  const BoxCodingSpec& b = spec_.box;
  const bool yx = b.format == BoxFormat::kYxhw;
  int bad = 0;
  std::vector<RawDetection> candidates;
  for (size_t i = 0; i < n; ++i) {
    float score = 0.0f;
    int cls = -1;
    if (!best_class(raw_scores.data() + i * classes, &score, &cls)) {
      ++bad;
      continue;
    }
    if (!(score >= spec_.min_score)) continue;

    const float* r = raw_boxes.data() + i * coords;
    const Anchor& a = anchors_[i];
    float x = yx ? r[1] : r[0];
    float y = yx ? r[0] : r[1];
    float w = yx ? r[3] : r[2];
    float h = yx ? r[2] : r[3];
    const float x_center = x / b.x_scale * a.w + a.x_center;
    const float y_center = y / b.y_scale * a.h + a.y_center;
    if (b.exp_size) {
      h = std::exp(h / b.h_scale) * a.h;
      w = std::exp(w / b.w_scale) * a.w;
    } else {
      h = h / b.h_scale * a.h;
      w = w / b.w_scale * a.w;
    }
    RawDetection d;
    d.ymin = y_center - h / 2.f;
    d.xmin = x_center - w / 2.f;
    d.ymax = y_center + h / 2.f;
    d.xmax = x_center + w / 2.f;
    d.score = score;
    d.class_index = cls;
    bool finite = std::isfinite(d.xmin) && std::isfinite(d.ymin) && std::isfinite(d.xmax) && std::isfinite(d.ymax);
    d.keypoints.reserve(static_cast<size_t>(b.num_keypoints));
    for (int k = 0; k < b.num_keypoints && finite; ++k) {
      const float* kp = r + 4 + 2 * k;
      const float kx = yx ? kp[1] : kp[0];
      const float ky = yx ? kp[0] : kp[1];
      std::array<float, 2> p = {kx / b.x_scale * a.w + a.x_center, ky / b.y_scale * a.h + a.y_center};
      finite = std::isfinite(p[0]) && std::isfinite(p[1]);
      d.keypoints.push_back(p);
    }
    if (!finite) {
      ++bad;
      continue;
    }
    // MediaPipe drops boxes with a negative extent (b/171391719).
    if (d.xmax - d.xmin < 0.0f || d.ymax - d.ymin < 0.0f) continue;
    candidates.push_back(std::move(d));
  }
  if (non_finite) *non_finite = bad;
  return non_max_suppression(std::move(candidates), spec_.nms_iou, spec_.max_detections);
}

float intersection_over_union(const RawDetection& a, const RawDetection& b) {
  for (float v : {a.xmin, a.ymin, a.xmax, a.ymax, b.xmin, b.ymin, b.xmax, b.ymax}) {
    if (std::isnan(v)) return 0.0f;
  }
  const float iw = std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin);
  const float ih = std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin);
  const float inter = (iw > 0.0f && ih > 0.0f) ? iw * ih : 0.0f;
  const float area_a = std::max(0.0f, a.xmax - a.xmin) * std::max(0.0f, a.ymax - a.ymin);
  const float area_b = std::max(0.0f, b.xmax - b.xmin) * std::max(0.0f, b.ymax - b.ymin);
  const float uni = area_a + area_b - inter;
  return uni > 0.0f ? inter / uni : 0.0f;
}

std::vector<RawDetection> non_max_suppression(std::vector<RawDetection> dets, float iou_threshold, int max_detections) {
  std::vector<RawDetection> kept;
  if (max_detections == 0) return kept;
  const size_t limit = max_detections < 0 ? dets.size() : static_cast<size_t>(max_detections);
  std::vector<size_t> order;
  order.reserve(dets.size());
  for (size_t i = 0; i < dets.size(); ++i) {
    if (!std::isnan(dets[i].score)) order.push_back(i);  // NaN has no place in a score order
  }
  std::stable_sort(order.begin(), order.end(), [&dets](size_t l, size_t r) { return dets[l].score > dets[r].score; });
  kept.reserve(std::min(limit, order.size()));
  for (size_t i : order) {
    if (kept.size() >= limit) break;
    const RawDetection& d = dets[i];
    bool suppressed = false;
    for (const RawDetection& k : kept) {
      if (k.class_index == d.class_index && intersection_over_union(k, d) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(std::move(dets[i]));
  }
  return kept;
}

}  // namespace sensix
