// Plan: the shared transformation graph derived from sensors' native formats and models'
// declared input requirements.
//
// Every node is identified by a canonical key: its parent's key plus its own operation and
// parameters (e.g. "speech/mix(2->1)/resample(22050->16000)/window(1760,1280,prefill=0)").
// Asking for a node that already exists returns the existing one, so two consumers that need
// the same step on the same sensor share one node, which runs once per frame. Each sensor's
// graph is a tree rooted at its source node; model nodes are nodes too, and the rows of a
// model's output can feed further windows and models (model-as-feature sharing).
//
// The plan is a description only (no execution state); runtime/ instantiates it.
//
// Thread-safety: build on one thread; a finished Plan is immutable.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "spec/spec.h"
#include "transform/audio_features.h"

namespace sensix {

struct SourceParams {
  std::string sensor;
  Modality modality = Modality::kAudio;
  int sample_rate = 0;  // audio
  int channels = 0;     // audio channels; image channels (1, 3 or 4); series channels (fields)
  int width = 0, height = 0;
};
// Timestamped series readings put on a regular grid (transform/series_ops.h).
struct SeriesResampleParams {
  double rate = 0;
  int channels = 0;
  int64_t max_gap_ns = 0;
};
struct MixParams {
  int in_channels = 0, out_channels = 0;
};
struct SelectParams {  // take these input channels (0-based), in this order
  int in_channels = 0;
  std::vector<int> channels;
};
struct ResampleParams {
  int in_rate = 0, out_rate = 0, channels = 0;
};
// Windows over rows: audio samples (row = one sample of all channels) or the rows of a
// model's output `output` (row = its last dimension).
struct WindowParams {
  WindowSpec spec;
  int row_width = 0;
  std::string output;         // model output name when the parent is a model node; empty for audio
  bool flush_partial = true;  // at the end of a stream, emit a last zero-padded window (audio samples)
};
// Audio features, one node per step so that models asking for the same prefix share it.
struct PreEmphasisParams {
  float coefficient = 0.0f;
};
struct SpectrumParams {  // one frame of samples -> one row of n_fft / 2 + 1 bins
  SpectrumSpec spec;
};
struct MelParams {
  MelSpec spec;
};
struct LogParams {
  LogSpec spec;
};
struct DctParams {
  int n_in = 0, n_out = 0;
  float lifter = 0.0f;
};
struct NormalizeParams {
  FeatureNorm kind = FeatureNorm::kRunning;
  int width = 0;
  std::vector<float> mean, std;  // kFixed
};
// A window made into the model's input tensor.
struct TensorizeParams {
  float scale = 1.0f;
  Shape shape;
  DType dtype = DType::kFloat32;
};
// Rotation of the sensor frame by quarter turns (transform/image_ops.h rotate_image).
struct RotateParams {
  int degrees = 0;  // clockwise: 90, 180 or 270
};
// A region of the (rotated) frame, in fractions of its width and height (crop_image, normalised).
struct CropParams {
  ImageCropSpec region;
};
struct ResizeParams {
  int width = 0, height = 0;
  ResizeMode mode = ResizeMode::kStretch;
};
struct ColorParams {
  ColorOrder to = ColorOrder::kRgb;
};
struct ImageTensorParams {
  ImageInputSpec norm;  // layout, range or mean/std
  Shape shape;
  DType dtype = DType::kFloat32;
  // int8/uint8 quantisation: q = round(v / scale) + zero_point; scale 0 = none (uint8 pixels as they are).
  float quant_scale = 0.0f;
  int quant_zero_point = 0;
};
struct ModelParams {
  std::string model;  // Model document name
};
// A cascade: each result of the model above (`model`) becomes 0..max_crops images cut out of the
// original sensor frame around its boxes (Pipeline `from.crops`; labels sorted, without repeats).
struct CropsParams {
  std::string model;
  CropsSpec crops;
};

using NodeParams =
    std::variant<SourceParams, MixParams, ResampleParams, WindowParams, TensorizeParams, ResizeParams, ColorParams,
                 ImageTensorParams, ModelParams, PreEmphasisParams, SpectrumParams, MelParams, LogParams, DctParams,
                 NormalizeParams, SeriesResampleParams, SelectParams, RotateParams, CropParams, CropsParams>;

std::string_view node_kind_name(const NodeParams& p);  // "source", "mix", "resample", "spectrum", ...

struct PlanNode {
  int id = 0;
  int parent = -1;  // -1 for a source
  std::string sensor;
  std::string key;    // canonical, unique in the plan
  std::string label;  // short human description, e.g. "resample 22050->16000 Hz"
  NodeParams params;
  std::vector<int> children;
  std::vector<std::string> consumers;  // models that read this node's output, directly or through later nodes
  std::vector<std::string> pipelines;  // pipelines that asked for this node
};

class Plan {
 public:
  const std::vector<PlanNode>& nodes() const { return nodes_; }
  const PlanNode& node(int id) const { return nodes_.at(static_cast<size_t>(id)); }
  std::vector<int> sources() const;
  // The source node of `sensor`, or -1.
  int source_of(std::string_view sensor) const;
  // The node with canonical key `key`, or -1.
  int find_key(std::string_view key) const;
  // Model node ids, in creation order.
  std::vector<int> model_nodes() const;
  // Node ids under `id` (excluding it), depth first.
  std::vector<int> descendants(int id) const;

  // Feature sharing: nodes requested more than once, and the number of node evaluations per
  // frame saved compared with every consumer computing its own chain.
  struct Sharing {
    int nodes = 0;         // distinct nodes
    int requested = 0;     // nodes requested in total (with repeats)
    int shared_nodes = 0;  // sensor and transform nodes (not models) with more than one consumer
  };
  Sharing sharing() const;

  // A text rendering: one line per node, indented by depth, with its consumers; then one line per
  // model fed by crops ("cascade: ssd-oidv4 -> crops of ... -> resize ... -> model blazeface").
  std::string to_text() const;

 private:
  friend class PlanBuilder;
  std::vector<PlanNode> nodes_;
  std::map<std::string, int> by_key_;
  int requested_ = 0;
};

// Derives chains and adds them to a plan, sharing identical nodes.
class PlanBuilder {
 public:
  // `share` false gives every consumer its own copy of every transform step (each key is made
  // unique per consumer); only benchmarks use it, to measure what sharing saves.
  explicit PlanBuilder(bool share = true) : share_(share) {}

  // The source node of a sensor (created once).
  int add_source(const SourceParams& source);

  // Audio from `source` to a model's audio input: channel mix and resampling as needed,
  // pre-emphasis, feature frames (frames, spectrum, mel, log, DCT, normalisation: each a node of
  // its own) if the input asks for features, then windows, then the tensor. Returns the tensor node. Fails (with both sides named)
  // when the requirement cannot be met from the source.
  Result<int> add_audio_chain(int source, const AudioInputSpec& req, const Shape& shape, DType dtype,
                              const std::string& consumer, const std::string& pipeline);

  // An image from `source` to a model's image input: rotation, crop (each only when asked for),
  // resize (unless the frame already has the size), colour order, tensor (quantised for
  // int8/uint8 with quantization). Rotations and crops are keyed by their parameters, so models
  // asking the same rotation, or the same rotation and crop, of a sensor share those nodes.
  Result<int> add_image_chain(int source, const ImageInputSpec& req, const Shape& shape, DType dtype,
                              const std::string& consumer, const std::string& pipeline);

  // A series from `source` to a model's series input: resampling onto the model's grid, optional
  // per-channel normalisation, windows, then the tensor. The input shape must hold window x the
  // sensor's channel count values.
  Result<int> add_series_chain(int source, const SeriesInputSpec& req, const Shape& shape, DType dtype,
                               const std::string& consumer, const std::string& pipeline);

  // Rows of `output` of the model at node `model_node` (row width `row_width`) to a stream
  // input: windows, then the tensor.
  Result<int> add_stream_chain(int model_node, const std::string& output, int row_width, const StreamInputSpec& req,
                               const Shape& shape, DType dtype, const std::string& consumer,
                               const std::string& pipeline);

  // Crops of the boxes that the model at `model_node` detects (its sensor must give images) to a
  // model's image input: the crop node, keyed by the crop parameters so that consumers asking for
  // the same crops of the same detector share it, then the steps of add_image_chain (rotation and
  // crop when asked, resize -- always, as a crop has no fixed size -- colour order, tensor).
  Result<int> add_crops_chain(int model_node, const CropsSpec& crops, const ImageInputSpec& req, const Shape& shape,
                              DType dtype, const std::string& consumer, const std::string& pipeline);

  // The model `model` fed by node `input` (created once per (model, input)).
  int add_model(int input, const std::string& model, const std::string& pipeline);

  Plan finish() { return std::move(plan_); }
  const Plan& plan() const { return plan_; }

 private:
  int get_or_add(int parent, NodeParams params, std::string key_part, std::string label, const std::string& consumer,
                 const std::string& pipeline);
  // The feature steps of an audio input with `features`, below `node`; returns the last one.
  Result<int> add_feature_steps(int node, const AudioInputSpec& req, const std::string& consumer,
                                const std::string& pipeline);
  void mark_consumer(int id, const std::string& consumer, const std::string& pipeline);
  // The image steps below `node`, whose images are `frame`'s (width and height 0: any size).
  Result<int> add_image_steps(int node, const SourceParams& frame, const ImageInputSpec& req, const Shape& shape,
                              DType dtype, const std::string& consumer, const std::string& pipeline);

  Plan plan_;
  bool share_ = true;
};

}  // namespace sensix
