#include "api/kserve_grpc_tensors.h"

#include <cstdint>
#include <limits>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sensix::api {
namespace {

// Copies `n` values of a repeated field into the tensor, each checked to fit `T`.
template <typename T, typename Field>
Status fill(const InputHeader& h, const Field& field, const char* field_name, Tensor* t) {
  if (field.size() != h.count) {
    return InvalidArgument(fmt::format("input \"{}\": shape [{}] of {} takes {} values, {} has {}", h.name,
                                       fmt::join(h.shape, ", "), kserve_datatype(h.dtype), h.count, field_name,
                                       field.size()));
  }
  auto dst = t->values<T>();
  for (int i = 0; i < field.size(); ++i) {
    const auto v = field.Get(i);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        return InvalidArgument(
            fmt::format("input \"{}\": {}[{}] is {}, beyond {}", h.name, field_name, i, v, kserve_datatype(h.dtype)));
      }
    }
    dst[i] = static_cast<T>(v);
  }
  return Status::Ok();
}

}  // namespace

Result<Tensor> tensor_from_contents(const InputHeader& h, const inference::InferTensorContents& c) {
  Tensor t(h.dtype, h.shape);
  Status s;
  switch (h.dtype) {
    case DType::kBool: s = fill<bool>(h, c.bool_contents(), "bool_contents", &t); break;
    case DType::kInt8: s = fill<int8_t>(h, c.int_contents(), "int_contents", &t); break;
    case DType::kInt32: s = fill<int32_t>(h, c.int_contents(), "int_contents", &t); break;
    case DType::kInt64: s = fill<int64_t>(h, c.int64_contents(), "int64_contents", &t); break;
    case DType::kUInt8: s = fill<uint8_t>(h, c.uint_contents(), "uint_contents", &t); break;
    case DType::kFloat32: s = fill<float>(h, c.fp32_contents(), "fp32_contents", &t); break;
    case DType::kFloat16:
      return InvalidArgument(fmt::format(
          "input \"{}\": FP16 has no contents field in the protocol: give its bytes in raw_input_contents", h.name));
  }
  if (!s.ok()) return s;
  return t;
}

}  // namespace sensix::api
