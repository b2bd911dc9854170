// A whole file as a string: documents, token files, TLS certificates and keys, the media files that
// `sensix infer` sends.
//
// Thread-safety: reads the file only.
#pragma once

#include <string>

#include "common/status.h"

namespace sensix {

// NotFound "<path>: cannot read it" when it cannot be opened.
Result<std::string> read_file_text(const std::string& path);

}  // namespace sensix
