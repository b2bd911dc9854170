// Test-only helpers for the sensor tests: a FrameSink that records what a driver publishes,
// WAV writers on libsndfile, and temporary folders. Not part of the library.
#pragma once

#include <sndfile.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sensors/driver.h"

namespace sensix::testing {

using DriverKind = decltype(SensorSpec::driver);

// Records every frame and the end_of_stream calls. `on_push` (optional) runs inside push() and
// decides its return value.
class RecordingSink final : public FrameSink {
 public:
  std::function<bool(const Frame&)> on_push;

  bool push(FramePtr frame) override {
    bool accept = on_push ? on_push(*frame) : true;
    std::lock_guard lock(mu_);
    if (accept) frames_.push_back(std::move(frame));
    cv_.notify_all();
    return accept;
  }
  void end_of_stream(const Status& why) override {
    std::lock_guard lock(mu_);
    ++eos_calls_;
    eos_status_ = why;
    cv_.notify_all();
  }

  // Waits until at least n frames arrived or the stream ended; true if n frames arrived.
  bool wait_for_frames(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return frames_.size() >= n || eos_calls_ > 0; });
    return frames_.size() >= n;
  }
  bool wait_for_end(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return eos_calls_ > 0; });
  }

  std::vector<FramePtr> frames() const {
    std::lock_guard lock(mu_);
    return frames_;
  }
  int eos_calls() const {
    std::lock_guard lock(mu_);
    return eos_calls_;
  }
  Status eos_status() const {
    std::lock_guard lock(mu_);
    return eos_status_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FramePtr> frames_;
  int eos_calls_ = 0;
  Status eos_status_;
};

// A folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("sensix-sensors-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The int16 value of sample `i` of channel `c` of the test signal: a sine per channel
// (440 Hz, 660 Hz, ...) of amplitude 0.5, rounded to int16.
inline int16_t test_sample(int64_t i, int c, int rate) {
  double f = 440.0 * (1.0 + 0.5 * c);
  return static_cast<int16_t>(std::lround(16384.0 * std::sin(2 * M_PI * f * static_cast<double>(i) / rate)));
}

// Writes `frames` sample frames of the test signal (a reader gets test_sample / 32768 exactly); `format` is a libsndfile format
// (SF_FORMAT_WAV | SF_FORMAT_PCM_16 ...).
inline void write_test_audio(const std::string& path, int rate, int channels, int64_t frames,
                             int format = SF_FORMAT_WAV | SF_FORMAT_PCM_16) {
  SF_INFO si{};
  si.samplerate = rate;
  si.channels = channels;
  si.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &si);
  ASSERT_NE(f, nullptr) << path << ": " << sf_strerror(nullptr);
  std::vector<int16_t> buf(static_cast<size_t>(frames * channels));
  for (int64_t i = 0; i < frames; ++i) {
    for (int c = 0; c < channels; ++c) buf[static_cast<size_t>(i * channels + c)] = test_sample(i, c, rate);
  }
  const int sub = format & SF_FORMAT_SUBMASK;
  if (sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE) {
    // Float files store what is written: write the values in [-1, 1] a reader should get.
    std::vector<float> fbuf(buf.size());
    for (size_t k = 0; k < buf.size(); ++k) fbuf[k] = static_cast<float>(buf[k]) / 32768.0f;
    ASSERT_EQ(sf_writef_float(f, fbuf.data(), frames), frames);
  } else {
    ASSERT_EQ(sf_writef_short(f, buf.data(), frames), frames);
  }
  sf_close(f);
}

inline void write_random_bytes(const std::string& path, size_t n, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::string bytes(n, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

inline SensorSpec audio_spec(const std::string& path, double speed = 0) {
  SensorSpec s;
  s.driver = DriverKind::kAudioFile;
  s.path = path;
  s.replay.speed = speed;
  return s;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace sensix::testing
