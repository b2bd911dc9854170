#include "common/tensor.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace sensix {
namespace {

TEST(Tensor, AllocatesZeroedAlignedStorage) {
  Tensor t(DType::kFloat32, {2, 3});
  EXPECT_EQ(t.size(), 6);
  EXPECT_EQ(t.byte_size(), 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  for (float v : t.values<float>()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, CopyIsDeepMoveIsNot) {
  std::vector<float> v{1, 2, 3, 4};
  Tensor a = Tensor::from_values<float>({4}, v);
  Tensor b = a;
  b.values<float>()[0] = 9;
  EXPECT_EQ(a.values<float>()[0], 1);
  const std::byte* p = a.data();
  Tensor c = std::move(a);
  EXPECT_EQ(c.data(), p);
}

TEST(Tensor, ScalarHasOneElement) {
  Tensor t(DType::kInt64, {});
  EXPECT_EQ(t.size(), 1);
  EXPECT_EQ(shape_to_string(t.shape()), "[]");
}

TEST(Tensor, ReshapeKeepsCountOrFails) {
  Tensor t(DType::kFloat32, {1, 16, 96});
  EXPECT_TRUE(t.reshape({16, 96}).ok());
  Status s = t.reshape({16, 95});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "cannot reshape [16, 96] (1536 elements) to [16, 95] (1520 elements)");
}

TEST(DType, NamesRoundTripAndUnknownIsAnError) {
  for (DType t : {DType::kFloat32, DType::kInt64, DType::kUInt8}) {
    EXPECT_EQ(parse_dtype(dtype_name(t)).value(), t);
  }
  auto bad = parse_dtype("float");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown dtype \"float\""), std::string::npos);
  EXPECT_EQ(shape_to_string({-1, 3}), "[?, 3]");
}

}  // namespace
}  // namespace sensix
