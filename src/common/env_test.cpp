// Env::Default() is the real clock; ManualEnv moves only when told to, wakes sleepers, cv waiters
// and fd waiters when it passes their deadline (never earlier, never missing one that races its
// check), and lets a test wait until threads are blocked on it.
#include "common/env.h"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sensix {
namespace {

using namespace std::chrono_literals;

// Counts finished threads; wait_done() waits for them in real time (a failed test must not hang).
class DoneCounter {
 public:
  void mark() {
    std::lock_guard lock(mu_);
    ++done_;
    cv_.notify_all();
  }
  bool wait_done(int n, std::chrono::seconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_ >= n; });
  }
  int done() {
    std::lock_guard lock(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
};

TEST(DefaultEnvTest, IsTheRealSteadyClock) {
  Env* env = Env::Default();
  ASSERT_EQ(env, Env::Default());
  const TimePoint before = SteadyClock::now();
  const TimePoint t = env->now();
  EXPECT_LE(before, t);
  EXPECT_LE(t, SteadyClock::now());
  const auto wall = std::chrono::system_clock::now();
  EXPECT_LT(std::chrono::abs(env->wall_now() - wall), 1s);
  env->sleep_for(5ms);
  EXPECT_GE(env->now() - t, 5ms);
}

TEST(DefaultEnvTest, WaitsOnACvUntilThePredicateOrTheDeadline) {
  Env* env = Env::Default();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  const TimePoint t0 = env->now();
  EXPECT_FALSE(env->wait_for(cv, lock, 20ms, [] { return false; }));
  EXPECT_GE(env->now() - t0, 20ms);
  EXPECT_TRUE(env->wait_until(cv, lock, TimePoint::max(), [] { return true; }));

  bool flag = false;
  std::thread setter([&] {
    std::lock_guard l(mu);
    flag = true;
    cv.notify_all();
  });
  EXPECT_TRUE(env->wait_for(cv, lock, 10s, [&] { return flag; }));
  lock.unlock();
  setter.join();
}

TEST(DefaultEnvTest, WaitsOnAFileDescriptorUntilReadyOrTheDeadline) {
  Env* env = Env::Default();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const TimePoint t0 = env->now();
  EXPECT_EQ(env->wait_fd(fds[0], POLLIN, t0 + 20ms), 0);
  EXPECT_GE(env->now() - t0, 20ms);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  EXPECT_EQ(env->wait_fd(fds[0], POLLIN, TimePoint::max()), 1);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ManualEnvTest, StandsStillUntilAdvancedOrSet) {
  ManualEnv env;
  EXPECT_EQ(env.now(), ManualEnv::kStart);
  EXPECT_EQ(env.wall_now(), ManualEnv::kWallStart);
  env.advance(1500ms);
  EXPECT_EQ(env.now(), ManualEnv::kStart + 1500ms);
  EXPECT_EQ(env.wall_now(), ManualEnv::kWallStart + 1500ms);
  env.set(ManualEnv::kStart + 10s);
  EXPECT_EQ(env.now(), ManualEnv::kStart + 10s);
  env.set(ManualEnv::kStart);  // backwards: ignored
  env.advance(-1s);            // likewise
  EXPECT_EQ(env.now(), ManualEnv::kStart + 10s);
  EXPECT_EQ(env.blocked(), 0u);
  EXPECT_EQ(env.next_deadline(), std::nullopt);
  env.sleep_until(ManualEnv::kStart);  // already past: returns at once
  env.sleep_for(0s);
}

TEST(ManualEnvTest, ASleeperWakesOnlyWhenTheClockReachesItsDeadline) {
  ManualEnv env;
  DoneCounter done;
  std::thread sleeper([&] {
    env.sleep_for(10s);
    done.mark();
  });
  ASSERT_TRUE(env.await_blocked(1));
  EXPECT_EQ(env.next_deadline(), ManualEnv::kStart + 10s);
  env.advance(9999ms);
  EXPECT_EQ(env.blocked(), 1u);
  EXPECT_EQ(done.done(), 0);
  env.advance(1ms);
  ASSERT_TRUE(done.wait_done(1));
  sleeper.join();
  EXPECT_EQ(env.blocked(), 0u);
  EXPECT_EQ(env.now(), ManualEnv::kStart + 10s);
}

TEST(ManualEnvTest, ACvWaiterTimesOutAtItsDeadlineOrReturnsOnItsPredicate) {
  ManualEnv env;
  std::mutex mu;
  std::condition_variable cv;
  bool flag = false;
  bool timed_out_result = true;
  DoneCounter done;
  std::thread waiter([&] {
    std::unique_lock lock(mu);
    timed_out_result = env.wait_for(cv, lock, 2s, [&] { return flag; });
    done.mark();
  });
  ASSERT_TRUE(env.await_blocked(1));
  EXPECT_EQ(env.next_deadline(), ManualEnv::kStart + 2s);
  env.advance(1s);
  EXPECT_EQ(done.done(), 0);
  env.advance(1s);
  ASSERT_TRUE(done.wait_done(1));
  waiter.join();
  EXPECT_FALSE(timed_out_result) << "the deadline passed with the predicate false";

  bool notified_result = false;
  std::thread waiter2([&] {
    std::unique_lock lock(mu);
    notified_result = env.wait_until(cv, lock, env.now() + 1h, [&] { return flag; });
    done.mark();
  });
  ASSERT_TRUE(env.await_blocked(1));
  {
    std::lock_guard lock(mu);
    flag = true;
  }
  cv.notify_all();
  ASSERT_TRUE(done.wait_done(2));
  waiter2.join();
  EXPECT_TRUE(notified_result);
  EXPECT_EQ(env.now(), ManualEnv::kStart + 2s) << "a notification moves no time";
}

TEST(ManualEnvTest, ConcurrentWaitersWakeInDeadlineOrder) {
  ManualEnv env;
  constexpr int kThreads = 8;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> woke[kThreads] = {};
  DoneCounter done;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const auto d = std::chrono::seconds(i + 1);
      if (i % 2 == 0) {
        env.sleep_for(d);
      } else {
        std::unique_lock lock(mu);
        env.wait_for(cv, lock, d, [] { return false; });
      }
      woke[i] = true;
      done.mark();
    });
  }
  ASSERT_TRUE(env.await_blocked(kThreads));
  EXPECT_EQ(env.next_deadline(), ManualEnv::kStart + 1s);
  for (int k = 1; k <= kThreads; ++k) {
    env.advance(1s);
    ASSERT_TRUE(done.wait_done(k)) << "after " << k << " s";
    for (int i = 0; i < kThreads; ++i) EXPECT_EQ(woke[i].load(), i < k) << "thread " << i << " after " << k << " s";
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(env.blocked(), 0u);

  // One big step wakes them all.
  std::vector<std::thread> more;
  for (int i = 0; i < kThreads; ++i) {
    more.emplace_back([&, i] {
      std::unique_lock lock(mu);
      env.wait_for(cv, lock, std::chrono::milliseconds(100 * (i + 1)), [] { return false; });
      done.mark();
    });
  }
  ASSERT_TRUE(env.await_blocked(kThreads));
  env.advance(1h);
  ASSERT_TRUE(done.wait_done(2 * kThreads));
  for (auto& t : more) t.join();
}

// await_blocked() returns as soon as the waiter has registered its deadline, which is before it
// waits on its cv (it still holds the mutex): advancing right then is the race in which a
// notification without the waiter's mutex would be lost and the waiter would sleep for ever.
TEST(ManualEnvTest, NoWakeUpIsLostWhenTheClockMovesBetweenTheCheckAndTheWait) {
  ManualEnv env;
  std::mutex mu;
  std::condition_variable cv;
  bool give_up = false;  // guarded by mu: frees a waiter whose wake-up was lost, so a failure does not hang
  DoneCounter done;
  constexpr int kRounds = 300;
  for (int round = 0; round < kRounds; ++round) {
    bool result = true;
    std::thread waiter([&] {
      std::unique_lock lock(mu);
      result = env.wait_for(cv, lock, 1ms, [&] { return give_up; });
      done.mark();
    });
    ASSERT_TRUE(env.await_blocked(1));
    env.advance(1ms);
    const bool woke = done.wait_done(round + 1, 5s);
    if (!woke) {
      std::lock_guard lock(mu);
      give_up = true;
      cv.notify_all();
    }
    waiter.join();
    ASSERT_TRUE(woke) << "round " << round << ": the waiter missed the clock passing its deadline";
    EXPECT_FALSE(result);
  }
  EXPECT_EQ(env.now(), ManualEnv::kStart + std::chrono::milliseconds(kRounds));
}

TEST(ManualEnvTest, AnFdWaiterReturnsWhenReadyOrAtItsDeadline) {
  ManualEnv env;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int result = -2;
  DoneCounter done;
  std::thread waiter([&] {
    result = env.wait_fd(fds[0], POLLIN, env.now() + 300ms);
    done.mark();
  });
  ASSERT_TRUE(env.await_blocked(1));
  EXPECT_EQ(env.next_deadline(), ManualEnv::kStart + 300ms);
  env.advance(300ms);
  ASSERT_TRUE(done.wait_done(1));
  waiter.join();
  EXPECT_EQ(result, 0) << "the deadline, not data";

  std::thread reader([&] {
    result = env.wait_fd(fds[0], POLLIN, TimePoint::max());
    done.mark();
  });
  ASSERT_TRUE(env.await_blocked(1));
  EXPECT_EQ(env.next_deadline(), TimePoint::max());
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  ASSERT_TRUE(done.wait_done(2));
  reader.join();
  EXPECT_EQ(result, 1);
  EXPECT_EQ(env.wait_fd(fds[0], POLLIN, env.now()), 0) << "a deadline already reached returns at once";
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ManualEnvTest, RunUntilMovesFromDeadlineToDeadlineOfAPacingThread) {
  ManualEnv env;
  const TimePoint t0 = env.now();
  std::vector<TimePoint> woke;  // written by the pacer only until `count` says it is done
  std::atomic<int> count{0};
  std::thread pacer([&] {
    for (int k = 1; k <= 10; ++k) {
      env.sleep_until(t0 + k * 100ms);
      woke.push_back(env.now());
      ++count;
    }
  });
  ASSERT_TRUE(env.run_until([&] { return count == 10; }));
  pacer.join();
  ASSERT_EQ(woke.size(), 10u);
  for (int k = 1; k <= 10; ++k) EXPECT_EQ(woke[k - 1], t0 + k * 100ms) << "step " << k;
  EXPECT_EQ(env.now(), t0 + 1s);
  EXPECT_FALSE(env.run_until([] { return false; }, 20ms)) << "nothing to run: gives up in real time";
}

TEST(ManualEnvTest, AwaitBlockedTimesOutInRealTime) {
  ManualEnv env;
  const auto t0 = SteadyClock::now();
  EXPECT_FALSE(env.await_blocked(1, 20ms));
  EXPECT_GE(SteadyClock::now() - t0, 20ms);
}

}  // namespace
}  // namespace sensix
