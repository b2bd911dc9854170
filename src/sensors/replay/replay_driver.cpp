#include "sensors/replay/replay_driver.h"

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

ReplayDriver::ReplayDriver(std::string name, SensorSpec spec, Env* env)
    : ThreadedDriver(std::move(name), std::move(spec), env) {}

ReplayDriver::~ReplayDriver() { stop(); }

Status ReplayDriver::open() {
  if (opened()) return FailedPrecondition(fmt::format("sensor {} is already open", name()));
  {
    std::lock_guard lock(mu_);
    if (state_ != SensorState::kPending) {
      return FailedPrecondition(fmt::format("sensor {} cannot be opened: it is {}", name(), sensor_state_name(state_)));
    }
  }
  if (!(spec().replay.speed >= 0) || !std::isfinite(spec().replay.speed)) {
    Status s = InvalidArgument(
        fmt::format("replay speed {} is not valid (0 = max, or a positive factor)", spec().replay.speed));
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
  spdlog::debug("sensor {}: opened {}: {}", name(), source_label(), info.description);
  source_ = make_frame_source(frame_source_text());
  set_opened(std::move(info));
  return Status::Ok();
}

Status ReplayDriver::start(FrameSink* sink) { return start_thread(sink, SensorState::kRunning, ""); }

void ReplayDriver::count_error() {
  std::lock_guard lock(mu_);
  ++stats_.errors;
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
    spdlog::error("sensor {}: failed: {}", name(), why.message());
  } else {
    std::string reason;
    switch (*r) {
      case Outcome::kEnd: reason = fmt::format("end of {}", source_label()); break;
      case Outcome::kStopRequested:
        reason = "stopped on request";
        why = Cancelled(fmt::format("sensor {} stopped on request", name()));
        break;
      case Outcome::kRefused:
        reason = "the consumer stopped taking frames";
        why = Cancelled(fmt::format("sensor {}: the consumer stopped taking frames", name()));
        break;
    }
    spdlog::debug("sensor {}: stopped: {}", name(), reason);
    set_state(SensorState::kStopped, std::move(reason));
  }
  sink()->end_of_stream(why);
}

Result<ReplayDriver::Outcome> ReplayDriver::pump() {
  const double speed = spec().replay.speed;
  const bool paced = speed > 0;
  bool anchored = false;
  TimePoint anchor_time;
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
      if (!spec().replay.loop) return Outcome::kEnd;
      if (!pass_had_units) {
        return DataLoss(fmt::format("{}: a pass of the replay produced no frames; cannot loop", source_label()));
      }
      SENSIX_RETURN_IF_ERROR(rewind());
      pass_had_units = false;
      continue;
    }
    pass_had_units = true;

    TimePoint due;
    if (paced) {
      if (!anchored) {
        anchor_time = env()->now();
        anchor_media = unit.media_ns;
        anchored = true;
      }
      due = anchor_time +
            std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(unit.media_ns - anchor_media) / speed));
      if (!sleep_until(due)) return Outcome::kStopRequested;
    }

    auto frame = std::make_shared<Frame>();
    frame->seq = seq++;
    frame->media_ns = unit.media_ns;
    frame->duration_ns = unit.duration_ns;
    std::visit([&](auto&& d) { frame->data = std::move(d); }, unit.data);
    frame->source = unit.source ? std::move(unit.source) : source_;
    frame->captured = env()->now();

    if (paced) {
      const auto period = std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(unit.duration_ns) / speed));
      const auto lateness = frame->captured - due;
      if (lateness > period) {
        anchor_time = frame->captured;  // pace on from here instead of bursting
        anchor_media = unit.media_ns;
        on_time_ns = 0;
        std::string why = fmt::format(
            "falling behind real time: frame {} was published {:.1f} ms late (one frame is {:.1f} ms)", frame->seq,
            ms(lateness), ms(period));
        {
          std::lock_guard lock(mu_);
          ++stats_.late_frames;
          state_ = SensorState::kDegraded;
          reason_ = std::move(why);
        }
        if (!degraded) spdlog::warn("sensor {}: {}", name(), reason());
        degraded = true;
      } else if (degraded) {
        on_time_ns += unit.duration_ns;
        if (on_time_ns >= kRecoverAfterNs) {
          set_state(SensorState::kRunning, "");
          degraded = false;
          spdlog::info("sensor {}: back on time", name());
        }
      }
    }

    if (!sink()->push(std::move(frame))) return Outcome::kRefused;
    std::lock_guard lock(mu_);
    ++stats_.frames;
  }
}

}  // namespace sensix
