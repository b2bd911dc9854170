// audio-file driver on real files written here with libsndfile.
#include "sensors/replay/audio_file_driver.h"

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include <ostream>

#include "support/recording_sink.h"
#include "support/temp_dir.h"
#include "support/test_audio.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using testing::audio_spec;
using testing::RecordingSink;
using testing::TempDir;
using testing::test_sample;
using testing::write_random_bytes;
using testing::write_test_audio;

struct FormatCase {
  const char* name;
  const char* file;
  int format;
  int rate;
  int channels;
  int64_t frames;
  int frame_ms;
  int64_t chunk;  // frames per full chunk
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const FormatCase& c, std::ostream* os) { *os << c.name; }

class AudioFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(AudioFormats, DeliversExactSamplesChunksAndTimestamps) {
  const FormatCase& c = GetParam();
  TempDir dir;
  const std::string path = dir.file(c.file);
  write_test_audio(path, c.rate, c.channels, c.frames, c.format);

  SensorSpec spec = audio_spec(path);
  spec.audio.frame_ms = c.frame_ms;
  spec.audio.sample_rate = c.rate;  // declared and matching
  spec.audio.channels = c.channels;
  AudioFileDriver d("mic", spec);
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.state(), SensorState::kPending);
  EXPECT_EQ(d.info().modality, Modality::kAudio);
  EXPECT_EQ(d.info().sample_rate, c.rate);
  EXPECT_EQ(d.info().channels, c.channels);
  EXPECT_EQ(d.info().duration_ns, c.frames * 1'000'000'000LL / c.rate);
  EXPECT_FALSE(d.info().description.empty());

  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped) << d.reason();
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_TRUE(sink.eos_status().ok()) << sink.eos_status().message();

  auto frames = sink.frames();
  const int64_t want_chunks = (c.frames + c.chunk - 1) / c.chunk;
  ASSERT_EQ(static_cast<int64_t>(frames.size()), want_chunks);
  EXPECT_EQ(d.stats().frames, frames.size());
  EXPECT_EQ(d.stats().errors, 0u);
  int64_t sample_index = 0;
  for (size_t k = 0; k < frames.size(); ++k) {
    const Frame& f = *frames[k];
    ASSERT_TRUE(f.is_audio());
    const AudioChunk& a = f.audio();
    EXPECT_EQ(f.seq, k);
    ASSERT_NE(f.source, nullptr);
    EXPECT_EQ(*f.source, path);  // the file, one shared string for all its frames
    EXPECT_EQ(f.source.get(), frames[0]->source.get());
    EXPECT_EQ(a.sample_rate, c.rate);
    EXPECT_EQ(a.channels, c.channels);
    const int64_t expect_len = std::min(c.chunk, c.frames - sample_index);
    ASSERT_EQ(a.frames(), expect_len) << "chunk " << k;
    EXPECT_EQ(f.media_ns, sample_index * 1'000'000'000LL / c.rate) << "chunk " << k;
    EXPECT_EQ(f.duration_ns, (sample_index + expect_len) * 1'000'000'000LL / c.rate - f.media_ns);
    for (int64_t i = 0; i < a.frames(); ++i) {
      for (int ch = 0; ch < c.channels; ++ch) {
        const float want = static_cast<float>(test_sample(sample_index + i, ch, c.rate)) / 32768.0f;
        ASSERT_EQ(a.samples[static_cast<size_t>(i * c.channels + ch)], want)
            << "chunk " << k << " frame " << i << " channel " << ch;
      }
    }
    sample_index += a.frames();
  }
  EXPECT_EQ(sample_index, c.frames);
}

INSTANTIATE_TEST_SUITE_P(
    Files, AudioFormats,
    ::testing::Values(
        FormatCase{"Wav22050Stereo", "sine.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 2, 22050, 20, 441},
        FormatCase{"Wav16kMono", "sine.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 16000, 20, 320},
        // 1.1 s in 30 ms chunks: the last chunk is shorter (17600 = 36 * 480 + 320).
        FormatCase{"Wav16kMonoPartialLastChunk", "sine.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 17600, 30,
                   480},
        FormatCase{"Flac16kMono", "sine.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, 8000, 20, 320},
        FormatCase{"WavFloat8kThreeChannels", "sine.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, 3, 4000, 10, 80}),
    [](const ::testing::TestParamInfo<FormatCase>& i) { return std::string(i.param.name); });

// OGG Vorbis is lossy: the samples are not exact, so the test checks the format, the length, the
// timestamps and that the decoded signal is the test tone (correlation with what was written).
TEST(AudioFileDriver, OggVorbisDecodesToTheTone) {
  TempDir dir;
  const std::string path = dir.file("tone.ogg");
  constexpr int kRate = 16000;
  constexpr int64_t kFrames = 16000;
  write_test_audio(path, kRate, 2, kFrames, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  AudioFileDriver d("mic", audio_spec(path));
  ASSERT_TRUE(d.open().ok()) << d.reason();
  EXPECT_EQ(d.info().sample_rate, kRate);
  EXPECT_EQ(d.info().channels, 2);
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped) << d.reason();
  std::vector<float> got;
  int64_t next_ns = 0;
  for (const auto& f : sink.frames()) {
    EXPECT_EQ(f->media_ns, next_ns);
    next_ns = f->media_ns + f->duration_ns;
    got.insert(got.end(), f->audio().samples.begin(), f->audio().samples.end());
  }
  ASSERT_EQ(static_cast<int64_t>(got.size()), kFrames * 2);
  for (int ch = 0; ch < 2; ++ch) {
    double dot = 0, want2 = 0, got2 = 0;
    for (int64_t i = 0; i < kFrames; ++i) {
      const double w = test_sample(i, ch, kRate) / 32768.0;
      const double g = got[static_cast<size_t>(i * 2 + ch)];
      dot += w * g;
      want2 += w * w;
      got2 += g * g;
    }
    EXPECT_GT(dot / std::sqrt(want2 * got2), 0.99) << "channel " << ch;
  }
}

struct MismatchCase {
  const char* name;
  int declared_rate;
  int declared_channels;
  const char* expect1;
  const char* expect2;
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const MismatchCase& c, std::ostream* os) { *os << c.name; }

class AudioDeclaredMismatch : public ::testing::TestWithParam<MismatchCase> {};

TEST_P(AudioDeclaredMismatch, OpenFailsNamingBothValuesAndTheFile) {
  const MismatchCase& c = GetParam();
  TempDir dir;
  const std::string path = dir.file("speech.wav");
  write_test_audio(path, 22050, 2, 2205);
  SensorSpec spec = audio_spec(path);
  spec.audio.sample_rate = c.declared_rate;
  spec.audio.channels = c.declared_channels;
  AudioFileDriver d("mic", spec);
  Status s = d.open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(c.expect1), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(c.expect2), std::string::npos) << s.message();
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_EQ(d.reason(), s.message());
  RecordingSink sink;
  EXPECT_FALSE(d.start(&sink).ok());
  EXPECT_EQ(sink.eos_calls(), 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, AudioDeclaredMismatch,
                         ::testing::Values(MismatchCase{"Rate", 16000, 0, "16000", "22050"},
                                           MismatchCase{"Channels", 0, 1, "channels 1", "2 channel"},
                                           MismatchCase{"RateWithMatchingChannels", 44100, 2, "44100", "22050"}),
                         [](const ::testing::TestParamInfo<MismatchCase>& i) { return std::string(i.param.name); });

TEST(AudioFileDriver, TruncatedWavDeliversWhatIsThereThenFails) {
  TempDir dir;
  const std::string path = dir.file("truncated.wav");
  write_test_audio(path, 16000, 1, 16000);         // 32000 bytes of data after a 44-byte header
  std::filesystem::resize_file(path, 44 + 10000);  // the header still claims 32000
  AudioFileDriver d("mic", audio_spec(path));
  ASSERT_TRUE(d.open().ok());
  EXPECT_NE(d.info().description.find("truncated"), std::string::npos);
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  d.stop();

  int64_t delivered = 0;
  for (const auto& f : sink.frames()) delivered += f->audio().frames();
  EXPECT_EQ(delivered, 5000);  // 10000 bytes of int16 mono
  EXPECT_EQ(sink.frames().back()->audio().samples.back(), test_sample(4999, 0, 16000) / 32768.0f);
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_NE(d.reason().find(path), std::string::npos) << d.reason();
  EXPECT_NE(d.reason().find("truncated"), std::string::npos) << d.reason();
  EXPECT_EQ(d.stats().errors, 1u);
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(sink.eos_status().message(), d.reason());
}

TEST(AudioFileDriver, TruncatedWavDoesNotLoop) {
  TempDir dir;
  const std::string path = dir.file("truncated.wav");
  write_test_audio(path, 16000, 1, 16000);
  std::filesystem::resize_file(path, 44 + 10000);
  SensorSpec spec = audio_spec(path);
  spec.replay.loop = true;
  AudioFileDriver d("mic", spec);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_EQ(sink.eos_calls(), 1);
}

struct BadFileCase {
  const char* name;
  const char* file;
  size_t random_bytes;  // 0: do not create the file
  StatusCode code;
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const BadFileCase& c, std::ostream* os) { *os << c.name; }

class AudioBadFiles : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(AudioBadFiles, OpenFailsClearlyNamingTheFile) {
  const BadFileCase& c = GetParam();
  TempDir dir;
  const std::string path = dir.file(c.file);
  if (c.random_bytes > 0) write_random_bytes(path, c.random_bytes);
  AudioFileDriver d("mic", audio_spec(path));
  Status s = d.open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), c.code) << s.to_string();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_EQ(d.state(), SensorState::kFailed);
  d.stop();  // harmless
  EXPECT_EQ(d.state(), SensorState::kFailed);
}

INSTANTIATE_TEST_SUITE_P(Cases, AudioBadFiles,
                         ::testing::Values(BadFileCase{"RandomBytes", "noise.wav", 8192, StatusCode::kInvalidArgument},
                                           BadFileCase{"TinyRandomBytes", "tiny.wav", 3, StatusCode::kInvalidArgument},
                                           BadFileCase{"Missing", "missing.wav", 0, StatusCode::kNotFound}),
                         [](const ::testing::TestParamInfo<BadFileCase>& i) { return std::string(i.param.name); });

TEST(AudioFileDriver, EmptyWavFailsToOpen) {
  TempDir dir;
  const std::string path = dir.file("empty.wav");
  write_test_audio(path, 16000, 1, 0);
  AudioFileDriver d("mic", audio_spec(path));
  Status s = d.open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no audio"), std::string::npos) << s.message();
}

TEST(AudioFileDriver, FolderIsNotAnAudioFile) {
  TempDir dir;
  AudioFileDriver d("mic", audio_spec(dir.path().string()));
  Status s = d.open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("folder"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace sensix
