// Built instead of onnxruntime_engine.cpp when this build has no ONNX Runtime (SENSIX_WITH_ONNXRUNTIME=OFF): the
// registry still knows the engine and says why it cannot be used.
#include "engines/onnxruntime/onnxruntime_engine.h"

namespace sensix {

Result<std::unique_ptr<Engine>> open_onnxruntime_engine(const std::string& /*library_path*/) {
  return Unavailable("engine \"onnxruntime\" is compiled out of this build (SENSIX_WITH_ONNXRUNTIME=OFF)");
}

}  // namespace sensix
