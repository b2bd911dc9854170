// EngineRegistry: the engines this process can use, loaded on first use.
//
// The engines are listed once, in registry.cpp's table (one line each). Each engine's shared library
// is found at (first match):
//   onnxruntime: $SENSIX_ORT_LIBRARY, else <cache>/engines/onnxruntime/lib/libonnxruntime.so.1
//   tflite:      $SENSIX_TFLITE_LIBRARY, else <cache>/engines/tflite/lib/libtensorflowlite_c.so
// An engine compiled out of this build, or whose library fails to load, is reported by get()
// as Unavailable with the reason; the registry remembers the failure and does not retry.
// check() answers whether an engine can be used without loading it: an idle daemon maps no engine
// library (ONNX Runtime alone is 12 MB of resident pages) until a model needs it.
//
// Thread-safety: all methods are safe to call from many threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engines/engine.h"

namespace sensix {

class EngineRegistry {
 public:
  EngineRegistry() = default;

  // The engine called `name`, loading it if needed. Unavailable if it cannot be loaded.
  Result<Engine*> get(std::string_view name);

  // Whether the engine called `name` can be used, without loading it: Ok when it is loaded, or
  // compiled in with its library file present and readable. Unavailable with the reason otherwise
  // (a remembered failure of get(), compiled out, the library missing); NotFound for an unknown
  // name. A present library that fails to load is found out by get().
  Status check(std::string_view name);

  // Whether get() has loaded the engine called `name`.
  bool loaded(std::string_view name);

  // The default engine name for a format: onnx -> onnxruntime, tflite -> tflite.
  static std::string_view default_engine_for(ModelFormat format);

  // Every engine name this build knows, compiled in or not.
  static std::vector<std::string> known_engines();
  // Whether the engine called `name` is compiled into this build (false for an unknown name).
  static bool compiled_in(std::string_view name);

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Engine>, std::less<>> engines_;
  std::map<std::string, Status, std::less<>> failures_;
};

// Makes the engine called `name` from its library (each engine's own folder: onnxruntime/, tflite/).
// Unavailable when the engine is compiled out or its library fails to load (the message includes
// dlerror()); NotFound for a name this build does not know. An empty path means the default
// location above.
Result<std::unique_ptr<Engine>> make_engine(std::string_view name, const std::string& library_path = "");

}  // namespace sensix
