#include "models/model_stream.h"

#include <algorithm>

#include <fmt/format.h>

namespace sensix {

void ModelStream::set_pipelines(std::vector<std::string> pipelines) {
  std::lock_guard<std::mutex> lock(pipelines_mu_);
  pipelines_ = std::move(pipelines);
}

std::vector<std::string> ModelStream::pipelines() const {
  std::lock_guard<std::mutex> lock(pipelines_mu_);
  return pipelines_;
}

Result<std::unique_ptr<ModelStream>> ModelStream::create(ModelInstance* model, std::vector<std::string> pipelines,
                                                         std::string sensor) {
  std::unique_ptr<ModelStream> s(new ModelStream());
  s->model_ = model;
  s->pipelines_ = std::move(pipelines);
  s->sensor_ = std::move(sensor);
  s->states_.emplace(*model);
  SENSIX_ASSIGN_OR_RETURN(s->post_, Postprocessor::create(*model));
  return s;
}

Result<StreamResult> ModelStream::infer(const StreamInput& in, int session) {
  auto outputs = model_->run(*in.data, states_->tensors(), session);
  if (!outputs.ok()) return outputs.status();
  // Carry state: the next call sees this call's outputs.
  if (Status carried = states_->carry(*model_, *outputs); !carried.ok()) {
    model_->record_error(carried);
    return carried;
  }
  return finish(in, std::move(outputs).value());
}

std::vector<Result<StreamResult>> ModelStream::infer_batch(std::span<const StreamInput> ins, int session) {
  std::vector<Result<StreamResult>> results;
  results.reserve(ins.size());
  std::vector<const Tensor*> data;
  for (const auto& in : ins) data.push_back(in.data);
  Result<std::vector<std::vector<Tensor>>> outputs = Internal(
      fmt::format("Model/{} carries state between runs; it cannot run batches", model_->name()));
  if (states_->empty()) outputs = model_->run_batch(data, session);
  if (!outputs.ok()) {
    for (size_t k = 0; k < ins.size(); ++k) results.emplace_back(outputs.status());
    return results;
  }
  for (size_t k = 0; k < ins.size(); ++k) results.push_back(finish(ins[k], std::move((*outputs)[k])));
  return results;
}

Result<StreamResult> ModelStream::complete(const StreamInput& in, Result<std::vector<Tensor>> outputs) {
  if (!outputs.ok()) return outputs.status();
  if (!states_->empty()) {
    return Internal(fmt::format("Model/{} carries state between runs; it cannot share runs", model_->name()));
  }
  return finish(in, std::move(outputs).value());
}

Result<StreamResult> ModelStream::finish(const StreamInput& in, std::vector<Tensor> outputs) {
  StreamResult r;
  auto shared = std::make_shared<std::vector<Tensor>>(std::move(outputs));
  r.outputs = shared;
  bool predicted = false;
  if (post_) {
    Prediction p;
    auto fired = post_->process(*shared, in.geometry, &p);
    if (!fired.ok()) {
      Status err = fired.status().with_context("Model/" + model_->name());
      model_->record_error(err);
      return err;
    }
    if (observed_.load(std::memory_order_relaxed)) {
      Prediction level;
      if (auto present = post_->present_labels()) {
        level.kind = PredictionKind::kClassification;
        level.labels = std::move(*present);
      } else if (*fired) {
        level = p;
      }
      level.pipelines = pipelines();
      level.model = model_->name();
      level.version = model_->spec().version;
      level.sensor = sensor_;
      level.frame_seq = in.frame_seq;
      level.source = in.source;
      if (in.crop) level.crop = *in.crop;
      level.media_ns = in.end_ns;
      r.level = std::move(level);
    }
    if (*fired) {
      p.pipelines = pipelines();
      p.model = model_->name();
      p.version = model_->spec().version;
      p.sensor = sensor_;
      p.frame_seq = in.frame_seq;
      p.source = in.source;
      if (in.crop) p.crop = *in.crop;
      p.media_ns = in.end_ns;
      p.latency_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(model_->env()->now() - in.captured).count();
      r.prediction = std::move(p);
      predicted = true;
    }
  }
  model_->record_result(
      std::chrono::duration_cast<std::chrono::nanoseconds>(model_->env()->now() - in.captured).count(), predicted);
  return r;
}

Status ModelStream::adopt_state(const ModelStream& from) {
  if (!states_ || !from.states_) return Internal("a stream without its state tensors");
  return states_->adopt(*from.states_).with_context(fmt::format("Model/{}: spec.rollout.state: carry", model_->name()));
}

}  // namespace sensix
