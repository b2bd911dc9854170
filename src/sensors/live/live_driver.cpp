#include "sensors/live/live_driver.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sensix {

namespace {

constexpr auto kDegradedFor = std::chrono::seconds(1);  // bad data keeps the sensor degraded this long

bool permanent(const Status& s) {
  return s.code() == StatusCode::kFailedPrecondition || s.code() == StatusCode::kInvalidArgument;
}

SteadyClock::duration seconds(double s) {
  return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

LiveDriver::LiveDriver(std::string name, SensorSpec spec, Env* env)
    : ThreadedDriver(std::move(name), std::move(spec), env) {}

LiveDriver::~LiveDriver() { stop(); }

Status LiveDriver::open() {
  if (opened()) return FailedPrecondition(fmt::format("sensor {} is already open", name()));
  const ReconnectSpec& r = spec().reconnect;
  Status s;
  if (!(r.initial_delay > 0) || !(r.max_delay >= r.initial_delay) || !(r.timeout > 0) || r.max_attempts < 0 ||
      !std::isfinite(r.max_delay) || !std::isfinite(r.timeout)) {
    s = InvalidArgument(
        fmt::format("reconnect settings are not valid (initialDelay {} s, maxDelay {} s, maxAttempts {}, "
                    "timeout {} s)",
                    r.initial_delay, r.max_delay, r.max_attempts, r.timeout));
  } else {
    SensorInfo info;
    try {
      s = describe(&info);
    } catch (const std::exception& e) {
      s = Internal(fmt::format("{}: unexpected error: {}", source_label(), e.what()));
    }
    if (s.ok()) {
      set_opened(std::move(info));
      return Status::Ok();
    }
  }
  set_state(SensorState::kFailed, s.message());
  return s;
}

Status LiveDriver::start(FrameSink* sink) {
  // Set before the thread exists (run() reads it); a second start() is refused by start_thread()
  // and must not move it under a running thread.
  if (state() == SensorState::kPending) start_time_ = env()->now();
  return start_thread(sink, SensorState::kPending, fmt::format("connecting to {}", source_label()));
}

void LiveDriver::count_error(const std::string& why) {
  last_error_time_ = env()->now();
  {
    std::lock_guard lock(mu_);
    ++stats_.errors;
    if (state_ == SensorState::kRunning || state_ == SensorState::kDegraded) {
      state_ = SensorState::kDegraded;
      reason_ = why;
    }
  }
  if (why != last_logged_error_) {
    spdlog::warn("sensor {}: {}", name(), why);
    last_logged_error_ = why;
  }
}

int64_t LiveDriver::now_media_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(env()->now() - start_time_).count();
}

SteadyClock::duration LiveDriver::backoff(int attempt) const {
  const ReconnectSpec& r = spec().reconnect;
  const double d = r.initial_delay * std::pow(2.0, std::min(attempt - 1, 30));
  return seconds(std::min(d, r.max_delay));
}

Status LiveDriver::safe_connect() {
  try {
    return connect();
  } catch (const std::exception& e) {
    return Unavailable(fmt::format("{}: unexpected error while connecting: {}", source_label(), e.what()));
  } catch (...) {
    return Unavailable(fmt::format("{}: unexpected error while connecting", source_label()));
  }
}

Result<LiveDriver::Read> LiveDriver::safe_read(Unit* out) {
  try {
    return read(out);
  } catch (const std::exception& e) {
    return Unavailable(fmt::format("{}: unexpected error while reading: {}", source_label(), e.what()));
  } catch (...) {
    return Unavailable(fmt::format("{}: unexpected error while reading", source_label()));
  }
}

void LiveDriver::run() {
  Result<Outcome> r = loop();
  Status why;
  if (!r.ok()) {
    why = r.status();
    set_state(SensorState::kFailed, why.message());
    spdlog::error("sensor {}: failed: {}", name(), why.message());
  } else if (*r == Outcome::kStopRequested) {
    set_state(SensorState::kStopped, "stopped on request");
    why = Cancelled(fmt::format("sensor {} stopped on request", name()));
  } else {
    set_state(SensorState::kStopped, "the consumer stopped taking frames");
    why = Cancelled(fmt::format("sensor {}: the consumer stopped taking frames", name()));
  }
  sink()->end_of_stream(why);
}

Result<LiveDriver::Outcome> LiveDriver::loop() {
  const ReconnectSpec& rc = spec().reconnect;
  const auto timeout = seconds(rc.timeout);
  uint64_t seq = 0;
  int attempt = 0;   // attempts since the last connection that delivered data
  int failures = 0;  // failed connection attempts in a row
  bool lost_before = false;
  std::string last_problem;  // logged once per distinct reason

  auto note_problem = [&](const std::string& what) {
    {
      std::lock_guard lock(mu_);
      ++stats_.reconnects;
    }
    if (what != last_problem) {
      spdlog::warn("sensor {}: {}", name(), what);
      last_problem = what;
    }
  };

  auto give_up = [&](const Status& last) {
    return Unavailable(fmt::format("gave up on {} after {} failed attempts in a row; the last: {}", source_label(),
                                   failures, last.message()));
  };

  for (;;) {
    if (stop_requested()) return Outcome::kStopRequested;
    if (attempt > 0) {
      const auto delay = backoff(attempt);
      {
        std::lock_guard lock(mu_);
        state_ = SensorState::kReconnecting;
        reason_ = fmt::format("{}; next attempt in {:.1f} s", last_problem,
                              std::chrono::duration<double>(delay).count());
      }
      if (!sleep_for(delay)) return Outcome::kStopRequested;
    }
    Status c = safe_connect();
    if (!c.ok()) {
      disconnect();
      if (stop_requested()) return Outcome::kStopRequested;  // a connect() cut short by stop()
      if (permanent(c)) return c;
      ++attempt;
      ++failures;
      note_problem(fmt::format("cannot connect to {}: {}", source_label(), c.message()));
      if (rc.max_attempts > 0 && failures >= rc.max_attempts) return give_up(c);
      continue;
    }
    set_state(SensorState::kRunning, "");
    spdlog::info("sensor {}: connected to {}", name(), source_label());
    const FrameSource source = make_frame_source(frame_source_text());  // once per connection

    bool delivered = false;
    auto last_data = env()->now();
    Status lost;
    for (;;) {
      if (stop_requested()) {
        disconnect();
        return Outcome::kStopRequested;
      }
      Unit u;
      Result<Read> rd = safe_read(&u);
      const auto now = env()->now();
      if (!rd.ok()) {
        if (permanent(rd.status())) {
          disconnect();
          return rd.status();
        }
        lost = rd.status();
        break;
      }
      {
        std::lock_guard lock(mu_);
        if (state_ == SensorState::kDegraded && now - last_error_time_ > kDegradedFor) {
          state_ = SensorState::kRunning;
          reason_.clear();
        }
      }
      if (*rd == Read::kNothing) {
        if (silence_is_loss() && now - last_data > timeout) {
          lost = Unavailable(fmt::format("no data for {} s", rc.timeout));
          break;
        }
        continue;
      }
      last_data = now;
      if (*rd == Read::kSkipped) {
        std::lock_guard lock(mu_);
        ++stats_.skipped;
        continue;
      }
      auto frame = std::make_shared<Frame>();
      frame->seq = seq++;
      frame->media_ns = u.media_ns >= 0 ? u.media_ns : now_media_ns();
      frame->duration_ns = u.duration_ns;
      frame->discontinuity = lost_before && !delivered;
      std::visit([&](auto&& d) { frame->data = std::move(d); }, u.data);
      frame->source = u.source ? std::move(u.source) : source;
      frame->captured = env()->now();
      delivered = true;
      attempt = 0;
      failures = 0;
      if (!sink()->push(std::move(frame))) {
        disconnect();
        return Outcome::kRefused;
      }
      std::lock_guard lock(mu_);
      ++stats_.frames;
    }
    disconnect();
    lost_before = true;
    ++attempt;
    note_problem(fmt::format("lost {}: {}", source_label(), lost.message()));
    // A connection that died before delivering anything counts as a failed attempt.
    if (!delivered && rc.max_attempts > 0 && ++failures >= rc.max_attempts) return give_up(lost);
  }
}

}  // namespace sensix
