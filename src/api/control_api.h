// The daemon's HTTP API (docs/api.md): the sensix v1 control API, health, /metrics and the OpenAPI
// description, as routes on a Router, over a Controller (control/) and a PredictionHub.
//
//   GET    /v2/health/live | /v2/health/ready
//   POST   /v1/apply[?dryRun=true]                      YAML or JSON, one or more documents
//   GET    /v1/progress                                 the apply in progress, if any
//   GET    /v1/documents[/{kind}[/{name}]]              as applied, with generation and revision
//   DELETE /v1/documents/{kind}/{name}[?dryRun=true]
//   GET    /v1/revisions
//   GET    /v1/sensors[/{name}] | /v1/models[/{name}] | /v1/pipelines[/{name}]
//   GET    /v1/predictions | /v1/predictions/stream     filters: sensor, model, pipeline, label, minScore
//   GET    /v1/stats
//   GET    /v1/log-level | PUT /v1/log-level            {"level": "debug"}
//   GET    /metrics | /openapi.json
//   GET    /v2 | /v2/models/{m}[/versions/{v}][/ready], POST .../infer   KServe v2 (kserve_api.h)
//
// Every error is {"error": {"code", "message", "field"?}} with its status: 400 a bad document or
// request (field: "Kind/name: field.path"; an unknown query parameter or a dryRun that is neither
// true nor false too), 401 no or a wrong token, 403 a read-only token on a mutating endpoint, 404
// unknown, 405 another method, 408 too slow, 409 a conflict (still referenced, the device, the
// memory budget), 413/431 too large, 500 a fault or a damaged store, 503 too many connections or
// stopping. /v2/health/ready is the exception: 200 or 503 with {"ready", "reasons"}.
//
// Tokens (docs/operations.md): a token file holds one token a line, optionally followed by
// "read" (a read-only token); '#' starts a comment. With tokens, every mutating endpoint needs
// "Authorization: Bearer <token>" of a full token; with `auth_reads`, every endpoint needs a token
// (the daemon sets it when it listens on a non-loopback address). Tokens are compared in constant
// time (their SHA-256 digests, with CRYPTO_memcmp) and never logged.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_server.h"
#include "api/prediction_hub.h"
#include "control/controller.h"

namespace sensix::api {

struct Token {
  std::string digest;  // SHA-256 of the token, raw bytes
  bool write = true;
};

// Reads a token file (see above); InvalidArgument naming the file and line for a bad one.
Result<std::vector<Token>> read_token_file(const std::string& path);

struct ControlApiOptions {
  std::vector<Token> tokens;  // empty: no authentication (loopback only)
  bool auth_reads = false;
  std::string version;  // of sensix, for /v1/stats
};

// Whether a request with this Authorization header (empty: none) may use an endpoint (`mutating`
// or not), as the HTTP API and the gRPC service both decide it.
struct Authorization {
  enum Verdict { kAllowed, kNoToken, kBadToken, kReadOnly } verdict = kAllowed;
  std::string message;  // why not
};
Authorization authorize(const ControlApiOptions& options, std::string_view header, bool mutating);

// What the routes read besides the controller: the server's counters (set once the server
// exists).
struct ControlApiContext {
  Controller* controller = nullptr;
  PredictionHub* hub = nullptr;
  std::function<HttpCounters()> http_counters;
  int64_t started_unix_ns = 0;
};

Router make_control_router(std::shared_ptr<ControlApiContext> context, ControlApiOptions options);

// The OpenAPI 3.1 description of every route of make_control_router.
const std::string& openapi_json();

}  // namespace sensix::api
