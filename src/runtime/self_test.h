// Self-tests: a Model document's `spec.selfTest` files (spec/spec.h), run on a loaded model before
// it serves. The runtime runs them after the warm-up whenever it loads a model (create, and an
// apply that adds or changes it), so a new version that gets its own test files wrong is refused
// before any frame or request reaches it, and the running version keeps serving.
//
// Each file is decoded and prepared for the model's data input exactly as a raw media request is
// (runtime/media_request.h: the content type from the file's first bytes; an image gives one run,
// a clip one run per window), then run on a stream of its own (state tensors from their init
// values, carried from window to window; the document's post-processing), on the calling thread,
// outside the scheduler, as the warm-up runs. Its runs count in the model's statistics.
//
// Thread-safety: free functions; run_self_tests on one model from one thread at a time.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "models/model_instance.h"
#include "spec/prediction.h"
#include "spec/spec.h"

namespace sensix {

// What one self-test's file gave.
struct SelfTestOutcome {
  std::string media;  // what was decoded: "JPEG 320x320", "WAV ..."
  int runs = 0;
  std::vector<Prediction> predictions;  // the runs that reported one, in order
};

// Runs `test`'s file through `model`. Errors: the file cannot be read (NotFound), is not a media
// file the model takes (InvalidArgument), or a run fails (the engine's error).
Result<SelfTestOutcome> run_self_test(ModelInstance& model, const SelfTestSpec& test);

// "" when `seen` meets `expect`; else what was expected and what came, e.g.
//   expected a detection "face" with score 0.93 +- 0.05, got face 0.71 at [102, 88, 119, 119]
std::string unmet_expectation(const SelfTestExpect& expect, const SelfTestOutcome& seen);

// Every self-test of the model's document, in order. Each that fails is one line of the error
// (InvalidArgument, or the first failure's own code: NotFound for a file that is not there):
//   spec.selfTest[1]: samples:speech.wav (WAV 16000 Hz, 1 ch, 2.00 s, 62 runs): the self-test failed: expected ..., got ...
Status run_self_tests(ModelInstance& model);

}  // namespace sensix
