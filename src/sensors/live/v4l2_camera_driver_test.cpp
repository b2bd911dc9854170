// V4l2CameraDriver: paths that are not cameras (missing, a regular file, /dev/null) are retried
// with back-off, naming the device, and fail after reconnect.maxAttempts; open() never touches the
// device. Frames from a real camera are checked only where /dev/video* exists (skipped otherwise).
#include "sensors/live/v4l2_camera_driver.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/videoio.hpp>

#include "common/env.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using ::testing::HasSubstr;
using testing::RecordingSink;
using testing::TempDir;

SensorSpec v4l2_spec(const std::string& device) {
  SensorSpec s;
  s.driver = DriverKind::kV4l2Camera;
  s.device = device;
  s.replay.speed = 1;
  s.reconnect.initial_delay = 0.1;
  s.reconnect.max_delay = 0.2;
  s.reconnect.timeout = 3;
  return s;
}

std::string missing_device() {
  std::random_device rd;
  return "/dev/video-sensix-missing-" + std::to_string(rd());
}

std::vector<std::string> video_devices() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/dev", ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("video", 0) == 0 && n.size() > 5 && std::isdigit(static_cast<unsigned char>(n[5]))) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(V4l2Camera, OpenDescribesFromTheDocumentWithoutTouchingTheDevice) {
  SensorSpec s = v4l2_spec(missing_device());
  s.video.width = 1280;
  s.video.height = 720;
  s.video.fps = 15;
  auto made = make_sensor_driver("cam", s);
  ASSERT_TRUE(made.ok()) << made.status().message();
  SensorDriver& d = **made;
  ASSERT_TRUE(d.open().ok());  // the device is missing, and that does not stop sensix
  EXPECT_EQ(d.state(), SensorState::kPending);
  EXPECT_EQ(d.info().modality, Modality::kImage);
  EXPECT_EQ(d.info().channels, 3);
  EXPECT_EQ(d.info().width, 0);  // the device picks its nearest format: known once it is open
  EXPECT_EQ(d.info().height, 0);
  EXPECT_DOUBLE_EQ(d.info().fps, 15);
  EXPECT_THAT(d.info().description, HasSubstr(s.device));
  EXPECT_THAT(d.info().description, HasSubstr("1280x720"));
}

TEST(V4l2Camera, RefusesAnEmptyDevice) {
  V4l2CameraDriver d("cam", v4l2_spec(""));
  EXPECT_EQ(d.open().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d.state(), SensorState::kFailed);
}

TEST(V4l2Camera, AMissingDeviceIsRetriedThenFailsNamingIt) {
  const std::string dev = missing_device();
  ManualEnv env;  // the back-off waits on this clock
  {
    V4l2CameraDriver d("cam", v4l2_spec(dev), &env);
    ASSERT_TRUE(d.open().ok());
    RecordingSink sink;
    ASSERT_TRUE(d.start(&sink).ok());
    ASSERT_TRUE(env.run_until([&] { return d.stats().reconnects >= 2; }, 5s)) << d.reason();
    ASSERT_TRUE(env.await_blocked(1));  // waiting before the third attempt
    EXPECT_EQ(d.state(), SensorState::kReconnecting);
    EXPECT_THAT(d.reason(), HasSubstr("the device " + dev + " does not exist"));
    EXPECT_THAT(d.reason(), HasSubstr("next attempt in"));
    d.stop();
    EXPECT_EQ(d.state(), SensorState::kStopped);
    EXPECT_EQ(sink.eos_calls(), 1);
  }
  SensorSpec s = v4l2_spec(dev);
  s.reconnect.max_attempts = 2;
  V4l2CameraDriver d("cam", s, &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  const TimePoint t0 = env.now();
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env.run_until([&] { return sink.eos_calls() > 0; }, 10s));
  EXPECT_EQ(env.now() - t0, 100ms) << "one back-off (initialDelay) between the two attempts";
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_THAT(d.reason(), HasSubstr(dev));
  EXPECT_THAT(d.reason(), HasSubstr("2 failed attempts"));
  EXPECT_FALSE(sink.eos_status().ok());
  EXPECT_TRUE(sink.frames().empty());
}

// Attempt n waits min(initialDelay * 2^(n-1), maxDelay) before it is made; the first waits nothing.
TEST(V4l2Camera, TheBackOffDoublesUpToMaxDelay) {
  SensorSpec s = v4l2_spec(missing_device());
  s.reconnect.initial_delay = 0.5;
  s.reconnect.max_delay = 3;
  ManualEnv env;
  V4l2CameraDriver d("cam", s, &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  const std::chrono::milliseconds want[] = {500ms, 1000ms, 2000ms, 3000ms, 3000ms};
  for (size_t n = 0; n < std::size(want); ++n) {
    // The driver is waiting out a back-off (a deadline ahead of the clock, which stands still).
    ASSERT_TRUE(eventually(
        [&] {
          const auto t = env.next_deadline();
          return t && *t > env.now();
        },
        5s))
        << n;
    const TimePoint next = *env.next_deadline();
    EXPECT_EQ(next - env.now(), want[n]) << "before attempt " << n + 2;
    EXPECT_EQ(d.stats().reconnects, n + 1);
    EXPECT_THAT(d.reason(), HasSubstr(fmt::format("next attempt in {:.1f} s", want[n].count() / 1000.0)));
    env.set(next);
  }
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(sink.eos_calls(), 1);
}

TEST(V4l2Camera, PathsThatAreNotCamerasAreRefusedNamingThem) {
  TempDir dir;
  const std::string file = dir.file("video0");
  std::ofstream(file) << "not a camera";
  struct Case {
    std::string device;
    std::string why;
  };
  const Case cases[] = {
      {file, "is not a character device"},
      {"/dev/null", "cannot open /dev/null as a capture device"},
  };
  for (const auto& c : cases) {
    if (!std::filesystem::exists(c.device)) continue;
    SensorSpec s = v4l2_spec(c.device);
    s.reconnect.max_attempts = 1;
    V4l2CameraDriver d("cam", s);
    ASSERT_TRUE(d.open().ok());
    RecordingSink sink;
    ASSERT_TRUE(d.start(&sink).ok());
    ASSERT_TRUE(sink.wait_for_end(10s)) << c.device;
    EXPECT_EQ(d.state(), SensorState::kFailed) << c.device;
    EXPECT_THAT(d.reason(), HasSubstr(c.why));
  }
}

TEST(V4l2Camera, RealDeviceGivesFrames) {
  const auto devices = video_devices();
  if (devices.empty()) GTEST_SKIP() << "no V4L2 device on this machine (no /dev/video*)";
  // Some nodes are metadata or output nodes: use the first that OpenCV can capture from.
  std::string dev;
  for (const auto& d : devices) {
    cv::VideoCapture cap(d, cv::CAP_V4L2);
    cv::Mat m;
    if (cap.isOpened() && cap.read(m) && !m.empty()) {
      dev = d;
      break;
    }
  }
  if (dev.empty()) GTEST_SKIP() << "no V4L2 device here gives frames (tried " << devices.size() << ")";
  SensorSpec s = v4l2_spec(dev);
  s.reconnect.timeout = 10;
  V4l2CameraDriver d("cam", s);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(5, 15s)) << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_TRUE(
      eventually([&] { return d.state() == SensorState::kRunning || d.state() == SensorState::kDegraded; }, 5s));
  for (const auto& f : sink.frames()) {
    const auto* m = std::get_if<cv::Mat>(&f->data);
    ASSERT_NE(m, nullptr);
    EXPECT_GT(m->cols, 0);
    EXPECT_EQ(m->type(), CV_8UC3);
    ASSERT_NE(f->source, nullptr);
    EXPECT_EQ(*f->source, dev);  // the device path
  }
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
}

}  // namespace
}  // namespace sensix
