// Tests of pipeline_reader.h: the steps of a Pipeline and their refusals (crops_test.cpp covers
// from.crops, event_rule_test.cpp the rule language).
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "docs/reader_test_util.h"

namespace sensix::docs_test {
namespace {

using ::testing::HasSubstr;

class PipelineReaderInvalidTest : public InvalidDocumentTest {};

TEST_P(PipelineReaderInvalidTest, ReportsTheFieldAndWhatWasExpected) { expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Table, PipelineReaderInvalidTest,
    ::testing::Values(Case{"StepFromBoth", replace(kValidSet, "{sensor: mic}", "{sensor: mic, model: head}"),
                           P + "spec.steps[0].from: only one of sensor, model may be given (got sensor and model)"},
                      Case{"ModelTwiceInPipeline", kValidSet + "    - {model: vad, from: {sensor: mic}}\n",
                           P + "spec.steps[2].model: model \"vad\" already appears in spec.steps[0] (a model may "
                               "appear once per "
                               "pipeline)"},
                      Case{"EmptySteps",
                           replace(kValidSet,
                                   "  steps:\n    - {model: vad, from: {sensor: mic}}\n    - {model: head, "
                                   "from: {model: vad}}\n",
                                   "  steps: []\n"),
                           P + "spec.steps: expected a list with at least 1 item, got an empty list"}));

}  // namespace
}  // namespace sensix::docs_test
