// The reader of a Model's `spec.postprocess`: a map with exactly one key, the kind of decoding
// (classify, detect, landmarks, textRegions, ctc, lines), whose value is read into that kind's
// spec/ struct with the defaults of docs/documents.md. Every output a kind names must be one of
// the model's declared outputs. Internal to docs/.
//
// Adding a decoder kind: its struct in spec/spec.h (and PostprocessSpec), one reader function and
// one line of the table in postprocess_reader.cpp, and its cases in postprocess_reader_test.cpp.
//
// Thread-safety: pure functions (reports go to the field's DocContext).
#pragma once

#include <string>
#include <vector>

#include "docs/field_reader.h"
#include "docs/paths.h"
#include "spec/spec.h"

namespace sensix::docs {

// Reads `post` (present) into `out`; `outputs` are the model's declared outputs (already read).
void read_postprocess(const Field& post, const std::vector<OutputSpec>& outputs, const PathRoots& roots,
                      PostprocessSpec& out);

// Reports on `f` (a string field) unless `name` is one of `outputs`, with a suggestion. Silent
// when the outputs themselves are missing or broken (they are reported already).
void check_declared_output(const Field& f, const std::string& name, const std::vector<OutputSpec>& outputs);

}  // namespace sensix::docs
