// Document diff: what differs between a running set of documents and a desired one, document by
// document (kind and name), the first step of applying documents to a running device
// (Runtime::apply). Two documents are the same when their canonical text (Document::canonical) and
// the files they name, as resolved, are the same; a document without canonical text (made in
// code, not parsed) counts as changed.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.h"

namespace sensix {

enum class DocChange { kAdded, kRemoved, kChanged, kUnchanged };
std::string_view doc_change_name(DocChange c);  // "added", "removed", "changed", "unchanged"

struct DocDiffEntry {
  std::string kind;  // "Sensor", "Model", "Pipeline", "Device"
  std::string name;
  DocChange change = DocChange::kUnchanged;
};

struct DocumentDiff {
  // Every document of either set, sensors, then models, pipelines and devices, each in the order
  // of the desired set, then those only in the running set.
  std::vector<DocDiffEntry> entries;

  DocChange of(std::string_view kind, std::string_view name) const;  // kAdded when in neither set
  // Documents of `kind` with the change `c`.
  std::vector<std::string> names(std::string_view kind, DocChange c) const;
  bool any_change() const;
};

DocumentDiff diff_documents(const DocumentSet& running, const DocumentSet& desired);

bool same_document(const SensorDoc& a, const SensorDoc& b);
bool same_document(const ModelDoc& a, const ModelDoc& b);
bool same_document(const PipelineDoc& a, const PipelineDoc& b);
bool same_document(const DeviceDoc& a, const DeviceDoc& b);

}  // namespace sensix
