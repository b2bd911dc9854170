// Frame: one timestamped piece of sensor data, immutable once published.
//
// Drivers publish std::shared_ptr<const Frame>; every consumer of a sensor reads the same
// object (zero-copy fan-out). Audio is interleaved float32 in [-1, 1] at the sensor's native
// rate and channel count; images are OpenCV matrices (8-bit BGR, BGRA or GRAY, as decoded);
// series are timestamped multi-channel readings (one or more samples per frame).
//
// Thread-safety: immutable after construction; safe to read from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "common/clock.h"
#include "common/frame_source.h"

namespace sensix {

struct AudioChunk {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;  // interleaved; samples.size() == frames() * channels
  int64_t frames() const { return channels ? static_cast<int64_t>(samples.size()) / channels : 0; }
};

// Numeric readings (e.g. an IMU's ax, ay, az, gx, gy, gz), possibly at irregular times.
struct SeriesChunk {
  int channels = 0;
  std::vector<int64_t> t_ns;  // sample times, ns since the stream's origin; strictly increasing
  std::vector<float> values;  // values.size() == t_ns.size() * channels, sample by sample
  int64_t samples() const { return static_cast<int64_t>(t_ns.size()); }
};

struct Frame {
  uint64_t seq = 0;                  // 0, 1, 2, ... per sensor (gaps mean frames were dropped before publishing)
  int64_t media_ns = 0;              // start of this frame's data, from the start of the stream (monotonic,
                                     // keeps counting across loops)
  int64_t duration_ns = 0;           // audio: length of the chunk; video: 1/fps; series: last - first sample time
  SteadyClock::time_point captured;  // when the driver published it (latency is measured from here)
  // The first frame after a gap in a live source (it was lost and reconnected): consumers restart
  // anything that spans frames (audio windows, resamplers) instead of joining data across the gap.
  bool discontinuity = false;
  std::variant<AudioChunk, cv::Mat, SeriesChunk> data;
  // The file (image-folder: each image's path; audio-file, video-file: the file), the stream
  // (network-camera: the URL without its password; mqtt: broker URL and topic) or the device
  // (v4l2-camera: its path; microphone: the PulseAudio source); null for synthetic data.
  FrameSource source;

  bool is_audio() const { return std::holds_alternative<AudioChunk>(data); }
  bool is_image() const { return std::holds_alternative<cv::Mat>(data); }
  bool is_series() const { return std::holds_alternative<SeriesChunk>(data); }
  const AudioChunk& audio() const { return std::get<AudioChunk>(data); }
  const cv::Mat& image() const { return std::get<cv::Mat>(data); }
  const SeriesChunk& series() const { return std::get<SeriesChunk>(data); }
};

using FramePtr = std::shared_ptr<const Frame>;

}  // namespace sensix
