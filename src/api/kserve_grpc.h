// The inference API over gRPC: the KServe v2 / Open Inference Protocol's GRPCInferenceService
// (src/api/proto/grpc_service.proto; docs/api.md, "Inference over gRPC"), on the same
// InferenceService as the HTTP routes (kserve_api.h): the same models, checks, messages, request
// tasks and statistics.
//
//   ServerLive, ServerReady, ServerMetadata, ModelMetadata, ModelReady, ModelInfer,
//   RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload
//
// ModelInfer takes each input's values in `contents` (the field of its datatype; FP16 only as raw
// bytes) or all of them in `raw_input_contents` (one entry per input, in order), and answers in
// `raw_output_contents` (as Triton does). The request's timeout is the shorter of
// parameters.timeout (microseconds) and the call's gRPC deadline.
//
// Errors are gRPC statuses with the HTTP API's messages: INVALID_ARGUMENT (400), NOT_FOUND (404),
// FAILED_PRECONDITION (a stateful model; unloading a Pipeline's model), UNAVAILABLE (503: not
// ready, unloaded, refused under overload, no answer in time), UNAUTHENTICATED (401),
// PERMISSION_DENIED (403). Tokens come in the "authorization: Bearer <token>" metadata, under the
// HTTP API's rules (control_api.h): load and unload are mutating.
//
// Lifecycle: create() listens and serves (gRPC's own threads; ModelInfer holds none while the
// request waits for the scheduler); stop() refuses new calls, lets the calls in flight end within
// `grace`, then cancels the rest. Thread-safety: stop() from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/control_api.h"
#include "api/inference_service.h"

namespace sensix::api {

struct GrpcServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8001;  // 0: any free port
  std::string tls_cert_file, tls_key_file;
  size_t max_message_bytes = size_t{8} << 20;  // a request's size
  std::string version;                         // of sensix, for ServerMetadata
};

class GrpcServer {
 public:
  // Listens; InvalidArgument for an unreadable certificate or key, Unavailable when the address
  // cannot be bound.
  static Result<std::unique_ptr<GrpcServer>> create(const GrpcServerOptions& options,
                                                    std::shared_ptr<InferenceService> service, ControlApiOptions auth);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const;
  bool tls() const;
  void stop(std::chrono::milliseconds grace);

 private:
  struct Impl;
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sensix::api
