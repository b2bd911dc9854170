// Helpers shared by the engines' tests (test-only code): where the cached models are, temp
// files with bad content, deterministic inputs, and comparisons.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/tensor.h"

namespace sensix::testing {

// <model repo>/<relative>, e.g. "openwakeword/embedding_model.onnx".
std::string model_file(std::string_view relative);
// <cache>/samples/<relative>.
std::string sample_file(std::string_view relative);

// Writes `bytes` to a fresh file in a per-process temp dir and returns its path.
std::string write_temp_file(std::string_view name, std::string_view bytes);
// The first `count` bytes of `source` written to a temp file called `name`.
std::string truncated_copy(const std::string& source, std::string_view name, size_t count);

// float32 tensor of `shape` with values uniform in [lo, hi) from a fixed-seed generator.
Tensor random_tensor(Shape shape, uint32_t seed, float lo, float hi);
bool all_finite(const Tensor& t);
// Largest |a[i] - b[i]| of two float32 tensors of the same size; +inf if sizes differ.
double max_abs_diff(const Tensor& a, const Tensor& b);
// Largest |a[i]|.
double max_abs(const Tensor& t);

}  // namespace sensix::testing

// Skips the current test when a cached file is missing (the cache is filled by scripts/setup).
#define SENSIX_REQUIRE_FILE(path)                                                       \
  do {                                                                                  \
    if (!std::filesystem::exists(path)) {                                               \
      GTEST_SKIP() << (path) << " is not in the cache: run scripts/setup to fetch it";  \
    }                                                                                   \
  } while (0)
