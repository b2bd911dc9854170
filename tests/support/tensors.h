// Tensors for tests: deterministic random inputs and the comparisons the engine tests make.
#pragma once

#include <cstdint>
#include <limits>

#include "common/tensor.h"

namespace sensix::testing {

inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// float32 tensor of `shape` with values uniform in [lo, hi) from a fixed-seed generator.
Tensor random_tensor(Shape shape, uint32_t seed, float lo, float hi);
bool all_finite(const Tensor& t);
// Largest |a[i] - b[i]| of two float32 tensors of the same size; +inf if sizes differ.
double max_abs_diff(const Tensor& a, const Tensor& b);
// Largest |a[i]|.
double max_abs(const Tensor& t);

}  // namespace sensix::testing
