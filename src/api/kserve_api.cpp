#include "api/kserve_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/inference_service.h"
#include "api/kserve_tensors.h"
#include "control/controller.h"
#include "runtime/request_tasks.h"

namespace sensix::api {
namespace {

using json = nlohmann::json;

HttpReply kserve_reply(const json& j, int status = 200) {
  HttpReply reply;
  reply.response.status = status;
  reply.response.body = j.dump() + "\n";
  return reply;
}

// The protocol's error object.
HttpReply kserve_error(int status, std::string_view message) {
  return kserve_reply(json{{"error", std::string(message)}}, status);
}

HttpReply kserve_status(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition: return kserve_error(400, s.message());
    case StatusCode::kNotFound: return kserve_error(404, s.message());
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted: return kserve_error(503, s.message());
    default: return kserve_error(500, s.message());
  }
}

std::string version_of(const ModelSignature& sig) { return kserve_version(sig.version); }

// The model the path names, with the version it names (if any).
Result<ModelSignature> find_model(const InferenceService& service, const HttpRequest& req) {
  auto v = req.params.find("version");
  return service.model(req.params.at("model"), v == req.params.end() ? "" : v->second);
}

json tensor_metadata(const TensorSignature& t) {
  return json{{"name", t.name}, {"datatype", kserve_datatype(t.dtype)}, {"shape", t.shape}};
}

HttpReply model_metadata(const InferenceService& service, const HttpRequest& req) {
  Result<ModelSignature> sig = find_model(service, req);
  if (!sig.ok()) return kserve_status(sig.status());
  json inputs = json::array(), outputs = json::array();
  for (const auto& t : sig->inputs) inputs.push_back(tensor_metadata(t));
  for (const auto& t : sig->outputs) outputs.push_back(tensor_metadata(t));
  return kserve_reply(json{{"name", sig->model},
                           {"versions", service.versions(sig->model)},
                           {"platform", kserve_platform(sig->engine)},
                           {"inputs", inputs},
                           {"outputs", outputs}});
}

HttpReply model_ready(const InferenceService& service, const HttpRequest& req) {
  // Not ready (Unavailable): loading, draining, failed, or unloaded.
  auto v = req.params.find("version");
  const Status ready = service.ready(req.params.at("model"), v == req.params.end() ? "" : v->second);
  const std::string& name = req.params.at("model");
  if (ready.ok()) return kserve_reply(json{{"name", name}, {"ready", true}});
  if (ready.code() != StatusCode::kUnavailable) return kserve_status(ready);
  return kserve_reply(json{{"name", name}, {"ready", false}, {"reason", ready.message()}}, 503);
}

// An inference request handed to the scheduler: what its reply needs.
struct PendingInference {
  std::string model, version;                        // version: the one that ran it, once answered
  std::optional<std::string> id;                     // the request's id, if it gave one
  std::vector<std::pair<std::string, bool>> wanted;  // outputs asked for (none: all), each binary or not
  bool binary_output = false;                        // parameters.binary_data_output
  std::vector<NamedTensor> inputs;
};

// The reply to an inference request: the outputs asked for (all when none was), each as JSON or
// binary data (then the body is the JSON, Inference-Header-Content-Length long, and their bytes);
// for raw media, its predictions' output when asked for.
HttpReply inference_reply(const PendingInference& p, const std::vector<NamedTensor>& out,
                          const std::vector<Prediction>* predictions = nullptr) {
  // The JSON is written as text, with the keys in the order nlohmann's objects keep (sorted): built
  // as nlohmann values it took most of a small request's time outside the engine.
  std::string outputs;  // the entries of "outputs", comma-separated
  std::string data;     // the binary outputs' bytes, in order
  bool any_binary = false;
  auto wanted = [&](const std::string& name) -> std::optional<bool> {  // as binary or not; nullopt: not asked for
    if (p.wanted.empty()) return p.binary_output;
    auto w = std::find_if(p.wanted.begin(), p.wanted.end(), [&](const auto& x) { return x.first == name; });
    if (w == p.wanted.end()) return std::nullopt;
    return w->second;
  };
  auto add = [&](const std::string& entry) {
    if (!outputs.empty()) outputs += ',';
    outputs += entry;
  };
  for (const NamedTensor& t : out) {
    const std::optional<bool> as_binary = wanted(t.name);
    if (!as_binary) continue;
    any_binary = any_binary || *as_binary;
    add(*as_binary ? tensor_to_binary(t.name, t.tensor, &data) : tensor_to_json(t.name, t.tensor).dump());
  }
  if (predictions != nullptr && !p.wanted.empty()) {
    if (const std::optional<bool> as_binary = wanted(std::string(kPredictionsOutput))) {
      const std::string name(kPredictionsOutput);
      const std::vector<std::string> elements = InferenceService::prediction_elements(*predictions);
      any_binary = any_binary || *as_binary;
      add((*as_binary ? bytes_to_binary(name, elements, &data) : bytes_to_json(name, elements)).dump());
    }
  }
  HttpReply reply;
  std::string& body = reply.response.body;
  body.reserve(outputs.size() + p.model.size() + p.version.size() + 64);
  body = "{";
  if (p.id) {
    body += "\"id\":";
    append_json_string(*p.id, &body);
    body += ',';
  }
  body += "\"model_name\":";
  append_json_string(p.model, &body);
  body += ",\"model_version\":";
  append_json_string(p.version, &body);
  body += ",\"outputs\":[";
  body += outputs;
  body += "]}";
  if (!any_binary) {
    body += '\n';
    return reply;
  }
  reply.response.headers.emplace_back("Inference-Header-Content-Length", std::to_string(body.size()));
  reply.response.content_type = "application/octet-stream";
  body += data;
  return reply;
}

namespace dom = simdjson::dom;

// A raw media input of the request (a BYTES input with parameters.content_type): its bytes from
// `data` (base64) or from the binary data at `*offset`, which it moves past them.
Result<MediaInput> media_input(const ModelSignature& sig, dom::object in, size_t inputs, std::string_view binary,
                               size_t* offset) {
  MediaInput media;
  std::string_view unknown;
  const auto [name, shape, data, parameters,
              datatype] = json_fields<5>(in, {"name", "shape", "data", "parameters", "datatype"}, &unknown);
  if (name && name->is_string()) media.name = std::string_view(*name);
  if (media.name.empty()) return InvalidArgument("an input has no \"name\"");
  if (!unknown.empty()) {
    return InvalidArgument(fmt::format("input \"{}\": unknown field \"{}\"", media.name, unknown));
  }
  std::optional<int64_t> binary_size;
  if (parameters) {
    if (!parameters->is_object()) {
      return InvalidArgument(fmt::format("input \"{}\": \"parameters\" must be an object", media.name));
    }
    for (dom::key_value_pair p : dom::object(*parameters)) {
      const std::optional<int64_t> size = json_int64(p.value);
      if (p.key == "content_type" && p.value.is_string()) {
        media.content_type = std::string_view(p.value);
      } else if (p.key == "binary_data_size" && size && *size >= 0) {
        binary_size = size;
      } else {
        return InvalidArgument(fmt::format(
            "input \"{}\": parameters.{} is not taken here (a BYTES input takes content_type, a string, and "
            "binary_data_size, a byte count)",
            media.name, p.key));
      }
    }
  }
  int64_t elements = 1;
  if (!shape || !shape->is_array()) {
    return InvalidArgument(fmt::format("input \"{}\": \"shape\" must be an array", media.name));
  }
  for (dom::element d : dom::array(*shape)) {
    const std::optional<int64_t> dim = json_int64(d);
    if (!dim || *dim < 0 || *dim > 1024) {
      return InvalidArgument(fmt::format("input \"{}\": \"shape\" must hold non-negative integers", media.name));
    }
    elements *= *dim;
  }
  SENSIX_RETURN_IF_ERROR(InferenceService::check_media_input(sig, media, inputs, elements));
  if (binary_size) {
    if (data) {
      return InvalidArgument(fmt::format(
          "input \"{}\": has both \"data\" and parameters.binary_data_size (one or the other)", media.name));
    }
    const uint64_t size = static_cast<uint64_t>(*binary_size);
    if (size > binary.size() - *offset) {
      return InvalidArgument(fmt::format("input \"{}\": binary_data_size {} is beyond the {} bytes of binary data left",
                                         media.name, size, binary.size() - *offset));
    }
    media.bytes = std::string(bytes_element_from_binary(binary.substr(*offset, size)));
    *offset += size;
  } else if (data) {
    SENSIX_ASSIGN_OR_RETURN(media.bytes, bytes_element(*data, media.name));
  } else {
    return InvalidArgument(fmt::format("input \"{}\": \"data\" is missing", media.name));
  }
  return media;
}

// A request parameter's value: a boolean, an integer, a number, a string, or (anything else) its
// JSON text.
ParameterValue parameter_value(dom::element v) {
  switch (v.type()) {
    case dom::element_type::BOOL: return ParameterValue(bool(v));
    case dom::element_type::INT64: return ParameterValue(int64_t(v));
    case dom::element_type::UINT64: return ParameterValue(static_cast<double>(uint64_t(v)));  // past int64_t
    case dom::element_type::DOUBLE: return ParameterValue(double(v));
    case dom::element_type::STRING: return ParameterValue(std::string(std::string_view(v)));
    default: return ParameterValue(json_text(v));
  }
}

// The request once its model is known; `*asked` is set once the request tasks have it (they count
// it in the model's statistics from then on).
HttpReply infer_model(const std::shared_ptr<InferenceService>& service, const HttpRequest& req,
                      const Result<ModelSignature>& sig, bool* asked);

HttpReply infer(const std::shared_ptr<InferenceService>& service, const HttpRequest& req) {
  const TimePoint arrived = service->now();
  Result<ModelSignature> sig = find_model(*service, req);
  if (!sig.ok()) return kserve_status(sig.status());
  bool asked = false;
  HttpReply reply = infer_model(service, req, sig, &asked);
  if (!asked && !reply.later && reply.response.status != 200) service->failed(sig->model, arrived);
  return reply;
}

HttpReply infer_model(const std::shared_ptr<InferenceService>& service, const HttpRequest& req,
                      const Result<ModelSignature>& sig, bool* asked) {
  // Triton's binary tensor extension: the JSON is the body's first Inference-Header-Content-Length
  // bytes, the inputs' binary data follows in their order.
  std::string_view header = req.body, binary;
  const std::string_view header_length = req.header("inference-header-content-length");
  const bool has_binary = !header_length.empty();
  if (has_binary) {
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(header_length.data(), header_length.data() + header_length.size(), n);
    if (ec != std::errc() || end != header_length.data() + header_length.size()) {
      return kserve_error(400, fmt::format("Inference-Header-Content-Length must be a byte count, got \"{}\"",
                                           header_length));
    }
    if (n > req.body.size()) {
      return kserve_error(400, fmt::format("Inference-Header-Content-Length is {} but the body has {} bytes", n,
                                           req.body.size()));
    }
    header = header.substr(0, n);
    binary = std::string_view(req.body).substr(n);
  } else if (const std::string_view type = req.header("content-type");
             !type.empty() && type.find("json") == std::string::npos) {
    return kserve_error(400, fmt::format("the request body must be JSON (Content-Type application/json), not {}; "
                                         "binary tensors need Inference-Header-Content-Length",
                                         type));
  }
  // Read in place from simdjson's document: it reads the inputs' data (the bulk of a JSON request)
  // several times faster than nlohmann, and a small request's rest without building a second tree.
  // The body's string has room after it (HttpServer reserves it): the JSON is parsed in place.
  Result<JsonRequest> parsed = JsonRequest::parse(header, req.body.capacity() - header.size());
  if (!parsed.ok()) return kserve_status(parsed.status());
  if (!parsed->root().is_object()) return kserve_error(400, "the request body must be a JSON object with \"inputs\"");
  std::string_view unknown;
  const auto [id, parameters, inputs_v,
              outputs_v] = json_fields<4>(parsed->root(), {"id", "parameters", "inputs", "outputs"}, &unknown);
  if (!unknown.empty()) {
    return kserve_error(400, fmt::format("unknown field \"{}\" in the request (expected id, parameters, inputs, "
                                         "outputs)",
                                         unknown));
  }
  if (id && !id->is_string()) return kserve_error(400, "\"id\" must be a string");
  if (parameters && !parameters->is_object()) return kserve_error(400, "\"parameters\" must be an object");
  InferenceParameters params;
  if (auto v = req.params.find("version"); v != req.params.end()) params.version = v->second;  // that one alone
  if (parameters) {
    for (dom::key_value_pair p : dom::object(*parameters)) {
      if (Status s = set_parameter(&params, p.key, parameter_value(p.value)); !s.ok()) return kserve_status(s);
    }
  }
  if (!inputs_v || !inputs_v->is_array()) return kserve_error(400, "the request has no \"inputs\" array");
  const dom::array inputs_a = *inputs_v;
  std::vector<NamedTensor> inputs;
  std::optional<MediaInput> media;  // a raw media request
  size_t offset = 0;                // into `binary`
  for (dom::element in : inputs_a) {
    std::array<std::optional<dom::element>, 2> fields;
    std::string_view others;  // input_header names an unknown field
    if (in.is_object()) fields = json_fields<2>(in, {"name", "datatype"}, &others);
    const auto& [name, datatype] = fields;
    if (datatype && datatype->is_string() && std::string_view(*datatype) == "BYTES") {
      Result<MediaInput> m = media_input(*sig, in, inputs_a.size(), binary, &offset);
      if (!m.ok()) return kserve_status(m.status());
      media = std::move(m).value();
      continue;
    }
    // The model's own words about its input's datatype first (in the protocol's names), then the
    // tensor itself.
    if (datatype && datatype->is_string() && name && name->is_string()) {
      const Status s = InferenceService::check_datatype(*sig, std::string_view(*name), std::string_view(*datatype));
      if (!s.ok()) return kserve_status(s);
    }
    std::optional<dom::element> data;
    Result<InputHeader> h = input_header(in, &data);
    if (!h.ok()) return kserve_status(h.status());
    Result<Tensor> t = [&]() -> Result<Tensor> {
      if (!h->binary_size) return tensor_of_data(*data, *h);  // input_header saw it
      if (!has_binary) {
        return InvalidArgument(
            fmt::format("input \"{}\": parameters.binary_data_size, but the request has no "
                        "Inference-Header-Content-Length (no binary data)",
                        h->name));
      }
      const uint64_t size = static_cast<uint64_t>(*h->binary_size);
      if (size > binary.size() - offset) {
        return InvalidArgument(
            fmt::format("input \"{}\": binary_data_size {} is beyond the {} bytes of binary data "
                        "left",
                        h->name, size, binary.size() - offset));
      }
      const std::string_view bytes = binary.substr(offset, size);
      offset += size;
      return tensor_from_binary(*h, bytes);
    }();
    if (!t.ok()) return kserve_status(t.status());
    inputs.push_back(NamedTensor{h->name, std::move(*t)});
  }
  if (offset != binary.size()) {
    return kserve_error(400, fmt::format("the body has {} bytes of binary data, the inputs' binary_data_size add up "
                                         "to {}",
                                         binary.size(), offset));
  }
  // Which outputs to return (all, or those asked for), each as JSON or binary data.
  std::vector<std::pair<std::string, bool>> wanted;
  if (outputs_v) {
    if (!outputs_v->is_array()) return kserve_error(400, "\"outputs\" must be an array");
    for (dom::element o : dom::array(*outputs_v)) {
      const std::optional<dom::element> name_v = o.is_object() ? json_field(o, "name") : std::nullopt;
      if (!name_v || !name_v->is_string()) {
        return kserve_error(400, "each requested output must be an object with a \"name\"");
      }
      const std::string name{std::string_view(*name_v)};
      if (Status s = InferenceService::check_output(*sig, name, media.has_value()); !s.ok()) return kserve_status(s);
      bool as_binary = params.binary_data_output;
      for (dom::key_value_pair f : dom::object(o)) {
        if (f.key == "name") continue;
        if (f.key != "parameters" || !f.value.is_object()) {
          return kserve_error(400, fmt::format("output \"{}\": unknown field \"{}\" (expected name, parameters)", name,
                                               f.key));
        }
        for (dom::key_value_pair pf : dom::object(f.value)) {
          if (pf.key != "binary_data" || !pf.value.is_bool()) {
            return kserve_error(400, fmt::format("output \"{}\": parameters.{} is not a parameter this server takes "
                                                 "(it takes binary_data: true or false)",
                                                 name, pf.key));
          }
          as_binary = bool(pf.value);
        }
      }
      wanted.emplace_back(name, as_binary);
    }
  }
  if (media && wanted.empty()) {
    for (std::string& name : InferenceService::default_media_outputs(*sig))
      wanted.emplace_back(std::move(name), params.binary_data_output);
  }
  *asked = true;
  // The answer comes from the scheduler's lane that runs the request (or its deadline): the reply is
  // made there and handed to the connection, with no thread waiting for it.
  auto pending = std::make_shared<PendingInference>();
  pending->model = sig->model;
  if (id) pending->id = std::string(std::string_view(*id));
  pending->wanted = std::move(wanted);
  pending->binary_output = params.binary_data_output;
  pending->inputs = std::move(inputs);
  HttpReply later;
  if (media) {
    later.later = [service, pending, params, media = std::move(*media)](std::function<void(HttpReply)> done) mutable {
      service->infer_media(pending->model, std::move(media), params,
                           [pending, done = std::move(done)](Result<MediaAnswer> out) {
                             if (!out.ok()) return done(kserve_status(out.status()));
                             pending->version = kserve_version(out->version);
                             done(inference_reply(*pending, out->outputs, &out->predictions));
                           });
    };
    return later;
  }
  later.later = [service, pending, params](std::function<void(HttpReply)> done) {
    service->infer(pending->model, std::move(pending->inputs), params,
                   [pending, done = std::move(done)](Result<InferenceAnswer> out) {
                     if (!out.ok()) return done(kserve_status(out.status()));
                     pending->version = kserve_version(out->version);
                     done(inference_reply(*pending, out->outputs));
                   });
  };
  return later;
}

// Triton's repository index: every model of the running set, its version and state. A body
// {"ready": true} keeps only the ready ones.
HttpReply repository_index(const InferenceService& service, const HttpRequest& req) {
  bool only_ready = false;
  if (!req.body.empty()) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return kserve_error(400, "the request body must be a JSON object");
    for (const auto& [key, v] : body.items()) {
      if (key != "ready") return kserve_error(400, fmt::format("unknown field \"{}\" (expected ready)", key));
      if (!v.is_boolean()) return kserve_error(400, "\"ready\" must be true or false");
      only_ready = v.get<bool>();
    }
  }
  json out = json::array();
  for (const RepositoryEntry& e : service.repository(only_ready)) {
    json entry{{"name", e.name}, {"version", e.version}, {"state", e.state}};
    if (!e.reason.empty()) entry["reason"] = e.reason;
    out.push_back(std::move(entry));
  }
  return kserve_reply(out);
}

// POST /v2/repository/models/{model}/load|unload: Triton's model control, on the applied Model
// documents. The body may be empty; unload takes Triton's parameters.unload_dependents (sensix
// models have none: a model that a Pipeline names is not unloaded).
HttpReply model_control(InferenceService& service, const HttpRequest& req, bool load) {
  const std::string& name = req.params.at("model");
  if (!req.body.empty()) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return kserve_error(400, "the request body must be a JSON object");
    for (const auto& [key, v] : body.items()) {
      if (key != "parameters" || !v.is_object()) {
        return kserve_error(400, fmt::format("unknown field \"{}\" (expected parameters)", key));
      }
      for (const auto& [pk, pv] : v.items()) {
        if (!load && pk == "unload_dependents" && pv.is_boolean()) continue;
        return kserve_error(400, fmt::format("parameters.{} is not taken here: {}", pk,
                                             load ? "a model loads from its applied Model document (apply a changed "
                                                    "one to change it)"
                                                  : "unload takes unload_dependents (true or false)"));
      }
    }
  }
  const Status s = load ? service.load(name) : service.unload(name);
  if (!s.ok()) return kserve_status(s);
  return kserve_reply(json::object());
}

json count_ns(const CountNs& c) { return json{{"count", c.count}, {"ns", c.ns}}; }

// One model's request statistics in Triton's shape (its statistics extension).
json model_stats_json(const ModelSignature& sig, const RequestStats& st) {
  json batch = json::array();
  for (const auto& [size, counts] : st.batches) {
    batch.push_back(json{{"batch_size", size},
                         {"compute_input", count_ns(counts.compute_input)},
                         {"compute_infer", count_ns(counts.compute_infer)},
                         {"compute_output", count_ns(counts.compute_output)}});
  }
  return json{{"name", sig.model},
              {"version", version_of(sig)},
              {"last_inference", st.last_inference_ms},
              {"inference_count", st.inferences},
              {"execution_count", st.executions},
              {"inference_stats",
               {{"success", count_ns(st.success)},
                {"fail", count_ns(st.fail)},
                {"queue", count_ns(st.queue)},
                {"compute_input", count_ns(st.compute_input)},
                {"compute_infer", count_ns(st.compute_infer)},
                {"compute_output", count_ns(st.compute_output)},
                {"cache_hit", count_ns(CountNs{})},
                {"cache_miss", count_ns(CountNs{})}}},
              {"batch_stats", batch},
              {"memory_usage", json::array()},
              // Beyond Triton: of the failures, those refused (overload, unload) and timed out.
              {"sensix",
               {{"refused", st.refused},
                {"timed_out", st.timed_out},
                {"sequences_open", st.sequences_open},
                {"sequences_expired", st.sequences_expired},
                {"shared_executions", st.shared_executions}}}};
}

// GET /v2/models/stats (every model) and /v2/models/{model}[/versions/{version}]/stats.
HttpReply model_stats(const InferenceService& service, const HttpRequest& req) {
  std::vector<std::string> names;  // none: every model
  if (req.params.count("model")) {
    Result<ModelSignature> sig = find_model(service, req);
    if (!sig.ok()) return kserve_status(sig.status());
    names.push_back(sig->model);
  }
  json out = json::array();
  for (const auto& [sig, st] : service.request_stats(names)) out.push_back(model_stats_json(sig, st));
  return kserve_reply(json{{"model_stats", out}});
}

json config_tensor(const TensorSignature& t) {
  return json{{"name", t.name}, {"data_type", "TYPE_" + std::string(kserve_datatype(t.dtype))}, {"dims", t.shape}};
}

// GET /v2/models/{model}[/versions/{version}]/config: the model in Triton's configuration shape.
// max_batch_size 0: the shapes include the batch dimension. The model's scheduling is in
// `parameters`, with its batching (batch_max, batch_delay_us) when it batches requests.
HttpReply model_config(const InferenceService& service, const HttpRequest& req) {
  Result<ModelSignature> sig = find_model(service, req);
  if (!sig.ok()) return kserve_status(sig.status());
  json inputs = json::array(), outputs = json::array();
  for (const auto& t : sig->inputs) inputs.push_back(config_tensor(t));
  for (const auto& t : sig->outputs) outputs.push_back(config_tensor(t));
  json parameters{{"priority", {{"string_value", std::string(priority_name(sig->priority))}}}};
  if (sig->objective_ns > 0) {
    parameters["objective_us"] = {{"string_value", std::to_string(sig->objective_ns / 1000)}};
  }
  if (!sig->stateful.empty()) parameters["stateful"] = {{"string_value", sig->stateful}};
  if (sig->batch.max > 1) {  // requests queued together run in one engine run (docs/api.md)
    parameters["batch_max"] = {{"string_value", std::to_string(sig->batch.max)}};
    parameters["batch_delay_us"] = {{"string_value", std::to_string(sig->batch.delay_ns / 1000)}};
  }
  return kserve_reply(json{{"name", sig->model},
                           {"platform", kserve_platform(sig->engine)},
                           {"backend", sig->engine},
                           {"version_policy", {{"specific", {{"versions", json::array({version_of(*sig)})}}}}},
                           {"max_batch_size", 0},
                           {"input", inputs},
                           {"output", outputs},
                           {"parameters", parameters}});
}

}  // namespace

void add_kserve_routes(Router& router, std::shared_ptr<ControlApiContext> ctx, const RouteGuard& guard,
                       const std::string& version) {
  auto service = std::make_shared<InferenceService>(ctx->controller);
  router.add("GET", "/v2", guard(false, [version](HttpRequest&) {
               return kserve_reply(json{{"name", "sensix"}, {"version", version}, {"extensions", kserve_extensions()}});
             }));
  // Before /v2/models/{model}: "stats" is this path, not a model (as in Triton).
  router.add("GET", "/v2/models/stats",
             guard(false, [service](HttpRequest& req) { return model_stats(*service, req); }));
  for (const std::string base : {"/v2/models/{model}", "/v2/models/{model}/versions/{version}"}) {
    router.add("GET", base, guard(false, [service](HttpRequest& req) { return model_metadata(*service, req); }));
    router.add("GET", base + "/stats",
               guard(false, [service](HttpRequest& req) { return model_stats(*service, req); }));
    router.add("GET", base + "/config",
               guard(false, [service](HttpRequest& req) { return model_config(*service, req); }));
    router.add("GET", base + "/ready",
               guard(false, [service](HttpRequest& req) { return model_ready(*service, req); }));
    // On the I/O thread: the handler checks the request and hands it to the scheduler (later).
    router.add("POST", base + "/infer", guard(false, [service](HttpRequest& req) { return infer(service, req); }),
               Router::RunOn::kIoThread);
  }
  router.add("POST", "/v2/repository/index",
             guard(false, [service](HttpRequest& req) { return repository_index(*service, req); }));
  router.add("POST", "/v2/repository/models/{model}/load",
             guard(true, [service](HttpRequest& req) { return model_control(*service, req, true); }));
  router.add("POST", "/v2/repository/models/{model}/unload",
             guard(true, [service](HttpRequest& req) { return model_control(*service, req, false); }));
}

}  // namespace sensix::api
