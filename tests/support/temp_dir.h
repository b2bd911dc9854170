// TempDir: a fresh folder under the system temp dir for one test, removed with everything in it;
// write_random_bytes() fills a file in it with garbage (a file that is not what it claims);
// write_temp_file() and truncated_copy() write files into one folder per test process, removed
// when the process exits.
//
// Thread-safety: TempDir is immutable after construction.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace sensix::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The path of `name` inside the folder (nothing is created).
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `n` pseudo-random bytes (seeded: the same every run) to `path`; a gtest failure if the
// file cannot be written.
void write_random_bytes(const std::string& path, size_t n, unsigned seed = 7);

// Writes `bytes` to `name` in this process's temp folder and returns its path.
std::string write_temp_file(std::string_view name, std::string_view bytes);

// How many entries (files, folders) `dir` holds; 0 when it cannot be read.
size_t entries_in(const std::filesystem::path& dir);
// The first `count` bytes of `source` written to `name` in this process's temp folder.
std::string truncated_copy(const std::string& source, std::string_view name, size_t count);

}  // namespace sensix::testing
