#include "models/ctc_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sensix {
namespace {

using ::testing::HasSubstr;

// Rows of probabilities where class `best[t]` has probability p[t] and the rest share what is left.
std::vector<float> rows(const std::vector<int>& best, const std::vector<float>& p, int classes) {
  std::vector<float> v;
  for (size_t t = 0; t < best.size(); ++t) {
    for (int k = 0; k < classes; ++k) {
      v.push_back(k == best[t] ? p[t] : (1.0f - p[t]) / static_cast<float>(classes - 1));
    }
  }
  return v;
}

CtcSpec paddle_spec() {
  CtcSpec s;
  s.output = "softmax";
  s.space_character = true;
  s.min_confidence = 0.0f;
  return s;
}

CtcDecoder make(const CtcSpec& s, std::vector<std::string> dict, int classes) {
  auto d = CtcDecoder::create(s, std::move(dict), classes);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return std::move(d).value();
}

TEST(CtcDecoder, CollapsesRepeatsDropsBlanksAndMapsPaddleIndices) {
  // Classes: 0 blank, 1 "a", 2 "b", 3 "c", 4 " ".
  CtcDecoder d = make(paddle_spec(), {"a", "b", "c"}, 5);
  const std::vector<int> best = {1, 1, 0, 1, 2, 4, 3, 3, 0};
  const std::vector<float> p = {0.9f, 0.8f, 0.99f, 0.7f, 0.6f, 0.5f, 0.95f, 0.85f, 0.9f};
  auto r = d.decode(rows(best, p, 5));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->text, "aab c");
  // Kept steps: 0 (a), 3 (a), 4 (b), 5 (space), 6 (c).
  EXPECT_NEAR((*r)->confidence, (0.9f + 0.7f + 0.6f + 0.5f + 0.95f) / 5, 1e-6);
}

TEST(CtcDecoder, MultiByteEntriesAndBlankLast) {
  CtcSpec s = paddle_spec();
  s.space_character = false;
  s.blank = 3;  // classes: 0 "中", 1 "文", 2 "é", 3 blank
  CtcDecoder d = make(s, {"中", "文", "é"}, 4);
  auto r = d.decode(rows({0, 3, 1, 1, 2}, {0.9f, 0.9f, 0.9f, 0.9f, 0.9f}, 4));
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->text, "中文é");
}

TEST(CtcDecoder, SoftmaxActivationGivesTheConfidence) {
  CtcSpec s = paddle_spec();
  s.activation = Activation::kSoftmax;
  CtcDecoder d = make(s, {"a", "b", "c"}, 5);
  // One step of logits: class 2 ("b") at 2, the rest at 0.
  auto r = d.decode(std::vector<float>{0, 0, 2, 0, 0});
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->text, "b");
  EXPECT_NEAR((*r)->confidence, std::exp(2.0) / (std::exp(2.0) + 4), 1e-6);
}

TEST(CtcDecoder, NothingBelowMinConfidenceOrWithoutCharacters) {
  CtcSpec s = paddle_spec();
  s.min_confidence = 0.6f;
  CtcDecoder d = make(s, {"a", "b", "c"}, 5);
  auto low = d.decode(rows({1, 2}, {0.5f, 0.6f}, 5));  // mean 0.55
  ASSERT_TRUE(low.ok());
  EXPECT_FALSE(low->has_value());
  auto blank = d.decode(rows({0, 0, 0}, {0.9f, 0.9f, 0.9f}, 5));
  ASSERT_TRUE(blank.ok());
  EXPECT_FALSE(blank->has_value());
  auto ok = d.decode(rows({1, 2}, {0.6f, 0.7f}, 5));
  ASSERT_TRUE(ok.ok() && ok->has_value());
  EXPECT_EQ((*ok)->text, "ab");
}

TEST(CtcDecoder, DictionarySizeMustMatchTheClassCount) {
  CtcSpec s = paddle_spec();
  s.dictionary_file = "/models/keys.txt";
  auto d = CtcDecoder::create(s, {"a", "b", "c"}, 6625);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("3 entries in /models/keys.txt + 1 space + 1 blank make 5 classes, but "
                                              "output \"softmax\" has 6625"));
  s.blank = 5;
  EXPECT_THAT(CtcDecoder::create(s, {"a", "b", "c"}, 5).status().message(), HasSubstr("blank: 5 is not a class index"));
}

TEST(CtcDecoder, BadResultsFailThatResultOnly) {
  CtcDecoder d = make(paddle_spec(), {"a", "b", "c"}, 5);
  std::vector<float> v = rows({1, 2}, {0.9f, 0.9f}, 5);
  v[7] = std::numeric_limits<float>::quiet_NaN();
  auto nan = d.decode(v);
  ASSERT_FALSE(nan.ok());
  EXPECT_THAT(nan.status().message(), HasSubstr("step 1 class 2 is nan"));
  auto size = d.decode(std::vector<float>(7, 0.1f));
  ASSERT_FALSE(size.ok());
  EXPECT_THAT(size.status().message(), HasSubstr("7 values, not a whole number of steps of 5 classes"));
  auto ok = d.decode(rows({3}, {0.9f}, 5));
  ASSERT_TRUE(ok.ok() && ok->has_value());
  EXPECT_EQ((*ok)->text, "c");
}

}  // namespace
}  // namespace sensix
