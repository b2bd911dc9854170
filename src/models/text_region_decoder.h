// Text region decoding (DB, as PaddleOCR's DBPostProcess): a probability map of H x W is binarised
// at `threshold` (strictly above), its connected regions' outer contours (OpenCV findContours) become
// minimum-area rectangles; a rectangle is kept when its short side is at least `min_size` and the
// mean probability inside it is at least `box_threshold`; it is then expanded on every side by
//   offset = area * unclip_ratio / perimeter
// (what PaddleOCR's polygon offset gives for a rectangle) and dropped if its short side is then under
// min_size + 2. At most `max_regions` are reported, best (highest mean probability) first, each as a
// Detection with the spec's label, the mean probability as score, the 4 corners (top-left,
// top-right, bottom-right, bottom-left) as keypoints and their axis-aligned extent as the box.
// Map pixel (x, y) is the normalised input point (x / W, y / H): with a geometry the corners are
// mapped to source-frame pixels through ImageGeometry::to_source, without one they stay in map
// pixels.
//
// Thread-safety: decode() is const and may run concurrently.
#pragma once

#include <span>
#include <vector>

#include "common/image_geometry.h"
#include "common/status.h"
#include "spec/prediction.h"
#include "spec/spec.h"

namespace sensix {

class TextRegionDecoder {
 public:
  // Checks the thresholds (0..1), unclip ratio and min size (finite, >= 0) and max_regions (> 0).
  static Result<TextRegionDecoder> create(const TextRegionsSpec& spec);

  // `map`: height x width probabilities, row-major. Non-finite values or a size mismatch are
  // InvalidArgument (this result fails, nothing else).
  Result<std::vector<Detection>> decode(std::span<const float> map, int height, int width,
                                        const ImageGeometry* geometry) const;

 private:
  explicit TextRegionDecoder(TextRegionsSpec spec) : spec_(std::move(spec)) {}
  TextRegionsSpec spec_;
};

}  // namespace sensix
