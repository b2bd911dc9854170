#include "docs/validate.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "docs/parser.h"

namespace sensix::docs {
namespace {

const InputSpec* data_input(const ModelSpec& m) {
  for (const auto& in : m.inputs) {
    if (is_data_input(in)) return &in;
  }
  return nullptr;
}

std::string_view input_kind(const InputSpec& in) {
  if (std::holds_alternative<AudioInputSpec>(in.source)) return "audio";
  if (std::holds_alternative<ImageInputSpec>(in.source)) return "image";
  if (std::holds_alternative<SeriesInputSpec>(in.source)) return "series";
  return "stream";
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}

class Checker {
 public:
  Checker(const DocumentSet& docs, const IncompleteDocs& incomplete, const std::map<std::string, int>& file_seq,
          ErrorList& errors)
      : docs_(docs), incomplete_(incomplete), file_seq_(file_seq), errors_(errors) {}

  void run() {
    unique_names("Sensor", docs_.sensors);
    unique_names("Model", docs_.models);
    unique_names("Pipeline", docs_.pipelines);
    for (const auto& p : docs_.pipelines) pipeline(p);
    devices();
  }

 private:
  int seq(const std::string& file) const {
    auto it = file_seq_.find(file);
    return it == file_seq_.end() ? static_cast<int>(file_seq_.size()) : it->second;
  }

  template <typename Doc>
  void report(const Doc& d, const std::string& path, const std::string& message, int line = 0) {
    std::string text = fmt::format("{}: {}: {}", doc_label(d), path, message);
    if (line <= 0) line = d.origin.line_of(path);
    if (line > 0) text += fmt::format(" (line {})", line);
    errors_.add(seq(d.origin.file), line, std::move(text));
  }

  template <typename Doc>
  void unique_names(std::string_view kind, const std::vector<Doc>& list) {
    for (size_t i = 0; i < list.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (list[j].metadata.name != list[i].metadata.name) continue;
        report(list[i], "metadata.name",
               fmt::format("{} \"{}\" is already defined at {} line {}", kind, list[i].metadata.name,
                           list[j].origin.file, list[j].origin.line),
               list[i].origin.line);
        break;
      }
    }
  }

  // At most one Device; every accelerator a Model names exists (on the Device, or among the
  // default accelerators when no Device declares any).
  void devices() {
    if (docs_.devices.size() > 1) {
      const DeviceDoc& first = docs_.devices[0];
      for (size_t i = 1; i < docs_.devices.size(); ++i) {
        report(docs_.devices[i], "kind",
               fmt::format("a document set describes one device, and Device/{} is already defined at {} line {}",
                           first.metadata.name, first.origin.file, first.origin.line),
               docs_.devices[i].origin.line);
      }
    }
    if (!incomplete_.devices.empty()) return;  // its accelerators are unknown
    std::vector<std::string> known;
    std::string where;
    if (!docs_.devices.empty() && !docs_.devices[0].spec.accelerators.empty()) {
      for (const auto& a : docs_.devices[0].spec.accelerators) known.push_back(a.name);
      where = "Device/" + docs_.devices[0].metadata.name;
    } else {
      known = {"onnxruntime-cpu", "tflite-cpu"};
      where = "the default accelerators (no Device declares any)";
    }
    for (const auto& m : docs_.models) {
      const auto& allowed = m.spec.scheduling.accelerators;
      for (size_t i = 0; i < allowed.size(); ++i) {
        if (std::find(known.begin(), known.end(), allowed[i]) != known.end()) continue;
        report(m, fmt::format("spec.scheduling.accelerators[{}]", i),
               fmt::format("accelerator \"{}\" is not one of {}: {}{}", allowed[i], where, quoted_list(known),
                           did_you_mean_q(allowed[i], known)));
      }
    }
  }

  template <typename Doc>
  std::vector<std::string> names_of(const std::vector<Doc>& list, const std::set<std::string>& more) const {
    // The documents read, in their order, then those with errors of their own (not in the set).
    std::vector<std::string> out;
    for (const auto& d : list) out.push_back(d.metadata.name);
    for (const auto& name : more) {
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    return out;
  }

  void pipeline(const PipelineDoc& p) {
    const auto& steps = p.spec.steps;
    std::map<std::string, size_t> step_of;  // model name -> first step index
    for (size_t i = 0; i < steps.size(); ++i) step_of.emplace(steps[i].model, i);

    for (size_t i = 0; i < steps.size(); ++i) {
      const StepSpec& s = steps[i];
      const std::string at = fmt::format("spec.steps[{}]", i);
      const ModelDoc* model = docs_.find_model(s.model);
      if (!model) {
        if (!incomplete_.models.count(s.model)) {
          report(p, at + ".model",
                 fmt::format("model \"{}\" is not defined{}", s.model,
                             not_defined_hint(s.model, names_of(docs_.models, incomplete_.models), "Model")));
        }
      }
      const InputSpec* in = model ? data_input(model->spec) : nullptr;
      const std::string model_label = fmt::format("Model/{}", s.model);

      if (!s.from.sensor.empty()) {
        const SensorDoc* sensor = docs_.find_sensor(s.from.sensor);
        if (!sensor) {
          if (!incomplete_.sensors.count(s.from.sensor)) {
            report(p, at + ".from.sensor",
                   fmt::format("sensor \"{}\" is not defined{}", s.from.sensor,
                               not_defined_hint(s.from.sensor, names_of(docs_.sensors, incomplete_.sensors),
                                                "Sensor")));
          }
        } else if (in) {
          const Modality m = modality_of(sensor->spec);
          if (std::holds_alternative<StreamInputSpec>(in->source)) {
            report(p, at + ".from.sensor",
                   fmt::format("{}'s data input \"{}\" is a stream of another model's output; feed it with "
                               "from.model, not from Sensor/{}",
                               model_label, in->name, sensor->metadata.name));
          } else if (modality_name(m) != input_kind(*in)) {
            report(p, at + ".from.sensor",
                   fmt::format("Sensor/{} ({}) gives {} data, but {}'s data input \"{}\" takes {}",
                               sensor->metadata.name, sensor_driver_name(sensor->spec.driver), modality_name(m),
                               model_label, in->name, input_kind(*in)));
          }
        }
      } else if (!s.from.model.empty()) {
        if (s.from.model == s.model) {
          report(p, at + ".from.model", fmt::format("model \"{}\" cannot feed itself", s.model));
          continue;
        }
        const ModelDoc* up = docs_.find_model(s.from.model);
        const bool in_pipeline = step_of.count(s.from.model) > 0;
        if (!up && !incomplete_.models.count(s.from.model)) {
          report(p, at + ".from.model",
                 fmt::format("model \"{}\" is not defined{}", s.from.model,
                             not_defined_hint(s.from.model, names_of(docs_.models, incomplete_.models), "Model")));
        } else if (!in_pipeline) {
          report(p, at + ".from.model",
                 fmt::format("Model/{} is not a step of Pipeline/{} (add a step for it)", s.from.model,
                             p.metadata.name));
        }
        if (s.from.crops) {
          crops(p, at, model_label, in, up, *s.from.crops);
        } else {
          if (in && !std::holds_alternative<StreamInputSpec>(in->source)) {
            report(p, at + ".from.model",
                   fmt::format("{}'s data input \"{}\" takes {} from a Sensor (from.sensor), not another model's "
                               "output{}",
                               model_label, in->name, input_kind(*in),
                               std::holds_alternative<ImageInputSpec>(in->source)
                                   ? " (for crops of a detector's boxes, add from.crops)"
                                   : ""));
          }
          if (up) upstream_output(p, at, *up, s.from.output);
        }
      }
    }
    cycles(p, step_of);
    for (size_t i = 0; i < p.spec.events.size(); ++i) event_rule(p, i, step_of);
  }

  // The models and labels an event rule reads: each a step of this pipeline whose Model has a
  // postprocess; labels among those the Model declares inline (a labelsFile is checked when the
  // runtime loads the model); both sides of "inside" give boxes.
  void event_rule(const PipelineDoc& p, size_t index, const std::map<std::string, size_t>& step_of) {
    const EventSpec& ev = p.spec.events[index];
    if (ev.rule.root < 0) return;  // a syntax error, already reported
    const std::string at = fmt::format("spec.events[{}].when", index);
    std::vector<std::string> steps;
    for (const auto& s : p.spec.steps) steps.push_back(s.model);
    for (const RuleNode& n : ev.rule.nodes) {
      if (n.op == RuleOp::kInside) {
        for (int side : n.args) {
          const RuleNode& a = ev.rule.node(side);
          const ModelDoc* m = step_of.count(a.model) ? docs_.find_model(a.model) : nullptr;
          if (m && !gives_boxes(p, m->spec, a.model)) {
            report(p, at,
                   fmt::format("column {}: \"inside\" compares boxes, but Model/{} ({}) gives none (boxes come from "
                               "detect, "
                               "textRegions and lines, or a step fed by crops)",
                               a.column, a.model, postprocess_name(m->spec.postprocess)));
          }
        }
      }
      if (n.op != RuleOp::kAtom && n.op != RuleOp::kCount) continue;
      if (!step_of.count(n.model)) {
        report(p, at,
               fmt::format("column {}: model \"{}\" is not a step of Pipeline/{} (its models: {}){}", n.column, n.model,
                           p.metadata.name, quoted_list(steps), did_you_mean_q(n.model, steps)));
        continue;
      }
      const ModelDoc* m = docs_.find_model(n.model);
      if (!m) continue;  // reported at the step
      const PostprocessSpec& post = m->spec.postprocess;
      if (std::holds_alternative<std::monostate>(post)) {
        report(p, at,
               fmt::format("column {}: Model/{} has no postprocess, so it makes no predictions a rule can read",
                           n.column, n.model));
        continue;
      }
      if (n.label.empty()) continue;
      if (std::holds_alternative<LandmarksSpec>(post) || std::holds_alternative<LinesSpec>(post)) {
        report(p, at,
               fmt::format("column {}: Model/{} ({}) gives no labels; write {} without \":{}\"", n.label_column,
                           n.model, postprocess_name(post), n.model, n.label));
        continue;
      }
      std::vector<std::string> labels;
      if (const auto* c = std::get_if<ClassifySpec>(&post); c && c->labels_file.empty()) labels = c->labels;
      if (const auto* d = std::get_if<DetectSpec>(&post); d && d->labels_file.empty()) labels = d->labels;
      if (const auto* t = std::get_if<TextRegionsSpec>(&post)) labels = {t->label};
      if (labels.empty() || std::find(labels.begin(), labels.end(), n.label) != labels.end()) continue;
      report(p, at,
             fmt::format("column {}: Model/{} has no label \"{}\" (its labels: {}){}", n.label_column, n.model, n.label,
                         quoted_list(labels), did_you_mean_q(n.label, labels)));
    }
  }

  static bool gives_boxes(const PipelineDoc& p, const ModelSpec& m, const std::string& model) {
    if (std::holds_alternative<DetectSpec>(m.postprocess) || std::holds_alternative<TextRegionsSpec>(m.postprocess) ||
        std::holds_alternative<LinesSpec>(m.postprocess)) {
      return true;
    }
    for (const auto& s : p.spec.steps) {
      if (s.model == model && s.from.crops) return true;  // its predictions carry the crop's region
    }
    return false;
  }

  static std::string_view postprocess_name(const PostprocessSpec& post) {
    if (std::holds_alternative<ClassifySpec>(post)) return "classify";
    if (std::holds_alternative<DetectSpec>(post)) return "detect";
    if (std::holds_alternative<LandmarksSpec>(post)) return "landmarks";
    if (std::holds_alternative<TextRegionsSpec>(post)) return "textRegions";
    if (std::holds_alternative<CtcSpec>(post)) return "ctc";
    if (std::holds_alternative<LinesSpec>(post)) return "lines";
    return "no postprocess";
  }

  // A cascade step (from.crops): the upstream detects boxes, the step's model takes images, and
  // the labels asked for are labels the upstream reports. Labels read from a labelsFile are
  // checked when the runtime is built (runtime.cpp), where the file is read.
  void crops(const PipelineDoc& p, const std::string& at, const std::string& model_label, const InputSpec* in,
             const ModelDoc* up, const CropsSpec& c) {
    if (in && !std::holds_alternative<ImageInputSpec>(in->source)) {
      report(p, at + ".from.crops",
             fmt::format("{}'s data input \"{}\" takes {}; crops of a detector's boxes feed an image input",
                         model_label, in->name, input_kind(*in)));
    }
    if (!up) return;
    // Boxes come from `detect` (labels per class) or `textRegions` (one label).
    const auto* detect = std::get_if<DetectSpec>(&up->spec.postprocess);
    const auto* text = std::get_if<TextRegionsSpec>(&up->spec.postprocess);
    if (!detect && !text) {
      report(p, at + ".from.model",
             fmt::format("Model/{} has no detection post-processing (spec.postprocess.detect or textRegions), so it "
                         "gives no boxes for from.crops",
                         up->metadata.name));
      return;
    }
    if (detect && !detect->labels_file.empty()) return;
    const std::vector<std::string> labels = detect ? detect->labels : std::vector<std::string>{text->label};
    for (size_t j = 0; j < c.labels.size(); ++j) {
      const std::string& want = c.labels[j];
      const std::string field = fmt::format("{}.from.crops.labels[{}]", at, j);
      auto it = std::find(labels.begin(), labels.end(), want);
      if (it == labels.end()) {
        report(p, field,
               fmt::format("Model/{} detects no label \"{}\" (its labels: {}){}", up->metadata.name, want,
                           labels.size() <= 12 ? quoted_list(labels) : fmt::format("{} labels", labels.size()),
                           did_you_mean_q(want, labels)));
        continue;
      }
      const int index = static_cast<int>(it - labels.begin());
      if (detect && std::find(detect->ignore_classes.begin(), detect->ignore_classes.end(), index) !=
                        detect->ignore_classes.end()) {
        report(p, field,
               fmt::format("label \"{}\" is class {} of Model/{}, which its ignoreClasses never reports", want, index,
                           up->metadata.name));
      }
    }
  }

  void upstream_output(const PipelineDoc& p, const std::string& at, const ModelDoc& up, const std::string& output) {
    std::vector<std::string> names;
    for (const auto& o : up.spec.outputs) names.push_back(o.name);
    if (output.empty()) {
      if (names.size() > 1) {
        report(p, at + ".from",
               fmt::format("Model/{} declares {} outputs ({}); name one with from.output", up.metadata.name,
                           names.size(), quoted_list(names)));
      }
      return;
    }
    for (const auto& n : names) {
      if (n == output) return;
    }
    report(p, at + ".from.output",
           fmt::format("Model/{} declares no output \"{}\" (it declares {}){}", up.metadata.name, output,
                       quoted_list(names), did_you_mean_q(output, names)));
  }

  // Each step has one upstream, so following from.model from any step either ends at a sensor
  // or enters a cycle. Each cycle is reported once, at its first step in list order.
  void cycles(const PipelineDoc& p, const std::map<std::string, size_t>& step_of) {
    const auto& steps = p.spec.steps;
    std::vector<int> state(steps.size(), 0);  // 0 new, 1 on the current walk, 2 done
    for (size_t start = 0; start < steps.size(); ++start) {
      std::vector<size_t> walk;
      size_t i = start;
      while (true) {
        if (state[i] == 2) break;
        if (state[i] == 1) {
          // The cycle is the part of the walk from i on.
          auto it = std::find(walk.begin(), walk.end(), i);
          std::vector<size_t> loop(it, walk.end());
          const size_t first = *std::min_element(loop.begin(), loop.end());
          std::string chain;
          // Print in feeding order starting at the first step: a <- b means b feeds a; show producer -> consumer.
          auto pos = std::find(loop.begin(), loop.end(), first) - loop.begin();
          std::vector<std::string> names;
          for (size_t k = 0; k < loop.size(); ++k)
            names.push_back(steps[loop[(pos + loop.size() - k) % loop.size()]].model);
          for (const auto& n : names) chain += n + " -> ";
          chain += names.front();
          if (loop.size() > 1) {  // a self-feed is reported where it is found
            report(p, fmt::format("spec.steps[{}].from.model", first), fmt::format("cycle: {}", chain));
          }
          break;
        }
        state[i] = 1;
        walk.push_back(i);
        const std::string& up = steps[i].from.model;
        auto next = up.empty() ? step_of.end() : step_of.find(up);
        if (next == step_of.end()) break;
        i = next->second;
      }
      for (size_t w : walk) state[w] = 2;
    }
  }

  static std::string did_you_mean_q(const std::string& word, const std::vector<std::string>& names) {
    const std::string m = closest_match(word, names);
    return m.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", m);
  }

  // After "<kind> \"word\" is not defined": the name meant, when one is close, else the names that
  // are defined (the first kMaxListed), or that none is.
  static std::string not_defined_hint(const std::string& word, const std::vector<std::string>& names,
                                      std::string_view kind) {
    constexpr size_t kMaxListed = 12;
    if (names.empty()) return fmt::format(" (no {} is defined)", kind);
    if (std::string m = did_you_mean_q(word, names); !m.empty()) return m;
    std::vector<std::string> listed(names.begin(), names.begin() + std::min(names.size(), kMaxListed));
    const std::string more = names.size() > kMaxListed ? fmt::format(" and {} more", names.size() - kMaxListed) : "";
    return fmt::format(" (the {}s defined: {}{})", kind, quoted_list(listed), more);
  }

  const DocumentSet& docs_;
  const IncompleteDocs& incomplete_;
  const std::map<std::string, int>& file_seq_;
  ErrorList& errors_;
};

}  // namespace

void check_references(const DocumentSet& docs, const IncompleteDocs& incomplete,
                      const std::map<std::string, int>& file_seq, ErrorList& errors) {
  Checker(docs, incomplete, file_seq, errors).run();
}

}  // namespace sensix::docs
