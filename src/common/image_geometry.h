// ImageGeometry: how a model-input image maps back to the source frame it was cut, rotated and
// resized from. transform/ records it while it builds a model's input (transform/image_ops.h);
// models/ maps decoded boxes, points and segments back through it; neither needs the other.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "common/status.h"

namespace sensix {

// How a model-input image relates to the source frame: the source is first rotated clockwise by
// `rotation` quarter turns, then scaled, padded and cropped (resize, letterbox, crop to a region)
// into the model input. Points are continuous pixel coordinates: pixel (i, j) covers
// [i, i+1) x [j, j+1), so (0, 0) is the top-left corner of the image and (width, height) its
// bottom-right corner. A point (u, v) in model-input pixels maps first to the rotated frame as
//   x' = (u - pad_x) / scale_x + crop_x,   y' = (v - pad_y) / scale_y + crop_y
// (a zero scale counts as 1) and then, with W = src_width and H = src_height (the source before
// rotation), to the source as
//   rotation 0 (none):    x = x',      y = y'
//   rotation 1 (90 cw):   x = y',      y = H - x'
//   rotation 2 (180):     x = W - x',  y = H - y'
//   rotation 3 (270 cw):  x = W - y',  y = x'
// (rotation is taken modulo 4: -1 is 3). scale/pad/crop are in the rotated frame's axes, whose size is
// W x H for rotations 0 and 2 and H x W for 1 and 3. Under a rotation a box's corners map to
// other corners of the source box: callers take the min and max of the mapped corners.
// Each image operation (transform/image_ops.h) records its geometry relative to its own input;
// compose() chains them.
struct ImageGeometry {
  int src_width = 0, src_height = 0;  // the source frame (before rotation)
  int dst_width = 0, dst_height = 0;  // the model input
  int rotation = 0;                   // clockwise quarter turns applied to the source before the rest
  float scale_x = 1, scale_y = 1;     // dst pixels per rotated-frame pixel
  float pad_x = 0, pad_y = 0;         // letterbox padding in dst pixels (left, top)
  float crop_x = 0, crop_y = 0;       // crop offset in rotated-frame pixels (left, top)

  // Maps a point given in normalised model-input coordinates ([0,1] x [0,1]) to source pixels.
  void to_source(float u_norm, float v_norm, float* x, float* y) const;
};

// The geometry of applying `first` and then `then` (then's source is first's model input, so
// then.src_width/height must equal first.dst_width/height): the result's to_source maps then's
// model input to first's source, with src from `first`, dst from `then`, rotation
// (first.rotation + then.rotation) mod 4, pad from `then`, and scale/crop such that the mapping
// equals first.to_source after then.to_source (computed in double, stored as float). Any order of
// operations composes (a rotation after a resize becomes a rotation before it, with the scales
// swapped). Rotating and then resizing:
//   rotate_image(frame, 90, &g1); resize_image(rotated, w, h, mode, &g2); compose(g1, g2)
// gives rotation 1 and g2's scale, pad and crop (to float precision). kInvalidArgument when the
// sizes do not chain or a scale is not positive and finite.
Result<ImageGeometry> compose(const ImageGeometry& first, const ImageGeometry& then);

}  // namespace sensix
