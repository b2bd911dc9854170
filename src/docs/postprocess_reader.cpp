#include "docs/postprocess_reader.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "docs/enum_tables.h"

namespace sensix::docs {
namespace {

void read_labels(const MapReader& m, std::vector<std::string>& labels, std::string& labels_file,
                 std::string& labels_sha256, const PathRoots& roots) {
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
  read_path_digest(m, "labelsFile", "labelsSha256", labels_sha256);
}

PostprocessSpec read_classify(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots& roots) {
  ClassifySpec c;
  auto m = f.as_map({"output", "activation", "labels", "labelsFile", "labelsSha256", "topK", "threshold", "trigger",
                     "release", "ignoreClasses"});
  if (!m) return c;
  if (m->read_string("output", c.output, true)) check_declared_output(m->get("output"), c.output, outputs);
  m->read_enum("activation", c.activation, activation_table());
  read_labels(*m, c.labels, c.labels_file, c.labels_sha256, roots);
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
  return c;
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

PostprocessSpec read_detect(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots& roots) {
  DetectSpec d;
  auto m = f.as_map({"scores", "boxes", "anchors", "box", "scoreActivation", "scoreClip", "labels", "labelsFile",
                     "labelsSha256", "ignoreClasses", "minScore", "nms"});
  if (!m) return d;
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
  read_labels(*m, d.labels, d.labels_file, d.labels_sha256, roots);
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
  return d;
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

PostprocessSpec read_landmarks(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots& roots) {
  LandmarksSpec l;
  auto m = f.as_map(
      {"output", "values", "visibilityActivation", "inputSize", "presence", "names", "namesFile", "namesSha256"});
  if (!m) return l;
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
  read_path_digest(*m, "namesFile", "namesSha256", l.names_sha256);
  return l;
}

PostprocessSpec read_text_regions(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots&) {
  TextRegionsSpec t;
  auto m = f.as_map({"output", "threshold", "boxThreshold", "unclipRatio", "minSize", "maxRegions", "label"});
  if (!m) return t;
  if (m->read_string("output", t.output, true)) check_declared_output(m->get("output"), t.output, outputs);
  m->read_number("threshold", t.threshold, number_between(0, 1));
  m->read_number("boxThreshold", t.box_threshold, number_between(0, 1));
  m->read_number("unclipRatio", t.unclip_ratio, nonnegative_number());
  m->read_number("minSize", t.min_size, nonnegative_number());
  m->read_int("maxRegions", t.max_regions, positive_int());
  m->read_string("label", t.label, false);
  return t;
}

PostprocessSpec read_ctc(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots& roots) {
  CtcSpec c;
  auto m = f.as_map({"output", "activation", "dictionary", "dictionaryFile", "dictionarySha256", "blank",
                     "spaceCharacter", "minConfidence"});
  if (!m) return c;
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
  read_path_digest(*m, "dictionaryFile", "dictionarySha256", c.dictionary_sha256);
  m->read_int("blank", c.blank, nonnegative_int());
  m->read_bool("spaceCharacter", c.space_character);
  m->read_number("minConfidence", c.min_confidence, number_between(0, 1));
  return c;
}

PostprocessSpec read_lines(const Field& f, const std::vector<OutputSpec>& outputs, const PathRoots&) {
  LinesSpec l;
  auto m = f.as_map({"scores", "offsets", "scoreActivation", "threshold", "maxLines", "minLength", "inputSize"});
  if (!m) return l;
  if (m->read_string("scores", l.scores_output, true))
    check_declared_output(m->get("scores"), l.scores_output, outputs);
  if (m->read_string("offsets", l.offsets_output, true)) {
    check_declared_output(m->get("offsets"), l.offsets_output, outputs);
  }
  m->read_enum("scoreActivation", l.score_activation, elementwise_activation_table());
  m->read_number("threshold", l.threshold, number_between(0, 1));
  m->read_int("maxLines", l.max_lines, positive_int());
  m->read_number("minLength", l.min_length, nonnegative_number());
  read_input_size(*m, l.input_width, l.input_height);
  return l;
}

// One reader per kind, keyed by its field under `spec.postprocess`, in the order messages list them.
using PostprocessReader = PostprocessSpec (*)(const Field& f, const std::vector<OutputSpec>& outputs,
                                              const PathRoots& roots);
const std::vector<std::pair<std::string, PostprocessReader>>& postprocess_readers() {
  static const std::vector<std::pair<std::string, PostprocessReader>> t = {
      {"classify", read_classify},        {"detect", read_detect}, {"landmarks", read_landmarks},
      {"textRegions", read_text_regions}, {"ctc", read_ctc},       {"lines", read_lines},
  };
  return t;
}

}  // namespace

void read_postprocess(const Field& post, const std::vector<OutputSpec>& outputs, const PathRoots& roots,
                      PostprocessSpec& out) {
  std::vector<std::string> kinds;
  for (const auto& [key, read] : postprocess_readers()) kinds.push_back(key);
  auto m = post.as_map(kinds);
  if (!m) return;
  const std::string which = m->exactly_one_of(kinds);
  for (const auto& [key, read] : postprocess_readers()) {
    if (key == which) out = read(m->get(key), outputs, roots);
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

}  // namespace sensix::docs
