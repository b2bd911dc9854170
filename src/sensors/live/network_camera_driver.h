// NetworkCameraDriver ("network-camera"): a live video stream read through OpenCV's VideoCapture
// with the FFmpeg backend: rtsp:// and rtsps:// (OpenCV asks FFmpeg for RTSP over TCP), http(s)://
// (MJPEG multipart, or any container FFmpeg reads), udp:// and rtp:// (MPEG-TS; RTP with a static
// payload type such as 26 = JPEG or 33 = MPEG-TS), tcp://, or a local .sdp file describing an
// RTP session (H.264, MJPEG, ...). Frames are 8-bit BGR cv::Mat.
//
// Lifecycle (LiveDriver): open() reads nothing from the network: the format comes from the
// document (video.width/height if both are given, else "any size"; info().fps = video.fps, or 0
// when not set). The driver thread connects with reconnect.timeout as FFmpeg's open timeout and
// read timeout (CAP_PROP_OPEN_TIMEOUT_MSEC, CAP_PROP_READ_TIMEOUT_MSEC); a connection counts as
// made (kRunning) only once its first frame has been decoded, so connect() takes at most twice
// reconnect.timeout. A stream that states a size other than a declared one fails at once.
//
// Reading: each read() decodes the next frame. It returns within one frame interval of the
// stream, and at most reconnect.timeout when the stream stalls (OpenCV 4.6 offers no way to
// interrupt a read, and a read that timed out leaves the capture unusable, so a shorter poll is
// impossible); stop() waits for it. A read that fails is retried at once; when a later read
// brings a frame, the failed ones are counted as errors (degraded: undecodable frames), except
// before the first frame of a connection (the decoder waiting for a key frame of a stream joined
// between two). After kMaxFailedReads failures in a row, or a read that waited the whole timeout,
// the stream is lost and LiveDriver reconnects with back-off. An empty frame is counted as an error.
//
// video.fps caps the rate: frames that arrive sooner than 1/fps after the last one kept are not
// published (counted in stats().skipped). Media time is the arrival time; duration_ns is 1/fps of
// the emitted rate when known (the cap, or the rate the stream states, whichever is lower).
// A frame whose size differs from a declared video.width / video.height fails the sensor at once
// (kInvalidArgument, the message gives both sizes): retrying cannot fix the document.
//
// Messages name the source by its URL with any password replaced by "***"; frames carry the URL
// without any user:password@ part (Frame::source), since it reaches outputs and files.
//
// Thread-safety: as SensorDriver. The VideoCapture is used only on the driver thread.
#pragma once

#include <string>

#include "sensors/live/camera_driver.h"

namespace sensix {

class NetworkCameraDriver final : public CameraDriver {
 public:
  NetworkCameraDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~NetworkCameraDriver() override;

  // Failed reads in a row after which the stream counts as lost. A read that fails because the
  // stream ended (or timed out) fails again at once, so this costs nothing there; a read that fails
  // to decode consumes data, so this many in a row means the stream cannot be decoded at all.
  static constexpr int kMaxFailedReads = 25;

 private:
  Status describe(SensorInfo* info) override;
  Status connect() override;
  std::string source_label() const override { return label_; }
  std::string frame_source_text() const override;  // the URL without user:password@
  Result<bool> grab(cv::Mat* m) override;
  Result<Read> accept(cv::Mat m, Unit* out) override;
  std::string empty_frame_text() const override { return "the stream gave an empty frame"; }

  const std::string label_;             // the URL without its password
  double emit_fps_ = 0;                 // of this connection: the cap or the stream's rate, 0 if unknown
  int failed_reads_ = 0;                // in a row
  bool got_frame_ = false;              // a frame was decoded since connect()
  bool stalled_ = false;                // the last frame came only after the read timeout
  bool kept_any_ = false;               // a frame was kept since connect() (fps cap)
  SteadyClock::time_point next_due_{};  // fps cap: when the next frame is due
};

// `url` with the password of any user:password@ part replaced by "***".
std::string redact_url(const std::string& url);
// `url` without any user@ or user:password@ part ("rtsp://admin:pw@cam/s" -> "rtsp://cam/s").
std::string url_without_userinfo(const std::string& url);

}  // namespace sensix
