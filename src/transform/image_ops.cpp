#include "transform/image_ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace sensix {
namespace {

// The geometry of an operation that made `out` from `src` (the caller adds crop or rotation).
ImageGeometry geometry_between(const cv::Mat& src, const cv::Mat& out) {
  ImageGeometry g;
  g.src_width = src.cols;
  g.src_height = src.rows;
  g.dst_width = out.cols;
  g.dst_height = out.rows;
  return g;
}

constexpr int kMaxSide = 16384;

std::string mat_type_name(const cv::Mat& m) {
  static constexpr const char* kDepths[] = {"8U", "8S", "16U", "16S", "32S", "32F", "64F", "16F"};
  const int d = m.depth();
  const char* depth = d >= 0 && d < 8 ? kDepths[d] : "?";
  return fmt::format("CV_{}C{}", depth, m.channels());
}

// An 8-bit, 2-D image with 1, 3 or 4 channels.
Status check_image(const cv::Mat& m, std::string_view what) {
  if (m.empty()) return InvalidArgument(fmt::format("{}: the image is empty", what));
  if (m.dims != 2) return InvalidArgument(fmt::format("{}: expected a 2-D image, got {} dimensions", what, m.dims));
  if (m.depth() != CV_8U) {
    return InvalidArgument(fmt::format("{}: expected an 8-bit image, got {}", what, mat_type_name(m)));
  }
  const int c = m.channels();
  if (c != 1 && c != 3 && c != 4) {
    return InvalidArgument(fmt::format("{}: expected 1 (gray), 3 (BGR) or 4 (BGRA) channels, got {}", what, c));
  }
  return Status::Ok();
}

// Area averaging when neither side grows and one shrinks by 2 or more (bilinear sampling would
// skip pixels and alias); bilinear otherwise. For a milder shrink (800x600 -> 640x480) bilinear
// skips no pixel, is what the models' reference preprocessors use (cv2.resize's default), and is
// about 5 times faster than OpenCV's area resampling at a non-integer ratio.
int interpolation_for(cv::Size from, cv::Size to) {
  const bool grows = to.width > from.width || to.height > from.height;
  const bool halves = 2 * to.width <= from.width || 2 * to.height <= from.height;
  return !grows && halves ? cv::INTER_AREA : cv::INTER_LINEAR;
}

// Resizes `src` to `size` (no copy when the size already matches).
cv::Mat resize_to(const cv::Mat& src, cv::Size size) {
  if (src.size() == size) return src;
  cv::Mat dst;
  cv::resize(src, dst, size, 0, 0, interpolation_for(src.size(), size));
  return dst;
}

int clamp_round(double v, int lo, int hi) { return std::clamp(static_cast<int>(std::lround(v)), lo, hi); }

template <typename T>
using Lut = std::array<std::array<T, 256>, 4>;  // one 256-entry table per channel

// NHWC or NCHW tensor from an H x W image of C channels: each value through its channel's lookup
// table, or unchanged when `lut` is null (uint8 only). Rows are read through ptr() so
// non-continuous images (ROIs) work.
template <int C, typename T>
void convert_pixels(const cv::Mat& img, const Lut<T>* lut, Layout layout, T* dst) {
  const int h = img.rows;
  const int w = img.cols;
  const size_t plane = static_cast<size_t>(h) * static_cast<size_t>(w);
  auto value = [lut](int c, uint8_t p) -> T {
    if constexpr (std::is_same_v<T, uint8_t>) {
      if (!lut) return p;
    }
    return (*lut)[static_cast<size_t>(c)][p];
  };
  for (int y = 0; y < h; ++y) {
    const uint8_t* s = img.ptr<uint8_t>(y);
    const size_t row = static_cast<size_t>(y) * static_cast<size_t>(w);
    if (layout == Layout::kNhwc) {
      T* d = dst + row * C;
      if constexpr (std::is_same_v<T, uint8_t>) {
        if (!lut) {
          std::memcpy(d, s, static_cast<size_t>(w) * C);
          continue;
        }
      }
      for (int x = 0; x < w; ++x, s += C, d += C) {
        for (int c = 0; c < C; ++c) d[c] = value(c, s[c]);
      }
    } else {
      T* planes[C];
      for (int c = 0; c < C; ++c) planes[c] = dst + static_cast<size_t>(c) * plane + row;
      for (int x = 0; x < w; ++x, s += C) {
        for (int c = 0; c < C; ++c) planes[c][x] = value(c, s[c]);
      }
    }
  }
}

template <typename T>
void convert_any(const cv::Mat& img, const Lut<T>* lut, Layout layout, T* dst) {
  switch (img.channels()) {
    case 1: convert_pixels<1>(img, lut, layout, dst); break;
    case 3: convert_pixels<3>(img, lut, layout, dst); break;
    default: convert_pixels<4>(img, lut, layout, dst); break;
  }
}

// The float value of every pixel value per channel (the documented range or mean/std formula,
// computed in double), after checking `norm` against the image's `c` channels.
Status float_lut(const ImageInputSpec& norm, int c, Lut<float>* lut) {
  const bool has_range = norm.range_lo != 0.0f || norm.range_hi != 1.0f;
  const bool has_mean_std = !norm.mean.empty() || !norm.std.empty();
  if (has_mean_std) {
    if (norm.mean.size() != static_cast<size_t>(c) || norm.std.size() != static_cast<size_t>(c)) {
      return InvalidArgument(
          fmt::format("image to tensor: mean and std need one value per channel ({}), got {} mean and {} std values", c,
                      norm.mean.size(), norm.std.size()));
    }
    if (has_range) return InvalidArgument("image to tensor: mean/std and range exclude each other");
    for (int k = 0; k < c; ++k) {
      const double m = norm.mean[static_cast<size_t>(k)];
      const double sd = norm.std[static_cast<size_t>(k)];
      if (!std::isfinite(m) || !std::isfinite(sd) || sd == 0.0) {
        return InvalidArgument(fmt::format(
            "image to tensor: channel {} has mean {} and std {}; both must be finite and std non-zero", k, m, sd));
      }
      for (int p = 0; p < 256; ++p) (*lut)[k][p] = static_cast<float>((p / 255.0 - m) / sd);
    }
  } else {
    if (!std::isfinite(norm.range_lo) || !std::isfinite(norm.range_hi)) {
      return InvalidArgument(
          fmt::format("image to tensor: range [{}, {}] must be finite", norm.range_lo, norm.range_hi));
    }
    const double lo = norm.range_lo;
    const double span = static_cast<double>(norm.range_hi) - lo;
    for (int k = 0; k < c; ++k) {
      for (int p = 0; p < 256; ++p) (*lut)[k][p] = static_cast<float>(lo + p / 255.0 * span);
    }
  }
  return Status::Ok();
}

// q = round(real / scale) + zero_point, clamped to T's range, for every entry of `real`.
template <typename T>
void quantised_lut(const Lut<float>& real, int c, const Quantization& q, Lut<T>* lut) {
  constexpr double lo = std::numeric_limits<T>::min();
  constexpr double hi = std::numeric_limits<T>::max();
  const double scale = q.scale;
  for (int k = 0; k < c; ++k) {
    for (int p = 0; p < 256; ++p) {
      const double v = std::round(static_cast<double>(real[k][p]) / scale) + q.zero_point;
      (*lut)[k][p] = static_cast<T>(std::clamp(v, lo, hi));
    }
  }
}

bool positive_finite(float v) { return std::isfinite(v) && v > 0.0f; }

}  // namespace

Result<cv::Mat> crop_image(const cv::Mat& src, const cv::Rect2f& region, bool normalised, ImageGeometry* geometry) {
  SENSIX_RETURN_IF_ERROR(check_image(src, "crop"));
  const std::string where = fmt::format("region (x {}, y {}, width {}, height {}{})", region.x, region.y, region.width,
                                        region.height, normalised ? ", normalised" : " pixels");
  if (!std::isfinite(region.x) || !std::isfinite(region.y) || !std::isfinite(region.width) ||
      !std::isfinite(region.height)) {
    return InvalidArgument(fmt::format("crop: the {} must be finite (image {}x{})", where, src.cols, src.rows));
  }
  if (!(region.width > 0) || !(region.height > 0)) {
    return InvalidArgument(fmt::format("crop: the {} has zero size; width and height must be positive (image {}x{})",
                                       where, src.cols, src.rows));
  }
  const double fx = normalised ? src.cols : 1.0;
  const double fy = normalised ? src.rows : 1.0;
  // Clip in double first (so nothing overflows), then round the edges (the bounds are whole).
  auto edge = [](double v, int size) {
    return static_cast<int>(std::floor(std::clamp(v, 0.0, static_cast<double>(size)) + 0.5));
  };
  const int x0 = edge(region.x * fx, src.cols);
  const int x1 = edge((static_cast<double>(region.x) + region.width) * fx, src.cols);
  const int y0 = edge(region.y * fy, src.rows);
  const int y1 = edge((static_cast<double>(region.y) + region.height) * fy, src.rows);
  if (x1 <= x0 || y1 <= y0) {
    return InvalidArgument(
        fmt::format("crop: the {} leaves nothing of the {}x{} image after clipping and rounding to whole pixels", where,
                    src.cols, src.rows));
  }
  cv::Mat out;
  try {
    out = src(cv::Rect(x0, y0, x1 - x0, y1 - y0));
  } catch (const cv::Exception& e) {
    return Internal(fmt::format("crop: OpenCV failed cropping {}x{} to {}: {}", src.cols, src.rows, where, e.what()));
  }
  if (geometry) {
    ImageGeometry g = geometry_between(src, out);
    g.crop_x = static_cast<float>(x0);
    g.crop_y = static_cast<float>(y0);
    *geometry = g;
  }
  return out;
}

Result<cv::Mat> rotate_image(const cv::Mat& src, int degrees, ImageGeometry* geometry) {
  SENSIX_RETURN_IF_ERROR(check_image(src, "rotate"));
  if (degrees != 0 && degrees != 90 && degrees != 180 && degrees != 270) {
    return InvalidArgument(
        fmt::format("rotate: {} degrees is not a quarter turn; allowed: 0, 90, 180, 270 (clockwise)", degrees));
  }
  cv::Mat out;
  try {
    switch (degrees) {
      case 0: out = src; break;
      case 90: cv::rotate(src, out, cv::ROTATE_90_CLOCKWISE); break;
      case 180: cv::rotate(src, out, cv::ROTATE_180); break;
      default: cv::rotate(src, out, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    }
  } catch (const cv::Exception& e) {
    return Internal(
        fmt::format("rotate: OpenCV failed rotating {}x{} by {} degrees: {}", src.cols, src.rows, degrees, e.what()));
  }
  if (geometry) {
    ImageGeometry g = geometry_between(src, out);
    g.rotation = degrees / 90;
    *geometry = g;
  }
  return out;
}

Result<cv::Mat> resize_image(const cv::Mat& src, int width, int height, ResizeMode mode, ImageGeometry* geometry) {
  SENSIX_RETURN_IF_ERROR(check_image(src, "resize"));
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide) {
    return InvalidArgument(
        fmt::format("resize: the target size {}x{} must be between 1x1 and {}x{}", width, height, kMaxSide, kMaxSide));
  }
  const int sw = src.cols;
  const int sh = src.rows;
  ImageGeometry g;
  g.src_width = sw;
  g.src_height = sh;
  g.dst_width = width;
  g.dst_height = height;
  cv::Mat out;
  try {
    switch (mode) {
      case ResizeMode::kStretch: {
        out = resize_to(src, cv::Size(width, height));
        g.scale_x = static_cast<float>(static_cast<double>(width) / sw);
        g.scale_y = static_cast<float>(static_cast<double>(height) / sh);
        break;
      }
      case ResizeMode::kLetterbox: {
        const double s = std::min(static_cast<double>(width) / sw, static_cast<double>(height) / sh);
        const int nw = clamp_round(sw * s, 1, width);
        const int nh = clamp_round(sh * s, 1, height);
        const int px = (width - nw) / 2;
        const int py = (height - nh) / 2;
        if (nw == width && nh == height) {
          out = resize_to(src, cv::Size(width, height));
        } else {
          out.create(height, width, src.type());
          // Zero only the padding; the resized image fills the rest.
          if (py > 0) out.rowRange(0, py).setTo(cv::Scalar::all(0));
          if (py + nh < height) out.rowRange(py + nh, height).setTo(cv::Scalar::all(0));
          if (px > 0) out(cv::Rect(0, py, px, nh)).setTo(cv::Scalar::all(0));
          if (px + nw < width) out(cv::Rect(px + nw, py, width - px - nw, nh)).setTo(cv::Scalar::all(0));
          cv::Mat inner = out(cv::Rect(px, py, nw, nh));
          if (nw == sw && nh == sh) {
            src.copyTo(inner);
          } else {
            cv::resize(src, inner, inner.size(), 0, 0, interpolation_for(src.size(), inner.size()));
          }
        }
        g.scale_x = static_cast<float>(static_cast<double>(nw) / sw);
        g.scale_y = static_cast<float>(static_cast<double>(nh) / sh);
        g.pad_x = static_cast<float>(px);
        g.pad_y = static_cast<float>(py);
        break;
      }
      case ResizeMode::kCrop: {
        const double s = std::max(static_cast<double>(width) / sw, static_cast<double>(height) / sh);
        const int cw = clamp_round(width / s, 1, sw);
        const int ch = clamp_round(height / s, 1, sh);
        const int cx = (sw - cw) / 2;
        const int cy = (sh - ch) / 2;
        out = resize_to(src(cv::Rect(cx, cy, cw, ch)), cv::Size(width, height));
        g.scale_x = static_cast<float>(static_cast<double>(width) / cw);
        g.scale_y = static_cast<float>(static_cast<double>(height) / ch);
        g.crop_x = static_cast<float>(cx);
        g.crop_y = static_cast<float>(cy);
        break;
      }
      default: return InvalidArgument(fmt::format("resize: unknown resize mode {}", static_cast<int>(mode)));
    }
  } catch (const cv::Exception& e) {
    return Internal(fmt::format("resize: OpenCV failed resizing {}x{} to {}x{}: {}", sw, sh, width, height, e.what()));
  }
  if (geometry) *geometry = g;
  return out;
}

Result<cv::Mat> convert_color(const cv::Mat& src, ColorOrder target) {
  SENSIX_RETURN_IF_ERROR(check_image(src, "color conversion"));
  const int c = src.channels();
  cv::Mat dst;
  try {
    switch (target) {
      case ColorOrder::kBgr:
        if (c == 3) return src;
        cv::cvtColor(src, dst, c == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_BGRA2BGR);
        return dst;
      case ColorOrder::kRgb:
        cv::cvtColor(src, dst, c == 1 ? cv::COLOR_GRAY2RGB : c == 3 ? cv::COLOR_BGR2RGB : cv::COLOR_BGRA2RGB);
        return dst;
      case ColorOrder::kGray:
        if (c == 1) return src;
        cv::cvtColor(src, dst, c == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
        return dst;
      case ColorOrder::kRgba:
        if (c == 4) {
          // Swap B and R and make the frame opaque (the documents define rgba alpha as 255).
          dst.create(src.size(), CV_8UC4);
          for (int y = 0; y < src.rows; ++y) {
            const uint8_t* s = src.ptr<uint8_t>(y);
            uint8_t* d = dst.ptr<uint8_t>(y);
            for (int x = 0; x < src.cols; ++x, s += 4, d += 4) {
              d[0] = s[2];
              d[1] = s[1];
              d[2] = s[0];
              d[3] = 255;
            }
          }
          return dst;
        }
        cv::cvtColor(src, dst, c == 1 ? cv::COLOR_GRAY2RGBA : cv::COLOR_BGR2RGBA);  // alpha 255
        return dst;
    }
  } catch (const cv::Exception& e) {
    return Internal(fmt::format("color conversion: OpenCV failed converting {} to {}: {}", mat_type_name(src),
                                color_order_name(target), e.what()));
  }
  return InvalidArgument(fmt::format("color conversion: unknown colour order {}", static_cast<int>(target)));
}

Result<Tensor> image_to_tensor(const cv::Mat& img, Layout layout, DType dtype, const ImageInputSpec& norm,
                               const Quantization& quantization) {
  SENSIX_RETURN_IF_ERROR(check_image(img, "image to tensor"));
  if (layout != Layout::kNhwc && layout != Layout::kNchw) {
    return InvalidArgument(fmt::format("image to tensor: unknown layout {}", static_cast<int>(layout)));
  }
  if (dtype != DType::kFloat32 && dtype != DType::kUInt8 && dtype != DType::kInt8) {
    return InvalidArgument(
        fmt::format("image to tensor: image inputs must be float32, uint8 or int8, got {}", dtype_name(dtype)));
  }
  const Quantization& q = quantization;
  const bool quantised = q.scale != 0.0f;
  if (!quantised && q.zero_point != 0) {
    return InvalidArgument(fmt::format(
        "image to tensor: zero point {} given with scale 0 (scale 0 means not quantised; a quantised input needs a "
        "positive scale)",
        q.zero_point));
  }
  if (quantised) {
    if (!positive_finite(q.scale)) {
      return InvalidArgument(
          fmt::format("image to tensor: the quantisation scale {} must be positive and finite", q.scale));
    }
    if (dtype == DType::kFloat32) {
      return InvalidArgument(fmt::format(
          "image to tensor: quantisation (scale {}, zero point {}) applies to int8 and uint8 inputs, not float32",
          q.scale, q.zero_point));
    }
    const int lo = dtype == DType::kInt8 ? -128 : 0;
    const int hi = dtype == DType::kInt8 ? 127 : 255;
    if (q.zero_point < lo || q.zero_point > hi) {
      return InvalidArgument(fmt::format("image to tensor: the zero point {} is outside the {} range [{}, {}]",
                                         q.zero_point, dtype_name(dtype), lo, hi));
    }
  } else if (dtype == DType::kInt8) {
    return InvalidArgument(
        "image to tensor: an int8 image input needs quantisation parameters (a positive scale and a zero point)");
  }

  const int h = img.rows;
  const int w = img.cols;
  const int c = img.channels();
  const Shape shape = layout == Layout::kNhwc ? Shape{1, h, w, c} : Shape{1, c, h, w};

  if (dtype == DType::kUInt8 && !quantised) {
    const bool has_range = norm.range_lo != 0.0f || norm.range_hi != 1.0f;
    const bool has_mean_std = !norm.mean.empty() || !norm.std.empty();
    if (has_range || has_mean_std) {
      return InvalidArgument(
          "image to tensor: a uint8 input takes pixels unchanged; range and mean/std are not allowed");
    }
    Tensor t(DType::kUInt8, shape);
    convert_any<uint8_t>(img, nullptr, layout, t.values<uint8_t>().data());
    return t;
  }

  Lut<float> real{};
  SENSIX_RETURN_IF_ERROR(float_lut(norm, c, &real));
  Tensor t(dtype, shape);
  switch (dtype) {
    case DType::kFloat32: convert_any<float>(img, &real, layout, t.values<float>().data()); break;
    case DType::kUInt8: {
      Lut<uint8_t> lut{};
      quantised_lut(real, c, q, &lut);
      convert_any<uint8_t>(img, &lut, layout, t.values<uint8_t>().data());
      break;
    }
    default: {
      Lut<int8_t> lut{};
      quantised_lut(real, c, q, &lut);
      convert_any<int8_t>(img, &lut, layout, t.values<int8_t>().data());
      break;
    }
  }
  return t;
}

Result<Tensor> image_to_tensor(const cv::Mat& img, Layout layout, DType dtype, const ImageInputSpec& norm) {
  return image_to_tensor(img, layout, dtype, norm, Quantization{});
}

}  // namespace sensix
