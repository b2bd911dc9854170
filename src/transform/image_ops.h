// Image operations used by the transform planner: crop to a region, rotation by quarter turns,
// resize (stretch, letterbox, centre crop), each with the geometry recorded so that results map
// back to the original frame (ImageGeometry and compose(), common/image_geometry.h); colour
// conversion; and conversion to a tensor (layout, dtype, range or mean/std normalisation, optional
// int8/uint8 quantisation).
//
// Input images are 8-bit OpenCV matrices as sensors decode them: BGR (CV_8UC3), BGRA (CV_8UC4)
// or GRAY (CV_8UC1). All functions are pure. Errors name the problem (an empty image, an
// unsupported type, a zero size).
//
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "common/image_geometry.h"
#include "common/status.h"
#include "common/tensor.h"
#include "spec/spec.h"

namespace sensix {

// Crops `src` to `region`, given in source pixels (normalised == false) or in fractions of the
// image's width and height (normalised == true: x and width are multiplied by src.cols, y and
// height by src.rows). The region's edges, clipped to the image, are rounded to the nearest pixel
// boundary (halves up): columns [round(clamp(x, 0, cols)), round(clamp(x + width, 0, cols))),
// rows likewise. The result shares `src`'s pixels (an ROI, no copy). `geometry` (may be null)
// records crop_x/crop_y = that top-left corner, scale 1, no padding, no rotation, src = src's
// size, dst = the crop's size. kInvalidArgument (naming the region and the image size) for a
// non-finite region, a zero or negative width or height, or a region with nothing left after
// clipping and rounding (no overlap with the image, or both edges of an axis rounding to the same
// pixel boundary).
Result<cv::Mat> crop_image(const cv::Mat& src, const cv::Rect2f& region, bool normalised, ImageGeometry* geometry);

// Rotates `src` clockwise by `degrees`, one of 0, 90, 180, 270 (others are kInvalidArgument).
// A W x H image becomes H x W for 90 and 270. Pixels move exactly (no resampling): for 90,
// out(row r, col c) = src(row H-1-c, col r). 0 returns `src` itself (shared pixels); otherwise
// the result is a new image. `geometry` (may be null) records rotation = degrees / 90,
// src = src's size, dst = the result's size, scale 1, no padding or crop.
Result<cv::Mat> rotate_image(const cv::Mat& src, int degrees, ImageGeometry* geometry);

// Resizes `src` to width x height (each 1..16384) and records in `geometry` (may be null) how
// the result maps back to `src` (not to any frame `src` itself came from: callers compose, see
// compose()). The geometry has no rotation.
// Interpolation: area averaging when neither side grows and one side shrinks by a factor of 2 or
// more (so that a large shrink does not alias); bilinear otherwise, as the models' reference
// preprocessors do (cv2.resize's default; 800x600 -> 640x480 is bilinear).
//   stretch:   scale_x = width / src.cols, scale_y = height / src.rows.
//   letterbox: scaled by min(width / cols, height / rows), centred; the padding is zero (black)
//              and recorded in pad_x/pad_y (left/top, whole pixels); scale_x/y are the scaled
//              image's size over the source's (640x480 -> 128x128: scale 0.2, pad_y 16).
//   crop:      scaled by max(...), the excess centre-cropped; crop_x/y is the kept region's
//              top-left in source pixels, scale_x/y the output size over the kept region's.
// When no resampling is needed the result shares `src`'s pixels (images are immutable).
Result<cv::Mat> resize_image(const cv::Mat& src, int width, int height, ResizeMode mode, ImageGeometry* geometry);

// Converts an 8-bit BGR/BGRA/GRAY image to the requested channel order. rgba always gets alpha
// 255, also from BGRA input (the documents define rgba as opaque). Gray uses OpenCV's weights
// (0.299 R + 0.587 G + 0.114 B). A conversion to the image's own order returns it unchanged.
Result<cv::Mat> convert_color(const cv::Mat& src, ColorOrder target);

// Quantisation of an integer tensor as TFLite defines it: real = scale * (q - zero_point).
// scale 0 (the default) means not quantised (zero_point must then be 0).
struct Quantization {
  float scale = 0;
  int zero_point = 0;
};

// Turns an 8-bit image (already in its final colour order and size) into a tensor with a
// leading batch dimension of 1: NHWC [1,H,W,C] or NCHW [1,C,H,W]. For each pixel value p of
// channel c, the float value is
//   real = (p/255 - mean[c]) / std[c] if mean/std are set, else lo + p/255 * (hi - lo)
// (computed in double, rounded to float), and the tensor holds
//   float32:                  real;
//   uint8, not quantised:     p unchanged (mean/std/range must be the defaults);
//   int8/uint8, quantised:    q = round(real / scale) + zero_point, clamped to the type's range
//                             ([-128, 127] or [0, 255]); real / scale is computed in double from
//                             the float values and halves round away from zero (std::round).
// Rejected (kInvalidArgument): empty or non-8-bit images, channel counts other than 1/3/4, dtypes
// other than float32/uint8/int8, int8 without quantisation, quantisation with float32, a
// negative or non-finite scale, a non-zero zero point with scale 0, a zero point outside the
// type's range, mean/std without exactly one value each per image channel, a zero or non-finite
// std, mean/std together with a non-default range, a non-finite range.
Result<Tensor> image_to_tensor(const cv::Mat& img, Layout layout, DType dtype, const ImageInputSpec& norm,
                               const Quantization& quantization);

// The same with no quantisation (Quantization{}): float32, or uint8 pixels unchanged.
Result<Tensor> image_to_tensor(const cv::Mat& img, Layout layout, DType dtype, const ImageInputSpec& norm);

}  // namespace sensix
