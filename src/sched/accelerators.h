// Accelerators: an engine on a device with a thread budget (docs/scheduling.md).
//
// resolve_accelerators() turns the Device document (or its absence) into the accelerators the
// scheduler runs on, checking them against the machine: `cores` no more than the machine has, each
// CPU accelerator's threads no more than `cores`, every engine known, every device one the engine
// offers here (a GPU only where the engine's build has a GPU provider). Without a Device, or one
// with no accelerators, each engine the models use gets one CPU accelerator named "<engine>-cpu"
// with a budget of every core.
//
// The cores are one budget: the CPU accelerators' lanes together never run more than `cores`
// engine threads at once (the scheduler enforces it, sched/scheduler.h), and within that each
// accelerator runs at most its own `threads`. So an idle core is usable by any engine that has
// work: listing a model's TFLite twin adds lanes that draw from the same cores, never a reserved
// share that idles while the other engine is saturated.
//
// place_model() gives, for one model, the accelerators it may run on, in preference order: those
// its document allows (`spec.scheduling.accelerators`; none = all) whose engine is one the model
// runs on (its own file's, or a variant's), with its `resources.threads` fitting in their budget.
// Each error names the model, the accelerator and the numbers.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "spec/spec.h"

namespace sensix {

struct Accelerator {
  std::string name;
  std::string engine;
  DeviceKind device = DeviceKind::kCpu;
  int threads = 1;  // engine threads that may run at once
};

struct DevicePlan {
  int cores = 1;          // cores sensix may use: the CPU accelerators' one budget of engine threads
  int machine_cores = 1;  // cores the machine has
  SchedPolicy policy = SchedPolicy::kBalanced;
  std::vector<Accelerator> accelerators;
  std::string source;  // "Device/edge in f.yaml" or "default"
};

// `engine_offers(engine, device)`: whether the engine is available here and can run on the device;
// an empty string is yes, anything else is the reason it cannot ("onnxruntime here offers
// CPUExecutionProvider only").
using EngineOffers = std::function<std::string(std::string_view engine, DeviceKind device)>;

// `engines_in_use`: the engines the documents' models run on (for the default accelerators).
Result<DevicePlan> resolve_accelerators(const DocumentSet& docs, int machine_cores,
                                        const std::vector<std::string>& engines_in_use,
                                        const EngineOffers& engine_offers);

// Indices into plan.accelerators, in preference order. `engines`: those the model loads on.
Result<std::vector<int>> place_model(const ModelDoc& model, const std::vector<std::string>& engines,
                                     const DevicePlan& plan);

// The policy a model runs under: its own, else the device's.
SchedPolicy policy_of(const ModelDoc& model, const DevicePlan& plan);

}  // namespace sensix
