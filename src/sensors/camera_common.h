// What the OpenCV-based image drivers (video-file, network-camera, v4l2-camera) share: the checks
// of a Sensor's `video` section, making a captured frame 8-bit BGR, and naming a FOURCC code.
#pragma once

#include <string>

#include <opencv2/core/mat.hpp>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

// A stated frame rate above this is not one (RTP streams report their 90 kHz clock).
inline constexpr double kMaxCameraFps = 1000;

// video.fps in 0..kMaxCameraFps, width/height not negative; the error names the sensor.
Status check_video_spec(const std::string& sensor, const SensorVideoSpec& v);

// A decoded or captured frame made 8-bit BGR in place (16-bit scaled down, gray and BGRA
// converted); another channel count, or a conversion OpenCV refuses, is kInvalidArgument naming it.
Status to_bgr8(cv::Mat* m);

// A FOURCC code (CAP_PROP_FOURCC) as its four characters, "?" for none.
std::string fourcc_name(double code);

// The frame rate a capture reports, or 0 when it is not a usable frame rate.
double usable_fps(double fps);

}  // namespace sensix
