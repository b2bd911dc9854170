// decode_audio: a whole encoded file in memory (a request's raw media) to float samples, in every
// format the test signal is written in, and refused (naming the input) when it is truncated, not
// audio, or empty.
#include "sensors/replay/audio_clip.h"

#include <gtest/gtest.h>

#include "support/child_process.h"
#include "support/temp_dir.h"
#include "support/test_audio.h"

namespace sensix {
namespace {

using testing::TempDir;
using testing::test_sample;
using testing::write_test_audio;

std::string bytes_of(const std::string& path) { return testing::read_text(path); }

TEST(AudioClip, DecodesWavFlacAndOggFromMemory) {
  TempDir dir;
  struct Case {
    const char* file;
    int format;
    bool exact;
  };
  for (const Case& c :
       {Case{"a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, true}, Case{"a.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, true},
        Case{"a.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, false}}) {
    SCOPED_TRACE(c.file);
    const std::string path = dir.file(c.file);
    write_test_audio(path, 22050, 2, 11025, c.format);
    Result<AudioClip> clip = decode_audio(bytes_of(path), "input \"clip\"");
    ASSERT_TRUE(clip.ok()) << clip.status();
    EXPECT_EQ(clip->sample_rate, 22050);
    EXPECT_EQ(clip->channels, 2);
    EXPECT_EQ(clip->frames, 11025);
    ASSERT_EQ(clip->samples.size(), 22050u);
    for (int64_t i : {int64_t{0}, int64_t{100}, int64_t{11024}}) {
      for (int ch = 0; ch < 2; ++ch) {
        const float want = test_sample(i, ch, 22050) / 32768.0f;
        const float got = clip->samples[static_cast<size_t>(i * 2 + ch)];
        if (c.exact) {
          EXPECT_EQ(got, want) << i << "," << ch;
        } else {
          EXPECT_NEAR(got, want, 0.05) << i << "," << ch;  // lossy
        }
      }
    }
    EXPECT_NE(clip->description.find("22050 Hz, 2 ch, 0.50 s"), std::string::npos) << clip->description;
  }
}

TEST(AudioClip, TruncatedNotAudioAndEmptyAreRefusedNamingTheInput) {
  TempDir dir;
  const std::string path = dir.file("a.wav");
  write_test_audio(path, 16000, 1, 16000);  // 32000 bytes of data after a 44-byte header
  const std::string whole = bytes_of(path);
  Result<AudioClip> cut = decode_audio(whole.substr(0, 44 + 10000), "input \"clip\"");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cut.status().message(),
            "input \"clip\": the audio is truncated: its header declares 32000 bytes of 'data' but the file holds "
            "10000");
  Result<AudioClip> text = decode_audio("hello, this is not audio", "input \"clip\"");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message().rfind("input \"clip\": 24 bytes that are not audio libsndfile can read (", 0), 0u)
      << text.status();
  const std::string header_only = whole.substr(0, 40) + std::string(4, '\0');  // a data chunk of 0 bytes
  Result<AudioClip> empty = decode_audio(header_only, "input \"clip\"");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("input \"clip\""), std::string::npos) << empty.status();
}

}  // namespace
}  // namespace sensix
