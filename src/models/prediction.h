// Prediction: what a model instance reports after post-processing, in the source frame's
// coordinates and time. The runtime publishes these to sinks; api/ and the CLI turn them into
// JSON or text (no JSON below api/).
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sensix {

struct LabelScore {
  std::string label;
  int index = 0;      // class column in the model's output
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

enum class PredictionKind { kClassification, kDetection };

struct Prediction {
  std::vector<std::string> pipelines;  // the pipelines that run this model on this input
  std::string model;
  std::string version;
  std::string sensor;
  PredictionKind kind = PredictionKind::kClassification;
  uint64_t frame_seq = 0;   // the sensor frame whose data completed the model's input
  int64_t media_ns = 0;     // stream time of the end of the input data
  int64_t latency_ns = 0;   // from the frame's capture to this prediction
  std::vector<LabelScore> labels;     // classification: labels over threshold, best first
  std::vector<Detection> detections;  // detection: boxes after NMS, best first
};

}  // namespace sensix
