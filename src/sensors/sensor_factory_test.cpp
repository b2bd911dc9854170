// make_sensor_driver: valid specs build a pending driver of the right kind; invalid ones are
// refused with a message naming the sensor and the field.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include <ostream>

#include "sensors/driver.h"
#include "sensors/replay/audio_file_driver.h"
#include "sensors/replay/image_folder_driver.h"
#include "sensors/replay/video_file_driver.h"

namespace sensix {
namespace {

SensorSpec spec_of(DriverKind kind, const std::string& path = "/tmp/x") {
  SensorSpec s;
  s.driver = kind;
  s.path = path;
  return s;
}

TEST(MakeSensorDriver, BuildsTheDriverForEachKind) {
  auto a = make_sensor_driver("mic", spec_of(DriverKind::kAudioFile));
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_NE(dynamic_cast<AudioFileDriver*>(a->get()), nullptr);
  EXPECT_EQ((*a)->state(), SensorState::kPending);

  auto v = make_sensor_driver("cam", spec_of(DriverKind::kVideoFile));
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_NE(dynamic_cast<VideoFileDriver*>(v->get()), nullptr);

  auto i = make_sensor_driver("photos", spec_of(DriverKind::kImageFolder));
  ASSERT_TRUE(i.ok()) << i.status().message();
  EXPECT_NE(dynamic_cast<ImageFolderDriver*>(i->get()), nullptr);
}

struct InvalidCase {
  const char* name;
  SensorSpec spec;
  const char* expect;
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

SensorSpec with(SensorSpec s, void (*edit)(SensorSpec&)) {
  edit(s);
  return s;
}

class MakeSensorDriverInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(MakeSensorDriverInvalid, IsRefusedWithAClearMessage) {
  const InvalidCase& c = GetParam();
  auto r = make_sensor_driver("s1", c.spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("s1"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MakeSensorDriverInvalid,
    ::testing::Values(
        InvalidCase{"EmptyPath", spec_of(DriverKind::kAudioFile, ""), "path"},
        InvalidCase{"NegativeSpeed", with(spec_of(DriverKind::kAudioFile), [](SensorSpec& s) { s.replay.speed = -1; }),
                    "speed"},
        InvalidCase{"NanSpeed",
                    with(spec_of(DriverKind::kVideoFile),
                         [](SensorSpec& s) { s.replay.speed = std::numeric_limits<double>::quiet_NaN(); }),
                    "speed"},
        InvalidCase{"FrameMsZero", with(spec_of(DriverKind::kAudioFile), [](SensorSpec& s) { s.audio.frame_ms = 0; }),
                    "frameMs"},
        InvalidCase{"FrameMsTooLong",
                    with(spec_of(DriverKind::kAudioFile), [](SensorSpec& s) { s.audio.frame_ms = 5000; }), "frameMs"},
        InvalidCase{"NegativeRate",
                    with(spec_of(DriverKind::kAudioFile), [](SensorSpec& s) { s.audio.sample_rate = -8000; }),
                    "sampleRate"},
        InvalidCase{"NegativeFps", with(spec_of(DriverKind::kImageFolder), [](SensorSpec& s) { s.video.fps = -2; }),
                    "fps"},
        InvalidCase{"NegativeWidth", with(spec_of(DriverKind::kVideoFile), [](SensorSpec& s) { s.video.width = -1; }),
                    "width"},
        InvalidCase{"UnknownDriver", spec_of(static_cast<DriverKind>(99)), "not supported"}),
    [](const ::testing::TestParamInfo<InvalidCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace sensix
