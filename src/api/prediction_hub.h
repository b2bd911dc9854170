// PredictionHub: the daemon's predictions and events for the API (docs/api.md, "Predictions"): the
// latest prediction per model and sensor, a bounded history, and live subscribers (Server-Sent
// Events).
//
// The runtime publishes into the hub (it is a PredictionSink); publish() only copies the item into
// a bounded input queue and returns, so the hub never slows the runtime: the hub's own thread gives
// every item an id (1, 2, ...), renders its JSON once, keeps it in the history and the latest
// table and offers it to each subscriber whose filter it matches. Each subscriber has its own
// bounded queue: a slow subscriber loses its oldest items (counted; the stream then carries an
// `event: dropped` with the count), and never delays the others or the runtime. A subscriber that
// resumes with Last-Event-ID gets the history after that id first (and an `event: dropped` for
// what the history no longer holds). Every `heartbeat` of silence a subscriber gets a comment
// line, so that a client that went away is noticed.
//
// Thread-safety: every method from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/http_server.h"
#include "runtime/prediction_sink.h"

namespace sensix::api {

// Which items a client wants; empty fields match everything. `label` and `min_score` look at a
// prediction's labels (classification), boxes (detection) or its score (landmarks, text, lines),
// and at an event's name for `label`.
struct PredictionFilter {
  std::string sensor, model, pipeline, label;
  float min_score = 0.0f;
  bool predictions = true;
  bool events = true;

  bool matches(const Prediction& p) const;
  bool matches(const Event& e) const;
};

// One published item, rendered.
struct HubItem {
  uint64_t id = 0;
  std::optional<Prediction> prediction;
  std::optional<Event> event;
  std::string sse;  // "id: N\nevent: prediction|event\ndata: <json>\n\n"
  // The JSON line, inside sse (kept once: the history holds a thousand items).
  std::string_view json() const { return std::string_view(sse).substr(json_at, json_size); }
  size_t json_at = 0, json_size = 0;
};

struct PredictionHubOptions {
  size_t history = 1024;          // items kept for Last-Event-ID and /v1/predictions
  size_t subscriber_queue = 256;  // items waiting per subscriber
  size_t input_queue = 8192;      // items between the runtime and the hub's thread
  std::chrono::milliseconds heartbeat{15'000};
};

struct PredictionHubStats {
  uint64_t published = 0;           // items the runtime published
  uint64_t input_dropped = 0;       // lost between the runtime and the hub (its input queue was full)
  int64_t subscribers = 0;          // open now
  uint64_t delivered = 0;           // items handed to subscribers' connections
  uint64_t subscriber_dropped = 0;  // items slow subscribers lost
  uint64_t last_id = 0;
};

class PredictionHub final : public PredictionSink {
 public:
  explicit PredictionHub(PredictionHubOptions options = {});
  ~PredictionHub() override;
  PredictionHub(const PredictionHub&) = delete;
  PredictionHub& operator=(const PredictionHub&) = delete;

  void publish(const Prediction& prediction) override;
  void publish_event(const Event& event) override;

  // The latest prediction of each model on each sensor that matches, ordered by model and sensor.
  std::vector<std::shared_ptr<const HubItem>> latest(const PredictionFilter& filter) const;
  // Drops the latest predictions of models not in `models` (they were deleted); the history keeps
  // them until they age out.
  void keep_latest_of(const std::set<std::string>& models);
  // A live stream. With `last_event_id`, the history after it comes first.
  std::shared_ptr<EventStream> subscribe(PredictionFilter filter, std::optional<uint64_t> last_event_id);
  // Waits until every item published so far has been offered to the subscribers (tests).
  void flush();
  PredictionHubStats stats() const;
  // Ends every stream and the thread. Idempotent; the destructor calls it.
  void stop();

  class Subscriber;
  // Shared with the subscribers, which may outlive the hub's bookkeeping of them.
  struct DeliveryCounts {
    std::atomic<uint64_t> delivered{0};
    std::atomic<uint64_t> dropped{0};
  };

 private:
  struct Input {
    std::optional<Prediction> prediction;
    std::optional<Event> event;
  };
  void push(Input in);
  void loop();
  void deliver(Input in);

  PredictionHubOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_, flushed_cv_;
  std::deque<Input> inputs_;
  uint64_t taken_ = 0, done_ = 0, pushed_ = 0;  // flush(): items taken and delivered
  bool stopping_ = false;
  uint64_t next_id_ = 1;
  std::deque<std::shared_ptr<const HubItem>> history_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const HubItem>> latest_;
  std::vector<std::weak_ptr<Subscriber>> subscribers_;
  PredictionHubStats stats_;
  std::shared_ptr<DeliveryCounts> counts_ = std::make_shared<DeliveryCounts>();
  std::thread thread_;
};

}  // namespace sensix::api
