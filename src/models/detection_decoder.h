// Decodes anchor-based detector outputs into boxes (MediaPipe TensorsToDetectionsCalculator
// semantics, CPU path), then non-maximum suppression. Boxes and keypoints come out in
// normalised model-input coordinates; the model instance maps them to the source frame with
// ImageGeometry.
//
// Decoding, per anchor i (a = anchors[i]; values read in x,y,w,h order for xywh, y,x,h,w
// for yxhw):
//   x_center = x / x_scale * a.w + a.x_center        y_center = y / y_scale * a.h + a.y_center
//   w = exp(w / w_scale) * a.w   (exp_size)          h = exp(h / h_scale) * a.h   (exp_size)
//   w = w / w_scale * a.w        (otherwise)         h = h / h_scale * a.h        (otherwise)
//   keypoint k (after the 4 box values, same x/y order): like the centre.
// Boxes are not clamped to [0, 1] (MediaPipe does not clamp either); boxes with a negative
// width or height are dropped, as MediaPipe does.
//
// Scores: raw scores are clipped to [-score_clip, score_clip] when score_clip > 0, then
// activated (sigmoid per class; softmax over all class columns, ignored ones included; or
// none). The best class not in ignore_classes is taken (the first on ties); anchors whose
// score is below min_score are dropped (a score equal to min_score is kept).
//
// Thread-safety: a DetectionDecoder is immutable after create(); decode() is const and may
// run on several threads at once.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "models/anchors.h"
#include "spec/spec.h"

namespace sensix {

struct RawDetection {
  float xmin = 0, ymin = 0, xmax = 0, ymax = 0;  // normalised model-input coordinates
  float score = 0;
  int class_index = 0;
  std::vector<std::array<float, 2>> keypoints;  // (x, y), normalised model-input coordinates
};

class DetectionDecoder {
 public:
  // Checks the decoding parameters against `anchors` and `num_classes` (the class columns of
  // the score tensor): box scales non-zero, coords >= 4 + 2 * keypoints, ignore_classes in
  // range and not all classes ignored, min_score and nms.iou in [0, 1], max_detections >= 1.
  // Labels are not checked here (the caller matches them to num_classes).
  static Result<DetectionDecoder> create(const DetectSpec& spec, std::vector<Anchor> anchors, int num_classes);

  // raw_boxes: num_anchors x num_coords, raw_scores: num_anchors x num_classes (both row-major,
  // already concatenated across the declared outputs). Returns detections with score >=
  // min_score after NMS, best first, at most max_detections. Per anchor, the best class not in
  // ignore_classes is taken. Anchors with a NaN/Inf raw score, or (among those over min_score)
  // a NaN/Inf raw or decoded box value, are skipped and counted in *non_finite (if given; set,
  // not added to). InvalidArgument when a span's size does not match.
  Result<std::vector<RawDetection>> decode(std::span<const float> raw_boxes, std::span<const float> raw_scores,
                                           int* non_finite = nullptr) const;

  size_t num_anchors() const { return anchors_.size(); }
  int num_classes() const { return num_classes_; }

 private:
  DetectionDecoder(DetectSpec spec, std::vector<Anchor> anchors, int num_classes);
  // Best allowed class of one anchor's scores; false when a score is not finite.
  bool best_class(const float* scores, float* best_score, int* best_index) const;

  DetectSpec spec_;
  std::vector<Anchor> anchors_;
  int num_classes_;
  std::vector<char> allowed_;  // per class column: 1 unless in ignore_classes
};

// Greedy IoU non-maximum suppression among detections of the same class: in descending score
// order (stable: equal scores keep their input order), a detection is dropped when its IoU
// with an already kept detection of its class is greater than `iou_threshold` (strictly, as
// MediaPipe). Keeps at most `max_detections` (negative: no limit; 0: none), best first.
std::vector<RawDetection> non_max_suppression(std::vector<RawDetection> dets, float iou_threshold, int max_detections);

// Intersection over union of two boxes; 0 when the union has no area (zero-area boxes,
// disjoint or touching boxes). Negative extents count as zero.
float intersection_over_union(const RawDetection& a, const RawDetection& b);

}  // namespace sensix
