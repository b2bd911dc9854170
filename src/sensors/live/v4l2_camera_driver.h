// V4l2CameraDriver ("v4l2-camera"): a Video4Linux2 capture device (a USB or CSI camera,
// /dev/video0) read through OpenCV's V4L2 backend, as 8-bit BGR cv::Mat frames.
//
// video.width, video.height and video.fps are the capture format asked of the device
// (CAP_PROP_FRAME_WIDTH, CAP_PROP_FRAME_HEIGHT, CAP_PROP_FPS); the driver picks the nearest it
// supports, and the format actually given is logged at each connection (a warning when it differs
// from the one asked). Because that is only known once the device is open, and open() must not
// touch the device (a camera that is unplugged when sensix starts must not stop sensix), info()
// gives "any size" (0x0) and fps = video.fps (0 when not set).
//
// Lifecycle (LiveDriver): connect() fails, naming the device, when the path does not exist, is not
// a character device, cannot be opened for lack of permission, OpenCV cannot open it as a capture
// device, or no first frame comes within reconnect.timeout (a connection counts as made, kRunning,
// only once a frame has been captured). Like any lost source it is retried with back-off (an
// unplugged camera comes back when it is plugged in again), and fails after reconnect.maxAttempts
// attempts in a row.
//
// Reading: read() returns within one frame interval. OpenCV waits up to
// OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT (10 s by default, read once per process) for a frame of a
// stalled device and offers no way to interrupt that wait; stop() waits for it. A failed read is
// retried at once; when a frame follows, the failed reads are counted as errors (degraded); after
// kMaxFailedReads in a row, or a read that waited reconnect.timeout or longer, the device is lost
// and reconnected. An empty frame (e.g. a corrupt MJPEG frame) is counted as an error. Media time
// is the arrival time; duration_ns is 1/fps of the rate the device reports, 0 if it reports none.
//
// Thread-safety: as SensorDriver. The VideoCapture is used only on the driver thread.
#pragma once

#include <string>

#include "sensors/live/camera_driver.h"

namespace sensix {

class V4l2CameraDriver final : public CameraDriver {
 public:
  V4l2CameraDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~V4l2CameraDriver() override;

  // Failed reads in a row after which the device counts as lost.
  static constexpr int kMaxFailedReads = 5;

 private:
  Status describe(SensorInfo* info) override;
  Status connect() override;
  std::string source_label() const override { return spec().device; }
  std::string frame_source_text() const override { return spec().device; }
  Result<bool> grab(cv::Mat* m) override;
  Result<Read> accept(cv::Mat m, Unit* out) override;
  std::string empty_frame_text() const override { return "the device gave an empty (undecodable) frame"; }

  double fps_ = 0;          // as the device reports it for this connection, 0 if unknown
  int failed_reads_ = 0;    // in a row
  bool got_frame_ = false;  // a frame was captured since connect()
};

}  // namespace sensix
