// image-folder driver over copies of darknet's sample photos (Debian package darknet).
#include "sensors/replay/image_folder_driver.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <ostream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/env.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix {
namespace {

namespace fs = std::filesystem;
using testing::RecordingSink;
using testing::TempDir;

const char* const kDog = "/usr/share/darknet/data/dog.jpg";
const char* const kPerson = "/usr/share/darknet/data/person.jpg";

SensorSpec image_spec(const std::string& path, double speed = 0) {
  SensorSpec s;
  s.driver = DriverKind::kImageFolder;
  s.path = path;
  s.replay.speed = speed;
  return s;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

class ImageFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kDog) || !fs::exists(kPerson))
      GTEST_SKIP() << "darknet sample images missing: apt-get install darknet";
    // Named so that the sorted order differs from the order of creation.
    fs::copy_file(kPerson, dir_.file("b_person.jpg"));
    fs::copy_file(kDog, dir_.file("a_dog.jpg"));
    write_text(dir_.file("bad.jpg"), "this is not a JPEG\n");
    write_text(dir_.file(".hidden.jpg"), "ignored\n");
    fs::create_directory(dir_.file("subfolder"));
  }
  std::vector<FramePtr> run(ImageFolderDriver* d) {
    RecordingSink sink;
    EXPECT_TRUE(d->start(&sink).ok());
    EXPECT_TRUE(sink.wait_for_end());
    d->stop();
    EXPECT_EQ(sink.eos_calls(), 1);
    return sink.frames();
  }
  TempDir dir_;
};

TEST_F(ImageFolder, SortedFramesAndTheUndecodableFileCounted) {
  ImageFolderDriver d("photos", image_spec(dir_.path().string()));
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.stats().errors, 1u);  // bad.jpg
  EXPECT_EQ(d.info().modality, Modality::kImage);
  EXPECT_EQ(d.info().channels, 3);
  EXPECT_DOUBLE_EQ(d.info().fps, 1.0);
  EXPECT_EQ(d.info().width, 0);  // the two photos differ in size
  EXPECT_EQ(d.info().height, 0);
  auto frames = run(&d);
  ASSERT_EQ(frames.size(), 2u);
  const cv::Mat dog = cv::imread(kDog, cv::IMREAD_COLOR), person = cv::imread(kPerson, cv::IMREAD_COLOR);
  ASSERT_EQ(frames[0]->image().size(), dog.size());
  EXPECT_EQ(cv::norm(frames[0]->image(), dog, cv::NORM_INF), 0);
  ASSERT_EQ(frames[1]->image().size(), person.size());
  EXPECT_EQ(cv::norm(frames[1]->image(), person, cv::NORM_INF), 0);
  EXPECT_EQ(frames[0]->media_ns, 0);
  EXPECT_EQ(frames[1]->media_ns, 1'000'000'000);
  EXPECT_EQ(frames[1]->duration_ns, 1'000'000'000);
  EXPECT_EQ(d.stats().frames, 2u);
  EXPECT_EQ(d.stats().errors, 1u);
  EXPECT_EQ(d.state(), SensorState::kStopped);
}

// Each frame names its own file (the folder as given joined with the file name), in the replay's
// sorted order, pass after pass; the frames of one image share one source string.
TEST_F(ImageFolder, EveryFrameCarriesItsFilesPathInReplayOrder) {
  SensorSpec spec = image_spec(dir_.path().string());
  spec.replay.loop = true;
  spec.video.fps = 100;
  ImageFolderDriver d("photos", spec);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(5));
  d.stop();
  auto frames = sink.frames();
  ASSERT_GE(frames.size(), 5u);
  const std::string dog = (dir_.path() / "a_dog.jpg").string(), person = (dir_.path() / "b_person.jpg").string();
  const cv::Mat dog_pixels = cv::imread(kDog, cv::IMREAD_COLOR);
  for (size_t k = 0; k < frames.size(); ++k) {
    ASSERT_NE(frames[k]->source, nullptr) << "frame " << k;
    EXPECT_EQ(*frames[k]->source, k % 2 == 0 ? dog : person) << "frame " << k;
    // The named file is the one whose pixels the frame holds.
    EXPECT_EQ(frames[k]->image().size() == dog_pixels.size(), k % 2 == 0) << "frame " << k;
    EXPECT_EQ(frames[k]->source.get(), frames[k % 2]->source.get()) << "made once per file, not per frame";
  }
}

TEST_F(ImageFolder, ASingleImageFile) {
  ImageFolderDriver d("photo", image_spec(dir_.file("a_dog.jpg")));
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.info().width, 768);
  EXPECT_EQ(d.info().height, 576);
  auto frames = run(&d);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]->image().type(), CV_8UC3);
  ASSERT_NE(frames[0]->source, nullptr);
  EXPECT_EQ(*frames[0]->source, dir_.file("a_dog.jpg"));
  EXPECT_EQ(d.stats().errors, 0u);
}

TEST_F(ImageFolder, LoopAtTheGivenFpsWithMonotonicMediaTime) {
  SensorSpec spec = image_spec(dir_.path().string());
  spec.replay.loop = true;
  spec.video.fps = 4;
  ImageFolderDriver d("photos", spec);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(9));
  d.stop();
  auto frames = sink.frames();
  ASSERT_GE(frames.size(), 9u);
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(frames[k]->media_ns, static_cast<int64_t>(k) * 250'000'000);
    EXPECT_EQ(frames[k]->duration_ns, 250'000'000);
    // Alternates dog, person, dog...; the kept pixels are shared, not copied.
    EXPECT_EQ(frames[k]->image().data, frames[k % 2]->image().data);
  }
  EXPECT_EQ(d.stats().errors, 1u);  // counted once, at open
}

TEST_F(ImageFolder, RealTimeAtTenFps) {
  SensorSpec spec = image_spec(dir_.path().string(), 1.0);
  spec.video.fps = 10;
  spec.replay.loop = true;
  ManualEnv env;
  ImageFolderDriver d("photos", spec, &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  auto t0 = env.now();
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env.run_until([&] { return sink.frames().size() >= 6; }));  // the 6th is due at 500 ms
  double took = std::chrono::duration<double>(env.now() - t0).count();
  d.stop();
  EXPECT_GT(took, 0.4);
  EXPECT_LT(took, 2.0);
  EXPECT_DOUBLE_EQ(took, 0.5);
  auto frames = sink.frames();
  for (size_t k = 0; k < 6; ++k) {
    EXPECT_EQ(frames[k]->captured - t0, static_cast<int>(k) * std::chrono::milliseconds(100)) << "frame " << k;
  }
}

TEST_F(ImageFolder, DeclaredSizeRejectsOtherImages) {
  SensorSpec spec = image_spec(dir_.path().string());
  spec.video.width = 768;
  spec.video.height = 576;
  ImageFolderDriver d("photos", spec);
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.info().width, 768);
  EXPECT_EQ(d.info().height, 576);
  EXPECT_EQ(d.stats().errors, 2u);  // bad.jpg and the 640x424 person
  auto frames = run(&d);
  ASSERT_EQ(frames.size(), 1u);
}

TEST_F(ImageFolder, SingleFileOfTheWrongDeclaredSizeFails) {
  SensorSpec spec = image_spec(dir_.file("b_person.jpg"));
  spec.video.width = 768;
  ImageFolderDriver d("photo", spec);
  Status s = d.open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("640x424"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("768"), std::string::npos) << s.message();
}

struct BadCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> files;  // name -> text content
  const char* target;                                      // "" = the folder itself, else a file in it
  StatusCode code;
};
// gtest prints the case by name (ctest lists it), not as raw bytes.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class ImageFolderBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(ImageFolderBad, OpenFailsNamingThePath) {
  const BadCase& c = GetParam();
  TempDir dir;
  for (const auto& [name, text] : c.files) write_text(dir.file(name), text);
  const std::string path = std::string(c.target).empty() ? dir.path().string() : dir.file(c.target);
  ImageFolderDriver d("photos", image_spec(path));
  Status s = d.open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), c.code) << s.to_string();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_EQ(d.state(), SensorState::kFailed);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ImageFolderBad,
    ::testing::Values(
        BadCase{"NothingDecodes", {{"bad.jpg", "text"}, {"notes.png", "more text"}}, "", StatusCode::kInvalidArgument},
        BadCase{"EmptyFolder", {}, "", StatusCode::kInvalidArgument},
        BadCase{"OnlyHiddenFiles", {{".x.jpg", "text"}}, "", StatusCode::kInvalidArgument},
        BadCase{"SingleUndecodableFile", {{"bad.jpg", "text"}}, "bad.jpg", StatusCode::kInvalidArgument},
        BadCase{"Missing", {}, "missing.jpg", StatusCode::kNotFound}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace sensix
