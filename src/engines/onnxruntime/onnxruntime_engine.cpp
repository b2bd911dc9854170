#include "engines/onnxruntime/onnxruntime_engine.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>
#undef ORT_API_MANUAL_INIT

namespace sensix {
namespace {

// The one ONNX Runtime library of this process (see the header: the C++ API's OrtApi pointer
// is a process-wide global). Guarded by g_library_mu; never unloaded.
struct OrtLibrary {
  std::string path;
  void* handle = nullptr;
  std::string version;
};
std::mutex g_library_mu;
OrtLibrary* g_library = nullptr;

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dlerror";
}

Result<const OrtLibrary*> open_library(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_library_mu);
  if (g_library != nullptr && g_library->path == path) return g_library;

  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return Unavailable(fmt::format("cannot load the ONNX Runtime library {}: {}", path, dl_error()));
  }
  if (g_library != nullptr && handle == g_library->handle) {
    dlclose(handle);  // drops the extra reference; the same file by another name
    return g_library;
  }
  using GetApiBaseFn = const OrtApiBase* (*)();
  auto get_api_base = reinterpret_cast<GetApiBaseFn>(dlsym(handle, "OrtGetApiBase"));
  if (get_api_base == nullptr) {
    std::string err = dl_error();
    dlclose(handle);
    return Unavailable(fmt::format("{} is not an ONNX Runtime library (no symbol OrtGetApiBase): {}", path, err));
  }
  if (g_library != nullptr) {
    dlclose(handle);
    return Unavailable(
        fmt::format("cannot use the ONNX Runtime library {}: this process already uses {} (one ONNX "
                    "Runtime library per process)",
                    path, g_library->path));
  }
  const OrtApiBase* base = get_api_base();
  const char* version = base ? base->GetVersionString() : nullptr;
  const OrtApi* api = base ? base->GetApi(ORT_API_VERSION) : nullptr;
  if (api == nullptr) {
    dlclose(handle);
    return Unavailable(
        fmt::format("the ONNX Runtime library {} (version {}) is too old: it does not provide API version "
                    "{}, which this build needs (ONNX Runtime 1.{} or newer)",
                    path, version ? version : "unknown", ORT_API_VERSION, ORT_API_VERSION));
  }
  Ort::InitApi(api);
  g_library = new OrtLibrary{path, handle, version ? version : "unknown"};
  return g_library;
}

Result<DType> to_dtype(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return DType::kFloat32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return DType::kFloat16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return DType::kInt64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return DType::kInt32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return DType::kInt8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return DType::kUInt8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return DType::kBool;
    default: return InvalidArgument(fmt::format("unsupported ONNX element type {}", static_cast<int>(t)));
  }
}

ONNXTensorElementDataType to_onnx(DType t) {
  switch (t) {
    case DType::kFloat32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case DType::kFloat16: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    case DType::kInt64: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
    case DType::kInt32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case DType::kInt8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8;
    case DType::kUInt8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    case DType::kBool: return ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL;
  }
  return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
}

bool is_static(const Shape& shape) {
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

// Makes *t a tensor of `dtype` and `shape`, reusing its storage when it already is one.
void ensure_tensor(Tensor* t, DType dtype, const Shape& shape) {
  if (t->dtype() == dtype && t->shape() == shape && t->data() != nullptr) return;
  *t = Tensor(dtype, shape);
}

Result<TensorInfo> describe(const Ort::TypeInfo& type_info, std::string name, std::string_view role) {
  if (type_info.GetONNXType() != ONNX_TYPE_TENSOR) {
    return InvalidArgument(
        fmt::format("{} \"{}\" is not a tensor (ONNX type {}); only tensors "
                    "are supported",
                    role, name, static_cast<int>(type_info.GetONNXType())));
  }
  auto tensor_info = type_info.GetTensorTypeAndShapeInfo();
  auto dtype = to_dtype(tensor_info.GetElementType());
  if (!dtype.ok()) {
    return InvalidArgument(fmt::format("{} \"{}\": {}", role, name, dtype.status().message()));
  }
  TensorInfo info;
  info.name = std::move(name);
  info.dtype = *dtype;
  info.shape = tensor_info.GetShape();
  for (auto& d : info.shape) {
    if (d < 0) d = -1;
  }
  return info;
}

class OrtSession final : public SessionBase {
 public:
  OrtSession(std::shared_ptr<Ort::Env> env, std::string path, Ort::Session session, std::vector<TensorInfo> inputs,
             std::vector<TensorInfo> outputs, MemoryUsage memory)
      : SessionBase(std::move(path), std::move(inputs), std::move(outputs), memory),
        env_(std::move(env)),
        session_(std::move(session)),
        memory_info_(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault)) {
    for (const auto& i : inputs_) input_names_.push_back(i.name.c_str());
  }

 private:
  Status run_checked(std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                     std::vector<Tensor>* outputs) override {
    outputs->resize(output_indices.size());
    try {
      input_values_.clear();
      for (const Tensor* t : inputs) {
        // ORT only reads inputs; the const_cast lets it see the caller's memory without a copy.
        input_values_.push_back(Ort::Value::CreateTensor(memory_info_, const_cast<std::byte*>(t->data()),
                                                         t->byte_size(), t->shape().data(), t->shape().size(),
                                                         to_onnx(t->dtype())));
      }
      output_names_.clear();
      output_values_.clear();
      for (size_t k = 0; k < output_indices.size(); ++k) {
        const TensorInfo& info = outputs_[output_indices[k]];
        output_names_.push_back(info.name.c_str());
        if (is_static(info.shape)) {
          // Static shape: ORT writes straight into the caller's (reused) tensor.
          Tensor& out = (*outputs)[k];
          ensure_tensor(&out, info.dtype, info.shape);
          output_values_.push_back(Ort::Value::CreateTensor(
              memory_info_, out.data(), out.byte_size(), out.shape().data(), out.shape().size(), to_onnx(out.dtype())));
        } else {
          output_values_.emplace_back(nullptr);  // ORT allocates; copied out below
        }
      }
      session_.Run(run_options_, input_names_.data(), input_values_.data(), input_values_.size(), output_names_.data(),
                   output_values_.data(), output_values_.size());
      for (size_t k = 0; k < output_indices.size(); ++k) {
        const TensorInfo& info = outputs_[output_indices[k]];
        if (is_static(info.shape)) continue;
        auto shape_info = output_values_[k].GetTensorTypeAndShapeInfo();
        Shape shape = shape_info.GetShape();
        Tensor& out = (*outputs)[k];
        ensure_tensor(&out, info.dtype, shape);
        std::memcpy(out.data(), output_values_[k].GetTensorRawData(), out.byte_size());
      }
    } catch (const Ort::Exception& e) {
      return Internal(fmt::format("ONNX Runtime failed to run the model: {}", e.what()));
    } catch (const std::exception& e) {
      return Internal(fmt::format("failed to run the model: {}", e.what()));
    }
    return Status::Ok();
  }

  std::shared_ptr<Ort::Env> env_;  // outlives session_
  Ort::Session session_;
  Ort::MemoryInfo memory_info_;
  Ort::RunOptions run_options_;
  // Per-run scratch, kept to avoid reallocating (a Session runs one call at a time).
  std::vector<const char*> input_names_;
  std::vector<Ort::Value> input_values_;
  std::vector<const char*> output_names_;
  std::vector<Ort::Value> output_values_;
};

class OrtEngine final : public EngineBase {
 public:
  OrtEngine(const OrtLibrary* library, std::shared_ptr<Ort::Env> env)
      : EngineBase("an ONNX model"), library_(library), env_(std::move(env)) {}

  std::string_view name() const override { return "onnxruntime"; }
  std::string version() const override { return library_->version; }
  bool supports(ModelFormat format) const override { return format == ModelFormat::kOnnx; }

 private:
  Result<std::unique_ptr<Session>> load_checked(const std::string& path, const SessionOptions& options,
                                                int64_t file_bytes) override {
    std::lock_guard<std::mutex> lock(load_mu_);  // serialised so RSS growth is this model's
    const int64_t rss_before = resident_memory_bytes();
    try {
      Ort::SessionOptions so;
      so.SetIntraOpNumThreads(options.intra_op_threads);
      so.SetInterOpNumThreads(1);
      so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
      so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
      Ort::Session session(*env_, path.c_str(), so);

      std::vector<TensorInfo> inputs, outputs;
      Ort::AllocatorWithDefaultOptions allocator;
      for (size_t i = 0; i < session.GetInputCount(); ++i) {
        std::string name = session.GetInputNameAllocated(i, allocator).get();
        SENSIX_ASSIGN_OR_RETURN(auto info, describe(session.GetInputTypeInfo(i), std::move(name), "input"));
        inputs.push_back(std::move(info));
      }
      for (size_t i = 0; i < session.GetOutputCount(); ++i) {
        std::string name = session.GetOutputNameAllocated(i, allocator).get();
        SENSIX_ASSIGN_OR_RETURN(auto info, describe(session.GetOutputTypeInfo(i), std::move(name), "output"));
        outputs.push_back(std::move(info));
      }
      MemoryUsage memory{file_bytes, std::max<int64_t>(0, resident_memory_bytes() - rss_before)};
      return std::unique_ptr<Session>(
          new OrtSession(env_, path, std::move(session), std::move(inputs), std::move(outputs), memory));
    } catch (const Ort::Exception& e) {
      // ORT_INVALID_PROTOBUF, ORT_INVALID_GRAPH, ORT_NOT_IMPLEMENTED (unknown op), ORT_FAIL
      // ("Load model ... failed")...: the file is not a model this engine can run.
      if (e.GetOrtErrorCode() == ORT_NO_SUCHFILE) return NotFound(e.what());
      return InvalidArgument(fmt::format("not a model ONNX Runtime can load: {}", e.what()));
    } catch (const std::exception& e) {
      return Internal(fmt::format("failed to load the model: {}", e.what()));
    }
  }

  const OrtLibrary* library_;
  std::shared_ptr<Ort::Env> env_;
  std::mutex load_mu_;
};

}  // namespace

Result<std::unique_ptr<Engine>> open_onnxruntime_engine(const std::string& library_path) {
  SENSIX_ASSIGN_OR_RETURN(const OrtLibrary* library, open_library(library_path));
  try {
    auto env = std::make_shared<Ort::Env>(ORT_LOGGING_LEVEL_ERROR, "sensix");
    return std::unique_ptr<Engine>(new OrtEngine(library, std::move(env)));
  } catch (const Ort::Exception& e) {
    return Unavailable(
        fmt::format("ONNX Runtime {} ({}) failed to start: {}", library->version, library_path, e.what()));
  }
}

}  // namespace sensix
