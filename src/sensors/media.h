// media: image decoding and video capture (OpenCV's imgcodecs and videoio) through the media
// plugin, libsensix-media.so, which the process loads the first time a sensor needs it.
//
// Why a plugin: imgcodecs and videoio bring FFmpeg, GStreamer, GDAL and about 230 more shared
// libraries, 50 MB of resident pages in every process that links them, whether or not it ever reads
// a video. An idle `sensix serve`, or one that serves only audio and MQTT sensors, maps none of it.
//
// The plugin is found at (first match, as sensix-worker is): $SENSIX_MEDIA_PLUGIN (a file);
// libsensix-media.so next to the executable; the one of the build this binary was built in (so
// that the build tree's tests and benchmarks, in its subfolders, find it). A plugin that is
// missing, or was built from another interface version or against another OpenCV, is refused with
// the path and the reason; the failure is remembered (the plugin is looked for once per process).
//
// The interface below is all the plugin and the process share: header-only, so the plugin links no
// sensix code, only OpenCV. cv::Mat crosses it (both sides use the same libopencv_core).
//
// Thread-safety: the free functions are safe from any thread. A VideoSource is used by one thread
// at a time (as cv::VideoCapture).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/version.hpp>

#include "common/status.h"

namespace sensix::media {

// What the video drivers use of cv::VideoCapture. The methods may throw cv::Exception, as
// cv::VideoCapture's do.
class VideoSource {
 public:
  virtual ~VideoSource() = default;
  // cv::VideoCapture::open(target, api, params); true when opened.
  virtual bool open(const std::string& target, int api, const std::vector<int>& params) = 0;
  virtual bool is_open() const = 0;
  // The next frame; false at the end or on a failed read.
  virtual bool read(cv::Mat* frame) = 0;
  virtual double get(int property) const = 0;
  virtual bool set(int property, double value) = 0;
  virtual void release() = 0;
  // OpenCV's name of the backend that opened it ("FFMPEG", "V4L2").
  virtual std::string backend_name() const = 0;
};

// The plugin's entry point, `extern "C" const PluginApi* sensix_media_plugin()`.
inline constexpr int kPluginAbi = 2;  // raise when anything in this header changes
struct PluginApi {
  int abi;                     // kPluginAbi of the plugin's build
  const char* opencv_version;  // CV_VERSION of the plugin's build
  VideoSource* (*new_video_source)();
  bool (*has_video_backend)(int api);  // cv::videoio_registry::hasBackend
  // cv::imread(path, flags); an empty Mat when it cannot decode it. May throw cv::Exception.
  cv::Mat (*read_image)(const std::string& path, int flags);
  // cv::imdecode of `size` bytes at `data`; an empty Mat when it cannot decode them. May throw cv::Exception.
  cv::Mat (*decode_image)(const unsigned char* data, size_t size, int flags);
};
inline constexpr const char* kPluginEntry = "sensix_media_plugin";
inline constexpr const char* kPluginFile = "libsensix-media.so";

// Loads the plugin if it is not loaded yet. Ok, or Unavailable naming where it looked and why.
Status load_plugin();
// Where the plugin was loaded from; empty when it is not loaded.
std::string plugin_path();

// A new, closed video source, or the plugin's failure.
Result<std::unique_ptr<VideoSource>> new_video_source();
// Whether this OpenCV has the video backend `api` (cv::CAP_FFMPEG, cv::CAP_V4L2), or the plugin's
// failure.
Result<bool> has_video_backend(int api);
// cv::imread through the plugin: an empty Mat when OpenCV cannot decode the file. May throw
// cv::Exception. The plugin's failure as an error.
Result<cv::Mat> read_image(const std::string& path, int flags);
// cv::imdecode through the plugin: an empty Mat when OpenCV cannot decode the bytes. May throw
// cv::Exception. The plugin's failure as an error.
Result<cv::Mat> decode_image(std::string_view bytes, int flags);

}  // namespace sensix::media
