// HttpServer: the daemon's HTTP/1.1 server on Boost.Beast and Asio (docs/api.md, docs/operations.md).
//
// Asynchronous: a few I/O threads serve every connection, so hundreds of open streams and slow
// clients cost no threads. A request is read whole (within the limits below), then its handler runs
// on a separate pool of handler threads, because a handler may take long (an apply loads and warms
// up models); the I/O threads never run one. A handler returns a response, or an EventStream that
// the connection then writes out as Server-Sent Events until either side closes it.
//
// Limits, each answered with a clear error and counted: request body size (413), header size
// (431), open connections (503 and close, for the connections over the limit), and a request
// timeout: a request must arrive whole within it, so a client that sends a byte a second is cut
// off (408) without holding a thread or delaying anyone else. Keep-alive connections wait at most
// the idle timeout for their next request.
//
// TLS (OpenSSL through Boost.Asio's ssl::stream) from a certificate chain and a private key file,
// TLS 1.2 and later only.
//
// Lifecycle: create() binds (an address in use fails there), start() runs the threads, stop()
// stops accepting, lets the requests being handled finish within a grace time, closes every
// connection (streams included) and joins. Thread-safety: every method from any thread; handlers
// run concurrently on the handler pool.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_counters.h"
#include "common/status.h"

namespace sensix::api {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8000;  // 0: any free port (port() says which)
  size_t max_body_bytes = 8 << 20;
  size_t max_header_bytes = 16 << 10;
  int max_connections = 512;
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  int io_threads = 2;
  int handler_threads = 4;
  // TLS: both set, or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
};

struct HttpRequest {
  std::string method;                                       // "GET", "POST", ...
  std::string path;                                         // the target's path, percent-decoded
  std::map<std::string, std::string> query;                 // decoded; a repeated key keeps the last value
  std::map<std::string, std::string> params;                // the route's {placeholders}
  std::map<std::string, std::string, std::less<>> headers;  // lower-case names
  std::string body;
  std::string remote;  // "address:port"

  // The header's value ("" when absent): a view into the request.
  std::string_view header(std::string_view lower_name) const;
  std::optional<std::string> query_value(const std::string& key) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A stream of Server-Sent Events. The connection calls next() whenever it may write; next()
// returns at once with what is ready (possibly nothing) and `wake` is called, from any thread, when
// more is ready. The stream ends when next() returns nullopt (the source is done) or the client
// goes; close() is then called once.
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual void set_wake(std::function<void()> wake) = 0;
  // Text ready to send ("" = nothing yet); nullopt = the stream is over.
  virtual std::optional<std::string> next() = 0;
  virtual void close() = 0;
};

// A handler's answer: a response, or a stream, or (later) the promise of a response: the server
// calls `later` once with `done`, which takes the reply exactly once, from any thread (done must
// not be held up: it hands the reply to the connection). The handler's thread is free meanwhile.
struct HttpReply {
  HttpResponse response;
  std::shared_ptr<EventStream> stream;  // set: 200 text/event-stream, then the stream's events
  std::function<void(std::function<void(HttpReply)> done)> later;
};

using HttpHandler = std::function<HttpReply(HttpRequest&)>;

// The JSON error every endpoint answers with: {"error": {"code", "message", "field"?}}.
HttpResponse error_response(int status, std::string_view code, std::string_view message, std::string_view field = {});

// Method + path templates ("/v1/documents/{kind}/{name}") to handlers. A path that matches no
// template is 404; one that matches with another method is 405 with Allow.
class Router {
 public:
  // Where a route's handler runs: on the handler pool (it may block), or on the connection's I/O
  // thread (it never blocks: it answers at once or `later`), which spares a request two thread
  // switches; a request whose body is over kIoThreadBodyLimit goes to the pool all the same.
  enum class RunOn { kPool, kIoThread };
  static constexpr size_t kIoThreadBodyLimit = 64 * 1024;

  // `route_name` is set to the template that metrics name it by ("GET /v1/documents/{kind}/{name}";
  // "404", "405"): a view into the router, valid as long as it is.
  void add(std::string method, std::string path_template, HttpHandler handler, RunOn run_on = RunOn::kPool);
  HttpReply route(HttpRequest& request, std::string_view* route_name) const;
  // Whether the request's route runs its handler on the I/O thread.
  bool on_io_thread(const HttpRequest& request) const;
  // Every template, for the OpenAPI check.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> parts;  // "{name}" parts capture
    std::string path_template;
    std::string name;  // method + " " + path_template
    HttpHandler handler;
    RunOn run_on = RunOn::kPool;
  };
  static bool match(const Route& r, std::span<const std::string_view> parts,
                    std::map<std::string, std::string>* params);
  std::vector<Route> routes_;
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> create(const HttpServerOptions& options, Router router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  bool tls() const;
  void start();
  // Stops accepting; the requests in their handlers get until `grace` to finish; then every
  // connection is closed and the threads are joined. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  HttpCounters counters() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-decoding of a URL path or query component ('+' is a space in a query); false on a bad escape.
bool url_decode(std::string_view in, bool query, std::string* out);

}  // namespace sensix::api
