// Classifier: thresholds, triggers and ignored classes on constructed scores (exact values).
#include "models/classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sensix {
namespace {

using ::testing::HasSubstr;

// The openWakeWord timer head's classes: column 0 is "no timer intent".
ClassifySpec timer_spec(Trigger trigger) {
  ClassifySpec c;
  c.output = "scores";
  c.labels = {
      "none",        "1_minute_timer", "5_minute_timer", "10_minute_timer", "20_minute_timer", "30_minute_timer",
      "1_hour_timer"};
  c.threshold = 0.5f;
  c.trigger = trigger;
  c.ignore_classes = {0};
  return c;
}

std::vector<std::string> labels_of(const std::optional<std::vector<LabelScore>>& r) {
  std::vector<std::string> out;
  if (r) {
    for (const auto& l : *r) out.push_back(l.label);
  }
  return out;
}

TEST(Classifier, AnIgnoredClassIsScoredButNeverReported) {
  for (Trigger trigger : {Trigger::kEvery, Trigger::kRising}) {
    auto c = Classifier::create(timer_spec(trigger), 7);
    ASSERT_TRUE(c.ok()) << c.status();
    // Silence: "none" at 1.0 is over threshold but ignored; nothing to report.
    auto r = c->process(std::vector<float>{1.0f, 0, 0, 0, 0, 0, 0});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->has_value()) << trigger_name(trigger);
    EXPECT_TRUE(c->ignored(0));
    EXPECT_FALSE(c->ignored(2));
    EXPECT_FLOAT_EQ(c->last_scores()[0], 1.0f);
    // "set a timer for five minutes": the 5-minute column wins.
    r = c->process(std::vector<float>{0.02f, 0.005f, 0.971f, 0.001f, 0.001f, 0.001f, 0.001f});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(labels_of(*r), std::vector<std::string>{"5_minute_timer"}) << trigger_name(trigger);
    EXPECT_EQ((**r)[0].index, 2);
  }
}

TEST(Classifier, IgnoredClassesMustBeColumnsAndLeaveOneToReport) {
  ClassifySpec s = timer_spec(Trigger::kEvery);
  s.ignore_classes = {0, 7};
  auto bad = Classifier::create(s, 7);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("ignoreClasses: class 7 is not a column of the output (it has 7 classes)"));
  s.ignore_classes = {0, 1, 2, 3, 4, 5, 6, 3};
  bad = Classifier::create(s, 7);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("all 7 classes are ignored"));
}

TEST(Classifier, RisingFiresOncePerCrossingAndReArmsBelowRelease) {
  ClassifySpec s;
  s.output = "score";
  s.labels = {"hey_jarvis"};
  s.threshold = 0.5f;
  s.release = 0.05f;
  auto c = Classifier::create(s, 1);
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<int> fired;
  const std::vector<float> scores = {0.1f, 0.9f, 0.08f, 0.65f, 0.01f, 0.7f};
  for (size_t i = 0; i < scores.size(); ++i) {
    auto r = c->process(std::vector<float>{scores[i]});
    ASSERT_TRUE(r.ok()) << r.status();
    if (r->has_value()) fired.push_back(static_cast<int>(i));
  }
  // 0.08 is above the release, so 0.65 does not fire again; 0.01 re-arms, 0.7 fires.
  EXPECT_EQ(fired, (std::vector<int>{1, 5}));
}

TEST(Classifier, NanScoresFailThatResultAndKeepTheState) {
  ClassifySpec s = timer_spec(Trigger::kRising);
  auto c = Classifier::create(s, 7);
  ASSERT_TRUE(c.ok()) << c.status();
  auto r = c->process(std::vector<float>{0, 0, std::nanf(""), 0, 0, 0, 0});
  EXPECT_FALSE(r.ok());
  r = c->process(std::vector<float>{0, 0, 0.9f, 0, 0, 0, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(labels_of(*r), std::vector<std::string>{"5_minute_timer"}) << "still armed after the failed result";
}

}  // namespace
}  // namespace sensix
