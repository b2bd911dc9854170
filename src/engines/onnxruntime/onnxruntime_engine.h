// The ONNX Runtime engine: an Engine over a dlopen'ed libonnxruntime.
//
// The library is opened with dlopen, `OrtGetApiBase` looked up with dlsym, and the ORT C++ API
// initialised with the API version of the headers this build used (ORT_API_VERSION). A newer
// library serves an older API version; an older one cannot, and is reported as Unavailable.
//
// The ORT C++ API keeps its OrtApi pointer in one process-wide global, so one process uses one
// ONNX Runtime library: every engine made from the same path shares it; asking for a second,
// different library while the first is in use is Unavailable. The library is never unloaded.
//
// Ownership: the engine owns one Ort::Env; each Session owns its Ort::Session and shares the
// Env, so a Session may outlive the Engine that made it.
// Thread-safety: as engine.h (the Engine is thread-safe, loads are serialised per engine so
// memory() can measure each model; a Session runs one call at a time).
// Errors: Unavailable for a library that cannot be used (message has the path and dlerror());
// NotFound for a missing model file; InvalidArgument for a file ORT cannot read (with ORT's
// message) or a tensor that does not match; Internal for any other ORT failure.
#pragma once

#include <memory>
#include <string>

#include "engines/engine.h"

namespace sensix {

// `library_path` must be non-empty (registry.cpp resolves the default location). Built from
// onnxruntime_compiled_out.cpp instead when SENSIX_WITH_ONNXRUNTIME=OFF: then always Unavailable.
Result<std::unique_ptr<Engine>> open_onnxruntime_engine(const std::string& library_path);

}  // namespace sensix
