#include "common/cpu_cores.h"

#include <sched.h>
#include <gtest/gtest.h>

#include <thread>

namespace sensix {
namespace {

TEST(UsableCores, CountsTheAffinityNotTheMachine) {
  cpu_set_t all;
  CPU_ZERO(&all);
  ASSERT_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
  EXPECT_EQ(usable_cores(), CPU_COUNT(&all));

  // A thread pinned to one core (as `taskset -c 0` pins a process) may use one core, however many
  // the machine has.
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  int seen = 0;
  std::thread pinned([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (sched_setaffinity(0, sizeof(one), &one) == 0) seen = usable_cores();
  });
  pinned.join();
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace sensix
