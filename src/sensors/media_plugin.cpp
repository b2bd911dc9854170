// libsensix-media.so: OpenCV's imgcodecs and videoio behind sensors/media.h's interface. The
// process loads it (sensors/media.cpp) the first time a sensor reads images or video.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>

#include "sensors/media.h"

namespace {

class CvVideoSource final : public sensix::media::VideoSource {
 public:
  bool open(const std::string& target, int api, const std::vector<int>& params) override {
    return cap_.open(target, api, params);
  }
  bool is_open() const override { return cap_.isOpened(); }
  bool read(cv::Mat* frame) override { return cap_.read(*frame); }
  double get(int property) const override { return cap_.get(property); }
  bool set(int property, double value) override { return cap_.set(property, value); }
  void release() override { cap_.release(); }
  std::string backend_name() const override { return cap_.getBackendName(); }

 private:
  cv::VideoCapture cap_;
};

sensix::media::VideoSource* new_video_source() { return new CvVideoSource; }

bool has_video_backend(int api) { return cv::videoio_registry::hasBackend(static_cast<cv::VideoCaptureAPIs>(api)); }

cv::Mat read_image(const std::string& path, int flags) { return cv::imread(path, flags); }

cv::Mat decode_image(const unsigned char* data, size_t size, int flags) {
  const cv::Mat bytes(1, static_cast<int>(size), CV_8UC1, const_cast<unsigned char*>(data));
  return cv::imdecode(bytes, flags);
}

const sensix::media::PluginApi kApi = {sensix::media::kPluginAbi, CV_VERSION,  &new_video_source,
                                       &has_video_backend,        &read_image, &decode_image};

}  // namespace

extern "C" __attribute__((visibility("default"))) const sensix::media::PluginApi* sensix_media_plugin() {
  return &kApi;
}
