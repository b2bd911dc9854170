// The reader of a Model document's `spec`: the artifact (format, source, sha256, version,
// engine), its outputs, its inputs (docs/model_input_reader.h), its post-processing
// (docs/postprocess_reader.h), resources (threads, warm-up, isolation, worker, memory),
// scheduling (priority, latency objective, policy, batch, accelerators) and variants, with the
// defaults of docs/documents.md and the checks that need only this document. Which accelerators
// exist is checked against the Device document later (validate.cpp). Internal to docs/.
//
// Thread-safety: pure functions (reports go to the field's DocContext).
#pragma once

#include "docs/field_reader.h"
#include "docs/paths.h"
#include "spec/spec.h"

namespace sensix::docs {

// `spec` must be present (the envelope reports it missing); a non-map is reported here. `out`
// is filled as far as it could be read.
void read_model_spec(const Field& spec, const PathRoots& roots, ModelSpec& out);

}  // namespace sensix::docs
