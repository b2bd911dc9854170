#include "sensors/frame_queue.h"

#include <algorithm>

namespace sensix {

FrameQueue::FrameQueue(size_t capacity, Overflow overflow, Env* env)
    : capacity_(std::max<size_t>(capacity, 1)), overflow_(overflow), env_(env) {}

bool FrameQueue::push(FramePtr frame) {
  std::unique_lock lock(mu_);
  if (overflow_ == Overflow::kBlock) {
    not_full_.wait(lock, [&] { return closed_ || q_.size() < capacity_; });
  }
  if (closed_) return false;
  if (q_.size() >= capacity_) {  // kDropOldest: make room, never wait
    q_.pop_front();
    ++dropped_;
  }
  q_.push_back(std::move(frame));
  ++pushed_;
  lock.unlock();
  not_empty_.notify_one();
  return true;
}

FramePtr FrameQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!env_->wait_for(not_empty_, lock, timeout, [&] { return closed_ || !q_.empty(); })) return nullptr;
  if (q_.empty()) return nullptr;  // closed and drained
  FramePtr frame = std::move(q_.front());
  q_.pop_front();
  lock.unlock();
  not_full_.notify_one();
  return frame;
}

void FrameQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

bool FrameQueue::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

size_t FrameQueue::size() const {
  std::lock_guard lock(mu_);
  return q_.size();
}

uint64_t FrameQueue::pushed() const {
  std::lock_guard lock(mu_);
  return pushed_;
}

uint64_t FrameQueue::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace sensix
