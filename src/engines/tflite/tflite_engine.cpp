#include "engines/tflite/tflite_engine.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

#include <fmt/format.h>

#include "tensorflow/lite/c/c_api.h"

namespace sensix {
namespace {

using ErrorReporterFn = void (*)(void*, const char*, va_list);

// Every TFLite C API function this engine calls, looked up with dlsym.
struct TfLiteApi {
  void* handle = nullptr;
  decltype(&::TfLiteVersion) Version = nullptr;
  decltype(&::TfLiteModelCreateFromFile) ModelCreateFromFile = nullptr;
  decltype(&::TfLiteModelDelete) ModelDelete = nullptr;
  decltype(&::TfLiteInterpreterOptionsCreate) OptionsCreate = nullptr;
  decltype(&::TfLiteInterpreterOptionsDelete) OptionsDelete = nullptr;
  decltype(&::TfLiteInterpreterOptionsSetNumThreads) OptionsSetNumThreads = nullptr;
  decltype(&::TfLiteInterpreterOptionsSetErrorReporter) OptionsSetErrorReporter = nullptr;
  decltype(&::TfLiteInterpreterCreate) InterpreterCreate = nullptr;
  decltype(&::TfLiteInterpreterDelete) InterpreterDelete = nullptr;
  decltype(&::TfLiteInterpreterGetInputTensorCount) GetInputTensorCount = nullptr;
  decltype(&::TfLiteInterpreterGetInputTensor) GetInputTensor = nullptr;
  decltype(&::TfLiteInterpreterGetOutputTensorCount) GetOutputTensorCount = nullptr;
  decltype(&::TfLiteInterpreterGetOutputTensor) GetOutputTensor = nullptr;
  decltype(&::TfLiteInterpreterResizeInputTensor) ResizeInputTensor = nullptr;
  decltype(&::TfLiteInterpreterAllocateTensors) AllocateTensors = nullptr;
  decltype(&::TfLiteInterpreterInvoke) Invoke = nullptr;
  decltype(&::TfLiteTensorType) TensorType = nullptr;
  decltype(&::TfLiteTensorNumDims) TensorNumDims = nullptr;
  decltype(&::TfLiteTensorDim) TensorDim = nullptr;
  decltype(&::TfLiteTensorByteSize) TensorByteSize = nullptr;
  decltype(&::TfLiteTensorData) TensorData = nullptr;
  decltype(&::TfLiteTensorName) TensorName = nullptr;
  decltype(&::TfLiteTensorCopyFromBuffer) TensorCopyFromBuffer = nullptr;
  decltype(&::TfLiteTensorCopyToBuffer) TensorCopyToBuffer = nullptr;

  ~TfLiteApi() {
    if (handle != nullptr) dlclose(handle);
  }
};

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dlerror";
}

Result<std::shared_ptr<const TfLiteApi>> open_library(const std::string& path) {
  dlerror();
  auto api = std::make_shared<TfLiteApi>();
  // RTLD_NODELETE: TFLite keeps process-wide state (op registrations, the default error
  // reporter) that outlives any interpreter; the library stays mapped until the process exits.
  api->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (api->handle == nullptr) {
    return Unavailable(fmt::format("cannot load the TensorFlow Lite library {}: {}", path, dl_error()));
  }
  Status missing = Status::Ok();
  auto bind = [&](auto& fn, const char* symbol) {
    if (!missing.ok()) return;
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(api->handle, symbol));
    if (fn == nullptr) {
      missing = Unavailable(
          fmt::format("{} is not a usable TensorFlow Lite C library (no symbol {}): {}", path, symbol, dl_error()));
    }
  };
  bind(api->Version, "TfLiteVersion");
  bind(api->ModelCreateFromFile, "TfLiteModelCreateFromFile");
  bind(api->ModelDelete, "TfLiteModelDelete");
  bind(api->OptionsCreate, "TfLiteInterpreterOptionsCreate");
  bind(api->OptionsDelete, "TfLiteInterpreterOptionsDelete");
  bind(api->OptionsSetNumThreads, "TfLiteInterpreterOptionsSetNumThreads");
  bind(api->OptionsSetErrorReporter, "TfLiteInterpreterOptionsSetErrorReporter");
  bind(api->InterpreterCreate, "TfLiteInterpreterCreate");
  bind(api->InterpreterDelete, "TfLiteInterpreterDelete");
  bind(api->GetInputTensorCount, "TfLiteInterpreterGetInputTensorCount");
  bind(api->GetInputTensor, "TfLiteInterpreterGetInputTensor");
  bind(api->GetOutputTensorCount, "TfLiteInterpreterGetOutputTensorCount");
  bind(api->GetOutputTensor, "TfLiteInterpreterGetOutputTensor");
  bind(api->ResizeInputTensor, "TfLiteInterpreterResizeInputTensor");
  bind(api->AllocateTensors, "TfLiteInterpreterAllocateTensors");
  bind(api->Invoke, "TfLiteInterpreterInvoke");
  bind(api->TensorType, "TfLiteTensorType");
  bind(api->TensorNumDims, "TfLiteTensorNumDims");
  bind(api->TensorDim, "TfLiteTensorDim");
  bind(api->TensorByteSize, "TfLiteTensorByteSize");
  bind(api->TensorData, "TfLiteTensorData");
  bind(api->TensorName, "TfLiteTensorName");
  bind(api->TensorCopyFromBuffer, "TfLiteTensorCopyFromBuffer");
  bind(api->TensorCopyToBuffer, "TfLiteTensorCopyToBuffer");
  if (!missing.ok()) return missing;
  return std::shared_ptr<const TfLiteApi>(std::move(api));
}

Result<DType> to_dtype(TfLiteType t) {
  switch (t) {
    case kTfLiteFloat32: return DType::kFloat32;
    case kTfLiteFloat16: return DType::kFloat16;
    case kTfLiteInt64: return DType::kInt64;
    case kTfLiteInt32: return DType::kInt32;
    case kTfLiteInt8: return DType::kInt8;
    case kTfLiteUInt8: return DType::kUInt8;
    case kTfLiteBool: return DType::kBool;
    default: return InvalidArgument(fmt::format("unsupported TFLite type {}", static_cast<int>(t)));
  }
}

// Collects what TFLite reports through its error reporter, for the next Status.
struct ErrorLog {
  std::string text;
  static void report(void* user_data, const char* format, va_list args) {
    auto* log = static_cast<ErrorLog*>(user_data);
    std::array<char, 1024> buf{};
    std::vsnprintf(buf.data(), buf.size(), format, args);
    std::string_view message(buf.data());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.remove_suffix(1);
    }
    if (message.empty()) return;
    if (!log->text.empty()) log->text += "; ";
    log->text += message;
  }
  std::string take() {
    std::string t = text.empty() ? std::string("no details from TFLite") : std::move(text);
    text.clear();
    return t;
  }
};

// The shape of a tensor as allocated now, and as declared (-1 where the shape signature says
// the dim is dynamic).
Shape current_shape(const TfLiteApi& api, const TfLiteTensor* t) {
  Shape shape(static_cast<size_t>(std::max(0, api.TensorNumDims(t))));
  for (size_t d = 0; d < shape.size(); ++d) shape[d] = api.TensorDim(t, static_cast<int32_t>(d));
  return shape;
}

Shape declared_shape(const TfLiteApi& api, const TfLiteTensor* t) {
  Shape shape = current_shape(api, t);
  // TfLiteTensor is a public struct in the 2.2 C API; dims_signature is set only when the
  // model has a shape signature (converted with dynamic dims).
  const TfLiteIntArray* sig = t->dims_signature;
  if (sig != nullptr && static_cast<size_t>(sig->size) == shape.size()) {
    for (size_t d = 0; d < shape.size(); ++d) {
      if (sig->data[d] < 0) shape[d] = -1;
    }
  }
  return shape;
}

// Checks size and the FlatBuffer file identifier ("TFL3" at bytes 4..8) before TFLite sees it.
Status check_tflite_file(const std::string& path, int64_t file_bytes) {
  constexpr int64_t kMinBytes = 16;
  if (file_bytes < kMinBytes) {
    return InvalidArgument(
        fmt::format("not a TFLite model: the file has {} bytes, fewer than any FlatBuffer model", file_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::array<char, 8> head{};
  if (!in.read(head.data(), head.size())) return InvalidArgument("cannot read the file");
  if (std::memcmp(head.data() + 4, "TFL3", 4) != 0) {
    std::string found;
    for (int i = 4; i < 8; ++i) {
      unsigned char c = static_cast<unsigned char>(head[i]);
      found += (c >= 32 && c < 127) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
    }
    return InvalidArgument(
        fmt::format("not a TFLite model: bytes 4..8 are \"{}\", not the FlatBuffer identifier \"TFL3\"", found));
  }
  return Status::Ok();
}

class TfLiteSession final : public SessionBase {
 public:
  TfLiteSession(std::shared_ptr<const TfLiteApi> api, std::string path, std::unique_ptr<ErrorLog> log,
                TfLiteInterpreter* interpreter, std::vector<TensorInfo> inputs, std::vector<TensorInfo> outputs,
                MemoryUsage memory)
      : SessionBase(std::move(path), std::move(inputs), std::move(outputs), memory),
        api_(std::move(api)),
        log_(std::move(log)),
        interpreter_(interpreter) {
    allocated_shapes_.resize(inputs_.size());
    for (size_t i = 0; i < inputs_.size(); ++i) {
      allocated_shapes_[i] = current_shape(*api_, api_->GetInputTensor(interpreter_, static_cast<int32_t>(i)));
    }
  }
  ~TfLiteSession() override { api_->InterpreterDelete(interpreter_); }
  TfLiteSession(const TfLiteSession&) = delete;
  TfLiteSession& operator=(const TfLiteSession&) = delete;

 private:
  Status run_checked(std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                     std::vector<Tensor>* outputs) override {
    // Dynamic dims: resize the inputs whose shape changed, then reallocate once.
    bool resized = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Shape& shape = inputs[i]->shape();
      if (shape == allocated_shapes_[i]) continue;
      std::vector<int> dims(shape.begin(), shape.end());
      if (api_->ResizeInputTensor(interpreter_, static_cast<int32_t>(i), dims.data(),
                                  static_cast<int32_t>(dims.size())) != kTfLiteOk) {
        return InvalidArgument(fmt::format("input \"{}\": TFLite cannot resize it to {}: {}", inputs_[i].name,
                                           shape_to_string(shape), log_->take()));
      }
      allocated_shapes_[i] = shape;
      resized = true;
    }
    if (resized && api_->AllocateTensors(interpreter_) != kTfLiteOk) {
      for (auto& s : allocated_shapes_) s.clear();  // force a resize next time
      return InvalidArgument(fmt::format("TFLite cannot allocate tensors for these input shapes: {}", log_->take()));
    }

    for (size_t i = 0; i < inputs.size(); ++i) {
      TfLiteTensor* t = api_->GetInputTensor(interpreter_, static_cast<int32_t>(i));
      if (api_->TensorByteSize(t) != inputs[i]->byte_size() ||
          api_->TensorCopyFromBuffer(t, inputs[i]->data(), inputs[i]->byte_size()) != kTfLiteOk) {
        return Internal(fmt::format("input \"{}\": TFLite holds {} bytes, the tensor {}: {}", inputs_[i].name,
                                    api_->TensorByteSize(t), inputs[i]->byte_size(), log_->take()));
      }
    }
    if (api_->Invoke(interpreter_) != kTfLiteOk) {
      return Internal(fmt::format("TFLite failed to run the model: {}", log_->take()));
    }

    outputs->resize(output_indices.size());
    for (size_t k = 0; k < output_indices.size(); ++k) {
      const TensorInfo& info = outputs_[output_indices[k]];
      const TfLiteTensor* t = api_->GetOutputTensor(interpreter_, output_indices[k]);
      Shape shape = current_shape(*api_, t);
      Tensor& out = (*outputs)[k];
      if (out.dtype() != info.dtype || out.shape() != shape || out.data() == nullptr) {
        out = Tensor(info.dtype, shape);
      }
      if (api_->TensorByteSize(t) != out.byte_size() ||
          api_->TensorCopyToBuffer(t, out.data(), out.byte_size()) != kTfLiteOk) {
        return Internal(fmt::format("output \"{}\": TFLite holds {} bytes for {} {}: {}", info.name,
                                    api_->TensorByteSize(t), dtype_name(info.dtype), shape_to_string(shape),
                                    log_->take()));
      }
    }
    return Status::Ok();
  }

  std::shared_ptr<const TfLiteApi> api_;
  std::unique_ptr<ErrorLog> log_;  // the interpreter's error reporter writes here
  TfLiteInterpreter* interpreter_;
  std::vector<Shape> allocated_shapes_;  // the shape each input is allocated for now
};

class TfLiteEngine final : public EngineBase {
 public:
  explicit TfLiteEngine(std::shared_ptr<const TfLiteApi> api) : EngineBase("a TFLite model"), api_(std::move(api)) {}

  std::string_view name() const override { return "tflite"; }
  std::string version() const override { return api_->Version(); }
  bool supports(ModelFormat format) const override { return format == ModelFormat::kTflite; }

 private:
  Result<std::unique_ptr<Session>> load_checked(const std::string& path, const SessionOptions& options,
                                                int64_t file_bytes) override {
    SENSIX_RETURN_IF_ERROR(check_tflite_file(path, file_bytes));

    std::lock_guard<std::mutex> lock(load_mu_);  // serialised so RSS growth is this model's
    const int64_t rss_before = resident_memory_bytes();
    // Verifies the FlatBuffer; null for a truncated or corrupt file (2.2 prints the reason on
    // stderr through its default reporter; the options' reporter only exists later).
    TfLiteModel* model = api_->ModelCreateFromFile(path.c_str());
    if (model == nullptr) {
      return InvalidArgument("not a valid TFLite model: TFLite rejected the FlatBuffer (truncated or corrupt)");
    }
    auto log = std::make_unique<ErrorLog>();
    TfLiteInterpreterOptions* interpreter_options = api_->OptionsCreate();
    api_->OptionsSetNumThreads(interpreter_options, options.intra_op_threads);
    api_->OptionsSetErrorReporter(interpreter_options, &ErrorLog::report, log.get());
    TfLiteInterpreter* interpreter = api_->InterpreterCreate(model, interpreter_options);
    api_->OptionsDelete(interpreter_options);
    api_->ModelDelete(model);  // the interpreter keeps what it needs
    if (interpreter == nullptr) {
      return InvalidArgument(fmt::format("TFLite cannot build an interpreter for this model: {}", log->take()));
    }
    auto fail = [&](Status s) {
      api_->InterpreterDelete(interpreter);
      return s;
    };
    if (api_->AllocateTensors(interpreter) != kTfLiteOk) {
      return fail(InvalidArgument(fmt::format("TFLite cannot allocate the model's tensors: {}", log->take())));
    }

    std::vector<TensorInfo> inputs, outputs;
    auto describe = [&](const TfLiteTensor* t, std::string_view role, std::vector<TensorInfo>* into) -> Status {
      TensorInfo info;
      info.name = api_->TensorName(t) ? api_->TensorName(t) : "";
      auto dtype = to_dtype(api_->TensorType(t));
      if (!dtype.ok()) {
        return InvalidArgument(fmt::format("{} \"{}\": {}", role, info.name, dtype.status().message()));
      }
      info.dtype = *dtype;
      info.shape = declared_shape(*api_, t);
      into->push_back(std::move(info));
      return Status::Ok();
    };
    for (int32_t i = 0; i < api_->GetInputTensorCount(interpreter); ++i) {
      Status s = describe(api_->GetInputTensor(interpreter, i), "input", &inputs);
      if (!s.ok()) return fail(s);
    }
    for (int32_t i = 0; i < api_->GetOutputTensorCount(interpreter); ++i) {
      Status s = describe(api_->GetOutputTensor(interpreter, i), "output", &outputs);
      if (!s.ok()) return fail(s);
    }
    MemoryUsage memory{file_bytes, std::max<int64_t>(0, resident_memory_bytes() - rss_before)};
    return std::unique_ptr<Session>(
        new TfLiteSession(api_, path, std::move(log), interpreter, std::move(inputs), std::move(outputs), memory));
  }

  std::shared_ptr<const TfLiteApi> api_;
  std::mutex load_mu_;
};

}  // namespace

Result<std::unique_ptr<Engine>> open_tflite_engine(const std::string& library_path) {
  SENSIX_ASSIGN_OR_RETURN(auto api, open_library(library_path));
  return std::unique_ptr<Engine>(new TfLiteEngine(std::move(api)));
}

}  // namespace sensix
