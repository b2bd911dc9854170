// verify_artifacts (parser.h): every model file exists, has the sha256 its document states and
// starts like its declared format; every side file (docs/side_files.h) exists and has the digest its
// document states, if it states one. All problems are reported, one per line; the Status code is
// that of the first (NotFound, DataLoss or InvalidArgument).
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "common/artifact_source.h"
#include "common/paths.h"
#include "common/sha256.h"
#include "docs/parser.h"
#include "docs/side_files.h"

namespace sensix {
namespace {

namespace fs = std::filesystem;

bool under(const std::string& path, const std::string& dir) {
  if (dir.empty()) return false;
  const std::string p = fs::path(path).lexically_normal().string();
  std::string d = fs::path(dir).lexically_normal().string();
  if (!d.empty() && d.back() != '/') d += '/';
  return p.starts_with(d);
}

// "; run scripts/setup to fetch it" for files the setup script provides.
std::string setup_hint(const std::string& written, const std::string& path) {
  if (written.starts_with("repo:") || written.starts_with("samples:") || under(path, cache_dir()) ||
      under(path, model_repo_dir())) {
    return " (run scripts/setup to fetch the models)";
  }
  return "";
}

std::string hex_prefix(const std::array<unsigned char, 8>& b, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += fmt::format("{}{:02x}", i ? " " : "", b[i]);
  return out;
}

using Report = StatusList;

// The file at `path` exists and is a regular file; otherwise reports and returns false.
bool check_exists(Report& r, const std::string& prefix, const std::string& written, const std::string& path) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    const std::string shown = written == path ? path : fmt::format("{} ({})", written, path);
    r.add(NotFound(fmt::format("{}: {} does not exist{}", prefix, shown, setup_hint(written, path))));
    return false;
  }
  if (!fs::is_regular_file(st)) {
    r.add(InvalidArgument(fmt::format("{}: {} is not a regular file", prefix, path)));
    return false;
  }
  return true;
}

// One model file: exists, has its sha256, starts like its format. `at` is "spec." or "spec.variants[i].".
void check_model_file(Report& r, const std::string& label, const std::string& at, const std::string& source,
                      const std::string& path, const std::string& sha256, ModelFormat format,
                      std::map<std::string, std::string>& sha_cache, const DigestKnown& known) {
  if (path.empty() && is_remote_source(source)) {
    r.add(
        FailedPrecondition(fmt::format("{}: {}source: {} is fetched by the daemon's model store: apply the document "
                                       "to `sensix serve` (this command reads model files from disk)",
                                       label, at, source)));
    return;
  }
  const std::string file = fs::path(path).filename().string();
  if (check_exists(r, label + ": " + at + "source", source.empty() ? path : source, path)) {
    auto it = sha_cache.find(path);
    if (it == sha_cache.end() && known && known(path, sha256)) it = sha_cache.emplace(path, sha256).first;
    if (it == sha_cache.end()) {
      auto sha = sha256_file(path);
      if (!sha.ok()) {
        r.add(sha.status().with_context(label + ": " + at + "source"));
        return;
      }
      it = sha_cache.emplace(path, *sha).first;
    }
    if (it->second != sha256) {
      r.add(DataLoss(
          fmt::format("{}: {}sha256: {} has sha256 {}, the document says {}", label, at, file, it->second, sha256)));
    } else {
      std::array<unsigned char, 8> head{};
      std::ifstream in(path, std::ios::binary);
      in.read(reinterpret_cast<char*>(head.data()), head.size());
      const size_t n = static_cast<size_t>(in.gcount());
      const bool tflite = n >= 8 && head[4] == 'T' && head[5] == 'F' && head[6] == 'L' && head[7] == '3';
      // An ONNX ModelProto starts with field 1 (ir_version) as a varint: tag byte 0x08.
      const bool onnx = n >= 2 && head[0] == 0x08;
      const bool ok = format == ModelFormat::kOnnx ? onnx : tflite;
      if (!ok) {
        std::string seen = tflite ? "it looks like a TFLite model"
                           : onnx ? "it looks like an ONNX model"
                                  : fmt::format("it starts with {}", n ? hex_prefix(head, n) : "nothing");
        const char* expect = format == ModelFormat::kOnnx ? "an ONNX model (a protobuf starting with byte 08)"
                                                          : "a TFLite model (\"TFL3\" at bytes 4..7)";
        r.add(InvalidArgument(fmt::format("{}: {}format: {} is not {}: {}", label, at, file, expect, seen)));
      }
    }
  }
}

void check_model(Report& r, const ModelDoc& d, std::map<std::string, std::string>& sha_cache,
                 const DigestKnown& known) {
  const std::string label = doc_label(d);
  const ModelSpec& m = d.spec;
  check_model_file(r, label, "spec.", m.source, m.path, m.sha256, m.format, sha_cache, known);
  for (size_t i = 0; i < m.variants.size(); ++i) {
    const VariantSpec& v = m.variants[i];
    check_model_file(r, label, fmt::format("spec.variants[{}].", i), v.source, v.path, v.sha256, v.format, sha_cache,
                     known);
  }
  for (const ConstSideFile& f : side_files(m)) {
    if (f.self_test && f.sha256->empty()) continue;  // a missing input is the self-test's to name
    if (!check_exists(r, label + ": " + f.field, *f.path, *f.path) || f.sha256->empty()) continue;
    auto it = sha_cache.find(*f.path);
    if (it == sha_cache.end() && known && known(*f.path, *f.sha256)) it = sha_cache.emplace(*f.path, *f.sha256).first;
    if (it == sha_cache.end()) {
      auto sha = sha256_file(*f.path);
      if (!sha.ok()) {
        r.add(sha.status().with_context(label + ": " + f.field));
        continue;
      }
      it = sha_cache.emplace(*f.path, *sha).first;
    }
    if (it->second != *f.sha256) {
      r.add(DataLoss(fmt::format("{}: {}: {} has sha256 {}, the document says {}", label, f.digest_field,
                                 fs::path(*f.path).filename().string(), it->second, *f.sha256)));
    }
  }
}

}  // namespace

Status verify_artifacts(const DocumentSet& docs, const DigestKnown& known) {
  Report r;
  std::map<std::string, std::string> sha_cache;
  for (const auto& d : docs.models) check_model(r, d, sha_cache, known);
  return r.status();
}

Status verify_artifacts(const ModelDoc& doc, const DigestKnown& known) {
  Report r;
  std::map<std::string, std::string> sha_cache;
  check_model(r, doc, sha_cache, known);
  return r.status();
}

}  // namespace sensix
