// VideoFileDriver ("video-file"): replays a video file through OpenCV's VideoCapture (FFmpeg
// backend, in the media plugin: sensors/media.h) as 8-bit BGR cv::Mat frames.
//
// media_ns of a frame = (its index in the stream, counting every frame read across loops) /
// native fps; duration_ns = 1 / emitted fps. video.fps below the native rate caps the rate:
// frames are dropped evenly to keep to it (frame i is kept when floor(i * cap / native)
// advances), counted in stats().skipped, not as errors. info().fps is the emitted rate.
//
// open() fails, naming the file, when it is missing, OpenCV cannot open it or decode its first
// frame (or the media plugin cannot be loaded), the frame rate is unknown and video.fps is not set, or the frame size does not match a
// declared video.width / video.height (the message gives both). The first frame is decoded at
// open and kept for the first pass. When a pass ends more than max(2, 1%) frames short of the
// count the container declares (a truncated or damaged file), the driver fails with a DataLoss
// reason after delivering every frame it could decode. Looping reopens the file.
//
// Thread-safety: as SensorDriver. Owns its capture.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/videoio.hpp>  // the cv::CAP_* constants only: the capture is the media plugin's

#include "sensors/media.h"
#include "sensors/replay/replay_driver.h"

namespace sensix {

class VideoFileDriver final : public ReplayDriver {
 public:
  VideoFileDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~VideoFileDriver() override;

 private:
  Status open_source(SensorInfo* info) override;
  Result<Read> read_next(Unit* out) override;
  Status rewind() override;
  Status open_capture();
  // Reads and converts one frame; false at the end of the stream.
  Result<bool> read_frame(cv::Mat* out);

  std::unique_ptr<media::VideoSource> cap_;  // set by open_capture()
  cv::Mat first_;                            // decoded at open(), delivered first
  double native_fps_ = 0;
  double emit_fps_ = 0;
  int64_t declared_frames_ = 0;  // CAP_PROP_FRAME_COUNT, 0 if unknown
  int64_t index_ = 0;            // frames read since start, across loops
  int64_t pass_read_ = 0;        // frames read in this pass
};

}  // namespace sensix
