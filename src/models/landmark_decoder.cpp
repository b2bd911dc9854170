#include "models/landmark_decoder.h"

#include <cmath>

#include <fmt/format.h>

#include "models/activation.h"

namespace sensix {
namespace {

float activate(Activation a, float v) { return a == Activation::kSigmoid ? sigmoid(v) : v; }

}  // namespace

Result<LandmarkDecoder> LandmarkDecoder::create(const LandmarksSpec& spec, int64_t num_values, int input_width,
                                                int input_height, std::vector<std::string> names) {
  LandmarkDecoder d;
  d.spec_ = spec;
  d.spec_.names = std::move(names);
  const int dims = static_cast<int>(spec.values.size());
  if (dims < 2) return InvalidArgument("values: a point needs at least x and y");
  for (int i = 0; i < dims; ++i) {
    switch (spec.values[static_cast<size_t>(i)]) {
      case LandmarkValue::kX: d.ix_ = i; break;
      case LandmarkValue::kY: d.iy_ = i; break;
      case LandmarkValue::kZ: d.iz_ = i; break;
      case LandmarkValue::kVisibility: d.ivis_ = i; break;
      case LandmarkValue::kPresence: d.ipres_ = i; break;
      case LandmarkValue::kIgnore: break;
    }
  }
  if (d.ix_ < 0 || d.iy_ < 0) return InvalidArgument("values: a point needs x and y");
  if (input_width <= 0 || input_height <= 0) {
    return InvalidArgument(fmt::format("inputSize: {}x{} is not a positive size", input_width, input_height));
  }
  d.input_width_ = input_width;
  d.input_height_ = input_height;
  if (num_values >= 0) {
    if (num_values == 0 || num_values % dims != 0) {
      return InvalidArgument(fmt::format("output \"{}\" has {} values, not a whole number of points of {} values",
                                         spec.output, num_values, dims));
    }
    d.num_points_ = static_cast<int>(num_values / dims);
    if (!d.spec_.names.empty() && static_cast<int>(d.spec_.names.size()) != d.num_points_) {
      return InvalidArgument(fmt::format("names: {} names{} for {} points ({} values of {} per point)",
                                         d.spec_.names.size(), spec.names_file.empty() ? "" : " in " + spec.names_file,
                                         d.num_points_, num_values, dims));
    }
  }
  return d;
}

Result<std::optional<LandmarkResult>> LandmarkDecoder::decode(std::span<const float> values,
                                                              std::optional<float> presence,
                                                              const ImageGeometry* geometry) const {
  LandmarkResult r;
  if (presence) {
    if (!std::isfinite(*presence)) {
      return InvalidArgument(fmt::format("presence output \"{}\" is {}", spec_.presence_output, *presence));
    }
    r.score = activate(spec_.presence_activation, *presence);
    if (r.score < spec_.presence_threshold) return std::optional<LandmarkResult>();
  }
  const size_t dims = spec_.values.size();
  if (values.empty() || values.size() % dims != 0) {
    return InvalidArgument(fmt::format("output \"{}\" holds {} values, not a whole number of points of {} values",
                                       spec_.output, values.size(), dims));
  }
  const size_t n = values.size() / dims;
  if (num_points_ >= 0 && n != static_cast<size_t>(num_points_)) {
    return InvalidArgument(fmt::format("output \"{}\" holds {} points, expected {}", spec_.output, n, num_points_));
  }
  if (!spec_.names.empty() && spec_.names.size() != n) {
    return InvalidArgument(
        fmt::format("output \"{}\" holds {} points for {} names", spec_.output, n, spec_.names.size()));
  }
  // Source pixels per input pixel along the input's x axis (for z).
  float z_scale = 1.0f;
  if (geometry) {
    float ax = 0, ay = 0, bx = 0, by = 0;
    geometry->to_source(0.0f, 0.0f, &ax, &ay);
    geometry->to_source(1.0f, 0.0f, &bx, &by);
    z_scale = std::hypot(bx - ax, by - ay) / static_cast<float>(input_width_);
  }
  r.points.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float* p = values.data() + i * dims;
    for (size_t k = 0; k < dims; ++k) {
      if (!std::isfinite(p[k])) {
        return InvalidArgument(fmt::format("output \"{}\": point {} value {} is {}", spec_.output, i, k, p[k]));
      }
    }
    Landmark& l = r.points[i];
    if (!spec_.names.empty()) l.name = spec_.names[i];
    l.x = p[ix_];
    l.y = p[iy_];
    if (geometry) {
      geometry->to_source(p[ix_] / static_cast<float>(input_width_), p[iy_] / static_cast<float>(input_height_), &l.x,
                          &l.y);
    }
    if (iz_ >= 0) l.z = p[iz_] * z_scale;
    if (ivis_ >= 0) l.visibility = activate(spec_.visibility_activation, p[ivis_]);
    if (ipres_ >= 0) l.presence = activate(spec_.visibility_activation, p[ipres_]);
  }
  return std::optional<LandmarkResult>(std::move(r));
}

}  // namespace sensix
