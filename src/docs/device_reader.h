// The reader of a Device document's `spec`: the cores sensix may use, the default scheduling
// policy and the accelerators (name, engine, device, threads), with the checks that need only
// this document (names unique DNS labels, known engines). Internal to docs/.
//
// Thread-safety: pure functions (reports go to the field's DocContext).
#pragma once

#include "docs/field_reader.h"
#include "spec/spec.h"

namespace sensix::docs {

// `spec` must be present (the envelope reports it missing); a non-map is reported here. `out`
// is filled as far as it could be read.
void read_device_spec(const Field& spec, DeviceSpec& out);

}  // namespace sensix::docs
