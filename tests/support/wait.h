// Waiting in tests: poll a condition until a deadline (never a bare sleep), and the seconds since
// a time point (for real-time pacing checks).
#pragma once

#include <chrono>
#include <functional>

namespace sensix::testing {

// Polls `cond` every 20 ms until it holds or `timeout` passes; returns its last value.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Seconds of the steady clock since `t0`.
double seconds_since(std::chrono::steady_clock::time_point t0);

}  // namespace sensix::testing
