#include "sensors/live/microphone_driver.h"

#include <pulse/error.h>
#include <pulse/sample.h>
#include <pulse/simple.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace sensix {

namespace {

// PulseAudio's text for an error code, with a hint for the usual causes.
std::string pulse_error(int code, const std::string& device) {
  std::string text = pa_strerror(code) ? pa_strerror(code) : fmt::format("error {}", code);
  switch (code) {
    case PA_ERR_CONNECTIONREFUSED:
      return text + " (is a PulseAudio server running there?)";
    case PA_ERR_NOENTITY:
      return device.empty() ? text + " (the server has no default source)"
                            : fmt::format("{} (no source named '{}'; `pactl list short sources` lists them)", text,
                                          device);
    case PA_ERR_ACCESS:
      return text + " (the server refused this client: check its authentication cookie or auth-anonymous)";
    default:
      return text;
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

Status MicrophoneDriver::connect() {
  pa_sample_spec ss{};
  ss.format = PA_SAMPLE_FLOAT32LE;
  ss.rate = static_cast<uint32_t>(rate_);
  ss.channels = static_cast<uint8_t>(channels_);
  if (!pa_sample_spec_valid(&ss)) {
    return InvalidArgument(fmt::format("PulseAudio cannot capture float32 at {} Hz with {} channels", rate_, channels_));
  }
  const uint32_t frame_bytes = static_cast<uint32_t>(frame_samples_ * channels_ * static_cast<int64_t>(sizeof(float)));
  pa_buffer_attr attr{};
  attr.maxlength = static_cast<uint32_t>(-1);  // the server's default (a few seconds)
  attr.tlength = static_cast<uint32_t>(-1);    // playback only
  attr.prebuf = static_cast<uint32_t>(-1);     // playback only
  attr.minreq = static_cast<uint32_t>(-1);     // playback only
  attr.fragsize = frame_bytes;                 // the server sends one frame at a time: reads return promptly
  int err = 0;
  pa_ = pa_simple_new(spec().server.empty() ? nullptr : spec().server.c_str(), "sensix", PA_STREAM_RECORD,
                      spec().device.empty() ? nullptr : spec().device.c_str(), name().c_str(), &ss, nullptr, &attr,
                      &err);
  if (pa_ == nullptr) return Unavailable(pulse_error(err, spec().device));
  origin_ns_ = now_media_ns();
  captured_ = 0;
  return Status::Ok();
}

Result<LiveDriver::Read> MicrophoneDriver::read(Unit* out) {
  if (pa_ == nullptr) return Unavailable("not connected");
  AudioChunk chunk;
  chunk.sample_rate = rate_;
  chunk.channels = channels_;
  chunk.samples.resize(static_cast<size_t>(frame_samples_ * channels_));
  int err = 0;
  if (pa_simple_read(pa_, chunk.samples.data(), chunk.samples.size() * sizeof(float), &err) < 0) {
    return Unavailable(fmt::format("read failed: {}", pulse_error(err, spec().device)));
  }
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
  if (pa_ != nullptr) {
    pa_simple_free(pa_);
    pa_ = nullptr;
  }
}

}  // namespace sensix
