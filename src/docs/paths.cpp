#include "docs/paths.h"

#include <filesystem>
#include <regex>

#include <fmt/format.h>

namespace sensix::docs {
namespace fs = std::filesystem;

bool is_dns_label(std::string_view name) {
  static const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return !name.empty() && name.size() <= 63 && std::regex_match(name.begin(), name.end(), kLabel);
}

namespace {

// The resolved path, or "" with *expected set to what the path should have been.
std::string resolve(const std::string& written, const PathRoots& roots, std::string* expected) {
  auto under = [&](std::string_view prefix, const std::string& root) -> std::string {
    const std::string rest = written.substr(prefix.size());
    const fs::path rel = fs::path(rest).lexically_normal();
    if (rest.empty() || rel.is_absolute() || rel.empty() || *rel.begin() == "..") {
      *expected = fmt::format("a relative path after \"{}\" inside {}", prefix, root);
      return "";
    }
    return (fs::path(root) / rel).string();
  };
  if (written.empty()) {
    *expected = "a path";
    return "";
  }
  if (written.starts_with("repo:")) return under("repo:", roots.model_repo);
  if (written.starts_with("samples:")) return under("samples:", roots.samples_dir);
  const fs::path p(written);
  if (p.is_absolute() || roots.base_dir.empty()) return p.lexically_normal().string();
  return (fs::path(roots.base_dir) / p).lexically_normal().string();
}

}  // namespace

std::string resolve_path(const Field& f, const std::string& written, const PathRoots& roots) {
  std::string expected;
  std::string resolved = resolve(written, roots, &expected);
  if (resolved.empty()) f.expected(expected);
  return resolved;
}

Result<std::string> resolve_document_path(const std::string& written, const PathRoots& roots) {
  std::string expected;
  std::string resolved = resolve(written, roots, &expected);
  if (resolved.empty()) return InvalidArgument(fmt::format("{}: expected {}", written, expected));
  return resolved;
}

bool read_path(const MapReader& m, std::string_view key, std::string& resolved, bool required, const PathRoots& roots,
               std::string* written) {
  Field f = required ? m.require(key) : m.get(key);
  if (!f.present()) return false;
  auto s = f.as_string("a path");
  if (!s) return false;
  if (written) *written = *s;
  resolved = resolve_path(f, *s, roots);
  return !resolved.empty();
}

void read_path_digest(const MapReader& m, std::string_view file_key, std::string_view key, std::string& out) {
  Field f = m.get(key);
  if (!f.present()) return;
  if (!m.has(file_key)) {
    f.error(fmt::format("{} is the digest of {}: give it beside {}", key, file_key, file_key));
    return;
  }
  static const std::regex kHex("[0-9a-f]{64}");
  if (f.is_scalar() && std::regex_match(f.node().Scalar(), kHex)) {
    out = f.node().Scalar();
  } else {
    f.expected("64 lowercase hex digits");
  }
}

}  // namespace sensix::docs
