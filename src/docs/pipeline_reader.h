// The reader of a Pipeline document's `spec`: its steps (a model fed from a sensor, from another
// model's output, or from crops of another model's detections), its sinks and its event rules
// (parsed with docs/event_rule.h), with the checks that need only this document. References to
// other documents (sensors, models, outputs, labels) are checked later (validate.cpp).
// Internal to docs/.
//
// Thread-safety: pure functions (reports go to the field's DocContext).
#pragma once

#include "docs/field_reader.h"
#include "docs/paths.h"
#include "spec/spec.h"

namespace sensix::docs {

// `spec` must be present (the envelope reports it missing); a non-map is reported here. `out`
// is filled as far as it could be read.
void read_pipeline_spec(const Field& spec, const PathRoots& roots, PipelineSpec& out);

}  // namespace sensix::docs
