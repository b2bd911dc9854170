#include "sensors/replay/image_folder_driver.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>  // the cv::IMREAD_* constants only: decoding is the media plugin's
#include <spdlog/spdlog.h>

#include "sensors/media.h"

namespace sensix {

namespace fs = std::filesystem;

ImageFolderDriver::ImageFolderDriver(std::string name, SensorSpec spec, Env* env)
    : ReplayDriver(std::move(name), std::move(spec), env) {}

ImageFolderDriver::~ImageFolderDriver() { stop(); }

cv::Mat ImageFolderDriver::decode(const std::string& path, std::string* why) const {
  cv::Mat m;
  try {
    Result<cv::Mat> decoded = media::read_image(path, cv::IMREAD_COLOR);
    if (!decoded.ok()) {
      *why = fmt::format("{}: {}", path, decoded.status().message());
      return {};
    }
    m = std::move(decoded).value();
  } catch (const cv::Exception& e) {
    *why = fmt::format("{}: OpenCV cannot decode it as an image: {}", path, e.what());
    return {};
  }
  if (m.empty()) {
    *why = fmt::format("{}: OpenCV cannot decode it as an image", path);
    return {};
  }
  const SensorVideoSpec& declared = spec().video;
  if ((declared.width != 0 && declared.width != m.cols) || (declared.height != 0 && declared.height != m.rows)) {
    *why = fmt::format("{}: the Sensor declares images of {}x{} but this one is {}x{}", path,
                       declared.width != 0 ? std::to_string(declared.width) : "*",
                       declared.height != 0 ? std::to_string(declared.height) : "*", m.cols, m.rows);
    return {};
  }
  return m;
}

Status ImageFolderDriver::open_source(SensorInfo* info) {
  const std::string& path = spec().path;
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(fmt::format("image folder or file {} does not exist", path));
  if (!(spec().video.fps >= 0) || !std::isfinite(spec().video.fps)) {
    return InvalidArgument(fmt::format("video.fps {} is not valid", spec().video.fps));
  }
  fps_ = spec().video.fps > 0 ? spec().video.fps : 1.0;

  const bool folder = fs::is_directory(path, ec);
  std::vector<std::string> files;
  if (folder) {
    fs::directory_iterator it(path, ec);
    if (ec) return Unavailable(fmt::format("{}: cannot list the folder: {}", path, ec.message()));
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) return Unavailable(fmt::format("{}: cannot list the folder: {}", path, ec.message()));
      const fs::path& p = it->path();
      std::error_code fec;
      if (!it->is_regular_file(fec) || p.filename().string().starts_with(".")) continue;
      if (files.size() >= kMaxFiles) {
        return ResourceExhausted(fmt::format("{}: more than {} files; split the folder", path, kMaxFiles));
      }
      files.push_back(p.string());
    }
    std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
      return fs::path(a).filename().string() < fs::path(b).filename().string();
    });
    if (files.empty()) return InvalidArgument(fmt::format("image folder {} holds no files", path));
  } else {
    files.push_back(path);
  }

  entries_.clear();
  size_t kept_bytes = 0;
  std::string first_error;
  for (const auto& f : files) {
    std::string why;
    cv::Mat m = decode(f, &why);
    if (m.empty()) {
      if (!folder) return InvalidArgument(why);
      spdlog::warn("sensor {}: skipping {}", name(), why);
      count_error();
      if (first_error.empty()) first_error = why;
      continue;
    }
    const size_t bytes = m.total() * m.elemSize();
    Entry e{f, make_frame_source(f), {}};
    if (kept_bytes + bytes <= kKeepBytes) {
      e.image = std::move(m);
      kept_bytes += bytes;
    }
    entries_.push_back(std::move(e));
  }
  if (entries_.empty()) {
    return InvalidArgument(fmt::format("image folder {}: none of its {} files is a usable image (first: {})", path,
                                       files.size(), first_error));
  }
  if (kept_bytes > 0 && entries_.size() > 0 && entries_.back().image.empty()) {
    spdlog::info("sensor {}: {} images exceed {} MiB; the rest are decoded when emitted", name(), entries_.size(),
                 kKeepBytes >> 20);
  }

  // The common size, or 0x0 when the images differ.
  int width = -1, height = -1;
  for (const auto& e : entries_) {
    cv::Size s;
    if (!e.image.empty()) {
      s = e.image.size();
    } else {
      // Past the budget: decoded once more here only to learn the size.
      std::string why;
      cv::Mat m = decode(e.path, &why);
      s = m.size();
    }
    if (width < 0) {
      width = s.width;
      height = s.height;
    } else if (width != s.width || height != s.height) {
      width = height = 0;
      break;
    }
  }

  info->modality = Modality::kImage;
  info->width = width;
  info->height = height;
  info->channels = 3;
  info->fps = fps_;
  info->duration_ns = static_cast<int64_t>(std::llround(static_cast<double>(entries_.size()) * 1e9 / fps_));
  info->description = fmt::format("{} image(s) from {}{}, {}, {:.3f} fps", entries_.size(), folder ? "folder " : "",
                                  path, width > 0 ? fmt::format("{}x{}", width, height) : "sizes vary", fps_);
  return Status::Ok();
}

Result<ReplayDriver::Read> ImageFolderDriver::read_next(Unit* out) {
  while (next_ < entries_.size()) {
    const Entry& e = entries_[next_++];
    cv::Mat m = e.image;  // shares the kept pixels
    if (m.empty()) {
      std::string why;
      m = decode(e.path, &why);
      if (m.empty()) {
        spdlog::warn("sensor {}: skipping {}", name(), why);
        count_error();
        continue;
      }
    }
    out->media_ns = static_cast<int64_t>(std::llround(static_cast<double>(emitted_) * 1e9 / fps_));
    out->duration_ns = static_cast<int64_t>(std::llround(1e9 / fps_));
    out->data = std::move(m);
    out->source = e.source;
    ++emitted_;
    return Read::kUnit;
  }
  return Read::kEndOfPass;
}

Status ImageFolderDriver::rewind() {
  next_ = 0;
  return Status::Ok();
}

}  // namespace sensix
