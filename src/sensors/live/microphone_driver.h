// MicrophoneDriver ("microphone"): live capture from a PulseAudio source (a microphone, a line
// input, or the monitor of a sink) through libpulse's simple API.
//
// The capture format is the one the document asks for: audio.sampleRate (default 16000),
// audio.channels (default 1) as float32 interleaved in [-1, 1]; PulseAudio converts from the
// device's own format. Each frame holds audio.frameMs of audio (round(rate * frameMs / 1000)
// sample frames). spec.device names the source (empty: the server's default source) and
// spec.server the server (empty: libpulse's default, i.e. $PULSE_SERVER or the user's daemon).
//
// Media time within one connection is a sample count: media_ns = (now_media_ns() when the
// connection opened) + samples captured since / rate, so consecutive frames are exactly
// contiguous; after a reconnection the count restarts from the new connection's time and the
// first frame has Frame::discontinuity set (LiveDriver).
//
// Errors: a connection that fails (no server there, no such source, access refused) is retried
// with back-off (LiveDriver), its reason giving PulseAudio's own text and naming the source and
// server. A read error (the daemon exited or was killed, the device was removed) is a loss,
// reconnected the same way. A format PulseAudio cannot capture (channels above 32, rate above
// its maximum) fails open() with kInvalidArgument.
//
// Promptness: read() blocks in pa_simple_read until one whole frame has been captured, so stop()
// waits at most one frame (audio.frameMs, at most 1 s). The simple API has no timeout: a server
// that stops answering without closing its connection (a frozen daemon) blocks read() until it
// answers or dies. reconnect.timeout bounds nothing here for the same reason: PulseAudio sends
// data continuously, or the connection breaks.
//
// Thread-safety: as SensorDriver; the pa_simple handle is used only on the driver thread.
#pragma once

#include <cstdint>
#include <string>

#include "sensors/live/live_driver.h"

struct pa_simple;

namespace sensix {

class MicrophoneDriver final : public LiveDriver {
 public:
  MicrophoneDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~MicrophoneDriver() override;

 private:
  Status describe(SensorInfo* info) override;
  Status connect() override;
  Result<Read> read(Unit* out) override;
  void disconnect() override;
  std::string source_label() const override;
  int64_t samples_to_ns(int64_t samples) const;  // exact, from the start of the connection

  int rate_ = 0;
  int channels_ = 0;
  int64_t frame_samples_ = 0;  // sample frames per emitted frame
  pa_simple* pa_ = nullptr;    // driver thread
  int64_t origin_ns_ = 0;      // now_media_ns() when this connection opened
  int64_t captured_ = 0;       // sample frames captured in this connection
};

}  // namespace sensix
