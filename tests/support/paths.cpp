#include "support/paths.h"

#include <filesystem>

#include "common/paths.h"

namespace sensix::testing {

std::string source_path(const std::string& relative) {
  return (std::filesystem::path(SENSIX_SOURCE_DIR) / relative).string();
}

std::string sample_path(const std::string& relative) {
  std::filesystem::path p = std::filesystem::path(samples_dir()) / relative;
  return std::filesystem::exists(p) ? p.string() : std::string();
}

std::string model_file(std::string_view relative) { return model_repo_dir() + "/" + std::string(relative); }

std::string sample_file(std::string_view relative) { return samples_dir() + "/" + std::string(relative); }

}  // namespace sensix::testing
