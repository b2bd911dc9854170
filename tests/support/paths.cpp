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

}  // namespace sensix::testing
