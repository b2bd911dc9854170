// Tests of sensor_reader.h: Sensor documents of every driver (file, synthetic, live), their
// defaults, and every refusal with the exact message a user sees.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

using ::testing::HasSubstr;

TEST(SensorReaderTest, SyntheticSensorsParse) {
  auto r = parse_document_text(replace(kSynth, "frequency: 1000}", "frequency: 440, amplitude: 0.25, duration: 10}") +
                                   "  replay: {speed: max}\n",
                               "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const SensorSpec& a = r->sensors.at(0).spec;
  EXPECT_EQ(a.driver, DriverKind::kSynthetic);
  EXPECT_EQ(a.path, "");
  EXPECT_EQ(a.synthetic.signal, SyntheticSignal::kSine);
  EXPECT_DOUBLE_EQ(a.synthetic.frequency, 440.0);
  EXPECT_DOUBLE_EQ(a.synthetic.amplitude, 0.25);
  EXPECT_EQ(a.synthetic.seed, 1u);
  EXPECT_DOUBLE_EQ(a.synthetic.duration, 10.0);
  EXPECT_EQ(a.audio.sample_rate, 16000);
  EXPECT_EQ(a.audio.channels, 1);
  EXPECT_EQ(a.audio.frame_ms, 20);
  EXPECT_DOUBLE_EQ(a.replay.speed, 0.0);
  EXPECT_EQ(modality_of(a), Modality::kAudio);

  auto noise = parse_document_text(replace(kSynth, "{signal: sine, frequency: 1000}", "{signal: white-noise, seed: 9}"),
                                   "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(noise.ok()) << noise.status();
  EXPECT_EQ(noise->sensors.at(0).spec.synthetic.signal, SyntheticSignal::kWhiteNoise);
  EXPECT_EQ(noise->sensors.at(0).spec.synthetic.seed, 9u);
  EXPECT_DOUBLE_EQ(noise->sensors.at(0).spec.synthetic.amplitude, 0.5);  // the default
  EXPECT_DOUBLE_EQ(noise->sensors.at(0).spec.synthetic.duration, 0.0);   // endless

  auto v = parse_document_text(kSynthVideo, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(v.ok()) << v.status();
  const SensorSpec& b = v->sensors.at(0).spec;
  EXPECT_EQ(b.synthetic.signal, SyntheticSignal::kBars);
  EXPECT_EQ(b.video.width, 320);
  EXPECT_EQ(b.video.height, 240);
  EXPECT_DOUBLE_EQ(b.video.fps, 10.0);
  EXPECT_EQ(modality_of(b), Modality::kImage);

  // A synthetic audio sensor feeds an audio model like a file does.
  EXPECT_EQ(errors_of(set_of(kSynth, kModel, kHead, kPipeline)), "");
}

TEST(SensorReaderTest, LiveSensorsParse) {
  auto m = parse_document_text(replace(kMqtt, "timestamp: t}", "timestamp: t, timestampUnit: ms, port: 1884, qos: 1}") +
                                   "  series: {rate: 100}\n  reconnect: {initialDelay: 0.2, maxDelay: 3, maxAttempts: "
                                   "5, "
                                   "timeout: 2}\n",
                               "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(m.ok()) << m.status();
  const SensorSpec& a = m->sensors.at(0).spec;
  EXPECT_EQ(a.driver, DriverKind::kMqtt);
  EXPECT_TRUE(is_live(a.driver));
  EXPECT_EQ(a.mqtt.host, "127.0.0.1");
  EXPECT_EQ(a.mqtt.port, 1884);
  EXPECT_EQ(a.mqtt.qos, 1);
  EXPECT_EQ(a.mqtt.topic, "imu/1");
  EXPECT_EQ(a.mqtt.fields, (std::vector<std::string>{"ax", "ay", "az"}));
  EXPECT_EQ(a.mqtt.timestamp, "t");
  EXPECT_EQ(a.mqtt.timestamp_unit, TimestampUnit::kMilliseconds);
  EXPECT_DOUBLE_EQ(a.series.rate, 100.0);
  EXPECT_DOUBLE_EQ(a.reconnect.initial_delay, 0.2);
  EXPECT_DOUBLE_EQ(a.reconnect.max_delay, 3.0);
  EXPECT_EQ(a.reconnect.max_attempts, 5);
  EXPECT_DOUBLE_EQ(a.reconnect.timeout, 2.0);
  EXPECT_EQ(a.buffer.overflow, Overflow::kDropOldest);  // a live source never blocks
  EXPECT_EQ(modality_of(a), Modality::kSeries);

  auto c = parse_document_text(kCamera + "  video: {fps: 5}\n", "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sensors.at(0).spec.url, "rtsp://127.0.0.1:8554/cam");
  EXPECT_EQ(modality_of(c->sensors.at(0).spec), Modality::kImage);
  EXPECT_DOUBLE_EQ(c->sensors.at(0).spec.reconnect.initial_delay, 0.5);  // defaults
  EXPECT_DOUBLE_EQ(c->sensors.at(0).spec.reconnect.max_delay, 10.0);

  auto mic = parse_document_text(replace(kCamera, "network-camera\n  url: rtsp://127.0.0.1:8554/cam", "microphone"),
                                 "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(mic.ok()) << mic.status();
  EXPECT_EQ(mic->sensors.at(0).spec.audio.sample_rate, 16000);  // the capture format asked of PulseAudio by default
  EXPECT_EQ(mic->sensors.at(0).spec.audio.channels, 1);
  EXPECT_EQ(mic->sensors.at(0).spec.device, "");

  EXPECT_FALSE(c->sensors.at(0).spec.allow_degraded);  // the default
  auto allowed = parse_document_text(kCamera + "  allowDegraded: true\n", "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_TRUE(allowed->sensors.at(0).spec.allow_degraded);
}

class SensorReaderInvalidTest : public InvalidDocumentTest {};

TEST_P(SensorReaderInvalidTest, ReportsTheFieldAndWhatWasExpected) { expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Table, SensorReaderInvalidTest,
    ::testing::Values(
        Case{"FrameMsRange", kSensor + "  audio: {frameMs: 0}\n",
             S + "spec.audio.frameMs: expected an integer from 1 to 1000, got 0 (line 7)"},
        Case{"ReplaySpeed", kSensor + "  replay: {speed: fast}\n",
             S + "spec.replay.speed: expected a number >= 0 or \"max\", got \"fast\" (line 7)"},
        Case{"LoopNotBool", kSensor + "  replay: {loop: yes}\n",
             S + "spec.replay.loop: expected true or false, got \"yes\" (line 7)"},
        Case{"UnknownFieldNoSuggestion", kSensor + "  colour: red\n",
             S + "spec.colour: unknown field (expected one of: driver, path, url, device, server, synthetic, mqtt, "
                 "series, "
                 "replay, reconnect, audio, video, buffer, allowDegraded) (line 7)"},
        Case{"AllowDegradedNotBool", kSensor + "  allowDegraded: sometimes\n",
             S + "spec.allowDegraded: expected true or false, got \"sometimes\" (line 7)"},
        Case{"BadDriver", replace(kSensor, "audio-file", "webcam"),
             S + "spec.driver: expected one of audio-file, video-file, image-folder, synthetic, mqtt, network-camera, "
                 "v4l2-camera, microphone, got \"webcam\" (line 5)"},
        Case{"AudioSettingsOnVideoDriver", replace(kSensor, "audio-file", "image-folder") + "  audio: {channels: 1}\n",
             S + "spec.audio: audio settings are only allowed with driver audio-file (this driver is image-folder) "
                 "(line 7)"},
        Case{"SyntheticSineWithoutFrequency", replace(kSynth, "{signal: sine, frequency: 1000}", "{signal: sine}"),
             S + "spec.synthetic.frequency: required for signal sine (line 6)"},
        Case{"SyntheticAmplitudeTwo", replace(kSynth, "frequency: 1000}", "frequency: 1000, amplitude: 2}"),
             S + "spec.synthetic.amplitude: expected a number from 0 to 1, got 2 (line 6)"},
        Case{"SyntheticWithPath", kSynth + "  path: samples:a.wav\n",
             S + "spec.path: the synthetic driver generates its signal and reads no file; remove path (line 8)"},
        Case{"SyntheticAudioWithoutSampleRate", replace(kSynth, "sampleRate: 16000, ", ""),
             S + "spec.audio.sampleRate: required field is missing (line 7)"},
        Case{"SyntheticAudioWithoutAudio", replace(kSynth, "  audio: {sampleRate: 16000, channels: 1}\n", ""),
             S + "spec.audio: required field is missing (line 4)"},
        Case{"SyntheticVideoWithoutWidth", replace(kSynthVideo, "width: 320, ", ""),
             S + "spec.video.width: required field is missing (line 7)"},
        Case{"SyntheticWithoutSection", replace(kSynth, "  synthetic: {signal: sine, frequency: 1000}\n", ""),
             S + "spec.synthetic: required field is missing (line 4)"},
        Case{"SyntheticSectionWithFileDriver", kSensor + "  synthetic: {signal: sine, frequency: 440}\n",
             S + "spec.synthetic: synthetic settings are only allowed with driver synthetic (this driver is "
                 "audio-file) (line 7)"},
        Case{"SyntheticUnknownSignal", replace(kSynth, "signal: sine,", "signal: sin,"),
             S + "spec.synthetic.signal: expected one of sine, square, white-noise, silence, bars, checkerboard, "
                 "moving-box, noise, got \"sin\"; did you mean \"sine\"? (line 6)"},
        Case{"SyntheticFrequencyAboveNyquist", replace(kSynth, "frequency: 1000", "frequency: 8000"),
             S + "spec.synthetic.frequency: expected a frequency above 0 and below 8000 Hz (half the sample rate), got "
                 "8000 (line 6)"},
        Case{"SyntheticFrequencyForNoise", replace(kSynth, "signal: sine", "signal: white-noise"),
             S + "spec.synthetic.frequency: applies to signals sine and square, not white-noise (line 6)"},
        Case{"SyntheticSeedForSine", replace(kSynth, "frequency: 1000}", "frequency: 1000, seed: 3}"),
             S + "spec.synthetic.seed: applies to signals white-noise and noise, not sine (line 6)"},
        Case{"SyntheticAmplitudeForBars", replace(kSynthVideo, "{signal: bars}", "{signal: bars, amplitude: 1}"),
             S + "spec.synthetic.amplitude: applies to signals sine, square and white-noise, not bars (line 6)"},
        Case{"SyntheticNegativeDuration", replace(kSynth, "frequency: 1000}", "frequency: 1000, duration: -1}"),
             S + "spec.synthetic.duration: expected a number >= 0, got -1 (line 6)"},
        Case{"SyntheticVideoSignalWithAudio",
             replace(kSynthVideo, "video: {width: 320, height: 240, fps: 10}",
                     "audio: {sampleRate: 16000, channels: 1}"),
             S + "spec.audio: signal bars gives images; give video settings, not audio (line 7)"},
        Case{"SyntheticAudioSignalWithVideo", kSynth + "  video: {fps: 10}\n",
             S + "spec.video: signal sine gives audio; give audio settings, not video (line 8)"},
        Case{"MqttWithoutFields", kMqtt.substr(0, kMqtt.find("  mqtt:")) + "  mqtt: {topic: imu/1}\n",
             S + "spec.mqtt.fields: required field is missing (line 6)"},
        Case{"MqttFieldTwice", replace(kMqtt, "[ax, ay, az]", "[ax, ay, ax]"),
             S + "spec.mqtt.fields: \"ax\" is listed twice (fields 0 and 2) (line 6)"},
        Case{"MqttTimestampAlsoAField", replace(kMqtt, "timestamp: t", "timestamp: ax"),
             S + "spec.mqtt.timestamp: \"ax\" is also listed in fields; the timestamp is not a channel (line 6)"},
        Case{"MqttBadQos", replace(kMqtt, "topic: imu/1,", "topic: imu/1, qos: 3,"),
             S + "spec.mqtt.qos: expected an integer from 0 to 2, got 3 (line 6)"},
        Case{"MqttWithReplay", kMqtt + "  replay: {speed: 2}\n",
             S + "spec.replay: the mqtt driver reads a live source; replay applies to file and synthetic drivers (line "
                 "7)"},
        Case{"MqttWithBlock", kMqtt + "  buffer: {overflow: block}\n",
             S + "spec.buffer.overflow: block is only allowed for file and synthetic drivers; the mqtt driver reads a "
                 "live source and drops the oldest frame when the buffer is full (line 7)"},
        Case{"MqttWithPath", kMqtt + "  path: samples:a.wav\n",
             S + "spec.path: the mqtt driver receives its readings from a broker and reads no file; remove path (line "
                 "7)"},
        Case{"ReconnectOnFileDriver", kSensor + "  reconnect: {initialDelay: 1}\n",
             S + "spec.reconnect: reconnect applies to live drivers (mqtt, network-camera, v4l2-camera, microphone); "
                 "this driver is audio-file (line 7)"},
        Case{"ReconnectMaxBelowInitial", kMqtt + "  reconnect: {initialDelay: 2, maxDelay: 1}\n",
             S + "spec.reconnect.maxDelay: maxDelay (1 s) is shorter than initialDelay (2 s) (line 7)"},
        Case{"CameraWithoutUrl", replace(kCamera, "  url: rtsp://127.0.0.1:8554/cam\n", ""),
             S + "spec.url: required field is missing (line 4)"},
        Case{"CameraBadUrl", replace(kCamera, "rtsp://127.0.0.1:8554/cam", "ftp://cam"),
             S + "spec.url: expected a stream URL starting with rtsp://, rtsps://, http://, https://, udp://, rtp:// "
                 "or "
                 "tcp://, or an .sdp file, got \"ftp://cam\" (line 6)"},
        Case{"CameraWithPath", kCamera + "  path: samples:a.mp4\n",
             S + "spec.path: the network-camera driver reads a stream; give its address as url, not path (line 7)"},
        Case{"UrlOnFileDriver", kSensor + "  url: rtsp://x/y\n",
             S + "spec.url: url is only allowed with driver network-camera (this driver is audio-file) (line 7)"},
        Case{"V4l2WithoutDevice", replace(kCamera, "network-camera\n  url: rtsp://127.0.0.1:8554/cam", "v4l2-camera"),
             S + "spec.device: required field is missing (line 4)"},
        Case{"MicrophoneWithVideo",
             replace(kCamera, "network-camera\n  url: rtsp://127.0.0.1:8554/cam", "microphone") + "  video: {fps: 1}\n",
             S + "spec.video: video settings are only allowed with camera, video-file and image-folder drivers (this "
                 "driver is microphone) (line 6)"},
        Case{"ServerOnCamera", kCamera + "  server: unix:/tmp/pulse\n",
             S + "spec.server: server is only allowed with driver microphone (this driver is network-camera) (line 7)"},
        Case{"SyntheticUnknownField", replace(kSynth, "frequency: 1000}", "frequency: 1000, phase: 0}"),
             S + "spec.synthetic.phase: unknown field (expected one of: signal, frequency, amplitude, seed, duration) "
                 "(line 6)"},
        Case{"BadOverflow", kSensor + "  buffer: {overflow: drop}\n",
             S + "spec.buffer.overflow: expected one of drop-oldest, block, got \"drop\" (line 7)"}));

}  // namespace
}  // namespace sensix::docs_test
