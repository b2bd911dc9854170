// Per-kind readers: fill a SensorSpec, ModelSpec or PipelineSpec from the `spec` field of one
// document, applying the defaults of docs/documents.md and the checks that need only that
// document (ranges, enums, one-of groups, references to the model's own outputs). Problems go
// to the reader's DocContext; the struct is filled as far as it could be. Internal to docs/.
//
// Paths: "repo:<p>" resolves against PathRoots::model_repo, "samples:<p>" against
// PathRoots::samples_dir, an absolute path is kept, anything else is joined to base_dir.
#pragma once

#include <string>
#include <string_view>

#include "docs/field_reader.h"
#include "spec/spec.h"

namespace sensix::docs {

struct PathRoots {
  std::string base_dir;     // the document file's directory ("" = the working directory)
  std::string model_repo;   // "repo:" prefix
  std::string samples_dir;  // "samples:" prefix
};

// The resolved path, or "" after reporting on `f` (an empty path, or "repo:" with nothing after).
std::string resolve_path(const Field& f, const std::string& written, const PathRoots& roots);

// True for lowercase DNS labels: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool is_dns_label(std::string_view name);

// `spec` must be present (the envelope reports it missing); a non-map is reported here.
void read_sensor_spec(const Field& spec, const PathRoots& roots, SensorSpec& out);
void read_model_spec(const Field& spec, const PathRoots& roots, ModelSpec& out);
void read_pipeline_spec(const Field& spec, const PathRoots& roots, PipelineSpec& out);
void read_device_spec(const Field& spec, DeviceSpec& out);

}  // namespace sensix::docs
