// The text of document files and folders as one YAML stream ("---" between files): what `sensix
// apply -f` sends and what `sensix serve -f` applies. A folder gives every *.yaml, *.yml and *.json
// in it, sorted by name.
#pragma once

#include <string>
#include <vector>

#include "common/file_text.h"
#include "common/status.h"

namespace sensix {

// NotFound naming a file that cannot be read.
Result<std::string> read_documents_text(const std::vector<std::string>& paths);

}  // namespace sensix
