// The element-wise activations that the post-processing kinds apply to raw model outputs.
#pragma once

#include <cmath>

namespace sensix {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace sensix
