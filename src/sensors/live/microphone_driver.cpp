#include "sensors/live/microphone_driver.h"

#include <pulse/context.h>
#include <pulse/error.h>
#include <pulse/mainloop.h>
#include <pulse/sample.h>
#include <pulse/stream.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace sensix {

namespace {

// PulseAudio's text for an error code, with a hint for the usual causes.
std::string pulse_error(int code, const std::string& device) {
  std::string text = pa_strerror(code) ? pa_strerror(code) : fmt::format("error {}", code);
  switch (code) {
    case PA_ERR_CONNECTIONREFUSED: return text + " (is a PulseAudio server running there?)";
    case PA_ERR_NOENTITY:
      return device.empty()
                 ? text + " (the server has no default source)"
                 : fmt::format("{} (no source named '{}'; `pactl list short sources` lists them)", text, device);
    case PA_ERR_ACCESS:
      return text + " (the server refused this client: check its authentication cookie or auth-anonymous)";
    default: return text;
  }
}

}  // namespace

int64_t MicrophoneDriver::samples_to_ns(int64_t samples) const {
  // Split so that days of capture at a high rate cannot overflow samples * 1e9.
  return samples / rate_ * 1'000'000'000LL + samples % rate_ * 1'000'000'000LL / rate_;
}

MicrophoneDriver::MicrophoneDriver(std::string name, SensorSpec spec, Env* env)
    : LiveDriver(std::move(name), std::move(spec), env) {}

MicrophoneDriver::~MicrophoneDriver() {
  stop();
  disconnect();
}

Status MicrophoneDriver::describe(SensorInfo* info) {
  const SensorAudioSpec& a = spec().audio;
  // The reader fills the defaults; a spec built in code may leave them at 0.
  rate_ = a.sample_rate > 0 ? a.sample_rate : 16000;
  channels_ = a.channels > 0 ? a.channels : 1;
  if (a.sample_rate < 0 || rate_ > static_cast<int>(PA_RATE_MAX)) {
    return InvalidArgument(fmt::format("sensor {}: audio.sampleRate {} is not in 1..{} (PulseAudio's range)", name(),
                                       a.sample_rate, PA_RATE_MAX));
  }
  if (a.channels < 0 || channels_ > static_cast<int>(PA_CHANNELS_MAX)) {
    return InvalidArgument(fmt::format("sensor {}: audio.channels {} is not in 1..{} (PulseAudio's range)", name(),
                                       a.channels, PA_CHANNELS_MAX));
  }
  if (a.frame_ms < 1 || a.frame_ms > 1000) {
    return InvalidArgument(fmt::format("sensor {}: audio.frameMs {} is not in 1..1000", name(), a.frame_ms));
  }
  frame_samples_ = std::max<int64_t>(1, std::llround(static_cast<double>(rate_) * a.frame_ms / 1000.0));
  info->modality = Modality::kAudio;
  info->sample_rate = rate_;
  info->channels = channels_;
  info->duration_ns = -1;
  info->description = fmt::format("{}, float32 {} Hz, {} ch, {} ms frames", source_label(), rate_, channels_,
                                  a.frame_ms);
  return Status::Ok();
}

std::string MicrophoneDriver::source_label() const {
  const std::string source = spec().device.empty() ? "the default PulseAudio source"
                                                   : fmt::format("PulseAudio source {}", spec().device);
  const std::string server = spec().server.empty() ? "the default server" : spec().server;
  return fmt::format("{} on {}", source, server);
}

bool MicrophoneDriver::iterate(std::chrono::milliseconds max) {
  if (pa_mainloop_prepare(loop_, static_cast<int>(std::chrono::microseconds(max).count())) < 0) return false;
  if (pa_mainloop_poll(loop_) < 0) return false;
  return pa_mainloop_dispatch(loop_) >= 0;
}

std::string MicrophoneDriver::context_error() const {
  return pulse_error(context_ != nullptr ? pa_context_errno(context_) : PA_ERR_UNKNOWN, spec().device);
}

template <class Ready, class Failed>
Status MicrophoneDriver::await(const char* what, Ready ready, Failed failed) {
  const auto deadline = env()->now() +
                        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(spec().reconnect.timeout));
  while (!ready()) {
    if (failed()) return Unavailable(context_error());
    if (stop_requested()) return Cancelled("stopped on request");
    if (env()->now() >= deadline) {
      return Unavailable(
          fmt::format("no answer while {} within {} s (reconnect.timeout)", what, spec().reconnect.timeout));
    }
    if (!iterate(kReadSlice)) return Unavailable("the PulseAudio main loop failed");
  }
  return Status::Ok();
}

Status MicrophoneDriver::connect() {
  pa_sample_spec ss{};
  ss.format = PA_SAMPLE_FLOAT32LE;
  ss.rate = static_cast<uint32_t>(rate_);
  ss.channels = static_cast<uint8_t>(channels_);
  if (!pa_sample_spec_valid(&ss)) {
    return InvalidArgument(
        fmt::format("PulseAudio cannot capture float32 at {} Hz with {} channels", rate_, channels_));
  }
  const uint32_t frame_bytes = static_cast<uint32_t>(frame_samples_ * channels_ * static_cast<int64_t>(sizeof(float)));
  pa_buffer_attr attr{};
  attr.maxlength = static_cast<uint32_t>(-1);  // the server's default (a few seconds)
  attr.tlength = static_cast<uint32_t>(-1);    // playback only
  attr.prebuf = static_cast<uint32_t>(-1);     // playback only
  attr.minreq = static_cast<uint32_t>(-1);     // playback only
  attr.fragsize = frame_bytes;                 // the server sends one frame at a time: reads return promptly

  loop_ = pa_mainloop_new();
  if (loop_ == nullptr) return Internal("cannot create a PulseAudio main loop");
  context_ = pa_context_new(pa_mainloop_get_api(loop_), "sensix");
  if (context_ == nullptr) return Internal("cannot create a PulseAudio context");
  // No autospawn: a daemon that is not there is a connection failure, retried with back-off.
  if (pa_context_connect(context_, spec().server.empty() ? nullptr : spec().server.c_str(), PA_CONTEXT_NOAUTOSPAWN,
                         nullptr) < 0) {
    return Unavailable(context_error());
  }
  SENSIX_RETURN_IF_ERROR(await(
      "connecting to the server", [&] { return pa_context_get_state(context_) == PA_CONTEXT_READY; },
      [&] { return !PA_CONTEXT_IS_GOOD(pa_context_get_state(context_)); }));

  stream_ = pa_stream_new(context_, name().c_str(), &ss, nullptr);
  if (stream_ == nullptr) return Unavailable(context_error());
  // The flags of libpulse's simple API for a record stream.
  const auto flags = static_cast<pa_stream_flags_t>(PA_STREAM_INTERPOLATE_TIMING | PA_STREAM_ADJUST_LATENCY |
                                                    PA_STREAM_AUTO_TIMING_UPDATE);
  if (pa_stream_connect_record(stream_, spec().device.empty() ? nullptr : spec().device.c_str(), &attr, flags) < 0) {
    return Unavailable(context_error());
  }
  SENSIX_RETURN_IF_ERROR(await(
      "opening the source", [&] { return pa_stream_get_state(stream_) == PA_STREAM_READY; },
      [&] {
        return !PA_STREAM_IS_GOOD(pa_stream_get_state(stream_)) || !PA_CONTEXT_IS_GOOD(pa_context_get_state(context_));
      }));
  const char* opened = pa_stream_get_device_name(stream_);
  source_name_ = opened != nullptr && *opened != '\0' ? opened : spec().device;
  pending_.clear();
  origin_ns_ = now_media_ns();
  captured_ = 0;
  return Status::Ok();
}

size_t MicrophoneDriver::take_captured() {
  size_t moved = 0;
  while (pa_stream_readable_size(stream_) > 0) {
    const void* data = nullptr;
    size_t bytes = 0;
    if (pa_stream_peek(stream_, &data, &bytes) < 0 || bytes == 0) break;
    if (data != nullptr) {
      pending_.insert(pending_.end(), static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
    } else {
      pending_.insert(pending_.end(), bytes, 0);  // a hole in the capture: silence keeps the time exact
    }
    pa_stream_drop(stream_);
    moved += bytes;
  }
  return moved;
}

Result<LiveDriver::Read> MicrophoneDriver::read(Unit* out) {
  if (stream_ == nullptr) return Unavailable("not connected");
  const size_t frame_bytes = static_cast<size_t>(frame_samples_ * channels_) * sizeof(float);
  // Waits until one whole frame is captured; returns kNothing after kReadSlice without any data
  // (a frozen server is silence to LiveDriver, and stop() is seen between reads).
  auto quiet_until = env()->now() + kReadSlice;
  while (pending_.size() < frame_bytes) {
    if (!PA_CONTEXT_IS_GOOD(pa_context_get_state(context_)) || !PA_STREAM_IS_GOOD(pa_stream_get_state(stream_))) {
      return Unavailable(fmt::format("read failed: {}", context_error()));
    }
    if (take_captured() > 0) {
      quiet_until = env()->now() + kReadSlice;
      continue;
    }
    if (env()->now() >= quiet_until || stop_requested()) return Read::kNothing;
    if (!iterate(kReadSlice)) return Unavailable("read failed: the PulseAudio main loop failed");
  }
  AudioChunk chunk;
  chunk.sample_rate = rate_;
  chunk.channels = channels_;
  chunk.samples.resize(static_cast<size_t>(frame_samples_ * channels_));
  std::memcpy(chunk.samples.data(), pending_.data(), frame_bytes);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(frame_bytes));
  // PulseAudio does not clip float samples (a source volume above 100% can exceed 1).
  for (float& v : chunk.samples) v = std::isfinite(v) ? std::clamp(v, -1.0f, 1.0f) : 0.0f;
  const int64_t start_ns = samples_to_ns(captured_);
  captured_ += frame_samples_;
  out->media_ns = origin_ns_ + start_ns;
  out->duration_ns = samples_to_ns(captured_) - start_ns;
  out->data = std::move(chunk);
  return Read::kUnit;
}

void MicrophoneDriver::disconnect() {
  if (stream_ != nullptr) {
    pa_stream_disconnect(stream_);
    pa_stream_unref(stream_);
    stream_ = nullptr;
  }
  if (context_ != nullptr) {
    pa_context_disconnect(context_);
    pa_context_unref(context_);
    context_ = nullptr;
  }
  if (loop_ != nullptr) {
    pa_mainloop_free(loop_);
    loop_ = nullptr;
  }
  pending_.clear();
}

}  // namespace sensix
