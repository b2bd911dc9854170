// The media plugin (sensors/media.h): found in the build, decodes a real image and video; a missing,
// foreign or broken plugin is refused with the path and the reason. Each refusal runs in a fresh
// process (a death test re-runs this binary), since a process looks for the plugin once.
#include "sensors/media.h"

#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "support/paths.h"
#include "support/temp_dir.h"

namespace sensix::media {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

constexpr const char* kBuilding = "/usr/share/doc/opencv-doc/examples/data/building.jpg";  // 868x600

TEST(MediaPlugin, LoadsFromTheBuildAndDecodesAnImageAndAVideo) {
  ASSERT_TRUE(load_plugin().ok()) << load_plugin();
  EXPECT_THAT(plugin_path(), EndsWith("/libsensix-media.so"));
  Result<cv::Mat> image = read_image(kBuilding, cv::IMREAD_COLOR);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->cols, 868);
  EXPECT_EQ(image->rows, 600);
  EXPECT_EQ(image->channels(), 3);
  Result<cv::Mat> not_an_image = read_image(sensix::testing::source_path("README.md"), cv::IMREAD_COLOR);
  ASSERT_TRUE(not_an_image.ok());
  EXPECT_TRUE(not_an_image->empty());

  Result<bool> ffmpeg = has_video_backend(cv::CAP_FFMPEG);
  ASSERT_TRUE(ffmpeg.ok());
  EXPECT_TRUE(*ffmpeg);
  Result<std::unique_ptr<VideoSource>> video = new_video_source();
  ASSERT_TRUE(video.ok()) << video.status();
  EXPECT_FALSE((*video)->is_open());
  ASSERT_TRUE((*video)->open(sensix::testing::kMegamind, cv::CAP_FFMPEG, {}));
  EXPECT_EQ((*video)->backend_name(), "FFMPEG");
  EXPECT_EQ((*video)->get(cv::CAP_PROP_FRAME_WIDTH), 720);
  cv::Mat frame;
  ASSERT_TRUE((*video)->read(&frame));
  EXPECT_EQ(frame.cols, 720);
  (*video)->release();
  EXPECT_FALSE((*video)->is_open());
}

// In a child process: the plugin named by $SENSIX_MEDIA_PLUGIN, and what load_plugin() says, on
// stderr; exit 0 when it loaded.
void load_with(const std::string& plugin) {
  ::setenv("SENSIX_MEDIA_PLUGIN", plugin.c_str(), 1);
  const Status s = load_plugin();
  std::fprintf(stderr, "%s\n", s.ok() ? "loaded" : std::string(s.message()).c_str());
  const Result<std::unique_ptr<VideoSource>> again = new_video_source();  // the same answer, remembered
  std::exit(s.ok() == again.ok() ? (s.ok() ? 0 : 1) : 2);
}

TEST(MediaPluginDeathTest, AMissingForeignOrBrokenPluginIsRefusedWithThePathAndTheReason) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  sensix::testing::TempDir dir;
  EXPECT_EXIT(load_with(dir.file("nowhere.so")), ::testing::ExitedWithCode(1),
              "SENSIX_MEDIA_PLUGIN names .*nowhere.so, which is not a file");
  const std::string text = dir.file("libsensix-media.so");
  std::ofstream(text) << "not a shared library\n";
  EXPECT_EXIT(load_with(text), ::testing::ExitedWithCode(1), "cannot load the media plugin .*libsensix-media.so: ");
  // A real shared library that is not a sensix plugin.
  EXPECT_EXIT(load_with("/usr/lib/x86_64-linux-gnu/libsqlite3.so.0"), ::testing::ExitedWithCode(1),
              "libsqlite3.so.0 is not a sensix media plugin \\(no symbol sensix_media_plugin\\)");
  EXPECT_EXIT(load_with(SENSIX_BINARY_DIR "/libsensix-media.so"), ::testing::ExitedWithCode(0), "loaded");
}

}  // namespace
}  // namespace sensix::media
