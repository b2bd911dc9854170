#include "api/prediction_hub.h"

#include <algorithm>

#include <fmt/format.h>

#include "api/format.h"

namespace sensix::api {

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The prediction's best score for `label` (any label when empty); -1 when it has none.
float best_score(const Prediction& p, const std::string& label) {
  float best = -1.0f;
  for (const LabelScore& l : p.labels) {
    if (label.empty() || l.label == label) best = std::max(best, l.score);
  }
  for (const Detection& d : p.detections) {
    if (label.empty() || d.label == label) best = std::max(best, d.score);
  }
  if (label.empty() && (p.kind == PredictionKind::kLandmarks || p.kind == PredictionKind::kText)) {
    best = std::max(best, p.score);
  }
  if (label.empty()) {
    for (const Segment& s : p.segments) best = std::max(best, s.score);
  }
  return best;
}

}  // namespace

bool PredictionFilter::matches(const Prediction& p) const {
  if (!predictions) return false;
  if (!sensor.empty() && p.sensor != sensor) return false;
  if (!model.empty() && p.model != model) return false;
  if (!pipeline.empty() && !has(p.pipelines, pipeline)) return false;
  if (label.empty() && min_score <= 0.0f) return true;
  const float s = best_score(p, label);
  return s >= 0.0f && s >= min_score;
}

bool PredictionFilter::matches(const Event& e) const {
  if (!events) return false;
  if (!pipeline.empty() && e.pipeline != pipeline) return false;
  if (!label.empty() && e.name != label) return false;
  if (e.rollout) return sensor.empty() && (model.empty() || e.rollout->model == model);
  if (sensor.empty() && model.empty() && min_score <= 0.0f) return true;
  for (const EventContribution& c : e.predictions) {
    if ((sensor.empty() || c.sensor == sensor) && (model.empty() || c.model == model) && c.score >= min_score) {
      return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------------------------------------
// A subscriber: its filter, its bounded queue, and the connection's wake-up.

class PredictionHub::Subscriber final : public EventStream {
 public:
  Subscriber(PredictionFilter filter, size_t capacity, std::shared_ptr<DeliveryCounts> counts)
      : filter_(std::move(filter)), capacity_(capacity), counts_(std::move(counts)) {}

  void set_wake(std::function<void()> wake) override {
    bool ready;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake_ = std::move(wake);
      ready = !queue_.empty() || missed_ > 0 || closed_;
    }
    if (ready) wake_();
  }

  std::optional<std::string> next() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ && queue_.empty()) return std::nullopt;
    std::string out;
    if (missed_ > 0) {
      out += fmt::format("event: dropped\ndata: {{\"type\":\"dropped\",\"dropped\":{},\"droppedTotal\":{}}}\n\n",
                         missed_, missed_total_);
      missed_ = 0;
    }
    for (const auto& item : queue_) out += item->sse;
    counts_->delivered += queue_.size();
    queue_.clear();
    if (heartbeat_) {
      if (out.empty()) out = ": keep-alive\n\n";
      heartbeat_ = false;
    }
    return out;
  }

  void close() override {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    wake_ = nullptr;
  }

  // From the hub's thread. Returns false once the subscriber is closed (the hub forgets it).
  bool offer(const std::shared_ptr<const HubItem>& item) {
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return false;
      if (item) {
        if (queue_.size() >= capacity_) {
          queue_.pop_front();
          ++missed_;
          ++missed_total_;
          ++counts_->dropped;
        }
        queue_.push_back(item);
      } else {
        heartbeat_ = true;
      }
      if (queue_.size() + (heartbeat_ ? 1 : 0) == 1 || missed_ > 0) wake = wake_;
    }
    if (wake) wake();
    return true;
  }

  // Items the history no longer holds for a resume (told once, in the stream).
  void missed(uint64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    missed_ += n;
    missed_total_ += n;
    counts_->dropped += n;
  }

  const PredictionFilter& filter() const { return filter_; }
  bool wants(const HubItem& item) const {
    return item.prediction ? filter_.matches(*item.prediction) : item.event && filter_.matches(*item.event);
  }

 private:
  const PredictionFilter filter_;
  const size_t capacity_;
  std::mutex mu_;
  std::deque<std::shared_ptr<const HubItem>> queue_;
  std::function<void()> wake_;
  std::shared_ptr<DeliveryCounts> counts_;
  uint64_t missed_ = 0, missed_total_ = 0;
  bool heartbeat_ = false;
  bool closed_ = false;
};

// ------------------------------------------------------------------------------------------------

PredictionHub::PredictionHub(PredictionHubOptions options) : options_(options) {
  thread_ = std::thread([this] { loop(); });
}

PredictionHub::~PredictionHub() { stop(); }

void PredictionHub::stop() {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    for (auto& w : subscribers_) {
      if (auto s = w.lock()) subs.push_back(s);
    }
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Each stream ends after what it holds.
  for (auto& s : subs) {
    s->close();
  }
}

void PredictionHub::publish(const Prediction& prediction) {
  Input in;
  in.prediction = prediction;
  push(std::move(in));
}

void PredictionHub::publish_event(const Event& event) {
  Input in;
  in.event = event;
  push(std::move(in));
}

void PredictionHub::push(Input in) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    ++stats_.published;
    ++pushed_;
    if (inputs_.size() >= options_.input_queue) {
      inputs_.pop_front();
      ++stats_.input_dropped;
      ++taken_;
      ++done_;
    }
    inputs_.push_back(std::move(in));
  }
  cv_.notify_one();
}

void PredictionHub::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto last_beat = std::chrono::steady_clock::now();
  while (true) {
    const bool woke = cv_.wait_for(lock, options_.heartbeat, [this] { return stopping_ || !inputs_.empty(); });
    if (stopping_) break;
    if (!woke || std::chrono::steady_clock::now() - last_beat >= options_.heartbeat) {
      // A heartbeat to every subscriber: a client that went away shows up as a failed write.
      last_beat = std::chrono::steady_clock::now();
      std::vector<std::shared_ptr<Subscriber>> subs;
      for (auto& w : subscribers_) {
        if (auto s = w.lock()) subs.push_back(s);
      }
      lock.unlock();
      for (auto& s : subs) s->offer(nullptr);
      lock.lock();
      continue;
    }
    Input in = std::move(inputs_.front());
    inputs_.pop_front();
    ++taken_;
    lock.unlock();
    deliver(std::move(in));
    lock.lock();
    ++done_;
    flushed_cv_.notify_all();
  }
}

void PredictionHub::deliver(Input in) {
  auto item = std::make_shared<HubItem>();
  std::string kind, line;
  if (in.prediction) {
    line = prediction_to_json(*in.prediction).dump();
    item->prediction = std::move(in.prediction);
    kind = "prediction";
  } else {
    line = event_to_json(*in.event).dump();
    item->event = std::move(in.event);
    kind = "event";
  }
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    item->id = next_id_++;
    item->sse = fmt::format("id: {}\nevent: {}\ndata: ", item->id, kind);
    item->json_at = item->sse.size();
    item->json_size = line.size();
    item->sse += line;
    item->sse += "\n\n";
    item->sse.shrink_to_fit();
    std::shared_ptr<const HubItem> shared = item;
    history_.push_back(shared);
    if (history_.size() > options_.history) history_.pop_front();
    if (shared->prediction) latest_[{shared->prediction->model, shared->prediction->sensor}] = shared;
    stats_.last_id = item->id;
    subs.reserve(subscribers_.size());
    for (auto& w : subscribers_) {
      if (auto s = w.lock()) subs.push_back(std::move(s));
    }
  }
  bool gone = false;
  for (auto& s : subs) {
    if (s->wants(*item) && !s->offer(item)) gone = true;
  }
  if (gone) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(subscribers_, [](const std::weak_ptr<Subscriber>& w) { return w.expired(); });
  }
}

std::vector<std::shared_ptr<const HubItem>> PredictionHub::latest(const PredictionFilter& filter) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<const HubItem>> out;
  for (const auto& [key, item] : latest_) {
    if (filter.matches(*item->prediction)) out.push_back(item);
  }
  return out;
}

void PredictionHub::keep_latest_of(const std::set<std::string>& models) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(latest_, [&](const auto& e) { return !models.count(e.first.first); });
}

std::shared_ptr<EventStream> PredictionHub::subscribe(PredictionFilter filter, std::optional<uint64_t> last_event_id) {
  auto sub = std::make_shared<Subscriber>(std::move(filter), options_.subscriber_queue, counts_);
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    sub->close();
    return sub;
  }
  if (last_event_id) {
    // The history after the id; what it no longer holds is told as dropped.
    const uint64_t oldest = history_.empty() ? next_id_ : history_.front()->id;
    if (*last_event_id + 1 < oldest) sub->missed(oldest - *last_event_id - 1);
    for (const auto& item : history_) {
      if (item->id > *last_event_id && sub->wants(*item)) sub->offer(item);
    }
  }
  std::erase_if(subscribers_, [](const std::weak_ptr<Subscriber>& w) { return w.expired(); });
  subscribers_.push_back(sub);
  return sub;
}

void PredictionHub::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = pushed_;
  flushed_cv_.wait(lock, [&] { return done_ >= target || stopping_; });
}

PredictionHubStats PredictionHub::stats() const {
  std::vector<std::shared_ptr<Subscriber>> subs;
  PredictionHubStats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = stats_;
    for (auto& w : subscribers_) {
      if (auto sub = w.lock()) subs.push_back(std::move(sub));
    }
  }
  s.subscribers = static_cast<int64_t>(subs.size());
  s.delivered = counts_->delivered.load();
  s.subscriber_dropped = counts_->dropped.load();
  return s;
}

}  // namespace sensix::api
