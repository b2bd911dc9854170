#include "runtime/stats.h"

#include <fmt/format.h>

namespace sensix {

void mark_overflow(SensorStatsSnapshot* s, int64_t since_last_drop_ns, size_t capacity) {
  constexpr int64_t kRecentNs = 1'000'000'000;
  if (s->state != SensorState::kRunning || since_last_drop_ns < 0 || since_last_drop_ns >= kRecentNs) return;
  s->state = SensorState::kDegraded;
  s->reason = fmt::format(
      "dropping frames: its buffer of {} frame(s) is full, the consumers are slower than the "
      "sensor ({} dropped so far)",
      capacity, s->dropped);
}

}  // namespace sensix
