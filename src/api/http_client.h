// HttpClient: the CLI's side of the daemon's API (Boost.Beast, blocking): one request per call on a
// fresh connection, http:// or https:// (the certificate checked against the system's CAs or a
// given CA file, unless `insecure`), a bearer token, and Server-Sent Events read as they come.
//
// Thread-safety: one call at a time per client.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sensix::api {

struct ClientOptions {
  std::string server = "http://127.0.0.1:8000";
  std::string token;                  // sent as "Authorization: Bearer <token>" when set
  std::string ca_file;                // https: trust this CA (PEM) instead of the system's
  bool insecure = false;              // https: do not check the certificate
  std::chrono::seconds timeout{600};  // for the whole request (an apply loads and warms up models)
};

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// `text` as a URL's query value: every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~)
// percent-encoded.
std::string url_encode(std::string_view text);

struct SseEvent {
  std::string id;
  std::string event;  // "message" when the stream names none
  std::string data;
};

class HttpClient {
 public:
  // Unavailable for a server URL that is not http(s)://host[:port].
  static Result<HttpClient> create(ClientOptions options);

  // Unavailable when the server cannot be reached; otherwise the response, whatever its status.
  // `headers` are sent besides the usual ones.
  Result<ClientResponse> request(const std::string& method, const std::string& target, const std::string& body = {},
                                 const std::string& content_type = "application/json",
                                 const std::map<std::string, std::string>& headers = {}) const;
  // GETs `target` as a stream and calls `on_event` for each event until it returns false or the
  // server ends the stream (Ok), or the connection fails (Unavailable). A non-200 answer is
  // FailedPrecondition, with the answer in `error_response`.
  Status stream(const std::string& target, const std::map<std::string, std::string>& headers,
                const std::function<bool(const SseEvent&)>& on_event, ClientResponse* error_response) const;

  const std::string& server() const { return options_.server; }

 private:
  explicit HttpClient(ClientOptions options) : options_(std::move(options)) {}
  ClientOptions options_;
  bool tls_ = false;
  std::string host_, port_;
};

}  // namespace sensix::api
