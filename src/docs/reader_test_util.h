// Shared by the docs/ reader tests (*_reader_test.cpp, parser_test.cpp, validate_test.cpp,
// paths_test.cpp): valid base documents to edit, a parse helper that returns the error text, and
// the fixture of the tables of invalid documents. Each document's line numbers in the comments
// are what the expected messages refer to.
#pragma once

#include <ostream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/parser.h"

namespace sensix::docs_test {

inline const ParseOptions kRoots{"/repo", "/samples"};

inline std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "test bug: \"" << from << "\" not in the base document";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

// Parses `text` as "t.yaml" and returns the error text ("" when it parsed).
inline std::string errors_of(const std::string& text) {
  auto r = parse_document_text(text, "t.yaml", "/docs", kRoots);
  return r.ok() ? std::string() : r.status().message();
}

// ---------------------------------------------------------------------------------------------
// Base documents (line numbers in the comments are what the messages below refer to).

inline const std::string kSensor =
    "apiVersion: sensix/v1\n"   // 1
    "kind: Sensor\n"            // 2
    "metadata: {name: mic}\n"   // 3
    "spec:\n"                   // 4
    "  driver: audio-file\n"    // 5
    "  path: samples:a.wav\n";  // 6

// Live sensors under the same name.
inline const std::string kMqtt =
    "apiVersion: sensix/v1\n"                                        // 1
    "kind: Sensor\n"                                                 // 2
    "metadata: {name: mic}\n"                                        // 3
    "spec:\n"                                                        // 4
    "  driver: mqtt\n"                                               // 5
    "  mqtt: {topic: imu/1, fields: [ax, ay, az], timestamp: t}\n";  // 6
inline const std::string kCamera =
    "apiVersion: sensix/v1\n"              // 1
    "kind: Sensor\n"                       // 2
    "metadata: {name: mic}\n"              // 3
    "spec:\n"                              // 4
    "  driver: network-camera\n"           // 5
    "  url: rtsp://127.0.0.1:8554/cam\n";  // 6

// A synthetic audio sensor under the same name, so that it can stand in for kSensor in kValidSet.
inline const std::string kSynth =
    "apiVersion: sensix/v1\n"                         // 1
    "kind: Sensor\n"                                  // 2
    "metadata: {name: mic}\n"                         // 3
    "spec:\n"                                         // 4
    "  driver: synthetic\n"                           // 5
    "  synthetic: {signal: sine, frequency: 1000}\n"  // 6
    "  audio: {sampleRate: 16000, channels: 1}\n";    // 7

// A synthetic video sensor.
inline const std::string kSynthVideo =
    "apiVersion: sensix/v1\n"                         // 1
    "kind: Sensor\n"                                  // 2
    "metadata: {name: mic}\n"                         // 3
    "spec:\n"                                         // 4
    "  driver: synthetic\n"                           // 5
    "  synthetic: {signal: bars}\n"                   // 6
    "  video: {width: 320, height: 240, fps: 10}\n";  // 7

inline const std::string kSha = std::string(64, 'a');

inline const std::string kModel =
    "apiVersion: sensix/v1\n"    // 1
    "kind: Model\n"              // 2
    "metadata: {name: vad}\n"    // 3
    "spec:\n"                    // 4
    "  format: onnx\n"           // 5
    "  source: repo:vad.onnx\n"  // 6
    "  sha256: " +
    kSha +
    "\n"                                                         // 7
    "  version: \"5\"\n"                                         // 8
    "  inputs:\n"                                                // 9
    "    - name: input\n"                                        // 10
    "      audio: {sampleRate: 16000, window: 512, hop: 512}\n"  // 11
    "  outputs:\n"                                               // 12
    "    - name: output\n"                                       // 13
    "  postprocess:\n"                                           // 14
    "    classify: {output: output, labels: [speech]}\n";        // 15

// A head fed by vad's output (a stream input).
inline const std::string kHead =
    "apiVersion: sensix/v1\n"
    "kind: Model\n"
    "metadata: {name: head}\n"
    "spec:\n"
    "  format: tflite\n"
    "  source: head.tflite\n"
    "  sha256: " +
    kSha +
    "\n"
    "  version: \"1\"\n"
    "  inputs:\n"
    "    - name: x\n"
    "      stream: {window: 16, hop: 1}\n"
    "  outputs:\n"
    "    - name: y\n";

inline const std::string kPipeline =
    "apiVersion: sensix/v1\n"
    "kind: Pipeline\n"
    "metadata: {name: voice}\n"
    "spec:\n"
    "  steps:\n"
    "    - {model: vad, from: {sensor: mic}}\n"
    "    - {model: head, from: {model: vad}}\n";

inline std::string set_of(const std::string& sensor, const std::string& model, const std::string& head,
                          const std::string& pipeline) {
  return sensor + "---\n" + model + "---\n" + head + "---\n" + pipeline;
}
inline const std::string kValidSet = set_of(kSensor, kModel, kHead, kPipeline);

// The message prefixes of the base documents.
inline const std::string M = "t.yaml: Model/vad: ";
inline const std::string S = "t.yaml: Sensor/mic: ";
inline const std::string P = "t.yaml: Pipeline/voice: ";

// spec.scheduling of kModel (`block` is indented 4 spaces), after kSensor.
inline std::string with_scheduling(const std::string& block) {
  return replace(kSensor + "---\n" + kModel, "  postprocess:\n", "  scheduling:\n" + block + "  postprocess:\n");
}

inline const std::string kDevice =
    "apiVersion: sensix/v1\n"
    "kind: Device\n"
    "metadata: {name: edge}\n"
    "spec:\n"
    "  cores: 2\n"
    "  policy: throughput\n"
    "  accelerators:\n"
    "    - {name: ort, engine: onnxruntime, threads: 1}\n"
    "    - {name: lite, engine: tflite, device: cpu}\n";

// An invalid document and the message (or the part of it) the user must see.
struct Case {
  const char* name;
  std::string text;
  std::string expected;  // a substring of the error text; whole lines where practical
};

inline std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

// Each test file derives its own suite from this fixture and instantiates it with its cases.
class InvalidDocumentTest : public ::testing::TestWithParam<Case> {
 protected:
  static void expect_rejected(const Case& c) {
    auto r = parse_document_text(c.text, "t.yaml", "/docs", kRoots);
    ASSERT_FALSE(r.ok()) << "parsed:\n" << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr(c.expected));
  }
};

}  // namespace sensix::docs_test
