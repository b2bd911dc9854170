#include "api/kserve_api.h"

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

std::string version_of(const ModelSignature& sig) { return sig.version.empty() ? "1" : sig.version; }

// The model's signature, with the version the path names (if any) checked.
Result<ModelSignature> find_model(Controller* controller, const HttpRequest& req) {
  SENSIX_ASSIGN_OR_RETURN(ModelSignature sig, controller->requests().signature(req.params.at("model")));
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
  Result<ModelSignature> sig = find_model(controller, req);
  if (!sig.ok()) return kserve_status(sig.status());
  const Status ready = controller->requests().ready(sig->model);
  if (ready.ok()) return kserve_reply(json{{"name", sig->model}, {"ready", true}});
  if (ready.code() != StatusCode::kUnavailable) return kserve_status(ready);
  return kserve_reply(json{{"name", sig->model}, {"ready", false}, {"reason", ready.message()}}, 503);
}

HttpReply infer(Controller* controller, const HttpRequest& req) {
  Result<ModelSignature> sig = find_model(controller, req);
  if (!sig.ok()) return kserve_status(sig.status());
  const std::string type = req.header("content-type");
  if (!type.empty() && type.find("json") == std::string::npos) {
    return kserve_error(400,
                        fmt::format("the request body must be JSON (Content-Type application/json), not {}", type));
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return kserve_error(400, "the request body is not valid JSON");
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
  if (body.contains("parameters")) {
    for (const auto& [key, v] : body["parameters"].items()) {
      if (key == "timeout") {
        if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
          return kserve_error(400, "parameters.timeout must be a positive integer (microseconds)");
        }
        timeout = std::chrono::microseconds(v.get<int64_t>());
      } else {
        return kserve_error(400,
                            fmt::format("parameters.{} is not a parameter this server takes (it takes timeout)", key));
      }
    }
  }
  if (!body.contains("inputs") || !body["inputs"].is_array()) {
    return kserve_error(400, "the request has no \"inputs\" array");
  }
  std::vector<NamedTensor> inputs;
  for (const json& in : body["inputs"]) {
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
    auto t = tensor_from_json(in);
    if (!t.ok()) return kserve_status(t.status());
    inputs.push_back(NamedTensor{t->first, std::move(t->second)});
  }
  // Which outputs to return: all, or those asked for.
  std::vector<std::string> wanted;
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
      wanted.push_back(name);
    }
  }
  Result<std::vector<NamedTensor>> out = controller->requests().infer(sig->model, std::move(inputs), timeout);
  if (!out.ok()) return kserve_status(out.status());
  json outputs = json::array();
  for (const NamedTensor& t : *out) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), t.name) == wanted.end()) continue;
    outputs.push_back(tensor_to_json(t.name, t.tensor));
  }
  json response{{"model_name", sig->model}, {"model_version", version_of(*sig)}, {"outputs", std::move(outputs)}};
  if (body.contains("id")) response["id"] = body["id"];
  return kserve_reply(response);
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
    json entry{{"name", m.model.name}, {"version", m.model.version.empty() ? "1" : m.model.version}, {"state", state}};
    if (st != ModelState::kReady && !m.model.reason.empty()) entry["reason"] = m.model.reason;
    out.push_back(std::move(entry));
  }
  return kserve_reply(out);
}

}  // namespace

void add_kserve_routes(Router& router, std::shared_ptr<ControlApiContext> ctx, const RouteGuard& guard,
                       const std::string& version) {
  router.add("GET", "/v2", guard(false, [version](HttpRequest&) {
               return kserve_reply(json{{"name", "sensix"}, {"version", version}, {"extensions", json::array()}});
             }));
  for (const std::string base : {"/v2/models/{model}", "/v2/models/{model}/versions/{version}"}) {
    router.add("GET", base, guard(false, [ctx](HttpRequest& req) { return model_metadata(ctx->controller, req); }));
    router.add("GET", base + "/ready",
               guard(false, [ctx](HttpRequest& req) { return model_ready(ctx->controller, req); }));
    router.add("POST", base + "/infer", guard(false, [ctx](HttpRequest& req) { return infer(ctx->controller, req); }));
  }
  router.add("POST", "/v2/repository/index",
             guard(false, [ctx](HttpRequest& req) { return repository_index(ctx->controller, req); }));
}

}  // namespace sensix::api
