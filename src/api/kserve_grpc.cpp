#include "api/kserve_grpc.h"

#include <algorithm>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "api/kserve_grpc_tensors.h"
#include "api/kserve_tensors.h"
#include "common/file_text.h"
#include "grpc_service.grpc.pb.h"

namespace sensix::api {
namespace {

grpc::Status to_grpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return {grpc::StatusCode::INVALID_ARGUMENT, s.message()};
    case StatusCode::kFailedPrecondition: return {grpc::StatusCode::FAILED_PRECONDITION, s.message()};
    case StatusCode::kNotFound: return {grpc::StatusCode::NOT_FOUND, s.message()};
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted: return {grpc::StatusCode::UNAVAILABLE, s.message()};
    default: return {grpc::StatusCode::INTERNAL, s.message()};
  }
}

ParameterValue parameter_value(const inference::InferParameter& p) {
  switch (p.parameter_choice_case()) {
    case inference::InferParameter::kBoolParam: return p.bool_param();
    case inference::InferParameter::kInt64Param: return p.int64_param();
    case inference::InferParameter::kStringParam: return p.string_param();
    case inference::InferParameter::kDoubleParam: return p.double_param();
    case inference::InferParameter::kUint64Param:
      // An unsigned value that fits is the integer it is.
      if (p.uint64_param() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return static_cast<int64_t>(p.uint64_param());
      }
      return static_cast<double>(p.uint64_param());
    default: return std::string("<no value>");
  }
}

}  // namespace

struct GrpcServer::Impl final : inference::GRPCInferenceService::CallbackService {
  // A ModelInfer call waiting for the scheduler's answer: answered once, by the answer or by stop().
  // (Types of the anonymous namespace may not be members here: a unity build includes this file.)
  struct PendingCall {
    std::mutex mu;
    grpc::ServerUnaryReactor* reactor = nullptr;
    inference::ModelInferResponse* response = nullptr;
    bool finished = false;
  };

  GrpcServerOptions options;
  std::shared_ptr<InferenceService> service;
  ControlApiOptions auth;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  // The calls in flight; shared with their answers, which may come after the server is gone.
  struct Calls {
    std::mutex mu;  // guards what follows
    std::condition_variable cv;
    std::list<std::shared_ptr<PendingCall>> pending;
    int control_threads = 0;  // load/unload calls running
    bool stopping = false;
  };
  std::shared_ptr<Calls> calls = std::make_shared<Calls>();

  // Ok, or the status a call without the right token gets.
  grpc::Status check(grpc::CallbackServerContext* ctx, bool mutating) const {
    std::string header;
    const auto& md = ctx->client_metadata();
    if (auto it = md.find("authorization"); it != md.end()) header.assign(it->second.data(), it->second.size());
    const Authorization a = authorize(auth, header, mutating);
    switch (a.verdict) {
      case Authorization::kAllowed: return grpc::Status::OK;
      case Authorization::kReadOnly: return {grpc::StatusCode::PERMISSION_DENIED, a.message};
      default: return {grpc::StatusCode::UNAUTHENTICATED, a.message};
    }
  }

  static grpc::ServerUnaryReactor* finish(grpc::CallbackServerContext* ctx, const grpc::Status& s) {
    grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
    r->Finish(s);
    return r;
  }

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* ctx, const inference::ServerLiveRequest*,
                                       inference::ServerLiveResponse* out) override {
    if (grpc::Status s = check(ctx, false); !s.ok()) return finish(ctx, s);
    out->set_live(true);
    return finish(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* ctx, const inference::ServerReadyRequest*,
                                        inference::ServerReadyResponse* out) override {
    if (grpc::Status s = check(ctx, false); !s.ok()) return finish(ctx, s);
    out->set_ready(service->controller()->readiness().ready);
    return finish(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* ctx, const inference::ServerMetadataRequest*,
                                           inference::ServerMetadataResponse* out) override {
    if (grpc::Status s = check(ctx, false); !s.ok()) return finish(ctx, s);
    out->set_name("sensix");
    out->set_version(options.version);
    for (const std::string& e : kserve_extensions()) out->add_extensions(e);
    return finish(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* ctx, const inference::ModelMetadataRequest* req,
                                          inference::ModelMetadataResponse* out) override {
    if (grpc::Status s = check(ctx, false); !s.ok()) return finish(ctx, s);
    Result<ModelSignature> sig = service->model(req->name(), req->version());
    if (!sig.ok()) return finish(ctx, to_grpc(sig.status()));
    out->set_name(sig->model);
    out->add_versions(kserve_version(sig->version));
    out->set_platform(kserve_platform(sig->engine));
    for (const auto& [list, tensors] :
         {std::pair{out->mutable_inputs(), &sig->inputs}, std::pair{out->mutable_outputs(), &sig->outputs}}) {
      for (const TensorSignature& t : *tensors) {
        auto* m = list->Add();
        m->set_name(t.name);
        m->set_datatype(std::string(kserve_datatype(t.dtype)));
        for (int64_t d : t.shape) m->add_shape(d);
      }
    }
    return finish(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* ctx, const inference::ModelReadyRequest* req,
                                       inference::ModelReadyResponse* out) override {
    if (grpc::Status s = check(ctx, false); !s.ok()) return finish(ctx, s);
    const Status ready = service->ready(req->name(), req->version());
    // Not ready is an answer (false), as over HTTP; an unknown model is NOT_FOUND.
    if (!ready.ok() && ready.code() != StatusCode::kUnavailable) return finish(ctx, to_grpc(ready));
    out->set_ready(ready.ok());
    return finish(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* RepositoryIndex(grpc::CallbackServerContext* ctx,
                                            const inference::RepositoryIndexRequest* req,
                                            inference::RepositoryIndexResponse* out) override {
    if (grpc::Status s = check(ctx, false); !s.ok()) return finish(ctx, s);
    for (const RepositoryEntry& e : service->repository(req->ready())) {
      auto* m = out->add_models();
      m->set_name(e.name);
      m->set_version(e.version);
      m->set_state(e.state);
      m->set_reason(e.reason);
    }
    return finish(ctx, grpc::Status::OK);
  }

  // Load and unload take seconds (a model loads and warms up): on a thread of their own, so that
  // gRPC's threads keep serving.
  template <typename Request>
  grpc::ServerUnaryReactor* control(grpc::CallbackServerContext* ctx, const Request* req, bool load) {
    if (grpc::Status s = check(ctx, true); !s.ok()) return finish(ctx, s);
    for (const auto& [key, value] : req->parameters()) {
      if (!load && key == "unload_dependents" && value.has_bool_param()) continue;
      return finish(ctx, {grpc::StatusCode::INVALID_ARGUMENT,
                          fmt::format("parameters.{} is not taken here: {}", key,
                                      load ? "a model loads from its applied Model document (apply a changed one "
                                             "to change it)"
                                           : "unload takes unload_dependents (true or false)")});
    }
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    {
      std::lock_guard lock(calls->mu);
      if (calls->stopping) {
        reactor->Finish({grpc::StatusCode::UNAVAILABLE, "the server is stopping"});
        return reactor;
      }
      ++calls->control_threads;
    }
    // stop() waits for these threads: `service` outlives them.
    std::thread([calls = calls, service = service, reactor, name = req->model_name(), load] {
      const Status s = load ? service->load(name) : service->unload(name);
      reactor->Finish(to_grpc(s));
      std::lock_guard lock(calls->mu);
      --calls->control_threads;
      calls->cv.notify_all();
    }).detach();
    return reactor;
  }

  grpc::ServerUnaryReactor* RepositoryModelLoad(grpc::CallbackServerContext* ctx,
                                                const inference::RepositoryModelLoadRequest* req,
                                                inference::RepositoryModelLoadResponse*) override {
    return control(ctx, req, true);
  }
  grpc::ServerUnaryReactor* RepositoryModelUnload(grpc::CallbackServerContext* ctx,
                                                  const inference::RepositoryModelUnloadRequest* req,
                                                  inference::RepositoryModelUnloadResponse*) override {
    return control(ctx, req, false);
  }

  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* ctx, const inference::ModelInferRequest* req,
                                       inference::ModelInferResponse* out) override {
    if (grpc::Status s = check(ctx, false); !s.ok()) return finish(ctx, s);
    const TimePoint arrived = service->now();
    Result<ModelSignature> sig = service->model(req->model_name(), req->model_version());
    if (!sig.ok()) return finish(ctx, to_grpc(sig.status()));
    auto request = infer_request(*req, *sig, ctx);
    if (!request.ok()) {
      service->failed(sig->model, arrived);
      return finish(ctx, to_grpc(request.status()));
    }
    request->params.version = req->model_version();  // that version alone (a canary's or shadow's too)
    out->set_model_name(sig->model);
    out->set_model_version(kserve_version(sig->version));
    out->set_id(req->id());
    std::vector<std::string> wanted;
    for (const auto& o : req->outputs()) wanted.push_back(o.name());

    auto call = std::make_shared<PendingCall>();
    call->reactor = ctx->DefaultReactor();
    call->response = out;
    std::list<std::shared_ptr<PendingCall>>::iterator at;
    {
      std::lock_guard lock(calls->mu);
      if (calls->stopping) return finish(ctx, {grpc::StatusCode::UNAVAILABLE, "the server is stopping"});
      at = calls->pending.insert(calls->pending.end(), call);
    }
    // The answer comes from the lane that ran the request (or its deadline, or stop()).
    auto answered = [calls = calls, call, at](auto fill, const Status& status) {
      {
        std::lock_guard lock(call->mu);
        if (!call->finished) {
          call->finished = true;
          if (status.ok()) fill(call->response);
          call->reactor->Finish(to_grpc(status));
        }
      }
      std::lock_guard lock(calls->mu);
      calls->pending.erase(at);
      calls->cv.notify_all();
    };
    if (request->media) {
      if (wanted.empty()) wanted = InferenceService::default_media_outputs(*sig);
      service->infer_media(sig->model, std::move(*request->media), request->params,
                           [answered, wanted = std::move(wanted)](Result<MediaAnswer> result) {
                             answered(
                                 [&](inference::ModelInferResponse* response) {
                                   response->set_model_version(kserve_version(result->version));
                                   reply(result->outputs, wanted, response);
                                   reply_predictions(result->predictions, wanted, response);
                                 },
                                 result.status());
                           });
      return call->reactor;
    }
    service->infer(sig->model, std::move(request->inputs), request->params,
                   [answered, wanted = std::move(wanted)](Result<InferenceAnswer> result) {
                     answered(
                         [&](inference::ModelInferResponse* response) {
                           response->set_model_version(kserve_version(result->version));  // the one that ran it
                           reply(result->outputs, wanted, response);
                         },
                         result.status());
                   });
    return call->reactor;
  }

  // The request's inputs (tensors, or raw media) and parameters, checked against the model.
  struct Request {
    std::vector<NamedTensor> inputs;
    std::optional<MediaInput> media;
    InferenceParameters params;
  };
  Result<Request> infer_request(const inference::ModelInferRequest& req, const ModelSignature& sig,
                                grpc::CallbackServerContext* ctx) const {
    InferenceParameters params;
    for (const auto& [key, value] : req.parameters()) {
      if (Status s = set_parameter(&params, key, parameter_value(value)); !s.ok()) return s;
    }
    // The call's deadline, when it comes first.
    const auto left = ctx->deadline() - std::chrono::system_clock::now();
    if (ctx->deadline() != std::chrono::system_clock::time_point::max() && left < params.timeout) {
      params.timeout = std::max(std::chrono::nanoseconds(1),
                                std::chrono::duration_cast<std::chrono::nanoseconds>(left));
    }
    const bool raw = req.raw_input_contents_size() > 0;
    if (raw && req.raw_input_contents_size() != req.inputs_size()) {
      return InvalidArgument(fmt::format("raw_input_contents has {} entries for {} inputs (one per input, in order)",
                                         req.raw_input_contents_size(), req.inputs_size()));
    }
    Request out;
    out.params = params;
    std::vector<NamedTensor>& inputs = out.inputs;
    for (int i = 0; i < req.inputs_size(); ++i) {
      const auto& in = req.inputs(i);
      if (in.name().empty()) return InvalidArgument("an input has no name");
      if (in.datatype() == "BYTES") {
        SENSIX_ASSIGN_OR_RETURN(out.media, media_input(req, i, sig, raw));
        continue;
      }
      if (Status s = InferenceService::check_datatype(sig, in.name(), in.datatype()); !s.ok()) return s;
      Result<InputHeader> h = make_input_header(in.name(), in.datatype(),
                                                std::span<const int64_t>(in.shape().data(), in.shape_size()));
      if (!h.ok()) return h.status();
      for (const auto& [key, value] : in.parameters()) {
        if (key != "binary_data_size") {
          return InvalidArgument(
              fmt::format("input \"{}\": parameters.{} is not a parameter this server takes", in.name(), key));
        }
      }
      Result<Tensor> t = [&]() -> Result<Tensor> {
        if (!raw) return tensor_from_contents(*h, in.contents());
        if (in.has_contents() && in.contents().ByteSizeLong() > 0) {
          return InvalidArgument(fmt::format(
              "input \"{}\": has both contents and raw_input_contents (one or the other, for every input)", in.name()));
        }
        const std::string& bytes = req.raw_input_contents(i);
        const uint64_t want = static_cast<uint64_t>(h->count) * dtype_size(h->dtype);
        if (bytes.size() != want) {
          return InvalidArgument(
              fmt::format("input \"{}\": shape [{}] of {} takes {} bytes, its raw_input_contents "
                          "entry has {}",
                          h->name, fmt::join(h->shape, ", "), in.datatype(), want, bytes.size()));
        }
        return tensor_from_binary(*h, bytes);
      }();
      if (!t.ok()) return t.status();
      inputs.push_back(NamedTensor{in.name(), std::move(*t)});
    }
    for (const auto& o : req.outputs()) {
      if (Status s = InferenceService::check_output(sig, o.name(), out.media.has_value()); !s.ok()) return s;
      for (const auto& [key, value] : o.parameters()) {
        if (key != "binary_data") {  // Triton's clients may send it; the answer is raw bytes anyway
          return InvalidArgument(
              fmt::format("output \"{}\": parameters.{} is not a parameter this server takes (it takes binary_data)",
                          o.name(), key));
        }
      }
    }
    return out;
  }

  // Input i, a BYTES input: raw media (parameters.content_type), its one element in
  // raw_input_contents (Triton's serialisation, or the file as it is) or in bytes_contents.
  static Result<MediaInput> media_input(const inference::ModelInferRequest& req, int i, const ModelSignature& sig,
                                        bool raw) {
    const auto& in = req.inputs(i);
    MediaInput media;
    media.name = in.name();
    for (const auto& [key, value] : in.parameters()) {
      if (key == "content_type" && value.parameter_choice_case() == inference::InferParameter::kStringParam) {
        media.content_type = value.string_param();
      } else if (key != "binary_data_size") {
        return InvalidArgument(
            fmt::format("input \"{}\": parameters.{} is not taken here (a BYTES input takes content_type, a string)",
                        in.name(), key));
      }
    }
    int64_t elements = 1;
    for (int64_t d : in.shape()) {
      if (d < 0 || d > 1024) return InvalidArgument(fmt::format("input \"{}\": a dimension is {}", in.name(), d));
      elements *= d;
    }
    SENSIX_RETURN_IF_ERROR(
        InferenceService::check_media_input(sig, media, static_cast<size_t>(req.inputs_size()), elements));
    if (raw) {
      media.bytes = std::string(bytes_element_from_binary(req.raw_input_contents(i)));
    } else if (in.contents().bytes_contents_size() == 1) {
      media.bytes = in.contents().bytes_contents(0);
    } else {
      return InvalidArgument(
          fmt::format("input \"{}\": raw media is one element of contents.bytes_contents (or of "
                      "raw_input_contents), got {}",
                      in.name(), in.contents().bytes_contents_size()));
    }
    return media;
  }

  // The outputs asked for (all when none was), their values in raw_output_contents.
  static void reply(const std::vector<NamedTensor>& outputs, const std::vector<std::string>& wanted,
                    inference::ModelInferResponse* out) {
    for (const NamedTensor& t : outputs) {
      if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), t.name) == wanted.end()) continue;
      auto* o = out->add_outputs();
      o->set_name(t.name);
      o->set_datatype(std::string(kserve_datatype(t.tensor.dtype())));
      for (int64_t d : t.tensor.shape()) o->add_shape(d);
      append_binary(t.tensor, out->add_raw_output_contents());
    }
  }

  // A raw media request's predictions, when asked for: a BYTES output of one JSON object each.
  static void reply_predictions(const std::vector<Prediction>& predictions, const std::vector<std::string>& wanted,
                                inference::ModelInferResponse* out) {
    if (std::find(wanted.begin(), wanted.end(), kPredictionsOutput) == wanted.end()) return;
    const std::vector<std::string> elements = InferenceService::prediction_elements(predictions);
    auto* o = out->add_outputs();
    o->set_name(std::string(kPredictionsOutput));
    o->set_datatype("BYTES");
    o->add_shape(static_cast<int64_t>(elements.size()));
    append_bytes(elements, out->add_raw_output_contents());
  }
};

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() { stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<GrpcServer>> GrpcServer::create(const GrpcServerOptions& options,
                                                       std::shared_ptr<InferenceService> service,
                                                       ControlApiOptions auth) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->service = std::move(service);
  impl->auth = std::move(auth);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return InvalidArgument("gRPC over TLS needs both a certificate and a key");
    }
    auto cert = read_file_text(options.tls_cert_file);
    if (!cert.ok()) return InvalidArgument(cert.status().with_context("--tls-cert").message());
    auto key = read_file_text(options.tls_key_file);
    if (!key.ok()) return InvalidArgument(key.status().with_context("--tls-key").message());
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  const std::string address = options.address.find(':') != std::string::npos
                                  ? fmt::format("[{}]:{}", options.address, options.port)
                                  : fmt::format("{}:{}", options.address, options.port);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, &impl->port);
  builder.RegisterService(impl.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(options.max_message_bytes, INT32_MAX)));
  impl->server = builder.BuildAndStart();
  if (!impl->server || impl->port == 0) {
    return Unavailable(fmt::format("gRPC: cannot listen on {} (in use, or not an address of this machine)", address));
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

int GrpcServer::port() const { return impl_->port; }
bool GrpcServer::tls() const { return !impl_->options.tls_cert_file.empty(); }

void GrpcServer::stop(std::chrono::milliseconds grace) {
  if (!impl_ || !impl_->server) return;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  {
    Impl::Calls& calls = *impl_->calls;
    std::unique_lock lock(calls.mu);
    calls.stopping = true;
    // The requests in flight get their answers until the grace time ends ...
    calls.cv.wait_until(lock, deadline, [&] { return calls.pending.empty(); });
    // ... then the rest are answered UNAVAILABLE (their answer, when it comes, is dropped).
    for (const auto& call : calls.pending) {
      std::lock_guard call_lock(call->mu);
      if (!call->finished) {
        call->finished = true;
        call->reactor->Finish({grpc::StatusCode::UNAVAILABLE, "the server is stopping"});
      }
    }
    // A model loading finishes (the controller has no way to stop it halfway).
    calls.cv.wait(lock, [&] { return calls.control_threads == 0; });
  }
  impl_->server->Shutdown(std::chrono::system_clock::now());
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace sensix::api
