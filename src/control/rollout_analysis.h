// Rollout analysis: whether a canary's or a shadow's new version passes its Model document's
// `spec.rollout.analysis` (docs/deployment.md), from what it did so far (CandidateFigures).
//
// It is judged once it has run `runs` inputs: it fails when more than maxErrorRate of its runs
// failed, when more than maxDisagreement of its compared runs differed from the running version's
// result, or when its engine time's p99 is over maxP99; else it passes. It fails earlier as soon
// as it cannot pass any more (more errors or differences than `runs` allows), and when `timeout`
// passes before it has run `runs` inputs. Each verdict says why, with the figures.
//
// Thread-safety: a pure function.
#pragma once

#include <chrono>
#include <string>

#include "runtime/candidate.h"
#include "spec/spec.h"

namespace sensix {

enum class RolloutVerdict { kWait, kPass, kFail };

struct RolloutJudgement {
  RolloutVerdict verdict = RolloutVerdict::kWait;
  std::string reason;  // the figures, and for a failure what failed
};

RolloutJudgement judge_rollout(const CandidateFigures& figures, const RolloutAnalysisSpec& analysis,
                               std::chrono::nanoseconds elapsed);

}  // namespace sensix
