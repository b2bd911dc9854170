#include "models/state_tensors.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace sensix {

StateTensors::StateTensors(const ModelInstance& model) {
  const auto& inputs = model.spec().inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto* st = std::get_if<StateInputSpec>(&inputs[i].source);
    if (!st) continue;
    Tensor t(inputs[i].dtype, model.input_shape(static_cast<int>(i)));
    if (t.dtype() == DType::kFloat32) std::fill(t.values<float>().begin(), t.values<float>().end(), st->init);
    states_.push_back(std::move(t));
    state_from_output_.push_back(model.find_output(st->from_output));
  }
}

Status StateTensors::carry(const ModelInstance& model, const std::vector<Tensor>& outputs) {
  // Every size first, so that a bad output leaves the whole state as it was.
  for (size_t i = 0; i < states_.size(); ++i) {
    const Tensor& o = outputs.at(static_cast<size_t>(state_from_output_[i]));
    if (o.size() != states_[i].size()) {
      return InvalidArgument(fmt::format("Model/{}: state output has {} values, the state input needs {}", model.name(),
                                         o.size(), states_[i].size()));
    }
  }
  for (size_t i = 0; i < states_.size(); ++i) {
    const Tensor& o = outputs[static_cast<size_t>(state_from_output_[i])];
    if (o.dtype() == states_[i].dtype()) {  // into the state's own buffer, in its shape: no allocation
      if (o.byte_size() > 0) std::memcpy(states_[i].data(), o.data(), o.byte_size());
      continue;
    }
    Tensor t = o;
    SENSIX_RETURN_IF_ERROR(t.reshape(states_[i].shape()));
    states_[i] = std::move(t);
  }
  return Status::Ok();
}

std::string StateTensors::cannot_adopt(const StateTensors& from) const {
  if (from.states_.size() != states_.size()) {
    return fmt::format("the old version has {} state inputs, the new one {}", from.states_.size(), states_.size());
  }
  for (size_t i = 0; i < states_.size(); ++i) {
    const Tensor& a = from.states_[i];
    const Tensor& b = states_[i];
    if (a.dtype() != b.dtype() || a.shape() != b.shape()) {
      return fmt::format("state input {} is {} {} in the old version and {} {} in the new one", i,
                         dtype_name(a.dtype()), shape_to_string(a.shape()), dtype_name(b.dtype()),
                         shape_to_string(b.shape()));
    }
  }
  return "";
}

Status StateTensors::adopt(const StateTensors& from) {
  if (std::string why = cannot_adopt(from); !why.empty()) return InvalidArgument(why);
  for (size_t i = 0; i < states_.size(); ++i) {
    if (from.states_[i].byte_size() > 0) std::memcpy(states_[i].data(), from.states_[i].data(), states_[i].byte_size());
  }
  return Status::Ok();
}

}  // namespace sensix
