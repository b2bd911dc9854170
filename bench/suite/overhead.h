// Part 1 of the benchmark suite (overhead against the bare engine): the loops the runtime is
// compared with, each in one thread of this process, and the core pinning that gives both sides
// the same CPU.
//
//   engine_loop:  Session::run in a loop on one pre-made tensor (the ceiling: no input is made).
//   expert_loop:  what an expert writes by hand instead of sensix, one frame after the other:
//                 cv::VideoCapture decodes the next frame of a video file (every frame; the file
//                 is reopened at its end), the project's image_ops letterbox it, convert its
//                 colours and make the NCHW/NHWC tensor with the document's normalisation,
//                 Session::run, then the document's text-region decoding (models/text_region_decoder).
//   chain_loop:   the openWakeWord chain on a 16 kHz recording: mel spectrogram (a 1760-sample
//                 window every 1280 samples) -> embedding (the last 76 mel frames, every 8) ->
//                 head (the last 16 embeddings, every one), each Session::run timed on its own, so
//                 each model's call sees the caches its predecessor left, as in the runtime.
//
// Thread-safety: each call is independent; CorePin changes the whole process's affinity.
#pragma once

#include <sched.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix::bench {

// Pins every thread of this process to `cores` while it lives (threads started meanwhile inherit
// it from the thread that starts them), then restores each thread's previous affinity.
class CorePin {
 public:
  explicit CorePin(const std::vector<int>& cores);
  ~CorePin();
  CorePin(const CorePin&) = delete;
  CorePin& operator=(const CorePin&) = delete;

 private:
  cpu_set_t saved_;
};

struct LoopFigures {
  uint64_t runs = 0;
  double wall_s = 0;
  double cpu_s = 0;  // process CPU (user + system) in the window
  double rps() const { return wall_s > 0 ? static_cast<double>(runs) / wall_s : 0; }
  double cpu_ms() const { return runs ? 1000.0 * cpu_s / static_cast<double>(runs) : 0; }
};

// `md`: the model's document (spec.path resolved). Each runs a few warm-up inferences, then
// measures for `seconds`.
Result<LoopFigures> engine_loop(const ModelDoc& md, int threads, double seconds);
Result<LoopFigures> expert_loop(const ModelDoc& md, const std::string& video, int threads, double seconds);

struct ChainFigures {
  LoopFigures loop;                       // runs = head calls
  std::map<std::string, double> call_us;  // per model: mean Session::run time per call
  std::map<std::string, uint64_t> calls;  // per model
};

// `mel`, `embedding`, `head`: the three documents; `wav`: a 16 kHz mono recording (looped).
Result<ChainFigures> chain_loop(const ModelDoc& mel, const ModelDoc& embedding, const ModelDoc& head,
                                const std::string& wav, double seconds);

}  // namespace sensix::bench
