// SSD anchor generation, equivalent to MediaPipe's SsdAnchorsCalculator
// (mediapipe/calculators/tflite/ssd_anchors_calculator.cc, the non-multiscale path), from the
// parameters a Model document declares (BlazeFace: 896 anchors; SSD MobileNetV2 OIDv4 at
// 300x300: 1917). Anchors are in normalised input coordinates, in MediaPipe's order: layers
// in order (consecutive layers with the same stride merged into one grid), then rows, then
// columns, then the anchors of one cell.
//
// The arithmetic follows MediaPipe's to the bit (float, with the scale interpolation done in
// double as MediaPipe does), so decoded boxes match MediaPipe's.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

struct Anchor {
  float x_center = 0, y_center = 0, w = 0, h = 0;
};

// The most anchors one spec may generate (bounds memory for a mistyped stride or size).
inline constexpr size_t kMaxAnchors = 1'000'000;

// `spec.input_width/height` must be set (the model node fills 0s from its image input).
// InvalidArgument names the inconsistent parameter (e.g. "strides has 3 entries but
// numLayers is 4"), using the document's field names.
Result<std::vector<Anchor>> generate_ssd_anchors(const AnchorSpec& spec);

// One grid (feature map) of generate_ssd_anchors(): its stride and how many anchors it gives, in
// the order they are generated. Consecutive layers of one stride share a grid (BlazeFace front:
// 512 anchors at stride 8, then 384 at stride 16 from its three stride-16 layers).
struct AnchorGrid {
  int stride = 0;
  int64_t anchors = 0;
};
Result<std::vector<AnchorGrid>> ssd_anchor_grids(const AnchorSpec& spec);

}  // namespace sensix
