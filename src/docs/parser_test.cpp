// Tests of parser.h: the quickstart example, a table of invalid documents with the exact
// messages users see, JSON input, files and directories.
#include "docs/parser.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const ParseOptions kRoots{"/repo", "/samples"};

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "test bug: \"" << from << "\" not in the base document";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

// Parses `text` as "t.yaml" and returns the error text ("" when it parsed).
std::string errors_of(const std::string& text) {
  auto r = parse_document_text(text, "t.yaml", "/docs", kRoots);
  return r.ok() ? std::string() : r.status().message();
}

// ---------------------------------------------------------------------------------------------
// Base documents (line numbers in the comments are what the messages below refer to).

const std::string kSensor =
    "apiVersion: sensix/v1\n"   // 1
    "kind: Sensor\n"            // 2
    "metadata: {name: mic}\n"   // 3
    "spec:\n"                   // 4
    "  driver: audio-file\n"    // 5
    "  path: samples:a.wav\n";  // 6

// Live sensors under the same name.
const std::string kMqtt =
    "apiVersion: sensix/v1\n"                                          // 1
    "kind: Sensor\n"                                                   // 2
    "metadata: {name: mic}\n"                                          // 3
    "spec:\n"                                                          // 4
    "  driver: mqtt\n"                                                 // 5
    "  mqtt: {topic: imu/1, fields: [ax, ay, az], timestamp: t}\n";    // 6
const std::string kCamera =
    "apiVersion: sensix/v1\n"                   // 1
    "kind: Sensor\n"                            // 2
    "metadata: {name: mic}\n"                   // 3
    "spec:\n"                                   // 4
    "  driver: network-camera\n"                // 5
    "  url: rtsp://127.0.0.1:8554/cam\n";       // 6

// A synthetic audio sensor under the same name, so that it can stand in for kSensor in kValidSet.
const std::string kSynth =
    "apiVersion: sensix/v1\n"                                   // 1
    "kind: Sensor\n"                                            // 2
    "metadata: {name: mic}\n"                                   // 3
    "spec:\n"                                                   // 4
    "  driver: synthetic\n"                                     // 5
    "  synthetic: {signal: sine, frequency: 1000}\n"            // 6
    "  audio: {sampleRate: 16000, channels: 1}\n";              // 7

// A synthetic video sensor.
const std::string kSynthVideo =
    "apiVersion: sensix/v1\n"                                   // 1
    "kind: Sensor\n"                                            // 2
    "metadata: {name: mic}\n"                                   // 3
    "spec:\n"                                                   // 4
    "  driver: synthetic\n"                                     // 5
    "  synthetic: {signal: bars}\n"                             // 6
    "  video: {width: 320, height: 240, fps: 10}\n";            // 7

const std::string kSha = std::string(64, 'a');

const std::string kModel =
    "apiVersion: sensix/v1\n"                                     // 1
    "kind: Model\n"                                               // 2
    "metadata: {name: vad}\n"                                     // 3
    "spec:\n"                                                     // 4
    "  format: onnx\n"                                            // 5
    "  source: repo:vad.onnx\n"                                   // 6
    "  sha256: " + kSha + "\n"                                    // 7
    "  version: \"5\"\n"                                          // 8
    "  inputs:\n"                                                 // 9
    "    - name: input\n"                                         // 10
    "      audio: {sampleRate: 16000, window: 512, hop: 512}\n"  // 11
    "  outputs:\n"                                                // 12
    "    - name: output\n"                                        // 13
    "  postprocess:\n"                                            // 14
    "    classify: {output: output, labels: [speech]}\n";         // 15

// A head fed by vad's output (a stream input).
const std::string kHead =
    "apiVersion: sensix/v1\n"
    "kind: Model\n"
    "metadata: {name: head}\n"
    "spec:\n"
    "  format: tflite\n"
    "  source: head.tflite\n"
    "  sha256: " + kSha + "\n"
    "  version: \"1\"\n"
    "  inputs:\n"
    "    - name: x\n"
    "      stream: {window: 16, hop: 1}\n"
    "  outputs:\n"
    "    - name: y\n";

const std::string kPipeline =
    "apiVersion: sensix/v1\n"
    "kind: Pipeline\n"
    "metadata: {name: voice}\n"
    "spec:\n"
    "  steps:\n"
    "    - {model: vad, from: {sensor: mic}}\n"
    "    - {model: head, from: {model: vad}}\n";

std::string set_of(const std::string& sensor, const std::string& model, const std::string& head,
                   const std::string& pipeline) {
  return sensor + "---\n" + model + "---\n" + head + "---\n" + pipeline;
}
const std::string kValidSet = set_of(kSensor, kModel, kHead, kPipeline);

TEST(ParserTest, BaseDocumentsAreValid) {
  EXPECT_EQ(errors_of(kSensor), "");
  EXPECT_EQ(errors_of(kModel), "");
  EXPECT_EQ(errors_of(kValidSet), "");
}

TEST(ParserTest, AudioFeaturesParseWithResolvedDefaults) {
  const std::string text = replace(
      kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
      "audio:\n"
      "        sampleRate: 16000\n"
      "        preEmphasis: 0.97\n"
      "        features: {type: mfcc, frameLength: 400, frameHop: 160, mels: 40, fMin: 20, melScale: htk,\n"
      "                   melNorm: none, log: db, logFloor: 1e-6, coefficients: 13, lifter: 22, normalize: running}\n"
      "        window: 98\n"
      "        hop: 49\n");
  auto r = parse_document_text(text, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& a = std::get<AudioInputSpec>(r->models.at(0).spec.inputs.at(0).source);
  ASSERT_TRUE(a.pre_emphasis.has_value());
  EXPECT_FLOAT_EQ(*a.pre_emphasis, 0.97f);
  ASSERT_TRUE(a.features.has_value());
  const AudioFeaturesSpec& f = *a.features;
  EXPECT_EQ(f.kind, AudioFeatureKind::kMfcc);
  EXPECT_EQ(f.fft_size, 512);  // the next power of two above frameLength
  EXPECT_DOUBLE_EQ(f.f_min, 20.0);
  EXPECT_DOUBLE_EQ(f.f_max, 8000.0);  // half the sample rate
  EXPECT_EQ(f.mel_scale, MelScale::kHtk);
  EXPECT_FALSE(f.mel_norm);
  EXPECT_EQ(f.log, LogKind::kDecibel);
  EXPECT_FLOAT_EQ(f.log_floor, 1e-6f);
  EXPECT_EQ(f.coefficients, 13);
  EXPECT_FLOAT_EQ(f.lifter, 22.0f);
  EXPECT_EQ(f.norm, FeatureNorm::kRunning);
  EXPECT_EQ(a.row_width(), 13);
  EXPECT_EQ(a.window.window, 98);  // frames, not samples

  const std::string fixed = replace(kModel, "window: 512, hop: 512",
                                    "features: {type: log-mel, mels: 2, normalize: {mean: [1, 2], std: [3, 4]}}, "
                                    "window: 10, hop: 5");
  auto r2 = parse_document_text(fixed, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r2.ok()) << r2.status();
  const auto& f2 = *std::get<AudioInputSpec>(r2->models.at(0).spec.inputs.at(0).source).features;
  EXPECT_EQ(f2.norm, FeatureNorm::kFixed);
  EXPECT_EQ(f2.norm_mean, (std::vector<float>{1, 2}));
  EXPECT_EQ(f2.norm_std, (std::vector<float>{3, 4}));
}

// ---------------------------------------------------------------------------------------------
// The quickstart example.

TEST(ParserTest, QuickstartParses) {
  const std::string path = std::string(SENSIX_SOURCE_DIR) + "/examples/quickstart.yaml";
  auto r = parse_document_files({path}, kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const DocumentSet& d = *r;
  ASSERT_EQ(d.sensors.size(), 2u);
  ASSERT_GE(d.models.size(), 6u);
  ASSERT_GE(d.pipelines.size(), 1u);

  const SensorDoc* speech = d.find_sensor("speech");
  ASSERT_NE(speech, nullptr);
  EXPECT_EQ(speech->origin.file, path);
  EXPECT_EQ(speech->origin.index, 0);
  EXPECT_EQ(speech->spec.driver, DriverKind::kAudioFile);
  EXPECT_EQ(speech->spec.path, "/samples/demo/speech.wav");
  EXPECT_EQ(speech->spec.audio.frame_ms, 20);
  EXPECT_EQ(speech->spec.audio.sample_rate, 0);  // from the file
  EXPECT_DOUBLE_EQ(speech->spec.replay.speed, 1.0);
  EXPECT_EQ(speech->spec.buffer.capacity, 16);
  EXPECT_FALSE(speech->spec.buffer.overflow.has_value());

  const ModelDoc* vad = d.find_model("silero-vad");
  ASSERT_NE(vad, nullptr);
  EXPECT_EQ(vad->metadata.labels.at("task"), "voice-activity");
  EXPECT_EQ(vad->spec.format, ModelFormat::kOnnx);
  EXPECT_EQ(vad->spec.source, "repo:silero-vad/silero_vad_v5.onnx");
  EXPECT_EQ(vad->spec.path, "/repo/silero-vad/silero_vad_v5.onnx");
  EXPECT_EQ(vad->spec.sha256, "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f");
  EXPECT_EQ(vad->spec.version, "5");
  EXPECT_EQ(vad->spec.engine, "onnxruntime");
  ASSERT_EQ(vad->spec.inputs.size(), 3u);
  const auto& audio = std::get<AudioInputSpec>(vad->spec.inputs[0].source);
  EXPECT_EQ(audio.sample_rate, 16000);
  EXPECT_EQ(audio.channels, 1);
  EXPECT_EQ(audio.window.window, 576);
  EXPECT_EQ(audio.window.hop, 512);
  EXPECT_EQ(audio.window.prefill, Prefill::kValue);
  EXPECT_EQ(audio.window.prefill_value, 0.0f);
  EXPECT_EQ(vad->spec.inputs[0].shape, (Shape{1, 576}));
  EXPECT_EQ(std::get<StateInputSpec>(vad->spec.inputs[1].source).from_output, "stateN");
  EXPECT_EQ(vad->spec.inputs[2].dtype, DType::kInt64);
  EXPECT_EQ(std::get<ConstantInputSpec>(vad->spec.inputs[2].source).values, (std::vector<double>{16000}));
  const auto& classify = std::get<ClassifySpec>(vad->spec.postprocess);
  EXPECT_EQ(classify.output, "output");
  EXPECT_EQ(classify.labels, (std::vector<std::string>{"speech"}));
  EXPECT_FLOAT_EQ(classify.threshold, 0.5f);
  ASSERT_TRUE(classify.release.has_value());
  EXPECT_FLOAT_EQ(*classify.release, 0.35f);
  EXPECT_EQ(classify.trigger, Trigger::kRising);
  EXPECT_EQ(classify.top_k, 1);

  const ModelDoc* mel = d.find_model("oww-mel");
  ASSERT_NE(mel, nullptr);
  EXPECT_FLOAT_EQ(std::get<AudioInputSpec>(mel->spec.inputs[0].source).scale, 32768.0f);
  EXPECT_FLOAT_EQ(mel->spec.outputs[0].scale, 0.1f);
  EXPECT_FLOAT_EQ(mel->spec.outputs[0].offset, 2.0f);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(mel->spec.postprocess));

  const ModelDoc* emb = d.find_model("oww-embedding");
  ASSERT_NE(emb, nullptr);
  const auto& stream = std::get<StreamInputSpec>(emb->spec.inputs[0].source);
  EXPECT_EQ(stream.window.window, 76);
  EXPECT_EQ(stream.window.hop, 8);
  EXPECT_EQ(stream.window.prefill, Prefill::kValue);
  EXPECT_FLOAT_EQ(stream.window.prefill_value, 1.0f);

  const ModelDoc* jarvis = d.find_model("hey-jarvis");
  ASSERT_NE(jarvis, nullptr);
  EXPECT_EQ(jarvis->spec.outputs[0].name, "53");
  EXPECT_EQ(std::get<StreamInputSpec>(jarvis->spec.inputs[0].source).window.prefill, Prefill::kNone);

  const PipelineDoc* voice = d.find_pipeline("voice");
  ASSERT_NE(voice, nullptr);
  ASSERT_EQ(voice->spec.steps.size(), 6u);
  EXPECT_EQ(voice->spec.steps[0].model, "silero-vad");
  EXPECT_EQ(voice->spec.steps[0].from.sensor, "speech");
  EXPECT_EQ(voice->spec.steps[3].model, "hey-jarvis");
  EXPECT_EQ(voice->spec.steps[3].from.model, "oww-embedding");
  EXPECT_EQ(voice->spec.steps[3].from.output, "");

  if (const ModelDoc* face = d.find_model("blazeface")) {
    const auto& img = std::get<ImageInputSpec>(face->spec.inputs[0].source);
    EXPECT_EQ(img.width, 256);
    EXPECT_EQ(img.resize, ResizeMode::kLetterbox);
    EXPECT_FLOAT_EQ(img.range_lo, -1.0f);
    EXPECT_FLOAT_EQ(img.range_hi, 1.0f);
    const auto& det = std::get<DetectSpec>(face->spec.postprocess);
    EXPECT_EQ(det.anchors.num_layers, 4);
    EXPECT_EQ(det.anchors.strides, (std::vector<int>{16, 32, 32, 32}));
    EXPECT_TRUE(det.anchors.fixed_anchor_size);
    EXPECT_FLOAT_EQ(det.anchors.offset_x, 0.5f);
    EXPECT_EQ(det.box.num_keypoints, 6);
    EXPECT_EQ(det.box.num_coords, 16);
    EXPECT_FLOAT_EQ(det.box.x_scale, 256.0f);
    EXPECT_FLOAT_EQ(det.score_clip, 100.0f);
    EXPECT_FLOAT_EQ(det.nms_iou, 0.3f);
    EXPECT_EQ(det.max_detections, 20);
  }
  if (const ModelDoc* ssd = d.find_model("ssd-oidv4")) {
    EXPECT_EQ(ssd->spec.format, ModelFormat::kTflite);
    EXPECT_EQ(ssd->spec.engine, "tflite");
    const auto& det = std::get<DetectSpec>(ssd->spec.postprocess);
    EXPECT_EQ(det.labels_file, "/repo/mediapipe-objectron/oidv4_labelmap.txt");
    EXPECT_TRUE(det.labels.empty());
    EXPECT_EQ(det.box.format, BoxFormat::kYxhw);
    EXPECT_TRUE(det.box.exp_size);
    EXPECT_EQ(det.ignore_classes, (std::vector<int>{0}));
  }
  if (const SensorDoc* camera = d.find_sensor("camera")) {
    EXPECT_EQ(camera->spec.driver, DriverKind::kImageFolder);
    EXPECT_EQ(camera->spec.path, "/samples/images");
    EXPECT_DOUBLE_EQ(camera->spec.video.fps, 1.0);
  }
  EXPECT_TRUE(validate_references(d).ok());
}

TEST(ParserTest, SyntheticSensorsParse) {
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

TEST(ParserTest, LiveSensorsParse) {
  auto m = parse_document_text(replace(kMqtt, "timestamp: t}", "timestamp: t, timestampUnit: ms, port: 1884, qos: 1}") +
                                   "  series: {rate: 100}\n  reconnect: {initialDelay: 0.2, maxDelay: 3, maxAttempts: 5, "
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
}

TEST(ParserTest, SeriesAndUpsamplingInputsParse) {
  auto r = parse_document_text(replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                                       "series: {rate: 50, window: 100, hop: 50, normalize: running, maxGap: 0.5}"),
                               "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& se = std::get<SeriesInputSpec>(r->models.at(0).spec.inputs.at(0).source);
  EXPECT_DOUBLE_EQ(se.rate, 50.0);
  EXPECT_EQ(se.window.window, 100);
  EXPECT_EQ(se.window.hop, 50);
  EXPECT_EQ(se.norm, FeatureNorm::kRunning);
  EXPECT_DOUBLE_EQ(se.max_gap, 0.5);

  auto a = parse_document_text(replace(kModel, "sampleRate: 16000,", "sampleRate: 16000, allowUpsampling: false,"),
                               "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(std::get<AudioInputSpec>(a->models.at(0).spec.inputs.at(0).source).allow_upsampling);

  auto sel = parse_document_text(replace(kModel, "sampleRate: 16000,", "sampleRate: 16000, selectChannels: [1],"),
                                 "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(std::get<AudioInputSpec>(sel->models.at(0).spec.inputs.at(0).source).select_channels,
            (std::vector<int>{1}));
  auto two = parse_document_text(replace(kModel, "sampleRate: 16000,", "sampleRate: 16000, selectChannels: [0, 1],"),
                                 "t.yaml", "/docs", kRoots);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().message(), "t.yaml: Model/vad: spec.inputs[0].audio.selectChannels: 2 channel(s) selected but channels is 1; "
                                        "select one sensor channel per model channel (line 11)");
}

TEST(ParserTest, ImageRotationCropAndQuantizationParse) {
  auto r = parse_document_text(
      replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
              "      dtype: int8\n"
              "      image:\n"
              "        width: 128\n"
              "        height: 96\n"
              "        rotate: 270\n"
              "        crop: {x: 0.25, y: 0.1, width: 0.5}\n"
              "        range: [-1, 1]\n"
              "        quantization: {scale: 0.0078125, zeroPoint: -3}"),
      "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  const InputSpec& in = r->models.at(0).spec.inputs.at(0);
  EXPECT_EQ(in.dtype, DType::kInt8);
  const auto& im = std::get<ImageInputSpec>(in.source);
  EXPECT_EQ(im.width, 128);
  EXPECT_EQ(im.height, 96);
  EXPECT_EQ(im.rotate, 270);
  ASSERT_TRUE(im.crop.has_value());
  EXPECT_FLOAT_EQ(im.crop->x, 0.25f);
  EXPECT_FLOAT_EQ(im.crop->y, 0.1f);
  EXPECT_FLOAT_EQ(im.crop->width, 0.5f);
  EXPECT_FLOAT_EQ(im.crop->height, 0.9f);  // the rest of the frame below y
  EXPECT_FLOAT_EQ(im.range_lo, -1.0f);
  EXPECT_FLOAT_EQ(im.range_hi, 1.0f);
  ASSERT_TRUE(im.quantization.has_value());
  EXPECT_FLOAT_EQ(im.quantization->scale, 0.0078125f);
  EXPECT_EQ(im.quantization->zero_point, -3);

  // uint8 with quantization may normalise (mean/std); zeroPoint defaults to 0. Without
  // rotate/crop/quantization nothing is set.
  auto u = parse_document_text(
      replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
              "      dtype: uint8\n"
              "      image: {width: 8, height: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], "
              "quantization: {scale: 0.03}}"),
      "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(u.ok()) << u.status();
  const auto& um = std::get<ImageInputSpec>(u->models.at(0).spec.inputs.at(0).source);
  ASSERT_TRUE(um.quantization.has_value());
  EXPECT_FLOAT_EQ(um.quantization->scale, 0.03f);
  EXPECT_EQ(um.quantization->zero_point, 0);
  EXPECT_EQ(um.rotate, 0);
  EXPECT_FALSE(um.crop.has_value());

  auto plain = parse_document_text(replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                                           "      dtype: uint8\n      image: {width: 8, height: 8, rotate: 180}"),
                                   "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(plain.ok()) << plain.status();
  const auto& pm = std::get<ImageInputSpec>(plain->models.at(0).spec.inputs.at(0).source);
  EXPECT_EQ(pm.rotate, 180);
  EXPECT_FALSE(pm.quantization.has_value());  // uint8 pixels unchanged
  EXPECT_FALSE(pm.crop.has_value());
}

TEST(ParserTest, DefaultRootsComeFromTheEnvironment) {
  ::setenv("SENSIX_MODEL_REPO", "/env-repo", 1);
  auto r = parse_document_text(kModel, "t.yaml", "/docs");
  ::unsetenv("SENSIX_MODEL_REPO");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->models[0].spec.path, "/env-repo/vad.onnx");
}

TEST(ParserTest, PathsResolve) {
  auto r = parse_document_text(kValidSet, "t.yaml", "/docs/here", kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->find_model("head")->spec.path, "/docs/here/head.tflite");
  EXPECT_EQ(r->find_model("head")->spec.engine, "tflite");
  auto abs = parse_document_text(replace(kHead, "head.tflite", "/abs/../x/head.tflite"), "t.yaml", "/d", kRoots);
  ASSERT_TRUE(abs.ok()) << abs.status();
  EXPECT_EQ(abs->models[0].spec.path, "/x/head.tflite");
}

// ---------------------------------------------------------------------------------------------
// Invalid documents: each with the message (or the part of it) the user must see.

struct Case {
  const char* name;
  std::string text;
  std::string expected;  // a substring of the error text; whole lines where practical
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

class InvalidDocumentTest : public ::testing::TestWithParam<Case> {};

TEST_P(InvalidDocumentTest, ReportsTheFieldAndWhatWasExpected) {
  const Case& c = GetParam();
  auto r = parse_document_text(c.text, "t.yaml", "/docs", kRoots);
  ASSERT_FALSE(r.ok()) << "parsed:\n" << c.text;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr(c.expected));
}

const std::string M = "t.yaml: Model/vad: ";
const std::string S = "t.yaml: Sensor/mic: ";
const std::string P = "t.yaml: Pipeline/voice: ";

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidDocumentTest,
    ::testing::Values(
        // Wrong types and ranges.
        Case{"WrongType", replace(kModel, "sampleRate: 16000", "sampleRate: fast"),
             M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got \"fast\" (line 11)"},
        Case{"QuotedNumberIsAString", replace(kModel, "sampleRate: 16000", "sampleRate: \"16000\""),
             M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got \"16000\" (line 11)"},
        Case{"FloatForInteger", replace(kModel, "sampleRate: 16000", "sampleRate: 16000.5"),
             M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got 16000.5 (line 11)"},
        Case{"Zero", replace(kModel, "sampleRate: 16000", "sampleRate: 0"),
             M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got 0 (line 11)"},
        Case{"Negative", replace(kModel, "window: 512", "window: -5"),
             M + "spec.inputs[0].audio.window: expected a positive integer, got -5 (line 11)"},
        Case{"HopLargerThanWindow", replace(kModel, "hop: 512", "hop: 600"),
             M + "spec.inputs[0].audio.hop: expected an integer from 1 to window (512), got 600 (line 11)"},
        Case{"ThresholdOutOfRange", replace(kModel, "labels: [speech]", "labels: [speech], threshold: 1.5"),
             M + "spec.postprocess.classify.threshold: expected a number from 0 to 1, got 1.5 (line 15)"},
        Case{"MapWhereScalar", replace(kModel, "version: \"5\"", "version: {major: 5}"),
             M + "spec.version: expected a string, got a map (line 8)"},
        Case{"UnquotedVersion", replace(kModel, "version: \"5\"", "version: 5"),
             M + "spec.version: expected a string, got 5 (quote values that look like numbers or booleans) (line 8)"},
        Case{"EmptyValue", replace(kModel, "format: onnx", "format:"),
             M + "spec.format: expected one of onnx, tflite, got null (line 5)"},
        Case{"BadSha", replace(kModel, kSha, std::string(64, 'A')),
             M + "spec.sha256: expected 64 lowercase hex digits, got \"" + std::string(64, 'A') + "\" (line 7)"},
        Case{"FrameMsRange", kSensor + "  audio: {frameMs: 0}\n",
             S + "spec.audio.frameMs: expected an integer from 1 to 1000, got 0 (line 7)"},
        Case{"ReplaySpeed", kSensor + "  replay: {speed: fast}\n",
             S + "spec.replay.speed: expected a number >= 0 or \"max\", got \"fast\" (line 7)"},
        Case{"LoopNotBool", kSensor + "  replay: {loop: yes}\n",
             S + "spec.replay.loop: expected true or false, got \"yes\" (line 7)"},
        // Audio features.
        Case{"FeaturesNeedMono", replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                                         "audio: {sampleRate: 16000, channels: 2, features: {type: log-mel}, window: 96, hop: 48}"),
             M + "spec.inputs[0].audio.channels: preEmphasis and features need mono audio (channels: 1), got 2 (line 11)"},
        Case{"FeaturesUnknownType", replace(kModel, "window: 512, hop: 512", "features: {type: mfc}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.type: expected one of spectrogram, mel, log-mel, mfcc, got \"mfc\"; "
                 "did you mean \"mfcc\"? (line 11)"},
        Case{"FeaturesFMaxAboveNyquist",
             replace(kModel, "window: 512, hop: 512", "features: {type: mel, fMax: 9000}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.fMax: expected a frequency above 0 and at most 8000 Hz (half the sample "
                 "rate), got 9000 (line 11)"},
        Case{"FeaturesFMinAboveFMax",
             replace(kModel, "window: 512, hop: 512", "features: {type: mel, fMin: 5000, fMax: 4000}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.fMin: fMin (5000 Hz) must be below fMax (4000 Hz) (line 11)"},
        Case{"FeaturesMoreCoefficientsThanMels",
             replace(kModel, "window: 512, hop: 512", "features: {type: mfcc, mels: 10, coefficients: 20}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.coefficients: expected an integer from 1 to mels (10), got 20 (line 11)"},
        Case{"FeaturesFieldOfAnotherType",
             replace(kModel, "window: 512, hop: 512", "features: {type: spectrogram, mels: 40}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.mels: applies to mel, log-mel and mfcc features, not spectrogram (line 11)"},
        Case{"FeaturesFftShorterThanFrame",
             replace(kModel, "window: 512, hop: 512", "features: {type: log-mel, frameLength: 400, fftSize: 256}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.fftSize: fftSize 256 is shorter than frameLength 400 (line 11)"},
        Case{"FeaturesFrameHopAboveFrameLength",
             replace(kModel, "window: 512, hop: 512", "features: {type: log-mel, frameLength: 400, frameHop: 401}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.frameHop: expected an integer from 1 to frameLength (400), got 401 (line 11)"},
        Case{"FeaturesPowerThree",
             replace(kModel, "window: 512, hop: 512", "features: {type: log-mel, power: 3}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.power: expected 1 (magnitude) or 2 (power), got 3 (line 11)"},
        Case{"FeaturesNormalizeCount",
             replace(kModel, "window: 512, hop: 512",
                     "features: {type: log-mel, mels: 2, normalize: {mean: [0], std: [1, 1]}}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.normalize.mean: expected 2 values (one per feature of log-mel features), got 1 (line 11)"},
        Case{"FeaturesNormalizeWord",
             replace(kModel, "window: 512, hop: 512", "features: {type: log-mel, normalize: global}, window: 96, hop: 48"),
             M + "spec.inputs[0].audio.features.normalize: expected one of none, running, got \"global\" (line 11)"},
        Case{"PreEmphasisOne", replace(kModel, "window: 512, hop: 512", "preEmphasis: 1, window: 512, hop: 512"),
             M + "spec.inputs[0].audio.preEmphasis: expected a number from 0 up to (not including) 1, got 1 (line 11)"},
        Case{"FeaturesShapeCountsFrames",
             replace(replace(kModel, "window: 512, hop: 512", "features: {type: log-mel, mels: 64}, window: 96, hop: 48"),
                     "    - name: input\n", "    - name: input\n      shape: [1, 96, 40]\n"),
             M + "spec.inputs[0].shape: shape [1, 96, 40] has 3840 elements, but audio.window x the log-mel features per "
                 "frame is 96 x 64 = 6144"},
        // Unknown and missing fields.
        Case{"UnknownFieldWithSuggestion", replace(kModel, "sampleRate: 16000", "sampleRat: 16000"),
             M + "spec.inputs[0].audio.sampleRat: unknown field (expected one of: sampleRate, channels, selectChannels, "
                 "allowUpsampling, preEmphasis, features, window, hop, prefill, scale); did you mean \"sampleRate\"? "
                 "(line 11)"},
        Case{"UnknownFieldNoSuggestion", kSensor + "  colour: red\n",
             S + "spec.colour: unknown field (expected one of: driver, path, url, device, server, synthetic, mqtt, series, "
                 "replay, reconnect, audio, video, buffer) (line 7)"},
        Case{"UnknownTopLevelField", "spek: {}\n" + kSensor,
             S + "spek: unknown field (expected one of: apiVersion, kind, metadata, spec); did you mean \"spec\"? "
                 "(line 1)"},
        Case{"MissingRequired", replace(kModel, "  sha256: " + kSha + "\n", ""),
             M + "spec.sha256: required field is missing (line 4)"},
        Case{"MissingSpec", "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: mic}\n",
             S + "spec: required field is missing (line 1)"},
        Case{"DuplicateKey", kSensor + "  path: samples:b.wav\n", S + "spec.path: field given twice (line 7)"},
        // Enums.
        Case{"BadEnum", replace(kModel, "format: onnx", "format: onx"),
             M + "spec.format: expected one of onnx, tflite, got \"onx\"; did you mean \"onnx\"? (line 5)"},
        Case{"BadDriver", replace(kSensor, "audio-file", "webcam"),
             S + "spec.driver: expected one of audio-file, video-file, image-folder, synthetic, mqtt, network-camera, "
                 "v4l2-camera, microphone, got \"webcam\" (line 5)"},
        Case{"BadPrefill", replace(kModel, "hop: 512", "hop: 512, prefill: zero"),
             M + "spec.inputs[0].audio.prefill: expected none, zeros or a number, got \"zero\"; did you mean "
                 "\"zeros\"? (line 11)"},
        Case{"EngineDoesNotFitFormat", kModel + "  engine: tflite\n",
             M + "spec.engine: engine tflite cannot load onnx models (use onnxruntime) (line 16)"},
        // Envelope.
        Case{"BadName", replace(kModel, "name: vad", "name: Vad_1"),
             "t.yaml: Model/Vad_1: metadata.name: expected a name of lowercase letters, digits and '-', 1 to 63 "
             "characters, starting and ending with a letter or digit, got \"Vad_1\" (line 3)"},
        Case{"NameTooLong", replace(kSensor, "name: mic", "name: " + std::string(64, 'm')),
             "metadata.name: expected a name of lowercase letters"},
        Case{"MissingName", replace(kSensor, "metadata: {name: mic}", "metadata: {labels: {a: b}}"),
             "t.yaml: Sensor (document 1): metadata.name: required field is missing (line 3)"},
        Case{"LabelNotString", replace(kSensor, "{name: mic}", "{name: mic, labels: {floor: 2}}"),
             S + "metadata.labels.floor: expected a string, got 2 (quote values"},
        Case{"BadApiVersion", replace(kModel, "sensix/v1", "sensix/v2"),
             M + "apiVersion: expected \"sensix/v1\", got \"sensix/v2\" (line 1)"},
        Case{"BadKind", replace(kModel, "kind: Model", "kind: Modle"),
             "t.yaml: document 1: kind: expected one of Sensor, Model, Pipeline, Device, got \"Modle\"; did you mean "
             "\"Model\"? (line 2)"},
        Case{"TopLevelList", "- " + replace(kSensor, "\n", "\n  "),
             "t.yaml: document 1: expected a document (a map with apiVersion, kind, metadata, spec), got a list (line 1)"},
        Case{"SyntaxError", replace(kModel, "hop: 512}", "hop: 512"), "t.yaml:12:"},
        Case{"SyntaxErrorTab", kSensor + "\tloop: true\n", "t.yaml:7:1: YAML syntax error: "},
        Case{"EmptyFile", "", "t.yaml: no documents (the file is empty)"},
        Case{"OnlyComments", "# nothing here\n---\n# nor here\n", "t.yaml: no documents (the file is empty)"},
        // One-of groups and per-model consistency.
        Case{"TwoSources", replace(kModel, "      audio:", "      stream: {window: 1, hop: 1}\n      audio:"),
             M + "spec.inputs[0]: only one of audio, image, series, stream, constant, state may be given (got audio and stream) "
                 "(line 11)"},
        Case{"NoSource", replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}\n", ""),
             M + "spec.inputs[0]: one of audio, image, series, stream, constant, state is required (line 10)"},
        Case{"NoDataInput", replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}", "constant: {value: 1}"),
             M + "spec.inputs: a model needs exactly one data input (audio, image, series or stream); none is given (line 10)"},
        Case{"TwoDataInputs", replace(kModel, "  outputs:", "    - {name: b, stream: {window: 2, hop: 1}}\n  outputs:"),
             M + "spec.inputs[1]: a model has exactly one data input (audio, image, series or stream); spec.inputs[0] is one "
                 "already (line 12)"},
        Case{"StateFromUndeclaredOutput",
             replace(kModel, "  outputs:", "    - {name: state, state: {from: stateN}}\n  outputs:"),
             M + "spec.inputs[1].state.from: \"stateN\" is not a declared output (spec.outputs declares \"output\") "
                 "(line 12)"},
        Case{"ClassifyUndeclaredOutput", replace(kModel, "output: output,", "output: outptu,"),
             M + "spec.postprocess.classify.output: \"outptu\" is not a declared output (spec.outputs declares "
                 "\"output\"); did you mean \"output\"? (line 15)"},
        Case{"LabelsAndLabelsFile", replace(kModel, "labels: [speech]", "labels: [speech], labelsFile: l.txt"),
             M + "spec.postprocess.classify.labelsFile: give labels or labelsFile, not both (line 15)"},
        Case{"NoLabels", replace(kModel, ", labels: [speech]", ""),
             M + "spec.postprocess.classify: one of labels, labelsFile is required (line 15)"},
        Case{"EmptyInputs", replace(replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}\n", ""),
                                    "  inputs:\n    - name: input\n", "  inputs: []\n"),
             M + "spec.inputs: expected a list with at least 1 item, got an empty list (line 9)"},
        Case{"ShapeDisagrees", replace(kModel, "    - name: input\n", "    - name: input\n      shape: [1, 500]\n"),
             M + "spec.inputs[0].shape: shape [1, 500] has 500 elements, but audio.window x audio.channels is 512 x 1 "
                 "= 512 (line 11)"},
        Case{"ImageMeanPerChannel",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, mean: [0.5], std: [0.5, 0.5, 0.5]}"),
             M + "spec.inputs[0].image.mean: expected 3 values (one per channel of color rgb), got 1 (line 11)"},
        Case{"Uint8ImageWithRange",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: uint8\n      image: {width: 8, height: 8, range: [-1, 1]}"),
             M + "spec.inputs[0].image.range: a uint8 image input takes pixels unchanged: range, mean and std are not "
                 "allowed (line 12)"},
        Case{"ImageRotateNotAQuarterTurn",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, rotate: 45}"),
             M + "spec.inputs[0].image.rotate: expected one of 0, 90, 180, 270 (degrees clockwise), got 45 (line 11)"},
        Case{"ImageRotateNegative",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, rotate: -90}"),
             M + "spec.inputs[0].image.rotate: expected one of 0, 90, 180, 270 (degrees clockwise), got -90 (line 11)"},
        Case{"ImageCropPastTheFrame",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {x: 0.5, width: 0.75}}"),
             M + "spec.inputs[0].image.crop.width: x + width is 0.5 + 0.75 = 1.25; the region must end inside the "
                 "frame (at most 1) (line 11)"},
        Case{"ImageCropZeroHeight",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {y: 0.5, height: 0}}"),
             M + "spec.inputs[0].image.crop.height: expected a fraction of the frame above 0 and at most 1, got 0 "
                 "(line 11)"},
        Case{"ImageCropInPixels",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {x: 10, y: 0, width: 100, height: 100}}"),
             M + "spec.inputs[0].image.crop.x: expected a fraction of the frame from 0 up to (not including) 1, got 10 "
                 "(line 11)"},
        Case{"ImageCropStartsAtTheEdge",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {x: 1}}"),
             M + "spec.inputs[0].image.crop.x: expected a fraction of the frame from 0 up to (not including) 1, got 1 "
                 "(line 11)"},
        Case{"ImageCropUnknownField",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, crop: {left: 0.1}}"),
             M + "spec.inputs[0].image.crop.left: unknown field (expected one of: x, y, width, height)"},
        Case{"QuantizationOnAFloatImage",
             replace(kModel, "audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "image: {width: 8, height: 8, quantization: {scale: 0.5}}"),
             M + "spec.inputs[0].image.quantization: quantization is only allowed with dtype int8 or uint8, the "
                 "input's dtype is float32 (line 11)"},
        Case{"Int8ImageWithoutQuantization",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: int8\n      image: {width: 8, height: 8, range: [-1, 1]}"),
             M + "spec.inputs[0].image.quantization: required field is missing: an int8 image input needs "
                 "quantization: {scale, zeroPoint} (line 12)"},
        Case{"Int8ZeroPointOutOfRange",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: int8\n      image: {width: 8, height: 8, quantization: {scale: 0.0078125, "
                     "zeroPoint: 200}}"),
             M + "spec.inputs[0].image.quantization.zeroPoint: expected an integer from -128 to 127 (int8), got 200 "
                 "(line 12)"},
        Case{"Uint8ZeroPointOutOfRange",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: uint8\n      image: {width: 8, height: 8, quantization: {scale: 0.5, "
                     "zeroPoint: -1}}"),
             M + "spec.inputs[0].image.quantization.zeroPoint: expected an integer from 0 to 255 (uint8), got -1 "
                 "(line 12)"},
        Case{"QuantizationWithoutScale",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: uint8\n      image: {width: 8, height: 8, quantization: {zeroPoint: 3}}"),
             M + "spec.inputs[0].image.quantization.scale: required field is missing (line 12)"},
        Case{"QuantizationZeroScale",
             replace(kModel, "      audio: {sampleRate: 16000, window: 512, hop: 512}",
                     "      dtype: int8\n      image: {width: 8, height: 8, quantization: {scale: 0}}"),
             M + "spec.inputs[0].image.quantization.scale: expected a positive number, got 0 (line 12)"},
        Case{"AudioSettingsOnVideoDriver", replace(kSensor, "audio-file", "image-folder") + "  audio: {channels: 1}\n",
             S + "spec.audio: audio settings are only allowed with driver audio-file (this driver is image-folder) "
                 "(line 7)"},
        // Synthetic sensors.
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
        Case{"SyntheticVideoSignalWithAudio", replace(kSynthVideo, "video: {width: 320, height: 240, fps: 10}",
                                                      "audio: {sampleRate: 16000, channels: 1}"),
             S + "spec.audio: signal bars gives images; give video settings, not audio (line 7)"},
        Case{"SyntheticAudioSignalWithVideo", kSynth + "  video: {fps: 10}\n",
             S + "spec.video: signal sine gives audio; give audio settings, not video (line 8)"},
        // Live sensors.
        Case{"MqttWithoutFields", kMqtt.substr(0, kMqtt.find("  mqtt:")) + "  mqtt: {topic: imu/1}\n",
             S + "spec.mqtt.fields: required field is missing (line 6)"},
        Case{"MqttFieldTwice", replace(kMqtt, "[ax, ay, az]", "[ax, ay, ax]"),
             S + "spec.mqtt.fields: \"ax\" is listed twice (fields 0 and 2) (line 6)"},
        Case{"MqttTimestampAlsoAField", replace(kMqtt, "timestamp: t", "timestamp: ax"),
             S + "spec.mqtt.timestamp: \"ax\" is also listed in fields; the timestamp is not a channel (line 6)"},
        Case{"MqttBadQos", replace(kMqtt, "topic: imu/1,", "topic: imu/1, qos: 3,"),
             S + "spec.mqtt.qos: expected an integer from 0 to 2, got 3 (line 6)"},
        Case{"MqttWithReplay", kMqtt + "  replay: {speed: 2}\n",
             S + "spec.replay: the mqtt driver reads a live source; replay applies to file and synthetic drivers (line 7)"},
        Case{"MqttWithBlock", kMqtt + "  buffer: {overflow: block}\n",
             S + "spec.buffer.overflow: block is only allowed for file and synthetic drivers; the mqtt driver reads a "
                 "live source and drops the oldest frame when the buffer is full (line 7)"},
        Case{"MqttWithPath", kMqtt + "  path: samples:a.wav\n",
             S + "spec.path: the mqtt driver receives its readings from a broker and reads no file; remove path (line 7)"},
        Case{"ReconnectOnFileDriver", kSensor + "  reconnect: {initialDelay: 1}\n",
             S + "spec.reconnect: reconnect applies to live drivers (mqtt, network-camera, v4l2-camera, microphone); "
                 "this driver is audio-file (line 7)"},
        Case{"ReconnectMaxBelowInitial", kMqtt + "  reconnect: {initialDelay: 2, maxDelay: 1}\n",
             S + "spec.reconnect.maxDelay: maxDelay (1 s) is shorter than initialDelay (2 s) (line 7)"},
        Case{"CameraWithoutUrl", replace(kCamera, "  url: rtsp://127.0.0.1:8554/cam\n", ""),
             S + "spec.url: required field is missing (line 4)"},
        Case{"CameraBadUrl", replace(kCamera, "rtsp://127.0.0.1:8554/cam", "ftp://cam"),
             S + "spec.url: expected a stream URL starting with rtsp://, rtsps://, http://, https://, udp://, rtp:// or "
                 "tcp://, or an .sdp file, got \"ftp://cam\" (line 6)"},
        Case{"CameraWithPath", kCamera + "  path: samples:a.mp4\n",
             S + "spec.path: the network-camera driver reads a stream; give its address as url, not path (line 7)"},
        Case{"UrlOnFileDriver", kSensor + "  url: rtsp://x/y\n",
             S + "spec.url: url is only allowed with driver network-camera (this driver is audio-file) (line 7)"},
        Case{"V4l2WithoutDevice", replace(kCamera, "network-camera\n  url: rtsp://127.0.0.1:8554/cam", "v4l2-camera"),
             S + "spec.device: required field is missing (line 4)"},
        Case{"MicrophoneWithVideo", replace(kCamera, "network-camera\n  url: rtsp://127.0.0.1:8554/cam", "microphone") +
                                         "  video: {fps: 1}\n",
             S + "spec.video: video settings are only allowed with camera, video-file and image-folder drivers (this "
                 "driver is microphone) (line 6)"},
        Case{"ServerOnCamera", kCamera + "  server: unix:/tmp/pulse\n",
             S + "spec.server: server is only allowed with driver microphone (this driver is network-camera) (line 7)"},
        Case{"SyntheticUnknownField", replace(kSynth, "frequency: 1000}", "frequency: 1000, phase: 0}"),
             S + "spec.synthetic.phase: unknown field (expected one of: signal, frequency, amplitude, seed, duration) "
                 "(line 6)"},
        Case{"BadOverflow", kSensor + "  buffer: {overflow: drop}\n",
             S + "spec.buffer.overflow: expected one of drop-oldest, block, got \"drop\" (line 7)"},
        Case{"RepoPathEscapes", replace(kModel, "repo:vad.onnx", "repo:../vad.onnx"),
             M + "spec.source: expected a relative path after \"repo:\" inside /repo, got \"repo:../vad.onnx\" (line 6)"},
        Case{"StepFromBoth", replace(kValidSet, "{sensor: mic}", "{sensor: mic, model: head}"),
             P + "spec.steps[0].from: only one of sensor, model may be given (got sensor and model)"},
        Case{"ModelTwiceInPipeline", kValidSet + "    - {model: vad, from: {sensor: mic}}\n",
             P + "spec.steps[2].model: model \"vad\" already appears in spec.steps[0] (a model may appear once per "
                 "pipeline)"},
        Case{"EmptySteps", replace(kValidSet, "  steps:\n    - {model: vad, from: {sensor: mic}}\n    - {model: head, "
                                              "from: {model: vad}}\n",
                                   "  steps: []\n"),
             P + "spec.steps: expected a list with at least 1 item, got an empty list"},
        // Cross-document checks.
        Case{"DuplicateName", kSensor + "---\n" + kSensor,
             S + "metadata.name: Sensor \"mic\" is already defined at t.yaml line 1 (line 8)"},
        Case{"UndefinedModel", replace(kValidSet, "{model: head, from", "{model: haed, from"),
             P + "spec.steps[1].model: model \"haed\" is not defined (did you mean \"head\"?)"},
        Case{"UndefinedUpstream", replace(kValidSet, "from: {model: vad}", "from: {model: vda}"),
             P + "spec.steps[1].from.model: model \"vda\" is not defined (did you mean \"vad\"?)"},
        Case{"UndefinedSensor", replace(kValidSet, "{sensor: mic}", "{sensor: camera}"),
             P + "spec.steps[0].from.sensor: sensor \"camera\" is not defined"},
        Case{"UpstreamNotInPipeline",
             replace(kValidSet, "    - {model: vad, from: {sensor: mic}}\n", ""),
             P + "spec.steps[0].from.model: Model/vad is not a step of Pipeline/voice (add a step for it)"},
        Case{"UndeclaredUpstreamOutput", replace(kValidSet, "from: {model: vad}", "from: {model: vad, output: out}"),
             P + "spec.steps[1].from.output: Model/vad declares no output \"out\" (it declares \"output\")"},
        Case{"AmbiguousUpstreamOutput", replace(kValidSet, "    - name: output\n", "    - name: output\n    - name: aux\n"),
             P + "spec.steps[1].from: Model/vad declares 2 outputs (\"output\", \"aux\"); name one with from.output"},
        Case{"ModalityMismatch", replace(kValidSet, "driver: audio-file", "driver: image-folder"),
             P + "spec.steps[0].from.sensor: Sensor/mic (image-folder) gives image data, but Model/vad's data input "
                 "\"input\" takes audio"},
        Case{"SyntheticModalityMismatch", set_of(kSynthVideo, kModel, kHead, kPipeline),
             P + "spec.steps[0].from.sensor: Sensor/mic (synthetic) gives image data, but Model/vad's data input "
                 "\"input\" takes audio"},
        Case{"StreamInputFedBySensor", replace(kValidSet, "{model: head, from: {model: vad}}", "{model: head, from: {sensor: mic}}"),
             P + "spec.steps[1].from.sensor: Model/head's data input \"x\" is a stream of another model's output; feed "
                 "it with from.model, not from Sensor/mic"},
        Case{"AudioInputFedByModel", replace(kValidSet, "{model: vad, from: {sensor: mic}}", "{model: vad, from: {model: head}}"),
             P + "spec.steps[0].from.model: Model/vad's data input \"input\" takes audio from a Sensor (from.sensor), "
                 "not another model's output"},
        Case{"Cycle",
             replace(replace(kValidSet, "{model: vad, from: {sensor: mic}}", "{model: head2, from: {model: head}}"),
                     "{model: head, from: {model: vad}}", "{model: head, from: {model: head2}}") +
                 "---\n" + replace(kHead, "name: head}", "name: head2}"),
             P + "spec.steps[0].from.model: cycle: head2 -> head -> head2"},
        Case{"FeedsItself", replace(kValidSet, "from: {model: vad}", "from: {model: head}"),
             P + "spec.steps[1].from.model: model \"head\" cannot feed itself"}));

// All errors are reported, one per line, in file order.
TEST(ParserTest, AllErrorsReportedInFileOrder) {
  std::string text = kModel;
  text = replace(text, "sensix/v1", "v1");                       // line 1
  text = replace(text, "format: onnx", "format: pytorch");       // line 5
  text = replace(text, "window: 512", "window: -1");             // line 11
  text = replace(text, "labels: [speech]", "labels: [speech], topK: 0");  // line 15
  text += "---\n" + replace(kSensor, "driver: audio-file", "drivr: audio-file");  // doc 2
  auto r = parse_document_text(text, "t.yaml", "/docs", kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            M + "apiVersion: expected \"sensix/v1\", got \"v1\" (line 1)\n" +
            M + "spec.format: expected one of onnx, tflite, got \"pytorch\" (line 5)\n" +
            M + "spec.inputs[0].audio.window: expected a positive integer, got -1 (line 11)\n" +
            M + "spec.postprocess.classify.topK: expected a positive integer, got 0 (line 15)\n" +
            S + "spec.driver: required field is missing (line 20)\n" +
            S + "spec.drivr: unknown field (expected one of: driver, path, url, device, server, synthetic, mqtt, series, "
                "replay, reconnect, audio, video, buffer); did you mean \"driver\"? (line 21)");
}

// A broken document does not cause "not defined" errors in the documents that name it.
TEST(ParserTest, NoFollowOnErrorsForBrokenDocuments) {
  auto r = parse_document_text(set_of(kSensor, replace(kModel, "sampleRate: 16000", "sampleRate: x"), kHead, kPipeline),
                               "t.yaml", "/docs", kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            M + "spec.inputs[0].audio.sampleRate: expected a positive integer, got \"x\" (line 18)");
}

// ---------------------------------------------------------------------------------------------
// JSON

const std::string kModelJson = R"({
  "apiVersion": "sensix/v1",
  "kind": "Model",
  "metadata": {"name": "vad"},
  "spec": {
    "format": "onnx",
    "source": "repo:vad.onnx",
    "sha256": ")" + kSha + R"(",
    "version": "5",
    "inputs": [{"name": "input", "audio": {"sampleRate": 16000, "window": 512, "hop": 512}}],
    "outputs": [{"name": "output"}],
    "postprocess": {"classify": {"output": "output", "labels": ["speech"]}}
  }
})";

TEST(ParserTest, JsonIsEquivalentToYaml) {
  auto j = parse_document_text(kModelJson, "t.json", "/docs", kRoots);
  auto y = parse_document_text(kModel, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_TRUE(y.ok()) << y.status();
  const ModelSpec& a = j->models[0].spec;
  const ModelSpec& b = y->models[0].spec;
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.engine, b.engine);
  const auto& aa = std::get<AudioInputSpec>(a.inputs[0].source);
  const auto& ba = std::get<AudioInputSpec>(b.inputs[0].source);
  EXPECT_EQ(aa.sample_rate, ba.sample_rate);
  EXPECT_EQ(aa.window.window, ba.window.window);
  EXPECT_EQ(aa.window.hop, ba.window.hop);
  EXPECT_EQ(std::get<ClassifySpec>(a.postprocess).labels, std::get<ClassifySpec>(b.postprocess).labels);
}

TEST(ParserTest, JsonErrorsNameFieldAndLine) {
  auto r = parse_document_text(replace(kModelJson, "\"sampleRate\": 16000", "\"sampleRate\": \"fast\""), "t.json",
                               "/docs", kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "t.json: Model/vad: spec.inputs[0].audio.sampleRate: expected a positive integer, got \"fast\" (line 10)");
  auto compact = parse_document_text(R"({"apiVersion":"sensix/v1","kind":"Sensor","metadata":{"name":"mic"},)"
                                     R"("spec":{"driver":"audio-file","path":"a.wav","audio":{"channels":0}}})",
                                     "c.json", "/docs", kRoots);
  ASSERT_FALSE(compact.ok());
  EXPECT_EQ(compact.status().message(),
            "c.json: Sensor/mic: spec.audio.channels: expected a positive integer, got 0 (line 1)");
  auto bad = parse_document_text("{\"apiVersion\": \"sensix/v1\",\n \"kind\": ]", "b.json", "/docs", kRoots);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("b.json:2:"));
  EXPECT_THAT(bad.status().message(), HasSubstr("YAML syntax error"));
}

// ---------------------------------------------------------------------------------------------
// Files and directories

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sensix_parser_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(FilesTest, DirectoryReadsSortedDocumentFiles) {
  write("b-models.yaml", kModel + "---\n" + kHead);
  write("a-sensor.json",
        R"({"apiVersion": "sensix/v1", "kind": "Sensor", "metadata": {"name": "mic"},
            "spec": {"driver": "audio-file", "path": "rec/a.wav"}})");
  write("c-pipeline.yml", kPipeline);
  write("notes.txt", "not a document");
  auto r = parse_document_files({dir_.string()}, kRoots);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->sensors.size(), 1u);
  EXPECT_EQ(r->sensors[0].origin.file, (dir_ / "a-sensor.json").string());
  EXPECT_EQ(r->sensors[0].spec.path, (dir_ / "rec/a.wav").string());
  ASSERT_EQ(r->models.size(), 2u);
  EXPECT_EQ(r->models[1].origin.index, 1);
  EXPECT_EQ(r->models[1].origin.line, 17);
  EXPECT_EQ(r->pipelines.size(), 1u);
}

TEST_F(FilesTest, DuplicateAcrossFilesNamesBoth) {
  const std::string a = write("a.yaml", kSensor);
  const std::string b = write("b.yaml", "# second\n" + kSensor);
  auto r = parse_document_files({a, b}, kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            b + ": Sensor/mic: metadata.name: Sensor \"mic\" is already defined at " + a + " line 1 (line 2)");
}

TEST_F(FilesTest, ErrorsInFileOrderAcrossFiles) {
  const std::string a = write("a.yaml", replace(kSensor, "audio-file", "audio"));
  const std::string b = write("b.yaml", replace(kModel, "onnx\n", "onyx\n"));
  auto r = parse_document_files({b, a}, kRoots);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_LT(m.find(b + ": Model/vad: spec.format"), m.find(a + ": Sensor/mic: spec.driver")) << m;
}

TEST_F(FilesTest, MissingFileIsNotFound) {
  auto r = parse_document_files({(dir_ / "nope.yaml").string()}, kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("nope.yaml: cannot read: No such file or directory"));
}

TEST_F(FilesTest, EmptyDirectory) {
  auto r = parse_document_files({dir_.string()}, kRoots);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("the directory holds no *.yaml, *.yml or *.json files"));
}

TEST(ValidateReferencesTest, HandBuiltSet) {
  DocumentSet d;
  PipelineDoc p;
  p.origin.file = "api";
  p.metadata.name = "p";
  p.spec.steps.push_back(StepSpec{"m", StepSource{"s", "", "", std::nullopt}});
  d.pipelines.push_back(p);
  Status s = validate_references(d);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "api: Pipeline/p: spec.steps[0].model: model \"m\" is not defined\n"
            "api: Pipeline/p: spec.steps[0].from.sensor: sensor \"s\" is not defined");
}

// ---------------------------------------------------------------------------------------------
// docs/documents.md: every ```yaml block that is a whole document (starts with apiVersion, no "...") must
// parse, so that a user can copy it. The Pipeline example names the quickstart's openWakeWord
// models, so those documents are added from examples/quickstart.yaml.

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(DocsReference, CompleteExamplesParse) {
  const std::string md = read_text(std::string(SENSIX_SOURCE_DIR) + "/docs/documents.md");
  ASSERT_FALSE(md.empty());
  std::string joined;
  int whole = 0;
  for (size_t at = md.find("```yaml\n"); at != std::string::npos; at = md.find("```yaml\n", at)) {
    at += 8;
    const size_t end = md.find("```", at);
    ASSERT_NE(end, std::string::npos);
    const std::string block = md.substr(at, end - at);
    at = end + 3;
    // A fragment of a spec, or a sketch with "..." placeholders: not a document to copy.
    if (block.rfind("apiVersion:", 0) != 0 || block.find("...") != std::string::npos) continue;
    ++whole;
    joined += "---\n" + block;
  }
  // One complete Model and Pipeline, and complete Sensors (a file sensor and the live drivers).

  const std::string quickstart = read_text(std::string(SENSIX_SOURCE_DIR) + "/examples/quickstart.yaml");
  for (const char* name : {"oww-mel", "oww-embedding", "hey-jarvis"}) {
    const size_t at = quickstart.find(std::string("kind: Model\nmetadata:\n  name: ") + name + "\n");
    ASSERT_NE(at, std::string::npos) << name;
    const size_t end = quickstart.find("\n---", at);
    joined += "---\napiVersion: sensix/v1\n" + quickstart.substr(at, end - at + 1);
  }
  auto r = parse_document_text(joined, "documents.md", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status() << "\n" << joined;
  EXPECT_GE(r->sensors.size(), 2u);
  EXPECT_EQ(whole, static_cast<int>(r->sensors.size()) + 2) << "only Sensors, one Model and one Pipeline";
  EXPECT_EQ(r->models.size(), 4u);
  EXPECT_EQ(r->pipelines.size(), 1u);
}

// The synthetic Sensor fragment of documents.md ("spec:" with driver synthetic) parses as a Sensor.
TEST(DocsReference, SyntheticSensorExampleParses) {
  const std::string md = read_text(std::string(SENSIX_SOURCE_DIR) + "/docs/documents.md");
  const std::string start = "```yaml\nspec:\n  driver: synthetic\n";
  const size_t at = md.find(start);
  ASSERT_NE(at, std::string::npos) << "documents.md should show a synthetic Sensor";
  const size_t end = md.find("```", at + 8);
  ASSERT_NE(end, std::string::npos);
  const std::string doc = "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: tone}\n" + md.substr(at + 8, end - at - 8);
  auto r = parse_document_text(doc, "documents.md", "/docs", kRoots);
  ASSERT_TRUE(r.ok()) << r.status() << "\n" << doc;
  const SensorSpec& s = r->sensors.at(0).spec;
  EXPECT_EQ(s.driver, DriverKind::kSynthetic);
  EXPECT_EQ(s.synthetic.signal, SyntheticSignal::kSine);
  EXPECT_EQ(modality_of(s), Modality::kAudio);
}

// Every ```yaml fragment that is one entry of spec.inputs ("  - name: ...") must parse as the only
// input of a Model, so the input examples (audio, features, image, stream...) stay copyable.
TEST(DocsReference, InputExamplesParse) {
  const std::string md = read_text(std::string(SENSIX_SOURCE_DIR) + "/docs/documents.md");
  int checked = 0;
  bool saw_features = false;
  for (size_t at = md.find("```yaml\n"); at != std::string::npos; at = md.find("```yaml\n", at)) {
    at += 8;
    const size_t end = md.find("```", at);
    ASSERT_NE(end, std::string::npos);
    std::string block = md.substr(at, end - at);
    at = end + 3;
    if (block.rfind("inputs:\n", 0) == 0) block = block.substr(8);
    if (block.rfind("  - name: ", 0) != 0) continue;
    // Only audio and image inputs stand alone (a stream needs a Pipeline, a state an output).
    if (block.find("    audio:") == std::string::npos && block.find("    image:") == std::string::npos) continue;
    std::string indented;
    for (size_t p = 0; p < block.size();) {
      const size_t nl = block.find('\n', p);
      indented += "  " + block.substr(p, nl - p + 1);
      p = nl == std::string::npos ? block.size() : nl + 1;
    }
    const std::string doc = "apiVersion: sensix/v1\nkind: Model\nmetadata: {name: m}\nspec:\n  format: onnx\n"
                            "  source: repo:m.onnx\n  sha256: " + kSha + "\n  version: \"1\"\n  inputs:\n" +
                            indented + "  outputs:\n    - name: y\n";
    auto r = parse_document_text(doc, "documents.md", "/docs", kRoots);
    EXPECT_TRUE(r.ok()) << r.status() << "\n" << doc;
    ++checked;
    saw_features = saw_features || block.find("features:") != std::string::npos;
  }
  EXPECT_GE(checked, 3);
  EXPECT_TRUE(saw_features) << "documents.md should show an audio input with features";
}

// ---------------------------------------------------------------------------------------------
// The declared post-processing kinds: landmarks, textRegions, ctc, lines (models/*_decoder.h).

std::string with_postprocess(const std::string& block) {
  return replace(kSensor + "---\n" + kModel, "    classify: {output: output, labels: [speech]}\n", block);
}

TEST(ParserTest, DeclaredPostprocessKindsParse) {
  auto landmarks = parse_document_text(with_postprocess("    landmarks:\n"
                                                        "      output: output\n"
                                                        "      values: [x, y, ignore, visibility, presence]\n"
                                                        "      visibilityActivation: sigmoid\n"
                                                        "      inputSize: [256, 192]\n"
                                                        "      presence: {output: output, activation: sigmoid, threshold: 0.7}\n"
                                                        "      namesFile: repo:pose/names.txt\n"),
                                       "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(landmarks.ok()) << landmarks.status();
  const auto& l = std::get<LandmarksSpec>(landmarks->models[0].spec.postprocess);
  EXPECT_EQ(l.output, "output");
  EXPECT_EQ(l.values, (std::vector<LandmarkValue>{LandmarkValue::kX, LandmarkValue::kY, LandmarkValue::kIgnore,
                                                  LandmarkValue::kVisibility, LandmarkValue::kPresence}));
  EXPECT_EQ(l.visibility_activation, Activation::kSigmoid);
  EXPECT_EQ(l.input_width, 256);
  EXPECT_EQ(l.input_height, 192);
  EXPECT_EQ(l.presence_output, "output");
  EXPECT_EQ(l.presence_activation, Activation::kSigmoid);
  EXPECT_FLOAT_EQ(l.presence_threshold, 0.7f);
  EXPECT_EQ(l.names_file, "/repo/pose/names.txt");

  auto defaults = parse_document_text(with_postprocess("    landmarks: {output: output}\n"), "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  const auto& d = std::get<LandmarksSpec>(defaults->models[0].spec.postprocess);
  EXPECT_EQ(d.values.size(), 3u);
  EXPECT_EQ(d.input_width, 0);
  EXPECT_TRUE(d.presence_output.empty());

  auto text = parse_document_text(
      with_postprocess("    textRegions: {output: output, threshold: 0.2, boxThreshold: 0.5, unclipRatio: 2,"
                       " minSize: 4, maxRegions: 7, label: word}\n"),
      "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(text.ok()) << text.status();
  const auto& t = std::get<TextRegionsSpec>(text->models[0].spec.postprocess);
  EXPECT_FLOAT_EQ(t.threshold, 0.2f);
  EXPECT_FLOAT_EQ(t.box_threshold, 0.5f);
  EXPECT_FLOAT_EQ(t.unclip_ratio, 2.0f);
  EXPECT_FLOAT_EQ(t.min_size, 4.0f);
  EXPECT_EQ(t.max_regions, 7);
  EXPECT_EQ(t.label, "word");

  auto ctc = parse_document_text(
      with_postprocess("    ctc: {output: output, activation: softmax, dictionaryFile: repo:ocr/keys.txt, blank: 3,"
                       " spaceCharacter: true, minConfidence: 0.25}\n"),
      "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(ctc.ok()) << ctc.status();
  const auto& c = std::get<CtcSpec>(ctc->models[0].spec.postprocess);
  EXPECT_EQ(c.activation, Activation::kSoftmax);
  EXPECT_EQ(c.dictionary_file, "/repo/ocr/keys.txt");
  EXPECT_EQ(c.blank, 3);
  EXPECT_TRUE(c.space_character);
  EXPECT_FLOAT_EQ(c.min_confidence, 0.25f);

  auto lines = parse_document_text(
      with_postprocess("    lines: {scores: output, offsets: output, scoreActivation: sigmoid, threshold: 0.2,"
                       " maxLines: 50, minLength: 12, inputSize: [320, 320]}\n"),
      "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(lines.ok()) << lines.status();
  const auto& g = std::get<LinesSpec>(lines->models[0].spec.postprocess);
  EXPECT_EQ(g.scores_output, "output");
  EXPECT_EQ(g.offsets_output, "output");
  EXPECT_EQ(g.score_activation, Activation::kSigmoid);
  EXPECT_FLOAT_EQ(g.threshold, 0.2f);
  EXPECT_EQ(g.max_lines, 50);
  EXPECT_FLOAT_EQ(g.min_length, 12.0f);
  EXPECT_EQ(g.input_width, 320);
}

TEST(ParserTest, DeclaredPostprocessKindsReportBadFields) {
  const std::string pp = M + "spec.postprocess.";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    landmarks: {output: nope}\n", pp + "landmarks.output: \"nope\" is not a declared output"},
      {"    landmarks: {output: output, values: [x, z]}\n", pp + "landmarks.values: the values of a point must include x and y"},
      {"    landmarks: {output: output, values: [x, y, x]}\n", pp + "landmarks.values[2]: \"x\" is given twice"},
      {"    landmarks: {output: output, values: [x, y, depth]}\n", pp + "landmarks.values[2]: expected one of"},
      {"    landmarks: {output: output, visibilityActivation: softmax}\n", pp + "landmarks.visibilityActivation: expected"},
      {"    landmarks: {output: output, presence: {output: output, threshold: 1.5}}\n",
       pp + "landmarks.presence.threshold: expected a number from 0 to 1, got 1.5"},
      {"    landmarks: {output: output, inputSize: [256]}\n", pp + "landmarks.inputSize: expected [width, height], got 1 values"},
      {"    landmarks: {output: output, names: [a], namesFile: n.txt}\n", pp + "landmarks.namesFile: give names or namesFile, not both"},
      {"    textRegions: {output: output, threshold: 1.5}\n", pp + "textRegions.threshold: expected a number from 0 to 1, got 1.5"},
      {"    textRegions: {output: output, maxRegions: 0}\n", pp + "textRegions.maxRegions: expected a positive integer, got 0"},
      {"    textRegions: {threshold: 0.3}\n", pp + "textRegions.output: required field is missing"},
      {"    ctc: {output: output}\n", pp + "ctc: one of dictionary, dictionaryFile is required"},
      {"    ctc: {output: output, dictionary: [a], blank: -1}\n", pp + "ctc.blank: expected a non-negative integer, got -1"},
      {"    ctc: {output: output, dictionary: [a], activation: sigmoid}\n", pp + "ctc.activation: expected"},
      {"    ctc: {output: output, dictionary: [a], minConfidence: 2}\n", pp + "ctc.minConfidence: expected a number from 0 to 1"},
      {"    lines: {scores: output}\n", pp + "lines.offsets: required field is missing"},
      {"    lines: {scores: output, offsets: offsetz}\n", pp + "lines.offsets: \"offsetz\" is not a declared output"},
      {"    lines: {scores: output, offsets: output, threshold: -0.1}\n", pp + "lines.threshold: expected a number from 0 to 1"},
      {"    textRegion: {output: output}\n", pp + "textRegion: unknown field"},
  };
  for (const auto& [block, expected] : cases) {
    EXPECT_THAT(errors_of(with_postprocess(block)), HasSubstr(expected)) << block;
  }
}

// spec.resources.isolation, .worker and .memory (the isolation helper's fields).
std::string with_resources(const std::string& block) {
  return replace(kSensor + "---\n" + kModel, "  postprocess:\n", "  resources:\n" + block + "  postprocess:\n");
}

TEST(ParserTest, IsolationWorkerAndMemoryParse) {
  auto docs = parse_document_text(with_resources("    isolation: process\n"
                                                 "    worker:\n"
                                                 "      timeout: 0.5\n"
                                                 "      restart: {initialDelay: 0.1, maxDelay: 4, maxAttempts: 0}\n"
                                                 "    memory: 256Mi\n"),
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(docs.ok()) << docs.status();
  const ResourceSpec& r = docs->models.at(0).spec.resources;
  EXPECT_EQ(r.isolation, Isolation::kProcess);
  EXPECT_DOUBLE_EQ(r.worker.timeout, 0.5);
  EXPECT_DOUBLE_EQ(r.worker.restart.initial_delay, 0.1);
  EXPECT_DOUBLE_EQ(r.worker.restart.max_delay, 4.0);
  EXPECT_EQ(r.worker.restart.max_attempts, 0);
  EXPECT_EQ(r.memory_limit_bytes, 256LL << 20);
  EXPECT_EQ(r.memory, "256Mi");

  auto defaults = parse_document_text(with_resources("    memory: 268435456\n"), "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  const ResourceSpec& d = defaults->models.at(0).spec.resources;
  EXPECT_EQ(d.isolation, Isolation::kInProcess);
  EXPECT_EQ(d.memory_limit_bytes, 268435456);
  EXPECT_DOUBLE_EQ(d.worker.timeout, 2.0);
  EXPECT_DOUBLE_EQ(d.worker.restart.initial_delay, 0.5);
  EXPECT_DOUBLE_EQ(d.worker.restart.max_delay, 10.0);
  EXPECT_EQ(d.worker.restart.max_attempts, 5);
}

TEST(ParserTest, IsolationWorkerAndMemoryReportBadFields) {
  const std::string rs = M + "spec.resources.";
  const std::string size = "expected a memory size above 0: bytes, or a number with Ki, Mi or Gi (e.g. 256Mi), got ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    isolation: thread\n", rs + "isolation: expected one of in-process, process, got \"thread\""},
      {"    memory: 256M\n", rs + "memory: " + size + "\"256M\""},
      {"    memory: 256MB\n", rs + "memory: " + size + "\"256MB\""},
      {"    memory: 0\n", rs + "memory: " + size + "0"},
      {"    memory: -1\n", rs + "memory: " + size + "-1"},
      {"    memory: 1.5\n", rs + "memory: " + size + "1.5"},
      {"    worker: {timeout: 1}\n", rs + "worker: worker applies to isolation: process (the model runs in-process)"},
      {"    isolation: process\n    worker: {timeout: 0}\n",
       rs + "worker.timeout: expected a number of seconds above 0 and at most 3600, got 0"},
      {"    isolation: process\n    worker: {restart: {initialDelay: 2, maxDelay: 1}}\n",
       rs + "worker.restart.maxDelay: maxDelay (1 s) is shorter than initialDelay (2 s)"},
      {"    isolation: process\n    worker: {restart: {maxAttempts: -1}}\n", rs + "worker.restart.maxAttempts: expected"},
      {"    isolation: process\n    worker: {timeout: 1, retries: 3}\n", rs + "worker.retries: unknown field"},
  };
  for (const auto& [block, expected] : cases) {
    EXPECT_THAT(errors_of(with_resources(block)), HasSubstr(expected)) << block;
  }
}


// spec.scheduling of a Model, and the Device document.
std::string with_scheduling(const std::string& block) {
  return replace(kSensor + "---\n" + kModel, "  postprocess:\n", "  scheduling:\n" + block + "  postprocess:\n");
}

const std::string kDevice =
    "apiVersion: sensix/v1\n"
    "kind: Device\n"
    "metadata: {name: edge}\n"
    "spec:\n"
    "  cores: 2\n"
    "  policy: throughput\n"
    "  accelerators:\n"
    "    - {name: ort, engine: onnxruntime, threads: 1}\n"
    "    - {name: lite, engine: tflite, device: cpu}\n";

TEST(ParserTest, SchedulingAndDeviceParse) {
  auto docs = parse_document_text(with_scheduling("    priority: high\n"
                                                  "    latency: 150ms\n"
                                                  "    policy: latency\n"
                                                  "    batch: {max: 4, delay: 20ms}\n"
                                                  "    accelerators: [ort]\n") +
                                      "---\n" + kDevice,
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(docs.ok()) << docs.status();
  const SchedulingSpec& s = docs->models.at(0).spec.scheduling;
  EXPECT_EQ(s.priority, Priority::kHigh);
  EXPECT_EQ(s.latency_ns, 150'000'000);
  ASSERT_TRUE(s.policy.has_value());
  EXPECT_EQ(*s.policy, SchedPolicy::kLatency);
  EXPECT_EQ(s.batch.max, 4);
  EXPECT_EQ(s.batch.delay_ns, 20'000'000);
  EXPECT_EQ(s.accelerators, std::vector<std::string>({"ort"}));
  ASSERT_EQ(docs->devices.size(), 1u);
  const DeviceSpec& d = docs->devices[0].spec;
  EXPECT_EQ(d.cores, 2);
  EXPECT_EQ(d.policy, SchedPolicy::kThroughput);
  ASSERT_EQ(d.accelerators.size(), 2u);
  EXPECT_EQ(d.accelerators[1].name, "lite");
  EXPECT_EQ(d.accelerators[1].engine, "tflite");
  EXPECT_EQ(d.accelerators[1].threads, 1);

  auto defaults = parse_document_text(kSensor + "---\n" + kModel, "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(defaults.ok());
  const SchedulingSpec& n = defaults->models.at(0).spec.scheduling;
  EXPECT_EQ(n.priority, Priority::kNormal);
  EXPECT_EQ(n.latency_ns, 0);
  EXPECT_FALSE(n.policy.has_value());
  EXPECT_EQ(n.batch.max, 1);
  EXPECT_TRUE(n.accelerators.empty());
  EXPECT_TRUE(defaults->devices.empty());
}

TEST(ParserTest, SchedulingAndDeviceReportBadFields) {
  const std::string sc = M + "spec.scheduling.";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    priority: urgent\n", sc + "priority: expected one of high, normal, low, got \"urgent\""},
      {"    latency: 150\n", sc + "latency: expected a duration such as 50ms or 2s"},
      {"    latency: fast\n", sc + "latency: expected a duration such as 50ms or 2s"},
      {"    policy: fastest\n", sc + "policy: expected one of latency, throughput, balanced, got \"fastest\""},
      {"    batch: {max: 0}\n", sc + "batch.max: expected"},
      {"    batch: {max: 65}\n", sc + "batch.max: expected"},
      {"    batch: {delay: 5ms}\n", sc + "batch.max: required field is missing"},
      {"    batch: {max: 1, delay: 5ms}\n", sc + "batch.delay: delay applies to batches of more than one input"},
      {"    accelerators: [ort, ort]\n", sc + "accelerators: \"ort\" is listed twice"},
      {"    accelerators: ort\n", sc + "accelerators: expected"},
      {"    deadline: 5ms\n", sc + "deadline: unknown field"},
  };
  for (const auto& [block, expected] : cases) {
    EXPECT_THAT(errors_of(with_scheduling(block)), HasSubstr(expected)) << block;
  }
  // A model that carries state between runs cannot batch.
  const std::string stateful =
      replace(replace(kSensor + "---\n" + kModel, "  postprocess:\n", "  scheduling: {batch: {max: 2}}\n  postprocess:\n"),
              "  outputs:\n", "    - name: h\n      shape: [1, 4]\n      state: {from: hn}\n  outputs:\n    - name: hn\n");
  EXPECT_THAT(errors_of(stateful), HasSubstr(sc + "batch: batch.max 2 needs inputs that do not depend on the previous "
                                                  "run, but input \"h\" is a state carried between runs"));

  const std::string dv = "t.yaml: Device/edge: spec.";
  const std::vector<std::pair<std::string, std::string>> device_cases = {
      {"  cores: 0\n", dv + "cores: expected"},
      {"  policy: fast\n", dv + "policy: expected one of latency, throughput, balanced"},
      {"  accelerators:\n    - {name: a, engine: openvino}\n", dv + "accelerators[0].engine: expected an engine: onnxruntime or tflite"},
      {"  accelerators:\n    - {name: a, engine: tflite, device: npu}\n", dv + "accelerators[0].device: expected one of cpu, gpu"},
      {"  accelerators:\n    - {name: a, engine: tflite, threads: 0}\n", dv + "accelerators[0].threads: expected"},
      {"  accelerators:\n    - {name: a, engine: tflite}\n    - {name: a, engine: onnxruntime}\n",
       dv + "accelerators[1].name: accelerator \"a\" is already defined in spec.accelerators[0]"},
      {"  accelerators:\n    - {name: A_1, engine: tflite}\n", dv + "accelerators[0].name: expected an accelerator name"},
      {"  accelerators:\n    - {engine: tflite}\n", dv + "accelerators[0].name: required field is missing"},
  };
  for (const auto& [body, expected] : device_cases) {
    EXPECT_THAT(errors_of("apiVersion: sensix/v1\nkind: Device\nmetadata: {name: edge}\nspec:\n" + body), HasSubstr(expected))
        << body;
  }
}

TEST(ParserTest, ModelsNameAcceleratorsOfTheDeviceAndOneDeviceAtMost) {
  // Unknown on the Device, with a suggestion.
  EXPECT_THAT(errors_of(with_scheduling("    accelerators: [orts]\n") + "---\n" + kDevice),
              HasSubstr(M + "spec.scheduling.accelerators[0]: accelerator \"orts\" is not one of Device/edge: \"ort\", "
                            "\"lite\" (did you mean \"ort\"?)"));
  // Without a Device: the default accelerators.
  EXPECT_THAT(errors_of(with_scheduling("    accelerators: [ort]\n")),
              HasSubstr(M + "spec.scheduling.accelerators[0]: accelerator \"ort\" is not one of the default accelerators "
                            "(no Device declares any): \"onnxruntime-cpu\", \"tflite-cpu\""));
  auto ok = parse_document_text(with_scheduling("    accelerators: [tflite-cpu, onnxruntime-cpu]\n"), "t.yaml", "/docs", kRoots);
  EXPECT_TRUE(ok.ok()) << ok.status();
  EXPECT_THAT(errors_of(kSensor + "---\n" + kDevice + "---\n" + replace(kDevice, "name: edge}", "name: other}")),
              HasSubstr("t.yaml: Device/other: kind: a document set describes one device, and Device/edge is already "
                        "defined at t.yaml line"));
}


// spec.variants: the same model in another file for another engine.
std::string with_variants(const std::string& block) {
  return replace(kSensor + "---\n" + kModel, "  postprocess:\n", "  variants:\n" + block + "  postprocess:\n");
}

TEST(ParserTest, VariantsParse) {
  auto docs = parse_document_text(with_variants("    - format: tflite\n"
                                                "      source: repo:vad.tflite\n"
                                                "      sha256: " + kSha + "\n"
                                                "      tensors: {input: \"serving_default_input:0\", output: \"Identity:0\"}\n"),
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(docs.ok()) << docs.status();
  const auto& v = docs->models.at(0).spec.variants;
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].format, ModelFormat::kTflite);
  EXPECT_EQ(v[0].engine, "tflite");
  EXPECT_EQ(v[0].path, "/repo/vad.tflite");
  EXPECT_EQ(v[0].tensors.at("input"), "serving_default_input:0");
  EXPECT_EQ(v[0].tensors.at("output"), "Identity:0");
}

TEST(ParserTest, VariantsReportBadFields) {
  const std::string vr = M + "spec.variants";
  const std::string tfl = "    - format: tflite\n      source: repo:vad.tflite\n      sha256: " + kSha + "\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    - format: onnx\n      source: repo:v2.onnx\n      sha256: " + kSha + "\n",
       vr + "[0]: a second onnxruntime variant (the model already runs on onnxruntime through spec.engine); one file per engine"},
      {tfl + tfl, vr + "[1]: a second tflite variant (the model already runs on tflite through spec.variants[0])"},
      {tfl + "      tensors: {inputs: x}\n", vr + "[0].tensors.inputs: \"inputs\" is not one of the model's declared inputs or outputs"},
      {tfl + "      engine: onnxruntime\n", vr + "[0].engine: engine onnxruntime cannot load tflite models"},
      {"    - format: tflite\n      source: repo:vad.tflite\n", vr + "[0].sha256: required field is missing"},
      {tfl + "      threads: 2\n", vr + "[0].threads: unknown field"},
  };
  for (const auto& [block, expected] : cases) {
    EXPECT_THAT(errors_of(with_variants(block)), HasSubstr(expected)) << block;
  }
  const std::string isolated = replace(with_variants(tfl), "  variants:\n", "  resources: {isolation: process}\n  variants:\n");
  EXPECT_THAT(errors_of(isolated), HasSubstr(vr + ": a model with variants runs in-process"));
}

}  // namespace
}  // namespace sensix
