// Tensor: an owned, dense, row-major n-dimensional array with an element type.
//
// The one data type that crosses every layer below api/: transforms produce tensors, engines
// consume and produce them, post-processing reads them. Storage is 64-byte aligned so that
// engines can read it without copying. A Tensor is a value (copy = deep copy); share one
// between consumers as std::shared_ptr<const Tensor> (zero-copy fan-out).
//
// Thread-safety: like std::vector; const access from many threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/status.h"

namespace sensix {

enum class DType { kFloat32, kFloat16, kInt64, kInt32, kInt8, kUInt8, kBool };

size_t dtype_size(DType t);
std::string_view dtype_name(DType t);  // "float32", "int64", ...
Result<DType> parse_dtype(std::string_view name);

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::kFloat32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::kInt64;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::kInt32;
}
template <>
constexpr DType dtype_of<int8_t>() {
  return DType::kInt8;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::kUInt8;
}
template <>
constexpr DType dtype_of<bool>() {
  return DType::kBool;
}

using Shape = std::vector<int64_t>;

// Product of dims; 1 for a scalar (empty shape). Negative (dynamic) dims are invalid here.
int64_t element_count(const Shape& shape);
std::string shape_to_string(const Shape& shape);  // "[1, 16, 96]"; dynamic dims print as "?"

class Tensor {
 public:
  Tensor() = default;
  // Allocates element_count(shape) zeroed elements. Every dim must be >= 0.
  Tensor(DType dtype, Shape shape);
  // The same with the elements' bytes left as they come, for a caller that writes every one of
  // them at once (a copy of bytes received): no pass over the memory to zero it first.
  static Tensor uninitialized(DType dtype, Shape shape);

  template <typename T>
  static Tensor from_values(Shape shape, std::span<const T> values) {
    Tensor t(dtype_of<T>(), std::move(shape));
    auto dst = t.values<T>();
    for (size_t i = 0; i < dst.size() && i < values.size(); ++i) dst[i] = values[i];
    return t;
  }

  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t size() const { return count_; }  // number of elements
  size_t byte_size() const { return static_cast<size_t>(count_) * dtype_size(dtype_); }
  bool empty() const { return count_ == 0; }

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }

  // Typed view; the caller must ask for the tensor's own element type (checked in debug).
  template <typename T>
  std::span<T> values() {
    check_type(dtype_of<std::remove_const_t<T>>());
    return {reinterpret_cast<T*>(data_.get()), static_cast<size_t>(count_)};
  }
  template <typename T>
  std::span<const T> values() const {
    check_type(dtype_of<std::remove_const_t<T>>());
    return {reinterpret_cast<const T*>(data_.get()), static_cast<size_t>(count_)};
  }

  // Changes the shape without touching data; the element count must stay the same.
  Status reshape(Shape shape);

 private:
  struct AlignedFree {
    void operator()(std::byte* p) const;
  };
  void check_type(DType requested) const;
  Tensor(DType dtype, Shape shape, bool zero);

  DType dtype_ = DType::kFloat32;
  Shape shape_;
  int64_t count_ = 0;
  std::unique_ptr<std::byte[], AlignedFree> data_;
};

using TensorPtr = std::shared_ptr<const Tensor>;

}  // namespace sensix
