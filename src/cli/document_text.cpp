#include "cli/document_text.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

namespace sensix {

Result<std::string> read_documents_text(const std::vector<std::string>& paths) {
  std::string text;
  for (const std::string& p : paths) {
    std::vector<std::string> files;
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(p);
    }
    for (const std::string& f : files) {
      SENSIX_ASSIGN_OR_RETURN(std::string t, read_file_text(f));
      if (!text.empty()) text += "\n---\n";
      text += t;
    }
  }
  return text;
}

}  // namespace sensix
