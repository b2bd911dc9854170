#include "docs/side_files.h"

#include <type_traits>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "docs/canonical.h"

namespace sensix {
namespace {

// The side file of a postprocess spec, if its kind names one. `Spec` const or not; File matches.
template <typename File, typename Spec>
void add_postprocess_file(Spec& p, std::vector<File>& out) {
  using T = std::remove_const_t<Spec>;
  const char *kind = nullptr, *file_key = nullptr, *digest_key = nullptr;
  using Str = std::conditional_t<std::is_const_v<Spec>, const std::string, std::string>;
  Str *path = nullptr, *sha = nullptr;
  if constexpr (std::is_same_v<T, ClassifySpec>) {
    kind = "classify", file_key = "labelsFile", digest_key = "labelsSha256";
    path = &p.labels_file, sha = &p.labels_sha256;
  } else if constexpr (std::is_same_v<T, DetectSpec>) {
    kind = "detect", file_key = "labelsFile", digest_key = "labelsSha256";
    path = &p.labels_file, sha = &p.labels_sha256;
  } else if constexpr (std::is_same_v<T, LandmarksSpec>) {
    kind = "landmarks", file_key = "namesFile", digest_key = "namesSha256";
    path = &p.names_file, sha = &p.names_sha256;
  } else if constexpr (std::is_same_v<T, CtcSpec>) {
    kind = "ctc", file_key = "dictionaryFile", digest_key = "dictionarySha256";
    path = &p.dictionary_file, sha = &p.dictionary_sha256;
  }
  if (path == nullptr || path->empty()) return;
  out.push_back({fmt::format("spec.postprocess.{}.{}", kind, file_key),
                 fmt::format("spec.postprocess.{}.{}", kind, digest_key),
                 path,
                 sha,
                 {std::string("spec"), std::string("postprocess"), std::string(kind)},
                 digest_key});
}

template <typename File, typename Spec>
std::vector<File> side_files_of(Spec& spec) {
  std::vector<File> out;
  std::visit([&](auto& p) { add_postprocess_file<File>(p, out); }, spec.postprocess);
  for (size_t i = 0; i < spec.self_test.size(); ++i) {
    auto& t = spec.self_test[i];
    if (t.path.empty()) continue;
    out.push_back({fmt::format("spec.selfTest[{}].input", i),
                   fmt::format("spec.selfTest[{}].inputSha256", i),
                   &t.path,
                   &t.sha256,
                   {std::string("spec"), std::string("selfTest"), i},
                   "inputSha256",
                   /*self_test=*/true});
  }
  return out;
}

// The node `at` names under `root`, or a null node when a step is missing or of another type.
// (Node::reset moves `n` to another node; assigning one Node to another would write through.)
YAML::Node find(const YAML::Node& root, const std::vector<std::variant<std::string, size_t>>& at) {
  YAML::Node n = root;
  for (const auto& step : at) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      if (!n.IsMap() || !n[*key]) return YAML::Node();
      n.reset(n[*key]);
    } else {
      const size_t i = std::get<size_t>(step);
      if (!n.IsSequence() || i >= n.size()) return YAML::Node();
      n.reset(n[i]);
    }
  }
  return n;
}

}  // namespace

std::vector<SideFile> side_files(ModelSpec& spec) { return side_files_of<SideFile>(spec); }
std::vector<ConstSideFile> side_files(const ModelSpec& spec) { return side_files_of<ConstSideFile>(spec); }

std::vector<std::string> side_file_digests(const ModelDoc& doc) {
  std::vector<std::string> out;
  for (const ConstSideFile& f : side_files(doc.spec)) {
    if (!f.sha256->empty()) out.push_back(*f.sha256);
  }
  return out;
}

Status pin_side_files(ModelDoc& doc) {
  std::vector<SideFile> files = side_files(doc.spec);
  if (files.empty()) return Status::Ok();
  YAML::Node root;
  try {
    root.reset(YAML::Load(doc.canonical));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(fmt::format("Model/{}: its canonical text does not parse: {}", doc.metadata.name, e.what()));
  }
  bool changed = false;
  for (const SideFile& f : files) {
    if (f.sha256->empty()) continue;
    YAML::Node holder = find(root, f.at);
    if (!holder.IsMap()) {
      return InvalidArgument(
          fmt::format("Model/{}: its text has no {} to pin the digest in", doc.metadata.name, f.field));
    }
    if (holder[f.digest_key].IsScalar() && holder[f.digest_key].Scalar() == *f.sha256) continue;
    holder[f.digest_key] = *f.sha256;
    changed = true;
  }
  if (changed) doc.canonical = docs::canonical_text(root);
  return Status::Ok();
}

}  // namespace sensix
