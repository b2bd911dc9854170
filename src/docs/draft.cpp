#include "docs/draft.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

namespace sensix::docs {
namespace {

// A YAML scalar: plain when it is a safe word, else double-quoted.
std::string yaml_scalar(const std::string& s) {
  const bool plain = !s.empty() && std::isalnum(static_cast<unsigned char>(s.front())) && s.back() != ':' &&
                     std::all_of(s.begin(), s.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '/' ||
                              c == '.' || c == ':';
                     });
  const bool numeric = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
  if (plain && !numeric && s != "true" && s != "false" && s != "null") return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat16; }

bool all_static(const Shape& s) {
  return std::none_of(s.begin(), s.end(), [](int64_t d) { return d < 0; });
}

// The channel position of an image tensor: 3 = NHWC, 1 = NCHW, 0 = not an image. Channels are 1
// (grey), 3 (RGB) or 4 (RGBA); each spatial dimension is dynamic or more than 8.
int image_channels_at(const Shape& s) {
  if (s.size() != 4) return 0;
  auto channels = [](int64_t d) { return d == 1 || d == 3 || d == 4; };
  auto spatial = [](int64_t d) { return d < 0 || d > 8; };
  if (channels(s[3]) && spatial(s[1]) && spatial(s[2])) return 3;
  if (channels(s[1]) && spatial(s[2]) && spatial(s[3])) return 1;
  return 0;
}

// A window of rows that looks like a spectrogram rather than a photo: [1, rows, values, 1] with
// few values per row (openWakeWord's embedding reads 76 rows of 32 mel bands).
bool rows_of_values(const Shape& s) {
  return s.size() == 4 && s[3] == 1 && s[1] > 0 && s[2] > 0 && s[1] != s[2] && std::min(s[1], s[2]) <= 64;
}

// Two shapes that may be the same tensor's: same rank, each dimension equal or dynamic in either.
bool compatible(const Shape& a, const Shape& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return false;
  }
  return true;
}

// The output that carries a state input to the next run: same dtype and a compatible shape, and
// a name that says so ("state" -> "stateN", "h0" -> "hn"), else the only one of that dtype and
// exactly that shape.
const TensorInfo* state_output(const TensorInfo& in, const std::vector<TensorInfo>& outputs) {
  if (in.shape.size() < 2) return nullptr;
  std::string_view stem(in.name);  // without one trailing digit: "h0" -> "h"
  if (!stem.empty() && std::isdigit(static_cast<unsigned char>(stem.back()))) stem.remove_suffix(1);
  std::vector<const TensorInfo*> same;
  for (const auto& o : outputs) {
    if (o.dtype != in.dtype || o.name == in.name || !compatible(o.shape, in.shape)) continue;
    if (!stem.empty() && o.name.starts_with(stem)) return &o;
    if (o.shape == in.shape) same.push_back(&o);
  }
  return same.size() == 1 ? same.front() : nullptr;
}

std::string guess_name(InputGuess g) {
  switch (g) {
    case InputGuess::kImage: return "an image";
    case InputGuess::kAudio: return "an audio window";
    case InputGuess::kStream: return "a stream of another model's output rows";  // [1, W, C] or [1, W, C, 1]
    case InputGuess::kState: return "a state";
    case InputGuess::kConstant: return "a constant";
    case InputGuess::kUnknown: break;
  }
  return "unknown";
}

}  // namespace

InputGuess guess_input(const TensorInfo& in, const std::vector<TensorInfo>& outputs) {
  const Shape& s = in.shape;
  const int64_t n = all_static(s) ? element_count(s) : -1;
  if (n == 1 || s.empty()) return InputGuess::kConstant;
  if (state_output(in, outputs)) return InputGuess::kState;
  if (is_float(in.dtype) && rows_of_values(s)) return InputGuess::kStream;
  if (image_channels_at(s) != 0) return InputGuess::kImage;
  if (is_float(in.dtype) && (s.size() == 1 || (s.size() == 2 && s[0] <= 1))) return InputGuess::kAudio;
  if (is_float(in.dtype) && s.size() == 3 && s[0] <= 1 && s[1] > 0 && s[2] > 0) return InputGuess::kStream;
  return InputGuess::kUnknown;
}

std::string model_name_from_file(const std::string& file) {
  std::string stem = std::filesystem::path(file).filename().string();
  for (const char* ext : {".onnx", ".tflite"}) {
    if (stem.ends_with(ext)) stem.resize(stem.size() - std::string_view(ext).size());
  }
  std::string out;
  for (char c : stem) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c));
    if (ok) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "model" : out;
}

std::string draft_model_document(const DraftSource& src) {
  std::string y;
  auto line = [&](const std::string& s) { y += s + "\n"; };
  line(fmt::format("# Drafted by `sensix inspect --document` from {}.", src.written));
  line("# Values in \"<...>\" are placeholders: `sensix validate` names each one left. Lines marked");
  line("# \"check:\" are guesses from the tensors' names and shapes: confirm them. Then add a");
  line("# postprocess section if the outputs should become labels or boxes (docs/documents.md).");
  line("apiVersion: sensix/v1");
  line("kind: Model");
  line("metadata:");
  line(fmt::format("  name: {}", model_name_from_file(src.file.empty() ? src.written : src.file)));
  line("spec:");
  line(fmt::format("  format: {}", model_format_name(src.format)));
  line(fmt::format("  source: {}", yaml_scalar(src.written)));
  line(fmt::format("  sha256: {}", src.sha256));
  line("  version: \"<version: the model's release, e.g. 1.0>\"");
  line("  inputs:");
  for (const auto& in : src.inputs) {
    const InputGuess g = guess_input(in, src.outputs);
    line(fmt::format("    # {} {}: {}", dtype_name(in.dtype), shape_to_string(in.shape), guess_name(g)));
    line(fmt::format("    - name: {}", yaml_scalar(in.name)));
    if (in.dtype != DType::kFloat32) line(fmt::format("      dtype: {}", dtype_name(in.dtype)));
    const Shape& s = in.shape;
    const bool dynamic = !all_static(s);
    switch (g) {
      case InputGuess::kImage: {
        const int c = image_channels_at(s);
        const int64_t h = c == 3 ? s[1] : s[2];
        const int64_t w = c == 3 ? s[2] : s[3];
        const int64_t channels = s[static_cast<size_t>(c)];
        if (dynamic) {
          line(fmt::format("      shape: \"<shape: {} with every dimension fixed>\"", shape_to_string(s)));
        }
        const std::string range = in.dtype == DType::kUInt8 ? "[0, 255]"
                                  : in.dtype == DType::kInt8
                                      ? "[-128, 127]"
                                      : "\"<range: the values a pixel becomes, e.g. [0, 1] or [-1, 1]>\"";
        line(fmt::format("      image: {{width: {}, height: {}, resize: stretch, color: {}, layout: {}, range: {}}}",
                         w > 0 ? std::to_string(w) : "\"<width>\"", h > 0 ? std::to_string(h) : "\"<height>\"",
                         channels == 1   ? "gray"
                         : channels == 4 ? "rgba"
                                         : "rgb",
                         c == 3 ? "nhwc" : "nchw", range));
        line(fmt::format("      # check: {} (resize: letterbox keeps the aspect ratio)",
                         channels == 1   ? "one grey channel"
                         : channels == 4 ? "RGBA, alpha opaque"
                                         : "RGB order (bgr for models trained with OpenCV)"));
        break;
      }
      case InputGuess::kAudio: {
        const int64_t window = s.back();
        if (dynamic) line(fmt::format("      shape: \"<shape: {} with every dimension fixed>\"", shape_to_string(s)));
        line(fmt::format("      audio: {{sampleRate: \"<sample rate in Hz, e.g. 16000>\", window: {}, hop: {}}}",
                         window > 0 ? std::to_string(window) : "\"<window: samples per run>\"",
                         window > 0 ? std::to_string(window) : "\"<hop: samples between runs>\""));
        line("      # check: hop = window runs on back-to-back windows; a smaller hop overlaps them");
        break;
      }
      case InputGuess::kStream: {
        if (dynamic) line(fmt::format("      shape: \"<shape: {} with every dimension fixed>\"", shape_to_string(s)));
        line(fmt::format("      stream: {{window: {}, hop: 1}}",
                         s[1] > 0 ? std::to_string(s[1]) : "\"<window: rows per run>\""));
        line(fmt::format("      # check: {} rows of {} values from the model a Pipeline step names in `from`{}",
                         s[1] > 0 ? std::to_string(s[1]) : "N", s[2] > 0 ? std::to_string(s[2]) : "M",
                         s.size() == 4 ? " (or a one-channel image: see image inputs)" : ""));
        break;
      }
      case InputGuess::kState: {
        if (dynamic) line(fmt::format("      shape: \"<shape: {} with every dimension fixed>\"", shape_to_string(s)));
        line(fmt::format("      state: {{from: {}}}", yaml_scalar(state_output(in, src.outputs)->name)));
        line("      # check: the output carries this input to the next run (zeros at the start)");
        break;
      }
      case InputGuess::kConstant:
        if (dynamic) line("      shape: [1]");
        line("      constant: {value: \"<value: the number this input always gets>\"}");
        break;
      case InputGuess::kUnknown:
        line(fmt::format("      shape: {}", dynamic ? "\"<shape>\"" : shape_to_string(s)));
        line("      stream: \"<what feeds this input: an audio, image, series, stream, state or constant section>\"");
        break;
    }
  }
  line("  outputs:");
  for (const auto& o : src.outputs) {
    line(fmt::format("    - name: {}  # {} {}", yaml_scalar(o.name), dtype_name(o.dtype), shape_to_string(o.shape)));
  }
  return y;
}

}  // namespace sensix::docs
