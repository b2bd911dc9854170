// Path confinement for documents that arrive over the network (`sensix serve`): every file such a
// document names must lie inside the daemon's configured directories, so that an HTTP client
// cannot make the daemon read /etc/shadow as "labels" or write a sink over ~/.ssh/authorized_keys.
//
// What is checked (paths as docs/ resolved them, spec/spec.h):
//   Model     spec.source, spec.variants[i].source, and the file of its postprocess:
//             spec.postprocess.classify.labelsFile, spec.postprocess.detect.labelsFile,
//             spec.postprocess.landmarks.namesFile, spec.postprocess.ctc.dictionaryFile,
//             spec.selfTest[i].input                                                      -> read_roots
//   Sensor    spec.path (audio-file, video-file, image-folder)                           -> read_roots
//             spec.url of a network-camera when it is a local .sdp file (no "://"); a url with a
//             scheme other than rtsp, rtsps, http, https, udp, rtp or tcp (file://...) is refused
//             spec.device of a v4l2-camera: only /dev/video<N>, only with allow_devices
//   Pipeline  spec.sinks[i].path                                                          -> write_roots
// Not checked: network addresses (mqtt host, stream URLs) and a microphone's PulseAudio source
// and server, which name no file that sensix opens itself.
//
// A path is inside a root when, made absolute (against the working directory, as the drivers
// open it) and resolved with std::filesystem::weakly_canonical (".", ".." and every symbolic link
// of the part that exists), it equals the root or lies under it, compared component by component
// (/data2 is not inside /data). The resolution is repeated until it no longer changes, so that a
// link reached through "missing/.." is followed too. A path that cannot be resolved (permission
// denied, a link loop) is refused. Roots are resolved the same way; empty roots are ignored.
//
// Limits: the check sees the file system as it is now. Someone who can create links inside a root
// after the check (or hard links to files outside it) defeats it; the daemon's directories must be
// writable only by the daemon.
//
// Thread-safety: a pure function (it reads the file system).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

struct PathPolicy {
  std::vector<std::string> read_roots;   // folders whose files documents may read (model repository, samples, data dir)
  std::vector<std::string> write_roots;  // folders where documents may write (sinks' output files): the data dir
  // v4l2-camera devices (/dev/video<N>) are allowed when true
  bool allow_devices = true;
};

// Checks every file that `docs` names (above). Returns Ok, or InvalidArgument with one line per
// offending field, in document order, each with the line of the field, e.g.
//   api: Model/vad: spec.source: "/etc/shadow" is outside the daemon's directories (/models, /var/lib/sensix) (line 6)
//   api: Model/vad: spec.source: "repo:vad.onnx" resolves to /etc/shadow, outside the daemon's directories (...)
// The field's value is quoted as written where the spec keeps it (a Model's sources, a url, a
// device) and as resolved otherwise.
Status confine_paths(const DocumentSet& docs, const PathPolicy& policy);

}  // namespace sensix
