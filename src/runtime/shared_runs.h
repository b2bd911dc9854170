// SharedRuns: the engine runs that a model's scheduler tasks share (sched/scheduler.h,
// TaskOptions::share_runs). A model that batches (spec.scheduling.batch.max > 1) has a task per
// sensor stream and one per request class; sharing runs, a request batches with the sensors'
// frames, and the frames of several sensors batch together, in one ModelInstance::run_batch.
//
// Each task that shares gives its part here (SharedRunPart: the sensor graph's model node, the
// request task). The scheduler's join function is run(): it holds every part's run mutex (one
// lock each, in one order), and where every part runs one version of the model, on one session,
// with inputs of one shape, it runs all their inputs in one engine run and gives each part its
// outputs; otherwise (a rollout's candidate beside a part, a version switched in one part and not
// yet in another, inputs of different shapes) each part runs its inputs alone, as its own task
// would have. So a shared run never mixes versions and never changes what a part answers.
//
// Lifecycle: a part is added with its task and removed before it is destroyed, which the
// scheduler's remove_task() (it waits for a shared run holding the task's inputs) or stop()
// makes safe. Thread-safety: every method from any thread.
#pragma once

#include <map>
#include <mutex>
#include <span>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "common/tensor.h"
#include "models/model_instance.h"
#include "sched/scheduler.h"

namespace sensix {

class SharedRunPart {
 public:
  virtual ~SharedRunPart() = default;
  // Held for the length of a shared run: the part's version does not change meanwhile (the
  // mutex its own runs hold). Several parts may have the same one.
  virtual std::mutex& run_mutex() = 0;
  // With run_mutex() held: the version that runs the part's inputs now and its session on
  // `accelerator`, or nullptr where they must run alone (a candidate beside it, a stopped version).
  virtual ModelInstance* shared_version(int accelerator, int* session) = 0;
  // With run_mutex() held: removes from `inputs` those it does not run (a request answered or
  // timed out already), dealing with each, and appends the data tensor of each one left, in order.
  // The tensors stay valid while `inputs` does.
  virtual void take(int accelerator, std::vector<TaskInput>& inputs, std::vector<const Tensor*>* data) = 0;
  // With run_mutex() held: the outputs of what take() left in `inputs`, in order (each an error
  // where the run failed); the run went from `start` to `end` and ran `size` inputs in all.
  virtual void done(int accelerator, std::vector<TaskInput>& inputs, std::span<Result<std::vector<Tensor>>> outputs,
                    TimePoint start, TimePoint end, int size) = 0;
  // Without any lock held: runs `inputs` as the task's own run does.
  virtual void run_alone(int accelerator, std::vector<TaskInput>& inputs) = 0;
};

class SharedRuns {
 public:
  explicit SharedRuns(Env* env = Env::Default()) : env_(env) {}
  SharedRuns(const SharedRuns&) = delete;
  SharedRuns& operator=(const SharedRuns&) = delete;

  void add(int task, SharedRunPart* part);
  void remove(int task);
  // The scheduler's join function (Scheduler::Options::join).
  void run(int accelerator, std::vector<Scheduler::SharedPart>& parts);

 private:
  Env* env_;
  mutable std::mutex mu_;
  std::map<int, SharedRunPart*> parts_;
};

}  // namespace sensix
