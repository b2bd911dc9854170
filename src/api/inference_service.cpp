#include "api/inference_service.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/format.h"
#include "api/kserve_tensors.h"

namespace sensix::api {

std::string kserve_version(const std::string& version) { return version.empty() ? "1" : version; }

std::string kserve_platform(const std::string& engine) {
  if (engine == "onnxruntime") return "onnxruntime_onnx";
  if (engine == "tflite") return "tensorflow_tflite";
  return engine;
}

const std::vector<std::string>& kserve_extensions() {
  static const std::vector<std::string> extensions{"binary_tensor_data", "model_configuration", "model_repository",
                                                   "statistics"};
  return extensions;
}

Status set_parameter(InferenceParameters* p, std::string_view key, const ParameterValue& value) {
  if (key == "timeout") {
    const int64_t* us = std::get_if<int64_t>(&value);
    if (us == nullptr || *us <= 0)
      return InvalidArgument("parameters.timeout must be a positive integer (microseconds)");
    p->timeout = std::chrono::microseconds(*us);
    return Status::Ok();
  }
  if (key == "priority") {
    static constexpr std::string_view kTakes =
        "parameters.priority must be 0 (the model's class), 1 (high), 2 (normal), 3 (low), or \"high\", \"normal\" "
        "or \"low\"";
    if (const int64_t* level = std::get_if<int64_t>(&value)) {
      if (*level < 0 || *level > 3) return InvalidArgument(fmt::format("{}, got {}", kTakes, *level));
      static constexpr std::optional<Priority> kLevels[] = {std::nullopt, Priority::kHigh, Priority::kNormal,
                                                            Priority::kLow};
      p->priority = kLevels[*level];
      return Status::Ok();
    }
    if (const std::string* name = std::get_if<std::string>(&value)) {
      for (Priority c : {Priority::kHigh, Priority::kNormal, Priority::kLow}) {
        if (*name == priority_name(c)) {
          p->priority = c;
          return Status::Ok();
        }
      }
      return InvalidArgument(fmt::format("{}, got \"{}\"", kTakes, *name));
    }
    return InvalidArgument(std::string(kTakes));
  }
  if (key == "binary_data_output") {
    const bool* b = std::get_if<bool>(&value);
    if (b == nullptr) return InvalidArgument("parameters.binary_data_output must be true or false");
    p->binary_data_output = *b;
    return Status::Ok();
  }
  if (key == "sequence_id") {
    if (const int64_t* id = std::get_if<int64_t>(&value); id != nullptr && *id > 0) {
      p->sequence_id = std::to_string(*id);
      return Status::Ok();
    }
    const std::string* id = std::get_if<std::string>(&value);
    if (id == nullptr || id->empty() || id->size() > 256 ||
        std::any_of(id->begin(), id->end(), [](unsigned char c) { return c < 0x20; })) {
      return InvalidArgument(
          "parameters.sequence_id must be a positive integer or a string (1 to 256 characters, no control "
          "characters)");
    }
    p->sequence_id = *id;
    return Status::Ok();
  }
  if (key == "sequence_start" || key == "sequence_end") {
    const bool* b = std::get_if<bool>(&value);
    if (b == nullptr) return InvalidArgument(fmt::format("parameters.{} must be true or false", key));
    (key == "sequence_start" ? p->sequence_start : p->sequence_end) = *b;
    return Status::Ok();
  }
  return InvalidArgument(
      fmt::format("parameters.{} is not a parameter this server takes (it takes timeout, priority, binary_data_output, "
                  "sequence_id, sequence_start, sequence_end)",
                  key));
}

Result<RequestTasks::Options> request_options(const InferenceParameters& p) {
  RequestTasks::Options o;
  o.timeout = p.timeout;
  o.priority = p.priority;
  if (!p.sequence_id.empty()) {
    o.sequence = SequenceFlags{p.sequence_id, p.sequence_start, p.sequence_end};
  } else if (p.sequence_start || p.sequence_end) {
    return InvalidArgument("parameters.sequence_start and sequence_end need a parameters.sequence_id");
  }
  return o;
}

Result<ModelSignature> InferenceService::model(const std::string& name, const std::string& version) const {
  Result<ModelSignature> found = controller_->requests().signature(name);
  if (!found.ok()) {
    if (found.status().code() != StatusCode::kNotFound) return found.status();
    // Not taking requests, but known: unloaded, being applied, or between its old and new instance.
    if (controller_->unloaded().count(name) > 0) {
      return Unavailable(
          fmt::format("Model/{} is unloaded (POST /v2/repository/models/{}/load runs it again)", name, name));
    }
    const std::string doc = "Model/" + name;
    if (const ApplyProgress p = controller_->progress(); p.applying) {
      for (size_t at = p.summary.find(doc); at != std::string::npos; at = p.summary.find(doc, at + 1)) {
        const size_t end = at + doc.size();
        if (end == p.summary.size() || p.summary[end] == ',') {
          if (p.summary.rfind("unload ", 0) == 0) return Unavailable(fmt::format("{} is being unloaded", doc));
          return Unavailable(
              fmt::format("{} is being applied ({}): it takes requests once loaded and warmed up", doc, p.summary));
        }
      }
    }
    if (controller_->applied().find_model(name) != nullptr) {
      return Unavailable(fmt::format("{} is applied but not running now (it is being unloaded or replaced)", doc));
    }
    return found.status();
  }
  ModelSignature sig = std::move(found).value();
  if (version.empty() || version == kserve_version(sig.version)) return sig;
  if (auto beside = controller_->requests().candidate_version(name); beside && version == kserve_version(*beside)) {
    sig.version = *beside;
    return sig;
  }
  // A kept earlier version: loaded for the requests that name it (the first waits for its load).
  if (auto kept = controller_->model_versions(name); kept.ok()) {
    for (const std::string& v : *kept) {
      if (kserve_version(v) == version) return controller_->serve_version(name, v);
    }
  }
  std::vector<std::string> running = {kserve_version(sig.version)};
  if (auto beside = controller_->requests().candidate_version(name)) running.push_back(kserve_version(*beside));
  std::vector<std::string> kept;
  for (const std::string& v : versions(name)) {
    if (std::find(running.begin(), running.end(), v) == running.end()) kept.push_back(v);
  }
  return NotFound(fmt::format("model \"{}\" has no version \"{}\" (it runs version{} \"{}\"{})", sig.model, version,
                              running.size() > 1 ? "s" : "", fmt::join(running, "\", \""),
                              kept.empty() ? "" : fmt::format("; it keeps \"{}\"", fmt::join(kept, "\", \""))));
}

std::vector<std::string> InferenceService::versions(const std::string& name) const {
  std::vector<std::string> out;
  Result<ModelSignature> sig = controller_->requests().signature(name);
  if (!sig.ok()) return out;
  out.push_back(kserve_version(sig->version));
  if (auto beside = controller_->requests().candidate_version(name)) out.push_back(kserve_version(*beside));
  if (auto kept = controller_->model_versions(name); kept.ok()) {
    for (const std::string& v : *kept) {
      if (std::find(out.begin(), out.end(), kserve_version(v)) == out.end()) out.push_back(kserve_version(v));
    }
  }
  return out;
}

namespace {

// The spec.version a request's KServe version names (RequestOptions::version); "" for none.
std::string raw_version(const InferenceService& service, const std::string& model, const std::string& version) {
  if (version.empty()) return "";
  Result<ModelSignature> sig = service.model(model, version);
  return sig.ok() ? sig->version : version;  // an unknown one is refused by the request tasks
}

}  // namespace

Status InferenceService::ready(const std::string& name, const std::string& version) const {
  Result<ModelSignature> sig = model(name, version);
  return sig.ok() ? controller_->requests().ready(sig->model) : sig.status();
}

Status InferenceService::check_datatype(const ModelSignature& sig, std::string_view input, std::string_view datatype) {
  for (const auto& want : sig.inputs) {
    if (want.name == input && datatype != kserve_datatype(want.dtype)) {
      return InvalidArgument(
          fmt::format("input \"{}\": expected datatype {}, got {}", want.name, kserve_datatype(want.dtype), datatype));
    }
  }
  return Status::Ok();
}

Status InferenceService::check_output(const ModelSignature& sig, std::string_view name, bool media) {
  if (name == kPredictionsOutput) {
    if (media && sig.postprocess) return Status::Ok();
    if (media) {
      return InvalidArgument(fmt::format(
          "output \"{}\": Model/{} declares no post-processing, so it has no predictions", name, sig.model));
    }
    if (sig.postprocess) {
      return InvalidArgument(fmt::format(
          "output \"{}\" comes with raw media inputs (a BYTES input with parameters.content_type), not with tensors",
          name));
    }
  }
  std::string names;
  for (const auto& s : sig.outputs) {
    if (s.name == name) return Status::Ok();
    names += (names.empty() ? "" : ", ") + s.name;
  }
  return InvalidArgument(fmt::format("unknown output \"{}\" (the model gives {})", name, names));
}

Status InferenceService::check_media_input(const ModelSignature& sig, const MediaInput& media, size_t inputs,
                                           int64_t elements) {
  const std::string& name = media.name;
  if (media.content_type.empty()) {
    return InvalidArgument(
        fmt::format("input \"{}\": a BYTES input is raw media here, and parameters.content_type must name its format "
                    "(image/jpeg, image/png, audio/wav, audio/flac, audio/ogg)",
                    name));
  }
  const std::string& want = sig.inputs.at(0).name;
  if (name != want) {
    return InvalidArgument(fmt::format("unknown input \"{}\" (Model/{} takes one input, \"{}\", which raw media feeds)",
                                       name, sig.model, want));
  }
  if (inputs != 1) {
    return InvalidArgument(
        fmt::format("input \"{}\": raw media is the request's only input, got {} inputs", name, inputs));
  }
  if (elements != 1) {
    return InvalidArgument(
        fmt::format("input \"{}\": raw media is one BYTES element (shape [1]), got {}", name, elements));
  }
  return Status::Ok();
}

std::vector<std::string> InferenceService::default_media_outputs(const ModelSignature& sig) {
  if (sig.postprocess) return {std::string(kPredictionsOutput)};
  return {};
}

std::vector<std::string> InferenceService::prediction_elements(const std::vector<Prediction>& predictions) {
  std::vector<std::string> out;
  out.reserve(predictions.size());
  for (const Prediction& p : predictions) out.push_back(prediction_to_json(p).dump());
  return out;
}

std::vector<InferenceService::ModelRequestStats> InferenceService::request_stats(
    const std::vector<std::string>& names) const {
  RequestTasks& tasks = controller_->requests();
  std::vector<ModelRequestStats> out;
  for (const std::string& name : names.empty() ? tasks.models() : names) {
    Result<ModelSignature> sig = tasks.signature(name);
    Result<RequestStats> st = tasks.stats(name);
    if (!sig.ok() || !st.ok()) continue;  // unloaded meanwhile
    out.push_back({std::move(sig).value(), std::move(st).value()});
  }
  return out;
}

std::vector<RepositoryEntry> InferenceService::repository(bool only_ready) const {
  std::vector<RepositoryEntry> out;
  for (const ModelRuntimeStats& m : controller_->stats().models) {
    const ModelState st = m.model.state;
    if (only_ready && !takes_inputs(st)) continue;
    const char* state = takes_inputs(st)                                           ? "READY"
                        : st == ModelState::kLoading || st == ModelState::kWarming ? "LOADING"
                        : st == ModelState::kDraining                              ? "UNLOADING"
                                                                                   : "UNAVAILABLE";
    out.push_back(RepositoryEntry{m.model.name, kserve_version(m.model.version), state,
                                  st == ModelState::kReady ? "" : m.model.reason});
  }
  if (!only_ready) {
    const DocumentSet stored = controller_->applied();
    for (const std::string& name : controller_->unloaded()) {
      const ModelDoc* doc = stored.find_model(name);
      out.push_back(
          RepositoryEntry{name, kserve_version(doc == nullptr ? "" : doc->spec.version), "UNAVAILABLE", "unloaded"});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

namespace {

// A model found a moment ago may have gone since (unloaded, replaced): that is Unavailable, as it
// would have been a moment later, not an unknown model.
template <typename T>
Result<T> gone_is_unavailable(const std::string& model, Result<T> out) {
  if (!out.ok() && out.status().code() == StatusCode::kNotFound) {
    return Unavailable(fmt::format("Model/{} went while the request arrived (unloaded or replaced)", model));
  }
  return out;
}

}  // namespace

void InferenceService::infer(const std::string& model, std::vector<NamedTensor> inputs, const InferenceParameters& p,
                             InferenceAnswerFn answer) {
  Result<RequestTasks::Options> options = request_options(p);
  if (!options.ok()) {
    failed(model, now());
    return answer(options.status());
  }
  options->version = raw_version(*this, model, p.version);
  controller_->requests().infer_async(model, std::move(inputs), std::move(options).value(),
                                      [model, answer = std::move(answer)](Result<std::vector<NamedTensor>> out,
                                                                          std::string_view version) {
                                        out = gone_is_unavailable(model, std::move(out));
                                        if (!out.ok()) return answer(out.status());
                                        answer(InferenceAnswer{std::move(out).value(), std::string(version)});
                                      });
}

void InferenceService::infer_media(const std::string& model, MediaInput media, const InferenceParameters& p,
                                   MediaAnswerFn answer) {
  Result<RequestTasks::Options> options = request_options(p);
  if (!options.ok()) {
    failed(model, now());
    return answer(options.status());
  }
  options->version = raw_version(*this, model, p.version);
  controller_->media_requests().infer(model, std::move(media), std::move(options).value(),
                                      [model, answer = std::move(answer)](Result<MediaAnswer> out) {
                                        answer(gone_is_unavailable(model, std::move(out)));
                                      });
}

}  // namespace sensix::api
