// Line segment decoding (M-LSD, as its pred_lines and keijiro's MlsdBarracuda decode it): a
// centre-score map of H x W cells ([1, H, W, 1]) and per cell the displacements of the segment's
// start and end from the cell ([1, H, W, 4]: dx1, dy1, dx2, dy2, in cells). A cell is a segment
// centre when its score (after the declared activation) is at least `threshold` and no larger than
// none of its 3x3 neighbours (a local maximum); centres are taken best first, each segment is
//   (x + dx1, y + dy1) - (x + dx2, y + dy2)     (x = column, y = row)
// scaled by input_width / W and input_height / H to model-input pixels, dropped when shorter than
// `min_length` there, and at most `max_lines` are reported. With a geometry the end points are mapped
// to source-frame pixels through ImageGeometry::to_source; without one they stay in input pixels.
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

class LineDecoder {
 public:
  // Checks the grid and input sizes (positive), threshold (0..1), min_length (>= 0), max_lines (> 0).
  static Result<LineDecoder> create(const LinesSpec& spec, int grid_height, int grid_width, int input_width,
                                    int input_height);

  // `scores`: H x W values; `offsets`: H x W x 4. Non-finite values or wrong sizes are
  // InvalidArgument (this result fails, nothing else).
  Result<std::vector<Segment>> decode(std::span<const float> scores, std::span<const float> offsets,
                                      const ImageGeometry* geometry) const;

 private:
  LineDecoder() = default;
  LinesSpec spec_;
  int grid_h_ = 0, grid_w_ = 0, input_w_ = 0, input_h_ = 0;
};

}  // namespace sensix
