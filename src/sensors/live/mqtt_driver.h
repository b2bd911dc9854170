// MqttDriver: numeric time series (an IMU's accelerometer and gyroscope, a thermometer) received
// as JSON on an MQTT topic, through libmosquitto.
//
// Each message is one sample, a JSON object, or several, an array of objects. spec.mqtt.fields
// names the numeric fields that become the channels, in order; other fields are ignored. With
// spec.mqtt.timestamp the named field is the sample's time (seconds, or milliseconds with
// timestampUnit: ms; any origin: the first one received is mapped to the media time at which it
// arrived, later ones keep their spacing); without it a sample is stamped with its arrival time,
// and the samples of an array are spaced 1/series.rate apart, ending at the arrival time (an
// array needs either a timestamp or series.rate). Each message becomes one frame holding a
// SeriesChunk; the transform planner resamples the series to each model's rate.
//
// Bad messages (not JSON, not an object or array of objects, a field missing or not a number, a
// timestamp that does not move forward) are dropped, counted in stats().errors, logged once per
// distinct reason, and leave the sensor kDegraded for a second; the connection stays up. A broker
// that cannot be reached or goes away is retried with back-off (LiveDriver).
//
// Frame::source is "mqtt://<host>:<port>/<topic>" with the topic the message was published on (a
// subscription with wildcards names each message's own topic); made once per distinct topic in a
// row, not per message.
//
// Thread-safety: as SensorDriver.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sensors/live/live_driver.h"

struct mosquitto;
struct mosquitto_message;

namespace sensix {

// The samples of one payload: `values` holds fields.size() values per sample, `times` the
// timestamp field's value of each sample in seconds (empty when spec.timestamp is empty).
struct MqttSamples {
  std::vector<float> values;
  std::vector<double> times;
  size_t count = 0;
};
// Parses one payload as MqttDriver does; the error says what is wrong (no payload text in it).
Result<MqttSamples> parse_mqtt_payload(std::string_view payload, const MqttSpec& spec);

class MqttDriver final : public LiveDriver {
 public:
  MqttDriver(std::string name, SensorSpec spec, Env* env = Env::Default());
  ~MqttDriver() override;

 protected:
  Status describe(SensorInfo* info) override;
  Status connect() override;
  Result<Read> read(Unit* out) override;
  void disconnect() override;
  std::string source_label() const override;
  std::string frame_source_text() const override { return source_label(); }  // units name their topic
  bool silence_is_loss() const override { return false; }                    // keep-alive detects a lost broker

 private:
  static void on_connect(struct mosquitto* m, void* self, int rc);
  static void on_subscribe(struct mosquitto* m, void* self, int mid, int qos_count, const int* granted);
  static void on_message(struct mosquitto* m, void* self, const struct mosquitto_message* msg);
  void handle_message(std::string_view topic, std::string_view payload);
  // Runs the network loop for up to `ms`; an error means the connection is gone.
  Status pump(int ms);

  struct mosquitto* mosq_ = nullptr;
  std::optional<int> connack_;  // CONNACK return code, once received
  int subscribe_mid_ = -1;
  std::optional<int> granted_qos_;
  struct Pending {
    SeriesChunk chunk;
    FrameSource source;
  };
  std::deque<Pending> pending_;  // parsed messages not yet returned by read()
  std::string last_topic_;       // the topic of the last message kept, and its source
  FrameSource last_source_;
  // Time mapping (kept across reconnections so that media time stays monotonic).
  bool have_origin_ = false;
  double ts_origin_s_ = 0;       // first timestamp received
  int64_t media_origin_ns_ = 0;  // the media time it was mapped to
  int64_t last_t_ns_ = -1;       // last sample time published
};

}  // namespace sensix
