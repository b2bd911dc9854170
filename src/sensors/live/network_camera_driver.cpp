#include "sensors/live/network_camera_driver.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "sensors/camera_common.h"

namespace sensix {

namespace {

bool is_local_sdp(const std::string& url) {
  return url.find("://") == std::string::npos && url.size() > 4 && url.compare(url.size() - 4, 4, ".sdp") == 0;
}

// What FFmpeg is asked to open. A local .sdp file is passed as a data: URI: FFmpeg refuses the
// rtp/udp protocols an SDP file names unless they are whitelisted, and OpenCV 4.6 can only pass
// that whitelist through a process-wide environment variable. Read at each connection, so an SDP
// file rewritten by a restarted sender is picked up.
Result<std::string> ffmpeg_target(const std::string& url) {
  if (!is_local_sdp(url)) return url;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(url, ec)) {
    return NotFound(fmt::format("the SDP file {} does not exist (or is not a file)", url));
  }
  std::ifstream f(url, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!f.good() && !f.eof()) return Unavailable(fmt::format("cannot read the SDP file {}", url));
  if (text.empty()) return Unavailable(fmt::format("the SDP file {} is empty", url));
  if (text.size() > 64 * 1024) return InvalidArgument(fmt::format("the SDP file {} is larger than 64 KiB", url));
  std::string encoded(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  encoded.resize(static_cast<size_t>(n));
  return "data:application/sdp;base64," + encoded;
}

std::string size_text(int w, int h) {
  return fmt::format("{}x{}", w != 0 ? std::to_string(w) : "*", h != 0 ? std::to_string(h) : "*");
}

}  // namespace

namespace {

// Where a URL's "user[:password]@" lies: [start, at] with `at` the '@', or nullopt when it has none.
std::optional<std::pair<size_t, size_t>> userinfo(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return std::nullopt;
  const size_t start = scheme + 3;
  const size_t end = std::min(url.find_first_of("/?#", start), url.size());
  const size_t at = url.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < start) return std::nullopt;
  return std::make_pair(start, at);
}

}  // namespace

std::string redact_url(const std::string& url) {
  const auto span = userinfo(url);
  if (!span) return url;
  const size_t colon = url.find(':', span->first);
  if (colon == std::string::npos || colon > span->second) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(span->second);
}

std::string url_without_userinfo(const std::string& url) {
  const auto span = userinfo(url);
  return span ? url.substr(0, span->first) + url.substr(span->second + 1) : url;
}

NetworkCameraDriver::NetworkCameraDriver(std::string name, SensorSpec spec, Env* env)
    : CameraDriver(std::move(name), std::move(spec), env), label_(redact_url(this->spec().url)) {}

NetworkCameraDriver::~NetworkCameraDriver() { stop(); }

std::string NetworkCameraDriver::frame_source_text() const { return url_without_userinfo(spec().url); }

Status NetworkCameraDriver::describe(SensorInfo* info) {
  SENSIX_RETURN_IF_ERROR(describe_camera(info, spec().url.empty() ? "" : label_, "url", cv::CAP_FFMPEG, "FFmpeg"));
  const SensorVideoSpec& v = spec().video;
  const bool sized = v.width > 0 && v.height > 0;
  info->width = sized ? v.width : 0;
  info->height = sized ? v.height : 0;
  info->description = fmt::format("network camera {} (OpenCV FFmpeg), {}{}", label_,
                                  sized ? fmt::format("{}x{}", v.width, v.height) : "any size",
                                  v.fps > 0 ? fmt::format(", at most {:g} fps", v.fps) : "");
  return Status::Ok();
}

Status NetworkCameraDriver::connect() {
  const SensorSpec& s = spec();
  failed_reads_ = 0;
  got_frame_ = false;
  stalled_ = false;
  kept_any_ = false;
  first_ = cv::Mat();
  SENSIX_ASSIGN_OR_RETURN(std::string target, ffmpeg_target(s.url));
  const int timeout_ms = static_cast<int>(std::clamp(std::lround(s.reconnect.timeout * 1000.0), 1L, 3600L * 1000));
  const std::vector<int> params{cv::CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms, cv::CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms};
  SENSIX_RETURN_IF_ERROR(new_capture());
  try {
    if (!cap_->open(target, cv::CAP_FFMPEG, params) || !cap_->is_open()) {
      return Unavailable(
          fmt::format("OpenCV (FFmpeg) cannot open the stream (waited at most {:g} s)", s.reconnect.timeout));
    }
  } catch (const cv::Exception& e) {
    return Unavailable(fmt::format("OpenCV (FFmpeg) cannot open the stream: {}", e.what()));
  }

  double fps = 0, width = 0, height = 0;
  try {
    fps = cap_->get(cv::CAP_PROP_FPS);
    width = cap_->get(cv::CAP_PROP_FRAME_WIDTH);
    height = cap_->get(cv::CAP_PROP_FRAME_HEIGHT);
  } catch (const cv::Exception&) {
  }
  const int w = std::isfinite(width) ? static_cast<int>(width) : 0;
  const int h = std::isfinite(height) ? static_cast<int>(height) : 0;
  const SensorVideoSpec& v = s.video;
  if (w > 0 && h > 0 && ((v.width != 0 && v.width != w) || (v.height != 0 && v.height != h))) {
    return InvalidArgument(fmt::format("{}: the Sensor declares video {} but the stream is {}x{}", label_,
                                       size_text(v.width, v.height), w, h));
  }
  const double stream_fps = usable_fps(fps);
  emit_fps_ = (v.fps > 0 && (stream_fps == 0 || v.fps < stream_fps)) ? v.fps : stream_fps;
  spdlog::info("sensor {}: {} is {}, {}", name(), label_,
               w > 0 && h > 0 ? fmt::format("{}x{}", w, h) : "of unknown size",
               stream_fps > 0 ? fmt::format("{:.3f} fps as stated", stream_fps) : "no stated frame rate");

  // Connected means frames come: wait for the first one (kept for the first read()). This also
  // catches a capture that OpenCV opened but left unusable (its open timeout fired late).
  return await_first_frame();
}

Result<bool> NetworkCameraDriver::grab(cv::Mat* m) {
  const CaptureRead r = read_capture(m);
  const bool timed_out = r.waited_s >= 0.9 * spec().reconnect.timeout;
  if (!r.got) {
    ++failed_reads_;
    if (timed_out) return Unavailable(fmt::format("no frame for {:.1f} s", r.waited_s));
    if (failed_reads_ >= kMaxFailedReads) {
      // After a read that timed out, OpenCV 4.6 returns a last decoded frame, then fails at once.
      if (stalled_)
        return Unavailable(fmt::format("no data for {:g} s (the stream stalled)", spec().reconnect.timeout));
      return Unavailable(r.why.empty() ? std::string("the stream ended or cannot be decoded")
                                       : fmt::format("the stream cannot be read: {}", r.why));
    }
    return false;
  }
  stalled_ = timed_out;
  if (failed_reads_ > 0) {
    // Before the first frame of a connection, failures are the decoder waiting for a key frame
    // (a stream joined between two), not bad data.
    if (got_frame_) count_error(fmt::format("{}: {} frame(s) could not be read or decoded", label_, failed_reads_));
    failed_reads_ = 0;
  }
  got_frame_ = true;
  return true;
}

Result<LiveDriver::Read> NetworkCameraDriver::accept(cv::Mat m, Unit* out) {
  const SensorSpec& s = spec();
  const SensorVideoSpec& v = s.video;
  if ((v.width != 0 && v.width != m.cols) || (v.height != 0 && v.height != m.rows)) {
    return InvalidArgument(fmt::format("{}: the Sensor declares video {} but the stream's frames are {}x{}", label_,
                                       size_text(v.width, v.height), m.cols, m.rows));
  }

  if (v.fps > 0) {
    // Keep a frame when it is due (a quarter period early is tolerated: arrival times jitter);
    // the next one is due one period later, or a period from now after a gap.
    const auto period = std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(1.0 / v.fps));
    const auto now = env()->now();
    if (kept_any_ && now + period / 4 < next_due_) return Read::kSkipped;
    next_due_ = (kept_any_ && now - next_due_ < period) ? next_due_ + period : now + period;
    kept_any_ = true;
  }
  out->data = std::move(m);
  out->duration_ns = emit_fps_ > 0 ? static_cast<int64_t>(std::llround(1e9 / emit_fps_)) : 0;
  return Read::kUnit;
}

}  // namespace sensix
