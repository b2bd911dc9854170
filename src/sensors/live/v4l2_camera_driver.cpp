#include "sensors/live/v4l2_camera_driver.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "sensors/camera_common.h"

namespace sensix {

V4l2CameraDriver::V4l2CameraDriver(std::string name, SensorSpec spec, Env* env)
    : CameraDriver(std::move(name), std::move(spec), env) {}

V4l2CameraDriver::~V4l2CameraDriver() { stop(); }

Status V4l2CameraDriver::describe(SensorInfo* info) {
  const SensorSpec& s = spec();
  SENSIX_RETURN_IF_ERROR(describe_camera(info, s.device, "device", cv::CAP_V4L2, "V4L2"));
  const SensorVideoSpec& v = s.video;
  info->width = 0;  // known once the device is open: the device picks the nearest format it has
  info->height = 0;
  std::string asked;
  if (v.width > 0 || v.height > 0) {
    asked += fmt::format(", asks {}x{}", v.width > 0 ? std::to_string(v.width) : "*",
                         v.height > 0 ? std::to_string(v.height) : "*");
  }
  if (v.fps > 0) asked += fmt::format("{} {:g} fps", asked.empty() ? ", asks" : " at", v.fps);
  info->description = fmt::format("V4L2 camera {} (OpenCV V4L2){}", s.device, asked);
  return Status::Ok();
}

Status V4l2CameraDriver::connect() {
  const std::string& dev = spec().device;
  const SensorVideoSpec& v = spec().video;
  failed_reads_ = 0;
  got_frame_ = false;
  first_ = cv::Mat();
  std::error_code ec;
  if (!std::filesystem::exists(dev, ec)) return NotFound(fmt::format("the device {} does not exist", dev));
  if (!std::filesystem::is_character_file(dev, ec)) {
    return Unavailable(fmt::format("{} is not a character device, so not a V4L2 camera", dev));
  }
  if (::access(dev.c_str(), R_OK | W_OK) != 0) {
    return Unavailable(
        fmt::format("no permission to open {} (is the user in the group that owns it, e.g. video?)", dev));
  }
  SENSIX_RETURN_IF_ERROR(new_capture());
  try {
    if (!cap_->open(dev, cv::CAP_V4L2, {}) || !cap_->is_open()) {
      return Unavailable(fmt::format("OpenCV (V4L2) cannot open {} as a capture device (busy, or not a camera)", dev));
    }
    if (v.width > 0) cap_->set(cv::CAP_PROP_FRAME_WIDTH, v.width);
    if (v.height > 0) cap_->set(cv::CAP_PROP_FRAME_HEIGHT, v.height);
    if (v.fps > 0) cap_->set(cv::CAP_PROP_FPS, v.fps);
  } catch (const cv::Exception& e) {
    return Unavailable(fmt::format("OpenCV (V4L2) cannot open {}: {}", dev, e.what()));
  }
  double w = 0, h = 0, fps = 0, fourcc = 0;
  try {
    w = cap_->get(cv::CAP_PROP_FRAME_WIDTH);
    h = cap_->get(cv::CAP_PROP_FRAME_HEIGHT);
    fps = cap_->get(cv::CAP_PROP_FPS);
    fourcc = cap_->get(cv::CAP_PROP_FOURCC);
  } catch (const cv::Exception&) {
  }
  fps_ = usable_fps(fps);
  const int aw = std::isfinite(w) ? static_cast<int>(w) : 0;
  const int ah = std::isfinite(h) ? static_cast<int>(h) : 0;
  const std::string actual = fmt::format("{}x{} {} at {:g} fps", aw, ah, fourcc_name(fourcc), fps_);
  const bool differs = (v.width > 0 && v.width != aw) || (v.height > 0 && v.height != ah) ||
                       (v.fps > 0 && std::abs(v.fps - fps_) > 0.01 * v.fps);
  if (differs) {
    spdlog::warn("sensor {}: {} captures {}, not the {}x{}{} asked", name(), dev, actual,
                 v.width > 0 ? std::to_string(v.width) : "*", v.height > 0 ? std::to_string(v.height) : "*",
                 v.fps > 0 ? fmt::format(" at {:g} fps", v.fps) : "");
  } else {
    spdlog::info("sensor {}: {} captures {}", name(), dev, actual);
  }
  // Connected means frames come: wait for the first one (kept for the first read()).
  return await_first_frame();
}

Result<bool> V4l2CameraDriver::grab(cv::Mat* m) {
  const CaptureRead r = read_capture(m);
  if (!r.got) {
    ++failed_reads_;
    if (r.waited_s >= 0.9 * spec().reconnect.timeout) {
      return Unavailable(fmt::format("no frame for {:.1f} s", r.waited_s));
    }
    if (failed_reads_ >= kMaxFailedReads) {
      return Unavailable(r.why.empty() ? std::string("the device stopped giving frames (unplugged?)")
                                       : fmt::format("the device cannot be read: {}", r.why));
    }
    return false;
  }
  if (failed_reads_ > 0) {
    if (got_frame_) count_error(fmt::format("{}: {} frame(s) could not be captured", spec().device, failed_reads_));
    failed_reads_ = 0;
  }
  got_frame_ = true;
  return true;
}

Result<LiveDriver::Read> V4l2CameraDriver::accept(cv::Mat m, Unit* out) {
  out->data = std::move(m);
  out->duration_ns = fps_ > 0 ? static_cast<int64_t>(std::llround(1e9 / fps_)) : 0;
  return Read::kUnit;
}

}  // namespace sensix
