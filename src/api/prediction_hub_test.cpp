// PredictionHub: filters, ids, the latest table, Last-Event-ID resume from the bounded history, and a
// slow subscriber's bounded queue (it loses its oldest, told in its stream; the others lose nothing).
#include "api/prediction_hub.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Prediction prediction(const std::string& model, const std::string& sensor, const std::string& label, float score,
                      uint64_t frame) {
  Prediction p;
  p.model = model;
  p.sensor = sensor;
  p.pipelines = {"voice"};
  p.frame_seq = frame;
  p.labels.push_back({label, 0, score});
  return p;
}

// Every event's id in a stream's text, in order.
std::vector<uint64_t> ids_in(const std::string& text) {
  std::vector<uint64_t> ids;
  size_t pos = 0;
  while ((pos = text.find("id: ", pos)) != std::string::npos) {
    ids.push_back(std::stoull(text.substr(pos + 4)));
    pos += 4;
  }
  return ids;
}

std::string drain(EventStream& s) {
  std::string out;
  while (true) {
    auto t = s.next();
    if (!t || t->empty()) return out;
    out += *t;
  }
}

PredictionFilter filter(std::string sensor, std::string model = "", std::string pipeline = "", std::string label = "",
                        float min_score = 0.0f) {
  PredictionFilter f;
  f.sensor = std::move(sensor);
  f.model = std::move(model);
  f.pipeline = std::move(pipeline);
  f.label = std::move(label);
  f.min_score = min_score;
  return f;
}

TEST(PredictionFilter, MatchesSensorModelPipelineLabelAndScore) {
  const Prediction p = prediction("hey-jarvis", "speech", "hey_jarvis", 0.9f, 1);
  EXPECT_TRUE(PredictionFilter{}.matches(p));
  EXPECT_TRUE((filter("speech", "hey-jarvis", "voice", "hey_jarvis", 0.8f)).matches(p));
  EXPECT_FALSE((filter("camera")).matches(p));
  EXPECT_FALSE((filter("", "alexa")).matches(p));
  EXPECT_FALSE((filter("", "", "vision")).matches(p));
  EXPECT_FALSE((filter("", "", "", "alexa")).matches(p));
  EXPECT_FALSE((filter("", "", "", "", 0.95f)).matches(p));
  PredictionFilter events_only;
  events_only.predictions = false;
  EXPECT_FALSE(events_only.matches(p));
}

TEST(PredictionHub, NumbersItemsKeepsTheLatestAndFilters) {
  PredictionHub hub;
  hub.publish(prediction("a", "s1", "x", 0.5f, 1));
  hub.publish(prediction("a", "s1", "x", 0.6f, 2));
  hub.publish(prediction("b", "s1", "y", 0.7f, 3));
  hub.flush();
  auto latest = hub.latest({});
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0]->prediction->frame_seq, 2u);
  EXPECT_EQ(latest[0]->id, 2u);
  EXPECT_EQ(latest[1]->id, 3u);
  EXPECT_THAT(latest[1]->sse, HasSubstr("id: 3\nevent: prediction\ndata: {"));
  EXPECT_EQ(hub.latest(filter("", "b")).size(), 1u);
  EXPECT_EQ(hub.stats().published, 3u);
  hub.keep_latest_of({"b"});  // model a was deleted
  ASSERT_EQ(hub.latest({}).size(), 1u);
  EXPECT_EQ(hub.latest({})[0]->prediction->model, "b");
}

TEST(PredictionHub, ALateSubscriberResumesAfterItsLastEventId) {
  PredictionHubOptions o;
  o.history = 4;
  PredictionHub hub(o);
  for (uint64_t i = 1; i <= 6; ++i) hub.publish(prediction("a", "s", "x", 0.5f, i));
  hub.flush();
  // ids 3..6 are in the history: after 4 come 5 and 6.
  auto s = hub.subscribe({}, 4);
  EXPECT_EQ(ids_in(drain(*s)), (std::vector<uint64_t>{5, 6}));
  // After 1: 2 is gone (told as dropped), then 3..6.
  auto old = hub.subscribe({}, 1);
  const std::string text = drain(*old);
  EXPECT_THAT(text, HasSubstr("event: dropped\ndata: {\"type\":\"dropped\",\"dropped\":1"));
  EXPECT_EQ(ids_in(text), (std::vector<uint64_t>{3, 4, 5, 6}));
  // Live items follow.
  hub.publish(prediction("a", "s", "x", 0.5f, 7));
  hub.flush();
  EXPECT_EQ(ids_in(drain(*s)), (std::vector<uint64_t>{7}));
}

TEST(PredictionHub, ASlowSubscriberLosesItsOldestAndNoOneElseLosesAnything) {
  PredictionHubOptions o;
  o.subscriber_queue = 3;
  PredictionHub hub(o);
  auto slow = hub.subscribe({}, std::nullopt);
  auto fast = hub.subscribe({}, std::nullopt);
  int wakes = 0;
  fast->set_wake([&] { ++wakes; });
  std::vector<uint64_t> fast_ids;
  for (uint64_t i = 1; i <= 10; ++i) {
    hub.publish(prediction("a", "s", "x", 0.5f, i));
    hub.flush();
    auto got = ids_in(drain(*fast));  // the fast one reads as it goes
    fast_ids.insert(fast_ids.end(), got.begin(), got.end());
  }
  EXPECT_EQ(fast_ids.size(), 10u);
  EXPECT_GE(wakes, 10);
  const std::string text = drain(*slow);
  EXPECT_THAT(text, HasSubstr("\"dropped\":7"));
  EXPECT_EQ(ids_in(text), (std::vector<uint64_t>{8, 9, 10}));
  EXPECT_EQ(hub.stats().subscriber_dropped, 7u);
  EXPECT_EQ(hub.stats().delivered, 13u);
}

TEST(PredictionHub, StopEndsEveryStream) {
  PredictionHub hub;
  auto s = hub.subscribe({}, std::nullopt);
  hub.stop();
  EXPECT_FALSE(s->next().has_value());
}

}  // namespace
}  // namespace sensix::api
