// Prediction sinks owned by the CLI: the console (text or JSON lines on stdout) and JSON-lines
// files declared by a Pipeline's `sinks`.
//
// Thread-safety: publish() may be called from several graph threads at once (each sink
// serialises its own writes).
#pragma once

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/prediction_sink.h"
#include "spec/spec.h"

namespace sensix {

class ConsoleSink final : public PredictionSink {
 public:
  ConsoleSink(std::FILE* out, bool json) : out_(out), json_(json) {}
  void publish(const Prediction& p) override;
  void publish_event(const Event& e) override;
  uint64_t count() const;

 private:
  std::FILE* out_;
  bool json_;
  mutable std::mutex mu_;
  uint64_t count_ = 0;
};

// Appends one JSON object per prediction and event of the given pipeline to a file.
class JsonlFileSink final : public PredictionSink {
 public:
  static Result<std::unique_ptr<JsonlFileSink>> open(const std::string& path, std::string pipeline);
  void publish(const Prediction& p) override;
  void publish_event(const Event& e) override;  // the events of its pipeline

 private:
  JsonlFileSink(std::ofstream out, std::string pipeline) : out_(std::move(out)), pipeline_(std::move(pipeline)) {}
  std::mutex mu_;
  std::ofstream out_;
  std::string pipeline_;
};

// The JSON-lines files of the running Pipelines' `sinks`, in a daemon whose pipelines come and go:
// update() keeps the files of the pipelines whose sinks did not change, opens those of new ones
// and closes those of pipelines gone.
class PipelineSinks final : public PredictionSink {
 public:
  // Every sink file it could not open, one a line (the others are open).
  Status update(const DocumentSet& docs);
  void publish(const Prediction& p) override;
  void publish_event(const Event& e) override;

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<JsonlFileSink>> sinks_;  // (pipeline, path)
};

}  // namespace sensix
