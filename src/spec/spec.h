// Typed documents: what a Sensor, Model, Pipeline or Device document says, after parsing and
// validation. docs/ fills these structs from YAML or JSON; every other layer reads only them.
// spec/ itself reads no text and no files.
//
// Field names here are the YAML/JSON field names in snake_case (sampleRate -> sample_rate).
// docs/documents.md is the user-facing description of every field; keep the two in step.
//
// Paths are already resolved when a struct leaves docs/: "repo:<p>" against the model
// repository, "samples:<p>" against the sample directory, a relative path against the
// directory of the document's file.
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/model_format.h"
#include "common/status.h"
#include "common/tensor.h"
#include "spec/rule.h"

namespace sensix {

// Where a document came from; every error about it starts with "<file>: <Kind>/<name>: ".
struct Origin {
  std::string file;  // as given on the command line (not resolved), e.g. "quickstart.yaml"
  int index = 0;     // 0-based position of the document in its file
  int line = 0;      // 1-based line of the document's first key
  // 1-based line of every field as written, by field path ("spec.inputs[0].stream.window"),
  // so that problems found after parsing (model files, tensors, the plan) name a line too.
  std::map<std::string, int> field_lines;

  // The line of `path`, else of its closest enclosing field, else of the document.
  int line_of(std::string_view path) const;
};

struct Metadata {
  std::string name;  // DNS-label style: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters
  std::map<std::string, std::string> labels;
};

// ---------------------------------------------------------------------------------------------
// Sensor

enum class DriverKind {
  kAudioFile,      // "audio-file": WAV/FLAC/OGG... anything libsndfile reads, any rate and channels
  kVideoFile,      // "video-file": anything OpenCV's videoio (FFmpeg) reads
  kImageFolder,    // "image-folder": a folder of images (sorted by name) or a single image file
  kSynthetic,      // "synthetic": a generated signal (tone, noise, test pattern); no file
  kMqtt,           // "mqtt": numeric readings as JSON on an MQTT topic (libmosquitto); no file
  kNetworkCamera,  // "network-camera": an RTSP, RTP/UDP or HTTP (MJPEG) stream (OpenCV + FFmpeg); `url`
  kV4l2Camera,     // "v4l2-camera": a Video4Linux2 device (OpenCV); `device`, e.g. /dev/video0
  kMicrophone,     // "microphone": live capture through PulseAudio; `device` = a source name (default source if empty)
};
std::string_view sensor_driver_name(DriverKind d);
// Live drivers (mqtt, network-camera, v4l2-camera, microphone) read a source that runs on its own
// clock: no replay, no `block` overflow, and a lost source is reconnected (`reconnect`).
bool is_live(DriverKind d);

// audio: interleaved samples at a fixed rate; image: frames; series: timestamped, possibly
// irregular multi-channel numeric readings (an IMU's accelerometer and gyroscope).
enum class Modality { kAudio, kImage, kSeries };
std::string_view modality_name(Modality m);

// What a synthetic sensor generates (sensors/synthetic_driver.h gives the exact formulas).
enum class SyntheticSignal {
  // audio
  kSine,        // "sine": A sin(2 pi f n / rate)
  kSquare,      // "square": A sign(sin(2 pi f n / rate)), +A where the sine is 0
  kWhiteNoise,  // "white-noise": uniform in [-A, A], std::mt19937 seeded
  kSilence,     // "silence": zeros
  // image (8-bit BGR)
  kBars,          // "bars": 8 vertical colour bars
  kCheckerboard,  // "checkerboard": 8x8-pixel black and white squares
  kMovingBox,     // "moving-box": a white square on black, one pixel to the right per frame
  kNoise,         // "noise": uniform 8-bit noise, std::mt19937 seeded
};
std::string_view synthetic_signal_name(SyntheticSignal s);
Modality modality_of(SyntheticSignal s);
bool uses_frequency(SyntheticSignal s);  // sine, square
bool uses_amplitude(SyntheticSignal s);  // sine, square, white-noise
bool uses_seed(SyntheticSignal s);       // white-noise, noise

enum class Overflow {
  kDropOldest,  // "drop-oldest": a full buffer drops its oldest frame (counted); the driver never waits
  kBlock,       // "block": the driver waits for room (lossless replay; file and synthetic drivers)
};
std::string_view overflow_name(Overflow o);

struct ReplaySpec {
  double speed = 1.0;  // 1 = real time, 2 = twice as fast, 0 ("max") = as fast as consumers allow
  bool loop = false;
};

struct SensorAudioSpec {
  int sample_rate = 0;  // declared native rate; 0 = take it from the file. Checked when the file opens.
  int channels = 0;     // declared channel count; 0 = take it from the file
  int frame_ms = 20;    // duration of each frame the driver emits
};

struct SensorVideoSpec {
  double fps = 0;  // image-folder: frames per second (default 1); video-file: cap, 0 = native rate
  int width = 0;   // declared native size; 0 = take it from the stream. Checked when it opens.
  int height = 0;
};

// The `synthetic` section (driver synthetic only). Its format comes from `audio` (sampleRate and
// channels required) or `video` (width, height and fps required), as the signal's modality says.
struct SyntheticSpec {
  SyntheticSignal signal = SyntheticSignal::kSine;
  double frequency = 0;    // Hz, sine and square (required for them): above 0, below half the sample rate
  double amplitude = 0.5;  // 0..1: sine, square, white-noise
  uint32_t seed = 1;       // white-noise, noise
  double duration = 0;     // seconds; 0 = endless (until stopped)
};

// The `mqtt` section (driver mqtt only): where the readings come from and how a JSON message
// maps to channels. Each message is one JSON object (one sample) or an array of objects.
enum class TimestampUnit { kSeconds, kMilliseconds };  // "s", "ms"
std::string_view timestamp_unit_name(TimestampUnit u);

struct MqttSpec {
  std::string host = "127.0.0.1";
  int port = 1883;                  // 1..65535
  std::string topic;                // required; subscription filter (wildcards allowed)
  int qos = 0;                      // 0..2
  std::vector<std::string> fields;  // required: the numeric JSON fields, in channel order
  std::string timestamp;            // optional: the JSON field holding the sample time; empty = receive time
  TimestampUnit timestamp_unit = TimestampUnit::kSeconds;
};

// The `series` section of a Sensor (driver mqtt only).
struct SensorSeriesSpec {
  double rate = 0;  // expected samples per second; informational (0 = not declared)
};

// The `reconnect` section (live drivers): how a source that cannot be opened, or is lost while
// running, is retried. Attempt n (1, 2, ...) waits min(initialDelay * 2^(n-1), maxDelay) seconds
// first; a connection that delivered data resets n. After maxAttempts failed attempts in a row the
// sensor fails (0 = retry for ever). `timeout` bounds one attempt to open the source and the wait
// for the next piece of data before the source counts as lost.
struct ReconnectSpec {
  double initial_delay = 0.5;  // seconds, > 0
  double max_delay = 10.0;     // seconds, >= initial_delay
  int max_attempts = 0;        // 0 = for ever
  double timeout = 5.0;        // seconds, > 0
};

struct BufferSpec {
  int capacity = 16;                 // frames held between the driver and its consumers
  std::optional<Overflow> overflow;  // unset: block when speed is max, drop-oldest otherwise
};

struct SensorSpec {
  DriverKind driver = DriverKind::kAudioFile;
  std::string path;         // resolved; only for the file drivers (audio-file, video-file, image-folder)
  std::string url;          // network-camera: rtsp://, http(s)://, udp://, rtp:// or a local .sdp file
  std::string device;       // v4l2-camera: the device path; microphone: a PulseAudio source (empty = default)
  std::string server;       // microphone: the PulseAudio server (empty = the default: $PULSE_SERVER or the user's)
  ReconnectSpec reconnect;  // live drivers
  SyntheticSpec synthetic;  // used when the driver is synthetic
  MqttSpec mqtt;            // used when the driver is mqtt
  SensorSeriesSpec series;  // used when the sensor gives a series (mqtt)
  ReplaySpec replay;
  SensorAudioSpec audio;  // used when the sensor gives audio
  SensorVideoSpec video;  // used when the sensor gives images
  BufferSpec buffer;
  // `allowDegraded`: this sensor pending, reconnecting or failed does not make the device service
  // unready (/v2/health/ready): a camera that may be offline. It is then listed as degraded.
  bool allow_degraded = false;
};

// What the sensor gives: the driver's modality, or for the synthetic driver its signal's.
Modality modality_of(const SensorSpec& s);

// ---------------------------------------------------------------------------------------------
// Model: inputs

enum class Prefill {
  kNone,   // "none": the first window is emitted once `window` real rows have arrived
  kValue,  // "zeros" or a number: the window starts full of that value, so the first window is
           // emitted after `hop` real rows
};

struct WindowSpec {
  int window = 0;  // rows per window (audio: samples; stream: upstream output rows)
  int hop = 0;     // rows between the starts of consecutive windows (1 <= hop)
  Prefill prefill = Prefill::kNone;
  float prefill_value = 0.0f;
};

enum class AudioFeatureKind {
  kSpectrogram,  // "spectrogram": |STFT|^power, fft_size / 2 + 1 bins per frame
  kMel,          // "mel": the spectrogram through a mel filterbank, `mels` bands
  kLogMel,       // "log-mel": log of the mel bands
  kMfcc,         // "mfcc": orthonormal DCT-II of the log-mel bands, `coefficients` per frame
};
enum class WindowFunction { kHann, kHamming, kRectangular };  // periodic
enum class MelScale { kHtk, kSlaney };
enum class LogKind { kNatural, kDecibel };  // "ln": ln(x), "db": 10 log10(x)
enum class FeatureNorm {
  kNone,     // "none"
  kRunning,  // "running": mean and std of every frame so far in the stream
  kFixed,    // {mean: [...], std: [...]}: given statistics, one per feature
};
std::string_view audio_feature_kind_name(AudioFeatureKind k);
std::string_view window_function_name(WindowFunction w);
std::string_view mel_scale_name(MelScale s);
std::string_view log_kind_name(LogKind k);
std::string_view feature_norm_name(FeatureNorm n);

// Audio features computed per frame (librosa conventions; transform/audio_features.h):
// frames of frame_length samples every frame_hop samples -> spectrum -> [mel] -> [log] -> [DCT]
// -> [normalisation]. With features, an audio input's window and hop count feature frames.
struct AudioFeaturesSpec {
  AudioFeatureKind kind = AudioFeatureKind::kLogMel;
  int frame_length = 400;  // samples per frame (25 ms at 16 kHz)
  int frame_hop = 160;     // samples between frames (10 ms at 16 kHz)
  int fft_size = 0;        // 0: the smallest power of two >= frame_length (resolved by the reader)
  WindowFunction window = WindowFunction::kHann;
  float power = 2.0f;  // 2 power spectrum, 1 magnitude
  bool remove_dc = false;
  int mels = 40;
  double f_min = 0.0;
  double f_max = 0.0;  // 0: half the sample rate (resolved by the reader)
  MelScale mel_scale = MelScale::kSlaney;
  bool mel_norm = true;  // Slaney area normalisation
  LogKind log = LogKind::kNatural;
  float log_floor = 1e-10f;
  float log_offset = 0.0f;
  int coefficients = 13;  // mfcc
  float lifter = 0.0f;    // mfcc
  FeatureNorm norm = FeatureNorm::kNone;
  std::vector<float> norm_mean;  // kFixed: one per feature
  std::vector<float> norm_std;

  // Values per frame: fft_size / 2 + 1, mels or coefficients.
  int width() const;
};

// Audio from a sensor: mixed to `channels`, resampled to `sample_rate`, optionally
// pre-emphasised, then either cut into windows of samples or turned into feature frames that are
// cut into windows of frames; scaled (samples are in [-1, 1]; scale 32768 gives int16 scale).
struct AudioInputSpec {
  int sample_rate = 16000;
  int channels = 1;
  // false: the model must not be fed audio made up by upsampling (a lower-rate sensor resampled up)
  // or by up-mixing (fewer sensor channels copied out); the pipeline is refused instead.
  bool allow_upsampling = true;
  // Empty: the sensor's channels are mixed to `channels` (mean down, copy up). Otherwise the sensor
  // channels to take, 0-based, one per model channel (e.g. {1}: the right channel of a stereo mic).
  std::vector<int> select_channels;
  std::optional<float> pre_emphasis;          // y[n] = x[n] - c x[n-1], c in [0, 1)
  std::optional<AudioFeaturesSpec> features;  // unset: windows of raw samples
  WindowSpec window;                          // samples, or feature frames when `features` is set
  float scale = 1.0f;

  // Values per row of the window: channels, or the feature width.
  int row_width() const { return features ? features->width() : channels; }
};

enum class ResizeMode {
  kStretch,    // "stretch": resize to width x height, aspect ratio not kept
  kLetterbox,  // "letterbox": keep aspect ratio, pad with zeros; the padding is recorded so boxes map back
  kCrop,       // "crop": keep aspect ratio, centre-crop the excess
};
enum class ColorOrder { kRgb, kBgr, kGray, kRgba };
enum class Layout { kNhwc, kNchw };
std::string_view resize_mode_name(ResizeMode m);
std::string_view color_order_name(ColorOrder c);
std::string_view layout_name(Layout l);

// A region of an image in fractions of its width and height: columns [x, x + width) and rows
// [y, y + height) of the unit square. Validated: 0 <= x, y < 1, width and height above 0, and
// x + width <= 1, y + height <= 1.
struct ImageCropSpec {
  float x = 0.0f, y = 0.0f;
  float width = 1.0f, height = 1.0f;
};

// Quantisation of an int8/uint8 input as TFLite defines it: real = scale * (q - zeroPoint), so
// q = round(v / scale) + zeroPoint, clamped to the type's range, where v is the normalised value.
struct ImageQuantizationSpec {
  float scale = 0.0f;  // > 0
  int zero_point = 0;  // within the dtype's range
};

// An image from a sensor, made into a tensor, in this order: rotate (the sensor frame, clockwise),
// crop (a region of the rotated frame), resize, colour order, tensor. Per pixel value p:
//   v = (p/255 - mean[c]) / std[c]   when mean/std are given,
//   v = lo + p/255 * (hi - lo)        when range [lo, hi] is given (default [0, 1]);
//   float32:               v;
//   uint8 (no quantization): p unchanged (no normalisation allowed);
//   int8/uint8 with quantization: round(v / scale) + zeroPoint, clamped.
// The alpha channel of rgba is 255 (opaque) before normalisation.
struct ImageInputSpec {
  int width = 0;
  int height = 0;
  ResizeMode resize = ResizeMode::kStretch;
  ColorOrder color = ColorOrder::kRgb;
  Layout layout = Layout::kNhwc;
  float range_lo = 0.0f;
  float range_hi = 1.0f;
  std::vector<float> mean;                            // empty, or one per channel
  std::vector<float> std;                             // empty, or one per channel
  int rotate = 0;                                     // degrees clockwise: 0, 90, 180 or 270
  std::optional<ImageCropSpec> crop;                  // of the rotated frame; none = the whole frame
  std::optional<ImageQuantizationSpec> quantization;  // only with dtype int8 or uint8
};

// Numeric readings from a series sensor (mqtt): put on a regular grid of `rate` samples per second
// by linear interpolation (transform/series_ops.h), optionally normalised per channel, then cut into
// windows of `window` rows (one row = one value per channel). The channel count is the input shape's
// element count / window; it must equal the sensor's field count (checked by the planner).
struct SeriesInputSpec {
  double rate = 0;                        // required, Hz
  WindowSpec window;                      // rows of the resampled series
  FeatureNorm norm = FeatureNorm::kNone;  // none | running
  double max_gap = 1.0;                   // seconds: a longer gap between readings is not interpolated across
};

// Rows of another model's output (its last dimension is the row width), in sliding windows.
// The upstream is named by the Pipeline, not here.
struct StreamInputSpec {
  WindowSpec window;
};

// The same value every call (e.g. Silero VAD's sample rate).
struct ConstantInputSpec {
  std::vector<double> values;  // one value fills the whole shape
};

// A tensor carried from one call to the next: starts at `init`, then takes the value of the
// model's output `from` after every call (e.g. Silero VAD's state/stateN).
struct StateInputSpec {
  std::string from_output;
  float init = 0.0f;
};

using InputSource =
    std::variant<AudioInputSpec, ImageInputSpec, StreamInputSpec, ConstantInputSpec, StateInputSpec, SeriesInputSpec>;

struct InputSpec {
  std::string name;  // the model's tensor name
  DType dtype = DType::kFloat32;
  std::optional<Shape> shape;  // required where the model's own shape has dynamic dims
  InputSource source;
};

// True for audio, image, series and stream inputs: the one input a Pipeline step feeds.
bool is_data_input(const InputSpec& in);

// ---------------------------------------------------------------------------------------------
// Model: outputs and post-processing

struct OutputSpec {
  std::string name;    // the model's tensor name
  float scale = 1.0f;  // float outputs become v * scale + offset (e.g. oww mel: x/10 + 2)
  float offset = 0.0f;
};

enum class Activation { kNone, kSigmoid, kSoftmax };
std::string_view activation_name(Activation a);

enum class Trigger {
  kRising,  // "rising": one prediction when a label's score crosses the threshold; re-armed once
            //  it falls below `release`
  kEvery,   // "every": a prediction for every result that has at least one label/box over threshold
};
std::string_view trigger_name(Trigger t);

struct ClassifySpec {
  std::string output;
  Activation activation = Activation::kNone;
  std::vector<std::string> labels;  // inline, or read from labels_file; count must match the output
  std::string labels_file;          // resolved path, or empty
  std::string labels_sha256;        // labelsSha256: the file's digest (the daemon writes it when applied)
  int top_k = 1;
  float threshold = 0.5f;
  std::optional<float> release;  // rising: re-arm below this (default: threshold)
  Trigger trigger = Trigger::kRising;
  std::vector<int> ignore_classes;  // class columns never reported (e.g. 0 = "no intent")
};

// MediaPipe-style SSD anchors (SsdAnchorsCalculator), generated from these parameters.
struct AnchorSpec {
  int num_layers = 0;
  float min_scale = 0.0f;
  float max_scale = 0.0f;
  int input_width = 0;       // 0 = the model's image input width
  int input_height = 0;      // 0 = the model's image input height
  std::vector<int> strides;  // one per layer
  std::vector<float> aspect_ratios;
  float offset_x = 0.5f;
  float offset_y = 0.5f;
  bool fixed_anchor_size = false;  // anchors are 1x1 (BlazeFace)
  bool reduce_boxes_in_lowest_layer = false;
  float interpolated_scale_aspect_ratio = 1.0f;  // 0 disables the extra interpolated anchor
};

enum class BoxFormat { kXywh, kYxhw };  // order of the 4 box coordinates in the model's output

struct BoxCodingSpec {
  BoxFormat format = BoxFormat::kXywh;
  float x_scale = 1.0f, y_scale = 1.0f, w_scale = 1.0f, h_scale = 1.0f;
  bool exp_size = false;  // w,h are log-encoded (SSD); false: linear (BlazeFace)
  int num_keypoints = 0;  // (x, y) pairs after the 4 box values
  int num_coords = 4;     // values per anchor in the box tensor (4 + 2*keypoints, or more)
};

struct DetectSpec {
  std::vector<std::string> score_outputs;  // concatenated in this order along the anchor axis
  std::vector<std::string> box_outputs;
  AnchorSpec anchors;
  BoxCodingSpec box;
  Activation score_activation = Activation::kSigmoid;
  float score_clip = 0.0f;          // clip raw scores to [-c, c] before activation; 0 = off
  std::vector<std::string> labels;  // one per class column (inline or from labels_file)
  std::string labels_file;
  std::string labels_sha256;        // labelsSha256, as ClassifySpec's
  std::vector<int> ignore_classes;  // class columns never reported (e.g. 0 = background)
  float min_score = 0.5f;
  float nms_iou = 0.45f;
  int max_detections = 100;
};

// What each value of a landmark point means (`values:` in the document, one entry per value).
enum class LandmarkValue { kX, kY, kZ, kVisibility, kPresence, kIgnore };

// N points of D values each (MediaPipe pose/hand/face landmarks), in model-input pixels of an
// input of input_width x input_height; mapped to source-frame pixels through ImageGeometry.
struct LandmarksSpec {
  std::string output;
  std::vector<LandmarkValue> values = {LandmarkValue::kX, LandmarkValue::kY, LandmarkValue::kZ};  // D = size()
  Activation visibility_activation = Activation::kNone;  // applied to visibility and presence values
  int input_width = 0;                                   // 0 = the model's image input width
  int input_height = 0;                                  // 0 = the model's image input height
  std::string presence_output;                           // optional: a one-value output that gates the prediction
  Activation presence_activation = Activation::kNone;
  float presence_threshold = 0.5f;  // no prediction when the presence score is below this
  std::vector<std::string> names;   // one per point (inline or from names_file), or none
  std::string names_file;
  std::string names_sha256;  // namesSha256, as ClassifySpec's labelsSha256
};

// DB text detection post-processing (PaddleOCR's DBPostProcess) on a probability map [1, 1, H, W].
struct TextRegionsSpec {
  std::string output;
  float threshold = 0.3f;      // binarisation of the probability map
  float box_threshold = 0.6f;  // minimum mean probability inside a region
  float unclip_ratio = 1.5f;   // expansion: offset = area * ratio / perimeter
  float min_size = 3.0f;       // minimum short side, in map pixels
  int max_regions = 100;
  std::string label = "text";
};

// CTC greedy decoding of [1, T, C] with a dictionary.
struct CtcSpec {
  std::string output;
  Activation activation = Activation::kNone;  // kNone: the output is already probabilities
  std::vector<std::string> dictionary;        // inline, or read from dictionary_file
  std::string dictionary_file;
  std::string dictionary_sha256;  // dictionarySha256, as ClassifySpec's labelsSha256
  int blank = 0;                  // class index of the CTC blank
  bool space_character = false;   // the class after the dictionary's last entry is " "
  float min_confidence = 0.5f;    // no prediction below this mean confidence
};

// M-LSD line segments: a centre-score map [1, H, W, 1] and start/end offsets [1, H, W, 4].
struct LinesSpec {
  std::string scores_output;
  std::string offsets_output;
  Activation score_activation = Activation::kNone;
  float threshold = 0.1f;
  int max_lines = 200;
  float min_length = 0.0f;  // model-input pixels
  int input_width = 0;      // 0 = the model's image input width
  int input_height = 0;
};

using PostprocessSpec =
    std::variant<std::monostate, ClassifySpec, DetectSpec, LandmarksSpec, TextRegionsSpec, CtcSpec, LinesSpec>;

// Where a model's engine session lives (`spec.resources.isolation`).
enum class Isolation { kInProcess, kProcess };
std::string_view isolation_name(Isolation i);  // "in-process", "process"

// `spec.resources.worker` (isolation: process): how long one inference may take in the worker
// before it is killed, and how a lost worker is restarted. Attempt n waits
// min(initialDelay * 2^(n-1), maxDelay) seconds; a run that succeeds resets n. After maxAttempts
// failures in a row the model fails (0 = restart for ever).
struct WorkerRestartSpec {
  double initial_delay = 0.5;  // seconds, > 0
  double max_delay = 10.0;     // seconds, >= initial_delay
  int max_attempts = 5;        // 0 = for ever
};
struct WorkerSpec {
  double timeout = 2.0;  // seconds for one inference, > 0
  WorkerRestartSpec restart;
};

struct ResourceSpec {
  int threads = 1;  // the engine's intra-op threads for this model
  int warmup = 1;   // inferences on neutral inputs after loading, before the model is ready (0..100)
  Isolation isolation = Isolation::kInProcess;
  WorkerSpec worker;               // used when isolation is process
  int64_t memory_limit_bytes = 0;  // `memory`: the most the model may use; 0 = no limit
  std::string memory;              // `memory` as written ("256Mi"), for messages
  // `idleUnload`: after this long without an input the model's session is released (its memory
  // given back; it still counts against the device's budget), and the next input loads it again
  // first (ModelInstance, state idle). 0 = never.
  int64_t idle_unload_ns = 0;
};

// ---------------------------------------------------------------------------------------------
// Scheduling (sched/, docs/scheduling.md)

// How the scheduler trades latency against throughput, per device (`Device.spec.policy`) or per
// model (`Model.spec.scheduling.policy`). latency: never wait to fill a batch, run each input as
// soon as a core is free, on its preferred accelerator only. throughput: fill batches (up to
// batch.max, waiting up to batch.delay) and use any allowed accelerator. balanced: batch and
// spill over to other accelerators while the model meets its objective; back off to single
// inputs on the preferred accelerator after a miss.
enum class SchedPolicy { kLatency, kThroughput, kBalanced };
std::string_view sched_policy_name(SchedPolicy p);  // "latency", "throughput", "balanced"

// Priority classes: a higher class always runs first; inside a class, earliest deadline first.
// Under overload, models of a class below one that misses (or nearly misses) its objective are
// admitted at a reduced rate (their frames skipped, evenly spread and counted).
enum class Priority { kLow = 0, kNormal = 1, kHigh = 2 };
std::string_view priority_name(Priority p);  // "low", "normal", "high"

struct BatchSpec {
  int max = 1;           // inputs per engine run, 1..64; > 1 needs a dynamic batch dimension
  int64_t delay_ns = 0;  // the longest the first input waits for the batch to fill
};

struct SchedulingSpec {
  Priority priority = Priority::kNormal;
  int64_t latency_ns = 0;             // objective: sensor capture -> result; 0 = none
  std::optional<SchedPolicy> policy;  // unset: the device's
  BatchSpec batch;
  std::vector<std::string> accelerators;  // allowed, in preference order; empty = every one that runs the model
};

// `spec.variants[]`: the same model in another file for another engine (openWakeWord ships each
// head as ONNX and as TFLite). The model is loaded once per variant and the scheduler may run it on
// an accelerator of any of their engines; results must not depend on which (the variant's tensors
// are checked against the document at load). `tensors` maps the document's input and output
// names to this file's where they differ.
struct VariantSpec {
  ModelFormat format = ModelFormat::kTflite;
  std::string source;  // as written
  std::string path;    // resolved
  std::string sha256;
  std::string engine;  // "onnxruntime" | "tflite"; default for the format
  std::map<std::string, std::string> tensors;
};

// `spec.selfTest[]`: a file the model must get right before it serves. The runtime runs each one
// after the model's warm-up, whenever it loads the model (at start, and at an apply that adds or
// changes it); a model that fails one is refused with what came and what was expected, so a new
// version that fails never receives traffic and the running one keeps serving
// (runtime/self_test.h). The file is decoded and prepared as a raw media request is
// (runtime/media_request.h): an image gives one run, a clip one run per window.
struct SelfTestExpect {
  bool nothing = false;        // `nothing: true`: no run reports a prediction
  std::string label;           // some run reports this label (a class over threshold, a detection)
  std::optional<float> score;  // ... and its best score is within `tolerance` of this
  float tolerance = 0.05f;
  // Image: the prediction holds this many detections (landmarks, text regions, line segments);
  // clip: this many runs report a prediction.
  std::optional<int> count;
  // A detection (with `label`, when given) whose box (x, y, w, h in the file's pixels) overlaps
  // this one by an intersection over union of at least `min_iou`.
  std::optional<std::array<float, 4>> box;
  float min_iou = 0.5f;
  std::optional<std::string> text;  // some run reads exactly this (text recognition)
};
struct SelfTestSpec {
  std::string input;   // as written
  std::string path;    // resolved
  std::string sha256;  // inputSha256: the file's digest (the daemon writes it when applied)
  SelfTestExpect expect;
};

// `spec.rollout`: how a new version of this Model takes over from the running one
// (docs/deployment.md). `state`: a stream's state tensors (Silero VAD's) start from their init
// values in the new version (reset), or go on from the old version's last run (carry: the state
// tensors must have the same names, dtypes and shapes in both).
enum class SwitchState { kReset, kCarry };
std::string_view switch_state_name(SwitchState s);  // "reset", "carry"
// replace: the new version takes over once loaded and self-tested. canary: it also serves `share`
// of the inputs beside the running version until the analysis promotes it or rolls it back.
// shadow: it runs `share` of the inputs beside the running version, compared, serving nothing.
// stopThenStart: the running version stops (its session released) before the new one loads, for a
// device whose memory budget cannot hold both; the model serves nothing meanwhile (its frames are
// passed over, its requests answered 503), and a new version that fails brings the old one back.
enum class RolloutStrategy { kReplace, kCanary, kShadow, kStopThenStart };
std::string_view rollout_strategy_name(RolloutStrategy s);  // "replace", "canary", "shadow", "stopThenStart"
// Whether the strategy runs the new version beside the running one (canary, shadow).
bool runs_beside(RolloutStrategy s);
// `spec.rollout.analysis`: when a canary or shadow is judged, and what passes.
struct RolloutAnalysisSpec {
  int64_t runs = 100;                    // the new version's runs before it is judged (>= 1)
  double max_error_rate = 0.0;           // its failed runs over its runs, at most this
  double max_disagreement = 0.05;        // its compared runs that differ from the running version's, at most this share
  int64_t max_p99_ns = 0;                // its engine time's p99, at most this; 0 = not judged
  double tolerance = 0.05;               // outputs within this share of the running version's magnitude agree
  int64_t timeout_ns = 600'000'000'000;  // not judged by then (too few runs): rolled back
  bool auto_promote = true;              // `promote: manual`: passing waits for `sensix rollout promote`
};
struct RolloutSpec {
  RolloutStrategy strategy = RolloutStrategy::kReplace;
  SwitchState state = SwitchState::kReset;
  double share =
      0;  // canary and shadow: of the inputs the new version runs, (0, 1]; 0 = 0.1 for a canary, 1 for a shadow
  RolloutAnalysisSpec analysis;
  double effective_share() const { return share > 0 ? share : strategy == RolloutStrategy::kCanary ? 0.1 : 1.0; }
};

struct ModelSpec {
  ModelFormat format = ModelFormat::kOnnx;
  std::string source;  // as written in the document (for messages)
  std::string path;    // resolved
  std::string sha256;  // lowercase hex, 64 characters
  std::string version;
  std::string engine;  // "onnxruntime", "tflite", or empty = the default for the format
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  PostprocessSpec postprocess;
  ResourceSpec resources;
  SchedulingSpec scheduling;
  std::vector<VariantSpec> variants;
  std::vector<SelfTestSpec> self_test;
  RolloutSpec rollout;
};

// ---------------------------------------------------------------------------------------------
// Device

enum class DeviceKind { kCpu, kGpu };
std::string_view device_kind_name(DeviceKind d);  // "cpu", "gpu"

// An accelerator: an engine on a device with a thread budget. `threads` is how many engine threads
// may run at once on it (each run of a model takes its `resources.threads`).
struct AcceleratorSpec {
  std::string name;    // DNS label, unique in the device
  std::string engine;  // "onnxruntime", "tflite"
  DeviceKind device = DeviceKind::kCpu;
  int threads = 1;  // 1..1024; the sum over accelerators is at most `cores`
};

struct DeviceSpec {
  int cores = 0;  // the cores sensix may use; 0 = every core of the machine
  SchedPolicy policy = SchedPolicy::kBalanced;
  std::vector<AcceleratorSpec> accelerators;  // empty: one per engine in use, sharing the cores
};

// ---------------------------------------------------------------------------------------------
// Pipeline

// `from.crops`: a cascade. The step's image input is cut out of the original sensor frame around
// each box of the upstream model's detections (e.g. face detector -> face landmarks). Of the
// boxes the detector reports (best first, after its own minScore and NMS), those with one of
// `labels` and a score >= min_score are taken, at most max_crops per result. Each box (x, y, w, h
// in source pixels) becomes the region with centre (x + w/2 + shift_x w, y + h/2 + shift_y h) and
// size (w, h) -- (m, m) with m = max(w, h) when `square` -- times `scale`, clipped to the frame
// and rounded to whole pixels (transform/image_ops.h crop_image). The downstream model's image
// input (rotate, crop, size, resize mode, colour, layout, normalisation) then applies to each crop
// exactly as to a sensor frame, and its boxes and points come back in source-frame pixels.
struct CropsSpec {
  std::vector<std::string> labels;       // empty = every label; else labels of the upstream's detect
  float min_score = 0.0f;                // 0..1 (0: every box the detector reports)
  int max_crops = 10;                    // >= 1: crops per upstream result
  float scale = 1.0f;                    // > 0: the region's size over the box's (1.5 = half as large again)
  bool square = false;                   // square on the box's longer side (before scale)
  float shift_x = 0.0f, shift_y = 0.0f;  // the centre moved by these fractions of the box's width/height
};

struct StepSource {
  std::string sensor;              // feeds an audio, image or series input
  std::string model;               // feeds a stream input from this model's output, or crops (below)
  std::string output;              // which output of `model`; empty = its only declared output
  std::optional<CropsSpec> crops;  // set: crops of `model`'s detections feed an image input
};

struct StepSpec {
  std::string model;
  StepSource from;
};

enum class SinkType { kJsonl };

struct SinkSpec {
  SinkType type = SinkType::kJsonl;
  std::string path;  // resolved
};

// An event rule (`events[]`): fires when `rule` becomes true over the pipeline's model results
// (spec/rule.h: the tree; docs/event_rule.h: the language; runtime/rule_evaluator.h: its meaning).
struct EventSpec {
  std::string name;         // DNS-label style, unique within the pipeline
  std::string when;         // the rule as written
  RuleExpr rule;            // `when`, parsed
  int64_t cooldown_ns = 0;  // no repeat of this event within this media time; 0 = none
};

struct PipelineSpec {
  std::vector<StepSpec> steps;
  std::vector<SinkSpec> sinks;
  std::vector<EventSpec> events;
};

// ---------------------------------------------------------------------------------------------
// Documents

template <typename Spec>
struct Document {
  Origin origin;
  Metadata metadata;
  Spec spec;
  // The document as written, in canonical form (YAML with every map's keys sorted; comments,
  // layout and the origin dropped): two documents with the same canonical text say the same.
  // What a store keeps and what a running set is compared with (same_document).
  std::string canonical;
};

using SensorDoc = Document<SensorSpec>;
using ModelDoc = Document<ModelSpec>;
using PipelineDoc = Document<PipelineSpec>;
using DeviceDoc = Document<DeviceSpec>;

// Every document from one or more files, in the order read. Names are unique per kind.
struct DocumentSet {
  std::vector<SensorDoc> sensors;
  std::vector<ModelDoc> models;
  std::vector<PipelineDoc> pipelines;
  std::vector<DeviceDoc> devices;  // at most one

  const SensorDoc* find_sensor(std::string_view name) const;
  const ModelDoc* find_model(std::string_view name) const;
  const PipelineDoc* find_pipeline(std::string_view name) const;
};

// "quickstart.yaml: Model/hey-jarvis" — the prefix of every message about a document.
std::string doc_label(const SensorDoc& d);
std::string doc_label(const ModelDoc& d);
std::string doc_label(const PipelineDoc& d);
std::string doc_label(const DeviceDoc& d);

// `s` with " (line N)" added to each of its lines that is about the document labelled `label`
// ("<label>: <field path>: ...", or "<label>: ..." for the document's own line) and names no
// line yet. Problems found after parsing go through it so that they point into the file as the
// parser's do.
Status with_lines(const Status& s, std::string_view label, const Origin& origin);

}  // namespace sensix
