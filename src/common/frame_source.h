// FrameSource: where a sensor's frame came from (a file's path, a stream's URL, a device), made
// once per file or stream and shared by its frames, the items made of them and their predictions:
// copying one is a reference count, never a string copy. Null when the sensor does not know
// (synthetic data).
//
// Thread-safety: immutable once made; safe to read from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace sensix {

using FrameSource = std::shared_ptr<const std::string>;

// A source naming `where`; null when it is empty.
inline FrameSource make_frame_source(std::string where) {
  if (where.empty()) return nullptr;
  return std::make_shared<const std::string>(std::move(where));
}

// The text of a source; empty for null.
inline std::string_view frame_source_text(const FrameSource& s) {
  return s ? std::string_view(*s) : std::string_view();
}

}  // namespace sensix
