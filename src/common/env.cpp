#include "common/env.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <thread>

namespace sensix {

namespace {

// poll(2) on one descriptor for at most `timeout_ms` (-1: no limit), retrying EINTR.
int poll_one(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r < 0 && errno == EINTR) return 0;
  return r > 0 ? 1 : r;
}

class RealEnv final : public Env {
 public:
  TimePoint now() const override { return SteadyClock::now(); }
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
  void sleep_until(TimePoint t) override { std::this_thread::sleep_until(t); }

  int wait_fd(int fd, short events, TimePoint deadline) override {
    for (;;) {
      int timeout_ms = -1;
      if (deadline != TimePoint::max()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) return 0;
        timeout_ms = static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30));
      }
      const int r = poll_one(fd, events, timeout_ms);
      if (r != 0) return r;
    }
  }

 protected:
  bool wait_once(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint deadline) override {
    if (deadline == TimePoint::max()) {
      cv.wait(lock);
      return true;
    }
    return cv.wait_until(lock, deadline) == std::cv_status::no_timeout;
  }
};

}  // namespace

Env* Env::Default() {
  static Env* const env = new RealEnv;  // never destroyed: threads may use it during exit
  return env;
}

TimePoint ManualEnv::now() const {
  std::lock_guard lock(mu_);
  return now_;
}

WallTime ManualEnv::wall_now() const {
  return kWallStart + std::chrono::duration_cast<WallTime::duration>(now() - start_);
}

void ManualEnv::add(Waiter* w) {
  waiters_.push_back(w);
  changed_.notify_all();
}

void ManualEnv::remove(Waiter* w) {
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), w));
  changed_.notify_all();
}

void ManualEnv::sleep_until(TimePoint t) {
  std::unique_lock lock(mu_);
  if (now_ >= t) return;
  Waiter w{t};
  add(&w);
  changed_.wait(lock, [&] { return now_ >= t; });
  remove(&w);
}

int ManualEnv::wait_fd(int fd, short events, TimePoint deadline) {
  Waiter w{deadline};
  {
    std::lock_guard lock(mu_);
    if (now_ >= deadline) return 0;
    add(&w);
  }
  int r = 0;
  for (;;) {
    r = poll_one(fd, events, static_cast<int>(kFdPoll.count()));
    if (r != 0) break;
    std::lock_guard lock(mu_);
    if (now_ >= deadline) break;
  }
  std::lock_guard lock(mu_);
  remove(&w);
  return r;
}

bool ManualEnv::wait_once(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint deadline) {
  Waiter w{deadline, &cv, lock.mutex()};
  {
    std::lock_guard env_lock(mu_);
    if (now_ >= deadline) return false;
    add(&w);
  }
  // advance() notifies `cv` holding `lock`'s mutex, so it cannot slip in between the check above
  // and this wait: it waits for the mutex, which the wait releases.
  cv.wait(lock);
  std::unique_lock env_lock(mu_);
  remove(&w);
  if (w.notifying > 0) {
    // An advance() has taken `w` and will lock our mutex to notify: let it, and only then return
    // (and let `w`, the cv and the mutex go).
    lock.unlock();
    changed_.wait(env_lock, [&] { return w.notifying == 0; });
    env_lock.unlock();
    lock.lock();
  }
  return true;
}

void ManualEnv::advance(Duration d) { set(now() + std::max(d, Duration::zero())); }

void ManualEnv::set(TimePoint t) {
  std::vector<Waiter*> due;
  {
    std::lock_guard lock(mu_);
    if (t <= now_) return;
    now_ = t;
    for (Waiter* w : waiters_) {
      if (w->cv != nullptr && w->deadline <= now_) {
        ++w->notifying;
        due.push_back(w);
      }
    }
    changed_.notify_all();  // sleepers
  }
  for (Waiter* w : due) {
    {
      std::lock_guard user_lock(*w->mu);
      w->cv->notify_all();
    }
    std::lock_guard lock(mu_);
    --w->notifying;
    changed_.notify_all();
  }
}

size_t ManualEnv::blocked() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

bool ManualEnv::await_blocked(size_t n, std::chrono::milliseconds real_timeout) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, real_timeout, [&] { return waiters_.size() >= n; });
}

std::optional<TimePoint> ManualEnv::next_deadline() const {
  std::lock_guard lock(mu_);
  if (waiters_.empty()) return std::nullopt;
  TimePoint t = TimePoint::max();
  for (const Waiter* w : waiters_) t = std::min(t, w->deadline);
  return t;
}

bool ManualEnv::run_until(const std::function<bool()>& done, std::chrono::milliseconds real_timeout) {
  const TimePoint give_up = SteadyClock::now() + real_timeout;
  // The earliest deadline ahead of the clock, once every blocked thread has one ahead (those
  // already due are still waking up and must run first); nullopt while there is none.
  auto next = [&]() -> std::optional<TimePoint> {
    std::optional<TimePoint> t;
    for (const Waiter* w : waiters_) {
      if (w->deadline <= now_) return std::nullopt;
      if (w->deadline != TimePoint::max() && (!t || w->deadline < *t)) t = w->deadline;
    }
    return t;
  };
  while (!done()) {
    if (SteadyClock::now() > give_up) return false;
    std::optional<TimePoint> t;
    {
      std::unique_lock lock(mu_);
      changed_.wait_for(lock, std::chrono::milliseconds(5), [&] { return (t = next()).has_value(); });
    }
    // Everything the threads did before they blocked is visible now: a done() that holds must not
    // see the clock moved past the moment it came true.
    if (t && !done()) set(*t);
  }
  return true;
}

}  // namespace sensix
