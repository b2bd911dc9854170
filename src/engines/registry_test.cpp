// EngineRegistry and make_engine: names, defaults, bad libraries, remembered failures.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/paths.h"
#include "engines/registry.h"
#include "support/paths.h"
#include "support/temp_dir.h"
#include "support/tensors.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;

const std::string kOrtLibrary = cache_dir() + "/engines/onnxruntime/lib/libonnxruntime.so.1";
const std::string kTfliteLibrary = cache_dir() + "/engines/tflite/lib/libtensorflowlite_c.so";

TEST(EngineRegistryTest, KnowsEnginesAndDefaults) {
  EXPECT_EQ(EngineRegistry::known_engines(), (std::vector<std::string>{"onnxruntime", "tflite"}));
  EXPECT_EQ(EngineRegistry::default_engine_for(ModelFormat::kOnnx), "onnxruntime");
  EXPECT_EQ(EngineRegistry::default_engine_for(ModelFormat::kTflite), "tflite");
  EXPECT_FALSE(EngineRegistry::compiled_in("tensorrt"));
#ifdef SENSIX_HAVE_ONNXRUNTIME
  EXPECT_TRUE(EngineRegistry::compiled_in("onnxruntime"));
#else
  EXPECT_FALSE(EngineRegistry::compiled_in("onnxruntime"));
#endif
#ifdef SENSIX_HAVE_TFLITE
  EXPECT_TRUE(EngineRegistry::compiled_in("tflite"));
#else
  EXPECT_FALSE(EngineRegistry::compiled_in("tflite"));
#endif
}

TEST(EngineRegistryTest, UnknownEngineListsKnownOnes) {
  EngineRegistry registry;
  for (std::string_view name : {"tensorrt", "", "ONNXRUNTIME"}) {
    auto e = registry.get(name);
    ASSERT_FALSE(e.ok()) << name;
    EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
    EXPECT_THAT(e.status().message(), HasSubstr("known engines: onnxruntime, tflite"));
    EXPECT_THAT(e.status().message(), HasSubstr("\"" + std::string(name) + "\""));
    auto made = make_engine(name);
    ASSERT_FALSE(made.ok()) << name;
    EXPECT_EQ(made.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(made.status().message(), e.status().message());
  }
}

#if defined(SENSIX_HAVE_ONNXRUNTIME) || defined(SENSIX_HAVE_TFLITE)
TEST(EngineRegistryTest, GetLoadsOnceAndReturnsTheSameEngine) {
  EngineRegistry registry;
  struct Case {
    std::string name;
    std::string library;
    std::string version_prefix;
  };
  for (const Case& c : {Case{"onnxruntime", kOrtLibrary, "1."}, Case{"tflite", kTfliteLibrary, "2."}}) {
    SCOPED_TRACE(c.name);
#if !defined(SENSIX_HAVE_ONNXRUNTIME)
    if (c.name == "onnxruntime") continue;
#endif
#if !defined(SENSIX_HAVE_TFLITE)
    if (c.name == "tflite") continue;
#endif
    if (!std::filesystem::exists(c.library)) {
      GTEST_SKIP() << c.library << " missing: run scripts/setup";
    }
    auto a = registry.get(c.name);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ((*a)->name(), c.name);
    EXPECT_THAT((*a)->version(), ::testing::StartsWith(c.version_prefix));
    auto b = registry.get(c.name);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*a, *b);
  }
}
#endif

#ifdef SENSIX_HAVE_TFLITE
TEST(EngineRegistryTest, ConcurrentGetsShareOneEngine) {
  SENSIX_REQUIRE_FILE(kTfliteLibrary);
  EngineRegistry registry;
  std::vector<Engine*> got(4, nullptr);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      auto e = registry.get("tflite");
      if (e.ok()) got[i] = *e;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_NE(got[0], nullptr);
  EXPECT_EQ(std::set<Engine*>(got.begin(), got.end()).size(), 1u);
}
#endif

struct BadLibraryCase {
  std::string label;
  bool onnxruntime;  // else tflite
  std::string path;
  std::string message_part;
};

TEST(EngineFactoryTest, BadLibraryIsUnavailableWithPathAndReason) {
  const std::string text = testing::write_temp_file(
      "libnot_a_library.so", std::string(200, 'x') + "\nthis text file is not a shared library\n");
  std::vector<BadLibraryCase> cases = {
      {"ort missing", true, "/nonexistent/libonnxruntime.so.1", "No such file"},
      {"ort text file", true, text, "invalid ELF header"},
      {"tflite missing", false, "/nonexistent/libtensorflowlite_c.so", "No such file"},
      {"tflite text file", false, text, "invalid ELF header"},
  };
  if (std::filesystem::exists(kOrtLibrary) && std::filesystem::exists(kTfliteLibrary)) {
    // A real shared library of the other engine: loads, but lacks the entry points.
    cases.push_back({"ort given tflite", true, kTfliteLibrary, "no symbol OrtGetApiBase"});
    cases.push_back({"tflite given ort", false, kOrtLibrary, "no symbol TfLiteVersion"});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    auto e = make_engine(c.onnxruntime ? "onnxruntime" : "tflite", c.path);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), StatusCode::kUnavailable) << e.status();
#if (defined(SENSIX_HAVE_ONNXRUNTIME) && defined(SENSIX_HAVE_TFLITE))
    EXPECT_THAT(e.status().message(), HasSubstr(c.path));
    EXPECT_THAT(e.status().message(), HasSubstr(c.message_part));
#else
    // Compiled out: the same error whatever the path.
    (void)c.message_part;
#endif
  }
}

#ifdef SENSIX_HAVE_ONNXRUNTIME
TEST(EngineFactoryTest, SecondOrtLibraryInOneProcessIsRefused) {
  SENSIX_REQUIRE_FILE(kOrtLibrary);
  auto first = make_engine("onnxruntime", kOrtLibrary);
  ASSERT_TRUE(first.ok()) << first.status();
  // The same library again is fine.
  auto again = make_engine("onnxruntime", kOrtLibrary);
  ASSERT_TRUE(again.ok()) << again.status();
  // A copy at another path is a second library: the C++ API's global could point at only one.
  auto dir = std::filesystem::temp_directory_path() / "sensix-engines-ort-copy";
  std::filesystem::create_directories(dir);
  auto copy = dir / "libonnxruntime.so.1";
  std::filesystem::copy_file(kOrtLibrary, copy, std::filesystem::copy_options::overwrite_existing);
  auto second = make_engine("onnxruntime", copy.string());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("already uses"));
  std::filesystem::remove_all(dir);
}
#endif

TEST(EngineRegistryTest, RemembersFailures) {
  // The registry reads $SENSIX_ORT_LIBRARY / $SENSIX_TFLITE_LIBRARY when it first loads.
  ::setenv("SENSIX_ORT_LIBRARY", "/nonexistent/libort.so", 1);
  ::setenv("SENSIX_TFLITE_LIBRARY", "/nonexistent/libtfl.so", 1);
  EngineRegistry registry;
  auto ort = registry.get("onnxruntime");
  auto tfl = registry.get("tflite");
  ::unsetenv("SENSIX_ORT_LIBRARY");
  ::unsetenv("SENSIX_TFLITE_LIBRARY");
  ASSERT_FALSE(ort.ok());
  ASSERT_FALSE(tfl.ok());
  EXPECT_EQ(ort.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(tfl.status().code(), StatusCode::kUnavailable);
#if (defined(SENSIX_HAVE_ONNXRUNTIME) && defined(SENSIX_HAVE_TFLITE))
  EXPECT_THAT(ort.status().message(), HasSubstr("/nonexistent/libort.so"));
  EXPECT_THAT(tfl.status().message(), HasSubstr("/nonexistent/libtfl.so"));
#endif
  // Not retried, even though the default location would now work.
  auto ort_again = registry.get("onnxruntime");
  ASSERT_FALSE(ort_again.ok());
  EXPECT_EQ(ort_again.status().message(), ort.status().message());
}

// check() answers without loading: a file that is no library passes check() (it is not opened),
// fails get(), and from then on check() gives get()'s failure. A missing file fails check().
TEST(EngineRegistryTest, CheckLoadsNothing) {
  testing::TempDir dir;
  const std::string not_a_library = dir.file("libort.so");
  std::ofstream(not_a_library) << "not an ELF file\n";
  ::setenv("SENSIX_ORT_LIBRARY", not_a_library.c_str(), 1);
  ::setenv("SENSIX_TFLITE_LIBRARY", dir.file("missing.so").c_str(), 1);
  EngineRegistry registry;
  const Status ort_check = registry.check("onnxruntime");
  const Status tfl_check = registry.check("tflite");
  auto ort = registry.get("onnxruntime");
  const Status ort_after = registry.check("onnxruntime");
  ::unsetenv("SENSIX_ORT_LIBRARY");
  ::unsetenv("SENSIX_TFLITE_LIBRARY");
  EXPECT_EQ(registry.check("tensorrt").code(), StatusCode::kNotFound);
  EXPECT_FALSE(registry.loaded("onnxruntime"));
  ASSERT_FALSE(ort.ok());
  EXPECT_EQ(ort_after.message(), ort.status().message());
#ifdef SENSIX_HAVE_ONNXRUNTIME
  EXPECT_TRUE(ort_check.ok()) << ort_check;
#else
  EXPECT_THAT(ort_check.message(), HasSubstr("compiled out"));
#endif
  ASSERT_FALSE(tfl_check.ok());
  EXPECT_EQ(tfl_check.code(), StatusCode::kUnavailable);
#ifdef SENSIX_HAVE_TFLITE
  EXPECT_THAT(tfl_check.message(), HasSubstr("missing.so"));
  EXPECT_THAT(tfl_check.message(), HasSubstr("SENSIX_TFLITE_LIBRARY"));
#endif
}

#ifdef SENSIX_HAVE_ONNXRUNTIME
// get() loads; check() on a loaded engine is Ok.
TEST(EngineRegistryTest, LoadedAfterGet) {
  EngineRegistry registry;
  ASSERT_TRUE(registry.check("onnxruntime").ok());
  EXPECT_FALSE(registry.loaded("onnxruntime"));
  ASSERT_TRUE(registry.get("onnxruntime").ok());
  EXPECT_TRUE(registry.loaded("onnxruntime"));
  EXPECT_TRUE(registry.check("onnxruntime").ok());
}
#endif

#if !defined(SENSIX_HAVE_ONNXRUNTIME) || !defined(SENSIX_HAVE_TFLITE)
TEST(EngineRegistryTest, CompiledOutEnginesSaySo) {
#ifndef SENSIX_HAVE_ONNXRUNTIME
  auto e = make_engine("onnxruntime");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(e.status().message(), HasSubstr("compiled out of this build"));
#endif
#ifndef SENSIX_HAVE_TFLITE
  auto t = make_engine("tflite");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(t.status().message(), HasSubstr("compiled out of this build"));
#endif
}
#endif

TEST(ResidentMemoryTest, IsPositiveAndGrowsWithTouchedMemory) {
  const int64_t before = resident_memory_bytes();
  EXPECT_GT(before, 0);
  std::vector<char> block(64 << 20, 1);  // 64 MiB, touched
  const int64_t after = resident_memory_bytes();
  EXPECT_GT(after - before, 32 << 20) << "RSS grew by " << (after - before);
  EXPECT_EQ(block[12345], 1);
}

}  // namespace
}  // namespace sensix
