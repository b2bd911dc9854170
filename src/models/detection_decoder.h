// Decodes anchor-based detector outputs into boxes (MediaPipe TensorsToDetections semantics),
// then non-maximum suppression. Boxes and keypoints come out in normalised model-input
// coordinates; the model instance maps them to the source frame with ImageGeometry.
//
// Thread-safety: a DetectionDecoder is immutable after create(); decode() is const.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "docs/spec.h"
#include "models/anchors.h"

namespace sensix {

struct RawDetection {
  float xmin = 0, ymin = 0, xmax = 0, ymax = 0;  // normalised model-input coordinates
  float score = 0;
  int class_index = 0;
  std::vector<std::array<float, 2>> keypoints;   // normalised model-input coordinates
};

class DetectionDecoder {
 public:
  // `labels` has one entry per class column (already read from labels_file if given).
  static Result<DetectionDecoder> create(const DetectSpec& spec, std::vector<Anchor> anchors,
                                         int num_classes);

  // raw_boxes: num_anchors x num_coords, raw_scores: num_anchors x num_classes (both row-major,
  // already concatenated across the declared outputs). Returns detections over min_score
  // after NMS, best first, at most max_detections. Per anchor, the best class not in
  // ignore_classes is taken. NaN/Inf values are skipped and counted in *non_finite (if given).
  Result<std::vector<RawDetection>> decode(std::span<const float> raw_boxes,
                                           std::span<const float> raw_scores,
                                           int* non_finite = nullptr) const;

  size_t num_anchors() const { return anchors_.size(); }
  int num_classes() const { return num_classes_; }

 private:
  DetectionDecoder(DetectSpec spec, std::vector<Anchor> anchors, int num_classes);
  DetectSpec spec_;
  std::vector<Anchor> anchors_;
  int num_classes_;
};

// Greedy IoU non-maximum suppression over detections of the same class; keeps at most
// `max_detections`, best first.
std::vector<RawDetection> non_max_suppression(std::vector<RawDetection> dets, float iou_threshold,
                                              int max_detections);

float intersection_over_union(const RawDetection& a, const RawDetection& b);

}  // namespace sensix
