// The reader of one entry of a Model's `spec.inputs`: its name, dtype and shape, and its one
// source (audio with optional features, image, series, stream, constant or state) with the
// defaults of docs/documents.md and the checks that need only the entry (ranges, one-of groups,
// the shape's element count against what the source feeds). Internal to docs/.
//
// Thread-safety: pure functions (reports go to the field's DocContext).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "docs/field_reader.h"
#include "spec/spec.h"

namespace sensix::docs {

// Fills `in` from `item` as far as it could be read. A state input's `from` (the output it is
// carried from) is appended to `state_refs` with its field, for the caller to check against the
// model's declared outputs.
void read_input(const Field& item, InputSpec& in, std::vector<std::pair<std::string, Field>>& state_refs);

}  // namespace sensix::docs
