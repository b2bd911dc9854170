// Tests of validate.h: the checks across documents (names, references, modalities, cycles,
// accelerators against the Device), with the exact messages a user sees.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

using ::testing::HasSubstr;

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
            "api: Pipeline/p: spec.steps[0].model: model \"m\" is not defined (no Model is defined)\n"
            "api: Pipeline/p: spec.steps[0].from.sensor: sensor \"s\" is not defined (no Sensor is defined)");
}

TEST(ValidateReferencesTest, ModelsNameAcceleratorsOfTheDeviceAndOneDeviceAtMost) {
  // Unknown on the Device, with a suggestion.
  EXPECT_THAT(errors_of(with_scheduling("    accelerators: [orts]\n") + "---\n" + kDevice),
              HasSubstr(M + "spec.scheduling.accelerators[0]: accelerator \"orts\" is not one of Device/edge: \"ort\", "
                            "\"lite\" (did you mean \"ort\"?)"));
  // Without a Device: the default accelerators.
  EXPECT_THAT(errors_of(with_scheduling("    accelerators: [ort]\n")),
              HasSubstr(M +
                        "spec.scheduling.accelerators[0]: accelerator \"ort\" is not one of the default accelerators "
                        "(no Device declares any): \"onnxruntime-cpu\", \"tflite-cpu\""));
  auto ok = parse_document_text(with_scheduling("    accelerators: [tflite-cpu, onnxruntime-cpu]\n"), "t.yaml", "/docs",
                                kRoots);
  EXPECT_TRUE(ok.ok()) << ok.status();
  EXPECT_THAT(errors_of(kSensor + "---\n" + kDevice + "---\n" + replace(kDevice, "name: edge}", "name: other}")),
              HasSubstr("t.yaml: Device/other: kind: a document set describes one device, and Device/edge is already "
                        "defined at t.yaml line"));
}

class ValidateReferencesInvalidTest : public InvalidDocumentTest {};

TEST_P(ValidateReferencesInvalidTest, ReportsTheFieldAndWhatWasExpected) { expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Table, ValidateReferencesInvalidTest,
    ::testing::Values(
        Case{"DuplicateName", kSensor + "---\n" + kSensor,
             S + "metadata.name: Sensor \"mic\" is already defined at t.yaml line 1 (line 8)"},
        Case{"UndefinedModel", replace(kValidSet, "{model: head, from", "{model: haed, from"),
             P + "spec.steps[1].model: model \"haed\" is not defined (did you mean \"head\"?)"},
        Case{"UndefinedUpstream", replace(kValidSet, "from: {model: vad}", "from: {model: vda}"),
             P + "spec.steps[1].from.model: model \"vda\" is not defined (did you mean \"vad\"?)"},
        Case{"UndefinedSensor", replace(kValidSet, "{sensor: mic}", "{sensor: camera}"),
             P + "spec.steps[0].from.sensor: sensor \"camera\" is not defined (the Sensors defined: \"mic\")"},
        Case{"UndefinedModelListsTheModels", replace(kValidSet, "{model: head, from", "{model: weather, from"),
             P + "spec.steps[1].model: model \"weather\" is not defined (the Models defined: \"vad\", \"head\")"},
        Case{"UpstreamNotInPipeline", replace(kValidSet, "    - {model: vad, from: {sensor: mic}}\n", ""),
             P + "spec.steps[0].from.model: Model/vad is not a step of Pipeline/voice (add a step for it)"},
        Case{"UndeclaredUpstreamOutput", replace(kValidSet, "from: {model: vad}", "from: {model: vad, output: out}"),
             P + "spec.steps[1].from.output: Model/vad declares no output \"out\" (it declares \"output\")"},
        Case{"AmbiguousUpstreamOutput",
             replace(kValidSet, "    - name: output\n", "    - name: output\n    - name: aux\n"),
             P + "spec.steps[1].from: Model/vad declares 2 outputs (\"output\", \"aux\"); name one with from.output"},
        Case{"ModalityMismatch", replace(kValidSet, "driver: audio-file", "driver: image-folder"),
             P + "spec.steps[0].from.sensor: Sensor/mic (image-folder) gives image data, but Model/vad's data input "
                 "\"input\" takes audio"},
        Case{"SyntheticModalityMismatch", set_of(kSynthVideo, kModel, kHead, kPipeline),
             P + "spec.steps[0].from.sensor: Sensor/mic (synthetic) gives image data, but Model/vad's data input "
                 "\"input\" takes audio"},
        Case{"StreamInputFedBySensor",
             replace(kValidSet, "{model: head, from: {model: vad}}", "{model: head, from: {sensor: mic}}"),
             P + "spec.steps[1].from.sensor: Model/head's data input \"x\" is a stream of another model's output; feed "
                 "it with from.model, not from Sensor/mic"},
        Case{"AudioInputFedByModel",
             replace(kValidSet, "{model: vad, from: {sensor: mic}}", "{model: vad, from: {model: head}}"),
             P + "spec.steps[0].from.model: Model/vad's data input \"input\" takes audio from a Sensor (from.sensor), "
                 "not another model's output"},
        Case{"Cycle",
             replace(replace(kValidSet, "{model: vad, from: {sensor: mic}}", "{model: head2, from: {model: head}}"),
                     "{model: head, from: {model: vad}}", "{model: head, from: {model: head2}}") +
                 "---\n" + replace(kHead, "name: head}", "name: head2}"),
             P + "spec.steps[0].from.model: cycle: head2 -> head -> head2"},
        Case{"FeedsItself", replace(kValidSet, "from: {model: vad}", "from: {model: head}"),
             P + "spec.steps[1].from.model: model \"head\" cannot feed itself"}));

}  // namespace
}  // namespace sensix::docs_test
