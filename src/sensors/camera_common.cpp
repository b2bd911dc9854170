#include "sensors/camera_common.h"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

namespace sensix {

Status check_video_spec(const std::string& sensor, const SensorVideoSpec& v) {
  if (!std::isfinite(v.fps) || v.fps < 0 || v.fps > kMaxCameraFps || v.width < 0 || v.height < 0) {
    return InvalidArgument(
        fmt::format("sensor {}: video.fps must be in 0..{} and video.width / video.height cannot be negative", sensor,
                    kMaxCameraFps));
  }
  return Status::Ok();
}

Status to_bgr8(cv::Mat* m) {
  try {
    if (m->depth() != CV_8U) {
      cv::Mat c;
      m->convertTo(c, CV_8U, m->depth() == CV_16U ? 1.0 / 256 : 1.0);
      *m = c;
    }
    if (m->channels() == 1) {
      cv::Mat c;
      cv::cvtColor(*m, c, cv::COLOR_GRAY2BGR);
      *m = c;
    } else if (m->channels() == 4) {
      cv::Mat c;
      cv::cvtColor(*m, c, cv::COLOR_BGRA2BGR);
      *m = c;
    } else if (m->channels() != 3) {
      return InvalidArgument(fmt::format("frames with {} channels are not supported", m->channels()));
    }
  } catch (const cv::Exception& e) {
    return InvalidArgument(fmt::format("cannot convert a frame to BGR: {}", e.what()));
  }
  return Status::Ok();
}

std::string fourcc_name(double code) {
  if (!std::isfinite(code) || code <= 0) return "?";
  auto c = static_cast<uint32_t>(code);
  std::string s;
  for (int i = 0; i < 4; ++i) {
    char ch = static_cast<char>((c >> (8 * i)) & 0xff);
    s += (ch >= 32 && ch < 127) ? ch : '?';
  }
  return s;
}

double usable_fps(double fps) { return std::isfinite(fps) && fps > 0 && fps <= kMaxCameraFps ? fps : 0; }

}  // namespace sensix
