#include "sensors/replay/video_file_driver.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "sensors/camera_common.h"

namespace sensix {

VideoFileDriver::VideoFileDriver(std::string name, SensorSpec spec, Env* env)
    : ReplayDriver(std::move(name), std::move(spec), env) {}

VideoFileDriver::~VideoFileDriver() { stop(); }

Status VideoFileDriver::open_capture() {
  const std::string& path = spec().path;
  cap_.reset();
  Result<std::unique_ptr<media::VideoSource>> source = media::new_video_source();
  if (!source.ok()) return FailedPrecondition(fmt::format("{}: {}", path, source.status().message()));
  cap_ = std::move(source).value();
  try {
    if (!cap_->open(path, cv::CAP_FFMPEG, {})) {
      return InvalidArgument(fmt::format("{}: OpenCV (FFmpeg) cannot open it as a video", path));
    }
  } catch (const cv::Exception& e) {
    return InvalidArgument(fmt::format("{}: OpenCV (FFmpeg) cannot open it as a video: {}", path, e.what()));
  }
  return Status::Ok();
}

Result<bool> VideoFileDriver::read_frame(cv::Mat* out) {
  cv::Mat m;  // a fresh buffer per frame: published frames are shared and immutable
  try {
    if (!cap_->read(&m) || m.empty()) return false;
  } catch (const cv::Exception& e) {
    return DataLoss(fmt::format("{}: cannot decode frame {}: {}", spec().path, pass_read_, e.what()));
  }
  Status s = to_bgr8(&m);
  if (!s.ok()) return s.with_context(fmt::format("{}: frame {}", spec().path, pass_read_));
  *out = std::move(m);
  return true;
}

Status VideoFileDriver::open_source(SensorInfo* info) {
  const std::string& path = spec().path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(fmt::format("video file {} does not exist", path));
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgument(fmt::format("{} is a folder; the video-file driver needs a file", path));
  }
  SENSIX_RETURN_IF_ERROR(open_capture());

  double fps = 0, count = 0, fourcc = 0;
  try {
    fps = cap_->get(cv::CAP_PROP_FPS);
    count = cap_->get(cv::CAP_PROP_FRAME_COUNT);
    fourcc = cap_->get(cv::CAP_PROP_FOURCC);
  } catch (const cv::Exception&) {
  }
  const double cap = spec().video.fps;
  if (usable_fps(fps) > 0) {
    native_fps_ = fps;
  } else if (cap > 0) {
    spdlog::warn("{}: the video does not state a usable frame rate ({}); using video.fps {}", path, fps, cap);
    native_fps_ = cap;
  } else {
    return InvalidArgument(
        fmt::format("{}: the video does not state a usable frame rate ({}); set video.fps in the Sensor", path, fps));
  }
  emit_fps_ = (cap > 0 && cap < native_fps_) ? cap : native_fps_;
  declared_frames_ = (std::isfinite(count) && count > 0) ? static_cast<int64_t>(std::llround(count)) : 0;

  SENSIX_ASSIGN_OR_RETURN(bool got, read_frame(&first_));
  if (!got) return InvalidArgument(fmt::format("{}: OpenCV (FFmpeg) opened it but cannot decode a single frame", path));

  const SensorVideoSpec& declared = spec().video;
  if ((declared.width != 0 && declared.width != first_.cols) ||
      (declared.height != 0 && declared.height != first_.rows)) {
    return InvalidArgument(fmt::format("{}: the Sensor declares video {}x{} but the frames are {}x{}", path,
                                       declared.width != 0 ? std::to_string(declared.width) : "*",
                                       declared.height != 0 ? std::to_string(declared.height) : "*", first_.cols,
                                       first_.rows));
  }

  info->modality = Modality::kImage;
  info->width = first_.cols;
  info->height = first_.rows;
  info->channels = 3;
  info->fps = emit_fps_;
  info->duration_ns = declared_frames_ > 0
                          ? static_cast<int64_t>(static_cast<double>(declared_frames_) / native_fps_ * 1e9)
                          : -1;
  std::string backend;
  try {
    backend = cap_->backend_name();
  } catch (const cv::Exception&) {
  }
  info->description = fmt::format("{} video ({}), {}x{}, {:.3f} fps{}, {} frames", backend.empty() ? "OpenCV" : backend,
                                  fourcc_name(fourcc), first_.cols, first_.rows, native_fps_,
                                  emit_fps_ < native_fps_ ? fmt::format(" (capped at {:.3f})", emit_fps_) : "",
                                  declared_frames_ > 0 ? std::to_string(declared_frames_) : "unknown");
  return Status::Ok();
}

Result<ReplayDriver::Read> VideoFileDriver::read_next(Unit* out) {
  cv::Mat m;
  if (!first_.empty()) {
    m = std::move(first_);
    first_ = cv::Mat();
  } else {
    SENSIX_ASSIGN_OR_RETURN(bool got, read_frame(&m));
    if (!got) {
      const int64_t tolerance = std::max<int64_t>(2, declared_frames_ / 100);
      if (declared_frames_ > 0 && pass_read_ < declared_frames_ - tolerance) {
        return DataLoss(
            fmt::format("{}: the video ends after {} of the {} frames its container declares (truncated or damaged)",
                        spec().path, pass_read_, declared_frames_));
      }
      return Read::kEndOfPass;
    }
  }
  const int64_t i = index_++;
  ++pass_read_;
  // Keep frame i when the count of frames due at the emitted rate advances.
  const double ratio = emit_fps_ / native_fps_;
  constexpr double kEps = 1e-9;
  const bool keep = i == 0 || std::floor(static_cast<double>(i) * ratio + kEps) >
                                  std::floor(static_cast<double>(i - 1) * ratio + kEps);
  if (!keep) return Read::kSkipped;
  out->media_ns = static_cast<int64_t>(std::llround(static_cast<double>(i) * 1e9 / native_fps_));
  out->duration_ns = static_cast<int64_t>(std::llround(1e9 / emit_fps_));
  out->data = std::move(m);
  return Read::kUnit;
}

Status VideoFileDriver::rewind() {
  pass_read_ = 0;
  return open_capture();
}

}  // namespace sensix
