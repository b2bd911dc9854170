// Env: the environment time-dependent code runs in, in the spirit of LevelDB's Env: what time it
// is, sleeping, waiting on a condition variable or a file descriptor with a deadline. Production
// code never calls std::chrono::steady_clock::now(), std::this_thread::sleep_* or a
// condition_variable's timed waits directly; it holds an Env* (from its options or constructor,
// Env::Default() unless a test gives another) and asks it. Latency stamps, back-off delays, rate
// caps, deadlines and cooldowns then all come from the same clock.
//
// Env::Default() is the real steady clock (and the system clock for wall time); it lives for the
// whole process. ManualEnv is a clock for tests that moves only when the test moves it; threads
// that sleep or wait on it wake when it passes their deadline, and the test can wait until a
// given number of threads are blocked on it, so a time-dependent test needs no real sleep.
//
// Thread-safety: every member of an Env may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace sensix {

class Env {
 public:
  virtual ~Env() = default;

  // The real clock: SteadyClock, std::this_thread, poll(2). Never null; never destroyed.
  static Env* Default();

  // The monotonic time: latency stamps, deadlines, delays.
  virtual TimePoint now() const = 0;
  // Wall-clock time, for timestamps people read (an event's time of day); never for measuring.
  virtual WallTime wall_now() const = 0;

  // Returns once now() >= t (at once if it is already).
  virtual void sleep_until(TimePoint t) = 0;
  void sleep_for(Duration d) { sleep_until(now() + d); }

  // Waits on `cv` (with `lock` held, as std::condition_variable::wait_until) until pred() holds or
  // now() reaches `deadline`; returns pred() at the end. TimePoint::max() waits without deadline.
  // `cv` is notified by the caller's code as usual; the Env adds the wake-up at the deadline.
  template <class Pred>
  bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint deadline, Pred pred) {
    while (!pred()) {
      if (!wait_once(cv, lock, deadline)) return pred();
    }
    return true;
  }
  template <class Pred>
  bool wait_for(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Duration d, Pred pred) {
    return wait_until(cv, lock, now() + d, std::move(pred));
  }

  // Waits until `fd` has one of `events` (as poll(2)) or now() reaches `deadline` (TimePoint::max():
  // no deadline). Returns 1 when ready (including hang-up and error conditions, which the next read
  // names), 0 at the deadline, -1 on a poll error (errno set). EINTR is retried.
  virtual int wait_fd(int fd, short events, TimePoint deadline) = 0;

 protected:
  // One wait on `cv` (`lock` held on entry and on return): returns false, without waiting, when
  // now() >= deadline; otherwise waits until `cv` is notified, a spurious wake-up, or the deadline,
  // and returns true (wait_until then checks the predicate and the deadline again).
  virtual bool wait_once(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint deadline) = 0;
};

// ManualEnv: a clock that stands still until the test calls advance() or set(). It starts at
// kStart (wall time kWallStart), far from TimePoint{} so that "never set" instants stay distinct.
//
// Sleepers and cv waiters whose deadline the clock reaches are woken by advance()/set(): a cv
// waiter is notified with its own mutex held, so a wake-up can never fall between its check of
// the clock and its wait (no lost wake-up). A thread in wait_fd() looks at the clock every
// kFdPoll of real time. A thread counts as blocked on the clock from the moment it registers its
// deadline until it returns or is woken; await_blocked() lets a test wait for that (in real
// time) instead of sleeping.
//
// advance()/set() must not be called with a mutex held that a waiter on this clock waits with.
// Destroy a ManualEnv only once no thread is blocked on it.
class ManualEnv final : public Env {
 public:
  static constexpr TimePoint kStart = TimePoint(std::chrono::hours(1));
  static constexpr WallTime kWallStart = WallTime(std::chrono::seconds(1'767'225'600));  // 2026-01-01T00:00:00Z
  static constexpr std::chrono::milliseconds kFdPoll{2};

  explicit ManualEnv(TimePoint start = kStart) : start_(start), now_(start) {}
  ManualEnv(const ManualEnv&) = delete;
  ManualEnv& operator=(const ManualEnv&) = delete;

  TimePoint now() const override;
  WallTime wall_now() const override;  // kWallStart + (now() - start)
  void sleep_until(TimePoint t) override;
  int wait_fd(int fd, short events, TimePoint deadline) override;

  // Moves the clock forward by `d` (>= 0) and wakes every thread whose deadline it reached.
  void advance(Duration d);
  // Moves the clock to `t`; a `t` before now() leaves it where it is (the clock is monotonic).
  void set(TimePoint t);

  // Threads blocked on this clock now (sleeping, waiting on a cv or an fd with a deadline).
  size_t blocked() const;
  // Waits, for at most `real_timeout` of real time, until at least `n` threads are blocked on this
  // clock; false on timeout.
  bool await_blocked(size_t n, std::chrono::milliseconds real_timeout = std::chrono::seconds(10)) const;
  // The earliest deadline of the threads blocked now (TimePoint::max() for one waiting without a
  // deadline); nullopt when none is blocked.
  std::optional<TimePoint> next_deadline() const;
  // Runs the clock for code that paces itself on it (a replay, a back-off loop): whenever threads
  // are blocked on it and none of them is already due, checks done() and, while it does not hold,
  // moves the clock to the earliest deadline. So the clock stops at the deadline after which
  // done() came true, not later. false when done() does not hold within `real_timeout` of real
  // time. Threads waiting without a deadline are left alone; a thread that is busy (not blocked on
  // the clock) is not waited for.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds real_timeout = std::chrono::seconds(30));

 protected:
  bool wait_once(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint deadline) override;

 private:
  struct Waiter {
    TimePoint deadline;
    std::condition_variable* cv = nullptr;  // null: a sleeper or fd waiter (they watch the clock themselves)
    std::mutex* mu = nullptr;               // the mutex the cv waiter waits with
    int notifying = 0;                      // advance() calls in flight that will lock mu; guarded by mu_
  };
  void add(Waiter* w);     // mu_ held
  void remove(Waiter* w);  // mu_ held

  const TimePoint start_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // the clock moved, a waiter came or went, a notify ended
  TimePoint now_;                            // guarded by mu_
  std::vector<Waiter*> waiters_;             // guarded by mu_
};

}  // namespace sensix
