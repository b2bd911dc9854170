// The document envelope (apiVersion, kind, metadata, spec), files and directories, and the
// public entry points of parser.h. Per-kind readers are in *_reader.cpp, cross-document checks
// in validate.cpp, artifact checks in artifacts.cpp.
#include "docs/parser.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/paths.h"
#include "docs/canonical.h"
#include "docs/device_reader.h"
#include "docs/field_reader.h"
#include "docs/model_reader.h"
#include "docs/paths.h"
#include "docs/pipeline_reader.h"
#include "docs/sensor_reader.h"
#include "docs/validate.h"

namespace sensix {
namespace {

namespace fs = std::filesystem;
using docs::DocContext;
using docs::ErrorList;
using docs::Field;
using docs::MapReader;

constexpr std::string_view kApiVersion = "sensix/v1";
constexpr size_t kMaxFileBytes = 16u << 20;

enum class Kind { kSensor, kModel, kPipeline, kDevice };

const docs::EnumTable<Kind>& kind_table() {
  static const docs::EnumTable<Kind> t = {
      {"Sensor", Kind::kSensor}, {"Model", Kind::kModel}, {"Pipeline", Kind::kPipeline}, {"Device", Kind::kDevice}};
  return t;
}

// Everything collected while reading files.
struct Collector {
  DocumentSet set;
  ErrorList errors;
  docs::IncompleteDocs incomplete;
  std::map<std::string, int> file_seq;  // file label -> order
  size_t missing_files = 0;             // errors that are files that do not exist
};

// A plain-string scalar at `node[key]`, or "".
std::string peek_string(const YAML::Node& node, const char* key) {
  if (!node.IsDefined() || !node.IsMap()) return "";
  const YAML::Node v = node[key];
  return v.IsDefined() && v.IsScalar() ? v.Scalar() : "";
}

// Origin::field_lines: the line of every key and list item under `node`, by field path (the
// paths FieldReader reports: "spec.inputs[0].stream.window").
void note_field_lines(const YAML::Node& node, const std::string& path, std::map<std::string, int>& lines) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string child = path.empty() ? it->first.Scalar() : path + "." + it->first.Scalar();
      lines.emplace(child, it->first.Mark().line + 1);
      note_field_lines(it->second, child, lines);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string child = fmt::format("{}[{}]", path, i);
      if (node[i].Mark().line >= 0) lines.emplace(child, node[i].Mark().line + 1);
      note_field_lines(node[i], child, lines);
    }
  }
}

void read_document(const YAML::Node& root, int index, const std::string& label, int seq, const docs::PathRoots& roots,
                   Collector& c) {
  // The label comes first so that every message about this document carries it.
  const std::string kind_text = peek_string(root, "kind");
  std::optional<Kind> kind;
  for (const auto& [name, k] : kind_table()) {
    if (name == kind_text) kind = k;
  }
  const std::string name = root.IsMap() ? peek_string(root["metadata"], "name") : "";
  std::string doc_label = label + ": ";
  if (kind && !name.empty()) {
    doc_label += kind_text + "/" + name;
  } else if (kind) {
    doc_label += fmt::format("{} (document {})", kind_text, index + 1);
  } else {
    doc_label += fmt::format("document {}", index + 1);
  }

  DocContext ctx{doc_label, seq, &c.errors, 0};
  Origin origin{label, index, root.Mark().line + 1, {}};
  note_field_lines(root, "", origin.field_lines);
  auto doc = MapReader::root(root, origin.line, &ctx, {"apiVersion", "kind", "metadata", "spec"});
  if (!doc) return;

  Field api = doc->require("apiVersion");
  if (api.present()) {
    if (!(api.is_scalar() && api.scalar_type() == docs::ScalarType::kString && api.node().Scalar() == kApiVersion)) {
      api.expected(fmt::format("\"{}\"", kApiVersion));
    }
  }
  Field kind_field = doc->require("kind");
  if (kind_field.present()) (void)kind_field.as_enum(kind_table());

  Metadata meta;
  Field metadata = doc->require("metadata");
  if (metadata.present()) {
    if (auto m = metadata.as_map({"name", "labels"})) {
      Field name_field = m->require("name");
      if (name_field.present()) {
        if (auto s = name_field.as_string("a name")) {
          if (docs::is_dns_label(*s)) {
            meta.name = *s;
          } else {
            name_field.expected(
                "a name of lowercase letters, digits and '-', 1 to 63 characters, starting and ending with a "
                "letter or digit");
          }
        }
      }
      Field labels = m->get("labels");
      if (labels.present()) {
        if (!labels.is_map()) {
          labels.expected("a map of strings to strings");
        } else {
          for (auto it = labels.node().begin(); it != labels.node().end(); ++it) {
            const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
            Field value(it->second, labels.path() + "." + key, it->first.Mark().line + 1, &ctx);
            if (auto v = value.as_string()) meta.labels[key] = *v;
          }
        }
      }
    }
  }

  Field spec = doc->require("spec");
  if (kind && spec.present()) {
    switch (*kind) {
      case Kind::kSensor: {
        SensorDoc d{origin, meta, {}, docs::canonical_text(root)};
        docs::read_sensor_spec(spec, roots, d.spec);
        if (ctx.error_count == 0) c.set.sensors.push_back(std::move(d));
        break;
      }
      case Kind::kModel: {
        ModelDoc d{origin, meta, {}, docs::canonical_text(root)};
        docs::read_model_spec(spec, roots, d.spec);
        if (ctx.error_count == 0) c.set.models.push_back(std::move(d));
        break;
      }
      case Kind::kPipeline: {
        PipelineDoc d{origin, meta, {}, docs::canonical_text(root)};
        docs::read_pipeline_spec(spec, roots, d.spec);
        if (ctx.error_count == 0) c.set.pipelines.push_back(std::move(d));
        break;
      }
      case Kind::kDevice: {
        DeviceDoc d{origin, meta, {}, docs::canonical_text(root)};
        docs::read_device_spec(spec, d.spec);
        if (ctx.error_count == 0) c.set.devices.push_back(std::move(d));
        break;
      }
    }
  }
  if (ctx.error_count > 0 && !kind && !name.empty()) {
    // Its kind is unreadable: it could be what another document names.
    c.incomplete.sensors.insert(name);
    c.incomplete.models.insert(name);
    c.incomplete.pipelines.insert(name);
  } else if (ctx.error_count > 0 && kind && !name.empty()) {
    switch (*kind) {
      case Kind::kSensor: c.incomplete.sensors.insert(name); break;
      case Kind::kModel: c.incomplete.models.insert(name); break;
      case Kind::kPipeline: c.incomplete.pipelines.insert(name); break;
      case Kind::kDevice: c.incomplete.devices.insert(name); break;
    }
  }
}

void add_file_error(Collector& c, int seq, int line, std::string message, bool missing_file = false) {
  c.errors.add(seq, line, std::move(message));
  if (missing_file) ++c.missing_files;
}

void read_text(std::string_view text, const std::string& label, const std::string& base_dir,
               const ParseOptions& options, Collector& c) {
  const int seq = static_cast<int>(c.file_seq.size());
  c.file_seq.emplace(label, seq);
  docs::PathRoots roots{base_dir, options.model_repo.empty() ? model_repo_dir() : options.model_repo,
                        options.samples_dir.empty() ? samples_dir() : options.samples_dir};
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::ParserException& e) {
    add_file_error(c, seq, e.mark.line + 1,
                   fmt::format("{}:{}:{}: YAML syntax error: {}", label, e.mark.line + 1, e.mark.column + 1, e.msg));
    return;
  } catch (const std::exception& e) {
    add_file_error(c, seq, 0, fmt::format("{}: cannot read YAML: {}", label, e.what()));
    return;
  }
  int index = 0;
  for (const auto& node : nodes) {
    if (node.IsNull()) continue;  // an empty document between "---" separators
    try {
      read_document(node, index, label, seq, roots, c);
    } catch (const std::exception& e) {  // a yaml-cpp corner the readers did not foresee
      add_file_error(c, seq, node.Mark().line + 1,
                     fmt::format("{}: document {}: cannot read: {}", label, index + 1, e.what()));
    }
    ++index;
  }
  if (index == 0) add_file_error(c, seq, 0, fmt::format("{}: no documents (the file is empty)", label));
}

void read_file(const std::string& path, const ParseOptions& options, Collector& c) {
  std::error_code ec;
  const int seq_if_error = static_cast<int>(c.file_seq.size());
  const auto size = fs::file_size(path, ec);
  if (ec) {
    c.file_seq.emplace(path, seq_if_error);
    add_file_error(c, seq_if_error, 0, fmt::format("{}: cannot read: {}", path, ec.message()),
                   ec == std::errc::no_such_file_or_directory);
    return;
  }
  if (size > kMaxFileBytes) {
    c.file_seq.emplace(path, seq_if_error);
    add_file_error(c, seq_if_error, 0,
                   fmt::format("{}: {} bytes, more than the {} MiB a document file may have", path, size,
                               kMaxFileBytes >> 20));
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  if (!in) {
    c.file_seq.emplace(path, seq_if_error);
    add_file_error(c, seq_if_error, 0, fmt::format("{}: cannot read", path));
    return;
  }
  const fs::path abs = fs::absolute(path, ec);
  read_text(buf.str(), path, ec ? fs::path(path).parent_path().string() : abs.parent_path().string(), options, c);
}

bool is_document_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

ReadDocuments finish(Collector& c) {
  docs::check_references(c.set, c.incomplete, c.file_seq, c.errors);
  ReadDocuments out;
  if (c.errors.empty()) {
    out.docs = std::move(c.set);
    return out;
  }
  out.problems = c.missing_files == c.errors.size() ? NotFound(c.errors.joined()) : InvalidArgument(c.errors.joined());
  // The sound part: the documents that no problem names.
  const std::vector<std::string> messages = c.errors.messages();
  auto named = [&](const auto& d) {
    const std::string label = doc_label(d) + ":";
    return std::any_of(messages.begin(), messages.end(), [&](const std::string& m) { return m.starts_with(label); });
  };
  auto keep = [&](auto& list) { std::erase_if(list, named); };
  keep(c.set.sensors);
  keep(c.set.models);
  keep(c.set.devices);
  keep(c.set.pipelines);
  out.docs = std::move(c.set);
  return out;
}

Result<DocumentSet> whole(ReadDocuments r) {
  if (!r.problems.ok()) return r.problems;
  return std::move(r.docs);
}

}  // namespace

Result<DocumentSet> parse_document_files(const std::vector<std::string>& paths, const ParseOptions& options) {
  return whole(read_document_files(paths, options));
}

ReadDocuments read_document_files(const std::vector<std::string>& paths, const ParseOptions& options) {
  Collector c;
  if (paths.empty()) return {{}, InvalidArgument("no document files given")};
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> names;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (is_document_file(entry.path()) && !entry.is_directory()) names.push_back(entry.path().filename().string());
      }
      if (ec) {
        const int seq = static_cast<int>(c.file_seq.size());
        c.file_seq.emplace(path, seq);
        add_file_error(c, seq, 0, fmt::format("{}: cannot list the directory: {}", path, ec.message()));
        continue;
      }
      std::sort(names.begin(), names.end());
      if (names.empty()) {
        const int seq = static_cast<int>(c.file_seq.size());
        c.file_seq.emplace(path, seq);
        add_file_error(c, seq, 0, fmt::format("{}: the directory holds no *.yaml, *.yml or *.json files", path));
      }
      for (const auto& name : names) read_file((fs::path(path) / name).string(), options, c);
    } else {
      read_file(path, options, c);
    }
  }
  return finish(c);
}

Result<DocumentSet> parse_document_text(std::string_view text, const std::string& file_label,
                                        const std::string& base_dir, const ParseOptions& options) {
  Collector c;
  read_text(text, file_label, base_dir, options, c);
  return whole(finish(c));
}

namespace {

// Puts `doc` into `list`, replacing the document of the same name.
template <typename Doc>
void put_document(std::vector<Doc>& list, const Doc& doc) {
  for (Doc& d : list) {
    if (d.metadata.name == doc.metadata.name) {
      d = doc;
      return;
    }
  }
  list.push_back(doc);
}

template <typename Doc>
void check_applied_once(const std::vector<Doc>& list, Collector& c) {
  std::set<std::string> seen;
  for (const Doc& d : list) {
    if (!seen.insert(d.metadata.name).second) {
      c.errors.add(0, d.origin.line, doc_label(d) + ": applied twice in one request");
    }
  }
}

}  // namespace

Result<MergedDocuments> parse_documents_onto(const DocumentSet& base, std::string_view text,
                                             const std::string& file_label, const std::string& base_dir,
                                             const ParseOptions& options) {
  Collector c;
  read_text(text, file_label, base_dir, options, c);
  check_applied_once(c.set.sensors, c);
  check_applied_once(c.set.models, c);
  check_applied_once(c.set.pipelines, c);
  if (c.set.devices.size() > 1)
    c.errors.add(0, c.set.devices[1].origin.line,
                 doc_label(c.set.devices[1]) + ": a second Device document (a device has one)");
  if (!c.errors.empty()) {
    return c.missing_files == c.errors.size() ? NotFound(c.errors.joined()) : InvalidArgument(c.errors.joined());
  }
  if (c.set.sensors.empty() && c.set.models.empty() && c.set.pipelines.empty() && c.set.devices.empty()) {
    return InvalidArgument(file_label +
                           ": no document (expected one or more Sensor, Model, Pipeline or Device documents)");
  }
  MergedDocuments out;
  out.merged = base;
  for (const auto& d : c.set.sensors) put_document(out.merged.sensors, d);
  for (const auto& d : c.set.models) put_document(out.merged.models, d);
  for (const auto& d : c.set.pipelines) put_document(out.merged.pipelines, d);
  if (!c.set.devices.empty()) out.merged.devices = c.set.devices;
  SENSIX_RETURN_IF_ERROR(validate_references(out.merged));
  out.parsed = std::move(c.set);
  return out;
}

Status validate_references(const DocumentSet& docs) {
  ErrorList errors;
  std::map<std::string, int> file_seq;
  auto note = [&](const auto& list) {
    for (const auto& d : list) file_seq.emplace(d.origin.file, static_cast<int>(file_seq.size()));
  };
  note(docs.sensors);
  note(docs.models);
  note(docs.pipelines);
  docs::check_references(docs, {}, file_seq, errors);
  if (errors.empty()) return Status::Ok();
  return InvalidArgument(errors.joined());
}

std::string declared_model_version(std::string_view text) {
  try {
    const YAML::Node doc = YAML::Load(std::string(text));
    if (!doc.IsMap() || !doc["kind"] || !doc["kind"].IsScalar() || doc["kind"].Scalar() != "Model") return "";
    const YAML::Node spec = doc["spec"];
    if (!spec || !spec.IsMap() || !spec["version"] || !spec["version"].IsScalar()) return "";
    return spec["version"].Scalar();
  } catch (const YAML::Exception&) {
    return "";
  }
}

}  // namespace sensix
