#include "runtime/event_engine.h"

#include <algorithm>

#include <fmt/format.h>

namespace sensix {

namespace {

// The closest label at edit distance <= 2, for "did you mean".
int edit_distance(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

Result<std::unique_ptr<EventEngine>> EventEngine::create(const DocumentSet& docs,
                                                         const std::map<std::string, std::vector<std::string>>& labels,
                                                         Env* env, size_t capacity) {
  std::unique_ptr<EventEngine> e(new EventEngine());
  e->capacity_ = std::max<size_t>(capacity, 1);
  std::vector<std::string> problems;
  for (const auto& p : docs.pipelines) {
    if (p.spec.events.empty()) continue;
    std::set<std::string> waited;
    for (const auto& s : p.spec.steps) {
      if (!s.from.crops) waited.insert(s.model);
    }
    for (size_t i = 0; i < p.spec.events.size(); ++i) {
      const EventSpec& ev = p.spec.events[i];
      for (const RuleNode& n : ev.rule.nodes) {
        if ((n.op != RuleOp::kAtom && n.op != RuleOp::kCount) || n.label.empty()) continue;
        auto it = labels.find(n.model);
        if (it == labels.end() || it->second.empty()) continue;
        if (std::find(it->second.begin(), it->second.end(), n.label) != it->second.end()) continue;
        std::string hint;
        int best = 3;
        for (const auto& l : it->second) {
          const int d = edit_distance(n.label, l);
          if (d < best && d < static_cast<int>(n.label.size())) {
            best = d;
            hint = fmt::format(" (did you mean \"{}\"?)", l);
          }
        }
        problems.push_back(
            fmt::format("{}: spec.events[{}].when: column {}: Model/{} has no label \"{}\" among its {} "
                        "labels{}",
                        doc_label(p), i, n.label_column, n.model, n.label, it->second.size(), hint));
      }
      for (const auto& m : ev.rule.models()) e->observed_.insert(m);
    }
    e->pipelines_.push_back(std::make_unique<PipelineRules>(p.metadata.name, p.spec.events, waited,
                                                            PipelineRules::kDefaultMaxPending, env));
    // Each step's sensor: follow from.model up to a from.sensor (at most one hop per step).
    std::map<std::string, std::string> sensor_of;
    for (const auto& s : p.spec.steps) {
      const StepSpec* at = &s;
      for (size_t hops = 0; at && at->from.sensor.empty() && hops < p.spec.steps.size(); ++hops) {
        const StepSpec* up = nullptr;
        for (const auto& u : p.spec.steps) {
          if (u.model == at->from.model) up = &u;
        }
        at = up;
      }
      if (at) sensor_of[s.model] = at->from.sensor;
    }
    e->sensor_of_.push_back(std::move(sensor_of));
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& m : problems) all += (all.empty() ? "" : "\n") + m;
    return InvalidArgument(all);
  }
  if (e->pipelines_.empty()) return std::unique_ptr<EventEngine>();
  return e;
}

std::unique_ptr<EventEngine> EventEngine::empty(Env*, size_t capacity) {
  std::unique_ptr<EventEngine> e(new EventEngine());
  e->capacity_ = std::max<size_t>(capacity, 1);
  return e;
}

void EventEngine::update(std::unique_ptr<EventEngine> next, const std::set<std::string>& keep) {
  std::vector<std::unique_ptr<PipelineRules>> pipelines;
  std::vector<std::map<std::string, std::string>> sensor_of;
  std::set<std::string> observed;
  if (next) {
    pipelines = std::move(next->pipelines_);
    sensor_of = std::move(next->sensor_of_);
    observed = std::move(next->observed_);
  }
  std::lock_guard<std::mutex> lock(rules_mu_);
  for (auto& p : pipelines) {
    if (!keep.count(p->pipeline())) continue;
    for (auto& running : pipelines_) {
      if (running && running->pipeline() == p->pipeline()) p = std::move(running);
    }
  }
  pipelines_ = std::move(pipelines);
  sensor_of_ = std::move(sensor_of);
  observed_ = std::move(observed);
}

bool EventEngine::has_rules() const {
  std::lock_guard<std::mutex> lock(rules_mu_);
  return !pipelines_.empty();
}

EventEngine::~EventEngine() { stop(); }

void EventEngine::start(PredictionSink* sink) {
  sink_ = sink;
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void EventEngine::observe(ModelResult&& result, bool lossless) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    if (queue_.size() >= capacity_) {
      if (lossless) {
        changed_.wait(lock, [&] { return stopping_ || queue_.size() < capacity_; });
        if (stopping_) return;
      } else {
        // Drop the oldest waiting result (never an end marker: those are waited on).
        auto it = std::find_if(queue_.begin(), queue_.end(), [](const Entry& e) { return e.index() == 0; });
        if (it != queue_.end()) {
          queue_.erase(it);
          dropped_++;
        }
      }
    }
    queue_.push_back(std::move(result));
  }
  changed_.notify_all();
}

void EventEngine::end_models(const std::string& sensor, const std::vector<std::string>& models) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_ || !thread_.joinable()) return;
  const uint64_t ticket = ++next_ticket_;
  queue_.push_back(EndMarker{sensor, models, ticket});
  changed_.notify_all();
  changed_.wait(lock, [&] { return stopping_ || done_ticket_ >= ticket; });
}

void EventEngine::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventEngine::loop() {
  std::vector<Event> events;
  for (;;) {
    Entry entry;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is evaluated
      entry = std::move(queue_.front());
      queue_.pop_front();
    }
    changed_.notify_all();  // room for a waiting producer
    events.clear();
    uint64_t ticket = 0;
    {
      std::lock_guard<std::mutex> lock(rules_mu_);
      if (auto* r = std::get_if<ModelResult>(&entry)) {
        for (auto& p : pipelines_) {
          if (!p->reads(r->level.model)) continue;
          if (std::find(r->level.pipelines.begin(), r->level.pipelines.end(), p->pipeline()) ==
              r->level.pipelines.end()) {
            continue;  // the same model run for another pipeline's steps
          }
          p->add(*r, &events);
        }
      } else {
        const auto& end = std::get<EndMarker>(entry);
        for (size_t i = 0; i < pipelines_.size(); ++i) {
          for (const auto& m : end.models) {
            // A model of this pipeline fed by another sensor (in another pipeline by this one) goes on.
            auto it = sensor_of_[i].find(m);
            if (it != sensor_of_[i].end() && it->second == end.sensor) pipelines_[i]->end_model(m, &events);
          }
        }
        ticket = end.ticket;
      }
    }
    if (sink_) {
      for (const auto& ev : events) sink_->publish_event(ev);
    }
    if (ticket) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        done_ticket_ = std::max(done_ticket_, ticket);
      }
      changed_.notify_all();
    }
  }
}

EventStats EventEngine::stats() const {
  EventStats s;
  {
    std::lock_guard<std::mutex> lock(rules_mu_);
    for (const auto& p : pipelines_) {
      auto r = p->stats();
      s.rules.insert(s.rules.end(), r.begin(), r.end());
      s.late += p->late();
      s.forced += p->forced();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  s.dropped = dropped_;
  return s;
}

}  // namespace sensix
