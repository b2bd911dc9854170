#include "sched/scheduler.h"

#include <algorithm>
#include <tuple>

namespace sensix {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

constexpr auto kNoObjectiveHorizon = std::chrono::seconds(1);  // deadline of inputs without an objective
constexpr auto kCongestion = milliseconds(250);                // how long a (near) miss marks its class
constexpr auto kRateStep = milliseconds(100);                  // admission changes at most this often
constexpr auto kMissMemory = std::chrono::seconds(1);          // balanced backs off this long after a miss
constexpr double kRateCut = 0.75, kRateGrow = 0.05, kRateFloor = 0.02;
// run_here: the longest run (the profile's prediction) a caller's thread takes on itself.
constexpr int64_t kRunHereMaxNs = 1'000'000;

thread_local bool t_in_lane = false;

}  // namespace

void SchedStatsSnapshot::merge(const SchedStatsSnapshot& o) {
  queue.merge(o.queue);
  for (const auto& [b, n] : o.batches) batches[b] += n;
  deadline_misses += o.deadline_misses;
  shared_runs += o.shared_runs;
  skipped += o.skipped;
  dropped += o.dropped;
  for (const auto& [a, n] : o.placements) placements[a] += n;
  admit_rate = std::min(admit_rate, o.admit_rate);
  profiles.insert(o.profiles.begin(), o.profiles.end());  // per model already: the same on every stream
  queued += o.queued;
  queued_peak = std::max(queued_peak, o.queued_peak);
  capacity = std::max(capacity, o.capacity);
  if (o.best_ns > 0 && (best_ns == 0 || o.best_ns < best_ns)) best_ns = o.best_ns;
}

Scheduler::Scheduler(DevicePlan plan, Options options)
    : plan_(std::move(plan)), options_(options), env_(options.env != nullptr ? options.env : Env::Default()) {
  free_cores_ = std::max(1, plan_.cores);
  for (const auto& a : plan_.accelerators) {
    free_threads_.push_back(a.threads);
    accel_stats_.push_back(
        AcceleratorStats{a.name, a.engine, std::string(device_kind_name(a.device)), a.threads, 0, 0});
  }
  lane_sets_ = lane_sets();
  for (size_t l = 0; l < lane_sets_.size(); ++l) work_.push_back(std::make_unique<std::condition_variable>());
}

Scheduler::~Scheduler() { stop(); }

int Scheduler::add_task(TaskOptions options, RunFn run, FlushFn flush) {
  std::lock_guard<std::mutex> lock(mu_);
  auto t = std::make_unique<Task>();
  t->opt = std::move(options);
  if (t->opt.batch.max < 1) t->opt.batch.max = 1;
  if (t->opt.threads < 1) t->opt.threads = 1;
  t->run = std::move(run);
  t->flush = std::move(flush);
  t->lossless = t->opt.lossless.value_or(options_.lossless);
  const size_t capacity = t->opt.queue_capacity > 0 ? t->opt.queue_capacity : options_.queue_capacity;
  t->capacity = std::max<size_t>({capacity, static_cast<size_t>(t->opt.batch.max), 1});
  t->stats.capacity = t->capacity;
  auto [it, fresh] = group_of_.emplace(t->opt.model, static_cast<int>(busy_.size()));
  if (fresh) busy_.push_back(false);
  t->group = it->second;
  t->stats.priority = std::string(priority_name(t->opt.priority));
  t->stats.policy = std::string(sched_policy_name(t->opt.policy));
  t->stats.objective_ns = t->opt.objective_ns;
  tasks_.push_back(std::move(t));
  return static_cast<int>(tasks_.size() - 1);
}

void Scheduler::set_feeds(int task, std::vector<int> downstream) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(downstream, [&](int d) { return tasks_.at(static_cast<size_t>(d))->retired; });
  tasks_.at(static_cast<size_t>(task))->feeds = std::move(downstream);
  mark_upstream();
  // A task that waited for room below it may run now (its new feeds have room).
  ++changes_;
  wake_lanes();
}

void Scheduler::mark_upstream() {
  for (auto& t : tasks_) t->feeds_upstream = false;
  for (auto& t : tasks_) {
    for (int d : t->feeds) tasks_[static_cast<size_t>(d)]->feeds_upstream = true;
  }
}

void Scheduler::wait_idle(int task) {
  std::unique_lock<std::mutex> lock(mu_);
  Task& t = *tasks_.at(static_cast<size_t>(task));
  ++t.idle_waiters;
  env_->wait_until(room_, lock, TimePoint::max(), [&] { return !t.running; });
  --t.idle_waiters;
}

void Scheduler::remove_task(int task) {
  std::unique_lock<std::mutex> lock(mu_);
  Task& t = *tasks_.at(static_cast<size_t>(task));
  if (!t.retired) {
    t.retired = true;
    t.stats.dropped += static_cast<uint64_t>(
        std::count_if(t.queue.begin(), t.queue.end(), [](const Entry& e) { return e.input.has_value(); }));
    t.queue.clear();
    t.ends = false;
    t.flushed = true;  // a flush waiter goes on
    for (auto& x : tasks_) std::erase(x->feeds, task);
    t.feeds.clear();
    mark_upstream();
    // Producers waiting for room in this queue, and lanes waiting on its feeds, go on.
    ++changes_;
    wake_lanes();
    room_.notify_all();
  }
  if (!t_in_lane) env_->wait_until(room_, lock, TimePoint::max(), [&] { return !t.running; });
  if (!t.running) {
    t.run = nullptr;
    t.flush = nullptr;
  }
}

bool Scheduler::feeds_full(const Task& t) const {
  return std::any_of(t.feeds.begin(), t.feeds.end(), [this](int d) {
    const Task& x = *tasks_[static_cast<size_t>(d)];
    return x.lossless && x.queue.size() >= x.capacity;
  });
}

void Scheduler::seed_profile(const std::string& model, int accelerator, int64_t ns) {
  std::lock_guard<std::mutex> lock(mu_);
  profile(model, accelerator).record(1, ns);
}

Profile& Scheduler::profile(const std::string& model, int accelerator) { return profiles_[{model, accelerator}]; }

int Scheduler::available(int accelerator) const {
  const size_t a = static_cast<size_t>(accelerator);
  const int own = free_threads_[a];
  return plan_.accelerators[a].device == DeviceKind::kCpu ? std::min(own, free_cores_) : own;
}

void Scheduler::take_threads(int accelerator, int threads, int sign) {
  const size_t a = static_cast<size_t>(accelerator);
  free_threads_[a] -= sign * threads;
  if (plan_.accelerators[a].device == DeviceKind::kCpu) free_cores_ -= sign * threads;
}

std::vector<std::vector<int>> Scheduler::lane_sets() const {
  // The CPU accelerators share lanes, one per core they may use together (no more than their
  // budgets add up to): a lane runs whichever CPU accelerator's work comes first, so an idle core
  // serves any engine, and a listed twin adds no threads that wake on every change. Any other
  // accelerator (a GPU's host threads) has lanes of its own.
  std::vector<int> cpu;
  std::vector<std::vector<int>> sets;  // per lane, the accelerators it serves
  int cpu_threads = 0;
  for (size_t a = 0; a < plan_.accelerators.size(); ++a) {
    const Accelerator& acc = plan_.accelerators[a];
    if (acc.device == DeviceKind::kCpu) {
      cpu.push_back(static_cast<int>(a));
      cpu_threads += acc.threads;
      continue;
    }
    for (int k = 0; k < acc.threads; ++k) sets.push_back({static_cast<int>(a)});
  }
  const int cpu_lanes = std::min(cpu_threads, std::max(1, plan_.cores));
  for (int k = 0; k < cpu_lanes && !cpu.empty(); ++k) sets.push_back(cpu);
  return sets;
}

void Scheduler::wake_lanes() {
  // work_ is made in the constructor, never changed; a notify without a waiter makes no call.
  for (auto& cv : work_) cv->notify_one();
}

void Scheduler::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  lane_idle_.assign(lane_sets_.size(), 0);
  for (size_t l = 0; l < lane_sets_.size(); ++l) {
    lanes_.emplace_back([this, l, set = lane_sets_[l]] { lane_loop(static_cast<int>(l), set); });
  }
}

void Scheduler::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    ++changes_;
  }
  wake_lanes();
  room_.notify_all();
  for (auto& l : lanes_) {
    if (l.joinable()) l.join();
  }
  lanes_.clear();
}

void Scheduler::adjust_admission(Task& t, Clock::time_point now) {
  bool congested = false;
  for (int c = static_cast<int>(t.opt.priority) + 1; c < 3; ++c) congested = congested || congested_until_[c] > now;
  if (now - t.last_rate_change < kRateStep) return;
  if (congested) {
    t.admit_rate = std::max(kRateFloor, t.admit_rate * kRateCut);
    t.last_rate_change = now;
  } else if (t.admit_rate < 1.0) {
    t.admit_rate = std::min(1.0, t.admit_rate + kRateGrow);
    t.last_rate_change = now;
  }
}

void Scheduler::submit(int task, TaskInput input) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) return;
  Task& t = *tasks_.at(static_cast<size_t>(task));
  if (t.retired) return;  // a producer that had not yet seen it go
  const auto now = env_->now();
  Entry e;
  const Clock::time_point captured = input.captured == Clock::time_point{} ? now : input.captured;
  e.arrival = now;
  e.deadline = t.opt.objective_ns > 0 ? captured + nanoseconds(t.opt.objective_ns) : captured + kNoObjectiveHorizon;
  if (!t.lossless) {
    adjust_admission(t, now);
    if (t.admit_rate < 1.0) {
      t.admit_acc += t.admit_rate;
      if (t.admit_acc < 1.0) {
        t.stats.skipped++;
        return;
      }
      t.admit_acc -= 1.0;
    }
    if (t.queue.size() >= t.capacity) {
      // Drop the oldest input (never the end-of-stream marker, which is always last).
      auto it = std::find_if(t.queue.begin(), t.queue.end(), [](const Entry& x) { return x.input.has_value(); });
      if (it != t.queue.end()) {
        t.queue.erase(it);
        t.stats.skipped++;
        t.stats.dropped++;
      }
    }
  } else if (!t_in_lane && t.queue.size() >= t.capacity) {
    // A full queue: wait until the lanes have taken it down to the low mark, then refill (one
    // wake-up per capacity/2 inputs instead of one per input).
    env_->wait_until(room_, lock, TimePoint::max(), [&] { return stop_ || t.queue.size() <= low_mark(t); });
    if (stop_ || t.retired) return;
  }
  note_arrival(t, now, e.deadline);
  e.input = std::move(input);
  t.queue.push_back(std::move(e));
  t.stats.queued_peak = std::max(t.stats.queued_peak, t.queue.size());
  ++changes_;
  // Where the task's last lane waits idle, only it may take the input (choose(): cache affinity),
  // so it alone is woken: waking the others too cost each a context switch per input, for nothing.
  // Should it take other work instead, it wakes the others then (deferred_to).
  const int only = t.last_lane >= 0 && lane_idle_[static_cast<size_t>(t.last_lane)] ? t.last_lane : -1;
  lock.unlock();
  if (only >= 0) {
    work_[static_cast<size_t>(only)]->notify_one();
  } else {
    wake_lanes();
  }
}

bool Scheduler::any_waiting() const {
  return std::any_of(tasks_.begin(), tasks_.end(), [](const auto& x) { return !x->queue.empty(); });
}

void Scheduler::note_arrival(Task& t, Clock::time_point now, Clock::time_point deadline) {
  if (t.opt.objective_ns <= 0) return;
  if (t.last_arrival != Clock::time_point{}) {
    const double gap = static_cast<double>(duration_cast<nanoseconds>(now - t.last_arrival).count());
    t.period_ns = t.period_ns == 0 ? gap : t.period_ns + (gap - t.period_ns) / 8.0;
  }
  t.last_arrival = now;
  t.last_deadline = deadline;
}

bool Scheduler::run_here(int task, TaskInput& input) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!started_ || stop_ || t_in_lane) return false;
  Task& t = *tasks_.at(static_cast<size_t>(task));
  if (t.retired || t.running || busy_[static_cast<size_t>(t.group)] || t.opt.accelerators.empty() ||
      t.opt.batch.max > 1 || t.admit_rate < 1.0) {
    return false;
  }
  // Nothing waits anywhere: the input overtakes no one, and a lane would take it now.
  if (any_waiting()) return false;
  const int accelerator = t.opt.accelerators.front();
  if (available(accelerator) < t.opt.threads) return false;
  bool lane_idle = false;
  for (size_t l = 0; l < lane_sets_.size() && !lane_idle; ++l) {
    lane_idle = lane_idle_[l] != 0 &&
                std::find(lane_sets_[l].begin(), lane_sets_[l].end(), accelerator) != lane_sets_[l].end();
  }
  if (!lane_idle) return false;
  const int64_t predicted = predict(t, accelerator, 1);
  if (predicted <= 0 || predicted > kRunHereMaxNs) return false;  // unknown, or long: a lane's
  const auto now = env_->now();
  Clock::time_point until;
  if (would_block_higher(t, accelerator, 1, now, &until)) return false;

  const Clock::time_point captured = input.captured == Clock::time_point{} ? now : input.captured;
  const Clock::time_point deadline = t.opt.objective_ns > 0 ? captured + nanoseconds(t.opt.objective_ns)
                                                            : captured + kNoObjectiveHorizon;
  note_arrival(t, now, deadline);
  t.stats.queue.record(0);
  t.running = true;
  busy_[static_cast<size_t>(t.group)] = true;
  take_threads(accelerator, t.opt.threads, +1);
  std::vector<TaskInput> batch;
  batch.push_back(std::move(input));
  lock.unlock();
  const auto t0 = env_->now();
  t.run(accelerator, batch);
  const auto t1 = env_->now();
  lock.lock();
  record_run(t, accelerator, 1, {deadline}, t0, t1);
  release_run(t, accelerator, false, lock);
  return true;
}

void Scheduler::record_run(Task& t, int accelerator, int count, const std::vector<Clock::time_point>& deadlines,
                           Clock::time_point t0, Clock::time_point t1) {
  const size_t a = static_cast<size_t>(accelerator);
  const int64_t ns = duration_cast<nanoseconds>(t1 - t0).count();
  profile(t.opt.model, accelerator).record(count, ns);
  accel_stats_[a].runs++;
  accel_stats_[a].busy_ns += ns;
  record_part(t, accelerator, count, deadlines, t1);
}

void Scheduler::record_part(Task& t, int accelerator, int size, const std::vector<Clock::time_point>& deadlines,
                            Clock::time_point t1) {
  t.stats.batches[size]++;
  t.stats.placements[plan_.accelerators[static_cast<size_t>(accelerator)].name]++;
  if (t.opt.objective_ns > 0) {
    const auto margin = nanoseconds(t.opt.objective_ns / 10);
    for (const auto& d : deadlines) {
      if (t1 > d) {
        t.stats.deadline_misses++;
        t.last_miss = t1;
      }
      if (t1 > d - margin) {
        auto& until = congested_until_[static_cast<size_t>(t.opt.priority)];
        until = std::max(until, t1 + kCongestion);
      }
    }
  }
}

void Scheduler::release_run(Task& t, int accelerator, bool flushed, std::unique_lock<std::mutex>& lock) {
  busy_[static_cast<size_t>(t.group)] = false;
  t.running = false;
  const bool released = t.retired || t.idle_waiters > 0;  // remove_task, wait_idle wait for this run to end
  take_threads(accelerator, t.opt.threads, -1);
  // The freed threads (and group) matter to the other lanes only when some input waits; a lane
  // looks again itself. A flush waiter is woken when the marker has been run.
  const bool waiting = any_waiting();
  if (waiting) ++changes_;
  lock.unlock();
  if (waiting) wake_lanes();
  if (flushed || released) room_.notify_all();
  lock.lock();
}

void Scheduler::submit_end(int task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Task& t = *tasks_.at(static_cast<size_t>(task));
    if (t.retired) return;
    Entry e;
    e.arrival = e.deadline = env_->now();
    t.queue.push_back(std::move(e));
    t.ends = true;
    t.flushed = false;
    ++changes_;
  }
  wake_lanes();
}

void Scheduler::wait_flushed(int task) {
  std::unique_lock<std::mutex> lock(mu_);
  Task& t = *tasks_.at(static_cast<size_t>(task));
  env_->wait_until(room_, lock, TimePoint::max(), [&] { return stop_ || t.flushed; });
}

int64_t Scheduler::predict(const Task& t, int accelerator, int batch) const {
  auto it = profiles_.find({t.opt.model, accelerator});
  return it == profiles_.end() ? 0 : it->second.predict(batch);
}

bool Scheduler::may_place(const Task& t, int accelerator, Clock::time_point now) const {
  const auto& prefs = t.opt.accelerators;
  const auto pos = std::find(prefs.begin(), prefs.end(), accelerator);
  if (pos == prefs.end()) return false;
  if (pos == prefs.begin()) return true;
  if (t.opt.policy == SchedPolicy::kLatency) return false;
  // Spill over only while every more preferred accelerator is saturated.
  for (auto it = prefs.begin(); it != pos; ++it) {
    if (available(*it) >= t.opt.threads) return false;
  }
  if (t.opt.policy == SchedPolicy::kBalanced) {
    if (t.last_miss != Clock::time_point{} && now - t.last_miss < kMissMemory) return false;
    const int64_t expected = predict(t, accelerator, 1);
    if (t.opt.objective_ns > 0 && expected > 0 && !t.queue.empty() &&
        duration_cast<nanoseconds>(t.queue.front().deadline - now).count() < expected) {
      return false;
    }
  }
  return true;
}

bool Scheduler::would_block_higher(const Task& t, int accelerator, int count, Clock::time_point now,
                                   Clock::time_point* until) const {
  // Conservative: a single run is taken as its 90th percentile when that is above the mean (run
  // times on a loaded device spread widely; the mean alone lets one run in ten cause a miss).
  auto expected = [&](const Task& x, int n, int on) -> int64_t {
    const int64_t mean = predict(x, on, n);
    if (n != 1) return mean;
    auto it = profiles_.find({x.opt.model, on});
    return it == profiles_.end() ? mean : std::max(mean, it->second.p90_ns());
  };
  const int64_t run = expected(t, count, accelerator);
  if (run <= 0) return false;  // not measured yet: run it and learn
  const auto end = now + nanoseconds(run);
  const bool cpu = plan_.accelerators[static_cast<size_t>(accelerator)].device == DeviceKind::kCpu;
  // Threads that would stay free for `b` while this run goes on: its own, less this run's if it is
  // `b`, and for a CPU accelerator no more than the cores this run leaves (the shared budget).
  auto free_after = [&](int b) {
    const size_t i = static_cast<size_t>(b);
    int own = free_threads_[i] - (b == accelerator ? t.opt.threads : 0);
    if (plan_.accelerators[i].device == DeviceKind::kCpu) own = std::min(own, free_cores_ - (cpu ? t.opt.threads : 0));
    return own;
  };
  for (const auto& hp : tasks_) {
    const Task& h = *hp;
    if (h.opt.priority <= t.opt.priority || h.opt.objective_ns <= 0 || h.period_ns <= 0) continue;
    // It matters only where the run would take what `h` needs: its accelerator, or (on a CPU
    // accelerator) a core that `h`'s CPU accelerators draw from too.
    bool shares = false, room = false;
    for (int b : h.opt.accelerators) {
      const bool cpu_b = plan_.accelerators[static_cast<size_t>(b)].device == DeviceKind::kCpu;
      if (b == accelerator || (cpu && cpu_b)) shares = true;
      if (free_after(b) >= h.opt.threads) room = true;
    }
    if (!shares || room) continue;  // another lane stays free for it
    const auto period = nanoseconds(static_cast<int64_t>(h.period_ns));
    // A task whose inputs stopped coming (no arrival for three periods) reserves nothing.
    if (now - h.last_arrival > 3 * period) continue;
    auto next_arrival = h.last_arrival + period;
    auto next_deadline = h.last_deadline + period;
    // Due already: still imminent while less than half a period late (a producer's jitter; taking
    // the one after instead let a long run start just before the late input came). Later than
    // that, it was skipped: the one after.
    while (next_arrival + period / 2 < now) {
      next_arrival += period;
      next_deadline += period;
    }
    if (end <= next_arrival) continue;  // done before it comes
    // Its run where it would go: here if it may run here, else its first accelerator.
    const bool here = std::find(h.opt.accelerators.begin(), h.opt.accelerators.end(), accelerator) !=
                      h.opt.accelerators.end();
    const int64_t own = expected(h, 1, here ? accelerator : h.opt.accelerators.front());
    const auto margin = nanoseconds(h.opt.objective_ns / 10);
    if (end + nanoseconds(own) > next_deadline - margin) {
      *until = next_arrival > now ? next_arrival : next_arrival + period / 2;  // comes, or counts as skipped
      return true;
    }
  }
  return false;
}

void Scheduler::skip_stale(Task& t, Clock::time_point now) {
  if (t.lossless || t.opt.priority != Priority::kLow || t.opt.objective_ns <= 0) return;
  while (!t.queue.empty() && t.queue.front().input && t.queue.front().deadline < now) {
    t.queue.pop_front();
    t.stats.skipped++;
  }
}

bool Scheduler::may_join(const Task& t, const Task& u, int accelerator) const {
  return &u != &t && u.group == t.group && u.opt.share_runs && !u.retired && !u.running && u.opt.batch.max > 1 &&
         u.opt.threads <= t.opt.threads &&
         std::find(u.opt.accelerators.begin(), u.opt.accelerators.end(), accelerator) != u.opt.accelerators.end() &&
         !feeds_full(u);
}

int Scheduler::joinable(const Task& t, int accelerator, int room, Clock::time_point now) {
  int n = 0;
  for (auto& x : tasks_) {
    if (n >= room) break;
    Task& u = *x;
    if (!may_join(t, u, accelerator)) continue;
    skip_stale(u, now);
    for (const Entry& e : u.queue) {
      if (!e.input || n >= room) break;  // an end-of-stream marker runs as its own task's run
      ++n;
    }
  }
  return n;
}

void Scheduler::take_input(Task& t, Clock::time_point now, std::vector<TaskInput>* inputs,
                           std::vector<Clock::time_point>* deadlines) {
  Entry& e = t.queue.front();
  t.stats.queue.record(duration_cast<nanoseconds>(now - e.arrival).count());
  deadlines->push_back(e.deadline);
  inputs->push_back(std::move(*e.input));
  t.queue.pop_front();
}

void Scheduler::taken_from(const Task& t, bool was_full, bool* room, bool* unblocked) const {
  // Room for a producer blocked on its queue, once it is down to the low mark (no waiter: the
  // notify costs no call); a task feeding it may have waited for room (backpressure).
  *room = *room || (t.lossless && t.queue.size() <= low_mark(t));
  *unblocked = *unblocked || (was_full && t.feeds_upstream && t.lossless);
}

void Scheduler::take_joined(const Task& t, int lane, int accelerator, int count, Clock::time_point now,
                            std::vector<SharedPart>* parts, std::vector<std::vector<Clock::time_point>>* deadlines,
                            bool* room, bool* unblocked) {
  constexpr size_t kNone = static_cast<size_t>(-1);
  std::vector<int> from;  // the tasks that may give inputs
  for (size_t i = 0; i < tasks_.size(); ++i) {
    if (may_join(t, *tasks_[i], accelerator)) from.push_back(static_cast<int>(i));
  }
  std::vector<size_t> part_of(from.size(), kNone);  // per task in `from`: its index in parts
  std::vector<bool> was_full(from.size());
  for (int k = 0; k < count; ++k) {
    size_t best = kNone;  // the task whose head input has the earliest deadline
    for (size_t i = 0; i < from.size(); ++i) {
      const auto& q = tasks_[static_cast<size_t>(from[i])]->queue;
      if (q.empty() || !q.front().input) continue;
      if (best == kNone || q.front().deadline < tasks_[static_cast<size_t>(from[best])]->queue.front().deadline) {
        best = i;
      }
    }
    if (best == kNone) break;
    Task& u = *tasks_[static_cast<size_t>(from[best])];
    if (part_of[best] == kNone) {
      part_of[best] = parts->size();
      parts->push_back(SharedPart{from[best], {}});
      deadlines->emplace_back();
      was_full[best] = u.queue.size() >= u.capacity;
      u.running = true;
      u.last_lane = lane;
    }
    take_input(u, now, &(*parts)[part_of[best]].inputs, &(*deadlines)[part_of[best]]);
  }
  for (size_t i = 0; i < from.size(); ++i) {
    if (part_of[i] != kNone) taken_from(*tasks_[static_cast<size_t>(from[i])], was_full[i], room, unblocked);
  }
}

Scheduler::Pick Scheduler::choose(int lane, int accelerator, Clock::time_point now, Clock::time_point* wake) {
  Pick best;
  for (size_t i = 0; i < tasks_.size(); ++i) {
    Task& t = *tasks_[i];
    if (t.queue.empty() || busy_[static_cast<size_t>(t.group)]) continue;
    // Cache affinity: a model's weights and buffers stay in the caches of the core that ran it last.
    // Where that lane waits idle, it is woken too and runs this; were it to take other work instead,
    // it wakes the lanes again (deferred_to), so no input waits for a busy lane.
    if (t.last_lane >= 0 && t.last_lane != lane && lane_idle_[static_cast<size_t>(t.last_lane)]) continue;
    if (std::find(t.opt.accelerators.begin(), t.opt.accelerators.end(), accelerator) == t.opt.accelerators.end())
      continue;
    if (available(accelerator) < t.opt.threads) continue;
    skip_stale(t, now);
    if (t.queue.empty()) continue;
    const Entry& head = t.queue.front();
    int count = 0;
    int joined = 0;
    if (head.input) {
      if (feeds_full(t)) continue;  // woken when the full queue is taken from (lane_loop)
      if (!may_place(t, accelerator, now)) continue;
      const bool backing_off = t.opt.policy == SchedPolicy::kBalanced && t.last_miss != Clock::time_point{} &&
                               now - t.last_miss < kMissMemory;
      const int max_batch = t.opt.policy == SchedPolicy::kLatency || backing_off ? 1 : t.opt.batch.max;
      for (const Entry& e : t.queue) {
        if (!e.input || count >= max_batch) break;
        ++count;
      }
      if (count < max_batch && t.opt.share_runs && options_.join) {
        joined = joinable(t, accelerator, max_batch - count, now);
      }
      if (count + joined < max_batch && t.opt.batch.delay_ns > 0 && !t.ends && t.opt.policy != SchedPolicy::kLatency &&
          !backing_off) {
        Clock::time_point fill_until = head.arrival + nanoseconds(t.opt.batch.delay_ns);
        if (t.opt.policy == SchedPolicy::kBalanced && t.opt.objective_ns > 0) {
          fill_until = std::min(fill_until, head.deadline - nanoseconds(predict(t, accelerator, max_batch)));
        }
        if (now < fill_until) {
          *wake = std::min(*wake, fill_until);
          continue;
        }
      }
      // Waits (for the higher-priority input's arrival, which wakes the lane) rather than block it.
      Clock::time_point until;
      if (would_block_higher(t, accelerator, count + joined, now, &until)) {
        *wake = std::min(*wake, until);
        continue;
      }
    }
    auto key = std::make_tuple(-static_cast<int>(t.opt.priority), head.input ? head.deadline : now, head.arrival);
    if (best.task < 0 || key < best.key) best = Pick{static_cast<int>(i), count, joined, accelerator, key};
  }
  return best;
}

Scheduler::Pick Scheduler::choose_among(int lane, const std::vector<int>& accelerators, Clock::time_point now,
                                        Clock::time_point* wake) {
  Pick best;
  for (int a : accelerators) {
    if (available(a) < 1) continue;
    const Pick p = choose(lane, a, now, wake);
    if (p.task >= 0 && (best.task < 0 || p.key < best.key)) best = p;  // ties: the accelerator listed first
  }
  return best;
}

bool Scheduler::deferred_to(int lane, int picked) const {
  for (size_t i = 0; i < tasks_.size(); ++i) {
    if (static_cast<int>(i) != picked && tasks_[i]->last_lane == lane && !tasks_[i]->queue.empty()) return true;
  }
  return false;
}

void Scheduler::lane_loop(int lane, std::vector<int> accelerators) {
  t_in_lane = true;
  const size_t l = static_cast<size_t>(lane);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const auto now = env_->now();
    Clock::time_point wake = Clock::time_point::max();
    const Pick pick = choose_among(lane, accelerators, now, &wake);
    if (pick.task < 0) {  // nothing to run here now: wait for a change, or until `wake`
      const uint64_t seen = changes_;
      lane_idle_[l] = 1;
      env_->wait_until(*work_[l], lock, wake, [&] { return stop_ || changes_ != seen; });
      lane_idle_[l] = 0;
      continue;
    }
    const int accelerator = pick.accelerator;
    Task& t = *tasks_[static_cast<size_t>(pick.task)];
    // Work the other lanes left for this one (it was idle) goes to them now that it is busy.
    const bool deferred = deferred_to(lane, pick.task);
    if (deferred) ++changes_;
    t.last_lane = lane;
    t.running = true;
    busy_[static_cast<size_t>(t.group)] = true;
    take_threads(accelerator, t.opt.threads, +1);
    if (pick.count == 0) {  // the end-of-stream marker
      t.queue.pop_front();
      t.ends = std::any_of(t.queue.begin(), t.queue.end(), [](const Entry& e) { return !e.input; });
      lock.unlock();
      if (deferred) wake_lanes();
      t.flush();
      lock.lock();
      t.flushed = true;
    } else {
      const bool was_full = t.queue.size() >= t.capacity;
      std::vector<TaskInput> batch;
      std::vector<Clock::time_point> deadlines;
      batch.reserve(static_cast<size_t>(pick.count));
      for (int k = 0; k < pick.count; ++k) take_input(t, now, &batch, &deadlines);
      // Other lanes are woken only where a task feeding this one waited for room; taking work
      // frees nothing else they could run.
      bool room = false, unblocked = false;
      taken_from(t, was_full, &room, &unblocked);
      // A shared run (share_runs): parts[0] will be this task's inputs, then the other tasks'.
      std::vector<SharedPart> parts(pick.joined > 0 ? 1 : 0);
      std::vector<std::vector<Clock::time_point>> joined_deadlines(parts.size());
      if (pick.joined > 0) {
        take_joined(t, lane, accelerator, pick.joined, now, &parts, &joined_deadlines, &room, &unblocked);
      }
      if (unblocked) ++changes_;
      lock.unlock();
      if (room) room_.notify_all();
      if (unblocked || deferred) wake_lanes();
      const auto t0 = env_->now();
      if (parts.size() <= 1) {
        t.run(accelerator, batch);
      } else {
        parts[0] = SharedPart{pick.task, std::move(batch)};
        options_.join(accelerator, parts);
      }
      const auto t1 = env_->now();
      lock.lock();
      int size = static_cast<int>(deadlines.size());
      for (const auto& d : joined_deadlines) size += static_cast<int>(d.size());
      record_run(t, accelerator, size, deadlines, t0, t1);
      bool released = false;
      for (size_t p = 1; p < parts.size(); ++p) {
        Task& u = *tasks_[static_cast<size_t>(parts[p].task)];
        record_part(u, accelerator, size, joined_deadlines[p], t1);
        u.stats.shared_runs++;
        u.running = false;
        released = released || u.retired || u.idle_waiters > 0;
      }
      if (parts.size() > 1) t.stats.shared_runs++;
      if (released) room_.notify_all();  // remove_task, wait_idle of a task whose inputs joined the run
    }
    release_run(t, accelerator, pick.count == 0, lock);
  }
}

SchedStatsSnapshot Scheduler::stats(int task) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Task& t = *tasks_.at(static_cast<size_t>(task));
  SchedStatsSnapshot s = t.stats;
  s.admit_rate = t.admit_rate;
  s.queued = static_cast<size_t>(
      std::count_if(t.queue.begin(), t.queue.end(), [](const Entry& e) { return e.input.has_value(); }));
  for (const auto& [key, p] : profiles_) {
    if (key.first != t.opt.model) continue;
    if (p.best_ns() > 0 && (s.best_ns == 0 || p.best_ns() < s.best_ns)) s.best_ns = p.best_ns();
    s.profiles[plan_.accelerators[static_cast<size_t>(key.second)].name] = SchedStatsSnapshot::ProfileSnapshot{
        p.runs(), p.latency(), p.means()};
  }
  return s;
}

std::vector<AcceleratorStats> Scheduler::accelerator_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accel_stats_;
}

std::map<std::string, Profile> Scheduler::profiles(const std::string& model) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, Profile> out;
  for (const auto& [key, p] : profiles_) {
    if (key.first == model) out.emplace(plan_.accelerators[static_cast<size_t>(key.second)].name, p);
  }
  return out;
}

}  // namespace sensix
