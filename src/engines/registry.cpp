#include "engines/registry.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "common/paths.h"
#ifdef SENSIX_HAVE_ONNXRUNTIME
#include "engines/onnxruntime_engine.h"
#endif
#ifdef SENSIX_HAVE_TFLITE
#include "engines/tflite_engine.h"
#endif

namespace sensix {
namespace {

constexpr std::string_view kOnnxRuntime = "onnxruntime";
constexpr std::string_view kTflite = "tflite";

// The explicit path, else $env_var, else <cache>/<relative>.
std::string library_path_or_default(const std::string& path, const char* env_var,
                                    std::string_view relative) {
  if (!path.empty()) return path;
  if (const char* v = std::getenv(env_var); v != nullptr && *v != '\0') return v;
  return fmt::format("{}/{}", cache_dir(), relative);
}

}  // namespace

Result<std::unique_ptr<Engine>> make_onnxruntime_engine(const std::string& library_path) {
#ifdef SENSIX_HAVE_ONNXRUNTIME
  return open_onnxruntime_engine(library_path_or_default(
      library_path, "SENSIX_ORT_LIBRARY", "engines/onnxruntime/lib/libonnxruntime.so.1"));
#else
  (void)library_path;
  return Unavailable(
      "engine \"onnxruntime\" is compiled out of this build (SENSIX_WITH_ONNXRUNTIME=OFF)");
#endif
}

Result<std::unique_ptr<Engine>> make_tflite_engine(const std::string& library_path) {
#ifdef SENSIX_HAVE_TFLITE
  return open_tflite_engine(library_path_or_default(
      library_path, "SENSIX_TFLITE_LIBRARY", "engines/tflite/lib/libtensorflowlite_c.so"));
#else
  (void)library_path;
  return Unavailable("engine \"tflite\" is compiled out of this build (SENSIX_WITH_TFLITE=OFF)");
#endif
}

Result<Engine*> EngineRegistry::get(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = engines_.find(name); it != engines_.end()) return it->second.get();
  if (auto it = failures_.find(name); it != failures_.end()) return it->second;

  if (name != kOnnxRuntime && name != kTflite) {
    std::string known;
    for (const auto& k : known_engines()) known += (known.empty() ? "" : ", ") + k;
    // Unknown names are not remembered: the set of names is fixed, nothing to retry.
    return NotFound(fmt::format("unknown engine \"{}\" (known engines: {})", name, known));
  }
  Result<std::unique_ptr<Engine>> made =
      name == kOnnxRuntime ? make_onnxruntime_engine() : make_tflite_engine();
  if (!made.ok()) {
    failures_.emplace(std::string(name), made.status());
    return made.status();
  }
  Engine* engine = made->get();
  engines_.emplace(std::string(name), std::move(made).value());
  return engine;
}

std::string_view EngineRegistry::default_engine_for(ModelFormat format) {
  return format == ModelFormat::kOnnx ? kOnnxRuntime : kTflite;
}

std::vector<std::string> EngineRegistry::known_engines() {
  return {std::string(kOnnxRuntime), std::string(kTflite)};
}

int64_t resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace sensix
