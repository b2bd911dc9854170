// video-file driver on the OpenCV sample video (Debian package opencv-doc) and on damaged files.
#include "sensors/replay/video_file_driver.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <ostream>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "support/recording_sink.h"
#include "support/temp_dir.h"

namespace sensix {
namespace {

using testing::RecordingSink;
using testing::TempDir;
using testing::write_random_bytes;

const char* const kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";

SensorSpec video_spec(const std::string& path, double speed = 0) {
  SensorSpec s;
  s.driver = DriverKind::kVideoFile;
  s.path = path;
  s.replay.speed = speed;
  return s;
}

// What OpenCV itself reports for the file, read independently of the driver.
struct Reference {
  double fps = 0;
  int64_t count = 0;
  int width = 0, height = 0;
  int64_t decoded = 0;
  cv::Mat first, last;
};

Reference reference(const std::string& path) {
  Reference r;
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);
  if (!cap.isOpened()) return r;
  r.fps = cap.get(cv::CAP_PROP_FPS);
  r.count = static_cast<int64_t>(cap.get(cv::CAP_PROP_FRAME_COUNT));
  r.width = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH));
  r.height = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_HEIGHT));
  cv::Mat m;
  while (cap.read(m)) {
    if (r.decoded == 0) r.first = m.clone();
    r.last = m.clone();
    ++r.decoded;
  }
  return r;
}

class Megamind : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kMegamind)) GTEST_SKIP() << kMegamind << " is missing: apt-get install opencv-doc";
    ref_ = reference(kMegamind);
    ASSERT_GT(ref_.decoded, 0);
  }
  Reference ref_;
};

TEST_F(Megamind, EveryFrameAtTheSizeAndRateOpenCVReports) {
  VideoFileDriver d("cam", video_spec(kMegamind));
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.info().modality, Modality::kImage);
  EXPECT_EQ(d.info().width, ref_.width);
  EXPECT_EQ(d.info().height, ref_.height);
  EXPECT_EQ(d.info().channels, 3);
  EXPECT_DOUBLE_EQ(d.info().fps, ref_.fps);
  EXPECT_FALSE(d.info().description.empty());

  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped) << d.reason();
  EXPECT_TRUE(sink.eos_status().ok()) << sink.eos_status().message();
  EXPECT_EQ(sink.eos_calls(), 1);

  auto frames = sink.frames();
  ASSERT_EQ(static_cast<int64_t>(frames.size()), ref_.count);
  EXPECT_EQ(static_cast<int64_t>(frames.size()), ref_.decoded);
  EXPECT_EQ(d.stats().frames, frames.size());
  EXPECT_EQ(d.stats().skipped, 0u);
  EXPECT_EQ(d.stats().errors, 0u);
  for (size_t k = 0; k < frames.size(); ++k) {
    const cv::Mat& m = frames[k]->image();
    ASSERT_EQ(m.type(), CV_8UC3);
    ASSERT_EQ(m.cols, ref_.width);
    ASSERT_EQ(m.rows, ref_.height);
    EXPECT_EQ(frames[k]->seq, k);
    ASSERT_NE(frames[k]->source, nullptr);
    EXPECT_EQ(*frames[k]->source, kMegamind);
    EXPECT_EQ(frames[k]->source.get(), frames[0]->source.get());  // one string for the whole file
    EXPECT_NEAR(static_cast<double>(frames[k]->media_ns), static_cast<double>(k) * 1e9 / ref_.fps, 1.0);
    EXPECT_NEAR(static_cast<double>(frames[k]->duration_ns), 1e9 / ref_.fps, 1.0);
  }
  EXPECT_EQ(cv::norm(frames.front()->image(), ref_.first, cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(frames.back()->image(), ref_.last, cv::NORM_INF), 0);
}

TEST_F(Megamind, FpsCapAtHalfTheNativeRateHalvesTheFrames) {
  SensorSpec spec = video_spec(kMegamind);
  spec.video.fps = ref_.fps / 2;
  VideoFileDriver d("cam", spec);
  ASSERT_TRUE(d.open().ok());
  EXPECT_DOUBLE_EQ(d.info().fps, ref_.fps / 2);
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  d.stop();
  auto frames = sink.frames();
  ASSERT_EQ(static_cast<int64_t>(frames.size()), (ref_.count + 1) / 2);
  EXPECT_EQ(d.stats().skipped, static_cast<uint64_t>(ref_.count / 2));  // skipped, not errors
  EXPECT_EQ(d.stats().errors, 0u);
  EXPECT_EQ(d.state(), SensorState::kStopped);
  for (size_t k = 0; k < frames.size(); ++k) {
    // Every other frame of the stream, timed by its own index at the native rate.
    EXPECT_NEAR(static_cast<double>(frames[k]->media_ns), static_cast<double>(2 * k) * 1e9 / ref_.fps, 1.0);
    EXPECT_EQ(frames[k]->seq, k);
  }
}

TEST_F(Megamind, FpsCapAboveTheNativeRateChangesNothing) {
  SensorSpec spec = video_spec(kMegamind);
  spec.video.fps = 100;
  VideoFileDriver d("cam", spec);
  ASSERT_TRUE(d.open().ok());
  EXPECT_DOUBLE_EQ(d.info().fps, ref_.fps);
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  EXPECT_EQ(static_cast<int64_t>(sink.frames().size()), ref_.count);
  EXPECT_EQ(d.stats().skipped, 0u);
}

TEST_F(Megamind, LoopReopensAndKeepsMediaTimeMonotonic) {
  SensorSpec spec = video_spec(kMegamind);
  spec.replay.loop = true;
  VideoFileDriver d("cam", spec);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(static_cast<size_t>(ref_.count + 10)));
  d.stop();
  auto frames = sink.frames();
  for (size_t k = 1; k < frames.size(); ++k) ASSERT_GT(frames[k]->media_ns, frames[k - 1]->media_ns);
  const size_t n = static_cast<size_t>(ref_.count);
  EXPECT_EQ(cv::norm(frames[n]->image(), ref_.first, cv::NORM_INF), 0);  // the second pass starts again
  EXPECT_EQ(sink.eos_calls(), 1);
}

struct DeclaredCase {
  const char* name;
  int width, height;
  bool ok;
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const DeclaredCase& c, std::ostream* os) { *os << c.name; }

class MegamindDeclared : public ::testing::TestWithParam<DeclaredCase> {};

TEST_P(MegamindDeclared, DeclaredSizeIsChecked) {
  if (!std::filesystem::exists(kMegamind)) GTEST_SKIP() << kMegamind << " is missing";
  const DeclaredCase& c = GetParam();
  SensorSpec spec = video_spec(kMegamind);
  spec.video.width = c.width;
  spec.video.height = c.height;
  VideoFileDriver d("cam", spec);
  Status s = d.open();
  EXPECT_EQ(s.ok(), c.ok) << s.message();
  if (!c.ok) {
    EXPECT_NE(s.message().find(kMegamind), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("720x528"), std::string::npos) << s.message();
    EXPECT_EQ(d.state(), SensorState::kFailed);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, MegamindDeclared,
                         ::testing::Values(DeclaredCase{"Matching", 720, 528, true},
                                           DeclaredCase{"WidthOnlyMatching", 720, 0, true},
                                           DeclaredCase{"WrongWidth", 640, 528, false},
                                           DeclaredCase{"WrongHeight", 0, 480, false}),
                         [](const ::testing::TestParamInfo<DeclaredCase>& i) { return std::string(i.param.name); });

TEST(VideoFileDriver, TruncatedVideoDeliversWhatDecodesThenFails) {
  if (!std::filesystem::exists(kMegamind)) GTEST_SKIP() << kMegamind << " is missing";
  TempDir dir;
  const std::string path = dir.file("truncated.avi");
  std::filesystem::copy_file(kMegamind, path);
  std::filesystem::resize_file(path, 300000);  // a quarter of the file
  VideoFileDriver d("cam", video_spec(path));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end());
  d.stop();
  EXPECT_GT(sink.frames().size(), 10u);
  EXPECT_LT(sink.frames().size(), 200u);
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_NE(d.reason().find(path), std::string::npos) << d.reason();
  EXPECT_NE(d.reason().find("truncated"), std::string::npos) << d.reason();
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kDataLoss);
}

struct BadVideoCase {
  const char* name;
  const char* file;
  size_t random_bytes;  // 0: not created
  StatusCode code;
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const BadVideoCase& c, std::ostream* os) { *os << c.name; }

class VideoBadFiles : public ::testing::TestWithParam<BadVideoCase> {};

TEST_P(VideoBadFiles, OpenFailsClearlyNamingTheFile) {
  const BadVideoCase& c = GetParam();
  TempDir dir;
  const std::string path = dir.file(c.file);
  if (c.random_bytes > 0) write_random_bytes(path, c.random_bytes);
  VideoFileDriver d("cam", video_spec(path));
  Status s = d.open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), c.code) << s.to_string();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_EQ(d.state(), SensorState::kFailed);
  RecordingSink sink;
  EXPECT_FALSE(d.start(&sink).ok());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VideoBadFiles,
    ::testing::Values(BadVideoCase{"RandomBytes", "noise.avi", 65536, StatusCode::kInvalidArgument},
                      BadVideoCase{"RandomBytesMp4", "noise.mp4", 4096, StatusCode::kInvalidArgument},
                      BadVideoCase{"Missing", "missing.avi", 0, StatusCode::kNotFound}),
    [](const ::testing::TestParamInfo<BadVideoCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace sensix
