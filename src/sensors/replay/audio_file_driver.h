// AudioFileDriver ("audio-file"): replays any file libsndfile reads (WAV, FLAC, OGG, AIFF...),
// at its native rate and channel count, as float32 interleaved chunks in [-1, 1] of
// audio.frameMs each (the last chunk of a pass may be shorter).
//
// media_ns of a chunk = (sample frames emitted before it) / sample_rate, exact and monotonic
// across loops; duration_ns = its frames / sample_rate.
//
// open() fails (kFailed, the Status says why and names the file) when the file is missing or
// not audio libsndfile understands, holds no samples, or does not match the declared
// audio.sampleRate / audio.channels (the message gives both values). A file whose header
// claims more data than it holds (truncated) opens with a warning; the driver delivers every
// sample present and then fails with a DataLoss reason naming the file. A read error in the
// middle of the file does the same.
//
// Thread-safety: as SensorDriver. Owns its SNDFILE handle.
#pragma once

#include <cstdint>
#include <string>

#include "sensors/replay/replay_driver.h"

struct sf_private_tag;  // SNDFILE

namespace sensix {

class AudioFileDriver final : public ReplayDriver {
 public:
  AudioFileDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~AudioFileDriver() override;

 private:
  Status open_source(SensorInfo* info) override;
  Result<Read> read_next(Unit* out) override;
  Status rewind() override;
  void close_file();

  sf_private_tag* file_ = nullptr;
  int sample_rate_ = 0;
  int channels_ = 0;
  int64_t file_frames_ = 0;   // frames libsndfile says it can read (after its own checks)
  int64_t chunk_frames_ = 0;  // frames per emitted chunk
  int64_t total_frames_ = 0;  // frames emitted since start, across loops
  int64_t pass_frames_ = 0;   // frames read in this pass
  std::string truncation_;    // why the header and the file disagree; empty if they agree
};

}  // namespace sensix
