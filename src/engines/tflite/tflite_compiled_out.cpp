// Built instead of tflite_engine.cpp when this build has no TensorFlow Lite (SENSIX_WITH_TFLITE=OFF): the
// registry still knows the engine and says why it cannot be used.
#include "engines/tflite/tflite_engine.h"

namespace sensix {

Result<std::unique_ptr<Engine>> open_tflite_engine(const std::string& /*library_path*/) {
  return Unavailable("engine \"tflite\" is compiled out of this build (SENSIX_WITH_TFLITE=OFF)");
}

}  // namespace sensix
