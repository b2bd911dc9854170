// The inference API of the device service: KServe v2 / Open Inference Protocol over HTTP
// (docs/api.md, "Inference"), on the runtime's request tasks (runtime/request_tasks.h), so that a
// request is scheduled with the sensors' inputs of the same model.
//
//   GET  /v2                                              server metadata
//   GET  /v2/models/{model}[/versions/{version}]          model metadata: inputs, outputs
//   GET  /v2/models/{model}[/versions/{version}]/ready    200 ready, 503 not (with the reason)
//   POST /v2/models/{model}[/versions/{version}]/infer    JSON tensors in, JSON tensors out
//   POST /v2/repository/index                             every model: name, version, state (Triton's)
//
// As the protocol says, an error here is {"error": "<message>"}: 400 a bad request (the input,
// what was expected and what came), 404 an unknown model or version, 503 a model not ready, a
// request refused under overload or unanswered within its timeout. A model's version is its
// document's spec.version ("1" when it has none).
//
// Thread-safety: the handlers run on the server's handler threads; the request tasks are
// thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "api/control_api.h"
#include "api/http_server.h"

namespace sensix::api {

// `guard(mutating, handler)` wraps a handler in the control API's authentication (an inference
// request is not mutating: a read-only token may infer).
using RouteGuard = std::function<HttpHandler(bool mutating, HttpHandler handler)>;
void add_kserve_routes(Router& router, std::shared_ptr<ControlApiContext> ctx, const RouteGuard& guard,
                       const std::string& version);

}  // namespace sensix::api
