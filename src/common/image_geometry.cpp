#include "common/image_geometry.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace sensix {
namespace {

// Geometry mappings in double: model-input pixels -> rotated-frame pixels -> source pixels.
int quarter_turns(int rotation) { return ((rotation % 4) + 4) % 4; }

// Rotated-frame pixels -> source pixels (in float for to_source, in double for compose()).
template <typename T>
void unrotate(int rotation, T w, T h, T xr, T yr, T* x, T* y) {
  switch (quarter_turns(rotation)) {
    case 0:
      *x = xr;
      *y = yr;
      break;
    case 1:
      *x = yr;
      *y = h - xr;
      break;
    case 2:
      *x = w - xr;
      *y = h - yr;
      break;
    default:
      *x = w - yr;
      *y = xr;
      break;
  }
}

// The inverse of unrotate: source pixels -> rotated-frame pixels. Turning back by `rotation` is
// unrotating by the rest of the full turn, in the rotated frame, whose sides are swapped by an
// odd number of quarter turns.
void rotate_point(int rotation, double w, double h, double x, double y, double* xr, double* yr) {
  const int r = quarter_turns(rotation);
  if (r % 2 == 1) std::swap(w, h);
  unrotate<double>((4 - r) % 4, w, h, x, y, xr, yr);
}

void map_pixel(const ImageGeometry& g, double u, double v, double* x, double* y) {
  const double xr = (u - g.pad_x) / static_cast<double>(g.scale_x) + g.crop_x;
  const double yr = (v - g.pad_y) / static_cast<double>(g.scale_y) + g.crop_y;
  unrotate<double>(g.rotation, g.src_width, g.src_height, xr, yr, x, y);
}

bool positive_finite(float v) { return std::isfinite(v) && v > 0.0f; }

}  // namespace

void ImageGeometry::to_source(float u_norm, float v_norm, float* x, float* y) const {
  const float u = u_norm * static_cast<float>(dst_width);
  const float v = v_norm * static_cast<float>(dst_height);
  const float xr = (u - pad_x) / (scale_x != 0 ? scale_x : 1.0f) + crop_x;
  const float yr = (v - pad_y) / (scale_y != 0 ? scale_y : 1.0f) + crop_y;
  unrotate<float>(rotation, static_cast<float>(src_width), static_cast<float>(src_height), xr, yr, x, y);
}

Result<ImageGeometry> compose(const ImageGeometry& first, const ImageGeometry& then) {
  if (then.src_width != first.dst_width || then.src_height != first.dst_height) {
    return InvalidArgument(
        fmt::format("compose geometry: the second step's source is {}x{} but the first step's output is {}x{}",
                    then.src_width, then.src_height, first.dst_width, first.dst_height));
  }
  for (const ImageGeometry* g : {&first, &then}) {
    if (!positive_finite(g->scale_x) || !positive_finite(g->scale_y)) {
      return InvalidArgument(fmt::format("compose geometry: the {} step's scale {} x {} must be positive and finite",
                                         g == &first ? "first" : "second", g->scale_x, g->scale_y));
    }
  }
  ImageGeometry out;
  out.src_width = first.src_width;
  out.src_height = first.src_height;
  out.dst_width = then.dst_width;
  out.dst_height = then.dst_height;
  out.rotation = quarter_turns(quarter_turns(first.rotation) + quarter_turns(then.rotation));
  // The composed map, brought back into the rotated frame, is axis-aligned: xr = ax * u + bx,
  // yr = ay * v + by. Read it off at three points.
  auto rotated_frame = [&](double u, double v, double* xr, double* yr) {
    double mx = 0, my = 0, sx = 0, sy = 0;
    map_pixel(then, u, v, &mx, &my);
    map_pixel(first, mx, my, &sx, &sy);
    rotate_point(out.rotation, out.src_width, out.src_height, sx, sy, xr, yr);
  };
  double bx = 0, by = 0, x1 = 0, y1 = 0, unused = 0;
  rotated_frame(0, 0, &bx, &by);
  rotated_frame(1, 0, &x1, &unused);
  rotated_frame(0, 1, &unused, &y1);
  const double ax = x1 - bx;
  const double ay = y1 - by;
  out.pad_x = then.pad_x;
  out.pad_y = then.pad_y;
  out.scale_x = static_cast<float>(1.0 / ax);
  out.scale_y = static_cast<float>(1.0 / ay);
  out.crop_x = static_cast<float>(bx + then.pad_x * ax);
  out.crop_y = static_cast<float>(by + then.pad_y * ay);
  return out;
}

}  // namespace sensix
