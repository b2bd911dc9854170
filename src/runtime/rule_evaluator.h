// PipelineRules: evaluates one Pipeline's event rules over its model results, in media time.
//
// Order. Results reach the rules from several model threads (and sensors), not in media-time
// order. They are held until no earlier result can still come: every model the rules read
// ("waited" models) delivers its results in media order, so an instant t is evaluated once every
// waited model has delivered a result at or after some later time, or has ended (end_model).
// Replaying at any speed therefore gives the same events. Models fed by crops are not waited for
// (a frame without crops gives them no result to wait for): their results join the instant of
// their media time if it has not been evaluated yet, and are counted as late otherwise. At most
// `max_pending` results are held; beyond that the earliest instant is evaluated at once (counted
// as forced) and a result older than the last evaluated instant is dropped (counted as late).
//
// Meaning (docs/documents.md, "Pipeline: events", is the user's description):
// - An instant is a media time at which at least one model read by the pipeline's rules has a
//   result; all results with that time (several models on one frame, several crops) form one
//   instant. A rule is evaluated at the instants of the models it reads.
// - A model's state is its latest result: what is present in it (classification labels at or over
//   the threshold, detections, landmarks, text, lines). Failed runs are not results.
// - `m` is true when m's latest result has anything present; `m:l` when it has label l (for a
//   text model: the recognised text equals l); `m:l > x` when one of them scores > x;
//   `count(m:l) >= n` compares how many of them there are.
// - and, or, not: at the same instant.
// - `E within T` at t: and, or and not pass through (not X within T = X at no instant of the
//   window); any other E must have been true at some instant s of the rule with t - T <= s <= t.
// - `E for N frames`: E (which reads one model m) was true on the last N results of m in a row,
//   counting results with nothing present.
// - `A inside B`: in A's and B's latest results, of the same sensor frame, the centre of a box of
//   A lies inside (edges included) a box of B.
// - `A then B within T`: B is true at t and A was true at an earlier instant s, t - T <= s < t.
// - An event fires at an instant where its rule is true and was not at the rule's previous
//   instant (rising edge). With a cooldown, a rising edge less than `cooldown` after the last
//   event of the rule is suppressed (counted) and the rule must fall again before it can fire.
//
// Thread-safety: none; one thread (EventEngine's) drives it.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/env.h"
#include "runtime/event.h"
#include "runtime/result_observer.h"
#include "spec/spec.h"

namespace sensix {

class PipelineRules {
 public:
  static constexpr size_t kDefaultMaxPending = 4096;

  // `waited`: the models read by the rules whose results are waited for (all but those fed by crops).
  // Events are stamped with `env`'s wall time (the rules themselves run on media time).
  PipelineRules(std::string pipeline, std::vector<EventSpec> events, std::set<std::string> waited,
                size_t max_pending = kDefaultMaxPending, Env* env = Env::Default());

  const std::string& pipeline() const { return pipeline_; }
  bool reads(const std::string& model) const { return read_.count(model) > 0; }

  // A result of a model the rules read; appends the events it lets fire.
  void add(const ModelResult& r, std::vector<Event>* out);
  // `model` will deliver no more results (its sensor ended).
  void end_model(const std::string& model, std::vector<Event>* out);

  std::vector<EventRuleStats> stats() const;
  uint64_t late() const { return late_; }      // results dropped: older than an evaluated instant
  uint64_t forced() const { return forced_; }  // instants evaluated early because too many results were held

 private:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::min();
  using Contribs = std::vector<EventContribution>;

  struct Item {
    std::string label;
    float score = 0.0f;
    bool has_box = false;
    float x = 0, y = 0, w = 0, h = 0;
  };
  struct ModelState {
    bool has = false;
    std::string model;
    std::string sensor;
    uint64_t frame_seq = 0;
    int64_t media_ns = 0;
    std::vector<Item> items;
  };
  struct NodeState {
    int64_t last_true = kNever;    // the last instant the node was true (as a leaf)
    Contribs last;                 // what made it true then
    int run = 0;                   // for: true results in a row
    std::deque<Contribs> ring;     // for: the contributions of the last `frames` true results
    int64_t a_last_true = kNever;  // then: the last instant its first part was true
    Contribs a_last;
    std::string model;  // for: the model it counts
  };
  struct Rule {
    EventSpec spec;
    std::set<std::string> models;
    std::vector<NodeState> nodes;
    bool prev = false;
    bool fired_before = false;
    int64_t last_fire = 0;
    uint64_t fired = 0, suppressed = 0;
  };

  int64_t watermark() const;
  void drain(bool everything, std::vector<Event>* out);
  void process_earliest(std::vector<Event>* out);
  void evaluate(Rule& rule, int64_t t, const std::set<std::string>& now, std::vector<Event>* out);
  bool eval(Rule& rule, int i, int64_t t, int64_t window, const std::set<std::string>& now, Contribs* out);
  bool now_value(Rule& rule, int i, int64_t t, const std::set<std::string>& now, Contribs* out);
  const ModelState* state(const std::string& model) const;
  static void add_contribution(const ModelState& s, const Item& item, Contribs* out);
  static void append(Contribs* out, const Contribs& more);
  static void items_of(const Prediction& p, std::vector<Item>* out);

  std::string pipeline_;
  std::vector<Rule> rules_;
  std::set<std::string> read_;
  std::set<std::string> waited_;
  size_t max_pending_;
  Env* env_;
  std::multimap<int64_t, ModelResult> pending_;
  std::map<std::string, int64_t> latest_;  // waited models: the latest media time delivered
  std::set<std::string> ended_;
  std::map<std::string, ModelState> states_;
  int64_t evaluated_until_ = kNever;
  uint64_t late_ = 0, forced_ = 0;
};

}  // namespace sensix
