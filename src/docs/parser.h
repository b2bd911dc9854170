// Reads Sensor, Model and Pipeline documents (YAML or JSON, one or more per file, separated by
// "---") into typed structs, and validates them. The only place in sensix that reads YAML.
//
// Every error names the file, the document, the field path and what was expected, e.g.
//   quickstart.yaml: Model/hey-jarvis: spec.inputs[0].audio.sampleRate: expected a positive integer, got "fast" (line 23)
// Unknown fields are errors. All errors found are reported, one per line, in the order of
// the files; the Status is InvalidArgument (or NotFound/DataLoss for artifacts).
//
// Thread-safety: pure functions (they read files and the environment).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

struct ParseOptions {
  std::string model_repo;   // "repo:" prefix; empty = model_repo_dir()
  std::string samples_dir;  // "samples:" prefix; empty = samples_dir()
};

// Parses files and directories (every *.yaml, *.yml and *.json inside, sorted by name),
// checks each document on its own and then checks references across all of them
// (validate_references). Does not read model artifacts.
Result<DocumentSet> parse_document_files(const std::vector<std::string>& paths, const ParseOptions& options = {});

// What read_document_files gives: every problem, and the part of the documents that has none, so
// that `sensix validate` can go on to check that part's model files, tensors and plan.
struct ReadDocuments {
  // The documents that no problem names; a Pipeline may name a document that is not kept
  // (RuntimeOptions::check_unused checks such a set as far as it can).
  DocumentSet docs;
  Status problems;  // Ok, or every problem, one per line
};

// parse_document_files without stopping at the documents' problems.
ReadDocuments read_document_files(const std::vector<std::string>& paths, const ParseOptions& options = {});

// The same for text in memory; `file_label` is used in messages and `base_dir` resolves
// relative paths. Used by tests and by the API.
Result<DocumentSet> parse_document_text(std::string_view text, const std::string& file_label,
                                        const std::string& base_dir, const ParseOptions& options = {});

// A daemon's apply: the documents of `text` (parsed as parse_document_text does) merged into
// `base`, a document replacing base's of the same kind and name (one Device at most: a Device
// replaces base's whatever its name), and references checked across the merged set. `text` must
// hold at least one document and no kind and name twice.
struct MergedDocuments {
  DocumentSet parsed;  // the documents of `text`
  DocumentSet merged;  // base with them
};
Result<MergedDocuments> parse_documents_onto(const DocumentSet& base, std::string_view text,
                                             const std::string& file_label, const std::string& base_dir,
                                             const ParseOptions& options = {});

// The `spec.version` a stored Model document's text declares (for listings of its history), or ""
// when the text is not one Model document with a string version. Reads nothing else and checks
// nothing: the text was validated when it was applied.
std::string declared_model_version(std::string_view text);

// Checks references across documents: unique names per kind, pipeline steps naming models and
// sensors that exist, sensor modality matching the model's data input, stream inputs fed by a
// model of the same pipeline, outputs that the upstream model declares, no cycles.
Status validate_references(const DocumentSet& docs);

// Checks every model artifact and labels file: it exists, its sha256 matches the document,
// and its first bytes look like the declared format (ONNX protobuf / TFLite "TFL3").
// `known(path, sha256)`, when given, says that a file's digest was checked already (the daemon's
// model store): it is not hashed again.
using DigestKnown = std::function<bool(const std::string& path, const std::string& sha256)>;
Status verify_artifacts(const DocumentSet& docs, const DigestKnown& known = {});
// The same for one Model document.
Status verify_artifacts(const ModelDoc& doc, const DigestKnown& known = {});

}  // namespace sensix
