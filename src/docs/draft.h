// Drafts a Model document from what a model file says about itself (`sensix inspect --document`):
// sha256, format, every input and output with its name, dtype and shape, and a best guess of what
// feeds each input (an image with its size and layout, an audio window, a stream of rows from
// another model, a state carried between runs, a constant), so that a user edits a few lines
// instead of writing the document.
//
// What cannot be read from the file is a placeholder: a quoted string in angle brackets, e.g.
//   version: "<version: the model's release, e.g. 1.0>"
// The parser reports every placeholder left in a document (docs/field_reader.h, is_placeholder),
// naming its field and what to put there, so `sensix validate` of an unedited draft lists exactly
// what remains. Guesses that are valid values but may be wrong carry a "# check:" comment.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/model_format.h"
#include "engines/engine.h"

namespace sensix::docs {

struct DraftSource {
  std::string written;  // the source as a document writes it: "repo:openwakeword/weather_v0.1.onnx"
  std::string file;     // the resolved path (its stem names the model)
  std::string sha256;
  ModelFormat format = ModelFormat::kOnnx;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

// What an input most likely is, from its name, dtype and shape (and the outputs, for a state).
enum class InputGuess {
  kImage,     // rank 4 with 1, 3 or 4 channels first (NCHW) or last (NHWC)
  kAudio,     // float, one row of samples: [N] or [1, N]
  kStream,    // float [1, W, C], or [1, W, C, 1] with C <= 64: W rows of another model's output
  kState,     // an output of the same dtype and shape carries it to the next run
  kConstant,  // a scalar or a single value
  kUnknown,   // left as a placeholder
};
InputGuess guess_input(const TensorInfo& input, const std::vector<TensorInfo>& outputs);

// A DNS-label model name from a file name: "weather_v0.1.onnx" -> "weather-v0-1".
std::string model_name_from_file(const std::string& file);

// The Model document (YAML, with comments), ready to save and edit.
std::string draft_model_document(const DraftSource& source);

}  // namespace sensix::docs
