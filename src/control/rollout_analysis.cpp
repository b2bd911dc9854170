#include "control/rollout_analysis.h"

#include <cmath>

#include <fmt/format.h>

namespace sensix {

namespace {

std::string figures_text(const CandidateFigures& f) {
  std::string text = fmt::format("{} runs, {} failed, {} of {} compared differed", f.runs, f.errors, f.disagreed,
                                 f.compared);
  if (f.compute.count() > 0) {
    text += fmt::format(", engine p99 {:.2f} ms", static_cast<double>(f.compute.percentile_ns(99)) / 1e6);
  }
  if (!f.examples.empty()) text += "; last: " + f.examples.back();
  return text;
}

double percent(double share) { return share * 100.0; }

}  // namespace

RolloutJudgement judge_rollout(const CandidateFigures& f, const RolloutAnalysisSpec& a,
                               std::chrono::nanoseconds elapsed) {
  const auto runs = static_cast<double>(a.runs);
  const auto allowed_errors = static_cast<uint64_t>(std::floor(a.max_error_rate * runs + 1e-9));
  const auto allowed_differences = static_cast<uint64_t>(std::floor(a.max_disagreement * runs + 1e-9));
  const std::string seen = figures_text(f);
  // Certain to fail already: more than the runs it is judged on allow.
  if (f.errors > allowed_errors) {
    return {RolloutVerdict::kFail, fmt::format("{} of its runs failed (at most {:g}% of {} may): {}", f.errors,
                                               percent(a.max_error_rate), a.runs, seen)};
  }
  if (f.disagreed > allowed_differences) {
    return {RolloutVerdict::kFail, fmt::format("{} of its results differed from the running version's (at most {:g}% "
                                               "of {} may): {}",
                                               f.disagreed, percent(a.max_disagreement), a.runs, seen)};
  }
  if (f.runs < static_cast<uint64_t>(a.runs)) {
    if (elapsed.count() >= a.timeout_ns) {
      return {RolloutVerdict::kFail, fmt::format("only {} of the {} runs it needs in {:g} s: {}", f.runs, a.runs,
                                                 static_cast<double>(a.timeout_ns) / 1e9, seen)};
    }
    return {RolloutVerdict::kWait, seen};
  }
  if (f.error_rate() > a.max_error_rate) {
    return {RolloutVerdict::kFail, fmt::format("{:g}% of its runs failed (at most {:g}%): {}", percent(f.error_rate()),
                                               percent(a.max_error_rate), seen)};
  }
  if (f.disagreement_rate() > a.max_disagreement) {
    return {RolloutVerdict::kFail, fmt::format("{:g}% of its results differed from the running version's (at most "
                                               "{:g}%): {}",
                                               percent(f.disagreement_rate()), percent(a.max_disagreement), seen)};
  }
  if (a.max_p99_ns > 0 && f.compute.percentile_ns(99) > a.max_p99_ns) {
    return {RolloutVerdict::kFail,
            fmt::format("its engine p99 is over {:g} ms: {}", static_cast<double>(a.max_p99_ns) / 1e6, seen)};
  }
  return {RolloutVerdict::kPass, seen};
}

}  // namespace sensix
