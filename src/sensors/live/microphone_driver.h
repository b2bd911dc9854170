// MicrophoneDriver ("microphone"): live capture from a PulseAudio source (a microphone, a line
// input, or the monitor of a sink) through libpulse's asynchronous API, driven on the driver thread
// by its own pa_mainloop (so every wait has a bound).
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
// first frame has Frame::discontinuity set (LiveDriver). Frame::source is the name of the source
// the server opened (spec.device, or the default source's own name, e.g. "alsa_input.pci-...").
//
// Errors: a connection that fails (no server there, no such source, access refused) is retried
// with back-off (LiveDriver), its reason giving PulseAudio's own text and naming the source and
// server. A read error (the daemon exited or was killed, the device was removed) is a loss,
// reconnected the same way. A format PulseAudio cannot capture (channels above 32, rate above
// its maximum) fails open() with kInvalidArgument.
//
// Promptness: no wait is unbounded. read() returns a whole frame, or kNothing once kReadSlice
// passes without any data, so stop() takes effect within one frame (audio.frameMs) or kReadSlice,
// whichever is longer. A server that stops answering without closing its connection (a frozen or
// stopped daemon, a suspended source) is therefore silence, and reconnect.timeout without data is a
// loss, reconnected as any other; a connection attempt that gets no answer within
// reconnect.timeout fails the same way ("no answer from ... within N s").
//
// Thread-safety: as SensorDriver; the main loop, context and stream are used only on the driver
// thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sensors/live/live_driver.h"

struct pa_mainloop;
struct pa_context;
struct pa_stream;

namespace sensix {

class MicrophoneDriver final : public LiveDriver {
 public:
  MicrophoneDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~MicrophoneDriver() override;

  // The longest read() waits without receiving anything before it returns kNothing.
  static constexpr std::chrono::milliseconds kReadSlice{100};

 private:
  Status describe(SensorInfo* info) override;
  Status connect() override;
  Result<Read> read(Unit* out) override;
  void disconnect() override;
  std::string source_label() const override;
  // The name of the source the server opened (spec.device, or the default source's own name).
  std::string frame_source_text() const override { return source_name_; }
  int64_t samples_to_ns(int64_t samples) const;  // exact, from the start of the connection
  // Runs the main loop once: waits at most `max` for the server, then dispatches what arrived.
  // false: the loop itself failed.
  bool iterate(std::chrono::milliseconds max);
  // Runs the main loop until `ready()` holds; an error once `failed()` holds (PulseAudio's reason)
  // or reconnect.timeout passes without it.
  template <class Ready, class Failed>
  Status await(const char* what, Ready ready, Failed failed);
  // PulseAudio's reason for the context's last error, naming the source where that helps.
  std::string context_error() const;
  // Moves what the stream has captured into pending_; the number of bytes moved.
  size_t take_captured();

  int rate_ = 0;
  int channels_ = 0;
  int64_t frame_samples_ = 0;      // sample frames per emitted frame
  pa_mainloop* loop_ = nullptr;    // driver thread (connect() to disconnect())
  pa_context* context_ = nullptr;  // driver thread
  pa_stream* stream_ = nullptr;    // driver thread
  std::vector<char> pending_;      // captured float32 bytes not emitted yet (less than one frame)
  std::string source_name_;        // the source the server opened for this connection (driver thread)
  int64_t origin_ns_ = 0;          // now_media_ns() when this connection opened
  int64_t captured_ = 0;           // sample frames captured in this connection
};

}  // namespace sensix
