// Tests of device_reader.h: the Device document (cores, policy, accelerators) and its refusals.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

using ::testing::HasSubstr;

TEST(DeviceReaderTest, DeviceParses) {
  auto docs = parse_document_text(with_scheduling("    priority: high\n"
                                                  "    latency: 150ms\n"
                                                  "    policy: latency\n"
                                                  "    batch: {max: 4, delay: 20ms}\n"
                                                  "    accelerators: [ort]\n") +
                                      "---\n" + kDevice,
                                  "t.yaml", "/docs", kRoots);
  ASSERT_TRUE(docs.ok()) << docs.status();
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
  EXPECT_TRUE(defaults->devices.empty());
}

TEST(DeviceReaderTest, DeviceReportsBadFields) {
  const std::string dv = "t.yaml: Device/edge: spec.";
  const std::vector<std::pair<std::string, std::string>> device_cases = {
      {"  cores: 0\n", dv + "cores: expected"},
      {"  policy: fast\n", dv + "policy: expected one of latency, throughput, balanced"},
      {"  accelerators:\n    - {name: a, engine: openvino}\n",
       dv + "accelerators[0].engine: expected an engine: onnxruntime or tflite"},
      {"  accelerators:\n    - {name: a, engine: tflite, device: npu}\n",
       dv + "accelerators[0].device: expected one of cpu, gpu"},
      {"  accelerators:\n    - {name: a, engine: tflite, threads: 0}\n", dv + "accelerators[0].threads: expected"},
      {"  accelerators:\n    - {name: a, engine: tflite}\n    - {name: a, engine: onnxruntime}\n",
       dv + "accelerators[1].name: accelerator \"a\" is already defined in spec.accelerators[0]"},
      {"  accelerators:\n    - {name: A_1, engine: tflite}\n",
       dv + "accelerators[0].name: expected an accelerator name"},
      {"  accelerators:\n    - {engine: tflite}\n", dv + "accelerators[0].name: required field is missing"},
  };
  for (const auto& [body, expected] : device_cases) {
    EXPECT_THAT(errors_of("apiVersion: sensix/v1\nkind: Device\nmetadata: {name: edge}\nspec:\n" + body),
                HasSubstr(expected))
        << body;
  }
}

}  // namespace
}  // namespace sensix::docs_test
