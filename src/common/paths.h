// Where sensix finds what the setup script fetched: one cache directory outside git.
//
//   $SENSIX_CACHE                 (default $XDG_CACHE_HOME/sensix, else $HOME/.cache/sensix)
//     engines/onnxruntime/lib/libonnxruntime.so.1    engines/tflite/lib/libtensorflowlite_c.so
//     models/<group>/<file>       the model repository: "repo:<group>/<file>" sources resolve here
//     samples/                    recordings made by scripts/make-samples
//
// $SENSIX_MODEL_REPO overrides the model repository. Thread-safety: reads the environment only.
#pragma once

#include <string>

namespace sensix {

std::string cache_dir();
std::string model_repo_dir();
std::string samples_dir();

}  // namespace sensix
