#include "control/url_fetch.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/ssl.h>

namespace sensix {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr int kMaxRedirects = 5;

std::string url_text(const ParsedUrl& u) {
  const bool default_port = (u.scheme == "https" && u.port == 443) || (u.scheme == "http" && u.port == 80);
  const std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  return default_port ? fmt::format("{}://{}{}", u.scheme, host, u.path)
                      : fmt::format("{}://{}:{}{}", u.scheme, host, u.port, u.path);
}

// A Location header resolved against `base`: absolute URLs as they are, "/path" on the same server.
Result<ParsedUrl> redirect_target(const ParsedUrl& base, std::string_view location) {
  if (location.starts_with("http://") || location.starts_with("https://")) return parse_url(location);
  if (location.starts_with('/') && !location.starts_with("//")) {
    ParsedUrl same = base;
    same.path = std::string(location);
    return parse_url(url_text(same));
  }
  return InvalidArgument(fmt::format("a redirect to \"{}\", which is not an absolute URL or path", location));
}

// One GET on one connection; sets `location` for a redirect (3xx) instead of reading a body.
Status get_once(const ParsedUrl& url, const UrlFetchOptions& options, const UrlFetchCallbacks& callbacks,
                std::chrono::steady_clock::time_point deadline, std::string& location) {
  const std::string shown = url_text(url);
  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec) return Unavailable(fmt::format("{}: cannot resolve {}: {}", shown, url.host, ec.message()));
  tcp::socket socket(ioc);
  net::connect(socket, endpoints, ec);
  if (ec) return Unavailable(fmt::format("{}: cannot connect: {}", shown, ec.message()));
  // Sync reads and writes give up after the time left (SO_RCVTIMEO/SO_SNDTIMEO), checked again between reads.
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return Unavailable(fmt::format("{}: the time limit passed", shown));
  timeval tv{static_cast<time_t>(left.count() / 1000000), static_cast<suseconds_t>(left.count() % 1000000)};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  std::optional<ssl::stream<tcp::socket>> tls;
  if (url.scheme == "https") {
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.set_default_verify_paths();
    if (!options.ca_file.empty()) {
      ctx.load_verify_file(options.ca_file, ec);
      if (ec) return Unavailable(fmt::format("cannot read the CA file {}: {}", options.ca_file, ec.message()));
    }
    tls.emplace(std::move(socket), ctx);
    if (!SSL_set_tlsext_host_name(tls->native_handle(), url.host.c_str())) {
      return Unavailable(fmt::format("{}: TLS: cannot set the server name", shown));
    }
    tls->set_verify_callback(ssl::host_name_verification(url.host));
    tls->handshake(ssl::stream_base::client, ec);
    if (ec) return Unavailable(fmt::format("{}: TLS handshake failed: {}", shown, ec.message()));
  }

  auto run = [&](auto& stream) -> Status {
    http::request<http::empty_body> req(http::verb::get, url.path, 11);
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "sensix-model-store");
    req.set(http::field::accept_encoding, "identity");
    http::write(stream, req, ec);
    if (ec) return Unavailable(fmt::format("{}: sending the request failed: {}", shown, ec.message()));
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(options.max_bytes);
    http::read_header(stream, buffer, parser, ec);
    if (ec) return Unavailable(fmt::format("{}: reading the answer failed: {}", shown, ec.message()));
    const unsigned status = parser.get().result_int();
    if (status >= 300 && status < 400 && status != 304) {
      location = std::string(parser.get()[http::field::location]);
      if (location.empty()) return Unavailable(fmt::format("{}: a redirect ({}) without a Location", shown, status));
      return Status::Ok();
    }
    if (status == 404) return NotFound(fmt::format("{}: the server has no such file (404)", shown));
    if (status != 200) {
      return Unavailable(
          fmt::format("{}: the server answered {} {}", shown, status, std::string(parser.get().reason())));
    }
    const uint64_t length = parser.content_length().value_or(0);
    if (length > options.max_bytes) {
      return ResourceExhausted(
          fmt::format("{}: {} bytes, more than the {} a model file may have", shown, length, options.max_bytes));
    }
    if (callbacks.on_length) SENSIX_RETURN_IF_ERROR(callbacks.on_length(length));
    std::vector<char> chunk(1 << 16);
    while (!parser.is_done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Unavailable(fmt::format("{}: the download did not finish in time", shown));
      }
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      http::read(stream, buffer, parser, ec);
      if (ec == http::error::need_buffer) ec = {};
      if (ec == http::error::body_limit) {
        return ResourceExhausted(
            fmt::format("{}: longer than the {} bytes a model file may have", shown, options.max_bytes));
      }
      if (ec) return Unavailable(fmt::format("{}: the download broke off: {}", shown, ec.message()));
      const size_t got = chunk.size() - parser.get().body().size;
      if (got > 0 && callbacks.on_data) {
        SENSIX_RETURN_IF_ERROR(callbacks.on_data(std::span<const char>(chunk.data(), got)));
      }
    }
    return Status::Ok();
  };
  return tls ? run(*tls) : run(socket);
}

}  // namespace

Status fetch_url(const ParsedUrl& first, const UrlFetchOptions& options, const UrlFetchCallbacks& callbacks) {
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  ParsedUrl url = first;
  for (int hop = 0;; ++hop) {
    if (!url_allowed(url, options.allowed)) {
      return FailedPrecondition(fmt::format(
          "{}{} is not under a URL prefix this daemon may fetch from ({}); start it with --allow-fetch PREFIX to "
          "allow one",
          url_text(url), hop == 0 ? "" : fmt::format(" (a redirect from {})", url_text(first)),
          options.allowed.empty() ? "none is allowed" : fmt::format("allowed: {}", fmt::join(options.allowed, ", "))));
    }
    std::string location;
    try {
      SENSIX_RETURN_IF_ERROR(get_once(url, options, callbacks, deadline, location));
    } catch (const std::exception& e) {
      return Unavailable(fmt::format("{}: {}", url_text(url), e.what()));
    }
    if (location.empty()) return Status::Ok();
    if (hop >= kMaxRedirects)
      return Unavailable(fmt::format("{}: more than {} redirects", url_text(first), kMaxRedirects));
    Result<ParsedUrl> next = redirect_target(url, location);
    if (!next.ok()) return Unavailable(fmt::format("{}: {}", url_text(url), next.status().message()));
    url = std::move(next).value();
  }
}

}  // namespace sensix
