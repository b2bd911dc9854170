// CTC greedy decoding (as PaddleOCR's CTCLabelDecode): for each of T steps of a [1, T, C] output the
// most probable class (after the declared activation: none when the model applies softmax itself),
// repeats collapsed, the blank dropped, the rest mapped to the dictionary. Classes are, in order,
// the dictionary's entries, then " " when space_character is set, with the blank inserted at index
// `blank` (PaddleOCR: blank 0, so class i >= 1 is dictionary line i-1). The confidence is the mean of
// the kept steps' maximum probabilities; nothing is reported when no character is kept or the
// confidence is below min_confidence.
//
// Thread-safety: decode() is const and may run concurrently.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

struct CtcResult {
  std::string text;
  float confidence = 0.0f;
};

class CtcDecoder {
 public:
  // `dictionary` (already read from dictionary_file) replaces spec.dictionary. Checks that the
  // dictionary (+ space) + blank gives exactly `num_classes` (the message gives both numbers and the
  // file), that blank < num_classes and min_confidence is within 0..1.
  static Result<CtcDecoder> create(const CtcSpec& spec, std::vector<std::string> dictionary, int num_classes);

  // `probs`: steps x num_classes values, row-major. Non-finite values or a size that is not a whole
  // number of steps are InvalidArgument (this result fails, nothing else).
  Result<std::optional<CtcResult>> decode(std::span<const float> probs) const;

  int num_classes() const { return static_cast<int>(classes_.size()); }

 private:
  CtcDecoder() = default;
  CtcSpec spec_;
  std::vector<std::string> classes_;  // per class; the blank's entry is empty
};

// Reads a dictionary file: one entry per line, as read_labels_file (models/classifier.h) reads labels.
Result<std::vector<std::string>> read_dictionary_file(const std::string& path);

}  // namespace sensix
