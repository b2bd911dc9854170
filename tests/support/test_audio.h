// A known test signal in sound files: test_sample() gives the value a reader must get,
// write_test_audio() writes it in any libsndfile format, audio_spec() is the audio-file Sensor
// spec that replays such a file.
#pragma once

#include <sndfile.h>

#include <cstdint>
#include <string>

#include "spec/spec.h"

namespace sensix::testing {

// The int16 value of sample `i` of channel `c` of the test signal: a sine per channel
// (440 Hz, 660 Hz, ...) of amplitude 0.5, rounded to int16.
int16_t test_sample(int64_t i, int c, int rate);

// Writes `frames` sample frames of the test signal (a reader gets test_sample / 32768 exactly);
// `format` is a libsndfile format (SF_FORMAT_WAV | SF_FORMAT_PCM_16 ...). A gtest failure if the
// file cannot be written.
void write_test_audio(const std::string& path, int rate, int channels, int64_t frames,
                      int format = SF_FORMAT_WAV | SF_FORMAT_PCM_16);

// An audio-file sensor reading `path` at `speed` (0: as fast as possible).
SensorSpec audio_spec(const std::string& path, double speed = 0);

}  // namespace sensix::testing
