// ImageFolderDriver ("image-folder"): replays the images of a folder (regular files, hidden
// ones ignored, sorted by file name) or a single image file, one frame per image at video.fps
// (default 1), as 8-bit BGR cv::Mat (OpenCV IMREAD_COLOR: grey and alpha images become BGR).
//
// Decoding: every image is decoded once, at open(). Decoded images are kept in memory, up to
// 256 MiB in all; images past that budget are decoded again each time they are emitted (a
// failure then is counted in stats().errors and the image skipped). Published frames share the
// kept pixels (immutable; never write into them).
//
// In a folder, a file OpenCV cannot decode, or an image whose size differs from a declared
// video.width / video.height, is skipped, logged and counted in stats().errors; open() fails,
// naming the folder, when no image is left. A single file that cannot be decoded or does not
// match fails open(). info().width/height are the images' size, or 0 when they differ from one
// another (consumers must then take the size from each frame).
//
// media_ns of the k-th frame emitted (across loops) = k / fps; duration_ns = 1 / fps.
// Frame::source is the image's path: the folder (as resolved) joined with the file name, or the
// file itself.
//
// Thread-safety: as SensorDriver.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "sensors/replay/replay_driver.h"

namespace sensix {

class ImageFolderDriver final : public ReplayDriver {
 public:
  ImageFolderDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~ImageFolderDriver() override;

  static constexpr size_t kMaxFiles = 100000;
  static constexpr size_t kKeepBytes = 256u << 20;

 private:
  struct Entry {
    std::string path;
    FrameSource source;  // `path`, shared by every frame of this image
    cv::Mat image;       // empty when past the memory budget (decoded again when emitted)
  };
  Status open_source(SensorInfo* info) override;
  Result<Read> read_next(Unit* out) override;
  Status rewind() override;
  // Decodes one image as 8-bit BGR; an empty Mat and *why when it cannot or does not match.
  cv::Mat decode(const std::string& path, std::string* why) const;

  std::vector<Entry> entries_;
  double fps_ = 1;
  size_t next_ = 0;      // next entry in this pass
  int64_t emitted_ = 0;  // frames emitted since start, across loops
};

}  // namespace sensix
