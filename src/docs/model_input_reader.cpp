#include "docs/model_input_reader.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "common/tensor.h"
#include "docs/enum_tables.h"

namespace sensix::docs {
namespace {

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
              length_ok
                  ? IntRange{1, a.frame_length, fmt::format("an integer from 1 to frameLength ({})", a.frame_length)}
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
      if (m->has(k))
        m->get(k).error(fmt::format("applies to {} features, not {}", which, audio_feature_kind_name(a.kind)));
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
                       NumRange{0.0, nyquist, true,
                                fmt::format("a frequency above 0 and at most {} Hz (half the "
                                            "sample rate)",
                                            nyquist)});
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
      if (auto v = norm.as_enum(feature_norm_table())) a.norm = *v;
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
          select.error(
              fmt::format("{} channel(s) selected but channels is {}; select one sensor channel per model "
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
      m->get("channels")
          .error(fmt::format("preEmphasis and features need mono audio (channels: 1), got {}", a.channels));
    }
    read_window(*m, a.window);
    m->read_number("scale", a.scale, any_number());
  }
  in.source = a;
}

void read_image_input(const Field& f, InputSpec& in) {
  ImageInputSpec im;
  auto m = f.as_map(
      {"width", "height", "resize", "color", "layout", "range", "mean", "std", "rotate", "crop", "quantization"});
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
          cm->get("width").error(
              fmt::format("x + width is {} + {} = {}; the region must end inside the frame (at most 1)", c.x, c.width,
                          c.x + c.width));
          ok = false;
        }
        if (ok && c.y + c.height > 1.0f + kSlack) {
          cm->get("height").error(
              fmt::format("y + height is {} + {} = {}; the region must end inside the frame (at most 1)", c.y, c.height,
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
    m->read_enum("normalize", s.norm, feature_norm_table());
    m->read_number("maxGap", s.max_gap, positive_number());
  }
  in.source = s;
}

}  // namespace

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
        shape.error(
            fmt::format("shape {} has {} elements, but audio.window x the {} features per frame is {} x {} = {}",
                        shape_text(*in.shape), count, audio_feature_kind_name(a->features->kind), a->window.window,
                        a->row_width(), want));
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
        m->get("constant")
            .error(fmt::format("{} values for shape {} ({} elements); give one value or {}", c->values.size(),
                               shape_text(*in.shape), count, count));
      }
    }
  }
}

}  // namespace sensix::docs
