#include "docs/pipeline_reader.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "docs/enum_tables.h"
#include "docs/event_rule.h"

namespace sensix::docs {
namespace {

// `from.crops` (a cascade): every field optional; an empty map `{}` takes every box as it is.
CropsSpec read_crops(const Field& f) {
  CropsSpec c;
  if (f.node().IsNull()) return c;  // `crops:` with no value
  auto m = f.as_map({"labels", "minScore", "maxCrops", "scale", "square", "shiftX", "shiftY"});
  if (!m) return c;
  if (m->has("labels")) {
    if (auto v = m->get("labels").as_string_list(1)) c.labels = *v;
  }
  m->read_number("minScore", c.min_score, number_between(0, 1));
  m->read_int("maxCrops", c.max_crops, int_between(1, 1000));
  m->read_number("scale", c.scale, NumRange{0.0, 100.0, true, "a number above 0, at most 100"});
  m->read_bool("square", c.square);
  const NumRange shift{-10.0, 10.0, false, "a fraction of the box's size from -10 to 10"};
  m->read_number("shiftX", c.shift_x, shift);
  m->read_number("shiftY", c.shift_y, shift);
  return c;
}

// `events`: a list of {name, when, cooldown}. `when` is parsed here (docs/event_rule.h); its
// references to models and labels are checked with the other documents (validate.cpp).
void read_events(const Field& events, std::vector<EventSpec>& out) {
  if (!events.present()) return;
  auto items = events.as_list();
  if (!items) return;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < items->size(); ++i) {
    EventSpec e;
    auto m = (*items)[i].as_map({"name", "when", "cooldown"});
    if (!m) continue;
    if (m->read_string("name", e.name, true, "an event name")) {
      if (!is_dns_label(e.name)) {
        m->get("name").expected(
            "an event name of lowercase letters, digits and '-' (at most 63, starting and ending "
            "with a letter or digit)");
      } else if (auto [it, fresh] = seen.emplace(e.name, i); !fresh) {
        m->get("name").error(fmt::format("event \"{}\" is already defined in spec.events[{}]", e.name, it->second));
      }
    }
    if (m->read_string("when", e.when, true, "a rule such as \"hey-jarvis and silero-vad within 1s\"")) {
      RuleError err;
      if (!parse_event_rule(e.when, &e.rule, &err)) m->get("when").error(err.text());
    }
    Field cooldown = m->get("cooldown");
    if (cooldown.present()) {
      auto text = cooldown.is_scalar() && cooldown.scalar_type() == ScalarType::kString ? cooldown.as_string()
                                                                                        : std::nullopt;
      if (!text || !parse_rule_duration(*text, &e.cooldown_ns)) {
        cooldown.expected("a duration such as 500ms or 2s (above 0, at most 3600s)");
      }
    }
    out.push_back(std::move(e));
  }
}

}  // namespace

void read_pipeline_spec(const Field& spec_field, const PathRoots& roots, PipelineSpec& out) {
  auto spec = spec_field.as_map({"steps", "sinks", "events"});
  if (!spec) return;
  Field steps = spec->require("steps");
  if (steps.present()) {
    if (auto items = steps.as_list(1)) {
      std::map<std::string, size_t> seen;
      for (size_t i = 0; i < items->size(); ++i) {
        StepSpec step;
        auto m = (*items)[i].as_map({"model", "from"});
        if (!m) continue;
        if (m->read_string("model", step.model, true, "a Model name")) {
          auto [it, fresh] = seen.emplace(step.model, i);
          if (!fresh) {
            m->get("model").error(
                fmt::format("model \"{}\" already appears in spec.steps[{}] (a model may appear once per pipeline)",
                            step.model, it->second));
          }
        }
        Field from = m->require("from");
        if (from.present()) {
          if (auto fm = from.as_map({"sensor", "model", "output", "crops"})) {
            const std::string which = fm->exactly_one_of({"sensor", "model"});
            if (which == "sensor") {
              fm->read_string("sensor", step.from.sensor, true, "a Sensor name");
              if (fm->has("output")) fm->get("output").error("output is only allowed with from.model");
              if (fm->has("crops")) fm->get("crops").error("crops is only allowed with from.model (a detector)");
            } else if (which == "model") {
              fm->read_string("model", step.from.model, true, "a Model name");
              fm->read_string("output", step.from.output, false);
              if (fm->has("crops")) {
                if (fm->has("output")) {
                  fm->get("output").error(
                      "output and crops exclude each other: crops are cut around the upstream's "
                      "detections, not from one of its outputs");
                }
                step.from.crops = read_crops(fm->get("crops"));
              }
            }
          }
        }
        out.steps.push_back(std::move(step));
      }
    }
  }
  Field sinks = spec->get("sinks");
  if (sinks.present()) {
    if (auto items = sinks.as_list()) {
      for (const auto& item : *items) {
        SinkSpec s;
        auto m = item.as_map({"type", "path"});
        if (!m) continue;
        m->read_enum("type", s.type, sink_table(), true);
        read_path(*m, "path", s.path, true, roots);
        out.sinks.push_back(std::move(s));
      }
    }
  }
  read_events(spec->get("events"), out.events);
}

}  // namespace sensix::docs
