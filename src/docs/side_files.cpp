#include "docs/side_files.h"

#include <type_traits>
#include <variant>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "docs/canonical.h"

namespace sensix {
namespace {

struct Keys {
  const char* kind;    // spec.postprocess.<kind>
  const char* file;    // its file key
  const char* digest;  // its digest key
};

// The side file of a postprocess spec and its keys; null path when the kind names no file.
template <typename Spec>
void add_side_file(Spec& p, std::vector<SideFile>& out) {
  using T = std::remove_const_t<Spec>;
  Keys k{};
  std::string *path = nullptr, *sha = nullptr;
  if constexpr (std::is_same_v<T, ClassifySpec>) {
    k = {"classify", "labelsFile", "labelsSha256"};
    path = &p.labels_file, sha = &p.labels_sha256;
  } else if constexpr (std::is_same_v<T, DetectSpec>) {
    k = {"detect", "labelsFile", "labelsSha256"};
    path = &p.labels_file, sha = &p.labels_sha256;
  } else if constexpr (std::is_same_v<T, LandmarksSpec>) {
    k = {"landmarks", "namesFile", "namesSha256"};
    path = &p.names_file, sha = &p.names_sha256;
  } else if constexpr (std::is_same_v<T, CtcSpec>) {
    k = {"ctc", "dictionaryFile", "dictionarySha256"};
    path = &p.dictionary_file, sha = &p.dictionary_sha256;
  }
  if (path == nullptr || path->empty()) return;
  out.push_back({fmt::format("spec.postprocess.{}.{}", k.kind, k.file),
                 fmt::format("spec.postprocess.{}.{}", k.kind, k.digest), path, sha, k.kind, k.digest});
}

}  // namespace

std::vector<SideFile> side_files(ModelSpec& spec) {
  std::vector<SideFile> out;
  std::visit([&](auto& p) { add_side_file(p, out); }, spec.postprocess);
  return out;
}

std::vector<std::string> side_file_digests(const ModelDoc& doc) {
  ModelSpec spec = doc.spec;  // side_files() hands out pointers into the spec it is given
  std::vector<std::string> out;
  for (const SideFile& f : side_files(spec)) {
    if (!f.sha256->empty()) out.push_back(*f.sha256);
  }
  return out;
}

Status pin_side_files(ModelDoc& doc) {
  std::vector<SideFile> files = side_files(doc.spec);
  if (files.empty()) return Status::Ok();
  YAML::Node root;
  try {
    root = YAML::Load(doc.canonical);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(fmt::format("Model/{}: its canonical text does not parse: {}", doc.metadata.name, e.what()));
  }
  bool changed = false;
  for (const SideFile& f : files) {
    if (f.sha256->empty()) continue;
    const std::string& kind = f.kind;
    const std::string& key = f.digest_key;
    if (!root.IsMap() || !root["spec"].IsMap() || !root["spec"]["postprocess"].IsMap() ||
        !root["spec"]["postprocess"][kind].IsMap()) {
      return InvalidArgument(
          fmt::format("Model/{}: its text has no spec.postprocess.{} to pin {} in", doc.metadata.name, kind, f.field));
    }
    YAML::Node post = root["spec"]["postprocess"][kind];
    if (post[key].IsScalar() && post[key].Scalar() == *f.sha256) continue;
    post[key] = *f.sha256;
    changed = true;
  }
  if (changed) doc.canonical = docs::canonical_text(root);
  return Status::Ok();
}

}  // namespace sensix
