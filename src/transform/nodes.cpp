#include "transform/nodes.h"

#include <algorithm>

#include <fmt/format.h>

#include "transform/audio_ops.h"
#include "transform/image_ops.h"

namespace sensix {
namespace {

Item derive(const Item& in) {
  Item out;
  out.frame_seq = in.frame_seq;
  out.end_ns = in.end_ns;
  out.captured = in.captured;
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
    last_ = in;
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

class WindowNode final : public ExecNode {
 public:
  WindowNode(Windower w, std::string output) : w_(std::move(w)), output_(std::move(output)) {}

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
    last_ = in;
    last_rate_ = sample_rate;
    return Status::Ok();
  }

  Status flush(std::vector<Item>* out) override {
    if (!output_.empty()) return Status::Ok();  // a partial window of features means nothing
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

class ResizeNode final : public ExecNode {
 public:
  explicit ResizeNode(ResizeParams p) : p_(p) {}
  Status process(const Item& in, std::vector<Item>* out) override {
    SENSIX_ASSIGN_OR_RETURN(const ImageData* img, image_of(in, "resize"));
    ImageGeometry geo;
    SENSIX_ASSIGN_OR_RETURN(cv::Mat resized, resize_image(img->image, p_.width, p_.height, p_.mode, &geo));
    Item o = derive(in);
    o.data = ImageData{std::move(resized), geo};
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
    SENSIX_ASSIGN_OR_RETURN(Tensor t, image_to_tensor(img->image, p_.norm.layout, p_.dtype, p_.norm));
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

}  // namespace

Result<std::unique_ptr<ExecNode>> make_transform_node(const PlanNode& node) {
  if (const auto* p = std::get_if<MixParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(ChannelMixer m, ChannelMixer::create(p->in_channels, p->out_channels));
    return std::unique_ptr<ExecNode>(std::make_unique<MixNode>(m));
  }
  if (const auto* p = std::get_if<ResampleParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(auto r, Resampler::create(p->in_rate, p->out_rate, p->channels));
    return std::unique_ptr<ExecNode>(std::make_unique<ResampleNode>(std::move(r), p->channels));
  }
  if (const auto* p = std::get_if<WindowParams>(&node.params)) {
    SENSIX_ASSIGN_OR_RETURN(Windower w, Windower::create(p->spec, p->row_width));
    return std::unique_ptr<ExecNode>(std::make_unique<WindowNode>(std::move(w), p->output));
  }
  if (const auto* p = std::get_if<TensorizeParams>(&node.params)) {
    return std::unique_ptr<ExecNode>(std::make_unique<TensorizeNode>(*p));
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
  return Internal(fmt::format("no transform node for a {} plan node", node_kind_name(node.params)));
}

}  // namespace sensix
