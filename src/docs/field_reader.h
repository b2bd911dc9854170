// FieldReader: walks one YAML node of a document with its field path ("spec.inputs[0].audio")
// and reads typed values out of it, collecting every problem in an ErrorList instead of
// stopping at the first. Internal to docs/ (the parser and its tests); nothing outside docs/
// includes yaml-cpp.
//
// Messages have the shape the user sees:
//   <file>: <Kind>/<name>: <field path>: expected <what>, got <value as written> (line N)
//   <file>: <Kind>/<name>: <field path>: unknown field (expected one of: a, b); did you mean "a"? (line N)
//   <file>: <Kind>/<name>: <field path>: required field is missing (line N)
// Strings are quoted in "got", numbers/booleans are shown as written; a quoted "5" is a string.
// Values follow the YAML 1.2 core schema (null, true/false, decimal integers and floats);
// yes/no/on/off are strings, not booleans.
//
// Thread-safety: one reader tree per document, single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace sensix::docs {

// Levenshtein distance; used for "did you mean" (suggested when <= 2).
int edit_distance(std::string_view a, std::string_view b);

// The closest candidate at edit distance <= 2 (and less than the word's length), or "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// `; did you mean "x"?` when closest_match finds one, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// A placeholder left for the user by a drafted document (docs/draft.h): a string "<...>". Any
// field that holds one is reported as "placeholder "<...>" left from the draft: replace it with
// <what the field expects>", whatever its type.
bool is_placeholder(std::string_view s);

// Errors of one or more files, kept in file order (then line order within a file).
class ErrorList {
 public:
  // `file_seq` orders files; `line` (1-based, 0 = unknown) orders errors inside a file.
  void add(int file_seq, int line, std::string message);
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // All messages, sorted by (file_seq, line), stable; one per line, no trailing newline.
  std::string joined() const;
  std::vector<std::string> messages() const;

 private:
  struct Entry {
    int file_seq;
    int line;
    size_t seq;
    std::string message;
  };
  std::vector<Entry> entries_;
};

// Per-document context shared by all FieldReaders of that document.
struct DocContext {
  std::string label;  // "quickstart.yaml: Model/hey-jarvis"
  int file_seq = 0;
  ErrorList* errors = nullptr;
  int error_count = 0;  // errors reported for this document

  void report(int line, const std::string& path, const std::string& message);
};

// How a scalar is typed under the YAML 1.2 core schema (quoted scalars are always strings).
enum class ScalarType { kNull, kBool, kInt, kFloat, kString };

// Integer and number ranges, with the words used in "expected ...".
struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::string what;  // "a positive integer", "an integer from 1 to 1000"
};
struct NumRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  std::string what;  // "a number", "a positive number", "a number from 0 to 1"
};
IntRange positive_int();
IntRange nonnegative_int();
IntRange int_between(int64_t lo, int64_t hi);
NumRange any_number();
NumRange positive_number();
NumRange nonnegative_number();
NumRange number_between(double lo, double hi);

template <typename E>
using EnumTable = std::vector<std::pair<std::string, E>>;

class MapReader;

// One node at a field path. A default/absent node (`present() == false`) reads nothing.
class Field {
 public:
  Field(YAML::Node node, std::string path, int key_line, DocContext* ctx);

  bool present() const { return node_.IsDefined(); }
  const std::string& path() const { return path_; }
  // Line of the value (of the key, when the value is empty).
  int line() const;
  const YAML::Node& node() const { return node_; }
  DocContext& ctx() const { return *ctx_; }

  ScalarType scalar_type() const;  // only meaningful for scalars and nulls
  bool is_map() const;
  bool is_list() const;
  bool is_scalar() const;
  bool is_number() const;  // an int or a float scalar

  // "got ..." text: "fast" (quoted string), 12, true, null, a map, a list.
  std::string written() const;

  // Reports "<path>: expected <what>, got <written>".
  void expected(std::string_view what, std::string_view extra = {}) const;
  // Reports "<path>: <message>" at this field's line.
  void error(std::string_view message) const;

  std::optional<std::string> as_string(std::string_view what = "a string") const;
  std::optional<int64_t> as_int(const IntRange& r) const;
  std::optional<double> as_number(const NumRange& r) const;
  std::optional<bool> as_bool() const;
  template <typename E>
  std::optional<E> as_enum(const EnumTable<E>& table) const;

  // The items of a list (reports and returns nullopt when not a list; `min_items` checked).
  std::optional<std::vector<Field>> as_list(size_t min_items = 0, std::string_view what = "a list") const;
  // A map whose keys must be among `allowed` (unknown ones are reported).
  std::optional<MapReader> as_map(std::vector<std::string> allowed) const;

  // Lists of scalars; nullopt if the node or any item is wrong (all items are checked).
  std::optional<std::vector<std::string>> as_string_list(size_t min_items = 0) const;
  std::optional<std::vector<int64_t>> as_int_list(const IntRange& r, size_t min_items = 0) const;
  std::optional<std::vector<double>> as_number_list(const NumRange& r, size_t min_items = 0) const;

 private:
  std::string enum_expectation(const std::vector<std::string>& names) const;

  YAML::Node node_;
  std::string path_;
  int key_line_ = 0;
  DocContext* ctx_ = nullptr;
};

// A mapping node with a known set of fields. Unknown and duplicate keys are reported when it
// is built (by Field::as_map or MapReader::root).
class MapReader {
 public:
  // The document root (path ""), or nullopt after reporting when it is not a map.
  static std::optional<MapReader> root(const YAML::Node& node, int line, DocContext* ctx,
                                       std::vector<std::string> allowed);

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  DocContext& ctx() const { return *ctx_; }

  bool has(std::string_view key) const;
  // The child (absent if not given).
  Field get(std::string_view key) const;
  // The child; reports "required field is missing" when absent.
  Field require(std::string_view key) const;

  // Typed shortcuts: read `key` into `out` when present; `required` reports when absent.
  // Return true when the key was present and valid.
  bool read_string(std::string_view key, std::string& out, bool required, std::string_view what = "a string") const;
  template <typename T>
  bool read_int(std::string_view key, T& out, const IntRange& r, bool required = false) const;
  template <typename T>
  bool read_number(std::string_view key, T& out, const NumRange& r, bool required = false) const;
  bool read_bool(std::string_view key, bool& out, bool required = false) const;
  template <typename E>
  bool read_enum(std::string_view key, E& out, const EnumTable<E>& table, bool required = false) const;

  // Reports "<path>: exactly one of a, b, c must be given (got x, y)" unless exactly one is
  // present; returns the one present or "".
  std::string exactly_one_of(const std::vector<std::string>& keys) const;

 private:
  friend class Field;
  MapReader(YAML::Node node, std::string path, int line, DocContext* ctx);
  void check_keys(const std::vector<std::string>& allowed) const;
  std::string child_path(std::string_view key) const;

  YAML::Node node_;
  std::string path_;
  int line_ = 0;  // line of the key that holds this map (or of the map itself)
  DocContext* ctx_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Template definitions.

template <typename E>
std::optional<E> Field::as_enum(const EnumTable<E>& table) const {
  std::vector<std::string> names;
  for (const auto& [name, value] : table) names.push_back(name);
  if (is_scalar() && scalar_type() == ScalarType::kString) {
    const std::string& s = node_.Scalar();
    for (const auto& [name, value] : table) {
      if (s == name) return value;
    }
    expected(enum_expectation(names), did_you_mean(s, names));
    return std::nullopt;
  }
  expected(enum_expectation(names));
  return std::nullopt;
}

template <typename T>
bool MapReader::read_int(std::string_view key, T& out, const IntRange& r, bool required) const {
  Field f = required ? require(key) : get(key);
  if (!f.present()) return false;
  auto v = f.as_int(r);
  if (!v) return false;
  out = static_cast<T>(*v);
  return true;
}

template <typename T>
bool MapReader::read_number(std::string_view key, T& out, const NumRange& r, bool required) const {
  Field f = required ? require(key) : get(key);
  if (!f.present()) return false;
  auto v = f.as_number(r);
  if (!v) return false;
  out = static_cast<T>(*v);
  return true;
}

template <typename E>
bool MapReader::read_enum(std::string_view key, E& out, const EnumTable<E>& table, bool required) const {
  Field f = required ? require(key) : get(key);
  if (!f.present()) return false;
  auto v = f.as_enum(table);
  if (!v) return false;
  out = *v;
  return true;
}

}  // namespace sensix::docs
