#include "models/ctc_decoder.h"

#include <cmath>

#include <fmt/format.h>

#include "models/classifier.h"

namespace sensix {

Result<std::vector<std::string>> read_dictionary_file(const std::string& path) { return read_labels_file(path); }

Result<CtcDecoder> CtcDecoder::create(const CtcSpec& spec, std::vector<std::string> dictionary, int num_classes) {
  const std::string where = spec.dictionary_file.empty() ? "" : " in " + spec.dictionary_file;
  const size_t expected = dictionary.size() + (spec.space_character ? 1 : 0) + 1;
  if (static_cast<int64_t>(expected) != num_classes) {
    return InvalidArgument(fmt::format("dictionary: {} entries{}{} + 1 blank make {} classes, but output \"{}\" has {}",
                                       dictionary.size(), where, spec.space_character ? " + 1 space" : "", expected,
                                       spec.output, num_classes));
  }
  if (spec.blank < 0 || spec.blank >= num_classes) {
    return InvalidArgument(fmt::format("blank: {} is not a class index (0..{})", spec.blank, num_classes - 1));
  }
  if (!std::isfinite(spec.min_confidence) || spec.min_confidence < 0 || spec.min_confidence > 1) {
    return InvalidArgument(fmt::format("minConfidence: {} is not within 0..1", spec.min_confidence));
  }
  CtcDecoder d;
  d.spec_ = spec;
  d.spec_.dictionary.clear();
  if (spec.space_character) dictionary.push_back(" ");
  d.classes_ = std::move(dictionary);
  d.classes_.insert(d.classes_.begin() + spec.blank, std::string());
  return d;
}

Result<std::optional<CtcResult>> CtcDecoder::decode(std::span<const float> probs) const {
  const size_t c = classes_.size();
  if (probs.empty() || probs.size() % c != 0) {
    return InvalidArgument(fmt::format("output \"{}\" holds {} values, not a whole number of steps of {} classes",
                                       spec_.output, probs.size(), c));
  }
  const size_t steps = probs.size() / c;
  CtcResult r;
  double sum = 0;
  int kept = 0;
  size_t prev = c;  // no previous class
  for (size_t t = 0; t < steps; ++t) {
    const float* row = probs.data() + t * c;
    size_t best = 0;
    for (size_t k = 0; k < c; ++k) {
      if (!std::isfinite(row[k])) {
        return InvalidArgument(fmt::format("output \"{}\": step {} class {} is {}", spec_.output, t, k, row[k]));
      }
      if (row[k] > row[best]) best = k;
    }
    float p = row[best];
    if (spec_.activation == Activation::kSoftmax) {
      double z = 0;
      for (size_t k = 0; k < c; ++k) z += std::exp(static_cast<double>(row[k] - row[best]));
      p = static_cast<float>(1.0 / z);
    }
    if (best != prev && best != static_cast<size_t>(spec_.blank)) {
      r.text += classes_[best];
      sum += p;
      ++kept;
    }
    prev = best;
  }
  if (kept == 0) return std::optional<CtcResult>();
  r.confidence = static_cast<float>(sum / kept);
  if (r.confidence < spec_.min_confidence) return std::optional<CtcResult>();
  return std::optional<CtcResult>(std::move(r));
}

}  // namespace sensix
