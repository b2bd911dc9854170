// The HTTP server's routing and decoding (the server itself is tested end to end, with real
// clients, in tests/serve_test.cpp).
#include "api/http_server.h"

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
  std::string route;
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
  std::string route;
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

}  // namespace
}  // namespace sensix::api
