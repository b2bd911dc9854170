// Classification post-processing: activation (none, sigmoid, softmax), top-k, threshold and
// trigger (rising edge with release, or every result), with the per-stream trigger state.
//
// Thread-safety: none; one Classifier per model instance stream.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "docs/spec.h"
#include "models/prediction.h"

namespace sensix {

class Classifier {
 public:
  // `labels` has one entry per class (already read from labels_file if given); its count must
  // equal `num_classes` (the message gives both numbers).
  static Result<Classifier> create(const ClassifySpec& spec, int num_classes);

  // Scores for one result (num_classes values, before activation). Returns the labels to
  // report (top-k over threshold, best first) when the trigger fires, nothing otherwise.
  // NaN/Inf scores fail this result with InvalidArgument (counted by the caller).
  Result<std::optional<std::vector<LabelScore>>> process(std::span<const float> scores);

  // The activated scores of the last result (for stats and debugging).
  const std::vector<float>& last_scores() const { return last_; }

 private:
  Classifier(ClassifySpec spec, int num_classes);
  ClassifySpec spec_;
  int num_classes_;
  std::vector<bool> armed_;  // rising trigger: per class, true while below release
  std::vector<float> last_;
};

// Reads a labels file: one label per line, trailing empty lines ignored. Errors name the file.
Result<std::vector<std::string>> read_labels_file(const std::string& path);

}  // namespace sensix
