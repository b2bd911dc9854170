// ThreadedDriver: what every driver with a thread of its own shares (ReplayDriver for files and
// generated signals, LiveDriver for live sources): the name and spec, the format found by open(),
// the driver thread, the stop request, and the state, reason and statistics behind one mutex.
// Subclasses implement open() and the thread body run(); start() is start_thread(). Time (pacing,
// back-off, timeouts, capture stamps) comes from the Env given at construction (env()).
//
// Thread-safety: open/start/stop from one control thread; state(), reason() and stats() from any.
// Subclasses read and write state_, reason_ and stats_ only with mu_ held.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/env.h"
#include "sensors/driver.h"

namespace sensix {

class ThreadedDriver : public SensorDriver {
 public:
  ~ThreadedDriver() override;

  const SensorInfo& info() const final { return info_; }
  // Requests the stop, wakes a sleeping driver thread at once and joins it. Idempotent. A driver
  // never started goes to kStopped.
  void stop() final;
  SensorState state() const final;
  std::string reason() const final;
  SensorStats stats() const final;

 protected:
  ThreadedDriver(std::string name, SensorSpec spec, Env* env);

  // The body of the driver thread: produces frames into sink_ and calls sink_->end_of_stream()
  // exactly once before it returns.
  virtual void run() = 0;
  // start(): checks the sink and that open() succeeded and nothing started yet, sets `state` with
  // `reason`, and starts run() on the driver thread.
  Status start_thread(FrameSink* sink, SensorState state, std::string reason);
  // Marks a successful open() with the format found.
  void set_opened(SensorInfo info);
  bool opened() const { return opened_; }

  bool stop_requested() const;
  // Sleep until `t` (or for `d`) or stop(); false when stop() was requested.
  bool sleep_until(TimePoint t);
  bool sleep_for(Duration d) { return sleep_until(env_->now() + d); }
  void set_state(SensorState s, std::string reason);

  const std::string& name() const { return name_; }
  Env* env() const { return env_; }
  const SensorSpec& spec() const { return spec_; }
  FrameSink* sink() const { return sink_; }

  mutable std::mutex mu_;
  SensorState state_ = SensorState::kPending;  // guarded by mu_
  std::string reason_;                         // guarded by mu_
  SensorStats stats_;                          // guarded by mu_

 private:
  const std::string name_;
  const SensorSpec spec_;
  Env* const env_;
  SensorInfo info_;  // written by set_opened() only, before start()
  bool opened_ = false;
  FrameSink* sink_ = nullptr;
  std::thread thread_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;  // guarded by mu_
};

}  // namespace sensix
