#include "cli/sinks.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "api/format.h"

namespace sensix {

void ConsoleSink::publish(const Prediction& p) {
  std::string line = json_ ? prediction_to_json(p).dump() : prediction_to_text(p);
  std::lock_guard<std::mutex> lock(mu_);
  std::fputs(line.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
  count_++;
}

void ConsoleSink::publish_event(const Event& e) {
  std::string line = json_ ? event_to_json(e).dump() : event_to_text(e);
  std::lock_guard<std::mutex> lock(mu_);
  std::fputs(line.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

uint64_t ConsoleSink::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

Result<std::unique_ptr<JsonlFileSink>> JsonlFileSink::open(const std::string& path, std::string pipeline) {
  std::ofstream out(path, std::ios::app);
  if (!out) return Unavailable("cannot open sink file \"" + path + "\": " + std::strerror(errno));
  return std::unique_ptr<JsonlFileSink>(new JsonlFileSink(std::move(out), std::move(pipeline)));
}

void JsonlFileSink::publish(const Prediction& p) {
  if (std::find(p.pipelines.begin(), p.pipelines.end(), pipeline_) == p.pipelines.end()) return;
  std::string line = prediction_to_json(p).dump();
  std::lock_guard<std::mutex> lock(mu_);
  out_ << line << '\n';
  out_.flush();
}

void JsonlFileSink::publish_event(const Event& e) {
  if (e.pipeline != pipeline_) return;
  std::string line = event_to_json(e).dump();
  std::lock_guard<std::mutex> lock(mu_);
  out_ << line << '\n';
  out_.flush();
}

Status PipelineSinks::update(const DocumentSet& docs) {
  StatusList problems;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<JsonlFileSink>> next;
  std::lock_guard<std::mutex> lock(mu_);
  for (const PipelineDoc& p : docs.pipelines) {
    for (const SinkSpec& s : p.spec.sinks) {
      const std::pair<std::string, std::string> key{p.metadata.name, s.path};
      if (auto it = sinks_.find(key); it != sinks_.end()) {
        next[key] = it->second;
        continue;
      }
      auto sink = JsonlFileSink::open(s.path, p.metadata.name);
      if (!sink.ok()) {
        problems.add(sink.status().with_context(doc_label(p) + ": spec.sinks"));
        continue;
      }
      next[key] = std::shared_ptr<JsonlFileSink>(std::move(sink).value());
    }
  }
  sinks_ = std::move(next);
  return problems.status();
}

void PipelineSinks::publish(const Prediction& p) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, sink] : sinks_) sink->publish(p);
}

void PipelineSinks::publish_event(const Event& e) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, sink] : sinks_) sink->publish_event(e);
}

}  // namespace sensix
