#include "sensors/threaded_driver.h"

#include <exception>
#include <utility>

#include <fmt/format.h>

namespace sensix {

ThreadedDriver::ThreadedDriver(std::string name, SensorSpec spec, Env* env)
    : name_(std::move(name)), spec_(std::move(spec)), env_(env) {}

// Subclasses call stop() in their own destructors (the thread calls their virtuals); this one only
// makes sure no thread outlives the object.
ThreadedDriver::~ThreadedDriver() { stop(); }

Status ThreadedDriver::start_thread(FrameSink* sink, SensorState state, std::string reason) {
  if (sink == nullptr) return InvalidArgument(fmt::format("sensor {}: start() needs a sink", name_));
  if (!opened_) return FailedPrecondition(fmt::format("sensor {}: start() before a successful open()", name_));
  {
    std::lock_guard lock(mu_);
    if (state_ != SensorState::kPending || thread_.joinable()) {
      return FailedPrecondition(fmt::format("sensor {} cannot start: it is {}", name_, sensor_state_name(state_)));
    }
    state_ = state;
    reason_ = std::move(reason);
  }
  sink_ = sink;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::exception& e) {
    Status s = Unavailable(fmt::format("sensor {}: cannot start its thread: {}", name_, e.what()));
    set_state(SensorState::kFailed, s.message());
    return s;
  }
  return Status::Ok();
}

void ThreadedDriver::set_opened(SensorInfo info) {
  info_ = std::move(info);
  opened_ = true;
}

void ThreadedDriver::stop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
    if (!thread_.joinable() && state_ == SensorState::kPending) {
      state_ = SensorState::kStopped;  // never started: nothing to end
      reason_ = "stopped on request";
    }
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SensorState ThreadedDriver::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string ThreadedDriver::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

SensorStats ThreadedDriver::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool ThreadedDriver::stop_requested() const {
  std::lock_guard lock(mu_);
  return stop_requested_;
}

bool ThreadedDriver::sleep_until(TimePoint t) {
  std::unique_lock lock(mu_);
  return !env_->wait_until(stop_cv_, lock, t, [&] { return stop_requested_; });
}

void ThreadedDriver::set_state(SensorState s, std::string reason) {
  std::lock_guard lock(mu_);
  state_ = s;
  reason_ = std::move(reason);
}

}  // namespace sensix
