#include "sensors/driver.h"

namespace sensix {

std::string_view sensor_state_name(SensorState s) {
  switch (s) {
    case SensorState::kPending: return "pending";
    case SensorState::kRunning: return "running";
    case SensorState::kDegraded: return "degraded";
    case SensorState::kReconnecting: return "reconnecting";
    case SensorState::kStopped: return "stopped";
    case SensorState::kFailed: return "failed";
  }
  return "unknown";
}

}  // namespace sensix
