#include "docs/readers.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "common/byte_size.h"
#include "common/tensor.h"
#include "docs/event_rule.h"

namespace sensix::docs {
namespace fs = std::filesystem;

namespace {

const EnumTable<DriverKind>& driver_table() {
  static const EnumTable<DriverKind> t = {{"audio-file", DriverKind::kAudioFile},
                                          {"video-file", DriverKind::kVideoFile},
                                          {"image-folder", DriverKind::kImageFolder},
                                          {"synthetic", DriverKind::kSynthetic},
                                          {"mqtt", DriverKind::kMqtt},
                                          {"network-camera", DriverKind::kNetworkCamera},
                                          {"v4l2-camera", DriverKind::kV4l2Camera},
                                          {"microphone", DriverKind::kMicrophone}};
  return t;
}
const EnumTable<TimestampUnit>& timestamp_unit_table() {
  static const EnumTable<TimestampUnit> t = {{"s", TimestampUnit::kSeconds}, {"ms", TimestampUnit::kMilliseconds}};
  return t;
}
const EnumTable<SyntheticSignal>& signal_table() {
  static const EnumTable<SyntheticSignal> t = [] {
    EnumTable<SyntheticSignal> v;
    for (SyntheticSignal s : {SyntheticSignal::kSine, SyntheticSignal::kSquare, SyntheticSignal::kWhiteNoise,
                              SyntheticSignal::kSilence, SyntheticSignal::kBars, SyntheticSignal::kCheckerboard,
                              SyntheticSignal::kMovingBox, SyntheticSignal::kNoise}) {
      v.emplace_back(std::string(synthetic_signal_name(s)), s);
    }
    return v;
  }();
  return t;
}
const EnumTable<Overflow>& overflow_table() {
  static const EnumTable<Overflow> t = {{"drop-oldest", Overflow::kDropOldest}, {"block", Overflow::kBlock}};
  return t;
}
const EnumTable<ModelFormat>& format_table() {
  static const EnumTable<ModelFormat> t = {{"onnx", ModelFormat::kOnnx}, {"tflite", ModelFormat::kTflite}};
  return t;
}
const EnumTable<std::string>& engine_table() {
  static const EnumTable<std::string> t = {{"onnxruntime", "onnxruntime"}, {"tflite", "tflite"}};
  return t;
}
const EnumTable<DType>& dtype_table() {
  static const EnumTable<DType> t = [] {
    EnumTable<DType> v;
    for (DType d : {DType::kFloat32, DType::kFloat16, DType::kInt64, DType::kInt32, DType::kInt8, DType::kUInt8,
                    DType::kBool}) {
      v.emplace_back(std::string(dtype_name(d)), d);
    }
    return v;
  }();
  return t;
}
const EnumTable<ResizeMode>& resize_table() {
  static const EnumTable<ResizeMode> t = {
      {"stretch", ResizeMode::kStretch}, {"letterbox", ResizeMode::kLetterbox}, {"crop", ResizeMode::kCrop}};
  return t;
}
const EnumTable<ColorOrder>& color_table() {
  static const EnumTable<ColorOrder> t = {{"rgb", ColorOrder::kRgb},
                                          {"bgr", ColorOrder::kBgr},
                                          {"gray", ColorOrder::kGray},
                                          {"rgba", ColorOrder::kRgba}};
  return t;
}
const EnumTable<Layout>& layout_table() {
  static const EnumTable<Layout> t = {{"nhwc", Layout::kNhwc}, {"nchw", Layout::kNchw}};
  return t;
}
const EnumTable<Activation>& activation_table() {
  static const EnumTable<Activation> t = {
      {"none", Activation::kNone}, {"sigmoid", Activation::kSigmoid}, {"softmax", Activation::kSoftmax}};
  return t;
}
// Activations of one value at a time (softmax needs a row).
const EnumTable<Activation>& elementwise_activation_table() {
  static const EnumTable<Activation> t = {{"none", Activation::kNone}, {"sigmoid", Activation::kSigmoid}};
  return t;
}
const EnumTable<Activation>& row_activation_table() {
  static const EnumTable<Activation> t = {{"none", Activation::kNone}, {"softmax", Activation::kSoftmax}};
  return t;
}
const EnumTable<LandmarkValue>& landmark_value_table() {
  static const EnumTable<LandmarkValue> t = {{"x", LandmarkValue::kX},
                                             {"y", LandmarkValue::kY},
                                             {"z", LandmarkValue::kZ},
                                             {"visibility", LandmarkValue::kVisibility},
                                             {"presence", LandmarkValue::kPresence},
                                             {"ignore", LandmarkValue::kIgnore}};
  return t;
}
const EnumTable<Trigger>& trigger_table() {
  static const EnumTable<Trigger> t = {{"rising", Trigger::kRising}, {"every", Trigger::kEvery}};
  return t;
}
const EnumTable<BoxFormat>& box_format_table() {
  static const EnumTable<BoxFormat> t = {{"xywh", BoxFormat::kXywh}, {"yxhw", BoxFormat::kYxhw}};
  return t;
}
const EnumTable<SinkType>& sink_table() {
  static const EnumTable<SinkType> t = {{"jsonl", SinkType::kJsonl}};
  return t;
}

int channels_of(ColorOrder c) {
  switch (c) {
    case ColorOrder::kGray: return 1;
    case ColorOrder::kRgba: return 4;
    default: return 3;
  }
}

std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Reads `key` as a path string and resolves it. Returns true when present and valid.
bool read_path(const MapReader& m, std::string_view key, std::string& resolved, bool required, const PathRoots& roots,
               std::string* written = nullptr) {
  Field f = required ? m.require(key) : m.get(key);
  if (!f.present()) return false;
  auto s = f.as_string("a path");
  if (!s) return false;
  if (written) *written = *s;
  resolved = resolve_path(f, *s, roots);
  return !resolved.empty();
}

// prefill: none | zeros | a number.
void read_prefill(const MapReader& m, WindowSpec& w) {
  Field f = m.get("prefill");
  if (!f.present()) return;
  if (f.is_number()) {
    if (auto v = f.as_number(any_number())) {
      w.prefill = Prefill::kValue;
      w.prefill_value = static_cast<float>(*v);
    }
    return;
  }
  if (f.is_scalar() && f.scalar_type() == ScalarType::kString) {
    const std::string& s = f.node().Scalar();
    if (s == "none") {
      w.prefill = Prefill::kNone;
      return;
    }
    if (s == "zeros") {
      w.prefill = Prefill::kValue;
      w.prefill_value = 0.0f;
      return;
    }
    f.expected("none, zeros or a number", did_you_mean(s, {"none", "zeros"}));
    return;
  }
  f.expected("none, zeros or a number");
}

// window (required, positive), hop (required, 1..window), prefill.
void read_window(const MapReader& m, WindowSpec& w) {
  const bool window_ok = m.read_int("window", w.window, positive_int(), true);
  Field hop = m.require("hop");
  if (hop.present()) {
    IntRange r = positive_int();
    if (window_ok) r = {1, w.window, fmt::format("an integer from 1 to window ({})", w.window)};
    if (auto v = hop.as_int(r)) w.hop = static_cast<int>(*v);
  }
  read_prefill(m, w);
}

void read_labels(const MapReader& m, std::vector<std::string>& labels, std::string& labels_file,
                 const PathRoots& roots) {
  const bool has_labels = m.has("labels"), has_file = m.has("labelsFile");
  if (!has_labels && !has_file) {
    m.ctx().report(m.line(), m.path(), "one of labels, labelsFile is required");
    return;
  }
  if (has_labels && has_file) {
    m.get("labelsFile").error("give labels or labelsFile, not both");
    return;
  }
  if (has_labels) {
    if (auto v = m.get("labels").as_string_list(1)) labels = *v;
  } else {
    read_path(m, "labelsFile", labels_file, true, roots);
  }
}

// `f` (a string) must name one of `outputs`.
void check_declared_output(const Field& f, const std::string& name, const std::vector<OutputSpec>& outputs) {
  std::vector<std::string> names;
  for (const auto& o : outputs) {
    if (o.name == name) return;
    if (o.name.empty()) return;  // an output without a valid name is reported already
    names.push_back(o.name);
  }
  if (names.empty()) return;  // outputs themselves are reported
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "\"" : ", \"") + n + "\"";
  f.error(fmt::format("\"{}\" is not a declared output (spec.outputs declares {}){}", name, list,
                      did_you_mean(name, names)));
}

// ---------------------------------------------------------------------------------------------
// Model inputs

const EnumTable<AudioFeatureKind>& feature_kind_table() {
  static const EnumTable<AudioFeatureKind> t = {{"spectrogram", AudioFeatureKind::kSpectrogram},
                                                {"mel", AudioFeatureKind::kMel},
                                                {"log-mel", AudioFeatureKind::kLogMel},
                                                {"mfcc", AudioFeatureKind::kMfcc}};
  return t;
}
const EnumTable<WindowFunction>& window_function_table() {
  static const EnumTable<WindowFunction> t = {
      {"hann", WindowFunction::kHann}, {"hamming", WindowFunction::kHamming}, {"rectangular", WindowFunction::kRectangular}};
  return t;
}
const EnumTable<MelScale>& mel_scale_table() {
  static const EnumTable<MelScale> t = {{"slaney", MelScale::kSlaney}, {"htk", MelScale::kHtk}};
  return t;
}
const EnumTable<bool>& mel_norm_table() {
  static const EnumTable<bool> t = {{"slaney", true}, {"none", false}};
  return t;
}
const EnumTable<LogKind>& log_kind_table() {
  static const EnumTable<LogKind> t = {{"ln", LogKind::kNatural}, {"db", LogKind::kDecibel}};
  return t;
}

int next_power_of_two(int n) {
  int p = 1;
  while (p < n) p *= 2;
  return p;
}

// audio.features: frames -> spectrum -> [mel] -> [log] -> [DCT] -> [normalisation].
// `sample_rate` is the input's (already read) rate, 0 if it was invalid.
void read_audio_features(const Field& f, int sample_rate, AudioFeaturesSpec& out) {
  auto m = f.as_map({"type", "frameLength", "frameHop", "fftSize", "windowFunction", "power", "removeDc", "mels",
                     "fMin", "fMax", "melScale", "melNorm", "log", "logFloor", "logOffset", "coefficients", "lifter",
                     "normalize"});
  if (!m) return;
  AudioFeaturesSpec a;
  const bool kind_ok = m->read_enum("type", a.kind, feature_kind_table(), true);
  const IntRange frame_range{1, 65536, "an integer from 1 to 65536"};
  const bool length_ok = !m->has("frameLength") || m->read_int("frameLength", a.frame_length, frame_range);
  m->read_int("frameHop", a.frame_hop,
              length_ok ? IntRange{1, a.frame_length, fmt::format("an integer from 1 to frameLength ({})", a.frame_length)}
                        : frame_range);
  Field fft = m->get("fftSize");
  if (fft.present()) {
    if (auto v = fft.as_int({2, 65536, "an even integer from 2 to 65536"})) {
      if (*v % 2 != 0) {
        fft.expected("an even integer from 2 to 65536");
      } else if (length_ok && *v < a.frame_length) {
        fft.error(fmt::format("fftSize {} is shorter than frameLength {}", *v, a.frame_length));
      } else {
        a.fft_size = static_cast<int>(*v);
      }
    }
  }
  if (a.fft_size == 0) a.fft_size = std::max(2, next_power_of_two(a.frame_length));
  m->read_enum("windowFunction", a.window, window_function_table());
  Field power = m->get("power");
  if (power.present()) {
    if (auto v = power.as_number(any_number())) {
      if (*v != 1.0 && *v != 2.0) {
        power.expected("1 (magnitude) or 2 (power)");
      } else {
        a.power = static_cast<float>(*v);
      }
    }
  }
  m->read_bool("removeDc", a.remove_dc);

  // Fields that only some feature types use.
  const bool mel = a.kind != AudioFeatureKind::kSpectrogram;
  const bool log = a.kind == AudioFeatureKind::kLogMel || a.kind == AudioFeatureKind::kMfcc;
  const bool mfcc = a.kind == AudioFeatureKind::kMfcc;
  auto only_for = [&](std::initializer_list<const char*> keys, bool applies, std::string_view which) {
    if (!kind_ok || applies) return true;
    for (const char* k : keys) {
      if (m->has(k)) m->get(k).error(fmt::format("applies to {} features, not {}", which, audio_feature_kind_name(a.kind)));
    }
    return false;
  };
  if (only_for({"mels", "fMin", "fMax", "melScale", "melNorm"}, mel, "mel, log-mel and mfcc")) {
    m->read_int("mels", a.mels, IntRange{1, 512, "an integer from 1 to 512"});
    const double nyquist = sample_rate / 2.0;
    m->read_number("fMin", a.f_min, nonnegative_number());
    if (sample_rate > 0) {
      Field fmax = m->get("fMax");
      if (fmax.present()) {
        m->read_number("fMax", a.f_max,
                       NumRange{0.0, nyquist, true, fmt::format("a frequency above 0 and at most {} Hz (half the "
                                                                "sample rate)", nyquist)});
      }
      if (a.f_max == 0.0) a.f_max = nyquist;
      if (a.f_min >= a.f_max) {
        m->get(m->has("fMin") ? "fMin" : "fMax")
            .error(fmt::format("fMin ({} Hz) must be below fMax ({} Hz)", a.f_min, a.f_max));
      }
    }
    m->read_enum("melScale", a.mel_scale, mel_scale_table());
    m->read_enum("melNorm", a.mel_norm, mel_norm_table());
  }
  if (only_for({"log", "logFloor", "logOffset"}, log, "log-mel and mfcc")) {
    m->read_enum("log", a.log, log_kind_table());
    m->read_number("logFloor", a.log_floor, positive_number());
    m->read_number("logOffset", a.log_offset, nonnegative_number());
  }
  if (only_for({"coefficients", "lifter"}, mfcc, "mfcc")) {
    Field c = m->get("coefficients");
    if (c.present()) {
      if (auto v = c.as_int(IntRange{1, a.mels, fmt::format("an integer from 1 to mels ({})", a.mels)})) {
        a.coefficients = static_cast<int>(*v);
      }
    } else if (a.coefficients > a.mels) {
      m->get("mels").error(fmt::format("mfcc keeps {} coefficients by default, more than mels ({}); set coefficients",
                                       a.coefficients, a.mels));
    }
    m->read_number("lifter", a.lifter, nonnegative_number());
  }
  Field norm = m->get("normalize");
  if (norm.present()) {
    if (norm.is_map()) {
      if (auto nm = norm.as_map({"mean", "std"})) {
        Field mean = nm->require("mean"), sd = nm->require("std");
        const size_t width = static_cast<size_t>(a.width());
        auto read_stats = [&](const Field& list, const NumRange& r, std::vector<float>& into) {
          if (!list.present()) return false;
          auto v = list.as_number_list(r, 1);
          if (!v) return false;
          if (kind_ok && v->size() != width) {
            list.error(fmt::format("expected {} values (one per feature of {} features), got {}", width,
                                   audio_feature_kind_name(a.kind), v->size()));
            return false;
          }
          into.assign(v->begin(), v->end());
          return true;
        };
        const bool mean_ok = read_stats(mean, any_number(), a.norm_mean);
        const bool std_ok = read_stats(sd, positive_number(), a.norm_std);
        if (mean_ok && std_ok) a.norm = FeatureNorm::kFixed;
      }
    } else {
      static const EnumTable<FeatureNorm> t = {{"none", FeatureNorm::kNone}, {"running", FeatureNorm::kRunning}};
      if (auto v = norm.as_enum(t)) a.norm = *v;
    }
  }
  out = a;
}

void read_audio_input(const Field& f, InputSpec& in) {
  AudioInputSpec a;
  if (auto m = f.as_map({"sampleRate", "channels", "selectChannels", "allowUpsampling", "preEmphasis", "features",
                          "window", "hop", "prefill", "scale"})) {
    const bool rate_ok = m->read_int("sampleRate", a.sample_rate, positive_int(), true);
    // Absent is fine (the default, 1); present and bad is an error of its own.
    const bool channels_ok = m->read_int("channels", a.channels, positive_int()) || !m->has("channels");
    m->read_bool("allowUpsampling", a.allow_upsampling);
    Field select = m->get("selectChannels");
    if (select.present()) {
      if (auto v = select.as_int_list(int_between(0, 63), 1)) {
        if (channels_ok && static_cast<int>(v->size()) != a.channels) {
          select.error(fmt::format("{} channel(s) selected but channels is {}; select one sensor channel per model "
                                   "channel",
                                   v->size(), a.channels));
        } else {
          for (int64_t c : *v) a.select_channels.push_back(static_cast<int>(c));
        }
      }
    }
    Field pre = m->get("preEmphasis");
    if (pre.present()) {
      if (auto v = pre.as_number(NumRange{0.0, 1.0, false, "a number from 0 up to (not including) 1"})) {
        if (*v >= 1.0) {
          pre.expected("a number from 0 up to (not including) 1");
        } else {
          a.pre_emphasis = static_cast<float>(*v);
        }
      }
    }
    Field features = m->get("features");
    if (features.present()) {
      AudioFeaturesSpec spec;
      read_audio_features(features, rate_ok ? a.sample_rate : 0, spec);
      a.features = spec;
    }
    if ((a.pre_emphasis || a.features) && a.channels != 1) {
      m->get("channels").error(fmt::format("preEmphasis and features need mono audio (channels: 1), got {}", a.channels));
    }
    read_window(*m, a.window);
    m->read_number("scale", a.scale, any_number());
  }
  in.source = a;
}

void read_image_input(const Field& f, InputSpec& in) {
  ImageInputSpec im;
  auto m = f.as_map({"width", "height", "resize", "color", "layout", "range", "mean", "std", "rotate", "crop",
                      "quantization"});
  if (m) {
    m->read_int("width", im.width, positive_int(), true);
    m->read_int("height", im.height, positive_int(), true);
    m->read_enum("resize", im.resize, resize_table());
    const bool color_ok = !m->has("color") || m->read_enum("color", im.color, color_table());
    m->read_enum("layout", im.layout, layout_table());
    Field range = m->get("range");
    if (range.present()) {
      if (auto v = range.as_number_list(any_number())) {
        if (v->size() != 2 || (*v)[0] >= (*v)[1]) {
          range.error("expected [lo, hi] with lo < hi");
        } else {
          im.range_lo = static_cast<float>((*v)[0]);
          im.range_hi = static_cast<float>((*v)[1]);
        }
      }
    }
    const bool has_mean = m->has("mean"), has_std = m->has("std");
    if (has_mean != has_std) {
      (has_mean ? m->get("mean") : m->get("std")).error("mean and std must be given together");
    }
    if (has_mean && range.present()) m->get("mean").error("mean/std and range exclude each other");
    const size_t channels = static_cast<size_t>(channels_of(im.color));
    auto read_per_channel = [&](std::string_view key, const NumRange& r, std::vector<float>& out) {
      Field c = m->get(key);
      if (!c.present()) return;
      auto v = c.as_number_list(r, 1);
      if (!v) return;
      if (color_ok && v->size() != channels) {
        c.error(fmt::format("expected {} value{} (one per channel of color {}), got {}", channels,
                            channels == 1 ? "" : "s", color_order_name(im.color), v->size()));
        return;
      }
      out.assign(v->begin(), v->end());
    };
    read_per_channel("mean", any_number(), im.mean);
    read_per_channel("std", positive_number(), im.std);
    Field rotate = m->get("rotate");
    if (rotate.present()) {
      const char* what = "one of 0, 90, 180, 270 (degrees clockwise)";
      if (auto v = rotate.as_int(IntRange{0, 270, what})) {
        if (*v % 90 != 0) {
          rotate.expected(what);
        } else {
          im.rotate = static_cast<int>(*v);
        }
      }
    }
    Field crop = m->get("crop");
    if (crop.present()) {
      if (auto cm = crop.as_map({"x", "y", "width", "height"})) {
        ImageCropSpec c;
        const NumRange origin{0.0, 1.0, false, "a fraction of the frame from 0 up to (not including) 1"};
        const NumRange size{0.0, 1.0, true, "a fraction of the frame above 0 and at most 1"};
        bool ok = cm->read_number("x", c.x, origin) || !cm->has("x");
        ok = (cm->read_number("y", c.y, origin) || !cm->has("y")) && ok;
        for (const char* key : {"x", "y"}) {
          if (ok && (key[0] == 'x' ? c.x : c.y) >= 1.0f) {
            cm->get(key).expected(origin.what);
            ok = false;
          }
        }
        c.width = 1.0f - c.x;  // default: the rest of the frame
        c.height = 1.0f - c.y;
        ok = (cm->read_number("width", c.width, size) || !cm->has("width")) && ok;
        ok = (cm->read_number("height", c.height, size) || !cm->has("height")) && ok;
        constexpr float kSlack = 1e-6f;  // 0.7 + 0.3 is 1 to a person
        if (ok && c.x + c.width > 1.0f + kSlack) {
          cm->get("width").error(fmt::format("x + width is {} + {} = {}; the region must end inside the frame (at most 1)",
                                             c.x, c.width, c.x + c.width));
          ok = false;
        }
        if (ok && c.y + c.height > 1.0f + kSlack) {
          cm->get("height").error(fmt::format(
              "y + height is {} + {} = {}; the region must end inside the frame (at most 1)", c.y, c.height,
              c.y + c.height));
          ok = false;
        }
        if (ok) im.crop = c;
      }
    }
    Field quant = m->get("quantization");
    if (quant.present()) {
      if (in.dtype != DType::kInt8 && in.dtype != DType::kUInt8) {
        quant.error(fmt::format("quantization is only allowed with dtype int8 or uint8, the input's dtype is {}",
                                dtype_name(in.dtype)));
      } else if (auto qm = quant.as_map({"scale", "zeroPoint"})) {
        ImageQuantizationSpec q;
        const bool scale_ok = qm->read_number("scale", q.scale, positive_number(), true);
        const IntRange zp = in.dtype == DType::kInt8 ? IntRange{-128, 127, "an integer from -128 to 127 (int8)"}
                                                     : IntRange{0, 255, "an integer from 0 to 255 (uint8)"};
        const bool zp_ok = qm->read_int("zeroPoint", q.zero_point, zp) || !qm->has("zeroPoint");
        if (scale_ok && zp_ok) im.quantization = q;
      }
    }
    if (in.dtype == DType::kUInt8 && !quant.present() && (range.present() || has_mean || has_std)) {
      (range.present() ? range : m->get(has_mean ? "mean" : "std"))
          .error("a uint8 image input takes pixels unchanged: range, mean and std are not allowed");
    }
    if (in.dtype == DType::kInt8 && !quant.present()) {
      m->ctx().report(m->line(), m->path() + ".quantization",
                      "required field is missing: an int8 image input needs quantization: {scale, zeroPoint}");
    }
  }
  in.source = im;
}

// series: rate (required), window, hop, prefill, normalize (none | running), maxGap.
void read_series_input(const Field& f, InputSpec& in) {
  SeriesInputSpec s;
  if (auto m = f.as_map({"rate", "window", "hop", "prefill", "normalize", "maxGap"})) {
    m->read_number("rate", s.rate, NumRange{0.0, 1e6, true, "a rate above 0 and at most 1000000 Hz"}, true);
    read_window(*m, s.window);
    static const EnumTable<FeatureNorm> norms = {{"none", FeatureNorm::kNone}, {"running", FeatureNorm::kRunning}};
    m->read_enum("normalize", s.norm, norms);
    m->read_number("maxGap", s.max_gap, positive_number());
  }
  in.source = s;
}

void read_input(const Field& item, InputSpec& in, std::vector<std::pair<std::string, Field>>& state_refs) {
  auto m = item.as_map({"name", "dtype", "shape", "audio", "image", "series", "stream", "constant", "state"});
  if (!m) return;
  m->read_string("name", in.name, true);
  m->read_enum("dtype", in.dtype, dtype_table());
  Field shape = m->get("shape");
  if (shape.present()) {
    if (auto v = shape.as_int_list(positive_int(), 1)) in.shape = Shape(v->begin(), v->end());
  }
  const std::string source = m->exactly_one_of({"audio", "image", "series", "stream", "constant", "state"});
  Field f = m->get(source);
  if (source == "audio") {
    read_audio_input(f, in);
  } else if (source == "series") {
    read_series_input(f, in);
  } else if (source == "image") {
    read_image_input(f, in);
  } else if (source == "stream") {
    StreamInputSpec s;
    if (auto sm = f.as_map({"window", "hop", "prefill"})) read_window(*sm, s.window);
    in.source = s;
  } else if (source == "constant") {
    ConstantInputSpec c;
    if (auto cm = f.as_map({"value"})) {
      Field v = cm->require("value");
      if (v.present()) {
        if (v.is_list()) {
          if (auto list = v.as_number_list(any_number(), 1)) c.values = *list;
        } else if (v.is_number()) {
          if (auto n = v.as_number(any_number())) c.values = {*n};
        } else {
          v.expected("a number or a list of numbers");
        }
      }
    }
    in.source = c;
  } else if (source == "state") {
    StateInputSpec s;
    if (auto sm = f.as_map({"from", "init"})) {
      if (sm->read_string("from", s.from_output, true)) state_refs.emplace_back(s.from_output, sm->get("from"));
      sm->read_number("init", s.init, any_number());
    }
    in.source = s;
  } else {
    in.source = StreamInputSpec{};  // placeholder; the one-of error is reported
  }
  // The element count a shape implies must match what the input is fed.
  if (in.shape && !source.empty()) {
    const int64_t count = element_count(*in.shape);
    if (const auto* a = std::get_if<AudioInputSpec>(&in.source); a && a->window.window > 0) {
      const int64_t want = static_cast<int64_t>(a->window.window) * a->row_width();
      if (count != want && a->features) {
        shape.error(fmt::format("shape {} has {} elements, but audio.window x the {} features per frame is {} x {} = {}",
                                shape_text(*in.shape), count, audio_feature_kind_name(a->features->kind),
                                a->window.window, a->row_width(), want));
      } else if (count != want) {
        shape.error(fmt::format("shape {} has {} elements, but audio.window x audio.channels is {} x {} = {}",
                                shape_text(*in.shape), count, a->window.window, a->channels, want));
      }
    } else if (const auto* im = std::get_if<ImageInputSpec>(&in.source); im && im->width > 0 && im->height > 0) {
      const int64_t want = static_cast<int64_t>(im->width) * im->height * channels_of(im->color);
      if (count != want) {
        shape.error(fmt::format("shape {} has {} elements, but image width x height x channels is {} x {} x {} = {}",
                                shape_text(*in.shape), count, im->width, im->height, channels_of(im->color), want));
      }
    } else if (const auto* se = std::get_if<SeriesInputSpec>(&in.source); se && se->window.window > 0) {
      if (count % se->window.window != 0) {
        shape.error(fmt::format("shape {} has {} elements, not series.window ({}) x a whole number of channels",
                                shape_text(*in.shape), count, se->window.window));
      }
    } else if (const auto* c = std::get_if<ConstantInputSpec>(&in.source); c && c->values.size() > 1) {
      if (count != static_cast<int64_t>(c->values.size())) {
        m->get("constant").error(fmt::format("{} values for shape {} ({} elements); give one value or {}",
                                             c->values.size(), shape_text(*in.shape), count, count));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Model post-processing

void read_classify(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots& roots,
                   ClassifySpec& c) {
  auto m = f.as_map(
      {"output", "activation", "labels", "labelsFile", "topK", "threshold", "trigger", "release", "ignoreClasses"});
  if (!m) return;
  if (m->read_string("output", c.output, true)) check_declared_output(m->get("output"), c.output, outputs);
  m->read_enum("activation", c.activation, activation_table());
  read_labels(*m, c.labels, c.labels_file, roots);
  m->read_int("topK", c.top_k, positive_int());
  m->read_number("threshold", c.threshold, number_between(0, 1));
  m->read_enum("trigger", c.trigger, trigger_table());
  Field ignore = m->get("ignoreClasses");
  if (ignore.present()) {
    if (auto v = ignore.as_int_list(nonnegative_int())) c.ignore_classes.assign(v->begin(), v->end());
  }
  float release = 0;
  if (m->read_number("release", release, number_between(0, 1))) {
    if (c.trigger != Trigger::kRising) {
      m->get("release").error("release is only allowed with trigger: rising");
    } else {
      c.release = release;
    }
  }
}

void read_anchors(const Field& f, AnchorSpec& a) {
  auto m = f.as_map({"numLayers", "minScale", "maxScale", "strides", "aspectRatios", "offset", "fixedAnchorSize",
                     "reduceBoxesInLowestLayer", "interpolatedScaleAspectRatio", "inputSize"});
  if (!m) return;
  const bool layers_ok = m->read_int("numLayers", a.num_layers, positive_int(), true);
  m->read_number("minScale", a.min_scale, positive_number(), true);
  m->read_number("maxScale", a.max_scale, positive_number(), true);
  Field strides = m->require("strides");
  if (strides.present()) {
    if (auto v = strides.as_int_list(positive_int(), 1)) {
      if (layers_ok && static_cast<int>(v->size()) != a.num_layers) {
        strides.error(fmt::format("expected one stride per layer ({}), got {}", a.num_layers, v->size()));
      } else {
        a.strides.assign(v->begin(), v->end());
      }
    }
  }
  Field ratios = m->require("aspectRatios");
  if (ratios.present()) {
    if (auto v = ratios.as_number_list(positive_number(), 1)) a.aspect_ratios.assign(v->begin(), v->end());
  }
  Field offset = m->get("offset");
  if (offset.present()) {
    if (auto v = offset.as_number_list(number_between(0, 1))) {
      if (v->size() != 2) {
        offset.error(fmt::format("expected [x, y], got {} values", v->size()));
      } else {
        a.offset_x = static_cast<float>((*v)[0]);
        a.offset_y = static_cast<float>((*v)[1]);
      }
    }
  }
  m->read_bool("fixedAnchorSize", a.fixed_anchor_size);
  m->read_bool("reduceBoxesInLowestLayer", a.reduce_boxes_in_lowest_layer);
  m->read_number("interpolatedScaleAspectRatio", a.interpolated_scale_aspect_ratio, nonnegative_number());
  Field size = m->get("inputSize");
  if (size.present()) {
    if (auto v = size.as_int_list(positive_int())) {
      if (v->size() != 2) {
        size.error(fmt::format("expected [width, height], got {} values", v->size()));
      } else {
        a.input_width = static_cast<int>((*v)[0]);
        a.input_height = static_cast<int>((*v)[1]);
      }
    }
  }
}

void read_box(const Field& f, BoxCodingSpec& b) {
  auto m = f.as_map({"format", "scale", "expSize", "keypoints", "coords"});
  if (!m) return;
  m->read_enum("format", b.format, box_format_table());
  Field scale = m->require("scale");
  if (scale.present()) {
    if (auto v = scale.as_number_list(positive_number())) {
      if (v->size() != 4) {
        scale.error(fmt::format("expected 4 scales [x, y, w, h], got {}", v->size()));
      } else {
        b.x_scale = static_cast<float>((*v)[0]);
        b.y_scale = static_cast<float>((*v)[1]);
        b.w_scale = static_cast<float>((*v)[2]);
        b.h_scale = static_cast<float>((*v)[3]);
      }
    }
  }
  m->read_bool("expSize", b.exp_size);
  m->read_int("keypoints", b.num_keypoints, nonnegative_int());
  const int min_coords = 4 + 2 * b.num_keypoints;
  b.num_coords = min_coords;
  Field coords = m->get("coords");
  if (coords.present()) {
    IntRange r{min_coords, INT32_MAX, fmt::format("an integer >= 4 + 2 x keypoints ({})", min_coords)};
    if (auto v = coords.as_int(r)) b.num_coords = static_cast<int>(*v);
  }
}

void read_detect(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots& roots, DetectSpec& d) {
  auto m = f.as_map({"scores", "boxes", "anchors", "box", "scoreActivation", "scoreClip", "labels", "labelsFile",
                     "ignoreClasses", "minScore", "nms"});
  if (!m) return;
  auto read_outputs = [&](std::string_view key, std::vector<std::string>& out) {
    Field list = m->require(key);
    if (!list.present()) return;
    auto items = list.as_list(1, "a list of output names");
    if (!items) return;
    for (const auto& item : *items) {
      if (auto s = item.as_string()) {
        check_declared_output(item, *s, outputs);
        out.push_back(*s);
      }
    }
  };
  read_outputs("scores", d.score_outputs);
  read_outputs("boxes", d.box_outputs);
  if (!d.score_outputs.empty() && !d.box_outputs.empty() && d.score_outputs.size() != d.box_outputs.size()) {
    m->get("boxes").error(fmt::format("expected as many box outputs as score outputs ({}), got {}",
                                      d.score_outputs.size(), d.box_outputs.size()));
  }
  Field anchors = m->require("anchors");
  if (anchors.present()) read_anchors(anchors, d.anchors);
  Field box = m->require("box");
  if (box.present()) read_box(box, d.box);
  m->read_enum("scoreActivation", d.score_activation, activation_table());
  m->read_number("scoreClip", d.score_clip, positive_number());
  read_labels(*m, d.labels, d.labels_file, roots);
  Field ignore = m->get("ignoreClasses");
  if (ignore.present()) {
    if (auto v = ignore.as_int_list(nonnegative_int())) d.ignore_classes.assign(v->begin(), v->end());
  }
  m->read_number("minScore", d.min_score, number_between(0, 1));
  Field nms = m->get("nms");
  if (nms.present()) {
    if (auto nm = nms.as_map({"iou", "maxDetections"})) {
      nm->read_number("iou", d.nms_iou, number_between(0, 1));
      nm->read_int("maxDetections", d.max_detections, positive_int());
    }
  }
}

// `inputSize: [width, height]` (optional).
void read_input_size(const MapReader& m, int& width, int& height) {
  Field size = m.get("inputSize");
  if (!size.present()) return;
  if (auto v = size.as_int_list(positive_int())) {
    if (v->size() != 2) {
      size.error(fmt::format("expected [width, height], got {} values", v->size()));
    } else {
      width = static_cast<int>((*v)[0]);
      height = static_cast<int>((*v)[1]);
    }
  }
}

void read_landmarks(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots& roots, LandmarksSpec& l) {
  auto m = f.as_map({"output", "values", "visibilityActivation", "inputSize", "presence", "names", "namesFile"});
  if (!m) return;
  if (m->read_string("output", l.output, true)) check_declared_output(m->get("output"), l.output, outputs);
  Field values = m->get("values");
  if (values.present()) {
    if (auto items = values.as_list(2, "a list of x, y, z, visibility, presence or ignore")) {
      std::vector<LandmarkValue> v;
      bool ok = true;
      for (const auto& item : *items) {
        auto e = item.as_enum(landmark_value_table());
        if (!e) {
          ok = false;
          continue;
        }
        if (*e != LandmarkValue::kIgnore && std::find(v.begin(), v.end(), *e) != v.end()) {
          item.error(fmt::format("{} is given twice", item.written()));
          ok = false;
        }
        v.push_back(*e);
      }
      if (ok) {
        if (std::find(v.begin(), v.end(), LandmarkValue::kX) == v.end() ||
            std::find(v.begin(), v.end(), LandmarkValue::kY) == v.end()) {
          values.error("the values of a point must include x and y");
        } else {
          l.values = std::move(v);
        }
      }
    }
  }
  m->read_enum("visibilityActivation", l.visibility_activation, elementwise_activation_table());
  read_input_size(*m, l.input_width, l.input_height);
  Field presence = m->get("presence");
  if (presence.present()) {
    if (auto pm = presence.as_map({"output", "activation", "threshold"})) {
      if (pm->read_string("output", l.presence_output, true)) {
        check_declared_output(pm->get("output"), l.presence_output, outputs);
      }
      pm->read_enum("activation", l.presence_activation, elementwise_activation_table());
      pm->read_number("threshold", l.presence_threshold, number_between(0, 1));
    }
  }
  const bool has_names = m->has("names"), has_file = m->has("namesFile");
  if (has_names && has_file) {
    m->get("namesFile").error("give names or namesFile, not both");
  } else if (has_names) {
    if (auto v = m->get("names").as_string_list(1)) l.names = *v;
  } else if (has_file) {
    read_path(*m, "namesFile", l.names_file, true, roots);
  }
}

void read_text_regions(const Field& f, const std::vector<OutputSpec>& outputs, TextRegionsSpec& t) {
  auto m = f.as_map({"output", "threshold", "boxThreshold", "unclipRatio", "minSize", "maxRegions", "label"});
  if (!m) return;
  if (m->read_string("output", t.output, true)) check_declared_output(m->get("output"), t.output, outputs);
  m->read_number("threshold", t.threshold, number_between(0, 1));
  m->read_number("boxThreshold", t.box_threshold, number_between(0, 1));
  m->read_number("unclipRatio", t.unclip_ratio, nonnegative_number());
  m->read_number("minSize", t.min_size, nonnegative_number());
  m->read_int("maxRegions", t.max_regions, positive_int());
  m->read_string("label", t.label, false);
}

void read_ctc(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots& roots, CtcSpec& c) {
  auto m = f.as_map({"output", "activation", "dictionary", "dictionaryFile", "blank", "spaceCharacter", "minConfidence"});
  if (!m) return;
  if (m->read_string("output", c.output, true)) check_declared_output(m->get("output"), c.output, outputs);
  m->read_enum("activation", c.activation, row_activation_table());
  const bool has_dict = m->has("dictionary"), has_file = m->has("dictionaryFile");
  if (!has_dict && !has_file) {
    m->ctx().report(m->line(), m->path(), "one of dictionary, dictionaryFile is required");
  } else if (has_dict && has_file) {
    m->get("dictionaryFile").error("give dictionary or dictionaryFile, not both");
  } else if (has_dict) {
    if (auto v = m->get("dictionary").as_string_list(1)) c.dictionary = *v;
  } else {
    read_path(*m, "dictionaryFile", c.dictionary_file, true, roots);
  }
  m->read_int("blank", c.blank, nonnegative_int());
  m->read_bool("spaceCharacter", c.space_character);
  m->read_number("minConfidence", c.min_confidence, number_between(0, 1));
}

void read_lines(const Field& f, const std::vector<OutputSpec>& outputs, LinesSpec& l) {
  auto m = f.as_map({"scores", "offsets", "scoreActivation", "threshold", "maxLines", "minLength", "inputSize"});
  if (!m) return;
  if (m->read_string("scores", l.scores_output, true)) check_declared_output(m->get("scores"), l.scores_output, outputs);
  if (m->read_string("offsets", l.offsets_output, true)) {
    check_declared_output(m->get("offsets"), l.offsets_output, outputs);
  }
  m->read_enum("scoreActivation", l.score_activation, elementwise_activation_table());
  m->read_number("threshold", l.threshold, number_between(0, 1));
  m->read_int("maxLines", l.max_lines, positive_int());
  m->read_number("minLength", l.min_length, nonnegative_number());
  read_input_size(*m, l.input_width, l.input_height);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

bool is_dns_label(std::string_view name) {
  static const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return !name.empty() && name.size() <= 63 && std::regex_match(name.begin(), name.end(), kLabel);
}

std::string resolve_path(const Field& f, const std::string& written, const PathRoots& roots) {
  auto under = [&](std::string_view prefix, const std::string& root) -> std::string {
    const std::string rest = written.substr(prefix.size());
    const fs::path rel = fs::path(rest).lexically_normal();
    if (rest.empty() || rel.is_absolute() || rel.empty() || *rel.begin() == "..") {
      f.expected(fmt::format("a relative path after \"{}\" inside {}", prefix, root));
      return "";
    }
    return (fs::path(root) / rel).string();
  };
  if (written.empty()) {
    f.expected("a path");
    return "";
  }
  if (written.starts_with("repo:")) return under("repo:", roots.model_repo);
  if (written.starts_with("samples:")) return under("samples:", roots.samples_dir);
  const fs::path p(written);
  if (p.is_absolute() || roots.base_dir.empty()) return p.lexically_normal().string();
  return (fs::path(roots.base_dir) / p).lexically_normal().string();
}

namespace {

// The names of the signals for which `applies` holds: "sine and square", "sine, square and white-noise".
std::string signal_names(bool (*applies)(SyntheticSignal)) {
  std::vector<std::string> names;
  for (const auto& [name, signal] : signal_table()) {
    if (applies(signal)) names.push_back(name);
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  return out;
}

// spec.synthetic: signal (required), frequency (required for sine and square), amplitude, seed,
// duration. A field the signal does not use is an error. Returns whether the signal was read, and
// the valid frequency and duration fields for the checks that need the sample rate.
struct SyntheticFields {
  bool signal_ok = false;
  std::optional<Field> frequency;
  std::optional<Field> duration;
};
SyntheticFields read_synthetic(const Field& f, SyntheticSpec& out) {
  SyntheticFields r;
  auto m = f.as_map({"signal", "frequency", "amplitude", "seed", "duration"});
  if (!m) return r;
  r.signal_ok = m->read_enum("signal", out.signal, signal_table(), true);
  const std::string signal(synthetic_signal_name(out.signal));
  // Reports a field the signal does not use; true when the field may be read.
  auto applies = [&](std::string_view key, bool (*uses)(SyntheticSignal)) {
    Field v = m->get(key);
    if (!v.present() || !r.signal_ok || uses(out.signal)) return true;
    v.error(fmt::format("applies to signals {}, not {}", signal_names(uses), signal));
    return false;
  };
  if (applies("frequency", uses_frequency)) {
    Field freq = m->get("frequency");
    if (freq.present()) {
      if (auto v = freq.as_number(positive_number())) {
        out.frequency = *v;
        r.frequency = freq;
      }
    } else if (r.signal_ok && uses_frequency(out.signal)) {
      f.ctx().report(m->line(), freq.path(), fmt::format("required for signal {}", signal));
    }
  }
  if (applies("amplitude", uses_amplitude)) m->read_number("amplitude", out.amplitude, number_between(0, 1));
  if (applies("seed", uses_seed)) m->read_int("seed", out.seed, int_between(0, UINT32_MAX));
  if (m->read_number("duration", out.duration, nonnegative_number())) r.duration = m->get("duration");
  return r;
}

}  // namespace

// spec.mqtt: host, port, topic (required), qos, fields (required), timestamp, timestampUnit.
void read_mqtt(const Field& f, MqttSpec& out) {
  auto m = f.as_map({"host", "port", "topic", "qos", "fields", "timestamp", "timestampUnit"});
  if (!m) return;
  if (m->read_string("host", out.host, false, "a host name or address") && out.host.empty()) {
    m->get("host").expected("a host name or address");
  }
  m->read_int("port", out.port, int_between(1, 65535));
  if (m->read_string("topic", out.topic, true, "an MQTT topic") && out.topic.empty()) {
    m->get("topic").expected("a non-empty MQTT topic");
  }
  m->read_int("qos", out.qos, int_between(0, 2));
  Field fields = m->require("fields");
  if (fields.present()) {
    if (auto v = fields.as_string_list(1)) {
      std::map<std::string, size_t> seen;
      bool ok = true;
      for (size_t i = 0; i < v->size(); ++i) {
        if ((*v)[i].empty()) {
          fields.error(fmt::format("field {} is an empty name", i));
          ok = false;
        } else if (auto [it, fresh] = seen.emplace((*v)[i], i); !fresh) {
          fields.error(fmt::format("\"{}\" is listed twice (fields {} and {})", (*v)[i], it->second, i));
          ok = false;
        }
      }
      if (ok) out.fields = *v;
    }
  }
  const bool has_ts = m->read_string("timestamp", out.timestamp, false, "a JSON field name");
  if (has_ts) {
    if (out.timestamp.empty()) {
      m->get("timestamp").expected("a JSON field name");
    } else if (std::find(out.fields.begin(), out.fields.end(), out.timestamp) != out.fields.end()) {
      m->get("timestamp").error(fmt::format("\"{}\" is also listed in fields; the timestamp is not a channel",
                                            out.timestamp));
    }
  }
  if (m->has("timestampUnit")) {
    if (!m->has("timestamp")) {
      m->get("timestampUnit").error("timestampUnit needs timestamp (the JSON field that holds the time)");
    } else {
      m->read_enum("timestampUnit", out.timestamp_unit, timestamp_unit_table());
    }
  }
}

namespace {

bool is_stream_url(const std::string& u) {
  for (const char* scheme : {"rtsp://", "rtsps://", "http://", "https://", "udp://", "rtp://", "tcp://"}) {
    if (u.rfind(scheme, 0) == 0 && u.size() > std::string_view(scheme).size()) return true;
  }
  return u.size() > 4 && u.compare(u.size() - 4, 4, ".sdp") == 0;
}

// spec.reconnect (live drivers).
void read_reconnect(const Field& f, ReconnectSpec& out) {
  auto m = f.as_map({"initialDelay", "maxDelay", "maxAttempts", "timeout"});
  if (!m) return;
  const NumRange seconds{0.0, 3600.0, true, "a number of seconds above 0 and at most 3600"};
  m->read_number("initialDelay", out.initial_delay, seconds);
  const bool max_given = m->read_number("maxDelay", out.max_delay, seconds);
  m->read_int("maxAttempts", out.max_attempts, int_between(0, 1000000));
  m->read_number("timeout", out.timeout, seconds);
  if (out.max_delay < out.initial_delay) {
    if (max_given) {
      m->get("maxDelay").error(fmt::format("maxDelay ({} s) is shorter than initialDelay ({} s)", out.max_delay,
                                           out.initial_delay));
    } else {
      out.max_delay = out.initial_delay;
    }
  }
}

}  // namespace

void read_sensor_spec(const Field& spec_field, const PathRoots& roots, SensorSpec& out) {
  auto spec = spec_field.as_map({"driver", "path", "url", "device", "server", "synthetic", "mqtt", "series", "replay",
                                 "reconnect", "audio", "video", "buffer"});
  if (!spec) return;
  const bool driver_ok = spec->read_enum("driver", out.driver, driver_table(), true);
  const DriverKind d = out.driver;
  const std::string dname(sensor_driver_name(d));
  const bool synthetic = driver_ok && d == DriverKind::kSynthetic;
  const bool mqtt = driver_ok && d == DriverKind::kMqtt;
  const bool live = driver_ok && is_live(d);
  const bool file_driver = driver_ok && !synthetic && !live;

  // Where the data comes from: a file (file drivers), a URL, a device, or nothing.
  if (file_driver) {
    read_path(*spec, "path", out.path, driver_ok, roots);
  } else if (Field path = spec->get("path"); path.present() && driver_ok) {
    switch (d) {
      case DriverKind::kSynthetic: path.error("the synthetic driver generates its signal and reads no file; remove path"); break;
      case DriverKind::kMqtt: path.error("the mqtt driver receives its readings from a broker and reads no file; remove path"); break;
      case DriverKind::kNetworkCamera: path.error("the network-camera driver reads a stream; give its address as url, not path"); break;
      case DriverKind::kV4l2Camera: path.error("the v4l2-camera driver reads a device; give it as device, not path"); break;
      default: path.error(fmt::format("the {} driver captures live audio and reads no file; remove path", dname)); break;
    }
  }
  Field url = driver_ok && d == DriverKind::kNetworkCamera ? spec->require("url") : spec->get("url");
  if (url.present() && driver_ok) {
    if (d != DriverKind::kNetworkCamera) {
      url.error(fmt::format("url is only allowed with driver network-camera (this driver is {})", dname));
    } else if (auto v = url.as_string("a stream URL"); v && !is_stream_url(out.url = *v)) {
      url.expected("a stream URL starting with rtsp://, rtsps://, http://, https://, udp://, rtp:// or tcp://, or an "
                   ".sdp file");
    }
  }
  Field device = driver_ok && d == DriverKind::kV4l2Camera ? spec->require("device") : spec->get("device");
  if (device.present() && driver_ok) {
    if (d != DriverKind::kV4l2Camera && d != DriverKind::kMicrophone) {
      device.error(fmt::format("device is only allowed with drivers v4l2-camera and microphone (this driver is {})", dname));
    } else if (auto v = device.as_string("a device name"); v && (out.device = *v).empty()) {
      device.expected(d == DriverKind::kV4l2Camera ? "a video device path such as /dev/video0"
                                                   : "a PulseAudio source name (omit it for the default source)");
    }
  }
  Field server = spec->get("server");
  if (server.present() && driver_ok) {
    if (d != DriverKind::kMicrophone) {
      server.error(fmt::format("server is only allowed with driver microphone (this driver is {})", dname));
    } else if (auto v = server.as_string("a PulseAudio server"); v && (out.server = *v).empty()) {
      server.expected("a PulseAudio server such as unix:/run/user/1000/pulse/native (omit it for the default)");
    }
  }

  // What the sensor gives, when known: from the driver, or from a synthetic sensor's signal.
  std::optional<Modality> modality;
  if (driver_ok && !synthetic) modality = modality_of(out);
  SyntheticFields syn_fields;
  Field syn = synthetic ? spec->require("synthetic") : spec->get("synthetic");
  if (syn.present()) {
    if (synthetic) {
      syn_fields = read_synthetic(syn, out.synthetic);
      if (syn_fields.signal_ok) modality = modality_of(out.synthetic.signal);
    } else if (driver_ok) {
      syn.error(fmt::format("synthetic settings are only allowed with driver synthetic (this driver is {})", dname));
    }
  }

  Field mq = mqtt ? spec->require("mqtt") : spec->get("mqtt");
  if (mq.present()) {
    if (mqtt) {
      read_mqtt(mq, out.mqtt);
    } else if (driver_ok) {
      mq.error(fmt::format("mqtt settings are only allowed with driver mqtt (this driver is {})", dname));
    }
  }
  Field series = spec->get("series");
  if (series.present()) {
    if (mqtt) {
      if (auto m = series.as_map({"rate"})) m->read_number("rate", out.series.rate, positive_number());
    } else if (driver_ok) {
      series.error(fmt::format("series settings are only allowed with driver mqtt (this driver is {})", dname));
    }
  }

  Field replay = spec->get("replay");
  if (replay.present() && live) {
    replay.error(fmt::format("the {} driver reads a live source; replay applies to file and synthetic drivers", dname));
  } else if (replay.present()) {
    if (auto m = replay.as_map({"speed", "loop"})) {
      Field speed = m->get("speed");
      if (speed.present()) {
        if (speed.is_scalar() && speed.scalar_type() == ScalarType::kString && speed.node().Scalar() == "max") {
          out.replay.speed = 0;
        } else if (speed.is_number()) {
          if (auto v = speed.as_number(nonnegative_number())) out.replay.speed = *v;
        } else {
          speed.expected("a number >= 0 or \"max\"");
        }
      }
      m->read_bool("loop", out.replay.loop);
    }
  }
  Field reconnect = spec->get("reconnect");
  if (reconnect.present() && driver_ok) {
    if (live) {
      read_reconnect(reconnect, out.reconnect);
    } else {
      reconnect.error(fmt::format("reconnect applies to live drivers (mqtt, network-camera, v4l2-camera, microphone); "
                                  "this driver is {}", dname));
    }
  }
  // A live source runs on its own clock: replaying it faster or slower means nothing.
  if (live) out.replay.speed = 1.0;

  // A synthetic sensor has no file to take its format from: it is required.
  const bool audio_required = synthetic && modality == Modality::kAudio;
  const bool video_required = synthetic && modality == Modality::kImage;
  const std::string signal(synthetic_signal_name(out.synthetic.signal));
  Field audio = audio_required ? spec->require("audio") : spec->get("audio");
  bool rate_ok = false;
  if (audio.present()) {
    if (mqtt) {
      audio.error("audio settings are only allowed with drivers audio-file, microphone or an audio synthetic signal "
                  "(this driver is mqtt)");
    } else if (modality == Modality::kImage) {
      if (synthetic) {
        audio.error(fmt::format("signal {} gives images; give video settings, not audio", signal));
      } else {
        audio.error(fmt::format("audio settings are only allowed with driver audio-file (this driver is {})", dname));
      }
    } else if (auto m = audio.as_map({"sampleRate", "channels", "frameMs"})) {
      rate_ok = m->read_int("sampleRate", out.audio.sample_rate, positive_int(), audio_required);
      m->read_int("channels", out.audio.channels, positive_int(), audio_required);
      m->read_int("frameMs", out.audio.frame_ms, int_between(1, 1000));
    }
  }
  if (driver_ok && d == DriverKind::kMicrophone) {
    // The capture format asked of PulseAudio (it converts from the device's own).
    if (out.audio.sample_rate == 0) out.audio.sample_rate = 16000;
    if (out.audio.channels == 0) out.audio.channels = 1;
    if (out.audio.channels > 32) audio.error(fmt::format("channels {} is more than PulseAudio's 32", out.audio.channels));
  }
  Field video = video_required ? spec->require("video") : spec->get("video");
  if (video.present()) {
    if (mqtt) {
      video.error("video settings are only allowed with camera, video-file and image-folder drivers or an image "
                  "synthetic signal (this driver is mqtt)");
    } else if (modality == Modality::kAudio) {
      if (synthetic) {
        video.error(fmt::format("signal {} gives audio; give audio settings, not video", signal));
      } else {
        video.error(fmt::format("video settings are only allowed with camera, video-file and image-folder drivers "
                                "(this driver is {})", dname));
      }
    } else if (auto m = video.as_map({"fps", "width", "height"})) {
      m->read_number("fps", out.video.fps, positive_number(), video_required);
      m->read_int("width", out.video.width, positive_int(), video_required);
      m->read_int("height", out.video.height, positive_int(), video_required);
    }
  }
  if (driver_ok && d == DriverKind::kImageFolder && out.video.fps == 0) out.video.fps = 1;

  // Synthetic audio: the tone must be below the Nyquist frequency, the duration at least one sample.
  if (audio_required && rate_ok) {
    const double nyquist = out.audio.sample_rate / 2.0;
    if (syn_fields.frequency && out.synthetic.frequency >= nyquist) {
      syn_fields.frequency->expected(fmt::format("a frequency above 0 and below {} Hz (half the sample rate)", nyquist));
    }
    if (syn_fields.duration && out.synthetic.duration > 0 &&
        std::llround(out.synthetic.duration * out.audio.sample_rate) < 1) {
      syn_fields.duration->expected(fmt::format("0 (endless) or at least one sample (1/{} s)", out.audio.sample_rate));
    }
  }

  Field buffer = spec->get("buffer");
  if (buffer.present()) {
    if (auto m = buffer.as_map({"capacity", "overflow"})) {
      m->read_int("capacity", out.buffer.capacity, int_between(1, 4096));
      Overflow o{};
      if (m->read_enum("overflow", o, overflow_table())) {
        // File and synthetic drivers set their own pace and can wait; a live source cannot.
        if (live && o == Overflow::kBlock) {
          m->get("overflow").error(fmt::format("block is only allowed for file and synthetic drivers; the {} driver "
                                               "reads a live source and drops the oldest frame when the buffer is full",
                                               dname));
        } else {
          out.buffer.overflow = o;
        }
      }
    }
  }
  if (live) out.buffer.overflow = Overflow::kDropOldest;
}

namespace {

// spec.resources.isolation, .worker and .memory of a Model.
void read_isolation(const MapReader& m, ResourceSpec& out) {
  static const EnumTable<Isolation> isolations = {{"in-process", Isolation::kInProcess}, {"process", Isolation::kProcess}};
  m.read_enum("isolation", out.isolation, isolations);
  Field worker = m.get("worker");
  if (worker.present()) {
    if (out.isolation != Isolation::kProcess) {
      worker.error("worker applies to isolation: process (the model runs in-process)");
    } else if (auto w = worker.as_map({"timeout", "restart"})) {
      const NumRange seconds{0.0, 3600.0, true, "a number of seconds above 0 and at most 3600"};
      w->read_number("timeout", out.worker.timeout, seconds);
      Field restart = w->get("restart");
      if (restart.present()) {
        if (auto r = restart.as_map({"initialDelay", "maxDelay", "maxAttempts"})) {
          WorkerRestartSpec& rs = out.worker.restart;
          r->read_number("initialDelay", rs.initial_delay, seconds);
          const bool max_given = r->read_number("maxDelay", rs.max_delay, seconds);
          r->read_int("maxAttempts", rs.max_attempts, int_between(0, 1000000));
          if (rs.max_delay < rs.initial_delay) {
            if (max_given) {
              r->get("maxDelay").error(fmt::format("maxDelay ({} s) is shorter than initialDelay ({} s)", rs.max_delay,
                                                   rs.initial_delay));
            } else {
              rs.max_delay = rs.initial_delay;
            }
          }
        }
      }
    }
  }
  Field memory = m.get("memory");
  if (memory.present()) {
    const char* what = "a memory size above 0: bytes, or a number with Ki, Mi or Gi (e.g. 256Mi)";
    std::optional<int64_t> bytes;
    if (memory.is_scalar() && memory.scalar_type() == ScalarType::kString) {
      auto parsed = parse_byte_size(memory.node().Scalar());
      if (parsed.ok()) bytes = *parsed;
    } else if (memory.is_scalar() && memory.scalar_type() == ScalarType::kInt) {
      bytes = memory.as_int(nonnegative_int());
    }
    if (!bytes || *bytes <= 0) {
      memory.expected(what);
    } else {
      out.memory_limit_bytes = *bytes;
      out.memory = memory.node().Scalar();
    }
  }
}

const EnumTable<SchedPolicy>& policy_table() {
  static const EnumTable<SchedPolicy> t = {
      {"latency", SchedPolicy::kLatency}, {"throughput", SchedPolicy::kThroughput}, {"balanced", SchedPolicy::kBalanced}};
  return t;
}

// A duration field ("200ms", "1.5s"); false after reporting when it is not one.
bool read_duration(const MapReader& m, std::string_view key, int64_t& out_ns) {
  Field f = m.get(key);
  if (!f.present()) return false;
  auto text = f.is_scalar() && f.scalar_type() == ScalarType::kString ? f.as_string() : std::nullopt;
  if (!text || !parse_rule_duration(*text, &out_ns)) {
    f.expected("a duration such as 50ms or 2s (above 0, at most 3600s)");
    return false;
  }
  return true;
}

// spec.scheduling of a Model. Which accelerators exist is checked against the Device document
// (validate.cpp); whether the engines can run the model, and the objective against the model's
// measured latency, when the runtime applies the documents (sched/placement.h).
void read_scheduling(const Field& f, ModelSpec& out) {
  auto m = f.as_map({"priority", "latency", "policy", "batch", "accelerators"});
  if (!m) return;
  SchedulingSpec& s = out.scheduling;
  static const EnumTable<Priority> priorities = {
      {"high", Priority::kHigh}, {"normal", Priority::kNormal}, {"low", Priority::kLow}};
  m->read_enum("priority", s.priority, priorities);
  read_duration(*m, "latency", s.latency_ns);
  SchedPolicy policy{};
  if (m->read_enum("policy", policy, policy_table())) s.policy = policy;
  Field batch = m->get("batch");
  if (batch.present()) {
    if (auto b = batch.as_map({"max", "delay"})) {
      b->read_int("max", s.batch.max, int_between(1, 64), true);
      if (read_duration(*b, "delay", s.batch.delay_ns) && s.batch.max == 1) {
        b->get("delay").error("delay applies to batches of more than one input (batch.max is 1)");
      }
    }
    if (s.batch.max > 1) {
      for (const auto& in : out.inputs) {
        if (std::holds_alternative<StateInputSpec>(in.source)) {
          batch.error(fmt::format("batch.max {} needs inputs that do not depend on the previous run, but input \"{}\" "
                                  "is a state carried between runs",
                                  s.batch.max, in.name));
          break;
        }
      }
    }
  }
  if (m->has("accelerators")) {
    if (auto v = m->get("accelerators").as_string_list(1)) {
      std::set<std::string> seen;
      for (const auto& name : *v) {
        if (!seen.insert(name).second) {
          m->get("accelerators").error(fmt::format("\"{}\" is listed twice", name));
        }
      }
      s.accelerators = *v;
    }
  }
}

// A required `sha256`: 64 lowercase hex digits.
void read_sha256(const MapReader& m, std::string& out) {
  Field sha = m.require("sha256");
  if (!sha.present()) return;
  static const std::regex kHex("[0-9a-f]{64}");
  if (sha.is_scalar() && std::regex_match(sha.node().Scalar(), kHex)) {
    out = sha.node().Scalar();
  } else {
    sha.expected("64 lowercase hex digits");
  }
}

// spec.variants: after the model's own fields (names are checked against its inputs and outputs).
void read_variants(const Field& f, const PathRoots& roots, ModelSpec& out) {
  auto items = f.as_list(1);
  if (!items) return;
  if (out.resources.isolation == Isolation::kProcess) {
    f.error("a model with variants runs in-process (isolation: process applies to a model with one file)");
    return;
  }
  std::set<std::string> names;
  for (const auto& in : out.inputs) names.insert(in.name);
  for (const auto& o : out.outputs) names.insert(o.name);
  std::map<std::string, std::string> engines{{out.engine, "spec.engine"}};
  for (size_t i = 0; i < items->size(); ++i) {
    auto m = (*items)[i].as_map({"format", "source", "sha256", "engine", "tensors"});
    if (!m) continue;
    VariantSpec v;
    const bool format_ok = m->read_enum("format", v.format, format_table(), true);
    read_path(*m, "source", v.path, true, roots, &v.source);
    read_sha256(*m, v.sha256);
    if (m->read_enum("engine", v.engine, engine_table())) {
      if (format_ok && (v.format == ModelFormat::kOnnx) != (v.engine == "onnxruntime")) {
        m->get("engine").error(fmt::format("engine {} cannot load {} models", v.engine, model_format_name(v.format)));
      }
    } else if (format_ok && !m->has("engine")) {
      v.engine = v.format == ModelFormat::kOnnx ? "onnxruntime" : "tflite";
    }
    if (!v.engine.empty()) {
      auto [it, fresh] = engines.emplace(v.engine, fmt::format("spec.variants[{}]", i));
      if (!fresh) {
        (*items)[i].error(fmt::format("a second {} variant (the model already runs on {} through {}); one file per engine",
                                      v.engine, v.engine, it->second));
      }
    }
    Field tensors = m->get("tensors");
    if (tensors.present()) {
      if (!tensors.is_map()) {
        tensors.expected("a map from the document's tensor names to this file's");
      } else {
        for (auto it = tensors.node().begin(); it != tensors.node().end(); ++it) {
          const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
          Field value(it->second, tensors.path() + "." + key, it->first.Mark().line + 1, &tensors.ctx());
          auto name = value.as_string();
          if (!name) continue;
          if (!names.count(key)) {
            value.error(fmt::format("\"{}\" is not one of the model's declared inputs or outputs", key));
            continue;
          }
          v.tensors[key] = *name;
        }
      }
    }
    out.variants.push_back(std::move(v));
  }
}

}  // namespace

void read_model_spec(const Field& spec_field, const PathRoots& roots, ModelSpec& out) {
  auto spec = spec_field.as_map(
      {"format", "source", "sha256", "version", "engine", "inputs", "outputs", "postprocess", "resources", "scheduling",
       "variants"});
  if (!spec) return;
  const bool format_ok = spec->read_enum("format", out.format, format_table(), true);
  read_path(*spec, "source", out.path, true, roots, &out.source);

  read_sha256(*spec, out.sha256);
  spec->read_string("version", out.version, true, "a string");

  if (spec->read_enum("engine", out.engine, engine_table())) {
    if (format_ok) {
      const bool fits = (out.format == ModelFormat::kOnnx) == (out.engine == "onnxruntime");
      if (!fits) {
        spec->get("engine").error(fmt::format("engine {} cannot load {} models (use {})", out.engine,
                                              model_format_name(out.format),
                                              out.format == ModelFormat::kOnnx ? "onnxruntime" : "tflite"));
      }
    }
  } else if (format_ok && !spec->has("engine")) {
    out.engine = out.format == ModelFormat::kOnnx ? "onnxruntime" : "tflite";
  }

  // Outputs first: inputs (state) and postprocess refer to them.
  Field outputs = spec->require("outputs");
  if (outputs.present()) {
    if (auto items = outputs.as_list(1)) {
      std::map<std::string, int> seen;
      for (size_t i = 0; i < items->size(); ++i) {
        OutputSpec o;
        auto m = (*items)[i].as_map({"name", "scale", "offset"});
        if (!m) continue;
        if (m->read_string("name", o.name, true)) {
          auto [it, fresh] = seen.emplace(o.name, static_cast<int>(i));
          if (!fresh) {
            m->get("name").error(fmt::format("output \"{}\" is already declared by spec.outputs[{}]", o.name, it->second));
          }
        }
        m->read_number("scale", o.scale, any_number());
        m->read_number("offset", o.offset, any_number());
        out.outputs.push_back(std::move(o));
      }
    }
  }

  Field inputs = spec->require("inputs");
  if (inputs.present()) {
    if (auto items = inputs.as_list(1)) {
      std::vector<std::pair<std::string, Field>> state_refs;
      std::map<std::string, size_t> seen;
      std::vector<size_t> data_inputs;
      bool unclear_source = false;  // an input whose source is already reported
      for (size_t i = 0; i < items->size(); ++i) {
        InputSpec in;
        read_input((*items)[i], in, state_refs);
        if (!in.name.empty()) {
          auto [it, fresh] = seen.emplace(in.name, i);
          if (!fresh) {
            (*items)[i].error(fmt::format("input \"{}\" is already declared by spec.inputs[{}]", in.name, it->second));
          }
        }
        if ((*items)[i].is_map()) {
          // Count only inputs that really name one data source (not the one-of placeholder).
          const YAML::Node& n = (*items)[i].node();
          int sources = 0;
          for (const char* k : {"audio", "image", "series", "stream", "constant", "state"}) {
            sources += n[k].IsDefined() ? 1 : 0;
          }
          if (sources != 1) {
            unclear_source = true;
          } else if (is_data_input(in)) {
            data_inputs.push_back(i);
          }
        } else {
          unclear_source = true;
        }
        out.inputs.push_back(std::move(in));
      }
      for (const auto& [name, f] : state_refs) check_declared_output(f, name, out.outputs);
      if (data_inputs.empty() && !unclear_source) {
        inputs.error("a model needs exactly one data input (audio, image, series or stream); none is given");
      } else if (data_inputs.size() > 1) {
        (*items)[data_inputs[1]].error(
            fmt::format("a model has exactly one data input (audio, image, series or stream); spec.inputs[{}] is one already",
                        data_inputs[0]));
      }
    }
  }

  Field post = spec->get("postprocess");
  if (post.present()) {
    const std::vector<std::string> kinds = {"classify", "detect", "landmarks", "textRegions", "ctc", "lines"};
    if (auto m = post.as_map(kinds)) {
      const std::string which = m->exactly_one_of(kinds);
      if (which == "classify") {
        ClassifySpec c;
        read_classify(m->get("classify"), out.outputs, roots, c);
        out.postprocess = std::move(c);
      } else if (which == "detect") {
        DetectSpec d;
        read_detect(m->get("detect"), out.outputs, roots, d);
        out.postprocess = std::move(d);
      } else if (which == "landmarks") {
        LandmarksSpec l;
        read_landmarks(m->get("landmarks"), out.outputs, roots, l);
        out.postprocess = std::move(l);
      } else if (which == "textRegions") {
        TextRegionsSpec t;
        read_text_regions(m->get("textRegions"), out.outputs, t);
        out.postprocess = std::move(t);
      } else if (which == "ctc") {
        CtcSpec c;
        read_ctc(m->get("ctc"), out.outputs, roots, c);
        out.postprocess = std::move(c);
      } else if (which == "lines") {
        LinesSpec l;
        read_lines(m->get("lines"), out.outputs, l);
        out.postprocess = std::move(l);
      }
    }
  }

  Field resources = spec->get("resources");
  if (resources.present()) {
    if (auto m = resources.as_map({"threads", "warmup", "isolation", "worker", "memory"})) {
      m->read_int("threads", out.resources.threads, int_between(1, 64));
      m->read_int("warmup", out.resources.warmup, int_between(0, 100));
      read_isolation(*m, out.resources);
    }
  }
  Field scheduling = spec->get("scheduling");
  if (scheduling.present()) read_scheduling(scheduling, out);
  Field variants = spec->get("variants");
  if (variants.present()) read_variants(variants, roots, out);
}

void read_device_spec(const Field& spec_field, DeviceSpec& out) {
  auto spec = spec_field.as_map({"cores", "policy", "accelerators"});
  if (!spec) return;
  spec->read_int("cores", out.cores, int_between(1, 1024));
  spec->read_enum("policy", out.policy, policy_table());
  Field accelerators = spec->get("accelerators");
  if (!accelerators.present()) return;
  auto items = accelerators.as_list(1);
  if (!items) return;
  static const EnumTable<DeviceKind> devices = {{"cpu", DeviceKind::kCpu}, {"gpu", DeviceKind::kGpu}};
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < items->size(); ++i) {
    auto m = (*items)[i].as_map({"name", "engine", "device", "threads"});
    if (!m) continue;
    AcceleratorSpec a;
    if (m->read_string("name", a.name, true, "an accelerator name")) {
      if (!is_dns_label(a.name)) {
        m->get("name").expected("an accelerator name of lowercase letters, digits and '-' (at most 63, starting and "
                                "ending with a letter or digit)");
      } else if (auto [it, fresh] = seen.emplace(a.name, i); !fresh) {
        m->get("name").error(
            fmt::format("accelerator \"{}\" is already defined in spec.accelerators[{}]", a.name, it->second));
      }
    }
    if (m->read_string("engine", a.engine, true, "an engine: onnxruntime or tflite") && a.engine != "onnxruntime" &&
        a.engine != "tflite") {
      m->get("engine").expected("an engine: onnxruntime or tflite");
    }
    m->read_enum("device", a.device, devices);
    m->read_int("threads", a.threads, int_between(1, 1024));
    out.accelerators.push_back(std::move(a));
  }
}

namespace {

// `from.crops` (a cascade): every field optional; an empty map `{}` takes every box as it is.
CropsSpec read_crops(const Field& f) {
  CropsSpec c;
  if (f.node().IsNull()) return c;  // `crops:` with no value
  auto m = f.as_map({"labels", "minScore", "maxCrops", "scale", "square", "shiftX", "shiftY"});
  if (!m) return c;
  if (m->has("labels")) {
    if (auto v = m->get("labels").as_string_list(1)) c.labels = *v;
  }
  m->read_number("minScore", c.min_score, number_between(0, 1));
  m->read_int("maxCrops", c.max_crops, int_between(1, 1000));
  m->read_number("scale", c.scale, NumRange{0.0, 100.0, true, "a number above 0, at most 100"});
  m->read_bool("square", c.square);
  const NumRange shift{-10.0, 10.0, false, "a fraction of the box's size from -10 to 10"};
  m->read_number("shiftX", c.shift_x, shift);
  m->read_number("shiftY", c.shift_y, shift);
  return c;
}

}  // namespace

namespace {

// `events`: a list of {name, when, cooldown}. `when` is parsed here (docs/event_rule.h); its
// references to models and labels are checked with the other documents (validate.cpp).
void read_events(const Field& events, std::vector<EventSpec>& out) {
  if (!events.present()) return;
  auto items = events.as_list();
  if (!items) return;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < items->size(); ++i) {
    EventSpec e;
    auto m = (*items)[i].as_map({"name", "when", "cooldown"});
    if (!m) continue;
    if (m->read_string("name", e.name, true, "an event name")) {
      if (!is_dns_label(e.name)) {
        m->get("name").expected("an event name of lowercase letters, digits and '-' (at most 63, starting and ending "
                                "with a letter or digit)");
      } else if (auto [it, fresh] = seen.emplace(e.name, i); !fresh) {
        m->get("name").error(fmt::format("event \"{}\" is already defined in spec.events[{}]", e.name, it->second));
      }
    }
    if (m->read_string("when", e.when, true, "a rule such as \"hey-jarvis and silero-vad within 1s\"")) {
      RuleError err;
      if (!parse_event_rule(e.when, &e.rule, &err)) m->get("when").error(err.text());
    }
    Field cooldown = m->get("cooldown");
    if (cooldown.present()) {
      auto text = cooldown.is_scalar() && cooldown.scalar_type() == ScalarType::kString ? cooldown.as_string() : std::nullopt;
      if (!text || !parse_rule_duration(*text, &e.cooldown_ns)) {
        cooldown.expected("a duration such as 500ms or 2s (above 0, at most 3600s)");
      }
    }
    out.push_back(std::move(e));
  }
}

}  // namespace

void read_pipeline_spec(const Field& spec_field, const PathRoots& roots, PipelineSpec& out) {
  auto spec = spec_field.as_map({"steps", "sinks", "events"});
  if (!spec) return;
  Field steps = spec->require("steps");
  if (steps.present()) {
    if (auto items = steps.as_list(1)) {
      std::map<std::string, size_t> seen;
      for (size_t i = 0; i < items->size(); ++i) {
        StepSpec step;
        auto m = (*items)[i].as_map({"model", "from"});
        if (!m) continue;
        if (m->read_string("model", step.model, true, "a Model name")) {
          auto [it, fresh] = seen.emplace(step.model, i);
          if (!fresh) {
            m->get("model").error(fmt::format("model \"{}\" already appears in spec.steps[{}] (a model may appear once per pipeline)",
                                              step.model, it->second));
          }
        }
        Field from = m->require("from");
        if (from.present()) {
          if (auto fm = from.as_map({"sensor", "model", "output", "crops"})) {
            const std::string which = fm->exactly_one_of({"sensor", "model"});
            if (which == "sensor") {
              fm->read_string("sensor", step.from.sensor, true, "a Sensor name");
              if (fm->has("output")) fm->get("output").error("output is only allowed with from.model");
              if (fm->has("crops")) fm->get("crops").error("crops is only allowed with from.model (a detector)");
            } else if (which == "model") {
              fm->read_string("model", step.from.model, true, "a Model name");
              fm->read_string("output", step.from.output, false);
              if (fm->has("crops")) {
                if (fm->has("output")) {
                  fm->get("output").error("output and crops exclude each other: crops are cut around the upstream's "
                                          "detections, not from one of its outputs");
                }
                step.from.crops = read_crops(fm->get("crops"));
              }
            }
          }
        }
        out.steps.push_back(std::move(step));
      }
    }
  }
  Field sinks = spec->get("sinks");
  if (sinks.present()) {
    if (auto items = sinks.as_list()) {
      for (const auto& item : *items) {
        SinkSpec s;
        auto m = item.as_map({"type", "path"});
        if (!m) continue;
        m->read_enum("type", s.type, sink_table(), true);
        read_path(*m, "path", s.path, true, roots);
        out.sinks.push_back(std::move(s));
      }
    }
  }
  read_events(spec->get("events"), out.events);
}

}  // namespace sensix::docs
