// Side files: the files a Model document names besides its model files: those that say what the
// model's outputs mean (spec.postprocess.classify.labelsFile, detect.labelsFile, landmarks.namesFile,
// ctc.dictionaryFile) and its self-tests' inputs (spec.selfTest[i].input). Each may carry its digest
// beside it (labelsSha256, namesSha256, dictionarySha256, inputSha256: 64 lowercase hex digits).
// verify_artifacts checks a stated digest.
//
// The daemon pins them (docs/deployment.md, "Model store"): when a Model document is applied, each
// side file without a digest gets the digest of the file as it is then, written into the document's
// canonical text (pin_side_files), and the file goes into the model store under it. So the stored
// version names the very labels (and self-test clips) it was applied with: an undo, a restart or a
// request for a kept version runs with those, whatever became of the file since, and a changed
// labels file applied again is a new version of its document, not an unnoticed one.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

// `Str`: std::string (side_files of a spec to change) or const std::string (of one to read).
template <typename Str>
struct BasicSideFile {
  std::string field;         // "spec.postprocess.detect.labelsFile", "spec.selfTest[0].input"
  std::string digest_field;  // "spec.postprocess.detect.labelsSha256", "spec.selfTest[0].inputSha256"
  Str* path;                 // the resolved path
  Str* sha256;               // the stated digest; "" when none
  // Where the map holding the file's key and its digest's is, from the document's root: map keys
  // and list indices ({"spec", "postprocess", "detect"}, {"spec", "selfTest", 0}).
  std::vector<std::variant<std::string, size_t>> at;
  std::string digest_key;  // "labelsSha256", "inputSha256"
  bool self_test = false;  // a self-test's input (its runner names a missing one)
};

using SideFile = BasicSideFile<std::string>;
using ConstSideFile = BasicSideFile<const std::string>;

// The side files `spec` names: its postprocess's (none for inline labels), then its self-tests'.
std::vector<SideFile> side_files(ModelSpec& spec);
std::vector<ConstSideFile> side_files(const ModelSpec& spec);

// The digests of the side files of `doc` that have one (the model store keeps their files).
std::vector<std::string> side_file_digests(const ModelDoc& doc);

// Writes each stated side-file digest of `doc.spec` into `doc.canonical`, beside its file's key;
// digests the text already states are left as they are. InvalidArgument when the canonical text is
// not that of a Model document with those fields (a document made in code).
Status pin_side_files(ModelDoc& doc);

}  // namespace sensix
