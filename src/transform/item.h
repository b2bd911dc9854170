// Item: one unit of data flowing from a node of the executable graph to its children.
//
// Items are cheap to copy: payloads are shared (shared_ptr or OpenCV's reference-counted
// cv::Mat), so one node's output is read by all its children without copying.
//
// Thread-safety: payloads are immutable once emitted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "common/frame.h"
#include "common/tensor.h"
#include "spec/prediction.h"
#include "transform/image_ops.h"

namespace sensix {

// Interleaved float samples (audio) or rows of values (a window of rows).
struct RowsData {
  std::shared_ptr<const std::vector<float>> values;
  int row_width = 1;    // audio: channels; model rows: the output's last dimension
  int sample_rate = 0;  // audio only
};

// Timestamped readings from a series sensor (shares the frame's chunk).
struct SeriesData {
  std::shared_ptr<const SeriesChunk> chunk;
};

struct ImageData {
  cv::Mat image;
  ImageGeometry geometry;  // how this image maps back to the sensor's frame
};

struct TensorData {
  TensorPtr tensor;
  ImageGeometry geometry;  // valid when the tensor came from an image
  bool has_geometry = false;
};

// The declared outputs of one model run, in the order of the Model document's outputs, and the
// prediction its post-processing made of them (null when it reported nothing): a detector's boxes,
// in source-frame pixels, feed the crop nodes of a cascade.
struct ModelOutputs {
  std::shared_ptr<const std::vector<Tensor>> tensors;
  std::shared_ptr<const std::vector<std::string>> names;
  std::shared_ptr<const Prediction> prediction;
};

struct Item {
  uint64_t frame_seq = 0;            // the sensor frame whose data completed this item
  FrameSource source;                // where that frame came from (shared, null when unknown)
  int64_t end_ns = 0;                // stream time of the end of the data
  SteadyClock::time_point captured;  // capture time of that frame (for latency)
  std::variant<RowsData, ImageData, TensorData, ModelOutputs, SeriesData> data;
  // Image sensors: the original frame (shared pixels, never written), carried down the tree and
  // through models so that a cascade's crop node cuts its crops out of the frame itself, not out
  // of a detector's resized input. Empty for audio and series.
  cv::Mat frame;
  // Below a crop node: the box this item was cut around (see CropSource); null elsewhere.
  std::shared_ptr<const CropSource> crop;
};

}  // namespace sensix
