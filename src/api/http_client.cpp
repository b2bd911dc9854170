#include "api/http_client.h"

#include <algorithm>
#include <cctype>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>

namespace sensix::api {

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// One connection: plain or TLS, with the request and the reading of the answer in between.
class Connection {
 public:
  Connection(bool tls, const ClientOptions& o) : tls_(tls), stream_(ioc_), ssl_ctx_(ssl::context::tls_client) {
    if (tls_) {
      if (o.insecure) {
        ssl_ctx_.set_verify_mode(ssl::verify_none);
      } else {
        ssl_ctx_.set_verify_mode(ssl::verify_peer);
        if (o.ca_file.empty()) {
          ssl_ctx_.set_default_verify_paths();
        } else {
          ssl_ctx_.load_verify_file(o.ca_file);
        }
      }
    }
  }

  Status connect(const std::string& host, const std::string& port, std::chrono::seconds timeout) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host, port, ec);
    if (ec) return Unavailable(fmt::format("cannot resolve {}: {}", host, ec.message()));
    beast::get_lowest_layer(stream_).expires_after(timeout);
    beast::get_lowest_layer(stream_).connect(results, ec);
    if (ec) return Unavailable(fmt::format("cannot connect to {}:{}: {}", host, port, ec.message()));
    if (tls_) {
      tls_stream_.emplace(std::move(stream_), ssl_ctx_);
      if (!SSL_set_tlsext_host_name(tls_stream_->native_handle(), host.c_str())) {
        return Unavailable("TLS: cannot set the server name");
      }
      tls_stream_->set_verify_callback(ssl::host_name_verification(host));
      tls_stream_->handshake(ssl::stream_base::client, ec);
      if (ec) return Unavailable(fmt::format("TLS handshake with {}:{} failed: {}", host, port, ec.message()));
    }
    return Status::Ok();
  }

  template <class F>
  auto with_stream(F&& f) {
    if (tls_) return f(*tls_stream_);
    return f(stream_);
  }

 private:
  bool tls_;
  net::io_context ioc_;
  beast::tcp_stream stream_;
  ssl::context ssl_ctx_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
};

http::request<http::string_body> make_request(const std::string& method, const std::string& target,
                                              const std::string& host, const std::string& token,
                                              const std::string& body, const std::string& content_type) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "sensix-cli");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  return req;
}

}  // namespace

Result<HttpClient> HttpClient::create(ClientOptions options) {
  std::string url = options.server;
  HttpClient c(options);
  if (url.starts_with("https://")) {
    c.tls_ = true;
    url = url.substr(8);
  } else if (url.starts_with("http://")) {
    url = url.substr(7);
  } else {
    return InvalidArgument(fmt::format("--server: expected http://HOST:PORT or https://HOST:PORT, got \"{}\"", url));
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.find('/') != std::string::npos) {
    return InvalidArgument(fmt::format("--server: expected no path after the host and port in \"{}\"", options.server));
  }
  size_t colon = url.rfind(':');
  if (!url.empty() && url.front() == '[') {  // [::1]:8000
    const size_t close = url.find(']');
    c.host_ = url.substr(1, close - 1);
    c.port_ = close + 1 < url.size() && url[close + 1] == ':' ? url.substr(close + 2) : (c.tls_ ? "443" : "80");
  } else if (colon != std::string::npos) {
    c.host_ = url.substr(0, colon);
    c.port_ = url.substr(colon + 1);
  } else {
    c.host_ = url;
    c.port_ = c.tls_ ? "443" : "80";
  }
  if (c.host_.empty()) return InvalidArgument(fmt::format("--server: no host in \"{}\"", options.server));
  return c;
}

Result<ClientResponse> HttpClient::request(const std::string& method, const std::string& target,
                                           const std::string& body, const std::string& content_type,
                                           const std::map<std::string, std::string>& headers) const {
  try {
    Connection conn(tls_, options_);
    SENSIX_RETURN_IF_ERROR(conn.connect(host_, port_, options_.timeout));
    auto req = make_request(method, target, host_, options_.token, body, content_type);
    for (const auto& [k, v] : headers) req.set(k, v);
    return conn.with_stream([&](auto& stream) -> Result<ClientResponse> {
      beast::error_code ec;
      http::write(stream, req, ec);
      if (ec) return Unavailable(fmt::format("{} {}: sending the request failed: {}", method, target, ec.message()));
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(256 << 20);
      http::read(stream, buffer, parser, ec);
      if (ec) return Unavailable(fmt::format("{} {}: reading the answer failed: {}", method, target, ec.message()));
      ClientResponse r;
      r.status = parser.get().result_int();
      r.content_type = std::string(parser.get()[http::field::content_type]);
      r.body = std::move(parser.get().body());
      for (const auto& field : parser.get()) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        r.headers[name] = std::string(field.value());
      }
      return r;
    });
  } catch (const std::exception& e) {
    return Unavailable(fmt::format("{} {}: {}", method, target, e.what()));
  }
}

Status HttpClient::stream(const std::string& target, const std::map<std::string, std::string>& headers,
                          const std::function<bool(const SseEvent&)>& on_event, ClientResponse* error_response) const {
  try {
    Connection conn(tls_, options_);
    SENSIX_RETURN_IF_ERROR(conn.connect(host_, port_, std::chrono::seconds(30)));
    auto req = make_request("GET", target, host_, options_.token, "", "");
    req.set(http::field::accept, "text/event-stream");
    for (const auto& [k, v] : headers) req.set(k, v);
    return conn.with_stream([&](auto& stream) -> Status {
      beast::get_lowest_layer(stream).expires_never();
      beast::error_code ec;
      http::write(stream, req, ec);
      if (ec) return Unavailable(fmt::format("GET {}: sending the request failed: {}", target, ec.message()));
      beast::flat_buffer buffer;
      http::response_parser<http::buffer_body> parser;
      parser.body_limit(boost::none);
      http::read_header(stream, buffer, parser, ec);
      if (ec) return Unavailable(fmt::format("GET {}: reading the answer failed: {}", target, ec.message()));
      if (parser.get().result_int() != 200) {
        http::response_parser<http::string_body> rest(std::move(parser));
        http::read(stream, buffer, rest, ec);
        error_response->status = rest.get().result_int();
        error_response->body = rest.get().body();
        return FailedPrecondition("the server refused the stream");
      }
      std::string pending;
      SseEvent ev;
      char chunk[8192];
      while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof(chunk);
        http::read_some(stream, buffer, parser, ec);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) {
          if (ec == http::error::end_of_stream || ec == net::error::eof) return Status::Ok();
          return Unavailable(fmt::format("GET {}: the stream broke: {}", target, ec.message()));
        }
        pending.append(chunk, sizeof(chunk) - parser.get().body().size);
        size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
          std::string line = pending.substr(0, nl);
          pending.erase(0, nl + 1);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.empty()) {
            if (!ev.data.empty() || !ev.event.empty()) {
              if (ev.event.empty()) ev.event = "message";
              if (!ev.data.empty() && ev.data.back() == '\n') ev.data.pop_back();
              if (!on_event(ev)) return Status::Ok();
            }
            ev = SseEvent{};
            continue;
          }
          if (line[0] == ':') continue;  // a comment (keep-alive)
          const size_t colon = line.find(':');
          std::string field = line.substr(0, colon);
          std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
          if (!value.empty() && value[0] == ' ') value.erase(0, 1);
          if (field == "id") ev.id = value;
          if (field == "event") ev.event = value;
          if (field == "data") ev.data += value + "\n";
        }
      }
      return Status::Ok();
    });
  } catch (const std::exception& e) {
    return Unavailable(fmt::format("GET {}: {}", target, e.what()));
  }
}

}  // namespace sensix::api
