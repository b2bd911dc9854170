// SHA-256 of files and buffers (OpenSSL's EVP), as lowercase hex.
// Thread-safety: free functions, no shared state.
#pragma once

#include <span>
#include <string>

#include "common/status.h"

namespace sensix {

Result<std::string> sha256_file(const std::string& path);
std::string sha256_bytes(std::span<const unsigned char> bytes);

}  // namespace sensix
