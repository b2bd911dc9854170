// Memory sizes as documents and flags write them: plain bytes ("268435456") or a number with a
// binary suffix Ki, Mi or Gi ("512Ki", "256Mi", "1.5Gi"), and the same figures for messages
// ("48.1 MiB").
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sensix {

// Bytes for "1073741824", "512Ki", "256Mi", "1.5Gi". InvalidArgument for anything else
// (decimal units such as "256M" or "256MB", negative or empty values, a fraction of a byte), with
// a message that says what is accepted:
//   expected a memory size: bytes, or a number with Ki, Mi or Gi (e.g. 256Mi), got "256MB"
Result<int64_t> parse_byte_size(std::string_view text);

// A size given by a flag (`flag`, as written; `flag_name` in errors), else by the environment
// variable `env` ("$ENV" in errors); 0 when neither gives one.
Result<int64_t> byte_size_option(const std::string& flag, std::string_view flag_name, const char* env);

// "512 B", "4 KiB", "48.1 MiB", "1.5 GiB": at most one decimal under 1 GiB, two above, no
// trailing zeros.
std::string format_bytes(int64_t bytes);

}  // namespace sensix
