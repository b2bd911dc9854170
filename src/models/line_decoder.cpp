#include "models/line_decoder.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/activation.h"

namespace sensix {

Result<LineDecoder> LineDecoder::create(const LinesSpec& spec, int grid_height, int grid_width, int input_width,
                                        int input_height) {
  if (grid_height <= 0 || grid_width <= 0) {
    return InvalidArgument(fmt::format("scores: a {}x{} grid is empty", grid_width, grid_height));
  }
  if (input_width <= 0 || input_height <= 0) {
    return InvalidArgument(fmt::format("inputSize: {}x{} is not a positive size", input_width, input_height));
  }
  if (!std::isfinite(spec.threshold) || spec.threshold < 0 || spec.threshold > 1) {
    return InvalidArgument(fmt::format("threshold: {} is not within 0..1", spec.threshold));
  }
  if (!std::isfinite(spec.min_length) || spec.min_length < 0) {
    return InvalidArgument(fmt::format("minLength: {} is not a number >= 0", spec.min_length));
  }
  if (spec.max_lines <= 0) return InvalidArgument(fmt::format("maxLines: {} is not positive", spec.max_lines));
  LineDecoder d;
  d.spec_ = spec;
  d.grid_h_ = grid_height;
  d.grid_w_ = grid_width;
  d.input_w_ = input_width;
  d.input_h_ = input_height;
  return d;
}

Result<std::vector<Segment>> LineDecoder::decode(std::span<const float> scores, std::span<const float> offsets,
                                                 const ImageGeometry* geometry) const {
  const size_t cells = static_cast<size_t>(grid_h_) * static_cast<size_t>(grid_w_);
  if (scores.size() != cells || offsets.size() != cells * 4) {
    return InvalidArgument(fmt::format("lines: a {}x{} grid needs {} scores and {} offsets, got {} and {}", grid_w_,
                                       grid_h_, cells, cells * 4, scores.size(), offsets.size()));
  }
  std::vector<float> s(cells);
  for (size_t i = 0; i < cells; ++i) {
    if (!std::isfinite(scores[i])) {
      return InvalidArgument(fmt::format("lines: score at cell ({}, {}) is {}", i % static_cast<size_t>(grid_w_),
                                         i / static_cast<size_t>(grid_w_), scores[i]));
    }
    s[i] = spec_.score_activation == Activation::kSigmoid ? sigmoid(scores[i]) : scores[i];
  }
  for (size_t i = 0; i < offsets.size(); ++i) {
    if (!std::isfinite(offsets[i])) {
      return InvalidArgument(fmt::format("lines: offset {} of cell ({}, {}) is {}", i % 4,
                                         (i / 4) % static_cast<size_t>(grid_w_), i / 4 / static_cast<size_t>(grid_w_),
                                         offsets[i]));
    }
  }
  std::vector<int> centres;
  for (int y = 0; y < grid_h_; ++y) {
    for (int x = 0; x < grid_w_; ++x) {
      const float v = s[static_cast<size_t>(y * grid_w_ + x)];
      if (v < spec_.threshold) continue;
      bool peak = true;
      for (int dy = -1; dy <= 1 && peak; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const int yy = y + dy, xx = x + dx;
          if ((dx == 0 && dy == 0) || yy < 0 || xx < 0 || yy >= grid_h_ || xx >= grid_w_) continue;
          if (s[static_cast<size_t>(yy * grid_w_ + xx)] > v) {
            peak = false;
            break;
          }
        }
      }
      if (peak) centres.push_back(y * grid_w_ + x);
    }
  }
  std::stable_sort(centres.begin(), centres.end(),
                   [&](int a, int b) { return s[static_cast<size_t>(a)] > s[static_cast<size_t>(b)]; });
  const float sx = static_cast<float>(input_w_) / static_cast<float>(grid_w_);
  const float sy = static_cast<float>(input_h_) / static_cast<float>(grid_h_);
  std::vector<Segment> out;
  for (int c : centres) {
    if (out.size() >= static_cast<size_t>(spec_.max_lines)) break;
    const float x = static_cast<float>(c % grid_w_), y = static_cast<float>(c / grid_w_);
    const float* o = offsets.data() + static_cast<size_t>(c) * 4;
    Segment seg;
    seg.x1 = (x + o[0]) * sx;
    seg.y1 = (y + o[1]) * sy;
    seg.x2 = (x + o[2]) * sx;
    seg.y2 = (y + o[3]) * sy;
    if (std::hypot(seg.x2 - seg.x1, seg.y2 - seg.y1) < spec_.min_length) continue;
    seg.score = s[static_cast<size_t>(c)];
    if (geometry) {
      geometry->to_source(seg.x1 / static_cast<float>(input_w_), seg.y1 / static_cast<float>(input_h_), &seg.x1,
                          &seg.y1);
      geometry->to_source(seg.x2 / static_cast<float>(input_w_), seg.y2 / static_cast<float>(input_h_), &seg.x2,
                          &seg.y2);
    }
    out.push_back(seg);
  }
  return out;
}

}  // namespace sensix
