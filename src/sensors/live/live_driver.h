// LiveDriver: the lifecycle, reconnection and bookkeeping shared by drivers of live sources
// (mqtt, network-camera, v4l2-camera, microphone). A subclass only connects to its source and
// reads from it; this class owns the thread, the states, the back-off, stop() and end_of_stream().
//
// A live source runs on its own clock: there is no replay pacing and no back-pressure (the host
// queue drops the oldest frame when full). Media time is the Env's clock since start() unless the
// subclass gives its own (a sample count within one connection, a timestamp in a message).
//
// States: kPending (created, opened, and during the first connection attempt) -> kRunning, or
// kReconnecting (waiting for and making every later attempt) -> kRunning <-> kDegraded (bad data was received and counted in the last
// second: a message that is not the declared JSON, an undecodable frame; reason() names it) ->
// kReconnecting (the source was lost: read error, end of stream, or no data for
// reconnect.timeout) -> ... -> kStopped (stop() or the sink refused a frame) or kFailed
// (reconnect.maxAttempts attempts in a row failed, or a fault that retrying cannot fix, such as a
// document that asks for a format the source can never give).
//
// Back-off: attempt n (1, 2, ... since the last connection that delivered data) waits
// min(initialDelay * 2^(n-1), maxDelay) before it is made (the first attempt of all waits nothing).
// A failed attempt, and a connection that is lost before it delivered anything, count towards
// reconnect.maxAttempts; a connection that delivered data starts the count again.
// Each lost connection and each failed attempt is counted in stats().reconnects and logged once
// per distinct reason. The first frame after a reconnection has Frame::discontinuity set so that
// consumers restart their windows: they see a gap, never joined data.
//
// Subclass contract, all on the driver thread except describe(): connect() opens the source (at
// most reconnect.timeout); read() waits at most about 100 ms for the next unit, so that stop() is
// prompt, and returns kNothing when none came; disconnect() closes it (also after a failed
// connect()). A Status from connect()/read() with code kFailedPrecondition or kInvalidArgument is
// permanent (kFailed at once); any other error is a loss, retried. Subclass destructors must call
// stop() first. Exceptions from a subclass are caught and treated as a loss.
//
// Thread-safety: as SensorDriver (open/start/stop from one control thread, the rest from any).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "sensors/threaded_driver.h"

namespace sensix {

class LiveDriver : public ThreadedDriver {
 public:
  ~LiveDriver() override;

  Status open() final;
  Status start(FrameSink* sink) final;

 protected:
  LiveDriver(std::string name, SensorSpec spec, Env* env);

  struct Unit {
    std::variant<AudioChunk, cv::Mat, SeriesChunk> data;
    int64_t media_ns = -1;    // -1: the arrival time (env() clock since start())
    int64_t duration_ns = 0;  // audio: chunk length; image: 1/fps if known; series: span of its samples
    // Where this unit came from when it differs from unit to unit (an MQTT message's topic); null:
    // the connection's source (frame_source_text()).
    FrameSource source;
  };
  enum class Read {
    kUnit,     // *out holds the next unit
    kNothing,  // nothing arrived in this wait; read() is called again
    kSkipped,  // a unit arrived and was deliberately not published (fps cap); counted as skipped
  };

  // Fills *info with the format the sensor will give, from the document (control thread; no
  // connection is made, so a source that is down when sensix starts does not stop it).
  virtual Status describe(SensorInfo* info) = 0;
  virtual Status connect() = 0;
  virtual Result<Read> read(Unit* out) = 0;
  virtual void disconnect() = 0;
  // Whether reconnect.timeout without data means the source is lost. True for streams that never
  // pause (cameras, microphones); false where silence is normal and the protocol has its own
  // liveness check (MQTT keep-alive).
  virtual bool silence_is_loss() const { return true; }
  // What messages call the source, e.g. "rtsp://127.0.0.1:8554/cam" or "mqtt 127.0.0.1:1883 imu/#".
  virtual std::string source_label() const = 0;
  // What every frame of a connection carries as Frame::source unless its unit names its own (the
  // stream's URL without credentials, the device); asked once per connection, after connect()
  // succeeded, on the driver thread. Empty: none.
  virtual std::string frame_source_text() const = 0;

  // Bad data that does not end the connection (a message that is not the declared JSON, a frame
  // that does not decode): counted in stats().errors, logged once per distinct reason, and the
  // sensor is kDegraded for the next second with `why` as the reason. Driver thread.
  void count_error(const std::string& why);
  // Nanoseconds on env()'s clock since start() (the default media time). Driver thread.
  int64_t now_media_ns() const;

 private:
  enum class Outcome { kStopRequested, kRefused };
  void run() override;
  Result<Outcome> loop();
  SteadyClock::duration backoff(int attempt) const;
  // One read that may throw: exceptions become a loss.
  Result<Read> safe_read(Unit* out);
  Status safe_connect();

  TimePoint start_time_;
  std::string last_logged_error_;  // driver thread
  TimePoint last_error_time_{};    // driver thread
};

}  // namespace sensix
