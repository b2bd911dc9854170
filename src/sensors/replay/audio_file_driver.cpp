#include "sensors/replay/audio_file_driver.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sensors/replay/audio_clip.h"
#include "sensors/replay/media_time.h"

namespace sensix {

AudioFileDriver::AudioFileDriver(std::string name, SensorSpec spec, Env* env)
    : ReplayDriver(std::move(name), std::move(spec), env) {}

AudioFileDriver::~AudioFileDriver() {
  stop();
  close_file();
}

void AudioFileDriver::close_file() {
  if (file_ != nullptr) sf_close(file_);
  file_ = nullptr;
}

Status AudioFileDriver::open_source(SensorInfo* info) {
  const std::string& path = spec().path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(fmt::format("audio file {} does not exist", path));
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgument(fmt::format("{} is a folder; the audio-file driver needs a file", path));
  }
  SF_INFO si{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &si);
  if (f == nullptr) {
    return InvalidArgument(fmt::format("{}: not an audio file libsndfile can read ({})", path, sf_strerror(nullptr)));
  }
  file_ = f;
  if (si.samplerate <= 0 || si.channels <= 0) {
    close_file();
    return InvalidArgument(
        fmt::format("{}: libsndfile reports {} Hz and {} channels", path, si.samplerate, si.channels));
  }
  const SensorAudioSpec& declared = spec().audio;
  if (declared.sample_rate != 0 && declared.sample_rate != si.samplerate) {
    close_file();
    return InvalidArgument(fmt::format("{}: the Sensor declares audio.sampleRate {} but the file is {} Hz", path,
                                       declared.sample_rate, si.samplerate));
  }
  if (declared.channels != 0 && declared.channels != si.channels) {
    close_file();
    return InvalidArgument(fmt::format("{}: the Sensor declares audio.channels {} but the file has {} channel(s)", path,
                                       declared.channels, si.channels));
  }
  truncation_ = sndfile_truncation(f);
  if (si.frames <= 0) {
    close_file();
    return InvalidArgument(
        fmt::format("{} holds no audio samples{}", path, truncation_.empty() ? "" : " (" + truncation_ + ")"));
  }
  if (!truncation_.empty()) {
    spdlog::warn("{} is truncated: {}; its {} readable frames will be replayed, then the sensor fails", path,
                 truncation_, si.frames);
  }

  sample_rate_ = si.samplerate;
  channels_ = si.channels;
  file_frames_ = si.frames;
  const int frame_ms = declared.frame_ms > 0 ? declared.frame_ms : 20;
  chunk_frames_ = std::max<int64_t>(1, std::llround(static_cast<double>(sample_rate_) * frame_ms / 1000.0));

  info->modality = Modality::kAudio;
  info->sample_rate = sample_rate_;
  info->channels = channels_;
  info->duration_ns = frames_to_ns(file_frames_, sample_rate_);
  info->description = fmt::format("{} {}, {} Hz, {} ch, {:.2f} s{}",
                                  sndfile_format_name(si.format & SF_FORMAT_TYPEMASK),
                                  sndfile_format_name(si.format & SF_FORMAT_SUBMASK), sample_rate_, channels_,
                                  static_cast<double>(file_frames_) / sample_rate_,
                                  truncation_.empty() ? "" : " (truncated)");
  return Status::Ok();
}

Result<ReplayDriver::Read> AudioFileDriver::read_next(Unit* out) {
  const std::string& path = spec().path;
  AudioChunk chunk;
  chunk.sample_rate = sample_rate_;
  chunk.channels = channels_;
  chunk.samples.resize(static_cast<size_t>(chunk_frames_ * channels_));
  sf_count_t n = sf_readf_float(file_, chunk.samples.data(), chunk_frames_);
  if (n <= 0) {
    if (sf_error(file_) != SF_ERR_NO_ERROR) {
      return DataLoss(fmt::format("{}: read error after {} frames: {}", path, pass_frames_, sf_strerror(file_)));
    }
    if (!truncation_.empty()) {
      return DataLoss(
          fmt::format("{} is truncated: {}; delivered the {} frames it holds", path, truncation_, pass_frames_));
    }
    if (pass_frames_ < file_frames_) {
      return DataLoss(fmt::format("{}: the file ended after {} of its {} frames", path, pass_frames_, file_frames_));
    }
    return Read::kEndOfPass;
  }
  chunk.samples.resize(static_cast<size_t>(n * channels_));
  out->media_ns = frames_to_ns(total_frames_, sample_rate_);
  out->duration_ns = frames_to_ns(total_frames_ + n, sample_rate_) - out->media_ns;
  out->data = std::move(chunk);
  total_frames_ += n;
  pass_frames_ += n;
  return Read::kUnit;
}

Status AudioFileDriver::rewind() {
  pass_frames_ = 0;
  if (sf_seek(file_, 0, SEEK_SET) == 0) return Status::Ok();
  // Not seekable: open it again.
  close_file();
  SF_INFO si{};
  file_ = sf_open(spec().path.c_str(), SFM_READ, &si);
  if (file_ == nullptr) {
    return Unavailable(fmt::format("{}: cannot reopen it to loop ({})", spec().path, sf_strerror(nullptr)));
  }
  if (si.samplerate != sample_rate_ || si.channels != channels_) {
    return DataLoss(fmt::format("{} changed while it was replayed", spec().path));
  }
  return Status::Ok();
}

}  // namespace sensix
