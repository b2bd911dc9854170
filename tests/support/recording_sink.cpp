#include "support/recording_sink.h"

#include <utility>

namespace sensix::testing {

bool RecordingSink::push(FramePtr frame) {
  bool accept = on_push ? on_push(*frame) : true;
  std::lock_guard lock(mu_);
  if (accept) frames_.push_back(std::move(frame));
  cv_.notify_all();
  return accept;
}

void RecordingSink::end_of_stream(const Status& why) {
  std::lock_guard lock(mu_);
  ++eos_calls_;
  eos_status_ = why;
  cv_.notify_all();
}

bool RecordingSink::wait_for_frames(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return frames_.size() >= n || eos_calls_ > 0; });
  return frames_.size() >= n;
}

bool RecordingSink::wait_for_end(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return eos_calls_ > 0; });
}

std::vector<FramePtr> RecordingSink::frames() const {
  std::lock_guard lock(mu_);
  return frames_;
}

int RecordingSink::eos_calls() const {
  std::lock_guard lock(mu_);
  return eos_calls_;
}

Status RecordingSink::eos_status() const {
  std::lock_guard lock(mu_);
  return eos_status_;
}

}  // namespace sensix::testing
