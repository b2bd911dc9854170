// One interface over inference runtimes (ONNX Runtime, TensorFlow Lite, ...).
//
// Engines know nothing of documents, sensors or pipelines: they load a model file, describe
// its tensors, and run it on tensors. Each engine library is loaded with dlopen when first
// asked for, so a missing or broken library disables that engine (with the reason) and never
// stops the process or the other engines.
//
// Errors: every failure (a file that is not a model, a runtime error inside the engine, a
// tensor of the wrong type or shape) is returned as a Status naming the model file and the
// tensor; nothing throws, nothing aborts.
//
// Thread-safety: an Engine is safe to use from many threads (load() may be called
// concurrently). A Session is not: one run() at a time; the owner serialises calls. Distinct
// sessions may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/model_format.h"
#include "common/status.h"
#include "common/tensor.h"

namespace sensix {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;  // -1 for a dynamic dimension
};

struct SessionOptions {
  int intra_op_threads = 1;  // threads the engine may use inside one run()
};

struct MemoryUsage {
  int64_t file_bytes = 0;      // size of the model file
  int64_t resident_bytes = 0;  // growth of the process's resident memory while the model loaded
                               // (loads are serialised per engine so the figure is the model's own)
};

class Session {
 public:
  virtual ~Session() = default;

  virtual const std::vector<TensorInfo>& inputs() const = 0;
  virtual const std::vector<TensorInfo>& outputs() const = 0;

  // Runs the model. `inputs` holds one tensor per entry of inputs(), in that order, each of
  // the declared dtype and of a shape that matches the declared one (dynamic dims free).
  // `output_indices` selects which of outputs() to compute; `outputs` is resized to match and
  // receives them in that order. An error names the model and the offending tensor.
  virtual Status run(std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                     std::vector<Tensor>* outputs) = 0;

  virtual MemoryUsage memory() const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual std::string_view name() const = 0;  // "onnxruntime", "tflite"
  virtual std::string version() const = 0;    // the library's own version string
  virtual bool supports(ModelFormat format) const = 0;

  // Loads a model file. Fails with InvalidArgument when the file is not a model this engine
  // can read (the message says what was found), NotFound when it does not exist.
  virtual Result<std::unique_ptr<Session>> load(const std::string& path, const SessionOptions& options) = 0;
};

// What every in-process engine's Session shares: the model file's path, its tensors and memory, and
// run(), which checks the arguments (check_run_arguments) before the engine's run_checked() and
// names the model file in every error. An engine's session derives from it.
class SessionBase : public Session {
 public:
  const std::vector<TensorInfo>& inputs() const final { return inputs_; }
  const std::vector<TensorInfo>& outputs() const final { return outputs_; }
  MemoryUsage memory() const final { return memory_; }
  Status run(std::span<const Tensor* const> inputs, std::span<const int> output_indices,
             std::vector<Tensor>* outputs) final;

 protected:
  SessionBase(std::string path, std::vector<TensorInfo> inputs, std::vector<TensorInfo> outputs, MemoryUsage memory);
  // Runs the model on arguments that passed check_run_arguments (`outputs` is not null).
  virtual Status run_checked(std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                             std::vector<Tensor>* outputs) = 0;

  const std::string path_;
  const std::vector<TensorInfo> inputs_;
  const std::vector<TensorInfo> outputs_;

 private:
  const MemoryUsage memory_;
};

// What every in-process engine shares: load() checks the arguments (check_load_arguments) before the
// engine's load_checked() and names the model file in every error.
class EngineBase : public Engine {
 public:
  Result<std::unique_ptr<Session>> load(const std::string& path, const SessionOptions& options) final;

 protected:
  // `model_kind` for the messages: "an ONNX model".
  explicit EngineBase(std::string_view model_kind) : model_kind_(model_kind) {}
  // Loads a file that passed check_load_arguments, `file_bytes` long.
  virtual Result<std::unique_ptr<Session>> load_checked(const std::string& path, const SessionOptions& options,
                                                        int64_t file_bytes) = 0;

 private:
  const std::string_view model_kind_;
};

// Index of a tensor by name in a TensorInfo list, or -1.
int find_tensor(const std::vector<TensorInfo>& infos, std::string_view name);
// "input:0 (float32 [1, 128, 128, 3]), ..." for messages.
std::string describe_tensors(const std::vector<TensorInfo>& infos);
// Checks a tensor against a declared TensorInfo (dtype, rank, static dims) and that it holds
// data. InvalidArgument names the tensor and both shapes:
//   input "x.1": expected float32 [1, 16, 96], got float32 [1, 15, 96]
// `role` is the first word of the message ("input", "output", ...).
Status check_tensor(const TensorInfo& info, const Tensor& t, std::string_view role = "input");
// Checks the arguments of Session::run against the session's tensors: an output vector is
// given, one non-null input per model input (each passing check_tensor), output indices in
// range. Every engine calls it first, so the messages are the same whichever engine runs.
Status check_run_arguments(const std::vector<TensorInfo>& model_inputs, const std::vector<TensorInfo>& model_outputs,
                           std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                           const std::vector<Tensor>* outputs);
// Checks the arguments of Engine::load before the engine's library sees the file, and returns the
// file's size in bytes. Every engine calls it first, so the messages are the same whichever engine
// loads (the engine adds the path as context):
//   NotFound         "no such model file"
//   InvalidArgument  "not a regular file, cannot be <model_kind>"   (model_kind: "an ONNX model")
//   InvalidArgument  "intra_op_threads must be >= 1, got 0"
Result<int64_t> check_load_arguments(const std::string& path, const SessionOptions& options,
                                     std::string_view model_kind);

// Resident set size of this process in bytes (from /proc/self/statm), for memory accounting.
int64_t resident_memory_bytes();

}  // namespace sensix
