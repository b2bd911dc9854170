#include "api/kserve_api.h"

#include <charconv>
#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

// A model's version in the protocol: its document's spec.version, "1" when it has none.
std::string kserve_version(const std::string& version) { return version.empty() ? "1" : version; }
std::string version_of(const ModelSignature& sig) { return kserve_version(sig.version); }

// The model's signature, with the version the path names (if any) checked. An applied model that
// was unloaded is Unavailable, saying so.
Result<ModelSignature> find_model(Controller* controller, const HttpRequest& req) {
  const std::string& name = req.params.at("model");
  Result<ModelSignature> found = controller->requests().signature(name);
  if (!found.ok()) {
    if (controller->unloaded().count(name) > 0) {
      return Unavailable(
          fmt::format("Model/{} is unloaded (POST /v2/repository/models/{}/load runs it again)", name, name));
    }
    return found.status();
  }
  ModelSignature sig = std::move(found).value();
  if (auto v = req.params.find("version"); v != req.params.end() && v->second != version_of(sig)) {
    return NotFound(fmt::format("model \"{}\" has no version \"{}\" (it runs version \"{}\")", sig.model, v->second,
                                version_of(sig)));
  }
  return sig;
}

json tensor_metadata(const TensorSignature& t) {
  return json{{"name", t.name}, {"datatype", kserve_datatype(t.dtype)}, {"shape", t.shape}};
}

std::string platform_of(const std::string& engine) {
  if (engine == "onnxruntime") return "onnxruntime_onnx";
  if (engine == "tflite") return "tensorflow_tflite";
  return engine;
}

HttpReply model_metadata(Controller* controller, const HttpRequest& req) {
  Result<ModelSignature> sig = find_model(controller, req);
  if (!sig.ok()) return kserve_status(sig.status());
  json inputs = json::array(), outputs = json::array();
  for (const auto& t : sig->inputs) inputs.push_back(tensor_metadata(t));
  for (const auto& t : sig->outputs) outputs.push_back(tensor_metadata(t));
  return kserve_reply(json{{"name", sig->model},
                           {"versions", json::array({version_of(*sig)})},
                           {"platform", platform_of(sig->engine)},
                           {"inputs", inputs},
                           {"outputs", outputs}});
}

HttpReply model_ready(Controller* controller, const HttpRequest& req) {
  // Not ready (Unavailable): loading, draining, failed, or unloaded.
  Result<ModelSignature> sig = find_model(controller, req);
  const Status ready = sig.ok() ? controller->requests().ready(sig->model) : sig.status();
  const std::string& name = req.params.at("model");
  if (ready.ok()) return kserve_reply(json{{"name", name}, {"ready", true}});
  if (ready.code() != StatusCode::kUnavailable) return kserve_status(ready);
  return kserve_reply(json{{"name", name}, {"ready", false}, {"reason", ready.message()}}, 503);
}

// An inference request handed to the scheduler: what its reply needs.
struct PendingInference {
  std::string model, version;
  json id;                                           // null: none given
  std::vector<std::pair<std::string, bool>> wanted;  // outputs asked for (none: all), each binary or not
  bool binary_output = false;                        // parameters.binary_data_output
  std::vector<NamedTensor> inputs;
};

// The reply to an inference request: the outputs asked for (all when none was), each as JSON or
// binary data (then the body is the JSON, Inference-Header-Content-Length long, and their bytes).
HttpReply inference_reply(const PendingInference& p, const Result<std::vector<NamedTensor>>& out) {
  if (!out.ok()) return kserve_status(out.status());
  json outputs = json::array();
  std::string data;  // the binary outputs' bytes, in order
  bool any_binary = false;
  for (const NamedTensor& t : *out) {
    bool as_binary = p.binary_output;
    if (!p.wanted.empty()) {
      auto w = std::find_if(p.wanted.begin(), p.wanted.end(), [&](const auto& x) { return x.first == t.name; });
      if (w == p.wanted.end()) continue;
      as_binary = w->second;
    }
    any_binary = any_binary || as_binary;
    outputs.push_back(as_binary ? tensor_to_binary(t.name, t.tensor, &data) : tensor_to_json(t.name, t.tensor));
  }
  json response{{"model_name", p.model}, {"model_version", p.version}, {"outputs", std::move(outputs)}};
  if (!p.id.is_null()) response["id"] = p.id;
  if (!any_binary) return kserve_reply(response);
  HttpReply reply;
  reply.response.body = response.dump();
  reply.response.headers.emplace_back("Inference-Header-Content-Length", std::to_string(reply.response.body.size()));
  reply.response.content_type = "application/octet-stream";
  reply.response.body += data;
  return reply;
}

// The request once its model is known; `*asked` is set once the request tasks have it (they count
// it in the model's statistics from then on).
HttpReply infer_model(Controller* controller, const HttpRequest& req, const Result<ModelSignature>& sig, bool* asked);

HttpReply infer(Controller* controller, const HttpRequest& req) {
  const TimePoint arrived = controller->requests().now();
  Result<ModelSignature> sig = find_model(controller, req);
  if (!sig.ok()) return kserve_status(sig.status());
  bool asked = false;
  HttpReply reply = infer_model(controller, req, sig, &asked);
  if (!asked && !reply.later && reply.response.status != 200) controller->requests().failed(sig->model, arrived);
  return reply;
}

HttpReply infer_model(Controller* controller, const HttpRequest& req, const Result<ModelSignature>& sig, bool* asked) {
  // Triton's binary tensor extension: the JSON is the body's first Inference-Header-Content-Length
  // bytes, the inputs' binary data follows in their order.
  std::string_view header = req.body, binary;
  const std::string header_length = req.header("inference-header-content-length");
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
  } else if (const std::string type = req.header("content-type");
             !type.empty() && type.find("json") == std::string::npos) {
    return kserve_error(400, fmt::format("the request body must be JSON (Content-Type application/json), not {}; "
                                         "binary tensors need Inference-Header-Content-Length",
                                         type));
  }
  // simdjson reads the inputs' data (the bulk of a JSON request) several times faster than nlohmann.
  Result<JsonRequest> parsed = JsonRequest::parse(header);
  if (!parsed.ok()) return kserve_status(parsed.status());
  const json& body = parsed->json();
  if (!body.is_object()) return kserve_error(400, "the request body must be a JSON object with \"inputs\"");
  for (const auto& [key, v] : body.items()) {
    if (key != "id" && key != "parameters" && key != "inputs" && key != "outputs") {
      return kserve_error(400, fmt::format("unknown field \"{}\" in the request (expected id, parameters, inputs, "
                                           "outputs)",
                                           key));
    }
  }
  if (body.contains("id") && !body["id"].is_string()) return kserve_error(400, "\"id\" must be a string");
  if (body.contains("parameters") && !body["parameters"].is_object()) {
    return kserve_error(400, "\"parameters\" must be an object");
  }
  auto timeout = std::chrono::nanoseconds(std::chrono::seconds(30));
  bool binary_output = false;
  if (body.contains("parameters")) {
    for (const auto& [key, v] : body["parameters"].items()) {
      if (key == "timeout") {
        if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
          return kserve_error(400, "parameters.timeout must be a positive integer (microseconds)");
        }
        timeout = std::chrono::microseconds(v.get<int64_t>());
      } else if (key == "binary_data_output") {
        if (!v.is_boolean()) return kserve_error(400, "parameters.binary_data_output must be true or false");
        binary_output = v.get<bool>();
      } else {
        return kserve_error(400, fmt::format("parameters.{} is not a parameter this server takes (it takes timeout, "
                                             "binary_data_output)",
                                             key));
      }
    }
  }
  if (!body.contains("inputs") || !body["inputs"].is_array()) {
    return kserve_error(400, "the request has no \"inputs\" array");
  }
  std::vector<NamedTensor> inputs;
  size_t offset = 0;  // into `binary`
  for (size_t i = 0; i < body["inputs"].size(); ++i) {
    const json& in = body["inputs"][i];
    // The model's own words about its input's datatype first (in the protocol's names), then the
    // tensor itself.
    if (in.is_object() && in.contains("name") && in.contains("datatype") && in["datatype"].is_string()) {
      for (const auto& want : sig->inputs) {
        if (in["name"] == want.name && in["datatype"] != kserve_datatype(want.dtype)) {
          return kserve_error(400, fmt::format("input \"{}\": expected datatype {}, got {}", want.name,
                                               kserve_datatype(want.dtype), in["datatype"].get<std::string>()));
        }
      }
    }
    Result<InputHeader> h = input_header(in);
    if (!h.ok()) return kserve_status(h.status());
    Result<Tensor> t = [&]() -> Result<Tensor> {
      if (!h->binary_size) return parsed->tensor(i, *h);
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
  if (body.contains("outputs")) {
    if (!body["outputs"].is_array()) return kserve_error(400, "\"outputs\" must be an array");
    for (const json& o : body["outputs"]) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) {
        return kserve_error(400, "each requested output must be an object with a \"name\"");
      }
      const std::string name = o["name"].get<std::string>();
      bool known = false;
      std::string names;
      for (const auto& s : sig->outputs) {
        known = known || s.name == name;
        names += (names.empty() ? "" : ", ") + s.name;
      }
      if (!known) return kserve_error(400, fmt::format("unknown output \"{}\" (the model gives {})", name, names));
      bool as_binary = binary_output;
      for (const auto& [key, v] : o.items()) {
        if (key == "name") continue;
        if (key != "parameters" || !v.is_object()) {
          return kserve_error(400, fmt::format("output \"{}\": unknown field \"{}\" (expected name, parameters)", name,
                                               key));
        }
        for (const auto& [pk, pv] : v.items()) {
          if (pk != "binary_data" || !pv.is_boolean()) {
            return kserve_error(400, fmt::format("output \"{}\": parameters.{} is not a parameter this server takes "
                                                 "(it takes binary_data: true or false)",
                                                 name, pk));
          }
          as_binary = pv.get<bool>();
        }
      }
      wanted.emplace_back(name, as_binary);
    }
  }
  *asked = true;
  // The answer comes from the scheduler's lane that runs the request (or its deadline): the reply is
  // made there and handed to the connection, with no thread waiting for it.
  auto pending = std::make_shared<PendingInference>();
  pending->model = sig->model;
  pending->version = version_of(*sig);
  if (body.contains("id")) pending->id = body["id"];
  pending->wanted = std::move(wanted);
  pending->binary_output = binary_output;
  pending->inputs = std::move(inputs);
  RequestTasks* tasks = &controller->requests();
  HttpReply later;
  later.later = [tasks, pending, timeout](std::function<void(HttpReply)> done) {
    tasks->infer_async(pending->model, std::move(pending->inputs), timeout,
                       [pending, done = std::move(done)](Result<std::vector<NamedTensor>> out) {
                         done(inference_reply(*pending, out));
                       });
  };
  return later;
}

// Triton's repository index: every model of the running set, its version and state. A body
// {"ready": true} keeps only the ready ones.
HttpReply repository_index(Controller* controller, const HttpRequest& req) {
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
  for (const ModelRuntimeStats& m : controller->stats().models) {
    const ModelState st = m.model.state;
    if (only_ready && st != ModelState::kReady) continue;
    const char* state = st == ModelState::kReady                                   ? "READY"
                        : st == ModelState::kLoading || st == ModelState::kWarming ? "LOADING"
                        : st == ModelState::kDraining                              ? "UNLOADING"
                                                                                   : "UNAVAILABLE";
    json entry{{"name", m.model.name}, {"version", kserve_version(m.model.version)}, {"state", state}};
    if (st != ModelState::kReady && !m.model.reason.empty()) entry["reason"] = m.model.reason;
    out.push_back(std::move(entry));
  }
  if (!only_ready) {
    const DocumentSet stored = controller->applied();
    for (const std::string& name : controller->unloaded()) {
      const ModelDoc* doc = stored.find_model(name);
      out.push_back(json{{"name", name},
                         {"version", kserve_version(doc == nullptr ? "" : doc->spec.version)},
                         {"state", "UNAVAILABLE"},
                         {"reason", "unloaded"}});
    }
    std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
  }
  return kserve_reply(out);
}

// POST /v2/repository/models/{model}/load|unload: Triton's model control, on the applied Model
// documents. The body may be empty; unload takes Triton's parameters.unload_dependents (sensix
// models have none: a model that a Pipeline names is not unloaded).
HttpReply model_control(Controller* controller, const HttpRequest& req, bool load) {
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
  const Status s = load ? controller->load(name) : controller->unload(name);
  if (!s.ok()) return kserve_status(s);
  return kserve_reply(json::object());
}

json count_ns(const CountNs& c) { return json{{"count", c.count}, {"ns", c.ns}}; }

// One model's request statistics in Triton's shape (its statistics extension).
json model_stats_json(const ModelSignature& sig, const RequestStats& st) {
  json batch = json::array();
  if (st.executions > 0) {
    batch.push_back(json{{"batch_size", 1},
                         {"compute_input", count_ns(st.compute_input)},
                         {"compute_infer", count_ns(st.compute_infer)},
                         {"compute_output", count_ns(st.compute_output)}});
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
              {"sensix", {{"refused", st.refused}, {"timed_out", st.timed_out}}}};
}

// GET /v2/models/stats (every model) and /v2/models/{model}[/versions/{version}]/stats.
HttpReply model_stats(Controller* controller, const HttpRequest& req) {
  std::vector<std::string> names;
  if (req.params.count("model")) {
    Result<ModelSignature> sig = find_model(controller, req);
    if (!sig.ok()) return kserve_status(sig.status());
    names.push_back(sig->model);
  } else {
    names = controller->requests().models();
  }
  json out = json::array();
  for (const std::string& name : names) {
    Result<ModelSignature> sig = controller->requests().signature(name);
    Result<RequestStats> st = controller->requests().stats(name);
    if (!sig.ok() || !st.ok()) continue;  // unloaded meanwhile
    out.push_back(model_stats_json(*sig, *st));
  }
  return kserve_reply(json{{"model_stats", out}});
}

json config_tensor(const TensorSignature& t) {
  return json{{"name", t.name}, {"data_type", "TYPE_" + std::string(kserve_datatype(t.dtype))}, {"dims", t.shape}};
}

// GET /v2/models/{model}[/versions/{version}]/config: the model in Triton's configuration shape.
// Requests run one at a time (max_batch_size 0: the shapes include the batch dimension); the
// model's scheduling is in `parameters`.
HttpReply model_config(Controller* controller, const HttpRequest& req) {
  Result<ModelSignature> sig = find_model(controller, req);
  if (!sig.ok()) return kserve_status(sig.status());
  json inputs = json::array(), outputs = json::array();
  for (const auto& t : sig->inputs) inputs.push_back(config_tensor(t));
  for (const auto& t : sig->outputs) outputs.push_back(config_tensor(t));
  json parameters{{"priority", {{"string_value", std::string(priority_name(sig->priority))}}}};
  if (sig->objective_ns > 0) {
    parameters["objective_us"] = {{"string_value", std::to_string(sig->objective_ns / 1000)}};
  }
  if (!sig->stateful.empty()) parameters["stateful"] = {{"string_value", sig->stateful}};
  return kserve_reply(json{{"name", sig->model},
                           {"platform", platform_of(sig->engine)},
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
  router.add("GET", "/v2", guard(false, [version](HttpRequest&) {
               return kserve_reply(json{{"name", "sensix"},
                                        {"version", version},
                                        {"extensions", json::array({"binary_tensor_data", "model_configuration",
                                                                    "model_repository", "statistics"})}});
             }));
  // Before /v2/models/{model}: "stats" is this path, not a model (as in Triton).
  router.add("GET", "/v2/models/stats",
             guard(false, [ctx](HttpRequest& req) { return model_stats(ctx->controller, req); }));
  for (const std::string base : {"/v2/models/{model}", "/v2/models/{model}/versions/{version}"}) {
    router.add("GET", base, guard(false, [ctx](HttpRequest& req) { return model_metadata(ctx->controller, req); }));
    router.add("GET", base + "/stats",
               guard(false, [ctx](HttpRequest& req) { return model_stats(ctx->controller, req); }));
    router.add("GET", base + "/config",
               guard(false, [ctx](HttpRequest& req) { return model_config(ctx->controller, req); }));
    router.add("GET", base + "/ready",
               guard(false, [ctx](HttpRequest& req) { return model_ready(ctx->controller, req); }));
    // On the I/O thread: the handler checks the request and hands it to the scheduler (later).
    router.add("POST", base + "/infer", guard(false, [ctx](HttpRequest& req) { return infer(ctx->controller, req); }),
               Router::RunOn::kIoThread);
  }
  router.add("POST", "/v2/repository/index",
             guard(false, [ctx](HttpRequest& req) { return repository_index(ctx->controller, req); }));
  router.add("POST", "/v2/repository/models/{model}/load",
             guard(true, [ctx](HttpRequest& req) { return model_control(ctx->controller, req, true); }));
  router.add("POST", "/v2/repository/models/{model}/unload",
             guard(true, [ctx](HttpRequest& req) { return model_control(ctx->controller, req, false); }));
}

}  // namespace sensix::api
