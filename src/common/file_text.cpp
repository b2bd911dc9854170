#include "common/file_text.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace sensix {

Result<std::string> read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("{}: cannot read it", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sensix
