#include "runtime/rule_evaluator.h"

#include <algorithm>
#include <chrono>

namespace sensix {

PipelineRules::PipelineRules(std::string pipeline, std::vector<EventSpec> events, std::set<std::string> waited,
                             size_t max_pending, Env* env)
    : pipeline_(std::move(pipeline)),
      waited_(std::move(waited)),
      max_pending_(std::max<size_t>(max_pending, 1)),
      env_(env) {
  for (auto& e : events) {
    Rule r;
    r.spec = std::move(e);
    for (const auto& m : r.spec.rule.models()) {
      r.models.insert(m);
      read_.insert(m);
    }
    r.nodes.resize(r.spec.rule.nodes.size());
    for (size_t i = 0; i < r.nodes.size(); ++i) {
      const RuleNode& n = r.spec.rule.nodes[i];
      if (n.op == RuleOp::kFor) r.nodes[i].model = r.spec.rule.models(n.args[0]).front();
    }
    rules_.push_back(std::move(r));
  }
  for (auto it = waited_.begin(); it != waited_.end();) {
    it = read_.count(*it) ? std::next(it) : waited_.erase(it);
  }
}

void PipelineRules::add(const ModelResult& r, std::vector<Event>* out) {
  const std::string& model = r.level.model;
  const int64_t t = r.level.media_ns;
  if (!read_.count(model)) return;
  if (waited_.count(model)) {
    auto [it, fresh] = latest_.emplace(model, t);
    if (!fresh) it->second = std::max(it->second, t);
  }
  if (evaluated_until_ != kNever && t <= evaluated_until_) {
    if (r.ok) late_++;
  } else if (r.ok) {
    pending_.emplace(t, r);
  }
  drain(false, out);
}

void PipelineRules::end_model(const std::string& model, std::vector<Event>* out) {
  if (!read_.count(model)) return;
  ended_.insert(model);
  drain(false, out);
}

int64_t PipelineRules::watermark() const {
  int64_t w = std::numeric_limits<int64_t>::max();
  for (const auto& m : waited_) {
    if (ended_.count(m)) continue;
    auto it = latest_.find(m);
    if (it == latest_.end()) return kNever;  // nothing from it yet: wait
    w = std::min(w, it->second);
  }
  return w;
}

void PipelineRules::drain(bool everything, std::vector<Event>* out) {
  const int64_t w = everything ? std::numeric_limits<int64_t>::max() : watermark();
  // An instant is final once every waited model has moved past it (strictly: another result of
  // the same time may still come) or has ended; with nothing left to wait for, everything is.
  const bool all_final = w == std::numeric_limits<int64_t>::max();
  while (!pending_.empty() && (all_final || (w != kNever && pending_.begin()->first < w))) process_earliest(out);
  while (pending_.size() > max_pending_) {
    forced_++;
    process_earliest(out);
  }
}

void PipelineRules::process_earliest(std::vector<Event>* out) {
  const int64_t t = pending_.begin()->first;
  auto range = pending_.equal_range(t);
  std::set<std::string> now;
  for (auto it = range.first; it != range.second; ++it) {
    const Prediction& p = it->second.level;
    ModelState& s = states_[p.model];
    if (!now.count(p.model)) {  // the first result of this model at t replaces its state
      s = ModelState{};
      s.has = true;
      s.model = p.model;
      s.sensor = p.sensor;
      s.frame_seq = p.frame_seq;
      s.media_ns = p.media_ns;
      now.insert(p.model);
    }
    items_of(p, &s.items);  // several results at one instant (crops) add up
  }
  pending_.erase(range.first, range.second);
  evaluated_until_ = t;
  for (Rule& rule : rules_) {
    bool reads_now = false;
    for (const auto& m : now) reads_now = reads_now || rule.models.count(m) > 0;
    if (reads_now) evaluate(rule, t, now, out);
  }
}

void PipelineRules::items_of(const Prediction& p, std::vector<Item>* out) {
  auto with_crop = [&](Item it) {
    if (p.crop) {
      it.has_box = true;
      it.x = p.crop->x;
      it.y = p.crop->y;
      it.w = p.crop->w;
      it.h = p.crop->h;
    }
    out->push_back(std::move(it));
  };
  for (const auto& l : p.labels) with_crop(Item{l.label, l.score});
  for (const auto& d : p.detections) out->push_back(Item{d.label, d.score, true, d.x, d.y, d.w, d.h});
  if (!p.landmarks.empty()) with_crop(Item{"", p.score});
  if (!p.text.empty()) with_crop(Item{p.text, p.score});
  for (const auto& s : p.segments) {
    const float x0 = std::min(s.x1, s.x2), y0 = std::min(s.y1, s.y2);
    out->push_back(Item{"", s.score, true, x0, y0, std::max(s.x1, s.x2) - x0, std::max(s.y1, s.y2) - y0});
  }
}

const PipelineRules::ModelState* PipelineRules::state(const std::string& model) const {
  auto it = states_.find(model);
  return it == states_.end() || !it->second.has ? nullptr : &it->second;
}

void PipelineRules::add_contribution(const ModelState& s, const Item& item, Contribs* out) {
  if (out->size() >= kMaxEventContributions) return;
  EventContribution c;
  c.model = s.model;
  c.sensor = s.sensor;
  c.label = item.label;
  c.score = item.score;
  c.frame_seq = s.frame_seq;
  c.media_ns = s.media_ns;
  c.has_box = item.has_box;
  c.x = item.x;
  c.y = item.y;
  c.w = item.w;
  c.h = item.h;
  out->push_back(std::move(c));
}

void PipelineRules::append(Contribs* out, const Contribs& more) {
  for (const auto& c : more) {
    if (out->size() >= kMaxEventContributions) return;
    out->push_back(c);
  }
}

void PipelineRules::evaluate(Rule& rule, int64_t t, const std::set<std::string>& now, std::vector<Event>* out) {
  Contribs contribs;
  const bool v = eval(rule, rule.spec.rule.root, t, 0, now, &contribs);
  if (v && !rule.prev) {
    if (rule.spec.cooldown_ns > 0 && rule.fired_before && t - rule.last_fire < rule.spec.cooldown_ns) {
      rule.suppressed++;
    } else {
      Event e;
      e.pipeline = pipeline_;
      e.name = rule.spec.name;
      e.rule = rule.spec.when;
      e.media_ns = t;
      e.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(env_->wall_now().time_since_epoch()).count();
      e.predictions = std::move(contribs);
      out->push_back(std::move(e));
      rule.fired++;
      rule.fired_before = true;
      rule.last_fire = t;
    }
  }
  rule.prev = v;
}

// Every node is evaluated at every instant of its rule (no short cuts), so that each leaf's
// "last true" and each "for" count stay current.
bool PipelineRules::eval(Rule& rule, int i, int64_t t, int64_t window, const std::set<std::string>& now,
                         Contribs* out) {
  const RuleNode& n = rule.spec.rule.node(i);
  switch (n.op) {
    case RuleOp::kAnd:
    case RuleOp::kOr: {
      const bool conj = n.op == RuleOp::kAnd;
      bool v = conj;
      Contribs all;
      for (int a : n.args) {
        Contribs c;
        const bool va = eval(rule, a, t, window, now, &c);
        if (va) append(&all, c);
        v = conj ? v && va : v || va;
      }
      if (v) append(out, all);
      return v;
    }
    case RuleOp::kNot: {
      Contribs ignored;
      return !eval(rule, n.args[0], t, window, now, &ignored);
    }
    default: break;
  }
  NodeState& st = rule.nodes[static_cast<size_t>(i)];
  Contribs c;
  const bool v_now = now_value(rule, i, t, now, &c);
  if (v_now) {
    st.last_true = t;
    st.last = c;
  }
  if (window == 0) {
    if (v_now) append(out, c);
    return v_now;
  }
  const bool v = st.last_true != kNever && st.last_true >= t - window;
  if (v) append(out, st.last);
  return v;
}

bool PipelineRules::now_value(Rule& rule, int i, int64_t t, const std::set<std::string>& now, Contribs* out) {
  const RuleNode& n = rule.spec.rule.node(i);
  NodeState& st = rule.nodes[static_cast<size_t>(i)];
  auto matches = [&](const Item& it) { return n.label.empty() || it.label == n.label; };
  switch (n.op) {
    case RuleOp::kAtom: {
      const ModelState* s = state(n.model);
      if (!s) return false;
      const Item* best = nullptr;
      for (const Item& it : s->items) {
        if (!matches(it) || !rule_compare(n.compare, it.score, n.value)) continue;
        if (!best || it.score > best->score) best = &it;
      }
      if (!best) return false;
      add_contribution(*s, *best, out);
      return true;
    }
    case RuleOp::kCount: {
      const ModelState* s = state(n.model);
      if (!s) return false;
      size_t count = 0;
      for (const Item& it : s->items) count += matches(it) ? 1 : 0;
      if (!rule_compare(n.compare, static_cast<double>(count), n.value)) return false;
      for (const Item& it : s->items) {
        if (matches(it)) add_contribution(*s, it, out);
      }
      return true;
    }
    case RuleOp::kWithin: return eval(rule, n.args[0], t, n.duration_ns, now, out);
    case RuleOp::kFor: {
      if (now.count(st.model)) {  // a new result of the counted model: extend or break the run
        Contribs c;
        if (eval(rule, n.args[0], t, 0, now, &c)) {
          st.run++;
          st.ring.push_back(std::move(c));
          while (st.ring.size() > static_cast<size_t>(n.frames)) st.ring.pop_front();
        } else {
          st.run = 0;
          st.ring.clear();
        }
      }
      if (st.run < n.frames) return false;
      for (const auto& c : st.ring) append(out, c);
      return true;
    }
    case RuleOp::kInside: {
      const RuleNode& a = rule.spec.rule.node(n.args[0]);
      const RuleNode& b = rule.spec.rule.node(n.args[1]);
      const ModelState* sa = state(a.model);
      const ModelState* sb = state(b.model);
      if (!sa || !sb || sa->sensor != sb->sensor || sa->frame_seq != sb->frame_seq || sa->media_ns != sb->media_ns) {
        return false;
      }
      const Item* best_a = nullptr;
      const Item* best_b = nullptr;
      for (const Item& ia : sa->items) {
        if (!ia.has_box || !(a.label.empty() || ia.label == a.label) || !rule_compare(a.compare, ia.score, a.value))
          continue;
        const float cx = ia.x + ia.w / 2, cy = ia.y + ia.h / 2;
        for (const Item& ib : sb->items) {
          if (!ib.has_box || !(b.label.empty() || ib.label == b.label) || !rule_compare(b.compare, ib.score, b.value)) {
            continue;
          }
          if (cx < ib.x || cx > ib.x + ib.w || cy < ib.y || cy > ib.y + ib.h) continue;
          if (!best_a || ia.score > best_a->score || (&ia == best_a && ib.score > best_b->score)) {
            best_a = &ia;
            best_b = &ib;
          }
        }
      }
      if (!best_a) return false;
      add_contribution(*sa, *best_a, out);
      add_contribution(*sb, *best_b, out);
      return true;
    }
    case RuleOp::kThen: {
      const int64_t prev = st.a_last_true;
      const Contribs prev_c = st.a_last;
      Contribs ca;
      if (eval(rule, n.args[0], t, 0, now, &ca)) {
        st.a_last_true = t;
        st.a_last = std::move(ca);
      }
      Contribs cb;
      const bool vb = eval(rule, n.args[1], t, 0, now, &cb);
      if (!vb || prev == kNever || prev < t - n.duration_ns) return false;
      append(out, prev_c);
      append(out, cb);
      return true;
    }
    default: return false;
  }
}

std::vector<EventRuleStats> PipelineRules::stats() const {
  std::vector<EventRuleStats> out;
  for (const Rule& r : rules_) out.push_back({pipeline_, r.spec.name, r.spec.when, r.fired, r.suppressed});
  return out;
}

}  // namespace sensix
