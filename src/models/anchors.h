// SSD anchor generation, equivalent to MediaPipe's SsdAnchorsCalculator, from the parameters a
// Model document declares (BlazeFace: 896 anchors; SSD MobileNetV2 OIDv4 at 300x300: 1917).
// Anchors are in normalised input coordinates.
//
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "common/status.h"
#include "docs/spec.h"

namespace sensix {

struct Anchor {
  float x_center = 0, y_center = 0, w = 0, h = 0;
};

// `spec.input_width/height` must be set (the model node fills 0s from its image input).
// Errors name the inconsistent parameter (e.g. strides count != num_layers).
Result<std::vector<Anchor>> generate_ssd_anchors(const AnchorSpec& spec);

}  // namespace sensix
