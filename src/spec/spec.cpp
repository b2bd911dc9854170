#include "spec/spec.h"

#include <cctype>

namespace sensix {

std::string_view sensor_driver_name(DriverKind d) {
  switch (d) {
    case DriverKind::kAudioFile: return "audio-file";
    case DriverKind::kVideoFile: return "video-file";
    case DriverKind::kImageFolder: return "image-folder";
    case DriverKind::kSynthetic: return "synthetic";
    case DriverKind::kMqtt: return "mqtt";
    case DriverKind::kNetworkCamera: return "network-camera";
    case DriverKind::kV4l2Camera: return "v4l2-camera";
    case DriverKind::kMicrophone: return "microphone";
  }
  return "unknown";
}

bool is_live(DriverKind d) {
  return d == DriverKind::kMqtt || d == DriverKind::kNetworkCamera || d == DriverKind::kV4l2Camera ||
         d == DriverKind::kMicrophone;
}

std::string_view synthetic_signal_name(SyntheticSignal s) {
  switch (s) {
    case SyntheticSignal::kSine: return "sine";
    case SyntheticSignal::kSquare: return "square";
    case SyntheticSignal::kWhiteNoise: return "white-noise";
    case SyntheticSignal::kSilence: return "silence";
    case SyntheticSignal::kBars: return "bars";
    case SyntheticSignal::kCheckerboard: return "checkerboard";
    case SyntheticSignal::kMovingBox: return "moving-box";
    case SyntheticSignal::kNoise: return "noise";
  }
  return "unknown";
}

Modality modality_of(SyntheticSignal s) {
  switch (s) {
    case SyntheticSignal::kSine:
    case SyntheticSignal::kSquare:
    case SyntheticSignal::kWhiteNoise:
    case SyntheticSignal::kSilence: return Modality::kAudio;
    case SyntheticSignal::kBars:
    case SyntheticSignal::kCheckerboard:
    case SyntheticSignal::kMovingBox:
    case SyntheticSignal::kNoise: return Modality::kImage;
  }
  return Modality::kAudio;
}

bool uses_frequency(SyntheticSignal s) { return s == SyntheticSignal::kSine || s == SyntheticSignal::kSquare; }
bool uses_amplitude(SyntheticSignal s) { return uses_frequency(s) || s == SyntheticSignal::kWhiteNoise; }
bool uses_seed(SyntheticSignal s) { return s == SyntheticSignal::kWhiteNoise || s == SyntheticSignal::kNoise; }

Modality modality_of(const SensorSpec& s) {
  switch (s.driver) {
    case DriverKind::kAudioFile: return Modality::kAudio;
    case DriverKind::kVideoFile:
    case DriverKind::kImageFolder: return Modality::kImage;
    case DriverKind::kSynthetic: return modality_of(s.synthetic.signal);
    case DriverKind::kMqtt: return Modality::kSeries;
    case DriverKind::kNetworkCamera:
    case DriverKind::kV4l2Camera: return Modality::kImage;
    case DriverKind::kMicrophone: return Modality::kAudio;
  }
  return Modality::kAudio;
}

std::string_view modality_name(Modality m) {
  switch (m) {
    case Modality::kAudio: return "audio";
    case Modality::kImage: return "image";
    case Modality::kSeries: return "series";
  }
  return "unknown";
}

std::string_view timestamp_unit_name(TimestampUnit u) { return u == TimestampUnit::kSeconds ? "s" : "ms"; }

std::string_view overflow_name(Overflow o) { return o == Overflow::kDropOldest ? "drop-oldest" : "block"; }

std::string_view resize_mode_name(ResizeMode m) {
  switch (m) {
    case ResizeMode::kStretch: return "stretch";
    case ResizeMode::kLetterbox: return "letterbox";
    case ResizeMode::kCrop: return "crop";
  }
  return "unknown";
}

std::string_view color_order_name(ColorOrder c) {
  switch (c) {
    case ColorOrder::kRgb: return "rgb";
    case ColorOrder::kBgr: return "bgr";
    case ColorOrder::kGray: return "gray";
    case ColorOrder::kRgba: return "rgba";
  }
  return "unknown";
}

std::string_view layout_name(Layout l) { return l == Layout::kNhwc ? "nhwc" : "nchw"; }

std::string_view isolation_name(Isolation i) { return i == Isolation::kProcess ? "process" : "in-process"; }
std::string_view switch_state_name(SwitchState s) { return s == SwitchState::kCarry ? "carry" : "reset"; }
std::string_view rollout_strategy_name(RolloutStrategy s) {
  switch (s) {
    case RolloutStrategy::kReplace: return "replace";
    case RolloutStrategy::kCanary: return "canary";
    case RolloutStrategy::kShadow: return "shadow";
    case RolloutStrategy::kStopThenStart: return "stopThenStart";
  }
  return "replace";
}
bool runs_beside(RolloutStrategy s) { return s == RolloutStrategy::kCanary || s == RolloutStrategy::kShadow; }

std::string_view sched_policy_name(SchedPolicy p) {
  switch (p) {
    case SchedPolicy::kLatency: return "latency";
    case SchedPolicy::kThroughput: return "throughput";
    case SchedPolicy::kBalanced: return "balanced";
  }
  return "?";
}

std::string_view priority_name(Priority p) {
  switch (p) {
    case Priority::kLow: return "low";
    case Priority::kNormal: return "normal";
    case Priority::kHigh: return "high";
  }
  return "?";
}

std::string_view device_kind_name(DeviceKind d) { return d == DeviceKind::kGpu ? "gpu" : "cpu"; }

std::string_view audio_feature_kind_name(AudioFeatureKind k) {
  switch (k) {
    case AudioFeatureKind::kSpectrogram: return "spectrogram";
    case AudioFeatureKind::kMel: return "mel";
    case AudioFeatureKind::kLogMel: return "log-mel";
    case AudioFeatureKind::kMfcc: return "mfcc";
  }
  return "unknown";
}

std::string_view window_function_name(WindowFunction w) {
  switch (w) {
    case WindowFunction::kHann: return "hann";
    case WindowFunction::kHamming: return "hamming";
    case WindowFunction::kRectangular: return "rectangular";
  }
  return "unknown";
}

std::string_view mel_scale_name(MelScale s) { return s == MelScale::kHtk ? "htk" : "slaney"; }

std::string_view log_kind_name(LogKind k) { return k == LogKind::kNatural ? "ln" : "db"; }

std::string_view feature_norm_name(FeatureNorm n) {
  switch (n) {
    case FeatureNorm::kNone: return "none";
    case FeatureNorm::kRunning: return "running";
    case FeatureNorm::kFixed: return "fixed";
  }
  return "unknown";
}

int AudioFeaturesSpec::width() const {
  switch (kind) {
    case AudioFeatureKind::kSpectrogram: return fft_size / 2 + 1;
    case AudioFeatureKind::kMel:
    case AudioFeatureKind::kLogMel: return mels;
    case AudioFeatureKind::kMfcc: return coefficients;
  }
  return 0;
}

std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::kNone: return "none";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kSoftmax: return "softmax";
  }
  return "unknown";
}

std::string_view trigger_name(Trigger t) { return t == Trigger::kRising ? "rising" : "every"; }

bool is_data_input(const InputSpec& in) {
  return std::holds_alternative<AudioInputSpec>(in.source) || std::holds_alternative<ImageInputSpec>(in.source) ||
         std::holds_alternative<StreamInputSpec>(in.source) || std::holds_alternative<SeriesInputSpec>(in.source);
}

namespace {
template <typename Doc>
const Doc* find_by_name(const std::vector<Doc>& docs, std::string_view name) {
  for (const auto& d : docs) {
    if (d.metadata.name == name) return &d;
  }
  return nullptr;
}
}  // namespace

const SensorDoc* DocumentSet::find_sensor(std::string_view name) const { return find_by_name(sensors, name); }
const ModelDoc* DocumentSet::find_model(std::string_view name) const { return find_by_name(models, name); }
const PipelineDoc* DocumentSet::find_pipeline(std::string_view name) const { return find_by_name(pipelines, name); }

int Origin::line_of(std::string_view path) const {
  std::string p(path);
  while (!p.empty()) {
    if (auto it = field_lines.find(p); it != field_lines.end()) return it->second;
    // The enclosing field: drop the last ".key" or "[i]".
    const size_t cut = p.find_last_of(".[");
    p.resize(cut == std::string::npos ? 0 : cut);
  }
  return line;
}

namespace {

// The field path at the start of `text` ("spec.inputs[0].name: ..."), or "".
std::string_view leading_field_path(std::string_view text) {
  size_t n = 0;
  while (n < text.size()) {
    const char c = text[n];
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '[' || c == ']' || c == '_';
    if (!ok) break;
    ++n;
  }
  const std::string_view path = text.substr(0, n);
  return path.starts_with("spec") || path.starts_with("metadata") ? path : std::string_view();
}

bool names_a_line(std::string_view line) {
  const size_t at = line.rfind("(line ");
  return at != std::string_view::npos && line.ends_with(")");
}

}  // namespace

Status with_lines(const Status& s, std::string_view label, const Origin& origin) {
  if (s.ok()) return s;
  const std::string prefix = std::string(label) + ": ";
  std::string out;
  std::string_view rest = s.message();
  for (;;) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    out += line;
    if (line.starts_with(prefix) && !names_a_line(line)) {
      const int at = origin.line_of(leading_field_path(line.substr(prefix.size())));
      if (at > 0) out += " (line " + std::to_string(at) + ")";
    }
    if (nl == std::string_view::npos) break;
    out += '\n';
    rest.remove_prefix(nl + 1);
  }
  return Status(s.code(), std::move(out));
}

std::string doc_label(const SensorDoc& d) { return d.origin.file + ": Sensor/" + d.metadata.name; }
std::string doc_label(const ModelDoc& d) { return d.origin.file + ": Model/" + d.metadata.name; }
std::string doc_label(const PipelineDoc& d) { return d.origin.file + ": Pipeline/" + d.metadata.name; }
std::string doc_label(const DeviceDoc& d) { return d.origin.file + ": Device/" + d.metadata.name; }

}  // namespace sensix
