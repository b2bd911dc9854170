// Where tests find their inputs: the source tree (examples/, tests/support/), the sample cache
// that scripts/setup fills ($SENSIX_CACHE/samples), and the system's OpenCV sample video.
#pragma once

#include <string>

namespace sensix::testing {

// The OpenCV sample video (Debian package opencv-doc) that the stream servers serve.
inline constexpr const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";

// `relative` inside the source tree (the tree this library was built from).
std::string source_path(const std::string& relative);

// A path inside the sample cache; empty when the cache lacks it.
std::string sample_path(const std::string& relative);

}  // namespace sensix::testing
