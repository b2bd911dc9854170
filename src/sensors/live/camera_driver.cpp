#include "sensors/live/camera_driver.h"

#include <chrono>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sensors/camera_common.h"

namespace sensix {

Status CameraDriver::describe_camera(SensorInfo* info, const std::string& source, const char* field, int backend,
                                     const char* backend_name) {
  if (source.empty()) return InvalidArgument(fmt::format("sensor {}: spec.{} is empty", name(), field));
  SENSIX_RETURN_IF_ERROR(check_video_spec(name(), spec().video));
  Result<bool> has = media::has_video_backend(backend);
  if (!has.ok()) return FailedPrecondition(fmt::format("sensor {}: {}", name(), has.status().message()));
  if (!*has) {
    return FailedPrecondition(fmt::format("{}: this OpenCV has no {} video backend, which the {} driver needs", source,
                                          backend_name, sensor_driver_name(spec().driver)));
  }
  info->modality = Modality::kImage;
  info->channels = 3;
  info->fps = spec().video.fps;
  info->duration_ns = -1;
  return Status::Ok();
}

CameraDriver::CaptureRead CameraDriver::read_capture(cv::Mat* m) {
  CaptureRead r;
  const auto t0 = env()->now();
  try {
    r.got = cap_ != nullptr && cap_->read(m);
  } catch (const cv::Exception& e) {
    r.why = e.what();
  }
  r.waited_s = std::chrono::duration<double>(env()->now() - t0).count();
  return r;
}

Status CameraDriver::await_first_frame() {
  const double timeout = spec().reconnect.timeout;
  const auto deadline = env()->now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(timeout));
  for (;;) {
    Result<bool> got = grab(&first_);
    if (!got.ok()) return Unavailable(fmt::format("opened, but {} before the first frame", got.status().message()));
    if (*got && !first_.empty()) return Status::Ok();
    if (env()->now() > deadline) return Unavailable(fmt::format("opened, but no frame came within {:g} s", timeout));
  }
}

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

Status CameraDriver::new_capture() {
  cap_.reset();
  SENSIX_ASSIGN_OR_RETURN(cap_, media::new_video_source());
  return Status::Ok();
}

void CameraDriver::disconnect() {
  first_ = cv::Mat();
  if (cap_ == nullptr) return;
  try {
    cap_->release();
  } catch (const cv::Exception& e) {
    spdlog::warn("sensor {}: closing {}: {}", name(), source_label(), e.what());
  }
  cap_.reset();
}

}  // namespace sensix
