// Image operations used by the transform planner: resize (stretch, letterbox, centre crop)
// with the geometry recorded so that results map back to the original frame, colour
// conversion, and conversion to a tensor (layout, dtype, range or mean/std normalisation).
//
// Input images are 8-bit OpenCV matrices as sensors decode them: BGR (CV_8UC3), BGRA (CV_8UC4)
// or GRAY (CV_8UC1). All functions are pure. Errors name the problem (an empty image, an
// unsupported type, a zero size).
//
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include <opencv2/core/mat.hpp>

#include "common/status.h"
#include "common/tensor.h"
#include "docs/spec.h"

namespace sensix {

// How a model-input image relates to the source frame. A point (u, v) in model-input pixels
// maps to the source frame as  x = (u - pad_x) / scale_x + crop_x,  y = (v - pad_y) / scale_y + crop_y.
struct ImageGeometry {
  int src_width = 0, src_height = 0;  // the source frame
  int dst_width = 0, dst_height = 0;  // the model input
  float scale_x = 1, scale_y = 1;     // dst pixels per src pixel
  float pad_x = 0, pad_y = 0;         // letterbox padding in dst pixels (left, top)
  float crop_x = 0, crop_y = 0;       // centre-crop offset in src pixels (left, top)

  // Maps a point given in normalised model-input coordinates ([0,1] x [0,1]) to source pixels.
  void to_source(float u_norm, float v_norm, float* x, float* y) const;
};

// Resizes `src` to width x height (each 1..16384) and records in `geometry` (may be null) how
// the result maps back to `src` (not to any frame `src` itself came from: callers compose).
// Interpolation: area when neither side grows, bilinear otherwise.
//   stretch:   scale_x = width / src.cols, scale_y = height / src.rows.
//   letterbox: scaled by min(width / cols, height / rows), centred; the padding is zero (black)
//              and recorded in pad_x/pad_y (left/top, whole pixels); scale_x/y are the scaled
//              image's size over the source's (640x480 -> 128x128: scale 0.2, pad_y 16).
//   crop:      scaled by max(...), the excess centre-cropped; crop_x/y is the kept region's
//              top-left in source pixels, scale_x/y the output size over the kept region's.
// When no resampling is needed the result shares `src`'s pixels (images are immutable).
Result<cv::Mat> resize_image(const cv::Mat& src, int width, int height, ResizeMode mode,
                             ImageGeometry* geometry);

// Converts an 8-bit BGR/BGRA/GRAY image to the requested channel order. rgba always gets alpha
// 255, also from BGRA input (the documents define rgba as opaque). Gray uses OpenCV's weights
// (0.299 R + 0.587 G + 0.114 B). A conversion to the image's own order returns it unchanged.
Result<cv::Mat> convert_color(const cv::Mat& src, ColorOrder target);

// Turns an 8-bit image (already in its final colour order and size) into a tensor with a
// leading batch dimension of 1: NHWC [1,H,W,C] or NCHW [1,C,H,W].
//   float32: (p/255 - mean[c]) / std[c] if mean/std are set, else lo + p/255 * (hi - lo);
//   uint8:   p unchanged (mean/std/range must be the defaults).
// Rejected (kInvalidArgument): empty or non-8-bit images, channel counts other than 1/3/4, dtypes
// other than float32/uint8, mean/std without exactly one value each per image channel, a zero or
// non-finite std, mean/std together with a non-default range, a non-finite range.
Result<Tensor> image_to_tensor(const cv::Mat& img, Layout layout, DType dtype,
                               const ImageInputSpec& norm);

}  // namespace sensix
