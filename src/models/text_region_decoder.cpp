#include "models/text_region_decoder.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

namespace sensix {
namespace {

using Quad = std::array<cv::Point2f, 4>;

// The rectangle's corners ordered top-left, top-right, bottom-right, bottom-left (PaddleOCR's
// get_mini_boxes: the two leftmost points by x, the upper of them first; then the two rightmost).
Quad ordered_corners(const cv::RotatedRect& r) {
  std::array<cv::Point2f, 4> p;
  r.points(p.data());
  std::sort(p.begin(), p.end(), [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
  Quad q;
  const bool first_upper = p[0].y <= p[1].y;
  q[0] = first_upper ? p[0] : p[1];  // top-left
  q[3] = first_upper ? p[1] : p[0];  // bottom-left
  const bool third_upper = p[2].y <= p[3].y;
  q[1] = third_upper ? p[2] : p[3];  // top-right
  q[2] = third_upper ? p[3] : p[2];  // bottom-right
  return q;
}

// Mean of `prob` inside the quadrilateral (PaddleOCR's box_score_fast).
float mean_inside(const cv::Mat& prob, const Quad& q) {
  float x0 = q[0].x, x1 = q[0].x, y0 = q[0].y, y1 = q[0].y;
  for (const auto& p : q) {
    x0 = std::min(x0, p.x);
    x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y);
    y1 = std::max(y1, p.y);
  }
  const int xmin = std::clamp(static_cast<int>(std::floor(x0)), 0, prob.cols - 1);
  const int xmax = std::clamp(static_cast<int>(std::ceil(x1)), 0, prob.cols - 1);
  const int ymin = std::clamp(static_cast<int>(std::floor(y0)), 0, prob.rows - 1);
  const int ymax = std::clamp(static_cast<int>(std::ceil(y1)), 0, prob.rows - 1);
  cv::Mat mask = cv::Mat::zeros(ymax - ymin + 1, xmax - xmin + 1, CV_8U);
  std::vector<cv::Point> poly;
  for (const auto& p : q) {
    poly.emplace_back(static_cast<int>(std::lround(p.x)) - xmin, static_cast<int>(std::lround(p.y)) - ymin);
  }
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(1));
  const cv::Mat roi = prob(cv::Range(ymin, ymax + 1), cv::Range(xmin, xmax + 1));
  return static_cast<float>(cv::mean(roi, mask)[0]);
}

}  // namespace

Result<TextRegionDecoder> TextRegionDecoder::create(const TextRegionsSpec& spec) {
  auto unit = [](float v) { return std::isfinite(v) && v >= 0.0f && v <= 1.0f; };
  if (!unit(spec.threshold)) return InvalidArgument(fmt::format("threshold: {} is not within 0..1", spec.threshold));
  if (!unit(spec.box_threshold)) {
    return InvalidArgument(fmt::format("boxThreshold: {} is not within 0..1", spec.box_threshold));
  }
  if (!std::isfinite(spec.unclip_ratio) || spec.unclip_ratio < 0) {
    return InvalidArgument(fmt::format("unclipRatio: {} is not a number >= 0", spec.unclip_ratio));
  }
  if (!std::isfinite(spec.min_size) || spec.min_size < 0) {
    return InvalidArgument(fmt::format("minSize: {} is not a number >= 0", spec.min_size));
  }
  if (spec.max_regions <= 0) return InvalidArgument(fmt::format("maxRegions: {} is not positive", spec.max_regions));
  return TextRegionDecoder(spec);
}

Result<std::vector<Detection>> TextRegionDecoder::decode(std::span<const float> map, int height, int width,
                                                         const ImageGeometry* geometry) const {
  if (height <= 0 || width <= 0 || map.size() != static_cast<size_t>(height) * static_cast<size_t>(width)) {
    return InvalidArgument(fmt::format("text regions: a {}x{} map needs {} values, got {}", width, height,
                                       static_cast<int64_t>(width) * height, map.size()));
  }
  for (size_t i = 0; i < map.size(); ++i) {
    if (!std::isfinite(map[i])) {
      return InvalidArgument(fmt::format("text regions: probability map value at ({}, {}) is {}",
                                         i % static_cast<size_t>(width), i / static_cast<size_t>(width), map[i]));
    }
  }
  const cv::Mat prob(height, width, CV_32F, const_cast<float*>(map.data()));
  cv::Mat bitmap;
  cv::compare(prob, cv::Scalar(spec_.threshold), bitmap, cv::CMP_GT);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(bitmap, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);

  struct Region {
    float score;
    Quad corners;
  };
  std::vector<Region> regions;
  for (const auto& contour : contours) {
    const cv::RotatedRect rect = cv::minAreaRect(contour);
    if (std::min(rect.size.width, rect.size.height) < spec_.min_size) continue;
    const Quad box = ordered_corners(rect);
    const float score = mean_inside(prob, box);
    if (score < spec_.box_threshold) continue;
    const float w = rect.size.width, h = rect.size.height;
    const float offset = (w * h) * spec_.unclip_ratio / (2.0f * (w + h));
    const cv::RotatedRect grown(rect.center, cv::Size2f(w + 2 * offset, h + 2 * offset), rect.angle);
    if (std::min(grown.size.width, grown.size.height) < spec_.min_size + 2) continue;
    regions.push_back({score, ordered_corners(grown)});
  }
  std::stable_sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) { return a.score > b.score; });
  if (regions.size() > static_cast<size_t>(spec_.max_regions)) regions.resize(static_cast<size_t>(spec_.max_regions));

  std::vector<Detection> out;
  out.reserve(regions.size());
  for (const Region& r : regions) {
    Detection d;
    d.label = spec_.label;
    d.score = r.score;
    float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (const auto& p : r.corners) {
      float x = p.x, y = p.y;
      if (geometry) geometry->to_source(p.x / static_cast<float>(width), p.y / static_cast<float>(height), &x, &y);
      d.keypoints.push_back({x, y});
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
    d.x = x0;
    d.y = y0;
    d.w = x1 - x0;
    d.h = y1 - y0;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace sensix
