// fetch_url: downloads one http(s) URL for the model store, streaming its body to a callback
// (Boost.Beast; OpenSSL for https, the certificate and host name checked against the system's CAs
// and an optional extra CA file). Only URLs under an allowed prefix are fetched, and a redirect is
// followed only to an allowed URL (at most 5). A body longer than max_bytes, a status other than
// 200, a read that stalls past the time limit: each ends the download with an error naming the URL.
//
// Thread-safety: a free function; every call has its own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/artifact_source.h"
#include "common/status.h"

namespace sensix {

struct UrlFetchOptions {
  std::vector<std::string> allowed;  // URL prefixes (url_allowed)
  std::string ca_file;               // https: an extra trusted CA (PEM)
  uint64_t max_bytes = 4ull << 30;
  std::chrono::seconds timeout{600};  // the whole download
};

struct UrlFetchCallbacks {
  // Called once the answer's head is read, with its Content-Length (0 when it names none): a
  // non-Ok return (no room for it) ends the download with that error.
  std::function<Status(uint64_t)> on_length;
  std::function<Status(std::span<const char>)> on_data;
};

// Errors: FailedPrecondition (not allowed, or redirected where not allowed), NotFound (404),
// Unavailable (cannot connect, TLS, another status, a broken connection, the time limit),
// ResourceExhausted (longer than max_bytes), or the callbacks' own.
Status fetch_url(const ParsedUrl& url, const UrlFetchOptions& options, const UrlFetchCallbacks& callbacks);

}  // namespace sensix
