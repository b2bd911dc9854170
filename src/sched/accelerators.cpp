#include "sched/accelerators.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace sensix {

Result<DevicePlan> resolve_accelerators(const DocumentSet& docs, int machine_cores,
                                        const std::vector<std::string>& engines_in_use,
                                        const EngineOffers& engine_offers) {
  DevicePlan plan;
  plan.machine_cores = std::max(1, machine_cores);
  plan.cores = plan.machine_cores;
  plan.source = "default";
  const DeviceDoc* device = docs.devices.empty() ? nullptr : &docs.devices[0];
  const std::string label = device ? doc_label(*device) : "the default device";
  if (device) {
    plan.source = doc_label(*device);
    plan.policy = device->spec.policy;
    if (device->spec.cores > plan.machine_cores) {
      return InvalidArgument(fmt::format("{}: spec.cores: {} cores asked for, but this machine has {}", label,
                                         device->spec.cores, plan.machine_cores));
    }
    if (device->spec.cores > 0) plan.cores = device->spec.cores;
    for (const auto& a : device->spec.accelerators) {
      plan.accelerators.push_back(Accelerator{a.name, a.engine, a.device, a.threads});
    }
  }
  if (plan.accelerators.empty()) {
    std::vector<std::string> engines;
    for (const auto& e : engines_in_use) {
      if (std::find(engines.begin(), engines.end(), e) == engines.end()) engines.push_back(e);
    }
    if (engines.empty()) engines.push_back("onnxruntime");
    // Every engine may use every core: the scheduler's lanes of all CPU accelerators draw from
    // the one budget of `cores`, so an idle core serves whichever engine has work.
    for (const auto& e : engines) {
      plan.accelerators.push_back(Accelerator{e + "-cpu", e, DeviceKind::kCpu, plan.cores});
    }
    return plan;
  }
  for (size_t i = 0; i < plan.accelerators.size(); ++i) {
    const Accelerator& a = plan.accelerators[i];
    if (engine_offers) {
      std::string why = engine_offers(a.engine, a.device);
      if (!why.empty()) {
        return InvalidArgument(fmt::format("{}: spec.accelerators[{}] ({}): {} on {}: {}", label, i, a.name, a.engine,
                                           device_kind_name(a.device), why));
      }
    }
    // GPU accelerators' threads are the host threads that drive them; CPU threads run on the
    // cores, which all CPU accelerators share (one budget), so each may have at most `cores`.
    if (a.device == DeviceKind::kCpu && a.threads > plan.cores) {
      return InvalidArgument(
          fmt::format("{}: spec.accelerators[{}].threads: {} threads for \"{}\", more than the {} cores{} (the CPU "
                      "accelerators share the cores; each may use at most all of them)",
                      label, i, a.threads, a.name, plan.cores,
                      device->spec.cores > 0 ? " the device declares" : " of this machine"));
    }
  }
  return plan;
}

Result<std::vector<int>> place_model(const ModelDoc& model, const std::vector<std::string>& engines,
                                     const DevicePlan& plan) {
  const SchedulingSpec& s = model.spec.scheduling;
  std::string engine;  // "onnxruntime" or "onnxruntime or tflite", for messages
  for (const auto& e : engines) engine += (engine.empty() ? "" : " or ") + e;
  const int threads = model.spec.resources.threads;
  std::vector<int> out;
  std::string refused;
  auto consider = [&](int i, bool named) -> Status {
    const Accelerator& a = plan.accelerators[static_cast<size_t>(i)];
    if (std::find(engines.begin(), engines.end(), a.engine) == engines.end()) {
      if (named) {
        return InvalidArgument(
            fmt::format("{}: spec.scheduling.accelerators: \"{}\" runs {}, but this model runs on {}", doc_label(model),
                        a.name, a.engine, engine));
      }
      return Status::Ok();
    }
    if (threads > a.threads) {
      if (named) {
        return InvalidArgument(
            fmt::format("{}: spec.resources.threads: {} threads per run, but accelerator \"{}\" has a budget of {}",
                        doc_label(model), threads, a.name, a.threads));
      }
      refused += fmt::format("{}\"{}\" has {} threads", refused.empty() ? "" : ", ", a.name, a.threads);
      return Status::Ok();
    }
    out.push_back(i);
    return Status::Ok();
  };
  if (!s.accelerators.empty()) {
    for (const auto& name : s.accelerators) {
      int found = -1;
      for (size_t i = 0; i < plan.accelerators.size(); ++i) {
        if (plan.accelerators[i].name == name) found = static_cast<int>(i);
      }
      if (found < 0) {
        std::string known;
        for (const auto& a : plan.accelerators) known += fmt::format("{}\"{}\"", known.empty() ? "" : ", ", a.name);
        return InvalidArgument(
            fmt::format("{}: spec.scheduling.accelerators: unknown accelerator \"{}\" (the device has {})",
                        doc_label(model), name, known));
      }
      SENSIX_RETURN_IF_ERROR(consider(found, true));
    }
  } else {
    for (size_t i = 0; i < plan.accelerators.size(); ++i) SENSIX_RETURN_IF_ERROR(consider(static_cast<int>(i), false));
  }
  if (out.empty()) {
    std::string have;
    for (const auto& a : plan.accelerators)
      have += fmt::format("{}\"{}\" ({})", have.empty() ? "" : ", ", a.name, a.engine);
    if (!refused.empty()) {
      return InvalidArgument(
          fmt::format("{}: spec.resources.threads: {} threads per run, more than any {} accelerator's "
                      "budget ({})",
                      doc_label(model), threads, engine, refused));
    }
    return InvalidArgument(
        fmt::format("{}: no accelerator runs {} (the device has {})", doc_label(model), engine, have));
  }
  return out;
}

SchedPolicy policy_of(const ModelDoc& model, const DevicePlan& plan) {
  return model.spec.scheduling.policy.value_or(plan.policy);
}

}  // namespace sensix
