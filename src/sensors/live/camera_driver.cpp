#include "sensors/live/camera_driver.h"

#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sensors/camera_common.h"

namespace sensix {

Result<LiveDriver::Read> CameraDriver::read(Unit* out) {
  cv::Mat m;  // a fresh buffer per frame: published frames are shared and immutable
  if (!first_.empty()) {
    m = std::move(first_);
    first_ = cv::Mat();
  } else {
    SENSIX_ASSIGN_OR_RETURN(bool got, grab(&m));
    if (!got) return Read::kNothing;
  }
  if (m.empty()) {
    count_error(fmt::format("{}: {}", source_label(), empty_frame_text()));
    return Read::kNothing;
  }
  const Status conv = to_bgr8(&m);  // catches OpenCV's exceptions itself
  if (!conv.ok()) {
    count_error(fmt::format("{}: cannot use {}", source_label(), conv.message()));
    return Read::kNothing;
  }
  return accept(std::move(m), out);
}

void CameraDriver::disconnect() {
  first_ = cv::Mat();
  try {
    cap_.release();
  } catch (const cv::Exception& e) {
    spdlog::warn("sensor {}: closing {}: {}", name(), source_label(), e.what());
  }
}

}  // namespace sensix
