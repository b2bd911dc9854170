// The HTTP server's routing and decoding, and how a request body is read (the server is tested
// end to end, with real clients, in tests/serve_test.cpp).
#include "api/http_server.h"

#include <random>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

namespace sensix::api {
namespace {

HttpReply answer(const std::string& body) {
  HttpReply r;
  r.response.body = body;
  return r;
}

TEST(Router, MatchesTemplatesAndCapturesPlaceholders) {
  Router router;
  router.add("GET", "/v1/documents", [](HttpRequest&) { return answer("all"); });
  router.add("GET", "/v1/documents/{kind}/{name}",
             [](HttpRequest& r) { return answer(r.params["kind"] + "/" + r.params["name"]); });
  router.add("DELETE", "/v1/documents/{kind}/{name}", [](HttpRequest&) { return answer("deleted"); });
  std::string_view route;
  HttpRequest req;
  req.method = "GET";
  req.path = "/v1/documents/model/hey-jarvis";
  EXPECT_EQ(router.route(req, &route).response.body, "model/hey-jarvis");
  EXPECT_EQ(route, "GET /v1/documents/{kind}/{name}");
  req.path = "/v1/documents/";  // a trailing slash is the same path
  EXPECT_EQ(router.route(req, &route).response.body, "all");
  req.method = "HEAD";  // HEAD is GET without the body
  req.path = "/v1/documents";
  EXPECT_EQ(router.route(req, &route).response.body, "all");
}

TEST(Router, UnknownPathsAre404AndWrongMethods405WithAllow) {
  Router router;
  router.add("GET", "/v1/stats", [](HttpRequest&) { return answer("x"); });
  router.add("PUT", "/v1/log-level", [](HttpRequest&) { return answer("x"); });
  router.add("GET", "/v1/log-level", [](HttpRequest&) { return answer("x"); });
  std::string_view route;
  HttpRequest req;
  req.method = "GET";
  req.path = "/v1/nothing";
  EXPECT_EQ(router.route(req, &route).response.status, 404);
  req.method = "POST";
  req.path = "/v1/log-level";
  HttpReply r = router.route(req, &route);
  EXPECT_EQ(r.response.status, 405);
  ASSERT_EQ(r.response.headers.size(), 1u);
  EXPECT_EQ(r.response.headers[0].second, "PUT, GET");
  EXPECT_NE(r.response.body.find("\"code\": \"MethodNotAllowed\""), std::string::npos);
}

TEST(UrlDecode, DecodesEscapesAndRefusesBadOnes) {
  std::string out;
  EXPECT_TRUE(url_decode("a%20b%2Fc", false, &out));
  EXPECT_EQ(out, "a b/c");
  EXPECT_TRUE(url_decode("a+b", true, &out));
  EXPECT_EQ(out, "a b");
  EXPECT_TRUE(url_decode("a+b", false, &out));
  EXPECT_EQ(out, "a+b");
  EXPECT_FALSE(url_decode("%2", false, &out));
  EXPECT_FALSE(url_decode("%zz", false, &out));
}

TEST(ErrorResponse, IsTheApisErrorObject) {
  HttpResponse r = error_response(400, "InvalidArgument", "bad \"thing\"", "Model/x: spec.source");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({
  "error": {
    "code": "InvalidArgument",
    "field": "Model/x: spec.source",
    "message": "bad \"thing\""
  }
}
)");
}

// A request body reaches its handler byte for byte however it comes: with a Content-Length, over
// many reads (the server reads 64 KiB at a time, into a string it does not zero first), and in
// chunks (no length known ahead); the body limit still refuses a larger one.
TEST(HttpServerBodies, ArriveWholeWithALengthInManyReadsAndInChunks) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  Router router;
  router.add("POST", "/echo", [](HttpRequest& req) {
    HttpReply r;
    r.response.content_type = "application/octet-stream";
    r.response.body = req.body;
    return r;
  });
  HttpServerOptions options;
  options.port = 0;
  options.max_body_bytes = 4 << 20;
  auto server = HttpServer::create(options, std::move(router));
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->start();
  std::mt19937 rng(7);
  std::string big(3 << 20, '\0');
  for (char& c : big) c = static_cast<char>(rng());
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), (*server)->port()});
  auto post = [&](const std::string& body, bool chunked) {
    http::request<http::string_body> req(http::verb::post, "/echo", 11);
    req.set(http::field::host, "127.0.0.1");
    req.body() = body;
    if (chunked) {
      req.chunked(true);
    } else {
      req.prepare_payload();
    }
    beast::error_code ec;  // a refused body: the server answers and closes before it is all written
    http::write(stream, req, ec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> res;
    res.body_limit(16 << 20);
    http::read(stream, buffer, res);
    return std::make_pair(res.get().result_int(), res.get().body());
  };
  for (const bool chunked : {false, true}) {
    // (Beast's client writes an empty chunked body as two last chunks, so it is sent with a length.)
    for (const std::string& body : {std::string("small"), big, std::string()}) {
      if (chunked && body.empty()) continue;
      SCOPED_TRACE(::testing::Message() << (chunked ? "chunked, " : "with a length, ") << body.size() << " bytes");
      const auto [status, echoed] = post(body, chunked);
      EXPECT_EQ(status, 200) << echoed.substr(0, 200);
      EXPECT_EQ(echoed.size(), body.size());
      EXPECT_TRUE(echoed == body);
    }
  }
  const auto [status, refused] = post(big + big, false);
  EXPECT_EQ(status, 413) << refused;
  (*server)->stop();
}

}  // namespace
}  // namespace sensix::api
