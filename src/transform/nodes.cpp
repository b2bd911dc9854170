#include "transform/nodes.h"

#include <algorithm>
#include <functional>
#include <span>

#include <fmt/format.h>

#include "transform/audio_features.h"
#include "transform/audio_ops.h"
#include "transform/image_ops.h"
#include "transform/series_ops.h"

namespace sensix {
namespace {

Item derive(const Item& in) {
  Item out;
  out.frame_seq = in.frame_seq;
  out.source = in.source;
  out.end_ns = in.end_ns;
  out.captured = in.captured;
  out.frame = in.frame;
  out.crop = in.crop;
  return out;
}

Result<const RowsData*> rows_of(const Item& in, std::string_view node) {
  const auto* rows = std::get_if<RowsData>(&in.data);
  if (!rows || !rows->values) return Internal(fmt::format("{} node received an item that is not audio or rows", node));
  return rows;
}

class MixNode final : public ExecNode {
 public:
  explicit MixNode(ChannelMixer mixer) : mixer_(mixer) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const RowsData* rows, rows_of(in, "mix"));
    if (rows->row_width != mixer_.in_channels()) {
      return InvalidArgument(fmt::format("mix expected {} channels, got {}", mixer_.in_channels(), rows->row_width));
    }
    auto mixed = std::make_shared<std::vector<float>>();
    mixed->reserve(rows->values->size() / static_cast<size_t>(mixer_.in_channels()) *
                   static_cast<size_t>(mixer_.out_channels()));
    mixer_.process(*rows->values, mixed.get());
    Item o = derive(in);
    o.data = RowsData{std::move(mixed), mixer_.out_channels(), rows->sample_rate};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  ChannelMixer mixer_;
};

class SelectNode final : public ExecNode {
 public:
  explicit SelectNode(ChannelSelector sel) : sel_(std::move(sel)) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const RowsData* rows, rows_of(in, "select"));
    if (rows->row_width != sel_.in_channels()) {
      return InvalidArgument(fmt::format("select expected {} channels, got {}", sel_.in_channels(), rows->row_width));
    }
    auto picked = std::make_shared<std::vector<float>>();
    picked->reserve(rows->values->size() / static_cast<size_t>(sel_.in_channels()) *
                    static_cast<size_t>(sel_.out_channels()));
    sel_.process(*rows->values, picked.get());
    Item o = derive(in);
    o.data = RowsData{std::move(picked), sel_.out_channels(), rows->sample_rate};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  ChannelSelector sel_;
};

class ResampleNode final : public ExecNode {
 public:
  ResampleNode(std::unique_ptr<Resampler> r, int channels) : r_(std::move(r)), channels_(channels) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const RowsData* rows, rows_of(in, "resample"));
    if (rows->row_width != channels_) {
      return InvalidArgument(fmt::format("resample expected {} channels, got {}", channels_, rows->row_width));
    }
    auto res = std::make_shared<std::vector<float>>();
    SENSIX_RETURN_IF_ERROR(r_->process(*rows->values, res.get()));
    last_ = derive(in);  // only its timestamps are needed at flush; no payload reference
    if (res->empty()) return Status::Ok();
    Item o = derive(in);
    o.data = RowsData{std::move(res), channels_, r_->out_rate()};
    out->push_back(std::move(o));
    return Status::Ok();
  }
  Status flush(std::vector<Item>* out) override {
    auto res = std::make_shared<std::vector<float>>();
    SENSIX_RETURN_IF_ERROR(r_->flush(res.get()));
    if (res->empty()) return Status::Ok();
    Item o = derive(last_);
    o.data = RowsData{std::move(res), channels_, r_->out_rate()};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  std::unique_ptr<Resampler> r_;
  int channels_;
  Item last_;
};

class PreEmphasisNode final : public ExecNode {
 public:
  explicit PreEmphasisNode(PreEmphasis p) : p_(p) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const RowsData* rows, rows_of(in, "pre-emphasis"));
    if (rows->row_width != 1)
      return InvalidArgument(fmt::format("pre-emphasis expected mono, got {} channels", rows->row_width));
    auto y = std::make_shared<std::vector<float>>();
    p_.process(*rows->values, y.get());
    Item o = derive(in);
    o.data = RowsData{std::move(y), 1, rows->sample_rate};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  PreEmphasis p_;
};

// One feature step applied to every row of an item: `in_width` values in, `out_width` out. The
// spectrum takes a whole frame of samples (one item from the framing window) as its row.
class FeatureRowNode final : public ExecNode {
 public:
  using RowFn = std::function<Status(std::span<const float>, std::vector<float>*)>;
  FeatureRowNode(std::string what, int in_width, int out_width, RowFn fn)
      : what_(std::move(what)), in_width_(in_width), out_width_(out_width), fn_(std::move(fn)) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const RowsData* rows, rows_of(in, what_));
    const std::vector<float>& v = *rows->values;
    if (v.size() % static_cast<size_t>(in_width_) != 0) {
      return InvalidArgument(fmt::format("{} expected rows of {} values, got {}", what_, in_width_, v.size()));
    }
    auto y = std::make_shared<std::vector<float>>();
    y->reserve(v.size() / static_cast<size_t>(in_width_) * static_cast<size_t>(out_width_));
    for (size_t i = 0; i < v.size(); i += static_cast<size_t>(in_width_)) {
      SENSIX_RETURN_IF_ERROR(fn_(std::span<const float>(v.data() + i, static_cast<size_t>(in_width_)), y.get()));
    }
    Item o = derive(in);
    o.data = RowsData{std::move(y), out_width_, rows->sample_rate};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  std::string what_;
  int in_width_;
  int out_width_;
  RowFn fn_;
};

// Element-wise log; rows keep their width.
class LogNode final : public ExecNode {
 public:
  explicit LogNode(LogCompression lc) : lc_(lc) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const RowsData* rows, rows_of(in, "log"));
    auto y = std::make_shared<std::vector<float>>(*rows->values);
    lc_.apply(*y);
    Item o = derive(in);
    o.data = RowsData{std::move(y), rows->row_width, rows->sample_rate};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  LogCompression lc_;
};

class WindowNode final : public ExecNode {
 public:
  WindowNode(Windower w, std::string output, bool flush_partial)
      : w_(std::move(w)), output_(std::move(output)), flush_partial_(flush_partial) {}

  Status process(const Item& in, std::vector<Item>* out) override {
    windows_.clear();
    int sample_rate = 0;
    if (output_.empty()) {
      SENSIX_ASSIGN_OR_RETURN(const RowsData* rows, rows_of(in, "window"));
      if (rows->row_width != w_.row_width()) {
        return InvalidArgument(fmt::format("window expected rows of {}, got {}", w_.row_width(), rows->row_width));
      }
      sample_rate = rows->sample_rate;
      SENSIX_RETURN_IF_ERROR(w_.push(*rows->values, in.end_ns, &windows_));
    } else {
      const auto* mo = std::get_if<ModelOutputs>(&in.data);
      if (!mo) return Internal("window node on a model output received something else");
      const Tensor* t = nullptr;
      for (size_t i = 0; i < mo->names->size(); ++i) {
        if ((*mo->names)[i] == output_) t = &(*mo->tensors)[i];
      }
      if (!t) return Internal(fmt::format("model result has no output {}", output_));
      if (t->dtype() != DType::kFloat32) {
        return InvalidArgument(fmt::format("output {} is {}, windows need float32", output_, dtype_name(t->dtype())));
      }
      if (t->size() % w_.row_width() != 0) {
        return InvalidArgument(fmt::format("output {} has {} values, not a whole number of rows of {}", output_,
                                           t->size(), w_.row_width()));
      }
      SENSIX_RETURN_IF_ERROR(w_.push(t->values<float>(), in.end_ns, &windows_));
    }
    emit(in, sample_rate, out);
    if (flush_partial_ && output_.empty()) {  // only a flushing audio window needs them, at the end
      last_ = derive(in);
      last_rate_ = sample_rate;
    }
    return Status::Ok();
  }

  Status flush(std::vector<Item>* out) override {
    // A partial window of a model's output or of feature frames means nothing.
    if (!output_.empty() || !flush_partial_) return Status::Ok();
    windows_.clear();
    w_.flush(&windows_);
    emit(last_, last_rate_, out);
    return Status::Ok();
  }

 private:
  void emit(const Item& in, int sample_rate, std::vector<Item>* out) {
    for (auto& w : windows_) {
      Item o = derive(in);
      o.end_ns = w.end_ns;
      o.data = RowsData{std::make_shared<std::vector<float>>(std::move(w.data)), w_.row_width(), sample_rate};
      out->push_back(std::move(o));
    }
  }

  Windower w_;
  std::string output_;
  bool flush_partial_;
  std::vector<Window> windows_;
  Item last_;
  int last_rate_ = 0;
};

class TensorizeNode final : public ExecNode {
 public:
  explicit TensorizeNode(TensorizeParams p) : p_(std::move(p)) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const RowsData* rows, rows_of(in, "tensor"));
    auto t = std::make_shared<Tensor>(p_.dtype, p_.shape);
    if (static_cast<int64_t>(rows->values->size()) != t->size()) {
      return InvalidArgument(fmt::format("a window of {} values does not fill the input {}", rows->values->size(),
                                         shape_to_string(p_.shape)));
    }
    auto dst = t->values<float>();
    const auto& src = *rows->values;
    if (p_.scale == 1.0f) {
      std::copy(src.begin(), src.end(), dst.begin());
    } else {
      for (size_t i = 0; i < src.size(); ++i) dst[i] = src[i] * p_.scale;
    }
    Item o = derive(in);
    o.data = TensorData{std::move(t), {}, false};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  TensorizeParams p_;
};

Result<const ImageData*> image_of(const Item& in, std::string_view node) {
  const auto* img = std::get_if<ImageData>(&in.data);
  if (!img) return Internal(fmt::format("{} node received an item that is not an image", node));
  return img;
}

bool is_identity(const ImageGeometry& g) {
  return g.rotation % 4 == 0 && g.scale_x == 1 && g.scale_y == 1 && g.pad_x == 0 && g.pad_y == 0 && g.crop_x == 0 &&
         g.crop_y == 0 && g.src_width == g.dst_width && g.src_height == g.dst_height;
}

// The geometry of an image made by `step` from an image whose geometry is `in`: maps the new
// image back to the original sensor frame. (The sensor's own frame has the identity geometry;
// the step's geometry is then kept exactly.)
Result<ImageGeometry> chain(const ImageGeometry& in, const ImageGeometry& step) {
  if (is_identity(in) && in.dst_width == step.src_width && in.dst_height == step.src_height) return step;
  return compose(in, step);
}

class RotateNode final : public ExecNode {
 public:
  explicit RotateNode(RotateParams p) : p_(p) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const ImageData* img, image_of(in, "rotate"));
    ImageGeometry geo;
    SENSIX_ASSIGN_OR_RETURN(cv::Mat rotated, rotate_image(img->image, p_.degrees, &geo));
    SENSIX_ASSIGN_OR_RETURN(ImageGeometry total, chain(img->geometry, geo));
    Item o = derive(in);
    o.data = ImageData{std::move(rotated), total};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  RotateParams p_;
};

class CropNode final : public ExecNode {
 public:
  explicit CropNode(CropParams p) : p_(p) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const ImageData* img, image_of(in, "crop"));
    ImageGeometry geo;
    const cv::Rect2f region(p_.region.x, p_.region.y, p_.region.width, p_.region.height);
    SENSIX_ASSIGN_OR_RETURN(cv::Mat cropped, crop_image(img->image, region, true, &geo));
    SENSIX_ASSIGN_OR_RETURN(ImageGeometry total, chain(img->geometry, geo));
    Item o = derive(in);
    o.data = ImageData{std::move(cropped), total};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  CropParams p_;
};

class ResizeNode final : public ExecNode {
 public:
  explicit ResizeNode(ResizeParams p) : p_(p) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const ImageData* img, image_of(in, "resize"));
    ImageGeometry geo;
    SENSIX_ASSIGN_OR_RETURN(cv::Mat resized, resize_image(img->image, p_.width, p_.height, p_.mode, &geo));
    SENSIX_ASSIGN_OR_RETURN(ImageGeometry total, chain(img->geometry, geo));
    Item o = derive(in);
    o.data = ImageData{std::move(resized), total};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  ResizeParams p_;
};

class ColorNode final : public ExecNode {
 public:
  explicit ColorNode(ColorParams p) : p_(p) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const ImageData* img, image_of(in, "color"));
    SENSIX_ASSIGN_OR_RETURN(cv::Mat converted, convert_color(img->image, p_.to));
    Item o = derive(in);
    o.data = ImageData{std::move(converted), img->geometry};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  ColorParams p_;
};

class ImageTensorNode final : public ExecNode {
 public:
  explicit ImageTensorNode(ImageTensorParams p) : p_(std::move(p)) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const ImageData* img, image_of(in, "tensor"));
    SENSIX_ASSIGN_OR_RETURN(Tensor t, image_to_tensor(img->image, p_.norm.layout, p_.dtype, p_.norm,
                                                      Quantization{p_.quant_scale, p_.quant_zero_point}));
    if (t.shape() != p_.shape) {
      return InvalidArgument(fmt::format("image tensor is {}, the model expects {}", shape_to_string(t.shape()),
                                         shape_to_string(p_.shape)));
    }
    Item o = derive(in);
    o.data = TensorData{std::make_shared<Tensor>(std::move(t)), img->geometry, true};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  ImageTensorParams p_;
};

// A cascade: the boxes of one detector result, each cut out of the original sensor frame.
class CropsNode final : public ExecNode {
 public:
  explicit CropsNode(CropsParams p) : p_(std::move(p)) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    const auto* mo = std::get_if<ModelOutputs>(&in.data);
    if (!mo) return Internal("crops node received an item that is not a model's result");
    if (!mo->prediction) return Status::Ok();  // the detector reported nothing
    if (in.frame.empty()) return Internal(fmt::format("crops of {}: the result carries no sensor frame", p_.model));
    const CropsSpec& c = p_.crops;
    const auto& detections = mo->prediction->detections;
    int taken = 0;
    for (size_t i = 0; i < detections.size() && taken < c.max_crops; ++i) {
      const Detection& d = detections[i];
      if (!c.labels.empty() && !std::binary_search(c.labels.begin(), c.labels.end(), d.label)) continue;
      if (d.score < c.min_score) continue;
      ImageGeometry geo;
      // A box with no whole pixel inside the frame gives no crop (crop_image says why; nothing to report).
      auto cropped = crop_image(in.frame, crops_region(d, c), false, &geo);
      if (!cropped.ok()) continue;
      auto source = std::make_shared<CropSource>();
      source->model = p_.model;
      source->detection = static_cast<int>(i);
      source->label = d.label;
      source->score = d.score;
      source->x = geo.crop_x;
      source->y = geo.crop_y;
      source->w = static_cast<float>(geo.dst_width);
      source->h = static_cast<float>(geo.dst_height);
      Item o = derive(in);
      o.data = ImageData{std::move(cropped).value(), geo};
      o.crop = std::move(source);
      out->push_back(std::move(o));
      taken++;
    }
    return Status::Ok();
  }

 private:
  CropsParams p_;
};

// Series readings onto the model's regular grid; emits the rows that became complete.
class SeriesResampleNode final : public ExecNode {
 public:
  explicit SeriesResampleNode(SeriesResampler r) : r_(std::move(r)) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    const auto* s = std::get_if<SeriesData>(&in.data);
    if (!s || !s->chunk) return Internal("series-resample node received an item that is not a series");
    const SeriesChunk& c = *s->chunk;
    if (c.channels != r_.channels()) {
      return InvalidArgument(fmt::format("series-resample expected {} channels, got {}", r_.channels(), c.channels));
    }
    auto rows = std::make_shared<std::vector<float>>();
    Status first_error;
    const auto ch = static_cast<size_t>(c.channels);
    for (size_t i = 0; i < c.t_ns.size(); ++i) {
      Status st = r_.push(c.t_ns[i], std::span<const float>(c.values.data() + i * ch, ch), rows.get(), nullptr);
      if (!st.ok() && first_error.ok()) first_error = st;
    }
    if (rows->empty()) return first_error;
    Item o = derive(in);
    o.data = RowsData{std::move(rows), c.channels, 0};
    out->push_back(std::move(o));
    return Status::Ok();
  }

 private:
  SeriesResampler r_;
};

}  // namespace

cv::Rect2f crops_region(const Detection& box, const CropsSpec& crops) {
  const double cx = double{box.x} + box.w / 2.0 + double{crops.shift_x} * box.w;
  const double cy = double{box.y} + box.h / 2.0 + double{crops.shift_y} * box.h;
  double w = box.w, h = box.h;
  if (crops.square) w = h = std::max(w, h);
  w *= crops.scale;
  h *= crops.scale;
  return cv::Rect2f(static_cast<float>(cx - w / 2), static_cast<float>(cy - h / 2), static_cast<float>(w),
                    static_cast<float>(h));
}

Result<std::unique_ptr<ExecNode>> make_transform_node(const PlanNode& node) {
  if (const auto* p = std::get_if<MixParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(ChannelMixer m, ChannelMixer::create(p->in_channels, p->out_channels));
    return std::unique_ptr<ExecNode>(std::make_unique<MixNode>(m));
  }
  if (const auto* p = std::get_if<SelectParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(ChannelSelector sel, ChannelSelector::create(p->in_channels, p->channels));
    return std::unique_ptr<ExecNode>(std::make_unique<SelectNode>(std::move(sel)));
  }
  if (const auto* p = std::get_if<ResampleParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(auto r, Resampler::create(p->in_rate, p->out_rate, p->channels));
    return std::unique_ptr<ExecNode>(std::make_unique<ResampleNode>(std::move(r), p->channels));
  }
  if (const auto* p = std::get_if<WindowParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(Windower w, Windower::create(p->spec, p->row_width));
    return std::unique_ptr<ExecNode>(std::make_unique<WindowNode>(std::move(w), p->output, p->flush_partial));
  }
  if (const auto* p = std::get_if<PreEmphasisParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(PreEmphasis pe, PreEmphasis::create(p->coefficient));
    return std::unique_ptr<ExecNode>(std::make_unique<PreEmphasisNode>(pe));
  }
  if (const auto* p = std::get_if<SpectrumParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<Spectrum> sp, Spectrum::create(p->spec));
    std::shared_ptr<Spectrum> shared(std::move(sp));
    const int bins = shared->bins();
    return std::unique_ptr<ExecNode>(std::make_unique<FeatureRowNode>(
        "spectrum", shared->spec().frame_length, bins,
        [shared](std::span<const float> row, std::vector<float>* out) { return shared->compute(row, out); }));
  }
  if (const auto* p = std::get_if<MelParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(MelFilterbank fb, MelFilterbank::create(p->spec));
    auto shared = std::make_shared<MelFilterbank>(std::move(fb));
    return std::unique_ptr<ExecNode>(std::make_unique<FeatureRowNode>(
        "mel", shared->bins(), p->spec.n_mels,
        [shared](std::span<const float> row, std::vector<float>* out) { return shared->apply(row, out); }));
  }
  if (const auto* p = std::get_if<LogParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(LogCompression lc, LogCompression::create(p->spec));
    return std::unique_ptr<ExecNode>(std::make_unique<LogNode>(lc));
  }
  if (const auto* p = std::get_if<DctParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(Dct dct, Dct::create(p->n_in, p->n_out, p->lifter));
    auto shared = std::make_shared<Dct>(std::move(dct));
    return std::unique_ptr<ExecNode>(std::make_unique<FeatureRowNode>(
        "dct", p->n_in, p->n_out,
        [shared](std::span<const float> row, std::vector<float>* out) { return shared->apply(row, out); }));
  }
  if (const auto* p = std::get_if<NormalizeParams>(&node.params)) {
    auto made = p->kind == FeatureNorm::kFixed ? FeatureNormalizer::fixed(p->mean, p->std)
                                               : FeatureNormalizer::running(p->width);
    if (!made.ok()) return made.status();
    auto norm = std::make_shared<FeatureNormalizer>(std::move(made).value());
    return std::unique_ptr<ExecNode>(std::make_unique<FeatureRowNode>(
        "normalize", p->width, p->width, [norm](std::span<const float> row, std::vector<float>* out) {
          const size_t at = out->size();
          out->insert(out->end(), row.begin(), row.end());
          return norm->apply(std::span<float>(out->data() + at, row.size()));
        }));
  }
  if (const auto* p = std::get_if<SeriesResampleParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(SeriesResampler r, SeriesResampler::create(p->rate, p->channels, p->max_gap_ns));
    return std::unique_ptr<ExecNode>(std::make_unique<SeriesResampleNode>(std::move(r)));
  }
  if (const auto* p = std::get_if<TensorizeParams>(&node.params)) {
    return std::unique_ptr<ExecNode>(std::make_unique<TensorizeNode>(*p));
  }
  if (const auto* p = std::get_if<RotateParams>(&node.params)) {
    return std::unique_ptr<ExecNode>(std::make_unique<RotateNode>(*p));
  }
  if (const auto* p = std::get_if<CropParams>(&node.params)) {
    return std::unique_ptr<ExecNode>(std::make_unique<CropNode>(*p));
  }
  if (const auto* p = std::get_if<ResizeParams>(&node.params)) {
    return std::unique_ptr<ExecNode>(std::make_unique<ResizeNode>(*p));
  }
  if (const auto* p = std::get_if<ColorParams>(&node.params)) {
    return std::unique_ptr<ExecNode>(std::make_unique<ColorNode>(*p));
  }
  if (const auto* p = std::get_if<ImageTensorParams>(&node.params)) {
    return std::unique_ptr<ExecNode>(std::make_unique<ImageTensorNode>(*p));
  }
  if (const auto* p = std::get_if<CropsParams>(&node.params)) {
    return std::unique_ptr<ExecNode>(std::make_unique<CropsNode>(*p));
  }
  return Internal(fmt::format("no transform node for a {} plan node", node_kind_name(node.params)));
}

}  // namespace sensix
