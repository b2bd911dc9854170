#include "cli/sinks.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cli/format.h"

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

}  // namespace sensix
