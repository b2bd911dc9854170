#include "support/test_audio.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace sensix::testing {

int16_t test_sample(int64_t i, int c, int rate) {
  double f = 440.0 * (1.0 + 0.5 * c);
  return static_cast<int16_t>(std::lround(16384.0 * std::sin(2 * M_PI * f * static_cast<double>(i) / rate)));
}

void write_test_audio(const std::string& path, int rate, int channels, int64_t frames, int format) {
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

SensorSpec audio_spec(const std::string& path, double speed) {
  SensorSpec s;
  s.driver = DriverKind::kAudioFile;
  s.path = path;
  s.replay.speed = speed;
  return s;
}

}  // namespace sensix::testing
