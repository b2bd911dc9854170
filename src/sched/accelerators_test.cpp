#include "sched/accelerators.h"

#include <gtest/gtest.h>

namespace sensix {
namespace {

std::string cpu_only(std::string_view engine, DeviceKind d) {
  if (d == DeviceKind::kGpu) return std::string(engine) + " here offers CPUExecutionProvider only";
  return "";
}

DocumentSet with_device(int cores, std::vector<AcceleratorSpec> accs) {
  DocumentSet docs;
  DeviceDoc d;
  d.origin.file = "d.yaml";
  d.metadata.name = "edge";
  d.spec.cores = cores;
  d.spec.accelerators = std::move(accs);
  docs.devices.push_back(d);
  return docs;
}

ModelDoc model(std::string name, int threads, std::vector<std::string> allowed = {}) {
  ModelDoc m;
  m.origin.file = "m.yaml";
  m.metadata.name = std::move(name);
  m.spec.resources.threads = threads;
  m.spec.scheduling.accelerators = std::move(allowed);
  return m;
}

TEST(Accelerators, ByDefaultEveryEngineInUseMayUseEveryCore) {
  auto plan = resolve_accelerators(DocumentSet{}, 4, {"onnxruntime", "tflite", "onnxruntime"}, cpu_only);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->accelerators.size(), 2u);
  EXPECT_EQ(plan->accelerators[0].name, "onnxruntime-cpu");
  EXPECT_EQ(plan->accelerators[0].threads, 4);  // the scheduler keeps both within the 4 cores together
  EXPECT_EQ(plan->accelerators[1].name, "tflite-cpu");
  EXPECT_EQ(plan->accelerators[1].threads, 4);
  EXPECT_EQ(plan->cores, 4);
  auto one = resolve_accelerators(DocumentSet{}, 2, {"onnxruntime"}, cpu_only);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->accelerators.size(), 1u);
  EXPECT_EQ(one->accelerators[0].threads, 2);
}

TEST(Accelerators, ThreadBudgetsAboveTheCoresAreRejectedWithTheNumbers) {
  // The CPU accelerators share the cores, so budgets may add up to more than the cores...
  auto shared = resolve_accelerators(with_device(0, {{"a", "onnxruntime", DeviceKind::kCpu, 2},
                                                     {"b", "tflite", DeviceKind::kCpu, 1}}),
                                     2, {}, cpu_only);
  ASSERT_TRUE(shared.ok()) << shared.status().message();
  EXPECT_EQ(shared->cores, 2);
  // ... but none may have more threads than there are cores.
  auto plan = resolve_accelerators(with_device(0, {{"a", "onnxruntime", DeviceKind::kCpu, 1},
                                                   {"b", "tflite", DeviceKind::kCpu, 3}}),
                                   2, {}, cpu_only);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "d.yaml: Device/edge: spec.accelerators[1].threads: 3 threads for \"b\", more than the 2 cores of this "
            "machine (the CPU accelerators share the cores; each may use at most all of them)");
  auto declared = resolve_accelerators(with_device(1, {{"a", "onnxruntime", DeviceKind::kCpu, 2}}), 2, {}, cpu_only);
  ASSERT_FALSE(declared.ok());
  EXPECT_EQ(declared.status().message(),
            "d.yaml: Device/edge: spec.accelerators[0].threads: 2 threads for \"a\", more than the 1 cores the device "
            "declares (the CPU accelerators share the cores; each may use at most all of them)");
  auto cores = resolve_accelerators(with_device(8, {}), 2, {}, cpu_only);
  ASSERT_FALSE(cores.ok());
  EXPECT_EQ(cores.status().message(), "d.yaml: Device/edge: spec.cores: 8 cores asked for, but this machine has 2");
}

TEST(Accelerators, AGpuTheEngineDoesNotOfferHereIsRejected) {
  auto plan = resolve_accelerators(with_device(0, {{"gpu", "onnxruntime", DeviceKind::kGpu, 1}}), 2, {}, cpu_only);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "d.yaml: Device/edge: spec.accelerators[0] (gpu): onnxruntime on gpu: onnxruntime here offers "
            "CPUExecutionProvider only");
}

TEST(Accelerators, PlacementKeepsTheModelsOrderAndItsEngine) {
  auto plan = resolve_accelerators(with_device(0, {{"ort-a", "onnxruntime", DeviceKind::kCpu, 1},
                                                   {"lite", "tflite", DeviceKind::kCpu, 1}}),
                                   2, {}, cpu_only);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  auto any = place_model(model("m", 1), {"onnxruntime"}, *plan);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(*any, std::vector<int>({0}));
  auto wrong = place_model(model("m", 1, {"lite"}), {"onnxruntime"}, *plan);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            "m.yaml: Model/m: spec.scheduling.accelerators: \"lite\" runs tflite, but this model runs on onnxruntime");
  auto unknown = place_model(model("m", 1, {"npu"}), {"onnxruntime"}, *plan);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "m.yaml: Model/m: spec.scheduling.accelerators: unknown accelerator \"npu\" (the device has \"ort-a\", "
            "\"lite\")");
  auto big = place_model(model("m", 2, {"ort-a"}), {"onnxruntime"}, *plan);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(),
            "m.yaml: Model/m: spec.resources.threads: 2 threads per run, but accelerator \"ort-a\" has a budget of 1");
  auto big_any = place_model(model("m", 2), {"onnxruntime"}, *plan);
  ASSERT_FALSE(big_any.ok());
  EXPECT_EQ(big_any.status().message(),
            "m.yaml: Model/m: spec.resources.threads: 2 threads per run, more than any onnxruntime accelerator's "
            "budget "
            "(\"ort-a\" has 1 threads)");
}

}  // namespace
}  // namespace sensix
