#include "sensors/replay/audio_clip.h"

#include <sndfile.h>

#include <algorithm>
#include <cstring>
#include <regex>

#include <fmt/format.h>

namespace sensix {

std::string sndfile_format_name(int format) {
  SF_FORMAT_INFO fi{};
  fi.format = format;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) != 0 || fi.name == nullptr) {
    return fmt::format("format 0x{:x}", format);
  }
  return fi.name;
}

std::string sndfile_truncation(SNDFILE* f) {
  std::vector<char> log(16384, '\0');
  sf_command(f, SFC_GET_LOG_INFO, log.data(), static_cast<int>(log.size() - 1));
  static const std::regex kShouldBe(R"(^\s*([A-Za-z][A-Za-z0-9 ]*?)\s*:\s*(\d+)\s*\(should be (\d+)\))");
  std::string text(log.data());
  size_t start = 0;
  std::string found;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    std::smatch m;
    if (!std::regex_search(line, m, kShouldBe)) continue;
    unsigned long long declared = std::stoull(m[2].str());
    unsigned long long actual = std::stoull(m[3].str());
    if (declared <= actual) continue;
    std::string chunk = m[1].str();
    std::string what = fmt::format("its header declares {} bytes of '{}' but the file holds {}", declared, chunk,
                                   actual);
    if (found.empty() || chunk == "data") found = what;  // the data chunk says the most
  }
  return found;
}

namespace {

// libsndfile's virtual I/O over a byte range held by the caller.
struct Memory {
  std::string_view bytes;
  sf_count_t at = 0;
};

sf_count_t mem_length(void* user) { return static_cast<sf_count_t>(static_cast<Memory*>(user)->bytes.size()); }

sf_count_t mem_seek(sf_count_t offset, int whence, void* user) {
  auto* m = static_cast<Memory*>(user);
  const auto size = static_cast<sf_count_t>(m->bytes.size());
  sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? m->at + offset : size + offset;
  m->at = std::clamp<sf_count_t>(to, 0, size);
  return m->at;
}

sf_count_t mem_read(void* ptr, sf_count_t count, void* user) {
  auto* m = static_cast<Memory*>(user);
  const sf_count_t n = std::clamp<sf_count_t>(static_cast<sf_count_t>(m->bytes.size()) - m->at, 0, count);
  std::memcpy(ptr, m->bytes.data() + m->at, static_cast<size_t>(n));
  m->at += n;
  return n;
}

sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }

sf_count_t mem_tell(void* user) { return static_cast<Memory*>(user)->at; }

}  // namespace

Result<AudioClip> decode_audio(std::string_view bytes, std::string_view what, const AudioLimits& limits) {
  Memory mem{bytes, 0};
  SF_VIRTUAL_IO io{&mem_length, &mem_seek, &mem_read, &mem_write, &mem_tell};
  SF_INFO si{};
  SNDFILE* f = sf_open_virtual(&io, SFM_READ, &si, &mem);
  if (f == nullptr) {
    return InvalidArgument(fmt::format("{}: {} bytes that are not audio libsndfile can read ({})", what, bytes.size(),
                                       sf_strerror(nullptr)));
  }
  struct Closer {
    SNDFILE* f;
    ~Closer() { sf_close(f); }
  } closer{f};
  if (si.samplerate <= 0 || si.channels <= 0) {
    return InvalidArgument(
        fmt::format("{}: libsndfile reports {} Hz and {} channels", what, si.samplerate, si.channels));
  }
  if (const std::string missing = sndfile_truncation(f); !missing.empty()) {
    return InvalidArgument(fmt::format("{}: the audio is truncated: {}", what, missing));
  }
  if (si.frames <= 0) return InvalidArgument(fmt::format("{}: the audio holds no samples", what));
  const double seconds = static_cast<double>(si.frames) / si.samplerate;
  if (seconds > limits.max_seconds || si.frames > limits.max_values / si.channels) {
    return InvalidArgument(fmt::format(
        "{}: the audio declares {} sample frames of {} channels at {} Hz ({:.1f} s): more than a clip may decode to "
        "here (at most {:g} s and {} samples over all channels; sensix serve --media-max-seconds)",
        what, si.frames, si.channels, si.samplerate, seconds, limits.max_seconds, limits.max_values));
  }
  AudioClip clip;
  clip.sample_rate = si.samplerate;
  clip.channels = si.channels;
  clip.samples.resize(static_cast<size_t>(si.frames) * static_cast<size_t>(si.channels));
  const sf_count_t got = sf_readf_float(f, clip.samples.data(), si.frames);
  if (got != si.frames) {
    return InvalidArgument(fmt::format("{}: the audio declares {} sample frames but {} could be read ({})", what,
                                       si.frames, got, sf_strerror(f)));
  }
  clip.frames = got;
  clip.description = fmt::format("{} {}, {} Hz, {} ch, {:.2f} s", sndfile_format_name(si.format & SF_FORMAT_TYPEMASK),
                                 sndfile_format_name(si.format & SF_FORMAT_SUBMASK), clip.sample_rate, clip.channels,
                                 static_cast<double>(got) / clip.sample_rate);
  return clip;
}

}  // namespace sensix
