// Candidates: a new version of a running model that runs beside it, in the same plan nodes and
// request tasks, on the same inputs (control/'s canary and shadow rollouts, docs/deployment.md).
// The running version runs every input as before; the candidate runs `share` of them, spread
// evenly (ShareCounter), and its result is compared with the running version's for the same
// input (disagreement()). Shadow: the candidate's results go nowhere but the comparison. Canary:
// for the inputs it runs, the candidate's result is the one published and passed on (its
// predictions carry its version); the running version's result is only compared. A CandidateMeter
// counts what the candidate did, for the rollout's criteria and for the statistics, and keeps the
// last kKeptComparisons inputs it ran with both versions' predictions (comparisons()): what a
// shadow said, recorded, for a person to read before promoting it, or after a rollback.
//
// Thread-safety: CandidateMeter from any thread; ShareCounter under its owner's lock;
// disagreement() is a pure function.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/histogram.h"
#include "common/tensor.h"
#include "spec/prediction.h"
#include "spec/spec.h"

namespace sensix {

enum class CandidateMode { kCanary, kShadow };
std::string_view candidate_mode_name(CandidateMode m);  // "canary", "shadow"

struct CandidateOptions {
  CandidateMode mode = CandidateMode::kShadow;
  double share = 1.0;       // of the inputs the candidate runs, (0, 1]
  double tolerance = 0.05;  // disagreement(): outputs within this share of the running version's magnitude
};

// What a candidate did so far.
struct CandidateFigures {
  std::string model;
  std::string version;       // the candidate's spec.version
  std::string from_version;  // the running version's
  CandidateOptions options;
  uint64_t runs = 0;         // inputs it ran (frames and requests)
  uint64_t errors = 0;       // of them, failed (engine errors, NaN/Inf outputs, post-processing)
  uint64_t compared = 0;     // runs whose result was compared with the running version's for the same input
  uint64_t disagreed = 0;    // of them, differed (disagreement())
  uint64_t served = 0;       // canary: its results that went to consumers (predictions, models below, requests)
  LatencyHistogram compute;  // its engine time per run
  std::vector<std::string> examples;  // the last disagreements and errors, described (at most 5)
  double error_rate() const { return runs ? static_cast<double>(errors) / static_cast<double>(runs) : 0.0; }
  double disagreement_rate() const {
    return compared ? static_cast<double>(disagreed) / static_cast<double>(compared) : 0.0;
  }
};

// One input the candidate ran: what it was, and what each version made of it.
struct CandidateComparison {
  WallTime at{};  // when the candidate ran it
  // What it was: a sensor's input (the frame that completed it and that frame's end in the
  // sensor's time), else a request (`version_asked`: one that named the candidate's version). Kept
  // as fields, so a run on the hot path formats nothing; input() says it in words.
  std::string sensor;
  uint64_t frame_seq = 0;
  int64_t media_ns = 0;
  std::string version_asked;
  std::string error;       // the candidate failed on it
  bool compared = false;   // the running version's result for the same input was there to compare
  std::string difference;  // compared: how the two results differ (disagreement()); "" when they agree
  // Each version's post-processed prediction; none when its post-processing reported nothing (a
  // label under its threshold) or did not run (a request is answered with tensors).
  std::optional<Prediction> running;
  std::optional<Prediction> candidate;

  // "frame 412 of Sensor/speech at 13.184 s", "a request", "a request for version 0.2".
  std::string input() const;
};

class CandidateMeter {
 public:
  static constexpr size_t kKeptComparisons = 100;

  CandidateMeter(std::string model, std::string version, std::string from_version, CandidateOptions options);
  // One run of the candidate: `c.error` non-empty when it failed; `c.difference` non-empty when its
  // result differed from the running version's (`c.compared`: whether there was one to compare
  // with); `served`: a canary's result that went to consumers.
  void record(int64_t compute_ns, bool served, CandidateComparison c);
  CandidateFigures figures() const;
  // The last kKeptComparisons runs that were compared or failed, oldest first.
  std::vector<CandidateComparison> comparisons() const;
  const CandidateOptions& options() const { return options_; }

 private:
  const CandidateOptions options_;
  mutable std::mutex mu_;
  CandidateFigures figures_;                     // guarded by mu_
  std::deque<std::string> examples_;             // guarded by mu_
  std::deque<CandidateComparison> comparisons_;  // guarded by mu_
};

// True for `share` of its calls, spread evenly (every call with share 1; every tenth with 0.1).
class ShareCounter {
 public:
  explicit ShareCounter(double share) : share_(share) {}
  bool take() {
    credit_ += share_;
    if (credit_ < 1.0 - 1e-9) return false;
    credit_ -= 1.0;
    return true;
  }

 private:
  double share_;
  double credit_ = 0;
};

// The declared outputs that two versions' results are compared on: all but those that feed a state
// input (a model's internal state, which another version may keep otherwise: Silero's stateN).
std::vector<bool> compared_outputs(const ModelSpec& spec);

// How two versions' results for the same input differ; "" when they agree. Agree: the same best
// label when both predict a classification; and every compared output (`compared`, by declared
// output) of the same shape, each value within tolerance x (the largest magnitude of the running
// version's output, at least 1).
std::string disagreement(const std::vector<Tensor>& running, const Prediction* running_prediction,
                         const std::vector<Tensor>& candidate, const Prediction* candidate_prediction,
                         const std::vector<std::string>& output_names, const std::vector<bool>& compared,
                         double tolerance);

}  // namespace sensix
