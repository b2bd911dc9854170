// The one clock sensix measures time with: the monotonic steady clock, and the names every layer
// uses for its instants and spans. Code never reads the clock itself; it asks its Env (env.h), so
// that tests can run it on a manual clock.
#pragma once

#include <chrono>

namespace sensix {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;
using WallTime = std::chrono::system_clock::time_point;

}  // namespace sensix
