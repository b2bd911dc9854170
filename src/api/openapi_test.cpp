// The OpenAPI description (openapi.cpp) against the routes it describes, and against the real
// `redocly lint` (@redocly/cli, installed into the cache by scripts/setup) with redocly.yaml's rules.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/control_api.h"
#include "common/paths.h"
#include "support/child_process.h"
#include "support/scoped_env.h"
#include "support/temp_dir.h"

namespace sensix::api {
namespace {

using json = nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

TEST(OpenApi, IsOpenApi31Json) {
  const json doc = json::parse(openapi_json(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "openapi_json() is not valid JSON";
  EXPECT_EQ(doc.value("openapi", ""), "3.1.0");
  EXPECT_EQ(doc["info"].value("title", ""), "sensix");
}

TEST(OpenApi, EveryRouteIsDescribed) {
  const json doc = json::parse(openapi_json());
  ASSERT_TRUE(doc.contains("paths") && doc["paths"].is_object());
  const json& paths = doc["paths"];

  // make_control_router only registers handlers; none runs here, so an empty context will do.
  const Router router = make_control_router(std::make_shared<ControlApiContext>(), ControlApiOptions{});
  const std::vector<std::pair<std::string, std::string>> routes = router.routes();
  ASSERT_FALSE(routes.empty());
  std::set<std::pair<std::string, std::string>> routed;  // (lower-case method, path template)
  for (const auto& [method, path] : routes) {
    const std::string m = lower(method);
    routed.insert({m, path});
    EXPECT_TRUE(paths.contains(path) && paths[path].contains(m))
        << method << " " << path << " is a route of make_control_router but not in openapi.json";
  }

  // No stale entries: every operation of the document is a route.
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
  for (const auto& [path, item] : paths.items()) {
    int operations = 0;
    for (const auto& [key, op] : item.items()) {
      if (!kMethods.contains(key)) continue;
      ++operations;
      EXPECT_TRUE(routed.contains({key, path}))
          << key << " " << path << " is in openapi.json but is no route of make_control_router";
    }
    EXPECT_GT(operations, 0) << path << " in openapi.json has no operation";
  }
}

// Problem lines of `redocly lint --format=stylish`: "  849:7   warning  operation-operationId  ...".
std::vector<std::string> problems_of(const std::string& output) {
  static const std::regex problem(R"(^\s*\d+:\d+\s+(error|warning)\s)");
  std::vector<std::string> out;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, problem)) out.push_back(line);
  }
  return out;
}

TEST(OpenApi, RedoclyLintPasses) {
  const std::string redocly = cache_dir() + "/npm/redocly/node_modules/.bin/redocly";
  // Not a skip: the lint is part of the API's tests, and set-up installs it.
  ASSERT_TRUE(std::filesystem::exists(redocly))
      << redocly
      << " is missing: run scripts/setup (or scripts/install-tools alone): it installs @redocly/cli into the cache";

  sensix::testing::TempDir dir;
  const std::string file = dir.file("openapi.json");
  {
    std::ofstream out(file);
    out << openapi_json();
    ASSERT_TRUE(out.good()) << "cannot write " << file;
  }
  const std::string log = dir.file("redocly.log");
  // No usage reports and no update notices from a test.
  sensix::testing::ScopedEnv telemetry("REDOCLY_TELEMETRY", "off");
  sensix::testing::ScopedEnv notices("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
  sensix::testing::ChildProcess lint;
  ASSERT_TRUE(lint.start(
      {redocly, "lint", "--format=stylish", "--config", std::string(SENSIX_SOURCE_DIR) + "/redocly.yaml", file}, log));
  const int rc = lint.wait(std::chrono::seconds(120));
  const std::string output = sensix::testing::read_text(log);
  EXPECT_EQ(rc, 0) << "redocly lint failed (exit " << rc << "):\n" << output;
  // redocly exits 0 on warnings; the description is to have none either.
  const std::vector<std::string> problems = problems_of(output);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problem(s) from redocly lint:\n" << output;
  EXPECT_NE(output.find("validating"), std::string::npos) << "redocly did not lint the file:\n" << output;
}

}  // namespace
}  // namespace sensix::api
