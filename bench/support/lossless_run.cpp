#include "support/lossless_run.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

#include <fmt/format.h>

namespace sensix::bench {
namespace {

// Keeps each prediction's media time and a one-line summary, per model.
class RecordingSink final : public PredictionSink {
 public:
  void publish(const Prediction& p) override {
    std::string s;
    for (const auto& l : p.labels) s += fmt::format(" {}:{:.3f}", l.label, l.score);
    for (const auto& d : p.detections) s += fmt::format(" {}:{:.3f}", d.label, d.score);
    if (p.labels.empty() && p.detections.empty()) s += fmt::format(" {:.3f}", p.score);
    std::lock_guard<std::mutex> lock(mu_);
    by_model_[p.model].emplace_back(p.media_ns, std::move(s));
  }
  std::map<std::string, std::vector<std::string>> take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::vector<std::string>> out;
    for (auto& [model, preds] : by_model_) {
      std::stable_sort(preds.begin(), preds.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      auto& lines = out[model];
      for (const auto& [t, s] : preds) lines.push_back(fmt::format("{}{}", t, s));
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> by_model_;
};

}  // namespace

size_t LosslessRun::count(const std::string& model) const {
  auto it = predictions.find(model);
  return it == predictions.end() ? 0 : it->second.size();
}

Result<LosslessRun> run_lossless(const DocumentSet& docs, RuntimeOptions options) {
  options.speed = 0.0;  // as fast as the models allow, lossless
  options.loop = false;
  SENSIX_ASSIGN_OR_RETURN(auto rt, Runtime::create(docs, options));
  auto sink = std::make_shared<RecordingSink>();
  rt->add_sink(sink);
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  SENSIX_RETURN_IF_ERROR(rt->start());
  if (!rt->wait(std::chrono::minutes(5))) {
    rt->stop();
    return Internal("the run did not finish in 5 minutes");
  }
  LosslessRun r;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_s = process_cpu_seconds() - cpu0;
  rt->stop();
  r.plan_nodes = static_cast<int>(rt->plan().nodes().size());
  for (const auto& m : rt->stats().models) {
    ++r.models;
    r.model_runs += m.model.runs;
    r.model_errors += m.model.errors;
  }
  r.predictions = sink->take();
  return r;
}

std::string prediction_difference(const LosslessRun& a, const LosslessRun& b, const std::vector<std::string>& models) {
  static const std::vector<std::string> kNone;
  auto of = [&](const LosslessRun& r, const std::string& m) -> const std::vector<std::string>& {
    auto it = r.predictions.find(m);
    return it == r.predictions.end() ? kNone : it->second;
  };
  for (const auto& m : models) {
    const auto& pa = of(a, m);
    const auto& pb = of(b, m);
    if (pa.size() != pb.size()) return fmt::format("{}: {} vs {} predictions", m, pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) {
      if (pa[i] != pb[i]) return fmt::format("{}: prediction {}: {} vs {}", m, i, pa[i], pb[i]);
    }
  }
  return "";
}

}  // namespace sensix::bench
