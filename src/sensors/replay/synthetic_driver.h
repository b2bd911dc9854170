// SyntheticDriver ("synthetic"): generates a signal instead of reading a file, for tests and
// benchmarks that need a sensor without a recording. A ReplayDriver, so its frames are paced
// like a file's (replay.speed 1 real time, max as fast as the consumers allow) and it stops,
// ends and fails the same way.
//
// Every signal is an exact, deterministic function of the index of the sample or frame since
// start() (n = 0, 1, 2, ..., counted across loops, so a loop continues the signal seamlessly):
//
// Audio (float32 interleaved; `channels` identical channels; chunks of audio.frameMs, the last
// chunk of a finite signal may be shorter), A = synthetic.amplitude, f = frequency, r = sampleRate:
//   sine         x[n] = A sin(2 pi p),   p = (f n mod r) / r, the phase in cycles (= A sin(2 pi f n / r),
//                with the phase reduced exactly so that it does not drift however long the stream runs)
//   square       x[n] = +A when p <= 1/2 (where the sine is >= 0, including its zeros), else -A
//   white-noise  x[n] = A ((2 k + 1) / 2^32 - 1), k = the n-th output of std::mt19937(seed): uniform
//                in [-A, A] (strictly inside), the same on every platform
//   silence      x[n] = 0
// media_ns of a chunk = (samples before it) / r, exact; duration_ns = its samples / r. A finite
// signal has round(duration r) samples.
//
// Images (8-bit BGR, video.width x video.height, one every 1 / video.fps s; frame n has
// media_ns round(n 1e9 / fps), duration_ns round(1e9 / fps); a finite signal has
// ceil(duration fps) frames, i.e. every frame that starts before `duration`):
//   bars          8 vertical bars, the bar of column x is x * 8 / width (integer division), in this
//                 order (B, G, R): white (255,255,255), yellow (0,255,255), cyan (255,255,0), green
//                 (0,255,0), magenta (255,0,255), red (0,0,255), blue (255,0,0), black (0,0,0)
//   checkerboard  8x8-pixel squares; pixel (x, y) is white when x / 8 + y / 8 is even, else black
//                 (the top-left square is white); the same every frame
//   moving-box    black, with a white square of side s = max(1, min(width, height) / 8) whose
//                 top-left corner is at x = n mod (width - s + 1), y = (height - s) / 2: it moves one
//                 pixel right per frame and starts again at the left edge
//   noise         every byte (row by row, B G R per pixel) is the top 8 bits of the next output of
//                 std::mt19937(seed) (uniform 0..255), fresh every frame
//
// open() checks the spec (signal and audio/video settings of the same modality, frequency in
// (0, r/2), amplitude in [0, 1], duration finite and >= 0) and fails with InvalidArgument naming
// the field; the document reader reports the same problems with their lines first.
//
// Thread-safety: as SensorDriver.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "sensors/replay/replay_driver.h"

namespace sensix {

class SyntheticDriver final : public ReplayDriver {
 public:
  SyntheticDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~SyntheticDriver() override;

 private:
  Status open_source(SensorInfo* info) override;
  Result<Read> read_next(Unit* out) override;
  Status rewind() override;
  std::string source_label() const override;
  std::string frame_source_text() const override { return ""; }  // generated: no source

  Result<Read> next_audio(Unit* out);
  Result<Read> next_image(Unit* out);

  Modality modality_ = Modality::kAudio;
  std::string label_;         // "synthetic sine 1000 Hz"
  int64_t pass_units_ = -1;   // samples (audio) or frames (image) per pass; -1 = endless
  int64_t chunk_frames_ = 0;  // audio: sample frames per chunk
  int64_t total_ = 0;         // samples or frames emitted since start, across passes
  int64_t pass_ = 0;          // samples or frames emitted in this pass
  std::mt19937 rng_;          // white-noise, noise
};

}  // namespace sensix
