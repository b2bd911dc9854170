#include "sensors/replay_driver.h"

#include <cmath>
#include <exception>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sensix {

namespace {

constexpr int64_t kRecoverAfterNs = 1'000'000'000;  // on-time media time that ends kDegraded

double ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

ReplayDriver::ReplayDriver(std::string name, SensorSpec spec) : name_(std::move(name)), spec_(std::move(spec)) {}

ReplayDriver::~ReplayDriver() { stop(); }

Status ReplayDriver::open() {
  if (opened_) return FailedPrecondition(fmt::format("sensor {} is already open", name_));
  {
    std::lock_guard lock(mu_);
    if (state_ != SensorState::kPending) {
      return FailedPrecondition(fmt::format("sensor {} cannot be opened: it is {}", name_, sensor_state_name(state_)));
    }
  }
  if (!(spec_.replay.speed >= 0) || !std::isfinite(spec_.replay.speed)) {
    Status s = InvalidArgument(fmt::format("replay speed {} is not valid (0 = max, or a positive factor)", spec_.replay.speed));
    set_state(SensorState::kFailed, s.message());
    return s;
  }
  SensorInfo info;
  Status s;
  try {
    s = open_source(&info);
  } catch (const std::exception& e) {
    s = Internal(fmt::format("{}: unexpected error while opening: {}", source_label(), e.what()));
  } catch (...) {
    s = Internal(fmt::format("{}: unexpected error while opening", source_label()));
  }
  if (!s.ok()) {
    set_state(SensorState::kFailed, s.message());
    return s;
  }
  info_ = std::move(info);
  opened_ = true;
  spdlog::debug("sensor {}: opened {}: {}", name_, source_label(), info_.description);
  return Status::Ok();
}

Status ReplayDriver::start(FrameSink* sink) {
  if (sink == nullptr) return InvalidArgument(fmt::format("sensor {}: start() needs a sink", name_));
  if (!opened_) return FailedPrecondition(fmt::format("sensor {}: start() before a successful open()", name_));
  {
    std::lock_guard lock(mu_);
    if (state_ != SensorState::kPending || thread_.joinable()) {
      return FailedPrecondition(fmt::format("sensor {} cannot start: it is {}", name_, sensor_state_name(state_)));
    }
    state_ = SensorState::kRunning;
    reason_.clear();
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

void ReplayDriver::stop() {
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

SensorState ReplayDriver::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string ReplayDriver::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

SensorStats ReplayDriver::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void ReplayDriver::count_error() {
  std::lock_guard lock(mu_);
  ++stats_.errors;
}

bool ReplayDriver::stop_requested() const {
  std::lock_guard lock(mu_);
  return stop_requested_;
}

bool ReplayDriver::sleep_until(SteadyClock::time_point t) {
  std::unique_lock lock(mu_);
  return !stop_cv_.wait_until(lock, t, [&] { return stop_requested_; });
}

void ReplayDriver::set_state(SensorState s, std::string reason) {
  std::lock_guard lock(mu_);
  state_ = s;
  reason_ = std::move(reason);
}

void ReplayDriver::run() {
  Result<Outcome> r = Status(StatusCode::kInternal, "not run");
  try {
    r = pump();
  } catch (const std::exception& e) {
    r = Internal(fmt::format("{}: unexpected error while reading: {}", source_label(), e.what()));
  } catch (...) {
    r = Internal(fmt::format("{}: unexpected error while reading", source_label()));
  }

  Status why;
  if (!r.ok()) {
    why = r.status();
    {
      std::lock_guard lock(mu_);
      ++stats_.errors;
      state_ = SensorState::kFailed;
      reason_ = why.message();
    }
    spdlog::error("sensor {}: failed: {}", name_, why.message());
  } else {
    std::string reason;
    switch (*r) {
      case Outcome::kEnd:
        reason = fmt::format("end of {}", source_label());
        break;
      case Outcome::kStopRequested:
        reason = "stopped on request";
        why = Cancelled(fmt::format("sensor {} stopped on request", name_));
        break;
      case Outcome::kRefused:
        reason = "the consumer stopped taking frames";
        why = Cancelled(fmt::format("sensor {}: the consumer stopped taking frames", name_));
        break;
    }
    spdlog::debug("sensor {}: stopped: {}", name_, reason);
    set_state(SensorState::kStopped, std::move(reason));
  }
  sink_->end_of_stream(why);
}

Result<ReplayDriver::Outcome> ReplayDriver::pump() {
  const double speed = spec_.replay.speed;
  const bool paced = speed > 0;
  bool anchored = false;
  SteadyClock::time_point anchor_time;
  int64_t anchor_media = 0;
  int64_t on_time_ns = 0;  // media time published on time since the last late frame
  bool degraded = false;
  bool pass_had_units = false;
  uint64_t seq = 0;

  for (;;) {
    if (stop_requested()) return Outcome::kStopRequested;
    Unit unit;
    SENSIX_ASSIGN_OR_RETURN(Read read, read_next(&unit));
    if (read == Read::kSkipped) {
      std::lock_guard lock(mu_);
      ++stats_.skipped;
      continue;
    }
    if (read == Read::kEndOfPass) {
      if (!spec_.replay.loop) return Outcome::kEnd;
      if (!pass_had_units) {
        return DataLoss(fmt::format("{}: a pass of the replay produced no frames; cannot loop", source_label()));
      }
      SENSIX_RETURN_IF_ERROR(rewind());
      pass_had_units = false;
      continue;
    }
    pass_had_units = true;

    SteadyClock::time_point due;
    if (paced) {
      if (!anchored) {
        anchor_time = SteadyClock::now();
        anchor_media = unit.media_ns;
        anchored = true;
      }
      due = anchor_time + std::chrono::nanoseconds(
                              static_cast<int64_t>(static_cast<double>(unit.media_ns - anchor_media) / speed));
      if (!sleep_until(due)) return Outcome::kStopRequested;
    }

    auto frame = std::make_shared<Frame>();
    frame->seq = seq++;
    frame->media_ns = unit.media_ns;
    frame->duration_ns = unit.duration_ns;
    std::visit([&](auto&& d) { frame->data = std::move(d); }, unit.data);
    frame->captured = SteadyClock::now();

    if (paced) {
      const auto period = std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(unit.duration_ns) / speed));
      const auto lateness = frame->captured - due;
      if (lateness > period) {
        anchor_time = frame->captured;  // pace on from here instead of bursting
        anchor_media = unit.media_ns;
        on_time_ns = 0;
        std::string why = fmt::format("falling behind real time: frame {} was published {:.1f} ms late (one frame is {:.1f} ms)",
                                      frame->seq, ms(lateness), ms(period));
        {
          std::lock_guard lock(mu_);
          ++stats_.late_frames;
          state_ = SensorState::kDegraded;
          reason_ = std::move(why);
        }
        if (!degraded) spdlog::warn("sensor {}: {}", name_, reason());
        degraded = true;
      } else if (degraded) {
        on_time_ns += unit.duration_ns;
        if (on_time_ns >= kRecoverAfterNs) {
          set_state(SensorState::kRunning, "");
          degraded = false;
          spdlog::info("sensor {}: back on time", name_);
        }
      }
    }

    if (!sink_->push(std::move(frame))) return Outcome::kRefused;
    std::lock_guard lock(mu_);
    ++stats_.frames;
  }
}

}  // namespace sensix
