#include "engines/engine.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace sensix {

int find_tensor(const std::vector<TensorInfo>& infos, std::string_view name) {
  for (size_t i = 0; i < infos.size(); ++i) {
    if (infos[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string describe_tensors(const std::vector<TensorInfo>& infos) {
  std::string out;
  for (size_t i = 0; i < infos.size(); ++i) {
    if (i) out += ", ";
    out += fmt::format("{} ({} {})", infos[i].name, dtype_name(infos[i].dtype), shape_to_string(infos[i].shape));
  }
  return out;
}

Status check_tensor(const TensorInfo& info, const Tensor& t, std::string_view role) {
  bool ok = t.dtype() == info.dtype && t.shape().size() == info.shape.size();
  for (size_t i = 0; ok && i < info.shape.size(); ++i) {
    if (info.shape[i] >= 0 && info.shape[i] != t.shape()[i]) ok = false;
  }
  if (!ok) {
    return InvalidArgument(fmt::format("{} \"{}\": expected {} {}, got {} {}", role, info.name, dtype_name(info.dtype),
                                       shape_to_string(info.shape), dtype_name(t.dtype()), shape_to_string(t.shape())));
  }
  // A default-constructed Tensor has a scalar shape but no storage.
  if (t.data() == nullptr || t.size() != element_count(t.shape())) {
    return InvalidArgument(fmt::format("{} \"{}\": the tensor {} {} holds no data", role, info.name,
                                       dtype_name(t.dtype()), shape_to_string(t.shape())));
  }
  return Status::Ok();
}

Status check_run_arguments(const std::vector<TensorInfo>& model_inputs, const std::vector<TensorInfo>& model_outputs,
                           std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                           const std::vector<Tensor>* outputs) {
  if (outputs == nullptr) return InvalidArgument("run() needs an output vector");
  if (inputs.size() != model_inputs.size()) {
    return InvalidArgument(fmt::format("the model has {} input(s) ({}), run() got {}", model_inputs.size(),
                                       describe_tensors(model_inputs), inputs.size()));
  }
  for (int index : output_indices) {
    if (index < 0 || static_cast<size_t>(index) >= model_outputs.size()) {
      return InvalidArgument(fmt::format("output index {} is out of range: the model has {} output(s) ({})", index,
                                         model_outputs.size(), describe_tensors(model_outputs)));
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == nullptr) return InvalidArgument(fmt::format("input \"{}\" is null", model_inputs[i].name));
    SENSIX_RETURN_IF_ERROR(check_tensor(model_inputs[i], *inputs[i]));
  }
  return Status::Ok();
}

Result<int64_t> check_load_arguments(const std::string& path, const SessionOptions& options,
                                     std::string_view model_kind) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return NotFound("no such model file");
  if (!std::filesystem::is_regular_file(status)) {
    return InvalidArgument(fmt::format("not a regular file, cannot be {}", model_kind));
  }
  const auto file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (options.intra_op_threads < 1) {
    return InvalidArgument(fmt::format("intra_op_threads must be >= 1, got {}", options.intra_op_threads));
  }
  return file_bytes;
}

SessionBase::SessionBase(std::string path, std::vector<TensorInfo> inputs, std::vector<TensorInfo> outputs,
                         MemoryUsage memory)
    : path_(std::move(path)), inputs_(std::move(inputs)), outputs_(std::move(outputs)), memory_(memory) {}

Status SessionBase::run(std::span<const Tensor* const> inputs, std::span<const int> output_indices,
                        std::vector<Tensor>* outputs) {
  Status s = check_run_arguments(inputs_, outputs_, inputs, output_indices, outputs);
  if (s.ok()) s = run_checked(inputs, output_indices, outputs);
  return s.ok() ? s : s.with_context(path_);
}

Result<std::unique_ptr<Session>> EngineBase::load(const std::string& path, const SessionOptions& options) {
  auto file_bytes = check_load_arguments(path, options, model_kind_);
  auto result = file_bytes.ok() ? load_checked(path, options, *file_bytes) : file_bytes.status();
  if (!result.ok()) return result.status().with_context(path);
  return result;
}

int64_t resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace sensix
