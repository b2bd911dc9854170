// Paths and names in documents. Paths: "repo:<p>" resolves against PathRoots::model_repo,
// "samples:<p>" against PathRoots::samples_dir, an absolute path is kept, anything else is joined
// to base_dir. Problems are reported on the field's DocContext; resolve_document_path() gives the
// same resolution to code outside a document (`sensix inspect repo:...`).
//
// Thread-safety: pure functions (reports go to the caller's DocContext).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "docs/field_reader.h"

namespace sensix::docs {

struct PathRoots {
  std::string base_dir;     // the document file's directory ("" = the working directory)
  std::string model_repo;   // "repo:" prefix
  std::string samples_dir;  // "samples:" prefix
};

// The resolved path, or "" after reporting on `f` (an empty path, or "repo:" with nothing after).
std::string resolve_path(const Field& f, const std::string& written, const PathRoots& roots);

// `written` resolved as a document's path would be; kInvalidArgument saying what was expected
// ("a relative path after \"repo:\" inside /root/.cache/sensix/models") otherwise.
Result<std::string> resolve_document_path(const std::string& written, const PathRoots& roots);

// Reads `key` of `m` as a path string and resolves it into `resolved` (`written`, if given, gets
// it as written). Returns true when present and valid; a missing required key is reported.
bool read_path(const MapReader& m, std::string_view key, std::string& resolved, bool required, const PathRoots& roots,
               std::string* written = nullptr);

// Reads `key` of `m`, the optional sha256 of the file `file_key` names (`labelsSha256` beside
// `labelsFile`: 64 lowercase hex digits), into `out`; reported when malformed or without its file.
// The daemon writes such digests into the text it stores (docs/side_files.h).
void read_path_digest(const MapReader& m, std::string_view file_key, std::string_view key, std::string& out);

// True for lowercase DNS labels: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool is_dns_label(std::string_view name);

}  // namespace sensix::docs
