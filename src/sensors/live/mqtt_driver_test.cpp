// MqttDriver: payload parsing (a table), then the driver against a real mosquitto broker on a free
// loopback port, fed by the real mosquitto_pub client: values and times, bad messages counted
// without losing the connection, the broker killed and restarted mid-run, and a broker that never
// answers.
#include "sensors/live/mqtt_driver.h"

#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/env.h"
#include "support/child_process.h"
#include "support/mqtt_broker.h"
#include "support/ports.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix {
namespace {

using testing::Broker;
using testing::eventually;
using testing::RecordingSink;
using testing::TempDir;

MqttSpec imu_spec(std::string timestamp = "") {
  MqttSpec m;
  m.topic = "imu/1";
  m.fields = {"ax", "ay", "az"};
  m.timestamp = std::move(timestamp);
  return m;
}

TEST(MqttPayload, ParsesAnObjectAndAnArrayInFieldOrder) {
  auto one = parse_mqtt_payload(R"({"az": 3, "ax": 1.5, "other": "x", "ay": -2})", imu_spec());
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->count, 1u);
  EXPECT_EQ(one->values, (std::vector<float>{1.5f, -2.0f, 3.0f}));
  EXPECT_TRUE(one->times.empty());

  auto two = parse_mqtt_payload(R"([{"t": 1000, "ax": 1, "ay": 2, "az": 3}, {"t": 1010, "ax": 4, "ay": 5, "az": 6}])",
                                [] {
                                  MqttSpec m = imu_spec("t");
                                  m.timestamp_unit = TimestampUnit::kMilliseconds;
                                  return m;
                                }());
  ASSERT_TRUE(two.ok()) << two.status().message();
  EXPECT_EQ(two->count, 2u);
  EXPECT_EQ(two->values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(two->times.size(), 2u);
  EXPECT_DOUBLE_EQ(two->times[0], 1.0);
  EXPECT_DOUBLE_EQ(two->times[1], 1.01);
}

TEST(MqttPayload, NamesWhatIsWrong) {
  struct Case {
    const char* payload;
    const char* timestamp;
    const char* error;
  };
  const Case cases[] = {
      {"hello", "", "the payload is not JSON"},
      {"", "", "the payload is not JSON"},
      {"{\"ax\": 1, \"ay\": 2", "", "the payload is not JSON"},
      {"42", "", "the payload is a number, not a JSON object or an array of objects"},
      {"[]", "", "the payload is an empty array"},
      {R"({"ax": 1, "ay": 2})", "", "field \"az\" is missing"},
      {R"({"ax": 1, "ay": "2", "az": 3})", "", "field \"ay\" is a string, not a number"},
      {R"({"ax": 1, "ay": null, "az": 3})", "", "field \"ay\" is null, not a number"},
      {R"({"ax": 1, "ay": 2, "az": 1e300})", "", "field \"az\" is out of the float range"},
      {R"([{"ax": 1, "ay": 2, "az": 3}, 7])", "", "sample 1: expected a JSON object, got a number"},
      {R"({"ax": 1, "ay": 2, "az": 3})", "t", "timestamp field \"t\" is missing"},
      {R"({"ax": 1, "ay": 2, "az": 3, "t": "now"})", "t", "timestamp field \"t\" is a string, not a number"},
  };
  for (const auto& c : cases) {
    auto r = parse_mqtt_payload(c.payload, imu_spec(c.timestamp));
    ASSERT_FALSE(r.ok()) << c.payload;
    EXPECT_EQ(r.status().message(), c.error) << c.payload;
  }
}

SensorSpec mqtt_sensor(int port, std::string timestamp = "t") {
  SensorSpec s;
  s.driver = DriverKind::kMqtt;
  s.mqtt = imu_spec(std::move(timestamp));
  s.mqtt.port = port;
  s.reconnect.initial_delay = 0.1;
  s.reconnect.max_delay = 0.4;
  s.reconnect.timeout = 2;
  return s;
}

class MqttDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_program("mosquitto") || !testing::have_program("mosquitto_pub")) {
      GTEST_SKIP() << "mosquitto and mosquitto_pub are not installed (Debian packages mosquitto, mosquitto-clients; "
                      "scripts/setup installs them)";
    }
  }
};

TEST_F(MqttDriverTest, ReceivesTimestampedSamplesAsASeries) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  MqttDriver d("imu", mqtt_sensor(broker.port()));
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.info().modality, Modality::kSeries);
  EXPECT_EQ(d.info().channels, 3);
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; })) << d.reason();

  ASSERT_TRUE(broker.publish(
      "imu/1", {R"({"t": 100.00, "ax": 0.5, "ay": -1, "az": 9.81})",
                R"([{"t": 100.02, "ax": 1, "ay": 2, "az": 3}, {"t": 100.04, "ax": 4, "ay": 5, "az": 6}])"}));
  ASSERT_TRUE(sink.wait_for_frames(2, std::chrono::seconds(10)));
  auto frames = sink.frames();
  ASSERT_TRUE(frames[0]->is_series());
  const SeriesChunk& a = frames[0]->series();
  const SeriesChunk& b = frames[1]->series();
  EXPECT_EQ(a.channels, 3);
  EXPECT_EQ(a.values, (std::vector<float>{0.5f, -1.0f, 9.81f}));
  ASSERT_EQ(b.samples(), 2);
  EXPECT_EQ(b.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // The first timestamp is mapped to its arrival; later ones keep their spacing exactly.
  EXPECT_EQ(b.t_ns[0] - a.t_ns[0], 20'000'000);
  EXPECT_EQ(b.t_ns[1] - b.t_ns[0], 20'000'000);
  EXPECT_EQ(frames[1]->media_ns, b.t_ns[0]);
  EXPECT_EQ(frames[1]->duration_ns, 20'000'000);
  EXPECT_FALSE(frames[0]->discontinuity);
  // The broker and the message's topic; consecutive messages on one topic share one string.
  ASSERT_NE(frames[0]->source, nullptr);
  EXPECT_EQ(*frames[0]->source, fmt::format("mqtt://127.0.0.1:{}/imu/1", broker.port()));
  EXPECT_EQ(frames[1]->source.get(), frames[0]->source.get());
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(sink.eos_calls(), 1);
}

// A subscription with a wildcard: each frame names the topic its message came on.
TEST_F(MqttDriverTest, EachFrameNamesTheTopicOfItsMessage) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  SensorSpec s = mqtt_sensor(broker.port());
  s.mqtt.topic = "imu/#";
  MqttDriver d("imu", s);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; })) << d.reason();
  ASSERT_TRUE(broker.publish("imu/left", {R"({"t": 1.0, "ax": 1, "ay": 2, "az": 3})"}));
  ASSERT_TRUE(sink.wait_for_frames(1, std::chrono::seconds(10)));
  ASSERT_TRUE(broker.publish("imu/right", {R"({"t": 1.1, "ax": 1, "ay": 2, "az": 3})"}));
  ASSERT_TRUE(sink.wait_for_frames(2, std::chrono::seconds(10)));
  d.stop();
  auto frames = sink.frames();
  ASSERT_NE(frames[0]->source, nullptr);
  ASSERT_NE(frames[1]->source, nullptr);
  EXPECT_EQ(*frames[0]->source, fmt::format("mqtt://127.0.0.1:{}/imu/left", broker.port()));
  EXPECT_EQ(*frames[1]->source, fmt::format("mqtt://127.0.0.1:{}/imu/right", broker.port()));
}

TEST_F(MqttDriverTest, BadMessagesAreCountedAndTheStreamGoesOn) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  ManualEnv env;  // the second of degradation runs on this clock
  MqttDriver d("imu", mqtt_sensor(broker.port()), &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; })) << d.reason();

  ASSERT_TRUE(
      broker.publish("imu/1", {"garbage \x01\x02", R"({"t": 1, "ax": 1, "ay": 2})",
                               R"({"t": 1, "ax": 1, "ay": 2, "az": 3})", R"({"t": 0.5, "ax": 1, "ay": 2, "az": 3})"}));
  ASSERT_TRUE(eventually([&] { return d.stats().errors >= 3; })) << d.stats().errors;
  EXPECT_EQ(d.stats().errors, 3u);  // not JSON, az missing, time going backwards
  EXPECT_EQ(d.state(), SensorState::kDegraded);
  EXPECT_NE(d.reason().find("imu/1"), std::string::npos) << d.reason();
  EXPECT_EQ(sink.frames().size(), 1u);

  // Good data keeps flowing on the same connection, and the sensor recovers after a second.
  ASSERT_TRUE(broker.publish("imu/1", {R"({"t": 2, "ax": 7, "ay": 8, "az": 9})"}));
  ASSERT_TRUE(sink.wait_for_frames(2, std::chrono::seconds(10)));
  EXPECT_EQ(sink.frames()[1]->series().values, (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(d.stats().reconnects, 0u);
  EXPECT_EQ(d.state(), SensorState::kDegraded) << "no time has passed since the bad messages";
  env.advance(std::chrono::milliseconds(1001));
  ASSERT_TRUE(broker.publish("imu/1", {R"({"t": 3, "ax": 7, "ay": 8, "az": 9})"}));
  EXPECT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; }, std::chrono::seconds(5))) << d.reason();
  d.stop();  // before the sink it reports to goes out of scope
}

TEST_F(MqttDriverTest, ArraysWithoutTimestampsNeedARate) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  SensorSpec spec = mqtt_sensor(broker.port(), "");
  MqttDriver d("imu", spec);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; })) << d.reason();
  ASSERT_TRUE(broker.publish("imu/1", {R"([{"ax": 1, "ay": 2, "az": 3}, {"ax": 1, "ay": 2, "az": 3}])",
                                       R"({"ax": 1, "ay": 2, "az": 3})"}));
  ASSERT_TRUE(sink.wait_for_frames(1, std::chrono::seconds(10)));
  EXPECT_TRUE(eventually([&] { return d.stats().errors == 1; }));
  EXPECT_NE(d.reason().find("needs spec.mqtt.timestamp or spec.series.rate"), std::string::npos) << d.reason();
  d.stop();

  spec.series.rate = 100;
  MqttDriver r("imu", spec);
  ASSERT_TRUE(r.open().ok());
  RecordingSink sink2;
  ASSERT_TRUE(r.start(&sink2).ok());
  ASSERT_TRUE(eventually([&] { return r.state() == SensorState::kRunning; })) << r.reason();
  ASSERT_TRUE(broker.publish("imu/1", {R"([{"ax": 1, "ay": 2, "az": 3}, {"ax": 4, "ay": 5, "az": 6}])"}));
  ASSERT_TRUE(sink2.wait_for_frames(1, std::chrono::seconds(10)));
  const SeriesChunk& c = sink2.frames()[0]->series();
  ASSERT_EQ(c.samples(), 2);
  EXPECT_EQ(c.t_ns[1] - c.t_ns[0], 10'000'000);  // 1 / series.rate apart, ending on arrival
  r.stop();                                      // before the sink it reports to goes out of scope
}

TEST_F(MqttDriverTest, ABrokerThatVanishesIsReconnectedAndConsumersSeeTheGap) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  MqttDriver d("imu", mqtt_sensor(broker.port()));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; })) << d.reason();
  ASSERT_TRUE(broker.publish("imu/1", {R"({"t": 1, "ax": 1, "ay": 1, "az": 1})"}));
  ASSERT_TRUE(sink.wait_for_frames(1, std::chrono::seconds(10)));

  broker.kill();
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kReconnecting; })) << sensor_state_name(d.state());
  const std::string where = fmt::format("mqtt://127.0.0.1:{}/imu/1", broker.port());
  EXPECT_NE(d.reason().find(where), std::string::npos) << d.reason();
  EXPECT_GE(d.stats().reconnects, 1u);

  ASSERT_TRUE(broker.start()) << broker.log();
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; }, std::chrono::seconds(10))) << d.reason();
  ASSERT_TRUE(
      broker.publish("imu/1", {R"({"t": 5, "ax": 2, "ay": 2, "az": 2})", R"({"t": 6, "ax": 3, "ay": 3, "az": 3})"}));
  ASSERT_TRUE(sink.wait_for_frames(3, std::chrono::seconds(10)));
  auto frames = sink.frames();
  EXPECT_TRUE(frames[1]->discontinuity);
  EXPECT_FALSE(frames[2]->discontinuity);
  EXPECT_EQ(frames[1]->series().values, (std::vector<float>{2, 2, 2}));
  EXPECT_GT(frames[1]->media_ns, frames[0]->media_ns);
  d.stop();
  EXPECT_EQ(sink.eos_calls(), 1);
}

TEST_F(MqttDriverTest, ABrokerThatNeverAnswersFailsAfterMaxAttempts) {
  const int port = testing::free_tcp_port();
  SensorSpec spec = mqtt_sensor(port);
  spec.reconnect.max_attempts = 2;
  MqttDriver d("imu", spec);
  ASSERT_TRUE(d.open().ok());  // nothing is contacted before start()
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end(std::chrono::seconds(10)));
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_NE(d.reason().find(fmt::format("mqtt://127.0.0.1:{}/imu/1", port)), std::string::npos) << d.reason();
  EXPECT_NE(d.reason().find("after 2 failed attempts"), std::string::npos) << d.reason();
  EXPECT_EQ(d.stats().reconnects, 2u);
  EXPECT_FALSE(sink.eos_status().ok());
}

TEST(MqttDriver, RefusesAnInvalidSubscriptionAtOpen) {
  SensorSpec spec = mqtt_sensor(1883);
  spec.mqtt.topic = "imu/#/x";
  MqttDriver d("imu", spec);
  Status s = d.open();
  EXPECT_EQ(s.message(), "spec.mqtt.topic: \"imu/#/x\" is not a valid MQTT subscription");
  EXPECT_EQ(d.state(), SensorState::kFailed);
}

}  // namespace
}  // namespace sensix
