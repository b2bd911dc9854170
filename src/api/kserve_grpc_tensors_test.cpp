// KServe v2 gRPC tensors: each datatype's `contents` field to a tensor, exactly; a count that is not
// the shape's, a value beyond its datatype, FP16 (no contents field) refused naming the input.
#include "api/kserve_grpc_tensors.h"

#include <cstdint>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix::api {
namespace {

using ::testing::ElementsAre;

InputHeader header(const char* datatype, std::vector<int64_t> shape) {
  auto h = make_input_header("x", datatype, shape);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : InputHeader{};
}

TEST(KserveGrpcTensors, EveryDatatypeFromItsContentsField) {
  inference::InferTensorContents c;
  for (bool b : {true, false, true}) c.add_bool_contents(b);
  auto t = tensor_from_contents(header("BOOL", {3}), c);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->values<bool>(), ElementsAre(true, false, true));

  c.Clear();
  for (int v : {-128, 0, 127}) c.add_int_contents(v);
  t = tensor_from_contents(header("INT8", {1, 3}), c);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->values<int8_t>(), ElementsAre(-128, 0, 127));
  t = tensor_from_contents(header("INT32", {3}), c);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->values<int32_t>(), ElementsAre(-128, 0, 127));

  c.Clear();
  for (int64_t v : {INT64_MIN, int64_t{0}, INT64_MAX}) c.add_int64_contents(v);
  t = tensor_from_contents(header("INT64", {3}), c);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->values<int64_t>(), ElementsAre(INT64_MIN, 0, INT64_MAX));

  c.Clear();
  for (uint32_t v : {0u, 128u, 255u}) c.add_uint_contents(v);
  t = tensor_from_contents(header("UINT8", {3}), c);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->values<uint8_t>(), ElementsAre(0, 128, 255));

  c.Clear();
  for (float v : {-1.5f, 0.0f, 3.25e-8f, 6.5e20f}) c.add_fp32_contents(v);
  t = tensor_from_contents(header("FP32", {2, 2}), c);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->values<float>(), ElementsAre(-1.5f, 0.0f, 3.25e-8f, 6.5e20f));
  EXPECT_THAT(t->shape(), ElementsAre(2, 2));
}

TEST(KserveGrpcTensors, BadContentsAreRefusedNamingTheInput) {
  inference::InferTensorContents c;
  c.add_int_contents(128);
  auto t = tensor_from_contents(header("INT8", {1}), c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "input \"x\": int_contents[0] is 128, beyond INT8");

  c.Clear();
  c.add_uint_contents(0);
  c.add_uint_contents(256);
  t = tensor_from_contents(header("UINT8", {2}), c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "input \"x\": uint_contents[1] is 256, beyond UINT8");

  c.Clear();
  c.add_fp32_contents(1);
  t = tensor_from_contents(header("FP32", {2, 3}), c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "input \"x\": shape [2, 3] of FP32 takes 6 values, fp32_contents has 1");

  // Values in another datatype's field are not taken for this one's.
  c.Clear();
  c.add_int_contents(1);
  t = tensor_from_contents(header("INT64", {1}), c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "input \"x\": shape [1] of INT64 takes 1 values, int64_contents has 0");

  t = tensor_from_contents(header("FP16", {1}), c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "input \"x\": FP16 has no contents field in the protocol: give its bytes in raw_input_contents");
}

}  // namespace
}  // namespace sensix::api
