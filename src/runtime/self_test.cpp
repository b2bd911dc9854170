#include "runtime/self_test.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/file_text.h"
#include "models/model_stream.h"
#include "runtime/media_request.h"
#include "runtime/request_tasks.h"

namespace sensix {

namespace {

// The items of a prediction that `count` counts.
size_t items_of(const Prediction& p) {
  switch (p.kind) {
    case PredictionKind::kClassification: return p.labels.size();
    case PredictionKind::kDetection: return p.detections.size();
    case PredictionKind::kLandmarks: return p.landmarks.size();
    case PredictionKind::kText: return p.text.empty() ? 0 : 1;
    case PredictionKind::kLines: return p.segments.size();
  }
  return 0;
}

// What items_of() counts, in words.
std::string_view items_noun(PredictionKind k) {
  switch (k) {
    case PredictionKind::kClassification: return "labels over threshold";
    case PredictionKind::kDetection: return "detections";
    case PredictionKind::kLandmarks: return "landmarks";
    case PredictionKind::kText: return "texts";
    case PredictionKind::kLines: return "line segments";
  }
  return "items";
}

std::string box_text(float x, float y, float w, float h) {
  return fmt::format("[{:.0f}, {:.0f}, {:.0f}, {:.0f}]", x, y, w, h);
}

// One prediction, short: "speech 0.93, noise 0.12", "face 0.93 at [102, 88, 119, 119]", ...
std::string describe(const Prediction& p) {
  std::vector<std::string> parts;
  switch (p.kind) {
    case PredictionKind::kClassification:
      for (const auto& l : p.labels) parts.push_back(fmt::format("{} {:.2f}", l.label, l.score));
      break;
    case PredictionKind::kDetection:
      for (const auto& d : p.detections) {
        parts.push_back(fmt::format("{} {:.2f} at {}", d.label, d.score, box_text(d.x, d.y, d.w, d.h)));
      }
      break;
    case PredictionKind::kLandmarks:
      parts.push_back(fmt::format("{} landmarks ({:.2f})", p.landmarks.size(), p.score));
      break;
    case PredictionKind::kText: parts.push_back(fmt::format("\"{}\" ({:.2f})", p.text, p.score)); break;
    case PredictionKind::kLines: parts.push_back(fmt::format("{} line segments", p.segments.size())); break;
  }
  if (parts.size() > 4) {
    const size_t more = parts.size() - 3;
    parts.resize(3);
    parts.push_back(fmt::format("{} more", more));
  }
  return parts.empty() ? "nothing" : fmt::format("{}", fmt::join(parts, ", "));
}

// What came, for a message: "face 0.71 at [...]", or "3 of 62 runs reported: ...; ...".
std::string describe(const SelfTestOutcome& seen) {
  if (seen.predictions.empty()) return fmt::format("no prediction ({} run{})", seen.runs, seen.runs == 1 ? "" : "s");
  if (seen.runs == 1) return describe(seen.predictions.front());
  std::vector<std::string> runs;
  for (size_t i = 0; i < seen.predictions.size() && i < 3; ++i) {
    runs.push_back(fmt::format("run {}: {}", seen.predictions[i].frame_seq, describe(seen.predictions[i])));
  }
  if (seen.predictions.size() > 3) runs.push_back("...");
  return fmt::format("{} of {} runs reported: {}", seen.predictions.size(), seen.runs, fmt::join(runs, "; "));
}

float iou(const Detection& d, const std::array<float, 4>& b) {
  const float x0 = std::max(d.x, b[0]), y0 = std::max(d.y, b[1]);
  const float x1 = std::min(d.x + d.w, b[0] + b[2]), y1 = std::min(d.y + d.h, b[1] + b[3]);
  const float inter = std::max(0.0f, x1 - x0) * std::max(0.0f, y1 - y0);
  const float uni = d.w * d.h + b[2] * b[3] - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

// The best score of `label` over every run (a class over threshold, or a detection); -1: none.
float best_score(const std::vector<Prediction>& predictions, const std::string& label) {
  float best = -1;
  for (const auto& p : predictions) {
    for (const auto& l : p.labels) {
      if (l.label == label) best = std::max(best, l.score);
    }
    for (const auto& d : p.detections) {
      if (d.label == label) best = std::max(best, d.score);
    }
  }
  return best;
}

}  // namespace

Result<SelfTestOutcome> run_self_test(ModelInstance& model, const SelfTestSpec& test) {
  SENSIX_ASSIGN_OR_RETURN(std::string bytes, read_file_text(test.path));
  MediaInput media;
  media.name = test.input;
  SENSIX_ASSIGN_OR_RETURN(media.content_type, sniff_content_type(bytes));
  media.bytes = std::move(bytes);
  SENSIX_ASSIGN_OR_RETURN(PreparedMedia prepared, prepare_media(signature_of(model), std::move(media)));
  SENSIX_ASSIGN_OR_RETURN(std::unique_ptr<ModelStream> stream, ModelStream::create(&model, {}, "self-test"));
  SelfTestOutcome out;
  out.media = std::move(prepared.description);
  for (size_t i = 0; i < prepared.inputs.size(); ++i) {
    const Item& item = prepared.inputs[i];
    const auto& td = std::get<TensorData>(item.data);
    StreamInput in;
    in.data = td.tensor.get();
    in.geometry = td.has_geometry ? &td.geometry : nullptr;
    in.frame_seq = i;
    in.end_ns = item.end_ns;
    in.captured = model.env()->now();
    SENSIX_ASSIGN_OR_RETURN(StreamResult r, stream->infer(in));
    ++out.runs;
    if (r.prediction) out.predictions.push_back(std::move(*r.prediction));
  }
  return out;
}

std::string unmet_expectation(const SelfTestExpect& x, const SelfTestOutcome& seen) {
  const std::string got = describe(seen);
  if (x.nothing) {
    return seen.predictions.empty() ? "" : fmt::format("expected no prediction, got {}", got);
  }
  if (!x.label.empty()) {
    const float best = best_score(seen.predictions, x.label);
    if (best < 0) return fmt::format("expected label \"{}\", got {}", x.label, got);
    if (x.score && std::fabs(best - *x.score) > x.tolerance + 1e-6f) {
      return fmt::format("expected label \"{}\" with score {:.2f} +- {:.2f}, got {:.3f} (best of {})", x.label,
                         *x.score, x.tolerance, best, got);
    }
  }
  if (x.count) {
    const size_t n = seen.runs == 1 ? (seen.predictions.empty() ? 0 : items_of(seen.predictions.front()))
                                    : seen.predictions.size();
    if (n != static_cast<size_t>(*x.count)) {
      const std::string what = seen.runs != 1             ? "runs reporting a prediction"
                               : seen.predictions.empty() ? "items in the prediction"
                                                          : std::string(items_noun(seen.predictions.front().kind));
      return fmt::format("expected {} {}, got {}: {}", *x.count, what, n, got);
    }
  }
  if (x.box) {
    float best = 0;
    for (const auto& p : seen.predictions) {
      for (const auto& d : p.detections) {
        if (x.label.empty() || d.label == x.label) best = std::max(best, iou(d, *x.box));
      }
    }
    if (best < x.min_iou) {
      return fmt::format("expected a {}box near {} (intersection over union >= {:.2f}), got {:.2f} at best: {}",
                         x.label.empty() ? "" : "\"" + x.label + "\" ",
                         box_text((*x.box)[0], (*x.box)[1], (*x.box)[2], (*x.box)[3]), x.min_iou, best, got);
    }
  }
  if (x.text) {
    const bool read = std::any_of(seen.predictions.begin(), seen.predictions.end(),
                                  [&](const Prediction& p) { return p.text == *x.text; });
    if (!read) return fmt::format("expected the text \"{}\", got {}", *x.text, got);
  }
  return "";
}

Status run_self_tests(ModelInstance& model) {
  const auto& tests = model.spec().self_test;
  StatusList failed;
  for (size_t i = 0; i < tests.size(); ++i) {
    const std::string field = fmt::format("spec.selfTest[{}]", i);
    Result<SelfTestOutcome> seen = run_self_test(model, tests[i]);
    if (!seen.ok()) {
      failed.add(seen.status().with_context(fmt::format("{}: {}", field, tests[i].input)));
      continue;
    }
    const std::string unmet = unmet_expectation(tests[i].expect, *seen);
    if (unmet.empty()) continue;
    failed.add(InvalidArgument(fmt::format("{}: {} ({}, {} run{}): the self-test failed: {}", field, tests[i].input,
                                           seen->media, seen->runs, seen->runs == 1 ? "" : "s", unmet)));
  }
  return failed.status();
}

}  // namespace sensix
