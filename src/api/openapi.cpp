// The OpenAPI 3.1 description of the daemon's HTTP API (control_api.h), served at /openapi.json.
//
// Written by hand, next to the routes it describes. openapi_test.cpp holds it to them: every route of
// make_control_router must be here with its method and every path here must be a route
// (OpenApi.EveryRouteIsDescribed), and `redocly lint` with the recommended rules (redocly.yaml) must
// find no error and no warning (OpenApi.RedoclyLintPasses; scripts/setup installs @redocly/cli). When
// a handler's JSON, status codes or parameters change, change this document in the same commit.
//
// Conventions: every error response is the Error schema; reads list both "no security" and bearer
// (a token is needed only with auth_reads), mutating operations bearer alone; the errors any request
// may get from the server itself (404, 405, 408, 431, 500) are told in info.description, not per
// operation.
#include "api/control_api.h"

namespace sensix::api {

namespace {

// Valid JSON: `python3 -m json.tool` reads it; keep it so when editing.
constexpr const char kOpenApiJson[] = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "sensix",
    "version": "0.1.0",
    "summary": "The sensix daemon's control and inference API.",
    "description": "`sensix serve`: apply sensix/v1 documents, ask the running models for predictions (KServe v2), read the running sensors, models and pipelines, their predictions (also live, as Server-Sent Events), statistics and metrics.\n\nEvery error is `{\"error\": {\"code\", \"message\", \"field\"?}}`. The inference operations (`/v2`, `/v2/models/...`, KServe v2) answer errors as that protocol does, `{\"error\": \"<message>\"}`. Besides the responses listed for each operation, the server itself may answer 400 (a malformed request), 404 (no such path), 405 (a method the path does not take, with Allow), 408 (the request did not arrive in time), 413 (body too large), 431 (headers too large), 500 (a handler failed) and 503 (shutting down, or too many open connections).\n\nAuthentication: with a token file, every mutating operation needs `Authorization: Bearer <token>` of a full (not read-only) token; when the daemon listens on a non-loopback address, every operation needs a token.",
    "license": {
      "name": "Proprietary: no licence granted yet",
      "identifier": "LicenseRef-sensix-proprietary"
    }
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8000",
      "description": "The daemon's default address."
    }
  ],
  "tags": [
    {
      "name": "Health",
      "description": "Liveness and readiness (KServe v2 paths)."
    },
    {
      "name": "Documents",
      "description": "The applied documents: apply, list, delete, revisions."
    },
    {
      "name": "Rollouts",
      "description": "Canary and shadow rollouts of new Model versions, promoted or rolled back by their analysis or by hand; a model's versions and going back to one."
    },
    {
      "name": "Runtime",
      "description": "What runs: sensors, models, pipelines, statistics."
    },
    {
      "name": "Predictions",
      "description": "The latest predictions, and the live stream of predictions and events."
    },
    {
      "name": "Operations",
      "description": "Log level, metrics and this description."
    },
    {
      "name": "Inference",
      "description": "KServe v2 / Open Inference Protocol: model metadata, readiness and inference on request, scheduled with the sensors' inputs. Errors here are the protocol's `{\"error\": \"<message>\"}`."
    }
  ],
  "paths": {
    "/v2/health/live": {
      "get": {
        "operationId": "getLiveness",
        "summary": "Liveness",
        "description": "200 while the daemon's HTTP server answers at all. Needs no controller state.",
        "tags": [
          "Health"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The daemon is alive.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Liveness"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v2/health/ready": {
      "get": {
        "operationId": "getReadiness",
        "summary": "Readiness",
        "description": "200 when every applied model is ready and every sensor runs, or is allowed to be degraded (`allowDegraded`); 503 with the reasons otherwise. Unlike other endpoints, the 503 body is a Readiness, not an Error (except when the server itself answers 503 before the handler runs).",
        "tags": [
          "Health"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "description": "Not ready (the body says why), or the server is shutting down or has too many open connections (then the body is an Error).",
            "content": {
              "application/json": {
                "schema": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/Readiness"
                    },
                    {
                      "$ref": "#/components/schemas/Error"
                    }
                  ]
                }
              }
            }
          }
        }
      }
    },
    "/v1/apply": {
      "post": {
        "operationId": "applyDocuments",
        "summary": "Apply documents",
        "description": "Makes the running set the applied documents plus the ones in the body (a document of the same kind and name replaces the earlier one). Only what differs changes: new sensors start, changed ones restart, new models load, and so on. With dryRun, nothing changes and the result says what would. 400 for a document that is not valid (`field` names it: `Kind/name: field.path`), 409 when the set cannot be applied as it stands (a conflict) or a resource is exhausted.",
        "tags": [
          "Documents"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/dryRun"
          }
        ],
        "requestBody": {
          "required": true,
          "description": "One or more sensix/v1 documents (Sensor, Model, Pipeline, Device), as YAML (several separated by `---`) or JSON. The body is parsed as YAML whatever its Content-Type, JSON being YAML.",
          "content": {
            "application/yaml": {
              "schema": {
                "type": "string"
              },
              "example": "apiVersion: sensix/v1\nkind: Sensor\nmetadata:\n  name: mic\nspec:\n  driver: audio-file\n"
            },
            "application/json": {
              "schema": {
                "oneOf": [
                  {
                    "type": "object"
                  },
                  {
                    "type": "array",
                    "items": {
                      "type": "object"
                    }
                  }
                ]
              }
            },
            "text/plain": {
              "schema": {
                "type": "string"
              }
            }
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "What the apply did (or, with dryRun, would do).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplyResult"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/progress": {
      "get": {
        "operationId": "getApplyProgress",
        "summary": "The apply in progress",
        "description": "Whether an apply (or the start's restore of the stored documents) is running, what it applies, the model it loads and warms up now, how many of the models it loads are done, and for how long it has run. The CLI shows it while an apply runs.",
        "tags": [
          "Documents"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The progress.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplyProgress"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/documents": {
      "get": {
        "operationId": "listDocuments",
        "summary": "List the applied documents",
        "description": "Every applied document with its generation and the revision that wrote it; with text, their text too.",
        "tags": [
          "Documents"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/text"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The applied documents.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DocumentList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/documents/{kind}": {
      "get": {
        "operationId": "listDocumentsOfKind",
        "summary": "List the applied documents of a kind",
        "description": "The applied documents of one kind; with text, their text too. 400 for an unknown kind.",
        "tags": [
          "Documents"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/text"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The applied documents of that kind.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DocumentList"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/documents/{kind}/{name}": {
      "get": {
        "operationId": "getDocument",
        "summary": "Get an applied document",
        "description": "One applied document, with its text. 404 when no document of that kind and name is applied.",
        "tags": [
          "Documents"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/documentName"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The document.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/StoredDocument"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "delete": {
        "operationId": "deleteDocument",
        "summary": "Delete an applied document",
        "description": "Applies the set without this document: what only it used stops or unloads. 404 when it is not applied, 409 when another applied document still names it (delete or change that one first). With dryRun, nothing changes and the result says what would.",
        "tags": [
          "Documents"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/documentName"
          },
          {
            "$ref": "#/components/parameters/dryRun"
          }
        ],
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "What the delete did (or, with dryRun, would do).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplyResult"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/documents/{kind}/{name}/history": {
      "get": {
        "operationId": "getDocumentHistory",
        "summary": "Every version of a document",
        "description": "Every version of one document, oldest first, deletions included (deleted: true, no sha256). With text=true, each version's text. 404 when it was never applied.",
        "tags": [
          "Documents"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/documentName"
          },
          {
            "$ref": "#/components/parameters/text"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The versions.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DocumentHistory"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/documents/{kind}/{name}/undo": {
      "post": {
        "operationId": "undoDocument",
        "summary": "Apply an earlier version of a document again",
        "description": "Applies an earlier version again as a new revision (summary \"undo KIND/NAME to generation G (revision R)\"): the version current at toRevision, or by default the one before the current version. A version that was a deletion deletes the document; a deleted document comes back. Its model files come from the model store or again from their sources. 404 when the document was never applied or did not exist at toRevision, 409 when there is no earlier version or it is the current one. With dryRun, nothing changes.",
        "tags": [
          "Documents"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/documentName"
          },
          {
            "$ref": "#/components/parameters/toRevision"
          },
          {
            "$ref": "#/components/parameters/dryRun"
          }
        ],
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "What the undo did (or, with dryRun, would do).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplyResult"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/revisions": {
      "get": {
        "operationId": "listRevisions",
        "summary": "List the revisions",
        "description": "Every revision of the applied set (each apply or delete that changed something makes one).",
        "tags": [
          "Documents"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The revisions.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RevisionList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/sensors": {
      "get": {
        "operationId": "listSensors",
        "summary": "List the running sensors",
        "description": "Every running sensor with its state and counters.",
        "tags": [
          "Runtime"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The running sensors.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SensorList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/sensors/{name}": {
      "get": {
        "operationId": "getSensor",
        "summary": "Get a running sensor",
        "description": "One running sensor. 404 when no sensor of that name runs.",
        "tags": [
          "Runtime"
        ],
        "parameters": [
          {
            "name": "name",
            "in": "path",
            "required": true,
            "description": "The sensor's name (its metadata.name).",
            "schema": {
              "type": "string",
              "minLength": 1
            }
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The sensor.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Sensor"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/models": {
      "get": {
        "operationId": "listModels",
        "summary": "List the running models",
        "description": "Every running model with its state and counters.",
        "tags": [
          "Runtime"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The running models.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/models/{name}": {
      "get": {
        "operationId": "getModel",
        "summary": "Get a running model",
        "description": "One running model. 404 when no model of that name runs.",
        "tags": [
          "Runtime"
        ],
        "parameters": [
          {
            "name": "name",
            "in": "path",
            "required": true,
            "description": "The model's name (its metadata.name).",
            "schema": {
              "type": "string",
              "minLength": 1
            }
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The model.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Model"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/pipelines": {
      "get": {
        "operationId": "listPipelines",
        "summary": "List the running pipelines",
        "description": "Every running pipeline with its state and counters.",
        "tags": [
          "Runtime"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The running pipelines.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PipelineList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/pipelines/{name}": {
      "get": {
        "operationId": "getPipeline",
        "summary": "Get a running pipeline",
        "description": "One running pipeline. 404 when no pipeline of that name runs.",
        "tags": [
          "Runtime"
        ],
        "parameters": [
          {
            "name": "name",
            "in": "path",
            "required": true,
            "description": "The pipeline's name (its metadata.name).",
            "schema": {
              "type": "string",
              "minLength": 1
            }
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The pipeline.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Pipeline"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/predictions": {
      "get": {
        "operationId": "listLatestPredictions",
        "summary": "The latest predictions",
        "description": "The latest prediction of each model on each sensor that matches the filters, ordered by model and sensor, each with its stream id. Events are not kept here (type=event gives an empty list). 400 for an unknown query parameter or a bad value.",
        "tags": [
          "Predictions"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/sensor"
          },
          {
            "$ref": "#/components/parameters/model"
          },
          {
            "$ref": "#/components/parameters/pipeline"
          },
          {
            "$ref": "#/components/parameters/label"
          },
          {
            "$ref": "#/components/parameters/minScore"
          },
          {
            "$ref": "#/components/parameters/type"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The latest predictions.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PredictionList"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/predictions/stream": {
      "get": {
        "operationId": "streamPredictions",
        "summary": "Stream predictions and events",
        "description": "Server-Sent Events: every prediction and event that matches the filters, as it happens. Each item is `id: N`, `event: prediction` or `event: event`, and `data:` one line of JSON (a Prediction or an Event). A client too slow to keep up loses its oldest items and then gets `event: dropped` (no id) whose data is a Dropped. A `: keep-alive` comment comes after each heartbeat interval of silence. With Last-Event-ID (as EventSource sends on reconnecting), the kept history after that id comes first, with an `event: dropped` for what the history no longer holds. 400 for an unknown query parameter, a bad value or a Last-Event-ID that is not a number. On the wire:\n\n```\nid: 41\nevent: prediction\ndata: {\"type\":\"prediction\",\"time\":1.84,\"sensor\":\"mic\",\"model\":\"hey-jarvis\",\"version\":\"1\",\"pipelines\":[\"voice\"],\"frame\":23,\"latencyMs\":4.2,\"kind\":\"classification\",\"labels\":[{\"label\":\"hey_jarvis\",\"index\":0,\"score\":0.996}]}\n\nevent: dropped\ndata: {\"type\":\"dropped\",\"dropped\":3,\"droppedTotal\":3}\n\n: keep-alive\n\n```",
        "tags": [
          "Predictions"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/sensor"
          },
          {
            "$ref": "#/components/parameters/model"
          },
          {
            "$ref": "#/components/parameters/pipeline"
          },
          {
            "$ref": "#/components/parameters/label"
          },
          {
            "$ref": "#/components/parameters/minScore"
          },
          {
            "$ref": "#/components/parameters/type"
          },
          {
            "$ref": "#/components/parameters/lastEventId"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The stream; it stays open until the client or the daemon closes it.",
            "content": {
              "text/event-stream": {
                "schema": {
                  "$ref": "#/components/schemas/StreamEvent"
                },
                "example": {
                  "id": "41",
                  "event": "prediction",
                  "data": {
                    "type": "prediction",
                    "time": 1.84,
                    "sensor": "mic",
                    "model": "hey-jarvis",
                    "version": "1",
                    "pipelines": [
                      "voice"
                    ],
                    "frame": 23,
                    "latencyMs": 4.2,
                    "kind": "classification",
                    "labels": [
                      {
                        "label": "hey_jarvis",
                        "index": 0,
                        "score": 0.996
                      }
                    ]
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/stats": {
      "get": {
        "operationId": "getStats",
        "summary": "Runtime statistics",
        "description": "The runtime's statistics (sensors, models, scheduling, plan, events), the process's and the API's.",
        "tags": [
          "Runtime"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The statistics.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Stats"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/log-level": {
      "get": {
        "operationId": "getLogLevel",
        "summary": "Get the log level",
        "description": "The daemon's current log level, as spdlog names it.",
        "tags": [
          "Operations"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The log level.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/LogLevel"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "put": {
        "operationId": "setLogLevel",
        "summary": "Set the log level",
        "description": "Sets the daemon's log level until it restarts. 400 for a body that is not {\"level\": string} or an unknown level (`field` is `level`).",
        "tags": [
          "Operations"
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/LogLevelChange"
              },
              "example": {
                "level": "debug"
              }
            }
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The level now set, as given.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/LogLevelChange"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "getMetrics",
        "summary": "Prometheus metrics",
        "description": "The runtime's, the process's and the HTTP server's metrics in the Prometheus text format 0.0.4.",
        "tags": [
          "Operations"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The metrics.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                },
                "example": "# HELP sensix_model_runs_total Inference runs.\n# TYPE sensix_model_runs_total counter\nsensix_model_runs_total{model=\"hey-jarvis\"} 1024\n"
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "getOpenApi",
        "summary": "This description",
        "description": "The OpenAPI 3.1 description of this API.",
        "tags": [
          "Operations"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "This document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "description": "An OpenAPI 3.1 document."
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v2": {
      "get": {
        "operationId": "getServerMetadata",
        "summary": "Server metadata",
        "description": "The server's name and version, as the protocol's server metadata.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The server metadata.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ServerMetadata"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v2/models/stats": {
      "get": {
        "operationId": "getAllModelStatistics",
        "summary": "Every model's request statistics",
        "description": "Triton's statistics extension: each loaded model's requests since it was loaded.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "Every loaded model, by name.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelStatisticsList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v2/models/{model}": {
      "get": {
        "operationId": "getModelMetadata",
        "summary": "Model metadata",
        "description": "The model's input (what a request gives: its data input) and its declared outputs, with the protocol's datatype names and shapes (-1: any size).",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The model metadata.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelMetadata"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        }
      }
    },
    "/v2/models/{model}/ready": {
      "get": {
        "operationId": "getModelReady",
        "summary": "Model readiness",
        "description": "200 when the model is ready for requests; 503 with the reason while it loads, warms up, drains or has failed.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelReady"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "503": {
            "description": "Not ready, with the reason.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelReady"
                }
              }
            }
          }
        }
      }
    },
    "/v2/models/{model}/infer": {
      "post": {
        "operationId": "infer",
        "summary": "Inference",
        "description": "Runs the model on the request's input, as a task of the model on the scheduler beside its sensor streams (its priority class, and a deadline of its latency objective from the request's arrival). Every input is checked against the model before anything runs.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "Inference-Header-Content-Length",
            "in": "header",
            "required": false,
            "description": "Triton's binary tensor extension: the length in bytes of the JSON at the start of the body; the inputs' binary data follows it.",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/InferenceRequest"
              }
            },
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "format": "binary",
                "description": "The request's JSON (InferenceRequest), Inference-Header-Content-Length bytes, then the binary data of the inputs with binary_data_size, in their order."
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The outputs.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceResponse"
                }
              },
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "format": "binary",
                  "description": "The response's JSON (InferenceResponse), as many bytes as the response's Inference-Header-Content-Length says, then the binary data of the outputs with binary_data_size, in their order."
                }
              }
            },
            "headers": {
              "Inference-Header-Content-Length": {
                "description": "With binary outputs: the length of the JSON at the start of the body.",
                "schema": {
                  "type": "integer"
                }
              }
            }
          },
          "400": {
            "description": "A bad request: malformed JSON, an input missing, unknown, of another datatype, shape or element count, an unknown output, a stateful model; binary data whose sizes do not add up (a header length beyond the body, a binary_data_size that is not the tensor's size or runs past the data, bytes left over); raw media that is not what its content_type says, truncated or damaged, of the other modality than the model's input, at a rate the model refuses, or whose header declares a larger image or a longer clip than the server takes (sensix serve --media-max-pixels, --media-max-seconds).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "503": {
            "description": "The model is not ready, the request was refused under overload (raw media: every decoding thread busy and sensix serve --media-queue requests waiting), or it had no answer within its timeout.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        }
      }
    },
    "/v2/models/{model}/stats": {
      "get": {
        "operationId": "getModelStatistics",
        "summary": "A model's request statistics",
        "description": "Triton's statistics extension: the model's requests since it was loaded.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "One model.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelStatisticsList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v2/models/{model}/config": {
      "get": {
        "operationId": "getModelConfig",
        "summary": "Model configuration",
        "description": "Triton's model configuration extension: the model's tensors and scheduling.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The configuration.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelConfig"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v2/models/{model}/versions/{version}": {
      "get": {
        "operationId": "getModelMetadataVersion",
        "summary": "Model metadata of a version",
        "description": "The model's input (what a request gives: its data input) and its declared outputs, with the protocol's datatype names and shapes (-1: any size).",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "version",
            "in": "path",
            "required": true,
            "description": "The model's version: its document's spec.version, \"1\" when it has none.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The model metadata.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelMetadata"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        }
      }
    },
    "/v2/models/{model}/versions/{version}/ready": {
      "get": {
        "operationId": "getModelReadyVersion",
        "summary": "Model readiness of a version",
        "description": "200 when the model is ready for requests; 503 with the reason while it loads, warms up, drains or has failed.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "version",
            "in": "path",
            "required": true,
            "description": "The model's version: its document's spec.version, \"1\" when it has none.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelReady"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "503": {
            "description": "Not ready, with the reason.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelReady"
                }
              }
            }
          }
        }
      }
    },
    "/v2/models/{model}/versions/{version}/infer": {
      "post": {
        "operationId": "inferVersion",
        "summary": "Inference on a version",
        "description": "Runs the model on the request's input, as a task of the model on the scheduler beside its sensor streams (its priority class, and a deadline of its latency objective from the request's arrival). Every input is checked against the model before anything runs.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "version",
            "in": "path",
            "required": true,
            "description": "The model's version: its document's spec.version, \"1\" when it has none.",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "Inference-Header-Content-Length",
            "in": "header",
            "required": false,
            "description": "Triton's binary tensor extension: the length in bytes of the JSON at the start of the body; the inputs' binary data follows it.",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/InferenceRequest"
              }
            },
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "format": "binary",
                "description": "The request's JSON (InferenceRequest), Inference-Header-Content-Length bytes, then the binary data of the inputs with binary_data_size, in their order."
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The outputs.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceResponse"
                }
              },
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "format": "binary",
                  "description": "The response's JSON (InferenceResponse), as many bytes as the response's Inference-Header-Content-Length says, then the binary data of the outputs with binary_data_size, in their order."
                }
              }
            },
            "headers": {
              "Inference-Header-Content-Length": {
                "description": "With binary outputs: the length of the JSON at the start of the body.",
                "schema": {
                  "type": "integer"
                }
              }
            }
          },
          "400": {
            "description": "A bad request: malformed JSON, an input missing, unknown, of another datatype, shape or element count, an unknown output, a stateful model; binary data whose sizes do not add up (a header length beyond the body, a binary_data_size that is not the tensor's size or runs past the data, bytes left over); raw media that is not what its content_type says, truncated or damaged, of the other modality than the model's input, at a rate the model refuses, or whose header declares a larger image or a longer clip than the server takes (sensix serve --media-max-pixels, --media-max-seconds).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "503": {
            "description": "The model is not ready, the request was refused under overload (raw media: every decoding thread busy and sensix serve --media-queue requests waiting), or it had no answer within its timeout.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        }
      }
    },
    "/v2/models/{model}/versions/{version}/stats": {
      "get": {
        "operationId": "getModelStatisticsVersion",
        "summary": "A model version's request statistics",
        "description": "Triton's statistics extension, for the version the model runs.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "One model.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelStatisticsList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "version",
            "in": "path",
            "required": true,
            "description": "The model's version: its document's spec.version, \"1\" when it has none.",
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v2/models/{model}/versions/{version}/config": {
      "get": {
        "operationId": "getModelConfigVersion",
        "summary": "Model configuration of a version",
        "description": "Triton's model configuration extension, for the version the model runs.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The configuration.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelConfig"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "description": "No such model loaded, or not that version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "version",
            "in": "path",
            "required": true,
            "description": "The model's version: its document's spec.version, \"1\" when it has none.",
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v2/repository/index": {
      "post": {
        "operationId": "getRepositoryIndex",
        "summary": "Repository index",
        "description": "Every applied model with its version and state (READY, LOADING, UNLOADING, UNAVAILABLE, with the reason when not ready; an unloaded model is UNAVAILABLE with the reason \"unloaded\"), as Triton's repository index. A body `{\"ready\": true}` keeps only the ready ones.",
        "tags": [
          "Inference"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "ready": {
                    "type": "boolean"
                  }
                },
                "additionalProperties": false
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The models.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/RepositoryModel"
                  }
                }
              }
            }
          },
          "400": {
            "description": "A body that is not `{\"ready\": true|false}`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v2/repository/models/{model}/load": {
      "post": {
        "operationId": "loadModel",
        "summary": "Load a model",
        "description": "Triton's model control: an applied model that was unloaded runs again (loaded and warmed up from its stored document). Not stored: a restart loads every applied model anyway.",
        "tags": [
          "Inference"
        ],
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          }
        ],
        "requestBody": {
          "required": false,
          "description": "Empty, or {} (a model loads from its applied document: no parameters are taken).",
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "parameters": {
                    "type": "object"
                  }
                },
                "additionalProperties": false
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Done (also when it was so already): an empty object.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false
                }
              }
            }
          },
          "400": {
            "description": "A body with parameters, or the model did not load (the reason).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "No Model document of that name is applied.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        }
      }
    },
    "/v2/repository/models/{model}/unload": {
      "post": {
        "operationId": "unloadModel",
        "summary": "Unload a model",
        "description": "Triton's model control: the model stops running and takes no requests; its document stays applied and stored. A model that a Pipeline names is not unloaded. Not stored: a restart, applying the Model document again, or applying a Pipeline that names it loads it again.",
        "tags": [
          "Inference"
        ],
        "security": [
          {
            "bearer": []
          }
        ],
        "parameters": [
          {
            "name": "model",
            "in": "path",
            "required": true,
            "description": "The model's name (its document's metadata.name).",
            "schema": {
              "type": "string"
            }
          }
        ],
        "requestBody": {
          "required": false,
          "description": "Empty, or {\"parameters\": {\"unload_dependents\": true|false}} (sensix models have no dependents).",
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "parameters": {
                    "type": "object"
                  }
                },
                "additionalProperties": false
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Done (also when it was so already): an empty object.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false
                }
              }
            }
          },
          "400": {
            "description": "A Pipeline names the model, or a body parameter other than unload_dependents.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "description": "No Model document of that name is applied.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InferenceError"
                }
              }
            }
          }
        }
      }
    },
    "/v1/rollouts": {
      "get": {
        "operationId": "listRollouts",
        "summary": "List the rollouts",
        "description": "Every canary and shadow rollout, oldest first, as stored; one in progress also has its new version's figures, its analysis and its verdict so far (docs/deployment.md).",
        "tags": [
          "Rollouts"
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The rollouts.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RolloutList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/rollouts/{model}": {
      "get": {
        "operationId": "getRollout",
        "summary": "A model's rollout",
        "description": "The model's latest canary or shadow rollout. 404 when it never had one.",
        "tags": [
          "Rollouts"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/rolloutModel"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The rollout.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Rollout"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/rollouts/{model}/comparisons": {
      "get": {
        "operationId": "getRolloutComparisons",
        "summary": "What a rollout's new version said",
        "description": "The last inputs (at most 100, oldest first) that the new version of the model's canary or shadow ran and compared with the running version's result for the same input, or failed on: each with both versions' predictions and how they differ. A shadow's predictions reach no consumer; this is where they are recorded. Once the rollout ended (promoted, rolled back, aborted), its last comparisons stay until the model's next rollout or the daemon's restart: why it was rolled back. 404 when the model had no rollout since the daemon started.",
        "tags": [
          "Rollouts"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/rolloutModel"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The comparisons.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "model",
                    "fromVersion",
                    "toVersion",
                    "inProgress",
                    "items"
                  ],
                  "properties": {
                    "model": {
                      "type": "string"
                    },
                    "fromVersion": {
                      "type": "string",
                      "description": "The running version's spec.version."
                    },
                    "toVersion": {
                      "type": "string",
                      "description": "The new version's."
                    },
                    "inProgress": {
                      "type": "boolean",
                      "description": "false: the rollout has ended; these are its last comparisons."
                    },
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/RolloutComparison"
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/rollouts/{model}/promote": {
      "post": {
        "operationId": "promoteRollout",
        "summary": "Promote a rollout by hand",
        "description": "The new version of the model's canary or shadow takes over now, whatever its analysis says so far; the old version drains and unloads. 404 when no rollout of the model is in progress.",
        "tags": [
          "Rollouts"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/rolloutModel"
          }
        ],
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The rollout, promoted.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Rollout"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/rollouts/{model}/abort": {
      "post": {
        "operationId": "abortRollout",
        "summary": "Abort a rollout",
        "description": "The new version of the model's canary or shadow goes, and the running version's document is stored again (a new revision \"rollback Model/x to generation G: aborted by hand\"). 404 when no rollout of the model is in progress.",
        "tags": [
          "Rollouts"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/rolloutModel"
          }
        ],
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The rollout, aborted.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Rollout"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/rollouts/{model}/history": {
      "get": {
        "operationId": "getModelHistory",
        "summary": "Every version of a Model",
        "description": "GET /v1/documents/model/{model}/history: every version of the Model document, oldest first.",
        "tags": [
          "Rollouts"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/rolloutModel"
          },
          {
            "$ref": "#/components/parameters/text"
          }
        ],
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "The versions.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DocumentHistory"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/rollouts/{model}/undo": {
      "post": {
        "operationId": "undoModel",
        "summary": "Apply an earlier version of a Model again",
        "description": "POST /v1/documents/model/{model}/undo: the version before the current one, or the one current at toRevision, applied again as a new revision.",
        "tags": [
          "Rollouts"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/rolloutModel"
          },
          {
            "$ref": "#/components/parameters/toRevision"
          },
          {
            "$ref": "#/components/parameters/dryRun"
          }
        ],
        "security": [
          {
            "bearer": []
          }
        ],
        "responses": {
          "200": {
            "description": "What the undo did (or, with dryRun, would do).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplyResult"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token of the daemon's token file (`--token-file`)."
      }
    },
    "parameters": {
      "toRevision": {
        "name": "toRevision",
        "in": "query",
        "required": false,
        "description": "Go back to the version that was current at this revision.",
        "schema": {
          "type": "integer",
          "format": "int64",
          "minimum": 1
        }
      },
      "dryRun": {
        "name": "dryRun",
        "in": "query",
        "required": false,
        "description": "Change nothing; say what would change. `true`, `1` or empty (`?dryRun`) are true.",
        "schema": {
          "type": "boolean",
          "default": false
        },
        "allowEmptyValue": true
      },
      "text": {
        "name": "text",
        "in": "query",
        "required": false,
        "description": "Include each document's text. `true`, `1` or empty are true.",
        "schema": {
          "type": "boolean",
          "default": false
        },
        "allowEmptyValue": true
      },
      "documentName": {
        "name": "name",
        "in": "path",
        "required": true,
        "description": "The document's name (its metadata.name).",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      },
      "kind": {
        "name": "kind",
        "in": "path",
        "required": true,
        "description": "A document kind, any case, singular or plural: `sensors`, `models`, `pipelines`, `devices` (or `Sensor`, `model`, ...).",
        "schema": {
          "type": "string",
          "examples": [
            "models"
          ]
        }
      },
      "sensor": {
        "name": "sensor",
        "in": "query",
        "required": false,
        "description": "Only this sensor's items.",
        "schema": {
          "type": "string"
        }
      },
      "model": {
        "name": "model",
        "in": "query",
        "required": false,
        "description": "Only this model's items.",
        "schema": {
          "type": "string"
        }
      },
      "pipeline": {
        "name": "pipeline",
        "in": "query",
        "required": false,
        "description": "Only the items of this pipeline.",
        "schema": {
          "type": "string"
        }
      },
      "label": {
        "name": "label",
        "in": "query",
        "required": false,
        "description": "Only predictions with this label (classification labels, detection boxes) and events of this name.",
        "schema": {
          "type": "string"
        }
      },
      "minScore": {
        "name": "minScore",
        "in": "query",
        "required": false,
        "description": "Only predictions (of `label`, when given) and events with a score at least this.",
        "schema": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      },
      "type": {
        "name": "type",
        "in": "query",
        "required": false,
        "description": "Only predictions or only events.",
        "schema": {
          "type": "string",
          "enum": [
            "prediction",
            "event"
          ]
        }
      },
      "lastEventId": {
        "name": "Last-Event-ID",
        "in": "header",
        "required": false,
        "description": "Resume after this event id: the kept history after it comes first.",
        "schema": {
          "type": "integer",
          "format": "int64",
          "minimum": 0
        }
      },
      "rolloutModel": {
        "name": "model",
        "in": "path",
        "required": true,
        "description": "The Model document's name.",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "A bad request or document (`field` names what).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "InvalidArgument",
                "message": "Model/hey-jarvis: spec.inputs[0].audio.sampleRate: expected a positive integer",
                "field": "Model/hey-jarvis: spec.inputs[0].audio.sampleRate"
              }
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No token, or one the daemon does not know (only when the daemon has tokens; reads need one only when it listens on a non-loopback address).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "Unauthorized",
                "message": "the token is not valid"
              }
            }
          }
        },
        "headers": {
          "WWW-Authenticate": {
            "description": "`Bearer`, or `Bearer error=\"invalid_token\"` for an unknown token.",
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "Forbidden": {
        "description": "A read-only token on a mutating endpoint.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "Forbidden",
                "message": "the token may only read"
              }
            }
          }
        }
      },
      "NotFound": {
        "description": "Nothing of that kind and name.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "NotFound",
                "message": "Model/hey-jarvis is not running"
              }
            }
          }
        }
      },
      "Conflict": {
        "description": "The change conflicts with the applied set (Conflict), or a resource is exhausted (ResourceExhausted).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "Conflict",
                "message": "Model/hey-jarvis is still used; delete or change what uses it first"
              }
            }
          }
        }
      },
      "PayloadTooLarge": {
        "description": "The body is over the server's limit (8 MiB by default).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "PayloadTooLarge",
                "message": "the request body is over the limit"
              }
            }
          }
        }
      },
      "InternalError": {
        "description": "The document store failed (Internal, DataLoss).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "Internal",
                "message": "database is locked"
              }
            }
          }
        }
      },
      "Unavailable": {
        "description": "The daemon is not ready for this, is shutting down, or has too many open connections.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "Unavailable",
                "message": "the server is shutting down"
              }
            }
          }
        }
      }
    },
    "schemas": {
      "ModelState": {
        "type": "string",
        "description": "A model version's lifecycle: loading, warming (its warm-up runs), ready, draining (finishing what it has before it goes), unloaded, failed, idle (its session released for want of input: the next input loads it again).",
        "enum": [
          "loading",
          "warming",
          "ready",
          "draining",
          "unloaded",
          "failed",
          "idle"
        ]
      },
      "Error": {
        "type": "object",
        "properties": {
          "error": {
            "type": "object",
            "properties": {
              "code": {
                "type": "string",
                "description": "InvalidArgument, BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, RequestTimeout, Conflict, ResourceExhausted, PayloadTooLarge, HeadersTooLarge, Unavailable, Internal, InternalError or DataLoss.",
                "examples": [
                  "InvalidArgument"
                ]
              },
              "message": {
                "type": "string",
                "description": "What went wrong, for a person."
              },
              "field": {
                "type": "string",
                "description": "What the error is about: `Kind/name: field.path` in a document, or a request field such as `level`.",
                "examples": [
                  "Model/hey-jarvis: spec.inputs[0].audio.sampleRate"
                ]
              }
            },
            "required": [
              "code",
              "message"
            ],
            "additionalProperties": false
          }
        },
        "required": [
          "error"
        ],
        "description": "Every error of the API.",
        "additionalProperties": false
      },
      "Liveness": {
        "type": "object",
        "properties": {
          "live": {
            "type": "boolean",
            "const": true
          }
        },
        "required": [
          "live"
        ],
        "additionalProperties": false
      },
      "Readiness": {
        "type": "object",
        "properties": {
          "ready": {
            "type": "boolean"
          },
          "reasons": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "Why not ready: `Model/x is loading`, `Sensor/y is failed`, ..."
          },
          "degraded": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "Sensors that are pending, reconnecting or failed but whose document allows it (`allowDegraded: true`): they do not make the service unready."
          }
        },
        "required": [
          "ready",
          "reasons",
          "degraded"
        ],
        "additionalProperties": false
      },
      "ApplyResult": {
        "type": "object",
        "properties": {
          "dryRun": {
            "type": "boolean"
          },
          "changed": {
            "type": "boolean",
            "description": "Whether any document changed."
          },
          "revision": {
            "type": "integer",
            "format": "int64",
            "description": "The revision now current (with dryRun, the current one)."
          },
          "documents": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "kind": {
                  "type": "string",
                  "enum": [
                    "Sensor",
                    "Model",
                    "Pipeline",
                    "Device"
                  ]
                },
                "name": {
                  "type": "string"
                },
                "change": {
                  "type": "string",
                  "enum": [
                    "added",
                    "removed",
                    "changed",
                    "unchanged"
                  ]
                },
                "generation": {
                  "type": "integer",
                  "format": "int64",
                  "description": "The stored generation, when the document is stored."
                }
              },
              "required": [
                "kind",
                "name",
                "change"
              ],
              "additionalProperties": false
            }
          },
          "sensors": {
            "type": "object",
            "properties": {
              "started": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "New sensors."
              },
              "restarted": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Sensors whose document changed."
              },
              "stopped": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Sensors removed or no longer used."
              },
              "updated": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Running sensors whose graph changes in place."
              }
            },
            "required": [
              "started",
              "restarted",
              "stopped",
              "updated"
            ],
            "additionalProperties": false
          },
          "models": {
            "type": "object",
            "properties": {
              "loaded": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "New models."
              },
              "replaced": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Models whose document changed: a new instance (loaded, warmed up and self-tested before it took over)."
              },
              "switched": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "The replaced models whose new version took over the running nodes and request tasks in place, between two runs: nothing queued was dropped or refused, and the steps and models below them kept their state (docs/deployment.md)."
              },
              "unloaded": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Models no longer used."
              },
              "rollingOut": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Models whose changed document starts a canary or shadow: the new version runs beside the running one (GET /v1/rollouts/{model})."
              }
            },
            "required": [
              "loaded",
              "replaced",
              "switched",
              "unloaded",
              "rollingOut"
            ],
            "additionalProperties": false
          },
          "plan": {
            "type": "object",
            "properties": {
              "attached": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Plan nodes (canonical keys) new in the running graph."
              },
              "released": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Plan nodes that go."
              },
              "shared": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "New nodes whose parent runs already: `<new node> reads <running node>`."
              }
            },
            "required": [
              "attached",
              "released",
              "shared"
            ],
            "additionalProperties": false
          }
        },
        "required": [
          "dryRun",
          "changed",
          "revision",
          "documents",
          "sensors",
          "models",
          "plan"
        ],
        "additionalProperties": false
      },
      "DocumentHistory": {
        "type": "object",
        "properties": {
          "kind": {
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "items": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "kind": {
                  "type": "string"
                },
                "name": {
                  "type": "string"
                },
                "generation": {
                  "type": "integer",
                  "format": "int64"
                },
                "revision": {
                  "type": "integer",
                  "format": "int64",
                  "description": "The revision that wrote or deleted this version."
                },
                "appliedAt": {
                  "type": "string"
                },
                "deleted": {
                  "type": "boolean"
                },
                "sha256": {
                  "type": "string",
                  "pattern": "^[0-9a-f]{64}$",
                  "description": "Of the text; absent for a deletion."
                },
                "modelVersion": {
                  "type": "string",
                  "description": "A Model's spec.version in this version of its document; absent for other kinds and deletions."
                },
                "text": {
                  "type": "string",
                  "description": "With text=true."
                }
              },
              "required": [
                "generation",
                "revision",
                "appliedAt",
                "deleted"
              ]
            }
          }
        },
        "required": [
          "kind",
          "name",
          "items"
        ]
      },
      "StoredDocument": {
        "type": "object",
        "properties": {
          "kind": {
            "type": "string",
            "enum": [
              "Sensor",
              "Model",
              "Pipeline",
              "Device"
            ]
          },
          "name": {
            "type": "string"
          },
          "generation": {
            "type": "integer",
            "format": "int64",
            "description": "1 for the first version of this kind and name, then +1 per change."
          },
          "revision": {
            "type": "integer",
            "format": "int64",
            "description": "The revision that wrote this version."
          },
          "appliedAt": {
            "type": "string",
            "description": "When, UTC (ISO 8601)."
          },
          "sha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
          },
          "text": {
            "type": "string",
            "description": "The document as applied (GET one document, or a list with text)."
          }
        },
        "required": [
          "kind",
          "name",
          "generation",
          "revision",
          "appliedAt",
          "sha256"
        ],
        "additionalProperties": false
      },
      "DocumentList": {
        "type": "object",
        "properties": {
          "revision": {
            "type": "integer",
            "format": "int64"
          },
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/StoredDocument"
            }
          }
        },
        "required": [
          "revision",
          "items"
        ],
        "additionalProperties": false
      },
      "RevisionList": {
        "type": "object",
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "revision": {
                  "type": "integer",
                  "format": "int64"
                },
                "appliedAt": {
                  "type": "string"
                },
                "summary": {
                  "type": "string"
                }
              },
              "required": [
                "revision",
                "appliedAt",
                "summary"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "items"
        ],
        "additionalProperties": false
      },
      "Sensor": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "driver": {
            "type": "string"
          },
          "state": {
            "type": "string",
            "enum": [
              "pending",
              "running",
              "degraded",
              "reconnecting",
              "stopped",
              "failed"
            ]
          },
          "reason": {
            "type": "string",
            "description": "Why degraded or failed; empty otherwise."
          },
          "frames": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "dropped": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "late": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "errors": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "reconnects": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "queued": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "generation": {
            "type": "integer",
            "description": "How many applies created or changed its document (1: as first applied)."
          },
          "revision": {
            "type": "integer",
            "description": "The revision (GET /v1/revisions) that last wrote its document."
          }
        },
        "required": [
          "name",
          "driver",
          "state",
          "reason",
          "frames",
          "dropped",
          "late",
          "errors",
          "reconnects",
          "queued"
        ],
        "additionalProperties": false
      },
      "Model": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "version": {
            "type": "string"
          },
          "engine": {
            "type": "string"
          },
          "state": {
            "$ref": "#/components/schemas/ModelState"
          },
          "reason": {
            "type": "string"
          },
          "isolation": {
            "type": "string",
            "enum": [
              "in-process",
              "process"
            ],
            "description": "Where the model runs: in the daemon or in a worker process."
          },
          "runs": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "errors": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "predictions": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "loadMs": {
            "type": "number"
          },
          "inferenceMs": {
            "type": "object",
            "properties": {
              "p50": {
                "type": "number"
              },
              "p99": {
                "type": "number"
              }
            },
            "required": [
              "p50",
              "p99"
            ],
            "additionalProperties": false
          },
          "residentBytes": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "idleUnloads": {
            "type": "integer",
            "format": "int64",
            "minimum": 0,
            "description": "Times its session was released for want of input (spec.resources.idleUnload)."
          },
          "reloads": {
            "type": "integer",
            "format": "int64",
            "minimum": 0,
            "description": "Times an input loaded it again after that."
          },
          "queued": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "skipped": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "reads": {
            "type": "array",
            "description": "The plan nodes this model reads, and which other models read them.",
            "items": {
              "type": "object",
              "properties": {
                "sensor": {
                  "type": "string"
                },
                "kind": {
                  "type": "string"
                },
                "step": {
                  "type": "string"
                },
                "key": {
                  "type": "string"
                },
                "sharedWith": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  },
                  "description": "The other models."
                }
              },
              "required": [
                "sensor",
                "kind",
                "step",
                "key",
                "sharedWith"
              ],
              "additionalProperties": false
            }
          },
          "keptVersions": {
            "type": "array",
            "description": "Its earlier versions loaded for the KServe requests that name them (/v2/models/{m}/versions/{v}); each unloads after a minute without such a request, and counts against the memory budget while loaded.",
            "items": {
              "type": "object",
              "properties": {
                "version": {
                  "type": "string"
                },
                "state": {
                  "$ref": "#/components/schemas/ModelState"
                },
                "reason": {
                  "type": "string"
                },
                "runs": {
                  "type": "integer",
                  "format": "int64",
                  "minimum": 0
                },
                "errors": {
                  "type": "integer",
                  "format": "int64",
                  "minimum": 0
                },
                "residentBytes": {
                  "type": "integer",
                  "format": "int64",
                  "minimum": 0
                },
                "idleUnloads": {
                  "type": "integer",
                  "format": "int64",
                  "minimum": 0
                },
                "reloads": {
                  "type": "integer",
                  "format": "int64",
                  "minimum": 0
                }
              },
              "required": [
                "version",
                "state",
                "reason",
                "runs",
                "errors",
                "residentBytes",
                "idleUnloads",
                "reloads"
              ],
              "additionalProperties": false
            }
          },
          "generation": {
            "type": "integer",
            "description": "How many applies created or changed its document (1: as first applied)."
          },
          "revision": {
            "type": "integer",
            "description": "The revision (GET /v1/revisions) that last wrote its document."
          }
        },
        "required": [
          "name",
          "version",
          "engine",
          "state",
          "reason",
          "isolation",
          "runs",
          "errors",
          "predictions",
          "loadMs",
          "inferenceMs",
          "residentBytes",
          "idleUnloads",
          "reloads",
          "queued",
          "skipped",
          "reads",
          "keptVersions"
        ],
        "additionalProperties": false
      },
      "Pipeline": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "state": {
            "type": "string",
            "enum": [
              "running",
              "degraded"
            ]
          },
          "reason": {
            "type": "string",
            "description": "Why degraded (`Model/x is loading; Sensor/y is failed`); empty otherwise."
          },
          "steps": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "model": {
                  "type": "string"
                },
                "from": {
                  "type": "object",
                  "properties": {
                    "sensor": {
                      "type": "string"
                    },
                    "model": {
                      "type": "string"
                    },
                    "output": {
                      "type": "string"
                    },
                    "crops": {
                      "type": "boolean"
                    }
                  },
                  "additionalProperties": false
                }
              },
              "required": [
                "model",
                "from"
              ],
              "additionalProperties": false
            }
          },
          "events": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "name": {
                  "type": "string"
                },
                "when": {
                  "type": "string"
                }
              },
              "required": [
                "name",
                "when"
              ],
              "additionalProperties": false
            }
          },
          "generation": {
            "type": "integer",
            "description": "How many applies created or changed its document (1: as first applied)."
          },
          "revision": {
            "type": "integer",
            "description": "The revision (GET /v1/revisions) that last wrote its document."
          }
        },
        "required": [
          "name",
          "state",
          "reason",
          "steps",
          "events"
        ],
        "additionalProperties": false
      },
      "SensorList": {
        "type": "object",
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Sensor"
            }
          }
        },
        "required": [
          "items"
        ],
        "additionalProperties": false
      },
      "ModelList": {
        "type": "object",
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Model"
            }
          }
        },
        "required": [
          "items"
        ],
        "additionalProperties": false
      },
      "PipelineList": {
        "type": "object",
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Pipeline"
            }
          }
        },
        "required": [
          "items"
        ],
        "additionalProperties": false
      },
      "RolloutComparison": {
        "type": "object",
        "description": "One input a rollout's new version ran.",
        "required": [
          "wallTime",
          "input",
          "compared",
          "running",
          "candidate"
        ],
        "properties": {
          "wallTime": {
            "type": "number",
            "description": "When the new version ran it: Unix seconds, millisecond resolution."
          },
          "input": {
            "type": "string",
            "description": "What it was: \"frame 412 of Sensor/speech at 13.184 s\", \"a request\", \"a request for version 0.2\"."
          },
          "compared": {
            "type": "boolean",
            "description": "The running version's result for the same input was there to compare with."
          },
          "agreed": {
            "type": "boolean",
            "description": "Compared: the two results agree (the rollout's tolerance)."
          },
          "difference": {
            "type": "string",
            "description": "How the two results differ, when they do."
          },
          "error": {
            "type": "string",
            "description": "The new version failed on this input."
          },
          "running": {
            "description": "The running version's prediction; null when its post-processing reported nothing for this input (a label under its threshold) or did not run (a request).",
            "oneOf": [
              {
                "$ref": "#/components/schemas/Prediction"
              },
              {
                "type": "null"
              }
            ]
          },
          "candidate": {
            "description": "The new version's prediction, as for running.",
            "oneOf": [
              {
                "$ref": "#/components/schemas/Prediction"
              },
              {
                "type": "null"
              }
            ]
          }
        }
      },
      "Prediction": {
        "type": "object",
        "properties": {
          "id": {
            "type": "integer",
            "format": "int64",
            "minimum": 0,
            "description": "The stream id (GET /v1/predictions only; on the stream it is the SSE id)."
          },
          "type": {
            "type": "string",
            "const": "prediction"
          },
          "time": {
            "type": "number",
            "description": "Media time of the frame, seconds."
          },
          "sensor": {
            "type": "string"
          },
          "model": {
            "type": "string"
          },
          "version": {
            "type": "string"
          },
          "pipelines": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "The pipelines that run this model on this sensor."
          },
          "frame": {
            "type": "integer",
            "format": "int64",
            "minimum": 0
          },
          "source": {
            "type": "string",
            "description": "The file, URL or device the frame came from."
          },
          "latencyMs": {
            "type": "number"
          },
          "kind": {
            "type": "string",
            "enum": [
              "classification",
              "detection",
              "landmarks",
              "text",
              "lines"
            ]
          },
          "labels": {
            "type": "array",
            "description": "classification",
            "items": {
              "type": "object",
              "properties": {
                "label": {
                  "type": "string"
                },
                "index": {
                  "type": "integer",
                  "format": "int64"
                },
                "score": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                }
              },
              "required": [
                "label",
                "index",
                "score"
              ],
              "additionalProperties": false
            }
          },
          "detections": {
            "type": "array",
            "description": "detection",
            "items": {
              "type": "object",
              "properties": {
                "label": {
                  "type": "string"
                },
                "index": {
                  "type": "integer",
                  "format": "int64"
                },
                "score": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "box": {
                  "type": "object",
                  "properties": {
                    "x": {
                      "type": "number"
                    },
                    "y": {
                      "type": "number"
                    },
                    "w": {
                      "type": "number"
                    },
                    "h": {
                      "type": "number"
                    }
                  },
                  "required": [
                    "x",
                    "y",
                    "w",
                    "h"
                  ],
                  "description": "A box in the frame's pixels: left, top, width, height.",
                  "additionalProperties": false
                },
                "keypoints": {
                  "type": "array",
                  "items": {
                    "type": "array",
                    "items": {
                      "type": "number"
                    },
                    "minItems": 2,
                    "maxItems": 2
                  }
                }
              },
              "required": [
                "label",
                "index",
                "score",
                "box"
              ],
              "additionalProperties": false
            }
          },
          "score": {
            "type": "number",
            "description": "landmarks and text: the overall score."
          },
          "landmarks": {
            "type": "array",
            "description": "landmarks",
            "items": {
              "type": "object",
              "properties": {
                "x": {
                  "type": "number"
                },
                "y": {
                  "type": "number"
                },
                "z": {
                  "type": "number"
                },
                "name": {
                  "type": "string"
                },
                "visibility": {
                  "type": "number"
                },
                "presence": {
                  "type": "number"
                }
              },
              "required": [
                "x",
                "y",
                "z"
              ],
              "additionalProperties": false
            }
          },
          "text": {
            "type": "string",
            "description": "text"
          },
          "segments": {
            "type": "array",
            "description": "lines",
            "items": {
              "type": "object",
              "properties": {
                "x1": {
                  "type": "number"
                },
                "y1": {
                  "type": "number"
                },
                "x2": {
                  "type": "number"
                },
                "y2": {
                  "type": "number"
                },
                "score": {
                  "type": "number"
                }
              },
              "required": [
                "x1",
                "y1",
                "x2",
                "y2",
                "score"
              ],
              "additionalProperties": false
            }
          },
          "crop": {
            "type": "object",
            "properties": {
              "model": {
                "type": "string"
              },
              "detection": {
                "type": "integer",
                "format": "int64"
              },
              "label": {
                "type": "string"
              },
              "score": {
                "type": "number"
              },
              "region": {
                "type": "object",
                "properties": {
                  "x": {
                    "type": "number"
                  },
                  "y": {
                    "type": "number"
                  },
                  "w": {
                    "type": "number"
                  },
                  "h": {
                    "type": "number"
                  }
                },
                "required": [
                  "x",
                  "y",
                  "w",
                  "h"
                ],
                "description": "A box in the frame's pixels: left, top, width, height.",
                "additionalProperties": false
              }
            },
            "required": [
              "model",
              "detection",
              "label",
              "score",
              "region"
            ],
            "description": "For a model fed by crops: which box of which detector.",
            "additionalProperties": false
          }
        },
        "required": [
          "type",
          "time",
          "sensor",
          "model",
          "version",
          "pipelines",
          "frame",
          "latencyMs",
          "kind"
        ],
        "description": "One prediction; the fields after `kind` depend on the kind.",
        "additionalProperties": false
      },
      "PredictionList": {
        "type": "object",
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Prediction"
            }
          }
        },
        "required": [
          "items"
        ],
        "additionalProperties": false
      },
      "Event": {
        "type": "object",
        "properties": {
          "type": {
            "type": "string",
            "const": "event"
          },
          "event": {
            "type": "string",
            "description": "The event's name."
          },
          "pipeline": {
            "type": "string"
          },
          "rule": {
            "type": "string"
          },
          "time": {
            "type": "number",
            "description": "Media time, seconds."
          },
          "wallTime": {
            "type": "number",
            "description": "Unix time, seconds (ms resolution)."
          },
          "predictions": {
            "type": "array",
            "description": "The predictions that made the event.",
            "items": {
              "type": "object",
              "properties": {
                "model": {
                  "type": "string"
                },
                "sensor": {
                  "type": "string"
                },
                "label": {
                  "type": "string"
                },
                "score": {
                  "type": "number"
                },
                "frame": {
                  "type": "integer",
                  "format": "int64",
                  "minimum": 0
                },
                "time": {
                  "type": "number"
                },
                "box": {
                  "type": "object",
                  "properties": {
                    "x": {
                      "type": "number"
                    },
                    "y": {
                      "type": "number"
                    },
                    "w": {
                      "type": "number"
                    },
                    "h": {
                      "type": "number"
                    }
                  },
                  "required": [
                    "x",
                    "y",
                    "w",
                    "h"
                  ],
                  "description": "A box in the frame's pixels: left, top, width, height.",
                  "additionalProperties": false
                }
              },
              "required": [
                "model",
                "sensor",
                "label",
                "score",
                "frame",
                "time"
              ],
              "additionalProperties": false
            }
          },
          "rollout": {
            "type": "object",
            "description": "A rollout's step (event rollout-started, -passed, -promoted, -rolled-back, -aborted; pipeline empty).",
            "properties": {
              "model": {
                "type": "string"
              },
              "strategy": {
                "type": "string"
              },
              "fromVersion": {
                "type": "string"
              },
              "toVersion": {
                "type": "string"
              },
              "reason": {
                "type": "string"
              }
            },
            "required": [
              "model",
              "strategy",
              "fromVersion",
              "toVersion",
              "reason"
            ]
          }
        },
        "required": [
          "type",
          "event",
          "pipeline",
          "rule",
          "time",
          "wallTime",
          "predictions"
        ],
        "description": "An event of a Pipeline's event rules (on the stream, `event: event`).",
        "additionalProperties": false
      },
      "Dropped": {
        "type": "object",
        "properties": {
          "type": {
            "type": "string",
            "const": "dropped"
          },
          "dropped": {
            "type": "integer",
            "format": "int64",
            "minimum": 0,
            "description": "Items this client lost since the last notice."
          },
          "droppedTotal": {
            "type": "integer",
            "format": "int64",
            "minimum": 0,
            "description": "Items this client lost in all."
          }
        },
        "required": [
          "type",
          "dropped",
          "droppedTotal"
        ],
        "description": "On the stream, `event: dropped`: items lost by a slow client.",
        "additionalProperties": false
      },
      "Stats": {
        "type": "object",
        "properties": {
          "type": {
            "type": "string",
            "const": "stats"
          },
          "version": {
            "type": "string",
            "description": "sensix's version."
          },
          "uptimeSeconds": {
            "type": "number"
          },
          "policy": {
            "type": "string"
          },
          "sensors": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "models": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "accelerators": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "nodes": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "events": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "eventResults": {
            "type": "object"
          },
          "plan": {
            "type": "object"
          },
          "process": {
            "type": "object",
            "properties": {
              "cpuSeconds": {
                "type": "number"
              },
              "residentBytes": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "threads": {
                "type": "integer",
                "format": "int64"
              },
              "openFds": {
                "type": "integer",
                "format": "int64"
              }
            },
            "description": "Absent when /proc cannot be read."
          },
          "api": {
            "type": "object",
            "properties": {
              "requests": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "openConnections": {
                "type": "integer",
                "format": "int64"
              },
              "rejectedConnections": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "subscribers": {
                "type": "integer",
                "format": "int64"
              },
              "published": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "delivered": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "subscriberDropped": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "hubDropped": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              }
            }
          },
          "modelStore": {
            "type": "object",
            "description": "The model store (<data-dir>/models): its files and bytes, the free space of its disk, its limit (0: none), files stored and removed (no kept document version named them) since the start.",
            "properties": {
              "files": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "bytes": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "freeBytes": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "limitBytes": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "fetched": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "collected": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              },
              "collectedBytes": {
                "type": "integer",
                "format": "int64",
                "minimum": 0
              }
            }
          }
        },
        "required": [
          "type",
          "version",
          "uptimeSeconds",
          "sensors",
          "models",
          "api"
        ],
        "description": "The runtime's statistics, as `sensix run --stats-json` prints them, plus the process's and the API's. Loose: more properties may come.",
        "additionalProperties": true
      },
      "StreamEvent": {
        "oneOf": [
          {
            "type": "object",
            "properties": {
              "id": {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "The item's id, for Last-Event-ID."
              },
              "event": {
                "type": "string",
                "const": "prediction"
              },
              "data": {
                "$ref": "#/components/schemas/Prediction"
              }
            },
            "required": [
              "id",
              "event",
              "data"
            ],
            "description": "A prediction.",
            "additionalProperties": false
          },
          {
            "type": "object",
            "properties": {
              "id": {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "The item's id, for Last-Event-ID."
              },
              "event": {
                "type": "string",
                "const": "event"
              },
              "data": {
                "$ref": "#/components/schemas/Event"
              }
            },
            "required": [
              "id",
              "event",
              "data"
            ],
            "description": "An event of a pipeline's rules.",
            "additionalProperties": false
          },
          {
            "type": "object",
            "properties": {
              "event": {
                "type": "string",
                "const": "dropped"
              },
              "data": {
                "$ref": "#/components/schemas/Dropped"
              }
            },
            "required": [
              "event",
              "data"
            ],
            "description": "Items this client lost (no id).",
            "additionalProperties": false
          }
        ],
        "description": "One Server-Sent Event of the stream, as its fields: `id`, `event` and `data`, the data being one line of JSON. Comment lines (`: keep-alive`) come between events."
      },
      "LogLevel": {
        "type": "object",
        "properties": {
          "level": {
            "type": "string",
            "enum": [
              "trace",
              "debug",
              "info",
              "warning",
              "error",
              "critical",
              "off"
            ],
            "description": "spdlog's name for the level (note: `warning`, where PUT takes `warn`)."
          }
        },
        "required": [
          "level"
        ],
        "additionalProperties": false
      },
      "LogLevelChange": {
        "type": "object",
        "properties": {
          "level": {
            "type": "string",
            "enum": [
              "trace",
              "debug",
              "info",
              "warn",
              "error",
              "critical",
              "off"
            ]
          }
        },
        "required": [
          "level"
        ],
        "additionalProperties": false
      },
      "InferenceError": {
        "type": "object",
        "properties": {
          "error": {
            "type": "string"
          }
        },
        "required": [
          "error"
        ],
        "additionalProperties": false
      },
      "ServerMetadata": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "version": {
            "type": "string"
          },
          "extensions": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        },
        "required": [
          "name",
          "version",
          "extensions"
        ],
        "additionalProperties": false
      },
      "TensorMetadata": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "datatype": {
            "type": "string",
            "enum": [
              "BOOL",
              "INT8",
              "UINT8",
              "INT32",
              "INT64",
              "FP16",
              "FP32"
            ]
          },
          "shape": {
            "type": "array",
            "items": {
              "type": "integer"
            }
          }
        },
        "required": [
          "name",
          "datatype",
          "shape"
        ],
        "additionalProperties": false
      },
      "ModelMetadata": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "versions": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "platform": {
            "type": "string",
            "description": "onnxruntime_onnx or tensorflow_tflite: the model's own file's engine."
          },
          "inputs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/TensorMetadata"
            }
          },
          "outputs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/TensorMetadata"
            }
          }
        },
        "required": [
          "name",
          "versions",
          "platform",
          "inputs",
          "outputs"
        ],
        "additionalProperties": false
      },
      "ModelReady": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "ready": {
            "type": "boolean"
          },
          "reason": {
            "type": "string"
          }
        },
        "required": [
          "name",
          "ready"
        ],
        "additionalProperties": false
      },
      "Tensor": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "shape": {
            "type": "array",
            "items": {
              "type": "integer",
              "minimum": 0
            }
          },
          "datatype": {
            "type": "string",
            "enum": [
              "BOOL",
              "INT8",
              "UINT8",
              "INT32",
              "INT64",
              "FP16",
              "FP32",
              "BYTES"
            ]
          },
          "data": {
            "type": "array",
            "description": "The values in row-major order, flat or nested. BYTES (raw media): one element, the file in base64.",
            "items": {}
          },
          "parameters": {
            "type": "object",
            "properties": {
              "binary_data_size": {
                "type": "integer",
                "minimum": 0,
                "description": "The tensor's values are this many bytes of the binary data after the JSON (little-endian, row-major, a BOOL one byte), in place of `data`. A BYTES element is Triton's serialisation (a 4-byte little-endian length, then the bytes) or the file's bytes as they are."
              },
              "content_type": {
                "type": "string",
                "enum": [
                  "image/jpeg",
                  "image/png",
                  "audio/wav",
                  "audio/x-wav",
                  "audio/wave",
                  "audio/flac",
                  "audio/ogg"
                ],
                "description": "A BYTES input is raw media: an encoded image or audio clip, decoded and prepared for the model's data input as a sensor's frames are (docs/api.md, \"Raw media in, predictions out\")."
              }
            }
          }
        },
        "required": [
          "name",
          "shape",
          "datatype"
        ],
        "additionalProperties": false,
        "description": "A tensor: its values in `data`, or (Triton's binary tensor extension) as raw bytes after the JSON, with parameters.binary_data_size. A response's \"predictions\" output (raw media requests) is BYTES: one JSON prediction per element."
      },
      "InferenceRequest": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "description": "Echoed in the response."
          },
          "parameters": {
            "type": "object",
            "properties": {
              "timeout": {
                "type": "integer",
                "minimum": 1,
                "description": "Microseconds to wait for the answer (default 30 s)."
              },
              "binary_data_output": {
                "type": "boolean",
                "description": "Return every output as binary data (Triton's binary tensor extension)."
              }
            },
            "additionalProperties": false
          },
          "inputs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Tensor"
            }
          },
          "outputs": {
            "type": "array",
            "description": "The outputs to return (default: all).",
            "items": {
              "type": "object",
              "properties": {
                "name": {
                  "type": "string"
                },
                "parameters": {
                  "type": "object",
                  "properties": {
                    "binary_data": {
                      "type": "boolean",
                      "description": "Return this output as binary data (or not), whatever binary_data_output says."
                    }
                  },
                  "additionalProperties": false
                }
              },
              "required": [
                "name"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "inputs"
        ],
        "additionalProperties": false
      },
      "InferenceResponse": {
        "type": "object",
        "properties": {
          "model_name": {
            "type": "string"
          },
          "model_version": {
            "type": "string"
          },
          "id": {
            "type": "string"
          },
          "outputs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Tensor"
            }
          }
        },
        "required": [
          "model_name",
          "model_version",
          "outputs"
        ],
        "additionalProperties": false
      },
      "RepositoryModel": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "version": {
            "type": "string"
          },
          "state": {
            "type": "string",
            "enum": [
              "READY",
              "LOADING",
              "UNLOADING",
              "UNAVAILABLE"
            ]
          },
          "reason": {
            "type": "string"
          }
        },
        "required": [
          "name",
          "version",
          "state"
        ],
        "additionalProperties": false
      },
      "CountNs": {
        "type": "object",
        "properties": {
          "count": {
            "type": "integer",
            "minimum": 0
          },
          "ns": {
            "type": "integer",
            "minimum": 0
          }
        },
        "required": [
          "count",
          "ns"
        ],
        "additionalProperties": false
      },
      "ModelStatistics": {
        "type": "object",
        "description": "A model's requests since it was loaded, in Triton's statistics shape (its sensor streams' runs are in GET /v1/models/{name}). A model that batches runs several requests (and its sensor streams' inputs) in one engine run; batch_stats counts the runs by batch size. success and fail: arrival to answer; queue: submitted to its run's start; compute_input: checking the inputs; compute_infer: the engine run; compute_output: naming the outputs. sensix.refused and sensix.timed_out are of the failures.",
        "properties": {
          "name": {
            "type": "string"
          },
          "version": {
            "type": "string"
          },
          "last_inference": {
            "type": "integer",
            "description": "Milliseconds since the epoch of the last answer; 0: none yet."
          },
          "inference_count": {
            "type": "integer",
            "minimum": 0
          },
          "execution_count": {
            "type": "integer",
            "minimum": 0
          },
          "inference_stats": {
            "type": "object",
            "properties": {
              "success": {
                "$ref": "#/components/schemas/CountNs"
              },
              "fail": {
                "$ref": "#/components/schemas/CountNs"
              },
              "queue": {
                "$ref": "#/components/schemas/CountNs"
              },
              "compute_input": {
                "$ref": "#/components/schemas/CountNs"
              },
              "compute_infer": {
                "$ref": "#/components/schemas/CountNs"
              },
              "compute_output": {
                "$ref": "#/components/schemas/CountNs"
              },
              "cache_hit": {
                "$ref": "#/components/schemas/CountNs"
              },
              "cache_miss": {
                "$ref": "#/components/schemas/CountNs"
              }
            },
            "required": [
              "success",
              "fail",
              "queue",
              "compute_input",
              "compute_infer",
              "compute_output",
              "cache_hit",
              "cache_miss"
            ],
            "additionalProperties": false
          },
          "batch_stats": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "batch_size": {
                  "type": "integer"
                },
                "compute_input": {
                  "$ref": "#/components/schemas/CountNs"
                },
                "compute_infer": {
                  "$ref": "#/components/schemas/CountNs"
                },
                "compute_output": {
                  "$ref": "#/components/schemas/CountNs"
                }
              },
              "required": [
                "batch_size",
                "compute_input",
                "compute_infer",
                "compute_output"
              ],
              "additionalProperties": false
            }
          },
          "memory_usage": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "sensix": {
            "type": "object",
            "properties": {
              "refused": {
                "type": "integer",
                "minimum": 0
              },
              "timed_out": {
                "type": "integer",
                "minimum": 0
              },
              "sequences_open": {
                "type": "integer",
                "minimum": 0,
                "description": "Sequences of a stateful model open now (parameters.sequence_id)."
              },
              "sequences_expired": {
                "type": "integer",
                "minimum": 0,
                "description": "Sequences dropped after sensix serve --sequence-idle-timeout without a request."
              },
              "shared_executions": {
                "type": "integer",
                "minimum": 0,
                "description": "Of execution_count: engine runs that also ran other inputs of the model: its sensor streams' (a model that batches shares its runs with them), or requests of another priority class."
              }
            },
            "required": [
              "refused",
              "timed_out",
              "sequences_open",
              "sequences_expired",
              "shared_executions"
            ],
            "additionalProperties": false
          }
        },
        "required": [
          "name",
          "version",
          "last_inference",
          "inference_count",
          "execution_count",
          "inference_stats",
          "batch_stats",
          "memory_usage",
          "sensix"
        ],
        "additionalProperties": false
      },
      "ModelStatisticsList": {
        "type": "object",
        "properties": {
          "model_stats": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ModelStatistics"
            }
          }
        },
        "required": [
          "model_stats"
        ],
        "additionalProperties": false
      },
      "ModelConfigTensor": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "data_type": {
            "type": "string",
            "examples": [
              "TYPE_FP32"
            ]
          },
          "dims": {
            "type": "array",
            "items": {
              "type": "integer"
            }
          }
        },
        "required": [
          "name",
          "data_type",
          "dims"
        ],
        "additionalProperties": false
      },
      "ModelConfig": {
        "type": "object",
        "description": "The model in Triton's configuration shape. max_batch_size is 0: requests run one at a time and the dims include the batch dimension. parameters: priority (spec.scheduling.priority), objective_us (spec.scheduling.latency, when set) and stateful (why plain requests are refused, for a model with a state input).",
        "properties": {
          "name": {
            "type": "string"
          },
          "platform": {
            "type": "string"
          },
          "backend": {
            "type": "string"
          },
          "version_policy": {
            "type": "object",
            "properties": {
              "specific": {
                "type": "object",
                "properties": {
                  "versions": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  }
                },
                "required": [
                  "versions"
                ],
                "additionalProperties": false
              }
            },
            "required": [
              "specific"
            ],
            "additionalProperties": false
          },
          "max_batch_size": {
            "type": "integer"
          },
          "input": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ModelConfigTensor"
            }
          },
          "output": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ModelConfigTensor"
            }
          },
          "parameters": {
            "type": "object",
            "additionalProperties": {
              "type": "object",
              "properties": {
                "string_value": {
                  "type": "string"
                }
              },
              "required": [
                "string_value"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "name",
          "platform",
          "backend",
          "version_policy",
          "max_batch_size",
          "input",
          "output",
          "parameters"
        ],
        "additionalProperties": false
      },
      "ApplyProgress": {
        "type": "object",
        "required": [
          "applying"
        ],
        "properties": {
          "applying": {
            "type": "boolean",
            "description": "An apply runs now."
          },
          "summary": {
            "type": "string",
            "description": "What it applies (\"apply Model/mlsd, Pipeline/lines\")."
          },
          "step": {
            "type": "string",
            "description": "What it does now (\"loading and warming up Model/mlsd\"); empty before its first model."
          },
          "done": {
            "type": "integer",
            "description": "Models loaded and warmed up so far."
          },
          "total": {
            "type": "integer",
            "description": "Models it loads."
          },
          "seconds": {
            "type": "number",
            "description": "Since it began."
          }
        },
        "additionalProperties": false
      },
      "Rollout": {
        "type": "object",
        "description": "A canary or shadow rollout of a new version of a Model (docs/deployment.md).",
        "properties": {
          "id": {
            "type": "integer",
            "format": "int64"
          },
          "model": {
            "type": "string"
          },
          "strategy": {
            "type": "string",
            "enum": [
              "canary",
              "shadow"
            ]
          },
          "state": {
            "type": "string",
            "enum": [
              "progressing",
              "promoted",
              "rolled-back",
              "aborted"
            ]
          },
          "reason": {
            "type": "string",
            "description": "Why it ended: the analysis's verdict with its figures, by hand, or the daemon stopping during it."
          },
          "fromGeneration": {
            "type": "integer",
            "format": "int64"
          },
          "toGeneration": {
            "type": "integer",
            "format": "int64"
          },
          "fromVersion": {
            "type": "string"
          },
          "toVersion": {
            "type": "string"
          },
          "startedRevision": {
            "type": "integer",
            "format": "int64",
            "description": "The revision that stored the new version."
          },
          "endedRevision": {
            "type": "integer",
            "format": "int64",
            "description": "The revision that stored the old version again (rolled back, aborted); 0 otherwise."
          },
          "startedAt": {
            "type": "string"
          },
          "endedAt": {
            "type": "string",
            "description": "Empty while in progress."
          },
          "share": {
            "type": "number",
            "description": "In progress: the share of the inputs the new version runs."
          },
          "verdict": {
            "type": "string",
            "description": "In progress: \"waiting: ...\" or \"passed: ...\" (promote: manual)."
          },
          "figures": {
            "type": "object",
            "description": "In progress: what the new version did so far.",
            "properties": {
              "runs": {
                "type": "integer",
                "format": "int64"
              },
              "errors": {
                "type": "integer",
                "format": "int64"
              },
              "compared": {
                "type": "integer",
                "format": "int64"
              },
              "disagreed": {
                "type": "integer",
                "format": "int64"
              },
              "served": {
                "type": "integer",
                "format": "int64"
              },
              "errorRate": {
                "type": "number"
              },
              "disagreementRate": {
                "type": "number"
              },
              "computeMs": {
                "type": "object",
                "properties": {
                  "p50": {
                    "type": "number"
                  },
                  "p99": {
                    "type": "number"
                  }
                },
                "required": [
                  "p50",
                  "p99"
                ]
              },
              "examples": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            },
            "required": [
              "runs",
              "errors",
              "compared",
              "disagreed",
              "served",
              "errorRate",
              "disagreementRate",
              "computeMs",
              "examples"
            ]
          },
          "analysis": {
            "type": "object",
            "description": "In progress: what it is judged by (spec.rollout.analysis).",
            "properties": {
              "runs": {
                "type": "integer",
                "format": "int64"
              },
              "maxErrorRate": {
                "type": "number"
              },
              "maxDisagreement": {
                "type": "number"
              },
              "maxP99Ms": {
                "type": "number"
              },
              "tolerance": {
                "type": "number"
              },
              "timeoutS": {
                "type": "number"
              },
              "promote": {
                "type": "string",
                "enum": [
                  "auto",
                  "manual"
                ]
              }
            },
            "required": [
              "runs",
              "maxErrorRate",
              "maxDisagreement",
              "maxP99Ms",
              "tolerance",
              "timeoutS",
              "promote"
            ]
          }
        },
        "required": [
          "id",
          "model",
          "strategy",
          "state",
          "reason",
          "fromGeneration",
          "toGeneration",
          "fromVersion",
          "toVersion",
          "startedRevision",
          "endedRevision",
          "startedAt",
          "endedAt"
        ]
      },
      "RolloutList": {
        "type": "object",
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Rollout"
            }
          }
        },
        "required": [
          "items"
        ]
      }
    }
  }
})json";

}  // namespace

const std::string& openapi_json() {
  static const std::string doc = std::string(kOpenApiJson) + "\n";
  return doc;
}

}  // namespace sensix::api
