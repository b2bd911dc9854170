// Raw media requests: an encoded image (JPEG, PNG) or audio clip (WAV, FLAC, OGG) sent to a model
// is decoded, then prepared for the model's data input by the planner's steps, the ones a sensor
// of that format would get (transform/plan.h: resize or letterbox, colour order, layout and
// normalisation; mixing, resampling, features and windows), run on the scheduler as requests
// (RequestTasks), and post-processed as the model's document declares, so a client sends a
// photo or a clip and needs no preprocessing code.
//
// An image gives one run, whose detections, landmarks and lines are in the client's image pixels
// (the steps' geometry maps them back, as for a sensor's frame). A clip gives one run per window
// of the model's input (its window and hop; the last window is zero-padded, as at the end of a
// replayed file), run one after the other in time order; each output is the runs' outputs
// concatenated along the first dimension, and each run's prediction has the time of its window's
// end in the clip. Each run's post-processing starts afresh (a `rising` trigger reports every run
// over the threshold: there is no earlier run of the stream to rise from). A model that keeps state
// between runs (Silero VAD) carries it from window to window of the clip, from the state inputs'
// init values; within a sequence (`sequence`), from the sequence's state, and on to its next
// request (its first window has the sequence's start, its last the sequence's end).
//
// Errors, each naming the input: a content type that is not taken, bytes that are not that
// format (a JPEG without its end-of-image marker is truncated), an audio clip whose header claims
// more than it holds, media of the other modality than the model's input, a model whose data input
// is not audio or an image (a stream of another model's output, a series), a sequence for a model
// without state, and what the planner
// refuses (a clip at a lower rate than a model that forbids upsampling).
//
// Limits (MediaLimits): an image's width and height and a clip's length are read from the file's
// header and checked before anything is decoded, so that a small file that declares a huge image or
// hours of audio (a decompression bomb) is refused with what it declares and the limit, instead of
// taking the daemon's memory from the sensors.
//
// MediaRequests decodes and prepares each request on threads of its own (a fixed number, with a
// bounded queue: a full one is Unavailable at once), never on the thread that received it: a
// connection's I/O thread or gRPC's callback thread would otherwise stop serving every other
// request while a large image decodes, and the decoded pixels of many requests at once would be
// held together. At most `threads` decoded files are in memory at a time.
//
// Thread-safety: MediaRequests::infer() from any thread; the answer comes once,
// from a scheduler lane, the deadline thread, a decoding thread, or the calling thread when the
// request is refused before it is queued.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "runtime/request_tasks.h"
#include "sensors/replay/audio_clip.h"
#include "spec/prediction.h"
#include "transform/item.h"

namespace sensix {

// An encoded file as a request carries it.
struct MediaInput {
  std::string name;          // the request's input name (for errors)
  std::string content_type;  // e.g. "image/jpeg"
  std::string bytes;
};

enum class MediaKind { kImage, kAudio };
// The kind of a content type: image/jpeg, image/png; audio/wav (audio/x-wav, audio/wave),
// audio/flac, audio/ogg. InvalidArgument naming the ones taken.
Result<MediaKind> media_kind(std::string_view content_type);

// A file's content type from its first bytes: image/jpeg, image/png, audio/wav, audio/flac or
// audio/ogg; InvalidArgument naming what the bytes start with otherwise.
Result<std::string> sniff_content_type(std::string_view bytes);

// `media` decoded and prepared for the model's data input (what MediaRequests runs, below): the
// model's inputs in time order, tensor items (an image's with its geometry, a clip's windows).
// The errors MediaRequests::infer gives for the content type, the bytes and the modality.
struct PreparedMedia {
  std::vector<Item> inputs;
  std::string description;  // what was decoded, as MediaAnswer::media
};
// How large one request's media may be once decoded (the defaults of sensix serve).
struct MediaLimits {
  int64_t max_image_pixels = 50'000'000;  // width x height (150 MB as 8-bit BGR)
  AudioLimits audio;                      // length and samples of a clip
};
Result<PreparedMedia> prepare_media(const ModelSignature& sig, MediaInput media, const MediaLimits& limits = {});

// The width and height a JPEG's frame header or a PNG's IHDR declares, read without decoding;
// InvalidArgument where the header is missing, cut short or damaged.
struct ImageSize {
  int64_t width = 0, height = 0;
};
Result<ImageSize> encoded_image_size(std::string_view bytes, bool png);

struct MediaAnswer {
  std::vector<NamedTensor> outputs;     // the declared outputs; a clip's runs concatenated along dim 0
  std::vector<Prediction> predictions;  // what the runs' post-processing reported, in run order
  int runs = 0;                         // engine runs (1 for an image; a clip's windows)
  std::string media;                    // what was decoded, e.g. "JPEG 640x480" or "WAV ... 22050 Hz, 1 ch, 1.00 s"
  std::string version;  // the spec.version that ran it (a canary's where its rollout sent it; a clip: its last run's)
};

using MediaAnswerFn = std::function<void(Result<MediaAnswer>)>;

// Raw media requests decoded and prepared on threads of their own, then scheduled as the model's
// requests (RequestTasks).
class MediaRequests {
 public:
  struct Options {
    int threads = 0;  // decoding threads; 0: half the machine's cores, at least one
    int queue = 32;   // requests that may wait for a busy decoding thread; one more is Unavailable at once
    MediaLimits limits;
  };
  // `tasks` outlives this.
  MediaRequests(RequestTasks* tasks, Options options);
  ~MediaRequests();  // close()
  MediaRequests(const MediaRequests&) = delete;
  MediaRequests& operator=(const MediaRequests&) = delete;

  // Queues `media` for `model`, to be decoded, prepared and scheduled on a decoding thread (see
  // above; `options.timeout` covers the wait and every run, `options.after_run` is not used). Unavailable at once, from
  // this thread, when `queue` requests wait already or after close(). A request whose timeout
  // passes while it waits is answered so when a thread takes it, without decoding it.
  void infer(const std::string& model, MediaInput media, RequestTasks::Options options, MediaAnswerFn answer);
  // The waiting requests are answered Unavailable; returns once the ones being decoded are handed
  // on (their answers come from the scheduler, or Unavailable once the request tasks close).
  void close();

  int threads() const { return static_cast<int>(threads_.size()); }
  uint64_t refused_busy() const;  // requests refused because the queue was full
  int64_t waiting() const;        // requests waiting for a decoding thread now

 private:
  struct Job {
    std::string model;
    MediaInput media;
    RequestTasks::Options options;
    MediaAnswerFn answer;
    TimePoint arrived{};
  };
  void loop();

  RequestTasks* tasks_;
  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> waiting_;    // under mu_
  bool closed_ = false;        // under mu_
  int decoding_ = 0;           // requests a thread has taken and not yet handed on; under mu_
  uint64_t refused_busy_ = 0;  // under mu_
  std::vector<std::thread> threads_;
};

}  // namespace sensix
