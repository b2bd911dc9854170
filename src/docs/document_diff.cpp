#include "docs/document_diff.h"

#include <algorithm>

namespace sensix {
namespace {

// The files a document names, resolved: the same text read from another folder names other files.
std::vector<std::string> files_of(const SensorDoc& d) { return {d.spec.path}; }
std::vector<std::string> files_of(const ModelDoc& d) {
  std::vector<std::string> out = {d.spec.path};
  for (const auto& v : d.spec.variants) out.push_back(v.path);
  return out;
}
std::vector<std::string> files_of(const PipelineDoc&) { return {}; }
std::vector<std::string> files_of(const DeviceDoc&) { return {}; }

template <typename Doc>
bool same(const Doc& a, const Doc& b) {
  if (a.canonical.empty() || b.canonical.empty()) return false;  // not parsed: cannot tell
  return a.canonical == b.canonical && files_of(a) == files_of(b);
}

template <typename Doc>
void diff_kind(std::string_view kind, const std::vector<Doc>& running, const std::vector<Doc>& desired,
               std::vector<DocDiffEntry>* out) {
  auto find = [](const std::vector<Doc>& list, const std::string& name) -> const Doc* {
    for (const auto& d : list) {
      if (d.metadata.name == name) return &d;
    }
    return nullptr;
  };
  for (const auto& d : desired) {
    const Doc* r = find(running, d.metadata.name);
    const DocChange c = !r ? DocChange::kAdded : same(*r, d) ? DocChange::kUnchanged : DocChange::kChanged;
    out->push_back({std::string(kind), d.metadata.name, c});
  }
  for (const auto& r : running) {
    if (!find(desired, r.metadata.name)) out->push_back({std::string(kind), r.metadata.name, DocChange::kRemoved});
  }
}

}  // namespace

std::string_view doc_change_name(DocChange c) {
  switch (c) {
    case DocChange::kAdded: return "added";
    case DocChange::kRemoved: return "removed";
    case DocChange::kChanged: return "changed";
    case DocChange::kUnchanged: return "unchanged";
  }
  return "?";
}

DocChange DocumentDiff::of(std::string_view kind, std::string_view name) const {
  for (const auto& e : entries) {
    if (e.kind == kind && e.name == name) return e.change;
  }
  return DocChange::kAdded;
}

std::vector<std::string> DocumentDiff::names(std::string_view kind, DocChange c) const {
  std::vector<std::string> out;
  for (const auto& e : entries) {
    if (e.kind == kind && e.change == c) out.push_back(e.name);
  }
  return out;
}

bool DocumentDiff::any_change() const {
  return std::any_of(entries.begin(), entries.end(), [](const auto& e) { return e.change != DocChange::kUnchanged; });
}

DocumentDiff diff_documents(const DocumentSet& running, const DocumentSet& desired) {
  DocumentDiff d;
  diff_kind("Sensor", running.sensors, desired.sensors, &d.entries);
  diff_kind("Model", running.models, desired.models, &d.entries);
  diff_kind("Pipeline", running.pipelines, desired.pipelines, &d.entries);
  diff_kind("Device", running.devices, desired.devices, &d.entries);
  return d;
}

bool same_document(const SensorDoc& a, const SensorDoc& b) { return same(a, b); }
bool same_document(const ModelDoc& a, const ModelDoc& b) { return same(a, b); }
bool same_document(const PipelineDoc& a, const PipelineDoc& b) { return same(a, b); }
bool same_document(const DeviceDoc& a, const DeviceDoc& b) { return same(a, b); }

}  // namespace sensix
