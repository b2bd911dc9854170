#include "common/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include <fmt/format.h>

namespace sensix {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kFloat16: return 2;
    case DType::kInt64: return 8;
    case DType::kInt32: return 4;
    case DType::kInt8: return 1;
    case DType::kUInt8: return 1;
    case DType::kBool: return 1;
  }
  return 0;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kInt64: return "int64";
    case DType::kInt32: return "int32";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kBool: return "bool";
  }
  return "unknown";
}

Result<DType> parse_dtype(std::string_view name) {
  for (DType t :
       {DType::kFloat32, DType::kFloat16, DType::kInt64, DType::kInt32, DType::kInt8, DType::kUInt8, DType::kBool}) {
    if (name == dtype_name(t)) return t;
  }
  return InvalidArgument(
      fmt::format("unknown dtype \"{}\" (expected one of float32, float16, int64, int32, int8, uint8, bool)", name));
}

int64_t element_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  s += "]";
  return s;
}

void Tensor::AlignedFree::operator()(std::byte* p) const { std::free(p); }

namespace {
constexpr size_t kAlign = 64;
// `bytes` rounded up to the alignment; the padding past byte_size() is zeroed (sanitizers and
// engines that read whole vectors see defined bytes), the elements only when `zero`.
std::byte* allocate(size_t bytes, bool zero) {
  size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  if (rounded == 0) rounded = kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (!p) throw std::bad_alloc();
  if (zero) {
    std::memset(p, 0, rounded);
  } else if (rounded > bytes) {
    std::memset(static_cast<std::byte*>(p) + bytes, 0, rounded - bytes);
  }
  return static_cast<std::byte*>(p);
}
}  // namespace

Tensor::Tensor(DType dtype, Shape shape, bool zero) : dtype_(dtype), shape_(std::move(shape)) {
  for ([[maybe_unused]] int64_t d : shape_) assert(d >= 0 && "Tensor shape with a dynamic dimension");
  count_ = element_count(shape_);
  data_.reset(allocate(byte_size(), zero));
}

Tensor::Tensor(DType dtype, Shape shape) : Tensor(dtype, std::move(shape), true) {}

Tensor Tensor::uninitialized(DType dtype, Shape shape) { return Tensor(dtype, std::move(shape), false); }

Tensor::Tensor(const Tensor& other) : dtype_(other.dtype_), shape_(other.shape_), count_(other.count_) {
  if (other.data_) {
    data_.reset(allocate(byte_size(), false));
    std::memcpy(data_.get(), other.data_.get(), byte_size());
  }
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) {
    Tensor copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Status Tensor::reshape(Shape shape) {
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("reshape to a shape with a dynamic dimension " + shape_to_string(shape));
  }
  if (element_count(shape) != count_) {
    return InvalidArgument(fmt::format("cannot reshape {} ({} elements) to {} ({} elements)", shape_to_string(shape_),
                                       count_, shape_to_string(shape), element_count(shape)));
  }
  shape_ = std::move(shape);
  return Status::Ok();
}

void Tensor::check_type(DType requested) const {
  (void)requested;
  assert(requested == dtype_ && "Tensor::values<T>() with the wrong element type");
}

}  // namespace sensix
