// Prediction: what a model instance reports after post-processing, in the source frame's
// coordinates and time. The runtime publishes these to sinks; api/ and the CLI turn them into
// JSON or text (no JSON below api/). Shared vocabulary: models/ makes them, transform's crop
// nodes read them, runtime/ and cli/ publish and print them.
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/frame_source.h"

namespace sensix {

struct LabelScore {
  std::string label;
  int index = 0;  // class column in the model's output
  float score = 0.0f;
};

struct Detection {
  std::string label;
  int class_index = 0;
  float score = 0.0f;
  // Box in source-frame pixels (top-left corner, size) after mapping through ImageGeometry.
  float x = 0, y = 0, w = 0, h = 0;
  std::vector<std::array<float, 2>> keypoints;  // source-frame pixels
};

// One landmark point in source-frame pixels (z: relative depth, scaled like x). visibility and
// presence are there when the model gives them (after the declared activation).
struct Landmark {
  std::string name;  // empty when the document names no points
  float x = 0, y = 0, z = 0;
  std::optional<float> visibility;
  std::optional<float> presence;
};

// A line segment in source-frame pixels.
struct Segment {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float score = 0.0f;
};

// Where the input of a model fed by crops came from (a Pipeline step with `from.crops`): which
// box of which detector's prediction the crop was cut around, and the region of the source frame
// the crop covers (the box after scale, square and shift, clipped to the frame, in whole pixels).
struct CropSource {
  std::string model;  // the upstream detector
  int detection = 0;  // index of the box in that detector's prediction (0 = its first, best)
  std::string label;  // the box's label and score
  float score = 0.0f;
  float x = 0, y = 0, w = 0, h = 0;  // the crop's region, source-frame pixels
};

enum class PredictionKind { kClassification, kDetection, kLandmarks, kText, kLines };

struct Prediction {
  std::vector<std::string> pipelines;  // the pipelines that run this model on this input
  std::string model;
  std::string version;
  std::string sensor;
  PredictionKind kind = PredictionKind::kClassification;
  uint64_t frame_seq = 0;             // the sensor frame whose data completed the model's input
  FrameSource source;                 // where that frame came from (Frame::source; null: unknown)
  int64_t media_ns = 0;               // stream time of the end of the input data
  int64_t latency_ns = 0;             // from the frame's capture to this prediction
  std::vector<LabelScore> labels;     // classification: labels over threshold, best first
  std::vector<Detection> detections;  // detection: boxes after NMS, best first
  std::vector<Landmark> landmarks;    // landmarks: the points, in the model's order
  std::string text;                   // text: the recognised string (UTF-8)
  float score = 0.0f;                 // landmarks: presence score (1 without one); text: confidence
  std::vector<Segment> segments;      // lines: best first
  std::optional<CropSource> crop;     // set for a model fed by crops: the box and region of its input
};

}  // namespace sensix
