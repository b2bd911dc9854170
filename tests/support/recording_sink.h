// RecordingSink: a FrameSink for driver tests that records every frame a driver publishes and the
// end_of_stream calls, and lets the test wait for them.
//
// Thread-safety: push() and end_of_stream() come from the driver's thread, the rest from the
// test's; all are guarded by one mutex. `on_push` is set before the driver starts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "sensors/driver.h"

namespace sensix::testing {

class RecordingSink final : public FrameSink {
 public:
  // Optional: runs inside push() and decides its return value (false: the frame is refused).
  std::function<bool(const Frame&)> on_push;

  bool push(FramePtr frame) override;
  void end_of_stream(const Status& why) override;

  // Waits until at least n frames arrived or the stream ended; true if n frames arrived.
  bool wait_for_frames(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for end_of_stream; true if it came.
  bool wait_for_end(std::chrono::milliseconds timeout = std::chrono::seconds(60));

  std::vector<FramePtr> frames() const;
  int eos_calls() const;
  Status eos_status() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FramePtr> frames_;
  int eos_calls_ = 0;
  Status eos_status_;
};

}  // namespace sensix::testing
