// SensorDriver: the interface every data source implements: file replay and synthetic signals
// (ReplayDriver), and live sources (LiveDriver: MQTT, network and V4L2 cameras, microphones).
//
// Lifecycle: open() -> start(sink) -> [frames pushed from the driver's own thread] -> stop().
// A driver never calls downstream code itself: it only pushes frames into the FrameSink the
// host gives it, and reports its state. Errors in the data (a corrupt file, a truncated
// stream) move the driver to kFailed or kDegraded with a reason; they never throw or abort.
//
// Thread-safety: open/start/stop are called from one control thread; state() and stats()
// may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/frame.h"
#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

enum class SensorState {
  kPending,       // created, not yet producing
  kRunning,       // producing frames on time
  kDegraded,      // producing, but frames are late or being dropped
  kReconnecting,  // the source was lost; trying again with back-off
  kStopped,       // finished (end of a file that does not loop) or stopped on request
  kFailed,        // cannot produce; reason() says why
};
std::string_view sensor_state_name(SensorState s);

// What the driver found when it opened the source: the sensor's native format.
struct SensorInfo {
  Modality modality = Modality::kAudio;
  int sample_rate = 0;       // audio
  int channels = 0;          // audio: channel count; image: 1 (gray), 3 (BGR) or 4 (BGRA); series: fields
  double rate = 0;           // series: declared samples per second (informational), 0 = not declared
  int width = 0;             // image
  int height = 0;            // image
  double fps = 0;            // image: frames per second the driver will emit
  int64_t duration_ns = -1;  // length of one pass of a file or synthetic signal, -1 if unknown or endless
  std::string description;   // e.g. "WAV (Microsoft) PCM 16-bit, 22050 Hz, 1 ch, 3.2 s"
};

// Where frames go. Implemented by the runtime; push() may block when the host applies
// back-pressure (replay at max speed) and returns false when the host no longer wants frames.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual bool push(FramePtr frame) = 0;
  // Called once, from the driver's thread, when it will push no more frames: at the end of a
  // non-looping file (ok status), after stop(), or on failure (the reason).
  virtual void end_of_stream(const Status& why) = 0;
};

struct SensorStats {
  uint64_t frames = 0;       // frames published
  uint64_t late_frames = 0;  // real-time replay: frames published more than one frame period late
  uint64_t errors = 0;       // read/decode errors, rejected messages (logged once per distinct reason)
  uint64_t skipped = 0;      // frames read but deliberately not published (video-file fps cap)
  uint64_t reconnects = 0;   // live drivers: times the source was lost (or never opened) and retried
};

class SensorDriver {
 public:
  virtual ~SensorDriver() = default;

  // Opens the source and reads its native format; checks it against the declared format in
  // the spec (a mismatch names both). Does not start producing.
  virtual Status open() = 0;
  virtual const SensorInfo& info() const = 0;

  // Starts the driver's thread, which pushes frames into `sink` until the end, stop() or failure.
  virtual Status start(FrameSink* sink) = 0;
  // Stops and joins the thread. Idempotent. end_of_stream() has been called when it returns.
  virtual void stop() = 0;

  virtual SensorState state() const = 0;
  virtual std::string reason() const = 0;  // why it is degraded/failed/stopped; empty if running
  virtual SensorStats stats() const = 0;
};

// Builds the driver for a validated Sensor document; it takes its time from `env`.
Result<std::unique_ptr<SensorDriver>> make_sensor_driver(const std::string& name, const SensorSpec& spec,
                                                         Env* env = Env::Default());

}  // namespace sensix
