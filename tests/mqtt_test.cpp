// The mqtt driver in the real runtime, with a real mosquitto broker and the real mosquitto_pub
// client on loopback, and a real model: Silero VAD takes its 16 kHz input through a `series` input,
// so a recording published as timestamped JSON samples goes through the series path (resampling
// onto the model's grid, windows with prefill, the tensor) into the engine. Speech published this
// way is detected as speech and silence is not; a broker that vanishes mid-run puts the sensor in
// `reconnecting` and never stops the other sensor's pipeline.
#include <sndfile.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "e2e_support.h"
#include "runtime/runtime.h"
#include "support/mqtt_broker.h"
#include "support/wait.h"

namespace sensix::testing {
namespace {

std::vector<float> read_mono(const std::string& path, int* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {};
  std::vector<float> all(static_cast<size_t>(info.frames * info.channels));
  sf_readf_float(f, all.data(), info.frames);
  sf_close(f);
  std::vector<float> mono(static_cast<size_t>(info.frames));
  for (sf_count_t i = 0; i < info.frames; ++i)
    mono[static_cast<size_t>(i)] = all[static_cast<size_t>(i * info.channels)];
  *rate = info.samplerate;
  return mono;
}

// One message per `per_message` samples: a JSON array of {"t": seconds, "v": value}.
std::vector<std::string> as_messages(const std::vector<float>& samples, int rate, size_t per_message) {
  std::vector<std::string> out;
  for (size_t i = 0; i < samples.size(); i += per_message) {
    std::string m = "[";
    for (size_t k = i; k < std::min(samples.size(), i + per_message); ++k) {
      if (k > i) m += ",";
      m += fmt::format("{{\"t\":{:.9f},\"v\":{:.6f}}}", static_cast<double>(k) / rate, samples[k]);
    }
    out.push_back(m + "]");
  }
  return out;
}

SensorDoc mqtt_sensor_doc(const std::string& name, int port) {
  SensorDoc d;
  d.metadata.name = name;
  d.spec.driver = DriverKind::kMqtt;
  d.spec.mqtt.port = port;
  d.spec.mqtt.topic = "audio/level";
  d.spec.mqtt.fields = {"v"};
  d.spec.mqtt.timestamp = "t";
  d.spec.reconnect.initial_delay = 0.1;
  d.spec.reconnect.max_delay = 0.5;
  d.spec.buffer.capacity = 1024;  // a burst of messages must not be dropped in this test
  d.spec.buffer.overflow = Overflow::kDropOldest;
  return d;
}

// The quickstart's Silero VAD, fed by the MQTT sensor `level` through a series input, and (when
// `with_file` is set) the quickstart's file sensor `speech` feeding the original VAD too.
Result<DocumentSet> vad_over_mqtt(int port, bool with_file) {
  auto docs = load_quickstart();
  if (!docs.ok()) return docs.status();
  DocumentSet set;
  ModelDoc vad;
  for (const auto& m : docs->models) {
    if (m.metadata.name == "silero-vad") vad = m;
  }
  ModelDoc series_vad = vad;
  series_vad.metadata.name = "silero-vad-mqtt";
  for (auto& in : series_vad.spec.inputs) {
    if (!std::holds_alternative<AudioInputSpec>(in.source)) continue;
    const auto& a = std::get<AudioInputSpec>(in.source);
    SeriesInputSpec s;
    s.rate = a.sample_rate;
    s.window = a.window;
    s.max_gap = 0.5;
    in.source = s;
  }
  set.models.push_back(series_vad);
  set.sensors.push_back(mqtt_sensor_doc("level", port));
  PipelineDoc p;
  p.metadata.name = "mqtt-vad";
  p.spec.steps.push_back(StepSpec{"silero-vad-mqtt", StepSource{"level", "", "", std::nullopt}});
  set.pipelines.push_back(p);
  if (with_file) {
    DocumentSet voice = only_pipelines(*docs, {"voice"});
    set.models.push_back(vad);
    for (auto& s : voice.sensors) {
      if (s.metadata.name == "speech") set.sensors.push_back(s);
    }
    PipelineDoc fp;
    fp.metadata.name = "file-vad";
    fp.spec.steps.push_back(StepSpec{"silero-vad", StepSource{"speech", "", "", std::nullopt}});
    set.pipelines.push_back(fp);
  }
  return set;
}

const ModelRuntimeStats* model_stats(const RuntimeStats& s, const std::string& name) {
  for (const auto& m : s.models) {
    if (m.model.name == name) return &m;
  }
  return nullptr;
}

class MqttRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_mosquitto())
      GTEST_SKIP() << "mosquitto and mosquitto_pub are not installed (scripts/setup installs them)";
    if (sample_path("speech/hey_jarvis.wav").empty()) GTEST_SKIP() << "samples missing: run scripts/setup";
  }
};

// Publishes `wav` over MQTT into a running VAD and returns the VAD's predictions and stats.
RunResult publish_and_collect(const std::string& wav) {
  RunResult out;
  Broker broker;
  EXPECT_TRUE(broker.start()) << broker.log();
  auto docs = vad_over_mqtt(broker.port(), false);
  EXPECT_TRUE(docs.ok()) << docs.status();
  if (!docs.ok()) return out;
  auto rt = Runtime::create(*docs, RuntimeOptions{});
  EXPECT_TRUE(rt.ok()) << rt.status();
  if (!rt.ok()) return out;
  auto sink = std::make_shared<CollectingSink>();
  (*rt)->add_sink(sink);
  EXPECT_TRUE((*rt)->start().ok());
  EXPECT_TRUE(eventually([&] { return (*rt)->stats().sensors.at(0).state == SensorState::kRunning; }))
      << (*rt)->stats().sensors.at(0).reason;

  int rate = 0;
  std::vector<float> samples = read_mono(sample_path(wav), &rate);
  EXPECT_EQ(rate, 16000) << wav;
  EXPECT_TRUE(broker.publish("audio/level", as_messages(samples, rate, 160)));
  // Every full hop of 512 samples (after the prefilled first window) gives one VAD run.
  const uint64_t want = samples.size() / 512;
  EXPECT_TRUE(eventually(
      [&] {
        const RuntimeStats now = (*rt)->stats();  // model_stats() points into it
        const auto* m = model_stats(now, "silero-vad-mqtt");
        return m && m->model.runs >= want;
      },
      std::chrono::seconds(30)));
  (*rt)->stop();
  out.stats = (*rt)->stats();
  out.predictions = sink->all();
  return out;
}

TEST_F(MqttRuntime, SpeechPublishedAsASeriesIsDetectedBySileroVad) {
  RunResult speech = publish_and_collect("speech/hey_jarvis.wav");
  const auto* m = model_stats(speech.stats, "silero-vad-mqtt");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->model.errors, 0u);
  EXPECT_EQ(speech.stats.sensors.at(0).errors, 0u);
  EXPECT_EQ(speech.stats.sensors.at(0).dropped, 0u);
  EXPECT_EQ(speech.models_with_label("speech"), (std::vector<std::string>{"silero-vad-mqtt"}));

  RunResult silence = publish_and_collect("speech/silence.wav");
  EXPECT_TRUE(silence.models_with_label("speech").empty());
  const auto* s = model_stats(silence.stats, "silero-vad-mqtt");
  ASSERT_NE(s, nullptr);
  EXPECT_GT(s->model.runs, 0u);
}

TEST_F(MqttRuntime, ABrokerThatVanishesNeverStopsTheOtherSensor) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  auto docs = vad_over_mqtt(broker.port(), true);
  ASSERT_TRUE(docs.ok()) << docs.status();
  RuntimeOptions options;
  options.speed = 4.0;  // the file sensor; the mqtt sensor keeps its own clock
  auto rt = Runtime::create(*docs, options);
  ASSERT_TRUE(rt.ok()) << rt.status();
  auto sink = std::make_shared<CollectingSink>();
  (*rt)->add_sink(sink);
  ASSERT_TRUE((*rt)->start().ok());
  auto sensor = [&](const std::string& name) {
    for (const auto& s : (*rt)->stats().sensors) {
      if (s.name == name) return s;
    }
    return SensorStatsSnapshot{};
  };
  ASSERT_TRUE(eventually([&] { return sensor("level").state == SensorState::kRunning; })) << sensor("level").reason;
  broker.kill();
  ASSERT_TRUE(eventually([&] { return sensor("level").state == SensorState::kReconnecting; }))
      << sensor_state_name(sensor("level").state);
  EXPECT_NE(sensor("level").reason.find(fmt::format("mqtt://127.0.0.1:{}/audio/level", broker.port())),
            std::string::npos)
      << sensor("level").reason;

  // The file sensor plays to its end and its VAD hears the speech in it while the broker is gone.
  ASSERT_TRUE(eventually([&] { return sensor("speech").state == SensorState::kStopped; }, std::chrono::seconds(60)));
  const RuntimeStats after = (*rt)->stats();  // file_vad points into it
  const auto* file_vad = model_stats(after, "silero-vad");
  ASSERT_NE(file_vad, nullptr);
  EXPECT_GT(file_vad->model.runs, 100u);
  EXPECT_EQ(file_vad->model.errors, 0u);
  EXPECT_GE(sensor("level").reconnects, 1u);
  EXPECT_EQ(sensor("level").state, SensorState::kReconnecting);
  (*rt)->stop();
  EXPECT_EQ(sensor("level").state, SensorState::kStopped);
}

}  // namespace
}  // namespace sensix::testing
