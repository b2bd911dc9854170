// CameraDriver: what the live OpenCV cameras (network-camera, v4l2-camera) share on top of
// LiveDriver: the capture, the frame connect() waited for (the first read() delivers it), a read()
// that makes every frame 8-bit BGR and counts the frames that cannot be used, and a disconnect()
// that releases the capture. A camera supplies grab() (one read with its failure policy) and
// accept() (its own checks of a usable frame, and the frame's duration).
//
// Thread-safety: as SensorDriver. The capture is used only on the driver thread.
#pragma once

#include <string>

#include <memory>

#include <opencv2/core/mat.hpp>
#include <opencv2/videoio.hpp>  // the cv::CAP_* constants only: the capture is the media plugin's

#include "sensors/live/live_driver.h"
#include "sensors/media.h"

namespace sensix {

class CameraDriver : public LiveDriver {
 protected:
  using LiveDriver::LiveDriver;

  // One read with the camera's failure policy: true = a frame (possibly empty), false = this read
  // failed (read again), an error = the source is lost.
  virtual Result<bool> grab(cv::Mat* m) = 0;
  // A frame that is 8-bit BGR now: the camera's own checks, then *out filled (kUnit), or kSkipped
  // to leave it out (a frame-rate cap); an error = the source is lost.
  virtual Result<Read> accept(cv::Mat m, Unit* out) = 0;
  // What an empty frame is called in the counted error, e.g. "the stream gave an empty frame".
  virtual std::string empty_frame_text() const = 0;

  // What describe() checks for every camera: `source` (spec.<field>) is not empty, the video
  // section is valid, the media plugin loads, and its OpenCV has `backend` (named `backend_name`);
  // *info is then a 3-channel
  // image source at video.fps without an end. `source` names the camera in the errors.
  Status describe_camera(SensorInfo* info, const std::string& source, const char* field, int backend,
                         const char* backend_name);

  // One read of the capture: whether it gave a frame, how long it blocked, and the text of the
  // OpenCV exception it threw, if any. grab() builds its failure policy on it.
  struct CaptureRead {
    bool got = false;
    double waited_s = 0;
    std::string why;
  };
  CaptureRead read_capture(cv::Mat* m);

  // The end of connect(): connected means frames come, so waits (up to reconnect.timeout) for the
  // first frame, which the first read() delivers; an error says why none came.
  Status await_first_frame();

  // A fresh capture in cap_, from the media plugin (whose failure is the error).
  Status new_capture();

  Result<Read> read(Unit* out) final;
  void disconnect() final;

  std::unique_ptr<media::VideoSource> cap_;  // driver thread; set by connect()
  cv::Mat first_;                            // the frame connect() waited for, delivered by the first read()
};

}  // namespace sensix
