#include "models/classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "models/activation.h"

namespace sensix {
namespace {

constexpr int kMaxClasses = 1'000'000;
constexpr uintmax_t kMaxLabelsFileBytes = 16u << 20;

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

}  // namespace

Classifier::Classifier(ClassifySpec spec, int num_classes)
    : spec_(std::move(spec)),
      num_classes_(num_classes),
      release_(spec_.release.value_or(spec_.threshold)),
      armed_(static_cast<size_t>(num_classes), true),
      ignored_(static_cast<size_t>(num_classes), false) {
  for (int c : spec_.ignore_classes) ignored_[static_cast<size_t>(c)] = true;
  last_.reserve(static_cast<size_t>(num_classes));
  candidates_.reserve(static_cast<size_t>(num_classes));
}

Result<Classifier> Classifier::create(const ClassifySpec& spec, int num_classes) {
  if (num_classes < 1 || num_classes > kMaxClasses) {
    return InvalidArgument(fmt::format("the output has {} classes, expected 1..{}", num_classes, kMaxClasses));
  }
  if (static_cast<int64_t>(spec.labels.size()) != num_classes) {
    return InvalidArgument(fmt::format("labels: {} labels{} for {} classes in the model's output", spec.labels.size(),
                                       spec.labels_file.empty() ? "" : " in " + spec.labels_file, num_classes));
  }
  if (spec.top_k < 1 || spec.top_k > num_classes) {
    return InvalidArgument(fmt::format("topK must be 1..{} (the output's classes), got {}", num_classes, spec.top_k));
  }
  if (!std::isfinite(spec.threshold))
    return InvalidArgument(fmt::format("threshold must be a number, got {}", spec.threshold));
  if (spec.activation != Activation::kNone && (spec.threshold < 0.0f || spec.threshold > 1.0f)) {
    return InvalidArgument(fmt::format("threshold must be in [0, 1] with {} scores, got {}",
                                       activation_name(spec.activation), spec.threshold));
  }
  for (int c : spec.ignore_classes) {
    if (c < 0 || c >= num_classes) {
      return InvalidArgument(
          fmt::format("ignoreClasses: class {} is not a column of the output (it has {} classes)", c, num_classes));
    }
  }
  if (static_cast<int>(std::set<int>(spec.ignore_classes.begin(), spec.ignore_classes.end()).size()) == num_classes) {
    return InvalidArgument(
        fmt::format("ignoreClasses: all {} classes are ignored; nothing could be reported", num_classes));
  }
  if (spec.release) {
    if (!std::isfinite(*spec.release))
      return InvalidArgument(fmt::format("release must be a number, got {}", *spec.release));
    if (*spec.release > spec.threshold) {
      return InvalidArgument(
          fmt::format("release ({}) must not be above threshold ({})", *spec.release, spec.threshold));
    }
  }
  return Classifier(spec, num_classes);
}

Result<std::optional<std::vector<LabelScore>>> Classifier::process(std::span<const float> scores) {
  if (scores.size() != static_cast<size_t>(num_classes_)) {
    return InvalidArgument(fmt::format("{} scores for {} classes", scores.size(), num_classes_));
  }
  for (size_t c = 0; c < scores.size(); ++c) {
    if (!std::isfinite(scores[c])) {
      return InvalidArgument(fmt::format("score of class {} (\"{}\") is {}", c, spec_.labels[c],
                                         std::isnan(scores[c]) ? "NaN" : "infinite"));
    }
  }
  last_.assign(scores.begin(), scores.end());
  switch (spec_.activation) {
    case Activation::kNone: break;
    case Activation::kSigmoid:
      for (float& v : last_) v = sigmoid(v);
      break;
    case Activation::kSoftmax: {
      const float mx = *std::max_element(last_.begin(), last_.end());
      float sum = 0.0f;
      for (float& v : last_) {
        v = std::exp(v - mx);
        sum += v;
      }
      for (float& v : last_) v /= sum;
      break;
    }
  }

  candidates_.clear();
  const float threshold = spec_.threshold;
  for (int c = 0; c < num_classes_; ++c) {
    if (ignored_[static_cast<size_t>(c)]) continue;
    const float v = last_[static_cast<size_t>(c)];
    if (spec_.trigger == Trigger::kEvery) {
      if (v >= threshold) candidates_.push_back(c);
      continue;
    }
    std::vector<bool>::reference armed = armed_[static_cast<size_t>(c)];
    if (armed && v >= threshold) {
      candidates_.push_back(c);
      armed = false;
    } else if (!armed && v < release_) {
      armed = true;
    }
  }
  if (candidates_.empty()) return std::optional<std::vector<LabelScore>>();

  std::stable_sort(candidates_.begin(), candidates_.end(),
                   [this](int l, int r) { return last_[static_cast<size_t>(l)] > last_[static_cast<size_t>(r)]; });
  const size_t k = std::min(candidates_.size(), static_cast<size_t>(spec_.top_k));
  std::vector<LabelScore> out;
  out.reserve(k);
  for (size_t i = 0; i < k; ++i) {
    const int c = candidates_[i];
    out.push_back(LabelScore{spec_.labels[static_cast<size_t>(c)], c, last_[static_cast<size_t>(c)]});
  }
  return std::optional<std::vector<LabelScore>>(std::move(out));
}

Result<std::vector<std::string>> read_labels_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return NotFound(fmt::format("labels file {}: does not exist", path));
  if (fs::is_directory(st)) return InvalidArgument(fmt::format("labels file {}: is a directory, not a file", path));
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxLabelsFileBytes) {
    return InvalidArgument(fmt::format("labels file {}: {} bytes, more than the {} MiB a labels file may have", path,
                                       size, kMaxLabelsFileBytes >> 20));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("labels file {}: cannot be opened ({})", path, std::strerror(errno)));
  std::string content;
  content.reserve(ec ? 0 : static_cast<size_t>(size));
  content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return DataLoss(fmt::format("labels file {}: read error", path));
  if (content.size() > kMaxLabelsFileBytes) {
    return InvalidArgument(
        fmt::format("labels file {}: more than the {} MiB a labels file may have", path, kMaxLabelsFileBytes >> 20));
  }

  std::string_view text(content);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::string> labels;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (line.ends_with('\r')) line.remove_suffix(1);
    labels.emplace_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  while (!labels.empty() && is_blank(labels.back())) labels.pop_back();
  if (labels.empty()) {
    return InvalidArgument(fmt::format("labels file {}: has no labels (expected one label per line)", path));
  }
  if (labels.size() > static_cast<size_t>(kMaxClasses)) {
    return InvalidArgument(fmt::format("labels file {}: {} labels, at most {}", path, labels.size(), kMaxClasses));
  }
  return labels;
}

}  // namespace sensix
