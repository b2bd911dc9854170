// Audio clips in memory: a whole encoded file (WAV, FLAC, OGG: anything libsndfile reads), as a
// request's raw media carries it, decoded to float32 samples; and the libsndfile helpers that the
// audio-file driver shares with it (format names, truncation found in libsndfile's log).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct sf_private_tag;  // SNDFILE

namespace sensix {

struct AudioClip {
  std::vector<float> samples;  // interleaved, in [-1, 1]
  int sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;       // samples per channel
  std::string description;  // e.g. "WAV (Microsoft) Signed 16 bit PCM, 16000 Hz, 1 ch, 1.20 s"
};

// How much one clip may decode to, checked against its header before any sample is decoded: a
// few hundred compressed bytes of FLAC or Ogg can declare hours of audio (gigabytes as float).
struct AudioLimits {
  double max_seconds = 600;                // frames / sample rate
  int64_t max_values = int64_t{64} << 20;  // frames x channels: 256 MiB as float
};

// Decodes the encoded file `bytes`. `what` names it in errors (e.g. `input "audio"`).
// InvalidArgument when libsndfile cannot read it, it holds no samples, it is truncated (its
// header declares more than it holds: a clip is all or nothing, unlike a replayed file), or it is
// longer than `limits` allow; each error says which.
Result<AudioClip> decode_audio(std::string_view bytes, std::string_view what, const AudioLimits& limits = {});

// libsndfile's name of a major format or subformat ("WAV (Microsoft)", "Signed 16 bit PCM").
std::string sndfile_format_name(int format);

// libsndfile opens a file whose chunk sizes exceed what the file holds, reads what is there and
// notes "<chunk> : <declared> (should be <actual>)" in its log. Empty when nothing is missing;
// else what is (e.g. "its header declares 96044 bytes of 'data' but the file holds 40000").
std::string sndfile_truncation(sf_private_tag* file);

}  // namespace sensix
