// ReplayDriver: the lifecycle, pacing and bookkeeping shared by the file-replay drivers
// (audio-file, video-file, image-folder) and the synthetic driver, whose generated frames are
// paced like a file's. A subclass only opens and reads its source; this class
// owns the thread, the states, the replay clock, stop() and end_of_stream().
//
// Replay clock: with replay.speed s > 0, a frame whose media time is m is published at
// anchor_time + (m - anchor_media) / s on the driver's Env clock (s = 1 is real time). A frame
// published more than one frame period (duration / s) after its due time is late: it is counted
// in stats().late_frames, the driver goes to kDegraded (reason says how late), and the clock is
// re-anchored at that frame, so a driver that fell behind paces on from where it is instead of
// bursting to catch up. It returns to kRunning after one second of media time published on
// time. With s = 0 frames are published as fast as the sink accepts them (never late).
//
// States: kPending (created, opened) -> kRunning <-> kDegraded -> kStopped (end of a pass that
// does not loop, stop(), or the sink refused a frame) or kFailed (open failed, or the data is
// damaged). A read/decode error in the middle of a file ends the stream in kFailed with a
// reason naming the file, after everything read before the damage was delivered (it is never
// kStopped: the consumer must be able to tell that it did not get the whole file).
// end_of_stream() is called exactly once per start(), from the driver's thread: Ok at the end
// of the file, Cancelled after stop() or a refused push, the error on failure.
//
// stop() wakes a pacing sleep at once (condition variable) and joins; it cannot interrupt a
// FrameSink::push() that blocks, so a host that applies back-pressure must make push() return
// (e.g. close its queue) for stop() to be prompt.
//
// Subclass contract: open_source() runs on the control thread inside open(); read_next() and
// rewind() run only on the driver thread. Subclass destructors must call stop() first (the
// thread calls their virtuals). Nothing here throws; exceptions from a subclass are caught and
// turned into kFailed.
//
// Thread-safety: as SensorDriver (open/start/stop from one control thread, the rest from any).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "sensors/threaded_driver.h"

namespace sensix {

class ReplayDriver : public ThreadedDriver {
 public:
  ~ReplayDriver() override;

  Status open() final;
  Status start(FrameSink* sink) final;

 protected:
  ReplayDriver(std::string name, SensorSpec spec, Env* env);

  // One piece of data read from the source.
  struct Unit {
    std::variant<AudioChunk, cv::Mat> data;
    int64_t media_ns = 0;     // from the start of the stream; keeps counting across loops
    int64_t duration_ns = 0;  // > 0
    // Where this unit came from (an image folder: its file); null: the stream's source
    // (frame_source_text(), made once at open()).
    FrameSource source;
  };
  enum class Read {
    kUnit,       // *out holds the next unit
    kSkipped,    // a frame was read and deliberately dropped (fps cap); counted in stats().skipped
    kEndOfPass,  // the source ended cleanly
  };

  // Opens the source, checks it against spec() and fills *info. Control thread.
  virtual Status open_source(SensorInfo* info) = 0;
  // Reads the next unit. An error means the data is damaged (the stream ends in kFailed).
  virtual Result<Read> read_next(Unit* out) = 0;
  // Starts the next pass of a looping replay; media time keeps counting.
  virtual Status rewind() = 0;

  // What messages call the source ("end of <label>"): spec().path by default (a generated
  // source names itself). Either thread.
  virtual std::string source_label() const { return spec().path; }
  // What every frame carries as Frame::source unless its unit names its own: spec().path (the
  // file, as resolved) by default; empty for none (generated data). Called once, at open().
  virtual std::string frame_source_text() const { return spec().path; }

  // A unit that could not be read but does not end the stream (e.g. an undecodable image in a
  // folder). The caller logs it.
  void count_error();

 private:
  enum class Outcome { kEnd, kStopRequested, kRefused };
  void run() override;
  Result<Outcome> pump();

  FrameSource source_;  // frame_source_text(), set by open()
};

}  // namespace sensix
