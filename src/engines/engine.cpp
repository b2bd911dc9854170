#include "engines/engine.h"

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
    out += fmt::format("{} ({} {})", infos[i].name, dtype_name(infos[i].dtype),
                       shape_to_string(infos[i].shape));
  }
  return out;
}

Status check_tensor(const TensorInfo& info, const Tensor& t, std::string_view role) {
  bool ok = t.dtype() == info.dtype && t.shape().size() == info.shape.size();
  for (size_t i = 0; ok && i < info.shape.size(); ++i) {
    if (info.shape[i] >= 0 && info.shape[i] != t.shape()[i]) ok = false;
  }
  if (!ok) {
    return InvalidArgument(fmt::format("{} \"{}\": expected {} {}, got {} {}", role, info.name,
                                       dtype_name(info.dtype), shape_to_string(info.shape),
                                       dtype_name(t.dtype()), shape_to_string(t.shape())));
  }
  // A default-constructed Tensor has a scalar shape but no storage.
  if (t.data() == nullptr || t.size() != element_count(t.shape())) {
    return InvalidArgument(fmt::format("{} \"{}\": the tensor {} {} holds no data", role,
                                       info.name, dtype_name(t.dtype()),
                                       shape_to_string(t.shape())));
  }
  return Status::Ok();
}

}  // namespace sensix
