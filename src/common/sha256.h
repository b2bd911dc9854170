// SHA-256 of files and buffers (OpenSSL's EVP), as lowercase hex.
// Thread-safety: free functions, no shared state; a Sha256 is used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "common/status.h"

namespace sensix {

Result<std::string> sha256_file(const std::string& path);
std::string sha256_bytes(std::span<const unsigned char> bytes);

// A digest computed piece by piece (a file hashed as it is copied or downloaded).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  // The digest of everything given so far, as lowercase hex; the object is finished after it.
  std::string hex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace sensix
