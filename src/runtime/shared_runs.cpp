#include "runtime/shared_runs.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sensix {

void SharedRuns::add(int task, SharedRunPart* part) {
  std::lock_guard<std::mutex> lock(mu_);
  parts_[task] = part;
}

void SharedRuns::remove(int task) {
  std::lock_guard<std::mutex> lock(mu_);
  parts_.erase(task);
}

void SharedRuns::run(int accelerator, std::vector<Scheduler::SharedPart>& parts) {
  std::vector<SharedRunPart*> of(parts.size(), nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t p = 0; p < parts.size(); ++p) {
      auto it = parts_.find(parts[p].task);
      if (it != parts_.end()) of[p] = it->second;
    }
  }
  for (size_t p = 0; p < parts.size(); ++p) {
    if (of[p] != nullptr) continue;
    // Only a task whose part is here shares runs (a bug otherwise): its inputs go (a request's
    // answer says so, from its payload's destructor).
    spdlog::error("a shared run holds {} input(s) of task {}, which gave no part; they are dropped",
                  parts[p].inputs.size(), parts[p].task);
    parts[p].inputs.clear();
  }
  // Every part's run mutex, each once, in one order (by address: the parts' own runs hold one at a time).
  std::vector<std::mutex*> mutexes;
  for (SharedRunPart* part : of) {
    if (part != nullptr) mutexes.push_back(&part->run_mutex());
  }
  std::sort(mutexes.begin(), mutexes.end());
  mutexes.erase(std::unique(mutexes.begin(), mutexes.end()), mutexes.end());
  bool joint = true;
  {
    std::vector<std::unique_lock<std::mutex>> held;
    held.reserve(mutexes.size());
    for (std::mutex* m : mutexes) held.emplace_back(*m);
    ModelInstance* version = nullptr;
    int session = -1;
    for (SharedRunPart* part : of) {
      if (part == nullptr) continue;
      int s = 0;
      ModelInstance* v = part->shared_version(accelerator, &s);
      joint = joint && v != nullptr && (version == nullptr || (v == version && s == session));
      if (version == nullptr) version = v, session = s;
    }
    if (joint) {
      std::vector<const Tensor*> data;
      std::vector<size_t> first(parts.size(), 0);  // each part's first input in `data`
      for (size_t p = 0; p < parts.size(); ++p) {
        first[p] = data.size();
        if (of[p] != nullptr) of[p]->take(accelerator, parts[p].inputs, &data);
      }
      joint = std::all_of(data.begin(), data.end(), [&](const Tensor* t) {
        return t->shape() == data.front()->shape() && t->dtype() == data.front()->dtype();
      });
      if (joint && !data.empty()) {
        const TimePoint start = env_->now();
        Result<std::vector<std::vector<Tensor>>> out = version->run_batch(data, session);
        const TimePoint end = env_->now();
        std::vector<Result<std::vector<Tensor>>> each;
        each.reserve(data.size());
        for (size_t k = 0; k < data.size(); ++k) {
          each.push_back(out.ok() ? Result<std::vector<Tensor>>(std::move((*out)[k])) : out.status());
        }
        for (size_t p = 0; p < parts.size(); ++p) {
          if (of[p] == nullptr) continue;
          std::span<Result<std::vector<Tensor>>> mine(each.data() + first[p], parts[p].inputs.size());
          of[p]->done(accelerator, parts[p].inputs, mine, start, end, static_cast<int>(data.size()));
        }
      }
    }
  }
  if (joint) return;
  for (size_t p = 0; p < parts.size(); ++p) {
    if (of[p] != nullptr && !parts[p].inputs.empty()) of[p]->run_alone(accelerator, parts[p].inputs);
  }
}

}  // namespace sensix
