// FrameQueue: the bounded buffer between a sensor driver and one consumer.
//
// Every queue is bounded (a capacity of 0 is taken as 1). When full, kDropOldest discards the
// oldest frame and counts it (the producer never waits); kBlock makes the producer wait for room
// (lossless file replay).
// close() wakes everyone: push() then fails, pop() drains what is left and then returns
// nullptr.
//
// Thread-safety: any number of producers and consumers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "common/env.h"
#include "common/frame.h"
#include "spec/spec.h"

namespace sensix {

class FrameQueue {
 public:
  // pop()'s timeout runs on `env`'s clock.
  FrameQueue(size_t capacity, Overflow overflow, Env* env = Env::Default());

  // Returns false if the queue is closed (the frame is not queued and not counted as dropped);
  // in kBlock mode that includes a close() while waiting for room.
  bool push(FramePtr frame);
  // Waits up to `timeout` for a frame. nullptr on timeout or when closed and empty.
  FramePtr pop(std::chrono::milliseconds timeout);
  void close();

  bool closed() const;
  size_t size() const;
  size_t capacity() const { return capacity_; }
  Overflow overflow() const { return overflow_; }
  uint64_t pushed() const;   // frames accepted
  uint64_t dropped() const;  // frames discarded because the queue was full

 private:
  const size_t capacity_;
  const Overflow overflow_;
  Env* const env_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<FramePtr> q_;
  bool closed_ = false;
  uint64_t pushed_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace sensix
