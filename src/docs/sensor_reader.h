// The reader of a Sensor document's `spec`: the driver and where its data comes from (path, url,
// device, server), the synthetic and mqtt sections, replay, reconnect, the audio and video
// formats and the buffer, with the defaults of docs/documents.md and the checks that need only
// this document (which sections a driver allows, ranges, the synthetic signal against the sample
// rate). Internal to docs/.
//
// Thread-safety: pure functions (reports go to the field's DocContext).
#pragma once

#include "docs/field_reader.h"
#include "docs/paths.h"
#include "spec/spec.h"

namespace sensix::docs {

// `spec` must be present (the envelope reports it missing); a non-map is reported here. `out`
// is filled as far as it could be read.
void read_sensor_spec(const Field& spec, const PathRoots& roots, SensorSpec& out);

}  // namespace sensix::docs
