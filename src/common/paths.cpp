#include "common/paths.h"

#include <cstdlib>

namespace sensix {
namespace {
std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}
}  // namespace

std::string cache_dir() {
  if (auto v = env_or_empty("SENSIX_CACHE"); !v.empty()) return v;
  if (auto v = env_or_empty("XDG_CACHE_HOME"); !v.empty()) return v + "/sensix";
  if (auto v = env_or_empty("HOME"); !v.empty()) return v + "/.cache/sensix";
  return "/tmp/sensix-cache";
}

std::string model_repo_dir() {
  if (auto v = env_or_empty("SENSIX_MODEL_REPO"); !v.empty()) return v;
  return cache_dir() + "/models";
}

std::string samples_dir() { return cache_dir() + "/samples"; }

}  // namespace sensix
