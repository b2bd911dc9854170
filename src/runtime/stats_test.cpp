#include "runtime/stats.h"

#include <gtest/gtest.h>

namespace sensix {
namespace {

SensorStatsSnapshot running(uint64_t dropped) {
  SensorStatsSnapshot s;
  s.name = "camera";
  s.state = SensorState::kRunning;
  s.dropped = dropped;
  return s;
}

TEST(SensorOverflow, ARecentDropMakesARunningSensorDegraded) {
  SensorStatsSnapshot s = running(7);
  mark_overflow(&s, 200'000'000, 16);
  EXPECT_EQ(s.state, SensorState::kDegraded);
  EXPECT_EQ(s.reason,
            "dropping frames: its buffer of 16 frame(s) is full, the consumers are slower than the sensor "
            "(7 dropped so far)");
}

TEST(SensorOverflow, OldDropsNoDropsAndOtherStatesAreLeftAlone) {
  SensorStatsSnapshot old = running(7);
  mark_overflow(&old, 1'500'000'000, 16);  // more than a second ago
  EXPECT_EQ(old.state, SensorState::kRunning);
  SensorStatsSnapshot never = running(0);
  mark_overflow(&never, -1, 16);
  EXPECT_EQ(never.state, SensorState::kRunning);
  EXPECT_TRUE(never.reason.empty());
  SensorStatsSnapshot reconnecting = running(3);
  reconnecting.state = SensorState::kReconnecting;
  reconnecting.reason = "lost rtsp://cam";
  mark_overflow(&reconnecting, 10, 16);
  EXPECT_EQ(reconnecting.state, SensorState::kReconnecting);
  EXPECT_EQ(reconnecting.reason, "lost rtsp://cam");
}

}  // namespace
}  // namespace sensix
