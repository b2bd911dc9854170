#include "engines/registry.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "common/paths.h"
#include "engines/onnxruntime/onnxruntime_engine.h"
#include "engines/tflite/tflite_engine.h"

namespace sensix {
namespace {

// One engine this build knows: its name, the format it is the default engine for, where its library
// is, and the function that opens it (in the engine's own folder).
struct EngineEntry {
  std::string_view name;
  ModelFormat format;
  const char* library_env;           // the variable that overrides the library's path
  std::string_view default_library;  // relative to the cache
  Result<std::unique_ptr<Engine>> (*open)(const std::string& library_path);
  bool compiled_in;  // false: open() says why it cannot be used
};

#ifdef SENSIX_HAVE_ONNXRUNTIME
constexpr bool kOnnxRuntimeBuilt = true;
#else
constexpr bool kOnnxRuntimeBuilt = false;
#endif
#ifdef SENSIX_HAVE_TFLITE
constexpr bool kTfliteBuilt = true;
#else
constexpr bool kTfliteBuilt = false;
#endif

// Every engine, one line each; the first for a format is that format's default engine.
constexpr EngineEntry kEngines[] = {
    {"onnxruntime", ModelFormat::kOnnx, "SENSIX_ORT_LIBRARY", "engines/onnxruntime/lib/libonnxruntime.so.1",
     &open_onnxruntime_engine, kOnnxRuntimeBuilt},
    {"tflite", ModelFormat::kTflite, "SENSIX_TFLITE_LIBRARY", "engines/tflite/lib/libtensorflowlite_c.so",
     &open_tflite_engine, kTfliteBuilt},
};

const EngineEntry* find_entry(std::string_view name) {
  for (const auto& e : kEngines) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// The explicit path, else $env_var, else <cache>/<relative>.
std::string library_path_or_default(const std::string& path, const char* env_var, std::string_view relative) {
  if (!path.empty()) return path;
  if (const char* v = std::getenv(env_var); v != nullptr && *v != '\0') return v;
  return fmt::format("{}/{}", cache_dir(), relative);
}

}  // namespace

Result<std::unique_ptr<Engine>> make_engine(std::string_view name, const std::string& library_path) {
  const EngineEntry* entry = find_entry(name);
  if (entry == nullptr) {
    std::string known;
    for (const auto& k : EngineRegistry::known_engines()) known += (known.empty() ? "" : ", ") + k;
    return NotFound(fmt::format("unknown engine \"{}\" (known engines: {})", name, known));
  }
  return entry->open(library_path_or_default(library_path, entry->library_env, entry->default_library));
}

Result<Engine*> EngineRegistry::get(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = engines_.find(name); it != engines_.end()) return it->second.get();
  if (auto it = failures_.find(name); it != failures_.end()) return it->second;

  Result<std::unique_ptr<Engine>> made = make_engine(name);
  if (!made.ok()) {
    // Unknown names are not remembered: the set of names is fixed, nothing to retry.
    if (find_entry(name) != nullptr) failures_.emplace(std::string(name), made.status());
    return made.status();
  }
  Engine* engine = made->get();
  engines_.emplace(std::string(name), std::move(made).value());
  return engine;
}

Status EngineRegistry::check(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (engines_.count(name)) return Status::Ok();
  if (auto it = failures_.find(name); it != failures_.end()) return it->second;
  const EngineEntry* entry = find_entry(name);
  if (entry == nullptr || !entry->compiled_in) return make_engine(name).status();  // says why
  const std::string path = library_path_or_default("", entry->library_env, entry->default_library);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || ::access(path.c_str(), R_OK) != 0) {
    return Unavailable(
        fmt::format("engine \"{}\": its library {} is missing or unreadable (scripts/setup fetches it; "
                    "${} names another)",
                    name, path, entry->library_env));
  }
  return Status::Ok();
}

bool EngineRegistry::loaded(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  return engines_.count(name) > 0;
}

std::string_view EngineRegistry::default_engine_for(ModelFormat format) {
  for (const auto& e : kEngines) {
    if (e.format == format) return e.name;
  }
  return kEngines[0].name;
}

bool EngineRegistry::compiled_in(std::string_view name) {
  const EngineEntry* entry = find_entry(name);
  return entry != nullptr && entry->compiled_in;
}

std::vector<std::string> EngineRegistry::known_engines() {
  std::vector<std::string> names;
  for (const auto& e : kEngines) names.emplace_back(e.name);
  return names;
}

}  // namespace sensix
