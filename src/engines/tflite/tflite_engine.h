// The TensorFlow Lite engine: an Engine over a dlopen'ed libtensorflowlite_c (C API, >= 2.2).
//
// Every C API function used is looked up with dlsym into one table at open time; a library
// missing any of them is Unavailable (naming the symbol). The cached TFLite headers are used
// for types only; nothing links against the library.
//
// Model files are checked before TFLite sees them (size, the "TFL3" FlatBuffer identifier),
// because a file that is not a model must never reach code that might crash on it; TFLite's own
// verifier then rejects truncated or corrupt FlatBuffers (TfLiteModelCreateFromFile -> null).
// TFLite's error messages are captured with an error reporter and returned in the Status.
//
// Dynamic inputs: a dim that the model's shape signature declares -1 is reported as -1; when
// run() gets a different size for it, the input is resized and tensors reallocated.
//
// Ownership: the engine and every Session share the library handle (closed when the last one
// goes). Each Session owns its interpreter. Thread-safety: as engine.h.
// Errors: Unavailable (library), NotFound (missing file), InvalidArgument (not a TFLite model,
// an op this TFLite cannot run, a tensor that does not match), Internal (Invoke failed).
#pragma once

#include <memory>
#include <string>

#include "engines/engine.h"

namespace sensix {

// `library_path` must be non-empty (registry.cpp resolves the default location). Built from
// tflite_compiled_out.cpp instead when SENSIX_WITH_TFLITE=OFF: then always Unavailable.
Result<std::unique_ptr<Engine>> open_tflite_engine(const std::string& library_path);

}  // namespace sensix
