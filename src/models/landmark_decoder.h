// Landmark decoding: a tensor of N points with D values each (x, y and optionally z, visibility,
// presence, in the order the document's `values` lists them), in model-input pixels of an input of
// input_width x input_height, optionally gated by a presence score. Points are mapped to
// source-frame pixels through ImageGeometry::to_source, so letterbox, crop and rotation declared in
// the image input map back correctly.
//
//   x_src, y_src = to_source(x / input_width, y / input_height)
//   z_src        = z * (source pixels per input pixel along the input's x axis)
//   visibility, presence = activation(value)    (sigmoid or none)
//
// Thread-safety: decode() is const and may run concurrently.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/image_geometry.h"
#include "common/status.h"
#include "spec/prediction.h"
#include "spec/spec.h"

namespace sensix {

struct LandmarkResult {
  float score = 1.0f;  // the presence score after activation; 1 without a presence output
  std::vector<Landmark> points;
};

class LandmarkDecoder {
 public:
  // `num_values`: the landmark output's element count, or -1 when it is only known per result.
  // Checks: input size positive, num_values a multiple of values.size() (the message names both
  // numbers), and `names` empty or one per point. `names` (already read from names_file) replaces
  // spec.names.
  static Result<LandmarkDecoder> create(const LandmarksSpec& spec, int64_t num_values, int input_width,
                                        int input_height, std::vector<std::string> names);

  // `values`: the landmark output; `presence`: the presence output's single raw value (when the
  // document declares one). Returns nothing when the presence score is below the threshold.
  // Non-finite values or a count that is not a multiple of the point size are InvalidArgument
  // (this result fails, nothing else).
  Result<std::optional<LandmarkResult>> decode(std::span<const float> values, std::optional<float> presence,
                                               const ImageGeometry* geometry) const;

  int num_points() const { return num_points_; }  // -1 when not known until decode

 private:
  LandmarkDecoder() = default;
  LandmarksSpec spec_;
  int input_width_ = 0, input_height_ = 0;
  int num_points_ = -1;
  int ix_ = -1, iy_ = -1, iz_ = -1, ivis_ = -1, ipres_ = -1;  // value index of each meaning
};

}  // namespace sensix
