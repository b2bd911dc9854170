// Executable transform nodes: the running form of the plan's mix, resample, window, tensor,
// rotate, crop, resize and colour nodes. Image nodes compose their geometry with the incoming
// image's, so a tensor's geometry maps model-input pixels back to the original sensor frame.
// Each node keeps the state of one stream (e.g. the resampler's filter, the window's rows) and
// is driven by one sensor graph thread.
//
// Errors: process() fails the item (the caller counts it) and the node stays usable.
//
// Thread-safety: none; one thread drives a node.
#pragma once

#include <memory>
#include <vector>

#include "common/status.h"
#include "transform/item.h"
#include "transform/plan.h"

namespace sensix {

class ExecNode {
 public:
  virtual ~ExecNode() = default;
  // Consumes one item and appends what it produces (zero or more items) to `out`.
  virtual Status process(const Item& in, std::vector<Item>* out) = 0;
  // End of the stream: appends anything still pending.
  virtual Status flush(std::vector<Item>* /*out*/) { return Status::Ok(); }
};

// Builds the node for a plan node of kind mix, resample, window, tensor, rotate, crop, resize, color
// or crops. Source and model nodes are built by the runtime.
//
// A crops node (a cascade) takes a detector's result (ModelOutputs with its prediction, and the
// item's sensor `frame`) and emits one ImageData per box taken (spec.h CropsSpec: labels, minScore,
// at most maxCrops, in the prediction's order), cut out of the frame over crops_region() clipped
// to it (crop_image: shared pixels, no copy), with the geometry of that crop in the frame and
// `Item::crop` saying which box it came from. A box with no whole pixel inside the frame is
// skipped; a result without a prediction gives nothing.
Result<std::unique_ptr<ExecNode>> make_transform_node(const PlanNode& node);

// The region a crop takes around `box` (source-frame pixels), before clipping to the frame: the
// centre moved by shift x the box's size, the size made square on the longer side if asked, then
// times scale.
cv::Rect2f crops_region(const Detection& box, const CropsSpec& crops);

}  // namespace sensix
