#include "transform/plan.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

namespace sensix {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string prefill_text(const WindowSpec& w) {
  if (w.prefill == Prefill::kNone) return "none";
  return fmt::format("{:g}", w.prefill_value);
}

std::string norm_text(const ImageInputSpec& n) {
  if (!n.mean.empty()) return fmt::format("mean=[{:g}] std=[{:g}]", fmt::join(n.mean, ","), fmt::join(n.std, ","));
  return fmt::format("range=[{:g},{:g}]", n.range_lo, n.range_hi);
}

int channels_of(ColorOrder c) {
  switch (c) {
    case ColorOrder::kGray: return 1;
    case ColorOrder::kRgba: return 4;
    default: return 3;
  }
}

}  // namespace

std::string_view node_kind_name(const NodeParams& p) {
  return std::visit(Overloaded{
                        [](const SourceParams&) { return std::string_view("source"); },
                        [](const MixParams&) { return std::string_view("mix"); },
                        [](const ResampleParams&) { return std::string_view("resample"); },
                        [](const WindowParams&) { return std::string_view("window"); },
                        [](const TensorizeParams&) { return std::string_view("tensor"); },
                        [](const ResizeParams&) { return std::string_view("resize"); },
                        [](const ColorParams&) { return std::string_view("color"); },
                        [](const ImageTensorParams&) { return std::string_view("tensor"); },
                        [](const ModelParams&) { return std::string_view("model"); },
                        [](const PreEmphasisParams&) { return std::string_view("pre-emphasis"); },
                        [](const SpectrumParams&) { return std::string_view("spectrum"); },
                        [](const MelParams&) { return std::string_view("mel"); },
                        [](const LogParams&) { return std::string_view("log"); },
                        [](const DctParams&) { return std::string_view("dct"); },
                        [](const NormalizeParams&) { return std::string_view("normalize"); },
                        [](const SeriesResampleParams&) { return std::string_view("series-resample"); },
                        [](const SelectParams&) { return std::string_view("select"); },
                        [](const RotateParams&) { return std::string_view("rotate"); },
                        [](const CropParams&) { return std::string_view("crop"); },
                        [](const CropsParams&) { return std::string_view("crops"); },
                    },
                    p);
}

std::vector<int> Plan::sources() const {
  std::vector<int> out;
  for (const auto& n : nodes_) {
    if (n.parent < 0) out.push_back(n.id);
  }
  return out;
}

int Plan::source_of(std::string_view sensor) const {
  for (const auto& n : nodes_) {
    if (n.parent < 0 && n.sensor == sensor) return n.id;
  }
  return -1;
}

int Plan::find_key(std::string_view key) const {
  auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? -1 : it->second;
}

std::vector<int> Plan::model_nodes() const {
  std::vector<int> out;
  for (const auto& n : nodes_) {
    if (std::holds_alternative<ModelParams>(n.params)) out.push_back(n.id);
  }
  return out;
}

std::vector<int> Plan::descendants(int id) const {
  std::vector<int> out;
  std::function<void(int)> walk = [&](int n) {
    for (int c : node(n).children) {
      out.push_back(c);
      walk(c);
    }
  };
  walk(id);
  return out;
}

Plan::Sharing Plan::sharing() const {
  Sharing s;
  s.nodes = static_cast<int>(nodes_.size());
  s.requested = requested_;
  for (const auto& n : nodes_) {
    // A model node's consumers are the models fed by it; only data steps count as shared.
    if (n.consumers.size() > 1 && !std::holds_alternative<ModelParams>(n.params)) s.shared_nodes++;
  }
  return s;
}

std::string Plan::to_text() const {
  std::string out;
  std::function<void(int, int)> walk = [&](int id, int depth) {
    const PlanNode& n = node(id);
    std::string line = std::string(static_cast<size_t>(depth) * 2, ' ') + n.label;
    std::string who;
    if (std::holds_alternative<ModelParams>(n.params)) {
      who = "pipelines: " + fmt::format("{}", fmt::join(n.pipelines, ", "));
    } else if (n.consumers.size() > 1) {
      who = fmt::format("shared by {}: {}", n.consumers.size(), fmt::join(n.consumers, ", "));
    } else if (!n.consumers.empty()) {
      who = n.consumers.front();
    }
    if (!who.empty()) {
      size_t pad = line.size() < 56 ? 56 - line.size() : 1;
      line += std::string(pad, ' ') + who;
    }
    out += line + "\n";
    for (int c : n.children) walk(c, depth + 1);
  };
  for (int s : sources()) walk(s, 0);
  // Cascades: each model fed by crops, with the chain from its detector.
  for (const auto& n : nodes_) {
    if (!std::holds_alternative<ModelParams>(n.params)) continue;
    std::vector<std::string> steps{n.label};
    int at = n.parent;
    for (; at >= 0 && !std::holds_alternative<CropsParams>(node(at).params); at = node(at).parent) {
      if (std::holds_alternative<ModelParams>(node(at).params)) break;
      steps.push_back(node(at).label);
    }
    if (at < 0 || !std::holds_alternative<CropsParams>(node(at).params)) continue;
    steps.push_back(node(at).label);
    steps.push_back(node(node(at).parent).label);
    std::reverse(steps.begin(), steps.end());
    out += fmt::format("cascade: {}\n", fmt::join(steps, " -> "));
  }
  Sharing sh = sharing();
  out += fmt::format("{} nodes for {} requested steps; {} transform nodes shared by more than one model\n", sh.nodes,
                     sh.requested, sh.shared_nodes);
  return out;
}

int PlanBuilder::add_source(const SourceParams& source) {
  std::string key = source.sensor;
  if (auto it = plan_.by_key_.find(key); it != plan_.by_key_.end()) return it->second;
  PlanNode n;
  n.id = static_cast<int>(plan_.nodes_.size());
  n.sensor = source.sensor;
  n.key = key;
  if (source.modality == Modality::kAudio) {
    n.label = fmt::format("{} (audio {} Hz, {} ch)", source.sensor, source.sample_rate, source.channels);
  } else if (source.modality == Modality::kSeries) {
    n.label = fmt::format("{} (series, {} ch)", source.sensor, source.channels);
  } else {
    // An image folder has no fixed size (0x0): each photo keeps its own.
    const std::string size = source.width > 0 && source.height > 0 ? fmt::format("{}x{}", source.width, source.height)
                                                                   : "any size";
    n.label = fmt::format("{} (image {}, {} ch)", source.sensor, size, source.channels);
  }
  n.params = source;
  plan_.by_key_[key] = n.id;
  plan_.nodes_.push_back(std::move(n));
  return plan_.nodes_.back().id;
}

int PlanBuilder::get_or_add(int parent, NodeParams params, std::string key_part, std::string label,
                            const std::string& consumer, const std::string& pipeline) {
  plan_.requested_++;
  std::string key = plan_.node(parent).key + "/" + key_part;
  if (!share_) key += "@" + consumer;
  int id;
  if (auto it = plan_.by_key_.find(key); it != plan_.by_key_.end()) {
    id = it->second;
  } else {
    PlanNode n;
    n.id = static_cast<int>(plan_.nodes_.size());
    n.parent = parent;
    n.sensor = plan_.node(parent).sensor;
    n.key = key;
    n.label = std::move(label);
    n.params = std::move(params);
    id = n.id;
    plan_.by_key_[key] = id;
    plan_.nodes_.push_back(std::move(n));
    plan_.nodes_[static_cast<size_t>(parent)].children.push_back(id);
  }
  mark_consumer(id, consumer, pipeline);
  return id;
}

void PlanBuilder::mark_consumer(int id, const std::string& consumer, const std::string& pipeline) {
  for (int n = id; n >= 0; n = plan_.nodes_[static_cast<size_t>(n)].parent) {
    auto& node = plan_.nodes_[static_cast<size_t>(n)];
    if (std::find(node.consumers.begin(), node.consumers.end(), consumer) == node.consumers.end()) {
      node.consumers.push_back(consumer);
    }
    if (std::find(node.pipelines.begin(), node.pipelines.end(), pipeline) == node.pipelines.end()) {
      node.pipelines.push_back(pipeline);
    }
  }
}

namespace {

// What a source gives, for messages: "audio", "images" or "a series".
std::string_view gives_text(const SourceParams* s) {
  if (!s) return "no data";
  switch (s->modality) {
    case Modality::kAudio: return "audio";
    case Modality::kImage: return "images";
    case Modality::kSeries: return "a series";
  }
  return "no data";
}

Status check_window(const WindowSpec& w) {
  if (w.window < 1) return InvalidArgument(fmt::format("window must be at least 1, got {}", w.window));
  if (w.hop < 1 || w.hop > w.window) {
    return InvalidArgument(fmt::format("hop must be in 1..window ({}), got {}", w.window, w.hop));
  }
  return Status::Ok();
}

Result<std::pair<NodeParams, std::string>> tensorize_step(const Shape& shape, DType dtype, int64_t values, float scale,
                                                          std::string_view what) {
  if (dtype != DType::kFloat32) {
    return InvalidArgument(fmt::format("{} inputs must be float32, the model's input is {}", what, dtype_name(dtype)));
  }
  for (int64_t d : shape) {
    if (d < 0)
      return InvalidArgument(fmt::format("the input shape {} has a dynamic dimension; declare spec.inputs[].shape",
                                         shape_to_string(shape)));
  }
  if (element_count(shape) != values) {
    return InvalidArgument(fmt::format("the input {} holds {} values but each window gives {}", shape_to_string(shape),
                                       element_count(shape), values));
  }
  TensorizeParams p{scale, shape, dtype};
  std::string key = fmt::format("tensor({}{}*{:g})", dtype_name(dtype), shape_to_string(shape), scale);
  return std::pair<NodeParams, std::string>{p, key};
}

}  // namespace

Result<int> PlanBuilder::add_audio_chain(int source, const AudioInputSpec& req, const Shape& shape, DType dtype,
                                         const std::string& consumer, const std::string& pipeline) {
  // A copy, not a pointer: get_or_add() appends nodes and may move the node vector.
  const auto* found = std::get_if<SourceParams>(&plan_.node(source).params);
  if (!found || found->modality != Modality::kAudio) {
    return InvalidArgument(
        fmt::format("the model needs audio but sensor {} gives {}", plan_.node(source).sensor, gives_text(found)));
  }
  const SourceParams source_params = *found;
  const SourceParams* src = &source_params;
  if (req.channels < 1 || req.sample_rate < 1) {
    return InvalidArgument(fmt::format("audio requirement {} Hz, {} ch is not valid", req.sample_rate, req.channels));
  }
  SENSIX_RETURN_IF_ERROR(check_window(req.window));
  const bool select = !req.select_channels.empty();
  if (select) {
    if (static_cast<int>(req.select_channels.size()) != req.channels) {
      return InvalidArgument(
          fmt::format("{} channel(s) selected for a {}-channel input", req.select_channels.size(), req.channels));
    }
    for (int c : req.select_channels) {
      if (c < 0 || c >= src->channels) {
        return InvalidArgument(fmt::format("the model takes channel {} of sensor {}, which has {} channel(s) (0 to {})",
                                           c, src->sensor, src->channels, src->channels - 1));
      }
    }
  }
  const int channels_from_sensor = select ? req.channels : src->channels;  // a selection takes real channels
  if (!req.allow_upsampling && (src->sample_rate < req.sample_rate || channels_from_sensor < req.channels)) {
    return InvalidArgument(
        fmt::format("the model needs {} Hz, {} ch audio and forbids upsampling (allowUpsampling: false), but sensor {} "
                    "gives {} Hz, "
                    "{} ch: {}",
                    req.sample_rate, req.channels, src->sensor, src->sample_rate, src->channels,
                    src->sample_rate < req.sample_rate && src->channels < req.channels
                        ? "both its rate and its channel count are lower"
                        : (src->sample_rate < req.sample_rate ? "its rate is lower" : "it has fewer channels")));
  }
  bool mix = !select && src->channels != req.channels;
  if (mix && !(req.channels == 1 || src->channels == 1)) {
    return InvalidArgument(
        fmt::format("sensor {} has {} channels and the model needs {}: only mixing down to one "
                    "channel or up from one channel is supported",
                    src->sensor, src->channels, req.channels));
  }
  int node = source;
  if (select) {
    // Select before resampling: only the channels the model takes are resampled.
    std::string list = fmt::format("{}", fmt::join(req.select_channels, ","));
    node = get_or_add(node, SelectParams{src->channels, req.select_channels},
                      fmt::format("select({}->[{}])", src->channels, list),
                      fmt::format("select channel(s) [{}] of {}", list, src->channels), consumer, pipeline);
  }
  auto add_mix = [&] {
    node = get_or_add(node, MixParams{src->channels, req.channels},
                      fmt::format("mix({}->{})", src->channels, req.channels),
                      fmt::format("mix {} -> {} ch", src->channels, req.channels), consumer, pipeline);
  };
  // Mix down before resampling (fewer channels to resample); mix up after.
  if (mix && req.channels < src->channels) add_mix();
  if (src->sample_rate != req.sample_rate) {
    int ch = select || (mix && req.channels < src->channels) ? req.channels : src->channels;
    node = get_or_add(node, ResampleParams{src->sample_rate, req.sample_rate, ch},
                      fmt::format("resample({}->{})", src->sample_rate, req.sample_rate),
                      fmt::format("resample {} -> {} Hz", src->sample_rate, req.sample_rate), consumer, pipeline);
  }
  if (mix && req.channels > src->channels) add_mix();
  if (req.pre_emphasis) {
    if (req.channels != 1) return InvalidArgument("pre-emphasis needs mono audio (channels: 1)");
    node = get_or_add(node, PreEmphasisParams{*req.pre_emphasis}, fmt::format("preemph({:g})", *req.pre_emphasis),
                      fmt::format("pre-emphasis {:g}", *req.pre_emphasis), consumer, pipeline);
  }
  if (req.features) {
    SENSIX_ASSIGN_OR_RETURN(node, add_feature_steps(node, req, consumer, pipeline));
  }
  const int width = req.row_width();
  const WindowSpec& w = req.window;
  WindowParams wp{w, width, "", !req.features.has_value()};
  node = get_or_add(
      node, wp, fmt::format("window({},{},{})", w.window, w.hop, prefill_text(w)),
      req.features ? fmt::format("window {} / hop {} frames of {}, prefill {}", w.window, w.hop, width, prefill_text(w))
                   : fmt::format("window {} / hop {} samples, prefill {}", w.window, w.hop, prefill_text(w)),
      consumer, pipeline);
  auto step = tensorize_step(shape, dtype, static_cast<int64_t>(w.window) * width, req.scale, "audio");
  if (!step.ok()) return step.status();
  auto& [params, key] = step.value();
  return get_or_add(node, params, key,
                    fmt::format("tensor {} {}{}", dtype_name(dtype), shape_to_string(shape),
                                req.scale != 1.0f ? fmt::format(" x{:g}", req.scale) : ""),
                    consumer, pipeline);
}

Result<int> PlanBuilder::add_feature_steps(int node, const AudioInputSpec& req, const std::string& consumer,
                                           const std::string& pipeline) {
  const AudioFeaturesSpec& f = *req.features;
  if (req.channels != 1) return InvalidArgument("audio features need mono audio (channels: 1)");
  // Frames of samples on the hop grid; each frame becomes one feature row.
  WindowSpec frames{f.frame_length, f.frame_hop, Prefill::kNone, 0.0f};
  SENSIX_RETURN_IF_ERROR(check_window(frames));
  node = get_or_add(node, WindowParams{frames, 1, "", true},
                    fmt::format("window({},{},none)", f.frame_length, f.frame_hop),
                    fmt::format("frames {} / hop {} samples", f.frame_length, f.frame_hop), consumer, pipeline);
  SpectrumSpec ss{f.fft_size, f.frame_length, f.window, f.power, f.remove_dc};
  // Validate the parameters here, where the plan is built, not when the node first runs.
  SENSIX_RETURN_IF_ERROR(Spectrum::create(ss).status());
  node = get_or_add(node, SpectrumParams{ss},
                    fmt::format("spectrum({},{},{},p{:g}{})", ss.n_fft, ss.frame_length,
                                window_function_name(ss.window), ss.power, ss.remove_dc ? ",dc" : ""),
                    fmt::format("spectrum: fft {}, {} {}, {}{}", ss.n_fft, window_function_name(ss.window),
                                ss.frame_length, ss.power == 2.0f ? "power" : "magnitude",
                                ss.remove_dc ? ", DC removed" : ""),
                    consumer, pipeline);
  if (f.kind == AudioFeatureKind::kSpectrogram) return node;
  MelSpec ms{req.sample_rate, f.fft_size, f.mels, f.f_min, f.f_max, f.mel_scale, f.mel_norm};
  SENSIX_RETURN_IF_ERROR(MelFilterbank::create(ms).status());
  node = get_or_add(node, MelParams{ms},
                    fmt::format("mel({},{:g}-{:g},{},{})", ms.n_mels, ms.f_min, ms.f_max, mel_scale_name(ms.scale),
                                ms.slaney_norm ? "norm" : "nonorm"),
                    fmt::format("mel {} bands, {:g}-{:g} Hz ({}{})", ms.n_mels, ms.f_min, ms.f_max,
                                mel_scale_name(ms.scale), ms.slaney_norm ? ", area-normalised" : ""),
                    consumer, pipeline);
  if (f.kind == AudioFeatureKind::kLogMel || f.kind == AudioFeatureKind::kMfcc) {
    LogSpec ls{f.log, f.log_floor, f.log_offset};
    SENSIX_RETURN_IF_ERROR(LogCompression::create(ls).status());
    node = get_or_add(node, LogParams{ls},
                      fmt::format("log({},{:g},{:g})", log_kind_name(ls.kind), ls.floor, ls.offset),
                      fmt::format("log {} (floor {:g}{})", log_kind_name(ls.kind), ls.floor,
                                  ls.offset != 0.0f ? fmt::format(", offset {:g}", ls.offset) : ""),
                      consumer, pipeline);
  }
  if (f.kind == AudioFeatureKind::kMfcc) {
    SENSIX_RETURN_IF_ERROR(Dct::create(f.mels, f.coefficients, f.lifter).status());
    node = get_or_add(node, DctParams{f.mels, f.coefficients, f.lifter},
                      fmt::format("dct({},{},{:g})", f.mels, f.coefficients, f.lifter),
                      fmt::format("mfcc: DCT {} -> {}{}", f.mels, f.coefficients,
                                  f.lifter > 0.0f ? fmt::format(", lifter {:g}", f.lifter) : ""),
                      consumer, pipeline);
  }
  if (f.norm == FeatureNorm::kRunning) {
    node = get_or_add(node, NormalizeParams{FeatureNorm::kRunning, f.width(), {}, {}}, "normalize(running)",
                      "normalize: running mean/std", consumer, pipeline);
  } else if (f.norm == FeatureNorm::kFixed) {
    SENSIX_RETURN_IF_ERROR(FeatureNormalizer::fixed(f.norm_mean, f.norm_std).status());
    node = get_or_add(node, NormalizeParams{FeatureNorm::kFixed, f.width(), f.norm_mean, f.norm_std},
                      fmt::format("normalize(fixed,{:g};{:g})", fmt::join(f.norm_mean, ","),
                                  fmt::join(f.norm_std, ",")),
                      fmt::format("normalize: fixed mean/std ({} features)", f.width()), consumer, pipeline);
  }
  return node;
}

Result<int> PlanBuilder::add_image_chain(int source, const ImageInputSpec& req, const Shape& shape, DType dtype,
                                         const std::string& consumer, const std::string& pipeline) {
  // A copy, not a pointer: get_or_add() appends nodes and may move the node vector.
  const auto* found = std::get_if<SourceParams>(&plan_.node(source).params);
  if (!found || found->modality != Modality::kImage) {
    return InvalidArgument(
        fmt::format("the model needs images but sensor {} gives {}", plan_.node(source).sensor, gives_text(found)));
  }
  const SourceParams source_params = *found;
  return add_image_steps(source, source_params, req, shape, dtype, consumer, pipeline);
}

Result<int> PlanBuilder::add_image_steps(int node, const SourceParams& frame, const ImageInputSpec& req,
                                         const Shape& shape, DType dtype, const std::string& consumer,
                                         const std::string& pipeline) {
  const SourceParams* src = &frame;
  if (req.width < 1 || req.height < 1) {
    return InvalidArgument(fmt::format("image size {}x{} is not valid", req.width, req.height));
  }
  const bool quantised = req.quantization.has_value();
  if (dtype != DType::kFloat32 && dtype != DType::kUInt8 && !(dtype == DType::kInt8 && quantised)) {
    return InvalidArgument(
        fmt::format("image inputs must be float32, uint8, or int8 with quantization; the model's input is {}{}",
                    dtype_name(dtype), dtype == DType::kInt8 ? " without quantization" : ""));
  }
  if (quantised) {
    if (dtype == DType::kFloat32)
      return InvalidArgument("quantization is only for int8 and uint8 image inputs, not float32");
    const int lo = dtype == DType::kInt8 ? -128 : 0, hi = dtype == DType::kInt8 ? 127 : 255;
    if (!(req.quantization->scale > 0) || !std::isfinite(req.quantization->scale) ||
        req.quantization->zero_point < lo || req.quantization->zero_point > hi) {
      return InvalidArgument(fmt::format("quantization scale {} must be positive and zero point {} within {}..{} ({})",
                                         req.quantization->scale, req.quantization->zero_point, lo, hi,
                                         dtype_name(dtype)));
    }
  }
  if (req.rotate != 0 && req.rotate != 90 && req.rotate != 180 && req.rotate != 270) {
    return InvalidArgument(fmt::format("image rotation must be 0, 90, 180 or 270 degrees, got {}", req.rotate));
  }
  if (req.crop) {
    const ImageCropSpec& r = *req.crop;
    constexpr float kSlack = 1e-6f;
    if (!(r.x >= 0 && r.x < 1 && r.y >= 0 && r.y < 1 && r.width > 0 && r.height > 0 && r.x + r.width <= 1 + kSlack &&
          r.y + r.height <= 1 + kSlack)) {
      return InvalidArgument(fmt::format(
          "image crop (x {}, y {}, width {}, height {}) must be a region inside the frame, in fractions 0..1", r.x, r.y,
          r.width, r.height));
    }
  }
  int c = channels_of(req.color);
  Shape want = req.layout == Layout::kNhwc ? Shape{1, req.height, req.width, c} : Shape{1, c, req.height, req.width};
  if (shape != want) {
    return InvalidArgument(fmt::format("a {}x{} {} image in {} layout is a {} tensor, but the model's input is {}",
                                       req.width, req.height, color_order_name(req.color), layout_name(req.layout),
                                       shape_to_string(want), shape_to_string(shape)));
  }
  // The frame's size after each step (0 when the sensor did not say).
  int width = src->width, height = src->height;
  if (req.rotate != 0) {
    node = get_or_add(node, RotateParams{req.rotate}, fmt::format("rotate({})", req.rotate),
                      fmt::format("rotate {} deg clockwise", req.rotate), consumer, pipeline);
    if (req.rotate != 180) std::swap(width, height);
  }
  if (req.crop) {
    const ImageCropSpec& r = *req.crop;
    node = get_or_add(node, CropParams{r}, fmt::format("crop({},{},{},{})", r.x, r.y, r.width, r.height),
                      fmt::format("crop x {} y {} width {} height {} (of the frame)", r.x, r.y, r.width, r.height),
                      consumer, pipeline);
    // As crop_image rounds the region's edges to whole pixels.
    auto edge = [](double v, int size) {
      return static_cast<int>(std::floor(std::clamp(v, 0.0, static_cast<double>(size)) + 0.5));
    };
    if (width > 0 && height > 0) {
      const int w = edge((double{r.x} + r.width) * width, width) - edge(double{r.x} * width, width);
      const int h = edge((double{r.y} + r.height) * height, height) - edge(double{r.y} * height, height);
      if (w < 1 || h < 1) {
        return InvalidArgument(
            fmt::format("image crop (x {}, y {}, width {}, height {}) of the {}x{} frame of sensor {} "
                        "has no whole pixel",
                        r.x, r.y, r.width, r.height, width, height, src->sensor));
      }
      width = w;
      height = h;
    } else {
      width = height = 0;
    }
  }
  bool same_size = width == req.width && height == req.height;
  if (!same_size) {
    node = get_or_add(node, ResizeParams{req.width, req.height, req.resize},
                      fmt::format("resize({}x{},{})", req.width, req.height, resize_mode_name(req.resize)),
                      fmt::format("resize {}x{} ({})", req.width, req.height, resize_mode_name(req.resize)), consumer,
                      pipeline);
  }
  bool source_is_target = (src->channels == 3 && req.color == ColorOrder::kBgr) ||
                          (src->channels == 1 && req.color == ColorOrder::kGray);
  if (!source_is_target) {
    node = get_or_add(node, ColorParams{req.color}, fmt::format("color({})", color_order_name(req.color)),
                      fmt::format("color -> {}", color_order_name(req.color)), consumer, pipeline);
  }
  ImageTensorParams p{req, shape, dtype};
  std::string norm = dtype == DType::kUInt8 && !quantised ? std::string("raw") : norm_text(req);
  if (quantised) {
    p.quant_scale = req.quantization->scale;
    p.quant_zero_point = req.quantization->zero_point;
    norm += fmt::format(",q={}/{}", p.quant_scale, p.quant_zero_point);
  }
  return get_or_add(
      node, p,
      fmt::format("tensor({}{},{},{})", dtype_name(dtype), shape_to_string(shape), layout_name(req.layout), norm),
      fmt::format("tensor {} {} {} {}", dtype_name(dtype), shape_to_string(shape), layout_name(req.layout), norm),
      consumer, pipeline);
}

Result<int> PlanBuilder::add_series_chain(int source, const SeriesInputSpec& req, const Shape& shape, DType dtype,
                                          const std::string& consumer, const std::string& pipeline) {
  // A copy, not a pointer: get_or_add() appends nodes and may move the node vector.
  const auto* found = std::get_if<SourceParams>(&plan_.node(source).params);
  if (!found || found->modality != Modality::kSeries) {
    return InvalidArgument(
        fmt::format("the model needs a series but sensor {} gives {}", plan_.node(source).sensor, gives_text(found)));
  }
  const SourceParams src = *found;
  if (!(req.rate > 0) || !(req.max_gap > 0)) {
    return InvalidArgument(fmt::format("series rate {} Hz and maxGap {} s must be above 0", req.rate, req.max_gap));
  }
  SENSIX_RETURN_IF_ERROR(check_window(req.window));
  const int64_t per_window = static_cast<int64_t>(req.window.window) * src.channels;
  if (element_count(shape) != per_window) {
    return InvalidArgument(fmt::format(
        "the model's input {} holds {} values, but a window of {} rows of sensor {}'s {} channel(s) gives {}",
        shape_to_string(shape), element_count(shape), req.window.window, src.sensor, src.channels, per_window));
  }
  const auto gap_ns = static_cast<int64_t>(std::llround(req.max_gap * 1e9));
  int node = get_or_add(source, SeriesResampleParams{req.rate, src.channels, gap_ns},
                        fmt::format("series-resample({:g}Hz,gap={:g}s)", req.rate, req.max_gap),
                        fmt::format("resample to {:g} Hz (gaps over {:g} s not bridged)", req.rate, req.max_gap),
                        consumer, pipeline);
  if (req.norm == FeatureNorm::kRunning) {
    node = get_or_add(node, NormalizeParams{FeatureNorm::kRunning, src.channels, {}, {}}, "normalize(running)",
                      fmt::format("normalize: running mean/std ({} channels)", src.channels), consumer, pipeline);
  }
  const WindowSpec& w = req.window;
  node = get_or_add(
      node, WindowParams{w, src.channels, "", false}, fmt::format("window({},{},{})", w.window, w.hop, prefill_text(w)),
      fmt::format("window {} / hop {} rows of {}, prefill {}", w.window, w.hop, src.channels, prefill_text(w)),
      consumer, pipeline);
  auto step = tensorize_step(shape, dtype, per_window, 1.0f, "series");
  if (!step.ok()) return step.status();
  auto& [params, key] = step.value();
  return get_or_add(node, params, key, fmt::format("tensor {} {}", dtype_name(dtype), shape_to_string(shape)), consumer,
                    pipeline);
}

Result<int> PlanBuilder::add_stream_chain(int model_node, const std::string& output, int row_width,
                                          const StreamInputSpec& req, const Shape& shape, DType dtype,
                                          const std::string& consumer, const std::string& pipeline) {
  if (!std::holds_alternative<ModelParams>(plan_.node(model_node).params)) {
    return Internal("stream chain from a node that is not a model");
  }
  SENSIX_RETURN_IF_ERROR(check_window(req.window));
  if (row_width < 1) return InvalidArgument(fmt::format("output {} has no fixed row width", output));
  const WindowSpec& w = req.window;
  int node = get_or_add(model_node, WindowParams{w, row_width, output},
                        fmt::format("[{}]window({},{},{})", output, w.window, w.hop, prefill_text(w)),
                        fmt::format("{}: window {} / hop {} rows of {}, prefill {}", output, w.window, w.hop, row_width,
                                    prefill_text(w)),
                        consumer, pipeline);
  auto step = tensorize_step(shape, dtype, static_cast<int64_t>(w.window) * row_width, 1.0f, "stream");
  if (!step.ok()) return step.status();
  auto& [params, key] = step.value();
  return get_or_add(node, params, key, fmt::format("tensor {} {}", dtype_name(dtype), shape_to_string(shape)), consumer,
                    pipeline);
}

Result<int> PlanBuilder::add_crops_chain(int model_node, const CropsSpec& crops, const ImageInputSpec& req,
                                         const Shape& shape, DType dtype, const std::string& consumer,
                                         const std::string& pipeline) {
  const auto* mp = std::get_if<ModelParams>(&plan_.node(model_node).params);
  if (!mp) return Internal("crops chain from a node that is not a model");
  const std::string detector = mp->model;
  int root = model_node;
  while (plan_.node(root).parent >= 0) root = plan_.node(root).parent;
  const auto* found = std::get_if<SourceParams>(&plan_.node(root).params);
  if (!found || found->modality != Modality::kImage) {
    return InvalidArgument(fmt::format("crops are cut out of images, but Model/{} is fed by sensor {}, which gives {}",
                                       detector, plan_.node(root).sensor, gives_text(found)));
  }
  if (!(crops.scale > 0) || !std::isfinite(crops.scale) || crops.max_crops < 1 || !(crops.min_score >= 0) ||
      crops.min_score > 1 || !std::isfinite(crops.shift_x) || !std::isfinite(crops.shift_y)) {
    return InvalidArgument(
        fmt::format("crops need scale > 0, maxCrops >= 1, minScore 0..1 and finite shifts; got "
                    "scale {}, maxCrops {}, minScore {}, shift ({}, {})",
                    crops.scale, crops.max_crops, crops.min_score, crops.shift_x, crops.shift_y));
  }
  // Crops have the sensor's channels and no fixed size.
  SourceParams frame = *found;
  frame.width = frame.height = 0;
  CropsParams params{detector, crops};
  std::sort(params.crops.labels.begin(), params.crops.labels.end());
  params.crops.labels.erase(std::unique(params.crops.labels.begin(), params.crops.labels.end()),
                            params.crops.labels.end());
  const CropsSpec& c = params.crops;
  const std::string labels = c.labels.empty() ? std::string("all labels")
                                              : fmt::format("{}", fmt::join(c.labels, ", "));
  std::string label = fmt::format("crops of {} [{}]", detector, labels);
  if (c.min_score > 0) label += fmt::format(" score >= {:g}", c.min_score);
  if (c.scale != 1.0f) label += fmt::format(" x{:g}", c.scale);
  if (c.square) label += " square";
  if (c.shift_x != 0 || c.shift_y != 0) label += fmt::format(" shift ({:g}, {:g})", c.shift_x, c.shift_y);
  label += fmt::format(", at most {}", c.max_crops);
  const std::string key = fmt::format("crops({};min={:g};max={};x{:g};{};shift={:g},{:g})", fmt::join(c.labels, ","),
                                      c.min_score, c.max_crops, c.scale, c.square ? "square" : "box", c.shift_x,
                                      c.shift_y);
  const int node = get_or_add(model_node, std::move(params), key, std::move(label), consumer, pipeline);
  return add_image_steps(node, frame, req, shape, dtype, consumer, pipeline);
}

int PlanBuilder::add_model(int input, const std::string& model, const std::string& pipeline) {
  return get_or_add(input, ModelParams{model}, "model(" + model + ")", "model " + model, model, pipeline);
}

}  // namespace sensix
