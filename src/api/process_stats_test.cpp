#include "api/process_stats.h"

#include <fcntl.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <future>
#include <thread>

namespace sensix {
namespace {

double process_cpu_clock_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

TEST(ProcessStats, ReadsThisProcess) {
  auto p = read_process_stats();
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_GT(p->rss_bytes, 1 << 20);  // a test binary with gtest and the runtime takes over a MiB
  EXPECT_GE(p->virtual_bytes, p->rss_bytes);
  EXPECT_GE(p->threads, 1);
  EXPECT_GE(p->open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(p->cpu_seconds, 0.0);
  const int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  // btime has whole seconds; the process started before now, and not an hour ago.
  EXPECT_LE(p->start_time_unix_ns, now_ns + 1'000'000'000);
  EXPECT_GT(p->start_time_unix_ns, now_ns - int64_t{3600} * 1'000'000'000);
}

TEST(ProcessStats, CpuTimeRisesAfterABusyLoop) {
  auto before = read_process_stats();
  ASSERT_TRUE(before.ok()) << before.status();
  // Spin until the kernel's own clock of this process's CPU time has gone up by 0.3 s (the machine may
  // be shared, so wall time is no measure), then compare.
  const double start = process_cpu_clock_seconds();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  volatile uint64_t sink = 0;
  while (process_cpu_clock_seconds() - start < 0.3 && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 100000; ++i) sink = sink + static_cast<uint64_t>(i);
  }
  ASSERT_GE(process_cpu_clock_seconds() - start, 0.3) << "no CPU time in 30 s";
  auto after = read_process_stats();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GE(after->cpu_seconds - before->cpu_seconds, 0.25);  // clock ticks are 10 ms
  EXPECT_LE(after->cpu_seconds, process_cpu_clock_seconds() + 0.02);
}

TEST(ProcessStats, CountsOpenFilesAndThreads) {
  auto before = read_process_stats();
  ASSERT_TRUE(before.ok()) << before.status();
  const int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  std::promise<void> release;
  std::promise<void> started;
  std::thread t([&] {
    started.set_value();
    release.get_future().wait();
  });
  started.get_future().wait();
  auto during = read_process_stats();
  release.set_value();
  t.join();
  close(a);
  close(b);
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(during->open_fds, before->open_fds + 2);
  EXPECT_EQ(during->threads, before->threads + 1);
}

}  // namespace
}  // namespace sensix
