// Classification post-processing: activation (none, sigmoid, softmax), top-k, threshold and
// trigger (rising edge with release, or every result), with the per-stream trigger state.
//
// A score is "over threshold" when score >= threshold. Triggers:
//   every:  each result reports the top-k labels over threshold (nothing when none is).
//   rising: every class starts armed. A class fires in the result where it is armed and its
//           score reaches the threshold; it is then disarmed, and re-armed by a later result
//           whose score is strictly below `release` (default: threshold). A result reports the
//           top-k of the classes that fired in it; classes that fired but fell outside the
//           top-k are disarmed all the same (they fired, they were just not the best).
// Reported labels are best first; equal scores keep class order.
//
// Thread-safety: none; one Classifier per model instance stream.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "spec/prediction.h"
#include "spec/spec.h"

namespace sensix {

class Classifier {
 public:
  // `spec.labels` has one entry per class (already read from labels_file if given); its count
  // must equal `num_classes` (the message gives both numbers, and the labels file if any).
  // Also checked: top_k in 1..num_classes, threshold and release finite, release <= threshold.
  static Result<Classifier> create(const ClassifySpec& spec, int num_classes);

  // Scores for one result (num_classes values, before activation). Returns the labels to
  // report (top-k over threshold, best first) when the trigger fires, nothing otherwise.
  // NaN/Inf scores fail this result with InvalidArgument (counted by the caller) and leave
  // the trigger state and last_scores() as they were; so does a span of the wrong size.
  Result<std::optional<std::vector<LabelScore>>> process(std::span<const float> scores);

  // The activated scores of the last result (for stats and debugging).
  const std::vector<float>& last_scores() const { return last_; }
  // True for a class listed in ignoreClasses: scored, never reported.
  bool ignored(int c) const { return ignored_.at(static_cast<size_t>(c)); }

 private:
  Classifier(ClassifySpec spec, int num_classes);
  ClassifySpec spec_;
  int num_classes_;
  float release_;
  std::vector<bool> armed_;    // rising trigger: per class, true while below release
  std::vector<bool> ignored_;  // per class: listed in ignoreClasses
  std::vector<float> last_;
  std::vector<int> candidates_;  // scratch: classes that may be reported this result
};

// Reads a labels file: one label per line (a trailing "\r" is dropped, so CRLF files work; a
// UTF-8 byte-order mark is skipped), trailing empty lines ignored; empty lines before the last
// label are kept as empty labels so that line i stays class i. A file with no label is an
// error. Errors name the file (NotFound when it cannot be opened, InvalidArgument for content).
Result<std::vector<std::string>> read_labels_file(const std::string& path);

}  // namespace sensix
