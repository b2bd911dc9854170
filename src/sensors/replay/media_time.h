// Media time of replayed samples: the instant of a sample count at a rate, exact in integer
// nanoseconds (no drift over hours of audio, no overflow for counts far beyond any recording).
#pragma once

#include <cstdint>

namespace sensix {

inline int64_t frames_to_ns(int64_t frames, int rate) {
  return frames / rate * 1'000'000'000LL + frames % rate * 1'000'000'000LL / rate;
}

}  // namespace sensix
