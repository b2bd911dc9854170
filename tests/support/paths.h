// Where tests find their inputs: the source tree (examples/, tests/support/), the sample cache
// that scripts/setup fills ($SENSIX_CACHE/samples), and the system's OpenCV sample video.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace sensix::testing {

// The OpenCV sample video (Debian package opencv-doc) that the stream servers serve.
inline constexpr const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";

// `relative` inside the source tree (the tree this library was built from).
std::string source_path(const std::string& relative);

// A path inside the sample cache; empty when the cache lacks it.
std::string sample_path(const std::string& relative);

// <model repo>/<relative>, e.g. "openwakeword/embedding_model.onnx" (whether it exists or not).
std::string model_file(std::string_view relative);
// <cache>/samples/<relative> (whether it exists or not).
std::string sample_file(std::string_view relative);

}  // namespace sensix::testing

// Skips the current test when a cached file is missing (the cache is filled by scripts/setup).
#define SENSIX_REQUIRE_FILE(path)                                                      \
  do {                                                                                 \
    if (!std::filesystem::exists(path)) {                                              \
      GTEST_SKIP() << (path) << " is not in the cache: run scripts/setup to fetch it"; \
    }                                                                                  \
  } while (0)
