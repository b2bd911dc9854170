// InferenceService: the KServe v2 / Open Inference Protocol's operations, whichever transport
// carries them (HTTP and JSON in kserve_api.h, gRPC in kserve_grpc.h), so that both find models,
// check requests, take parameters, word their errors and schedule requests the same way.
//
// A model's version is its document's spec.version ("1" when it has none). While a canary or shadow
// runs a new version beside it (docs/deployment.md), both versions are addressable: a request that
// names one runs on it alone; one without a version goes where the rollout sends it. The versions of
// a running model's kept documents (the last --store-keep-versions) are addressable too: the first
// request that names one loads it (Controller::serve_version), and it unloads after a minute
// without one. An applied model that was unloaded (RepositoryModelUnload) is Unavailable, saying how to load it again.
//
// Thread-safety: every method from any thread (the controller and request tasks are thread-safe).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/controller.h"
#include "runtime/media_request.h"
#include "runtime/request_tasks.h"

namespace sensix::api {

// "1" for a model without a version.
std::string kserve_version(const std::string& version);
// The protocol's platform name of an engine ("onnxruntime_onnx", "tensorflow_tflite").
std::string kserve_platform(const std::string& engine);
// The protocol extensions the server implements (GET /v2, ServerMetadata).
const std::vector<std::string>& kserve_extensions();

// A request parameter's value, as either transport carries it.
using ParameterValue = std::variant<bool, int64_t, double, std::string>;

// A request's parameters (the protocol's `parameters` object or map).
struct InferenceParameters {
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);  // timeout: microseconds, > 0
  // priority, as Triton's: 0 the model's class, 1 high, 2 normal, 3 low; or "high", "normal", "low"
  std::optional<Priority> priority;
  bool binary_data_output = false;  // HTTP: every output as binary data
  // A stateful model's sequence, as Triton's: sequence_id (a positive integer or a string),
  // sequence_start, sequence_end.
  std::string sequence_id;
  bool sequence_start = false, sequence_end = false;
  // The version the request names (HTTP: /versions/{v}; gRPC: model_version), as KServe writes it:
  // empty, where the model's rollout sends it; else that version only (the running one, or one
  // running beside it in a canary or shadow).
  std::string version;
};
// The parameters as the request tasks take them; InvalidArgument when sequence_start or
// sequence_end come without a sequence_id.
Result<RequestTasks::Options> request_options(const InferenceParameters& p);
// Sets the parameter `key`; InvalidArgument naming it and what it takes, or the parameters taken.
Status set_parameter(InferenceParameters* p, std::string_view key, const ParameterValue& value);

// The output that carries a raw media request's predictions (a BYTES tensor of JSON objects).
inline constexpr std::string_view kPredictionsOutput = "predictions";

// One model of the repository index.
struct RepositoryEntry {
  std::string name, version;
  std::string state;   // READY, LOADING, UNLOADING, UNAVAILABLE
  std::string reason;  // why not ready (empty when ready)
};

// A request's outputs and the spec.version of the model that ran it: the one named, else where its
// rollout sent it (the running version, or a canary's).
struct InferenceAnswer {
  std::vector<NamedTensor> outputs;
  std::string version;
};
using InferenceAnswerFn = std::function<void(Result<InferenceAnswer>)>;

class InferenceService {
 public:
  explicit InferenceService(Controller* controller) : controller_(controller) {}

  // The model's signature. `version` empty: the one that runs; a kept earlier version is loaded
  // for it first. NotFound: no such model, or not that version; Unavailable: unloaded.
  Result<ModelSignature> model(const std::string& name, const std::string& version = "") const;
  // The versions of the model a request may name, as KServe writes them: the running one, the one
  // beside it (a canary or shadow), if any, then its other kept versions (Controller::model_versions:
  // loaded when a request names one, Runtime::serve_version).
  std::vector<std::string> versions(const std::string& name) const;
  // Ok when the model takes requests now; else why not (Unavailable: loading, draining, failed,
  // unloaded; NotFound).
  Status ready(const std::string& name, const std::string& version = "") const;
  // InvalidArgument, naming the input, when the model has an input `input` of another datatype.
  static Status check_datatype(const ModelSignature& sig, std::string_view input, std::string_view datatype);
  // InvalidArgument when the model has no output `name` (listing those it has). A raw media
  // request (`media`) to a model with post-processing also has the output "predictions".
  static Status check_output(const ModelSignature& sig, std::string_view name, bool media = false);
  // A raw media input (a BYTES input): InvalidArgument unless it names its content_type and is the
  // request's only input (`inputs` of them), named as the model's data input, of one element.
  static Status check_media_input(const ModelSignature& sig, const MediaInput& media, size_t inputs, int64_t elements);
  // The outputs a raw media request gets when it asks for none: "predictions" when the model
  // post-processes, else every declared output (empty: all).
  static std::vector<std::string> default_media_outputs(const ModelSignature& sig);
  // A raw media answer's predictions as the elements of the "predictions" output: one JSON object
  // each, as `sensix run --json` prints it.
  static std::vector<std::string> prediction_elements(const std::vector<Prediction>& predictions);

  // Every model of the running set, and the applied models unloaded, by name. `only_ready`: the
  // ready ones only.
  std::vector<RepositoryEntry> repository(bool only_ready) const;
  // The request statistics of the models named (none: every model serving requests), each with
  // its signature; a model unloaded meanwhile is left out.
  struct ModelRequestStats {
    ModelSignature signature;
    RequestStats stats;
  };
  std::vector<ModelRequestStats> request_stats(const std::vector<std::string>& names = {}) const;
  // Triton's model control, on the applied Model documents (Controller::load/unload).
  Status load(const std::string& name) { return controller_->load(name); }
  Status unload(const std::string& name) { return controller_->unload(name); }

  // Schedules the request (RequestTasks::infer_async): `answer` is called once, from the lane that
  // ran it, the deadline thread or at once when it is refused.
  void infer(const std::string& model, std::vector<NamedTensor> inputs, const InferenceParameters& p,
             InferenceAnswerFn answer);
  // The same for raw media (runtime/media_request.h): decoded, prepared as a sensor's frame is, run
  // and post-processed.
  void infer_media(const std::string& model, MediaInput media, const InferenceParameters& p, MediaAnswerFn answer);
  // A request that failed before it was scheduled (a malformed body), counted in the model's
  // statistics from `arrived`.
  void failed(const std::string& model, TimePoint arrived) { controller_->requests().failed(model, arrived); }
  TimePoint now() const { return controller_->requests().now(); }

  Controller* controller() const { return controller_; }

 private:
  Controller* controller_;
};

}  // namespace sensix::api
