#include "common/sha256.h"

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace sensix {
namespace {

TEST(Sha256, KnownVectors) {
  std::string abc = "abc";
  EXPECT_EQ(sha256_bytes({reinterpret_cast<const unsigned char*>(abc.data()), abc.size()}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_bytes({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, FileMatchesBytesAndMissingFileIsNotFound) {
  std::string path = ::testing::TempDir() + "/sha256_test.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out << "abc";
  }
  EXPECT_EQ(sha256_file(path).value(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::remove(path.c_str());
  auto missing = sha256_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace sensix
