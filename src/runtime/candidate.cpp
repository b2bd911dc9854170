#include "runtime/candidate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace sensix {

std::string_view candidate_mode_name(CandidateMode m) { return m == CandidateMode::kCanary ? "canary" : "shadow"; }

CandidateMeter::CandidateMeter(std::string model, std::string version, std::string from_version,
                               CandidateOptions options)
    : options_(options) {
  figures_.model = std::move(model);
  figures_.version = std::move(version);
  figures_.from_version = std::move(from_version);
  figures_.options = options;
}

void CandidateMeter::record(int64_t compute_ns, bool served, CandidateComparison c) {
  std::lock_guard<std::mutex> lock(mu_);
  ++figures_.runs;
  if (compute_ns > 0) figures_.compute.record(compute_ns);
  if (served) ++figures_.served;
  std::string example;
  if (!c.error.empty()) {
    ++figures_.errors;
    example = "error: " + c.error;
  } else if (c.compared) {
    ++figures_.compared;
    if (!c.difference.empty()) {
      ++figures_.disagreed;
      example = "differs: " + c.difference;
    }
  }
  if (c.compared || !c.error.empty()) {
    comparisons_.push_back(std::move(c));
    if (comparisons_.size() > kKeptComparisons) comparisons_.pop_front();
  }
  if (example.empty()) return;
  examples_.push_back(std::move(example));
  if (examples_.size() > 5) examples_.pop_front();
}

std::string CandidateComparison::input() const {
  if (!sensor.empty()) {
    return fmt::format("frame {} of Sensor/{} at {:.3f} s", frame_seq, sensor, static_cast<double>(media_ns) / 1e9);
  }
  return version_asked.empty() ? "a request" : "a request for version " + version_asked;
}

std::vector<CandidateComparison> CandidateMeter::comparisons() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {comparisons_.begin(), comparisons_.end()};
}

CandidateFigures CandidateMeter::figures() const {
  std::lock_guard<std::mutex> lock(mu_);
  CandidateFigures f = figures_;
  f.examples.assign(examples_.begin(), examples_.end());
  return f;
}

namespace {

const LabelScore* best_label(const Prediction* p) {
  if (!p || p->kind != PredictionKind::kClassification || p->labels.empty()) return nullptr;
  return &p->labels.front();
}

}  // namespace

std::vector<bool> compared_outputs(const ModelSpec& spec) {
  std::vector<bool> out(spec.outputs.size(), true);
  for (const auto& in : spec.inputs) {
    const auto* st = std::get_if<StateInputSpec>(&in.source);
    if (!st) continue;
    for (size_t o = 0; o < spec.outputs.size(); ++o) {
      if (spec.outputs[o].name == st->from_output) out[o] = false;
    }
  }
  return out;
}

std::string disagreement(const std::vector<Tensor>& running, const Prediction* running_prediction,
                         const std::vector<Tensor>& candidate, const Prediction* candidate_prediction,
                         const std::vector<std::string>& output_names, const std::vector<bool>& compared,
                         double tolerance) {
  const LabelScore* a = best_label(running_prediction);
  const LabelScore* b = best_label(candidate_prediction);
  if (a && b && a->label != b->label) {
    return fmt::format("best label \"{}\" ({:.2f}) where the running version says \"{}\" ({:.2f})", b->label, b->score,
                       a->label, a->score);
  }
  if (running.size() != candidate.size()) {
    return fmt::format("{} outputs where the running version gives {}", candidate.size(), running.size());
  }
  for (size_t o = 0; o < running.size(); ++o) {
    if (o < compared.size() && !compared[o]) continue;
    const Tensor& x = running[o];
    const Tensor& y = candidate[o];
    const std::string name = o < output_names.size() ? output_names[o] : std::to_string(o);
    if (x.dtype() != y.dtype() || x.shape() != y.shape()) {
      return fmt::format("output \"{}\" is {} {} where the running version's is {} {}", name, dtype_name(y.dtype()),
                         shape_to_string(y.shape()), dtype_name(x.dtype()), shape_to_string(x.shape()));
    }
    if (x.dtype() != DType::kFloat32) {
      if (x.byte_size() > 0 && std::memcmp(x.data(), y.data(), x.byte_size()) != 0) {
        return fmt::format("output \"{}\" has other values", name);
      }
      continue;
    }
    const auto xv = x.values<float>();
    const auto yv = y.values<float>();
    float scale = 1.0f;
    for (float v : xv) scale = std::max(scale, std::fabs(v));
    const float allowed = static_cast<float>(tolerance) * scale;
    for (size_t i = 0; i < xv.size(); ++i) {
      const float d = std::fabs(xv[i] - yv[i]);
      if (d > allowed || std::isnan(d)) {
        return fmt::format("output \"{}\"[{}] is {:.4g} where the running version's is {:.4g} (more than {:.3g} apart)",
                           name, i, yv[i], xv[i], allowed);
      }
    }
  }
  return "";
}

}  // namespace sensix
