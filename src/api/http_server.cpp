#include "api/http_server.h"

#include <condition_variable>
#include <deque>
#include <set>
#include <thread>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/container/small_vector.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sensix::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// The path's segments, as views into it (a request's path is split with no string copied, and
// with no allocation for up to 8 segments).
using PathParts = boost::container::small_vector<std::string_view, 8>;
PathParts split_path(std::string_view path) {
  PathParts parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t j = path.find('/', i);
    parts.push_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j;
  }
  return parts;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool url_decode(std::string_view in, bool query, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && query) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string_view HttpRequest::header(std::string_view lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string> HttpRequest::query_value(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

HttpResponse error_response(int status, std::string_view code, std::string_view message, std::string_view field) {
  nlohmann::json e = {{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", e}}.dump(2) + "\n";
  return r;
}

// ------------------------------------------------------------------------------------------------
// Router

void Router::add(std::string method, std::string path_template, HttpHandler handler, RunOn run_on) {
  Route r;
  r.method = std::move(method);
  for (std::string_view part : split_path(path_template)) r.parts.emplace_back(part);
  r.path_template = std::move(path_template);
  r.name = r.method + " " + r.path_template;
  r.handler = std::move(handler);
  r.run_on = run_on;
  routes_.push_back(std::move(r));
}

bool Router::on_io_thread(const HttpRequest& request) const {
  if (request.body.size() > kIoThreadBodyLimit) return false;
  const PathParts parts = split_path(request.path);
  for (const Route& r : routes_) {
    if (r.method == request.method && match(r, parts, nullptr)) return r.run_on == RunOn::kIoThread;
  }
  return false;
}

bool Router::match(const Route& r, std::span<const std::string_view> parts,
                   std::map<std::string, std::string>* params) {
  if (r.parts.size() != parts.size()) return false;
  const auto placeholder = [](const std::string& t) { return t.size() > 2 && t.front() == '{' && t.back() == '}'; };
  for (size_t i = 0; i < parts.size(); ++i) {
    if (placeholder(r.parts[i]) ? parts[i].empty() : r.parts[i] != parts[i]) return false;
  }
  if (params != nullptr) {  // a match: its placeholders' values
    params->clear();
    for (size_t i = 0; i < parts.size(); ++i) {
      if (placeholder(r.parts[i])) (*params)[r.parts[i].substr(1, r.parts[i].size() - 2)] = std::string(parts[i]);
    }
  }
  return true;
}

HttpReply Router::route(HttpRequest& request, std::string_view* route_name) const {
  const PathParts parts = split_path(request.path);
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (!match(r, parts, nullptr)) continue;
    if (r.method != request.method && !(request.method == "HEAD" && r.method == "GET")) {
      allowed.push_back(r.method);
      continue;
    }
    match(r, parts, &request.params);
    *route_name = r.name;
    return r.handler(request);
  }
  HttpReply reply;
  if (!allowed.empty()) {
    *route_name = "405";
    std::string allow;
    for (const std::string& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    reply.response = error_response(405, "MethodNotAllowed",
                                    fmt::format("{} is not allowed on {} (allowed: {})", request.method, request.path,
                                                allow));
    reply.response.headers.emplace_back("Allow", allow);
    return reply;
  }
  *route_name = "404";
  reply.response = error_response(404, "NotFound", fmt::format("no endpoint {}", request.path));
  return reply;
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : routes_) out.emplace_back(r.method, r.path_template);
  return out;
}

// ------------------------------------------------------------------------------------------------
// The server

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, Router router)
      : options_(options), router_(std::move(router)), iocs_(make_contexts(options.io_threads)), acceptor_(*iocs_[0]) {}

  Status open();
  void start();
  void stop(std::chrono::milliseconds grace);

  HttpCounters counters() const {
    std::lock_guard<std::mutex> lock(mu_);
    HttpCounters c = counters_;
    c.open_connections = open_.load();
    return c;
  }

  // A request, from a session: runs its handler on the pool (or here, for a route that runs on the
  // I/O thread), then `done` with the reply (at once, or when a `later` reply comes).
  void handle(HttpRequest request, std::function<void(HttpReply)> done);
  void run(HttpRequest& request, std::function<void(HttpReply)> done);
  // A response the server makes itself (limits, parse errors), counted.
  void count(std::string_view route, int status) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counters_.requests.find(std::pair<std::string_view, int>(route, status));
    if (it == counters_.requests.end()) it = counters_.requests.emplace(std::pair(std::string(route), status), 0).first;
    ++it->second;
  }
  void count_sse(int64_t subscribers, uint64_t sent) {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.sse_subscribers += subscribers;
    counters_.sse_events_sent += sent;
  }
  void add_sse_dropped(uint64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.sse_events_dropped += n;
  }

  const HttpServerOptions& options() const { return options_; }
  uint16_t port() const { return port_; }
  bool tls() const { return ssl_.has_value(); }

  // Sessions register so that stop() can close them.
  // Entries of closed sessions are pruned as the list doubles: a weak_ptr keeps the memory of its
  // make_shared block, so a daemon serving requests for months must not keep them.
  void add_session(std::weak_ptr<void> s, std::function<void()> closer) {
    std::lock_guard<std::mutex> lock(mu_);
    if (sessions_.size() >= prune_at_) {
      std::erase_if(sessions_, [](const auto& e) { return e.first.expired(); });
      prune_at_ = std::max<size_t>(64, 2 * sessions_.size());
    }
    sessions_.emplace_back(std::move(s), std::move(closer));
  }

  void session_ended() { --open_; }
  bool stopping() const { return stopping_.load(); }

 private:
  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  HttpServerOptions options_;
  Router router_;
  // Declared before the io_context: sessions that its destructor frees still count here.
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  int in_flight_ = 0;  // requests in their handlers or being written
  HttpCounters counters_;
  std::vector<std::pair<std::weak_ptr<void>, std::function<void()>>> sessions_;
  size_t prune_at_ = 64;
  std::atomic<int> open_{0};
  std::atomic<bool> stopping_{false};
  // One event loop per I/O thread, each connection on one of them (round robin): a loop run by one
  // thread takes no lock against another and never hands a connection's work to a second thread
  // (one shared loop run by two threads cost each request several futex and epoll_ctl calls).
  static std::vector<std::unique_ptr<net::io_context>> make_contexts(int n) {
    std::vector<std::unique_ptr<net::io_context>> v;
    for (int i = 0; i < std::max(1, n); ++i) v.push_back(std::make_unique<net::io_context>(1));
    return v;
  }
  std::vector<std::unique_ptr<net::io_context>> iocs_;
  size_t next_ioc_ = 0;  // the loop of the next accepted connection (the acceptor's loop only)
  // From start() to stop(), one per loop.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::optional<ssl::context> ssl_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::unique_ptr<net::thread_pool> pool_;
  std::vector<std::thread> threads_;
  bool started_ = false, stopped_ = false;
  friend class HttpServer;

 public:
  void request_done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--in_flight_ == 0) idle_cv_.notify_all();
  }
};

namespace {

// A request body read into a std::string as Beast's string_body does, without its resize before
// each copy (which writes every byte of the body once more, as zeros, before copying it).
struct RequestBody {
  using value_type = std::string;

  static uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<uint64_t>& length, beast::error_code& ec) {
      ec = {};
      if (!length) return;
      if (*length > body_.max_size()) {
        ec = http::error::buffer_overflow;
        return;
      }
      // The parser's body_limit has bounded it. The room after it lets simdjson parse the body in
      // place (it reads up to 64 bytes past a document's end).
      body_.reserve(static_cast<size_t>(*length) + 64);
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      ec = {};
      size_t n = 0;
      for (const net::const_buffer b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      return n;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// The buffer room for a request body's reads (Beast reads at most 64 KiB at a time).
constexpr uint64_t kBodyReadChunk = 64 * 1024;
constexpr size_t kNextHeadRoom = 4 * 1024;

// One connection. Stream: beast::tcp_stream, or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(HttpServer::Impl* server, std::string remote, Args&&... args)
      : server_(server),
        remote_(std::move(remote)),
        stream_(std::forward<Args>(args)...),
        deadline_(stream_.get_executor()) {}
  ~Session() {
    if (event_stream_) event_stream_->close();
    if (subscribed_) server_->count_sse(-1, 0);
    server_->session_ended();
  }

  void run() {
    auto self = this->shared_from_this();
    server_->add_session(self, [weak = std::weak_ptr<Session>(self)] {
      if (auto s = weak.lock()) net::post(s->stream_.get_executor(), [s] { s->shutdown(); });
    });
    net::dispatch(stream_.get_executor(), [self] { self->begin(); });
  }

  // An over-the-limit connection: one 503, then close.
  void reject() {
    auto self = this->shared_from_this();
    net::dispatch(stream_.get_executor(), [self] {
      HttpReply reply;
      reply.response = error_response(503, "Unavailable", "too many open connections; try again later");
      self->keep_alive_ = false;
      self->server_->count("rejected", 503);
      self->write_response(reply.response, false);
    });
  }

 private:
  void begin() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(server_->options().request_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->shutdown();
        beast::get_lowest_layer(self->stream_).expires_never();  // our own deadline from here (arm)
        self->read(true);
      });
    } else {
      read(true);
    }
  }

  void read(bool first) {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(server_->options().max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
    arm(first ? server_->options().request_timeout : server_->options().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    // The rest of the request must arrive within the request timeout.
    arm(server_->options().request_timeout);
    // Beast reads at most the buffer's free capacity (at least 512 bytes, at most 64 KiB) per read:
    // without room, a 786 KB tensor took 1,500 reads of 512 bytes, milliseconds of a request. The
    // room also takes the next request's head, so that a keep-alive client's next small request
    // (head and body) arrives in one read.
    if (const auto length = parser_->content_length(); length) {
      const size_t want = buffer_.size() + static_cast<size_t>(std::min<uint64_t>(*length, kBodyReadChunk)) +
                          kNextHeadRoom;
      if (buffer_.capacity() < want) buffer_.reserve(want);
    }
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code e, size_t) { self->on_read(e); });
  }

  // The time a read (or a response's write) may take. Our own timer rather than the stream's
  // expiry, which would close the socket: at a read's deadline it cancels the read and leaves the
  // socket open for the 408. arm() and disarm() only set the deadline; the timer wakes at its own
  // expiry and, finding the deadline moved later, sleeps again until then. So a keep-alive request
  // makes no timer call (re-arming the timer at each read and write cost three timerfd_settime calls
  // per request, and its cancelled waits a handler each); a connection's timer wakes about once a
  // request timeout.
  void arm(std::chrono::milliseconds d, bool writing = false) {
    timed_out_ = false;
    writing_response_ = writing;
    deadline_at_ = std::chrono::steady_clock::now() + d;
    if (!timer_waiting_ || deadline_at_ < deadline_.expiry()) wait_timer();
  }
  void disarm() { deadline_at_ = std::chrono::steady_clock::time_point::max(); }

  void wait_timer() {
    timer_waiting_ = true;
    deadline_.expires_at(deadline_at_);  // a wait pending already ends with operation_aborted
    deadline_.async_wait([weak = std::weak_ptr<Session>(this->shared_from_this())](beast::error_code ec) {
      if (auto self = weak.lock(); self && ec != net::error::operation_aborted) self->on_timer();
    });
  }

  void on_timer() {
    timer_waiting_ = false;
    if (closed_ || deadline_at_ == std::chrono::steady_clock::time_point::max()) return;  // the next arm waits
    if (std::chrono::steady_clock::now() < deadline_at_) return wait_timer();
    timed_out_ = true;
    beast::error_code ignored;
    if (writing_response_) {  // a client that does not read its response: closed
      return shutdown();
    }
    // Cancel the read; and since the timer may fire between two of the composed read's steps
    // (when nothing is pending to cancel), also end the socket's receiving side, so that the
    // next step fails at once. The sending side stays open for the 408.
    beast::get_lowest_layer(stream_).socket().cancel(ignored);
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_receive, ignored);
  }

  void on_read_error(beast::error_code ec) {
    disarm();
    if (timed_out_) ec = beast::error::timeout;  // whatever the cut-off read reports
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted || ec == ssl::error::stream_truncated) {
      return shutdown();
    }
    keep_alive_ = false;
    if (ec == beast::error::timeout) {
      // A connection that sent nothing is closed quietly; a request cut short by the timeout gets 408.
      if (buffer_.size() == 0 && !parser_->got_some()) return shutdown();
      server_->count("timeout", 408);
      return write_response(error_response(408, "RequestTimeout",
                                           fmt::format("the request did not arrive whole within {} ms",
                                                       server_->options().request_timeout.count())),
                            false);
    }
    if (ec == http::error::body_limit) {
      server_->count("too-large", 413);
      return write_response(error_response(413, "PayloadTooLarge",
                                           fmt::format("the request body is larger than {} bytes",
                                                       server_->options().max_body_bytes)),
                            false);
    }
    if (ec == http::error::header_limit) {
      server_->count("too-large", 431);
      return write_response(error_response(431, "HeadersTooLarge",
                                           fmt::format("the request headers are larger than {} bytes",
                                                       server_->options().max_header_bytes)),
                            false);
    }
    server_->count("malformed", 400);
    write_response(error_response(400, "BadRequest", "malformed HTTP request: " + ec.message()), false);
  }

  void on_read(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    disarm();
    http::request<RequestBody> msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    const std::string_view target = msg.target();
    const size_t q = target.find('?');
    bool ok = url_decode(target.substr(0, q), false, &req.path);
    if (ok && q != std::string_view::npos) {
      std::string_view rest = target.substr(q + 1);
      while (!rest.empty() && ok) {
        const size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const size_t eq = pair.find('=');
        std::string key, value;
        ok = url_decode(pair.substr(0, eq), true, &key) &&
             (eq == std::string_view::npos || url_decode(pair.substr(eq + 1), true, &value));
        if (!key.empty()) req.query[key] = value;
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
      }
    }
    if (!ok) {
      server_->count("malformed", 400);
      return write_response(error_response(400, "BadRequest", "malformed percent-escape in the request target"),
                            keep_alive_);
    }
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    req.remote = remote_;
    head_ = msg.method() == http::verb::head;
    // The reply is written at once where it comes on this connection's own thread (a request run
    // there: Scheduler::run_here), else handed to it.
    server_->handle(std::move(req), [self = this->shared_from_this()](HttpReply reply) {
      net::dispatch(self->stream_.get_executor(),
                    [self, r = std::move(reply)]() mutable { self->on_reply(std::move(r)); });
    });
  }

  void on_reply(HttpReply reply) {
    if (reply.stream) return start_stream(std::move(reply.stream));
    write_response(std::move(reply.response), keep_alive_ && !server_->stopping(), true);
  }

  // The response's head is written here as text (status line, our few fields, Content-Length),
  // then head and body go out in one gather write: Beast's serializer for the same response took
  // about as many instructions as the rest of a small request's handling. Parsing stays Beast's.
  void write_response(HttpResponse r, bool keep_alive, bool counted_in_flight = false) {
    struct Out {
      std::string head, body;
    };
    auto out = std::make_shared<Out>();
    const unsigned status = static_cast<unsigned>(r.status);
    const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
    out->head.reserve(128);
    out->head += "HTTP/1.1 ";
    out->head += std::to_string(status);
    out->head += ' ';
    out->head.append(reason.data(), reason.size());
    out->head += "\r\nServer: sensix\r\nContent-Type: ";
    out->head += r.content_type;
    out->head += "\r\n";
    for (const auto& [k, v] : r.headers) {
      out->head += k;
      out->head += ": ";
      out->head += v;
      out->head += "\r\n";
    }
    if (!keep_alive) out->head += "Connection: close\r\n";
    out->head += "Content-Length: ";
    out->head += std::to_string(r.body.size());
    out->head += "\r\n\r\n";
    if (!head_) out->body = std::move(r.body);  // HEAD: the length of the body GET would have, no body
    const std::array<net::const_buffer, 2> buffers{net::buffer(out->head), net::buffer(out->body)};
    auto written = [self = this->shared_from_this(), out, keep_alive, counted_in_flight](beast::error_code ec, size_t) {
      self->disarm();
      if (counted_in_flight) self->server_->request_done();
      if (ec || !keep_alive) return self->shutdown();
      self->read(false);
    };
    beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(buffers);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      // A response that fits the socket's send buffer (nearly all) is sent here and now: one
      // sendmsg, and the connection reads on at once, where an asynchronous write always takes a
      // trip through the event loop for its completion. What does not fit is written
      // asynchronously. (The socket is non-blocking for this call: see on_accept.)
      beast::error_code ec;
      const size_t n = beast::get_lowest_layer(stream_).socket().write_some(buffers, ec);
      if (!ec && n == out->head.size() + out->body.size()) return written(ec, n);
      if (ec && ec != net::error::would_block && ec != net::error::try_again) return written(ec, 0);
      rest.consume(ec ? 0 : n);
    }
    arm(server_->options().idle_timeout, true);
    net::async_write(stream_, rest, std::move(written));
  }

  // Server-Sent Events: the header, then whatever the stream has, as it comes.
  void start_stream(std::shared_ptr<EventStream> stream) {
    server_->request_done();  // a stream is not a request in flight: stop() does not wait for it
    event_stream_ = std::move(stream);
    subscribed_ = true;
    server_->count_sse(1, 0);
    auto weak = std::weak_ptr<Session>(this->shared_from_this());
    event_stream_->set_wake([weak] {
      if (auto s = weak.lock()) net::post(s->stream_.get_executor(), [s] { s->pump(); });
    });
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, 11);
    res->set(http::field::server, "sensix");
    res->set(http::field::content_type, "text/event-stream");
    res->set(http::field::cache_control, "no-cache");
    res->keep_alive(false);  // the body runs until either side closes
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    beast::get_lowest_layer(stream_).expires_never();
    http::async_write_header(stream_, *sr, [self = this->shared_from_this(), res, sr](beast::error_code ec, size_t) {
      if (ec) return self->shutdown();
      self->watch_peer();
      self->pump();
    });
  }

  // A read that completes only when the client closes (or sends something, which is ignored).
  void watch_peer() {
    stream_.async_read_some(net::buffer(peer_buf_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->shutdown();
      self->watch_peer();
    });
  }

  void pump() {
    if (closed_ || writing_ || !event_stream_) return;
    std::optional<std::string> text = event_stream_->next();
    if (!text) return shutdown();
    if (text->empty()) return;
    writing_ = true;
    auto data = std::make_shared<std::string>(std::move(*text));
    net::async_write(stream_, net::buffer(*data),
                     [self = this->shared_from_this(), data](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->shutdown();
                       self->pump();
                     });
  }

  void shutdown() {
    if (closed_) return;
    closed_ = true;
    deadline_.cancel();
    if (event_stream_) {
      event_stream_->close();
      event_stream_.reset();
    }
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

  HttpServer::Impl* server_;
  std::string remote_;
  Stream stream_;
  net::steady_timer deadline_;
  std::chrono::steady_clock::time_point deadline_at_ = std::chrono::steady_clock::time_point::max();  // arm()
  bool timer_waiting_ = false;     // deadline_ has a wait pending
  bool writing_response_ = false;  // the deadline is a response's write's
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<RequestBody>> parser_;
  bool keep_alive_ = true;
  bool head_ = false;
  bool closed_ = false;
  bool writing_ = false;
  bool subscribed_ = false;
  bool timed_out_ = false;
  std::shared_ptr<EventStream> event_stream_;
  std::array<char, 256> peer_buf_{};
};

}  // namespace

Status HttpServer::Impl::open() {
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options_.address, ec);
  if (ec) return InvalidArgument(fmt::format("--listen: \"{}\" is not an IP address", options_.address));
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
      return InvalidArgument("TLS needs both a certificate file and a key file");
    }
    ssl_.emplace(ssl::context::tls_server);
    ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    ssl_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return InvalidArgument(
          fmt::format("--tls-cert {}: cannot read the certificate chain: {}", options_.tls_cert_file, ec.message()));
    }
    ssl_->use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return InvalidArgument(
          fmt::format("--tls-key {}: cannot read the private key: {}", options_.tls_key_file, ec.message()));
    }
  }
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable(fmt::format("cannot listen on {}:{}: {}", options_.address, options_.port, ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  return Status::Ok();
}

void HttpServer::Impl::start() {
  if (started_) return;
  started_ = true;
  pool_ = std::make_unique<net::thread_pool>(options_.handler_threads);
  // The I/O threads run until stop(), even when no socket has an operation pending: while stop()
  // waits for the requests in flight, the acceptor is closed and a request in its handler has
  // nothing pending, and its reply must still be written.
  for (auto& ioc : iocs_) work_.push_back(net::make_work_guard(*ioc));
  accept();
  for (auto& ioc : iocs_) threads_.emplace_back([c = ioc.get()] { c->run(); });
}

void HttpServer::Impl::accept() {
  net::io_context& loop = *iocs_[next_ioc_++ % iocs_.size()];
  acceptor_.async_accept(loop, [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopping_) return;
  if (ec) {
    if (ec != net::error::operation_aborted) spdlog::warn("http: accept failed: {}", ec.message());
    if (acceptor_.is_open()) accept();
    return;
  }
  beast::error_code ignored;
  const tcp::endpoint peer = socket.remote_endpoint(ignored);
  // Small request/response exchanges: no Nagle delay on a response written in parts; and the
  // socket's synchronous calls do not block (Session::write_response tries a send at once).
  socket.set_option(tcp::no_delay(true), ignored);
  socket.non_blocking(true, ignored);
  const std::string remote = fmt::format("{}:{}", peer.address().to_string(), peer.port());
  const bool over = open_.load() >= options_.max_connections;
  ++open_;
  if (over) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counters_.rejected_connections;
    }
    if (ssl_) {
      socket.close(ignored);
      --open_;
    } else {
      std::make_shared<Session<beast::tcp_stream>>(this, remote, std::move(socket))->reject();
    }
  } else if (ssl_) {
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(this, remote, std::move(socket), *ssl_)->run();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(this, remote, std::move(socket))->run();
  }
  accept();
}

void HttpServer::Impl::handle(HttpRequest request, std::function<void(HttpReply)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++in_flight_;
  }
  if (!stopping_ && router_.on_io_thread(request)) return run(request, std::move(done));
  net::post(*pool_, [this, req = std::move(request), done = std::move(done)]() mutable { run(req, std::move(done)); });
}

void HttpServer::Impl::run(HttpRequest& req, std::function<void(HttpReply)> done) {
  std::string_view route = "unknown";  // a view into the router (or a literal)
  HttpReply reply;
  if (stopping_) {
    reply.response = error_response(503, "Unavailable", "the server is shutting down");
    route = "stopping";
  } else {
    try {
      reply = router_.route(req, &route);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {}: {}", req.method, req.path, e.what());
      reply = HttpReply{};
      reply.response = error_response(500, "InternalError", e.what());
    }
  }
  if (reply.later) {
    auto later = std::move(reply.later);
    later([this, route, done = std::move(done)](HttpReply r) {
      count(route, r.stream ? 200 : r.response.status);
      done(std::move(r));
    });
    return;
  }
  count(route, reply.stream ? 200 : reply.response.status);
  done(std::move(reply));
}

void HttpServer::Impl::stop(std::chrono::milliseconds grace) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_ = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
  }
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [weak, closer] : sessions_) {
      if (!weak.expired()) closers.push_back(closer);
    }
    sessions_.clear();
  }
  for (auto& c : closers) c();
  pool_->join();
  // Let the closes run, then stop the loop.
  work_.clear();
  for (auto& ioc : iocs_) net::post(*ioc, [c = ioc.get()] { c->stop(); });
  for (auto& t : threads_) t.join();
  threads_.clear();
}

// ------------------------------------------------------------------------------------------------

Result<std::unique_ptr<HttpServer>> HttpServer::create(const HttpServerOptions& options, Router router) {
  auto impl = std::make_unique<Impl>(options, std::move(router));
  SENSIX_RETURN_IF_ERROR(impl->open());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }
uint16_t HttpServer::port() const { return impl_->port(); }
bool HttpServer::tls() const { return impl_->tls(); }
void HttpServer::start() { impl_->start(); }
void HttpServer::stop(std::chrono::milliseconds grace) { impl_->stop(grace); }
HttpCounters HttpServer::counters() const { return impl_->counters(); }

}  // namespace sensix::api
