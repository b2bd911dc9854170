// StateTensors: the state a stateful model carries from one run to the next (its state inputs,
// spec.inputs[].state: Silero VAD's `state` fed by its `stateN` output), for one stream: a sensor's
// (ModelStream) or a request sequence's (RequestTasks). Starts at each state input's `init` value.
//
// Thread-safety: none; one stream or sequence uses it at a time.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "models/model_instance.h"

namespace sensix {

class StateTensors {
 public:
  // The model's state inputs at their init values (none for a stateless model).
  explicit StateTensors(const ModelInstance& model);

  bool empty() const { return states_.empty(); }
  // One tensor per state input, in spec order: what ModelInstance::run takes.
  std::span<const Tensor> tensors() const { return states_; }
  // Takes the next state from a run's declared outputs. InvalidArgument (naming the model) when an
  // output feeding a state has another size; the state is then left as it was.
  Status carry(const ModelInstance& model, const std::vector<Tensor>& outputs);
  // Whether `from` (another version of the model) holds state this one can take: as many state
  // inputs, each of the same dtype and shape, in spec order. "" when it does; else why not.
  std::string cannot_adopt(const StateTensors& from) const;
  // Takes `from`'s state values (a new version going on from the old one's last run);
  // InvalidArgument with cannot_adopt()'s reason, and the state left as it was, when it cannot.
  Status adopt(const StateTensors& from);

 private:
  std::vector<Tensor> states_;          // one per state input, in spec order
  std::vector<int> state_from_output_;  // declared output index feeding each state
};

}  // namespace sensix
