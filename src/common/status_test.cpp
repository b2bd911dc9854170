#include "common/status.h"

#include <gtest/gtest.h>

namespace sensix {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return InvalidArgument("expected a positive integer, got " + std::to_string(v));
  return v;
}

Result<int> doubled(int v) {
  SENSIX_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  SENSIX_RETURN_IF_ERROR(parse_positive(v).status());
  return Status::Ok();
}

TEST(Status, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.to_string(), "OK");
}

TEST(Status, ContextPrefixesMessageAndKeepsCode) {
  Status s = NotFound("no such file").with_context("Model/vad");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "Model/vad: no such file");
  EXPECT_EQ(s.to_string(), "NOT_FOUND: Model/vad: no such file");
}

TEST(Status, ContextPrefixesEveryProblemOfAManyLineMessage) {
  Status s = InvalidArgument("first\nsecond").with_context("Model/a");
  EXPECT_EQ(s.message(), "Model/a: first\nModel/a: second");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(StatusList, CollectsEveryProblemWithTheFirstCode) {
  StatusList list;
  EXPECT_TRUE(list.ok());
  EXPECT_TRUE(list.status().ok());
  list.add(Status::Ok());
  list.add(NotFound("a.onnx does not exist"));
  list.add(InvalidArgument("x: wrong\ny: wrong too\n"));
  EXPECT_FALSE(list.ok());
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(list.status().message(), "a.onnx does not exist\nx: wrong\ny: wrong too");
}

TEST(Result, ValueAndErrorPropagate) {
  EXPECT_EQ(doubled(4).value(), 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "expected a positive integer, got -1");
  EXPECT_TRUE(check(3).ok());
  EXPECT_FALSE(check(0).ok());
}

}  // namespace
}  // namespace sensix
