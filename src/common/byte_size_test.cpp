#include "common/byte_size.h"

#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix {
namespace {

TEST(ByteSize, ParsesBytesAndBinarySuffixes) {
  const struct {
    const char* text;
    int64_t bytes;
  } cases[] = {
      {"0", 0},           {"268435456", 268435456}, {"512Ki", 512 * 1024}, {"256Mi", 256LL << 20},
      {"1Gi", 1LL << 30}, {"1.5Gi", 3LL << 29},     {"0.5Mi", 512 * 1024},
  };
  for (const auto& c : cases) {
    auto v = parse_byte_size(c.text);
    ASSERT_TRUE(v.ok()) << c.text << ": " << v.status();
    EXPECT_EQ(*v, c.bytes) << c.text;
  }
}

TEST(ByteSize, RejectsOtherUnitsWithWhatIsAccepted) {
  for (const char* text :
       {"", "256M", "256MB", "256mi", "1G", "1GB", "Mi", "-1", "-1Mi", "1.5", "2Ti", " 1Mi", "1 Mi", "abc", "1e3"}) {
    auto v = parse_byte_size(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(v.status().message(),
              std::string("expected a memory size: bytes, or a number with Ki, Mi or Gi (e.g. 256Mi), got \"") + text +
                  "\"");
  }
}

TEST(ByteSize, FormatsForMessages) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(4096), "4 KiB");
  EXPECT_EQ(format_bytes(50436505), "48.1 MiB");
  EXPECT_EQ(format_bytes(32LL << 20), "32 MiB");
  EXPECT_EQ(format_bytes(3LL << 29), "1.5 GiB");
  EXPECT_EQ(format_bytes((1LL << 30) + (1LL << 24)), "1.02 GiB");
}

TEST(ByteSize, AnOptionComesFromItsFlagElseItsEnvironmentVariable) {
  ::unsetenv("SENSIX_TEST_BUDGET");
  EXPECT_EQ(*byte_size_option("", "--budget", "SENSIX_TEST_BUDGET"), 0);
  EXPECT_EQ(*byte_size_option("2Ki", "--budget", "SENSIX_TEST_BUDGET"), 2048);
  ::setenv("SENSIX_TEST_BUDGET", "1Mi", 1);
  EXPECT_EQ(*byte_size_option("", "--budget", "SENSIX_TEST_BUDGET"), 1 << 20);
  EXPECT_EQ(*byte_size_option("2Ki", "--budget", "SENSIX_TEST_BUDGET"), 2048);  // the flag first
  ::setenv("SENSIX_TEST_BUDGET", "lots", 1);
  auto bad = byte_size_option("", "--budget", "SENSIX_TEST_BUDGET");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("$SENSIX_TEST_BUDGET: expected a memory size"));
  auto bad_flag = byte_size_option("10MB", "--budget", "SENSIX_TEST_BUDGET");
  ASSERT_FALSE(bad_flag.ok());
  EXPECT_THAT(std::string(bad_flag.status().message()), ::testing::HasSubstr("--budget: expected a memory size"));
  ::unsetenv("SENSIX_TEST_BUDGET");
}

}  // namespace
}  // namespace sensix
