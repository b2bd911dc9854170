#include "models/anchors.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace sensix {
namespace {

constexpr int kMaxLayers = 64;

// MediaPipe's CalculateScale, with its mixed float/double arithmetic kept as is: the `1.0`
// promotes the interpolation to double, and the result is rounded to float on return.
float calculate_scale(float min_scale, float max_scale, int stride_index, int num_strides) {
  if (num_strides == 1) return (min_scale + max_scale) * 0.5f;
  return static_cast<float>(min_scale +
                            (max_scale - min_scale) * 1.0 * stride_index / (static_cast<float>(num_strides) - 1.0f));
}

int feature_map_size(int input_size, int stride) {
  return static_cast<int>(std::ceil(1.0f * static_cast<float>(input_size) / static_cast<float>(stride)));
}

Status validate(const AnchorSpec& s) {
  if (s.num_layers < 1 || s.num_layers > kMaxLayers) {
    return InvalidArgument(fmt::format("numLayers must be 1..{}, got {}", kMaxLayers, s.num_layers));
  }
  if (static_cast<int>(s.strides.size()) != s.num_layers) {
    return InvalidArgument(fmt::format("strides has {} entries but numLayers is {}; give one stride per layer",
                                       s.strides.size(), s.num_layers));
  }
  for (size_t i = 0; i < s.strides.size(); ++i) {
    if (s.strides[i] < 1) return InvalidArgument(fmt::format("strides[{}] must be positive, got {}", i, s.strides[i]));
  }
  if (s.input_width < 1 || s.input_height < 1) {
    return InvalidArgument(fmt::format("inputSize must be positive, got [{}, {}]", s.input_width, s.input_height));
  }
  if (!std::isfinite(s.min_scale) || !(s.min_scale > 0.0f)) {
    return InvalidArgument(fmt::format("minScale must be a positive number, got {}", s.min_scale));
  }
  if (!std::isfinite(s.max_scale) || !(s.max_scale >= s.min_scale)) {
    return InvalidArgument(fmt::format("maxScale must be a number >= minScale ({}), got {}", s.min_scale, s.max_scale));
  }
  if (s.aspect_ratios.empty()) return InvalidArgument("aspectRatios must have at least one entry");
  for (size_t i = 0; i < s.aspect_ratios.size(); ++i) {
    float a = s.aspect_ratios[i];
    if (!std::isfinite(a) || !(a > 0.0f)) {
      return InvalidArgument(fmt::format("aspectRatios[{}] must be a positive number, got {}", i, a));
    }
  }
  if (!std::isfinite(s.offset_x) || !std::isfinite(s.offset_y) || s.offset_x < 0.0f || s.offset_x > 1.0f ||
      s.offset_y < 0.0f || s.offset_y > 1.0f) {
    return InvalidArgument(fmt::format("offset must be in [0, 1], got [{}, {}]", s.offset_x, s.offset_y));
  }
  if (!std::isfinite(s.interpolated_scale_aspect_ratio) || s.interpolated_scale_aspect_ratio < 0.0f) {
    return InvalidArgument(fmt::format("interpolatedScaleAspectRatio must be >= 0 (0 disables it), got {}",
                                       s.interpolated_scale_aspect_ratio));
  }
  return Status::Ok();
}

// One grid: a run of consecutive layers with the same stride, merged as MediaPipe does.
struct Grid {
  int stride = 0;
  std::vector<float> widths, heights;  // per anchor of one cell
};

std::vector<Grid> build_grids(const AnchorSpec& s) {
  std::vector<Grid> grids;
  const int num_strides = static_cast<int>(s.strides.size());
  int layer_id = 0;
  while (layer_id < s.num_layers) {
    std::vector<float> aspect_ratios;
    std::vector<float> scales;
    int last_same_stride_layer = layer_id;
    while (last_same_stride_layer < num_strides && s.strides[last_same_stride_layer] == s.strides[layer_id]) {
      const float scale = calculate_scale(s.min_scale, s.max_scale, last_same_stride_layer, num_strides);
      if (last_same_stride_layer == 0 && s.reduce_boxes_in_lowest_layer) {
        // MediaPipe's predefined anchors for the lowest layer.
        aspect_ratios.insert(aspect_ratios.end(), {1.0f, 2.0f, 0.5f});
        scales.insert(scales.end(), {0.1f, scale, scale});
      } else {
        for (float ar : s.aspect_ratios) {
          aspect_ratios.push_back(ar);
          scales.push_back(scale);
        }
        if (s.interpolated_scale_aspect_ratio > 0.0f) {
          const float scale_next = last_same_stride_layer == num_strides - 1
                                       ? 1.0f
                                       : calculate_scale(s.min_scale, s.max_scale, last_same_stride_layer + 1,
                                                         num_strides);
          scales.push_back(std::sqrt(scale * scale_next));
          aspect_ratios.push_back(s.interpolated_scale_aspect_ratio);
        }
      }
      ++last_same_stride_layer;
    }
    Grid g;
    g.stride = s.strides[layer_id];
    for (size_t i = 0; i < aspect_ratios.size(); ++i) {
      const float ratio_sqrts = std::sqrt(aspect_ratios[i]);
      g.heights.push_back(scales[i] / ratio_sqrts);
      g.widths.push_back(scales[i] * ratio_sqrts);
    }
    grids.push_back(std::move(g));
    layer_id = last_same_stride_layer;
  }
  return grids;
}

}  // namespace

Result<std::vector<AnchorGrid>> ssd_anchor_grids(const AnchorSpec& spec) {
  SENSIX_RETURN_IF_ERROR(validate(spec));
  std::vector<AnchorGrid> out;
  for (const Grid& g : build_grids(spec)) {
    const int64_t cells = static_cast<int64_t>(feature_map_size(spec.input_height, g.stride)) *
                          static_cast<int64_t>(feature_map_size(spec.input_width, g.stride));
    out.push_back(AnchorGrid{g.stride, cells * static_cast<int64_t>(g.widths.size())});
  }
  return out;
}

Result<std::vector<Anchor>> generate_ssd_anchors(const AnchorSpec& spec) {
  SENSIX_RETURN_IF_ERROR(validate(spec));
  const std::vector<Grid> grids = build_grids(spec);

  uint64_t total = 0;
  for (const Grid& g : grids) {
    const uint64_t cells = static_cast<uint64_t>(feature_map_size(spec.input_height, g.stride)) *
                           static_cast<uint64_t>(feature_map_size(spec.input_width, g.stride));
    total += cells * g.widths.size();
    if (total > kMaxAnchors) {
      return InvalidArgument(fmt::format("the parameters give more than {} anchors (inputSize [{}, {}], stride {})",
                                         kMaxAnchors, spec.input_width, spec.input_height, g.stride));
    }
  }

  std::vector<Anchor> anchors;
  anchors.reserve(static_cast<size_t>(total));
  for (const Grid& g : grids) {
    const int fm_h = feature_map_size(spec.input_height, g.stride);
    const int fm_w = feature_map_size(spec.input_width, g.stride);
    for (int y = 0; y < fm_h; ++y) {
      for (int x = 0; x < fm_w; ++x) {
        for (size_t a = 0; a < g.widths.size(); ++a) {
          Anchor anchor;
          anchor.x_center = (static_cast<float>(x) + spec.offset_x) * 1.0f / static_cast<float>(fm_w);
          anchor.y_center = (static_cast<float>(y) + spec.offset_y) * 1.0f / static_cast<float>(fm_h);
          if (spec.fixed_anchor_size) {
            anchor.w = 1.0f;
            anchor.h = 1.0f;
          } else {
            anchor.w = g.widths[a];
            anchor.h = g.heights[a];
          }
          anchors.push_back(anchor);
        }
      }
    }
  }
  return anchors;
}

}  // namespace sensix
