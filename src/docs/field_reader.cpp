#include "docs/field_reader.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <regex>
#include <set>

#include <fmt/format.h>

namespace sensix::docs {

int edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and adjacent transpositions.
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_d = 3;
  for (const auto& c : candidates) {
    // Case-only differences count as distance 1 (sampleRate vs samplerate).
    std::string lw(word), lc(c);
    std::transform(lw.begin(), lw.end(), lw.begin(), [](unsigned char ch) { return std::tolower(ch); });
    std::transform(lc.begin(), lc.end(), lc.begin(), [](unsigned char ch) { return std::tolower(ch); });
    int d = edit_distance(word, c);
    if (lw == lc && d > 0) d = 1;
    if (d < best_d && d < static_cast<int>(word.size())) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string m = closest_match(word, candidates);
  return m.empty() ? std::string() : fmt::format("; did you mean \"{}\"?", m);
}

// ---------------------------------------------------------------------------------------------

void ErrorList::add(int file_seq, int line, std::string message) {
  entries_.push_back(Entry{file_seq, line, entries_.size(), std::move(message)});
}

std::vector<std::string> ErrorList::messages() const {
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    if (a.file_seq != b.file_seq) return a.file_seq < b.file_seq;
    // Errors without a line (cross-document checks) keep their place after the file's others.
    const int la = a.line > 0 ? a.line : INT_MAX, lb = b.line > 0 ? b.line : INT_MAX;
    return la < lb;
  });
  std::vector<std::string> out;
  out.reserve(sorted.size());
  for (auto& e : sorted) out.push_back(std::move(e.message));
  return out;
}

std::string ErrorList::joined() const {
  std::string out;
  for (const auto& m : messages()) {
    if (!out.empty()) out += '\n';
    out += m;
  }
  return out;
}

void DocContext::report(int line, const std::string& path, const std::string& message) {
  ++error_count;
  std::string text = label;
  if (!path.empty()) text += ": " + path;
  text += ": " + message;
  if (line > 0) text += fmt::format(" (line {})", line);
  errors->add(file_seq, line, std::move(text));
}

// ---------------------------------------------------------------------------------------------
// Ranges

IntRange positive_int() { return {1, INT_MAX, "a positive integer"}; }
IntRange nonnegative_int() { return {0, INT_MAX, "a non-negative integer"}; }
IntRange int_between(int64_t lo, int64_t hi) { return {lo, hi, fmt::format("an integer from {} to {}", lo, hi)}; }
NumRange any_number() { return {-HUGE_VAL, HUGE_VAL, false, "a number"}; }
NumRange positive_number() { return {0.0, HUGE_VAL, true, "a positive number"}; }
NumRange nonnegative_number() { return {0.0, HUGE_VAL, false, "a number >= 0"}; }
NumRange number_between(double lo, double hi) { return {lo, hi, false, fmt::format("a number from {} to {}", lo, hi)}; }

// ---------------------------------------------------------------------------------------------
// Field

namespace {

bool is_quoted(const YAML::Node& n) {
  const std::string& tag = n.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

ScalarType classify_plain(const std::string& s) {
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return ScalarType::kNull;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return ScalarType::kBool;
  }
  if (std::regex_match(s, kInt)) return ScalarType::kInt;
  if (std::regex_match(s, kFloat)) return ScalarType::kFloat;
  return ScalarType::kString;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  size_t n = 0;
  for (char c : s) {
    if (++n > 80) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

}  // namespace

Field::Field(YAML::Node node, std::string path, int key_line, DocContext* ctx)
    : node_(std::move(node)), path_(std::move(path)), key_line_(key_line), ctx_(ctx) {}

int Field::line() const {
  if (!node_.IsDefined() || node_.IsNull()) return key_line_;
  return node_.Mark().line + 1;
}

ScalarType Field::scalar_type() const {
  if (!node_.IsDefined() || node_.IsNull()) return ScalarType::kNull;
  if (!node_.IsScalar()) return ScalarType::kString;
  if (is_quoted(node_)) return ScalarType::kString;
  return classify_plain(node_.Scalar());
}

bool Field::is_map() const { return present() && node_.IsMap(); }
bool Field::is_list() const { return present() && node_.IsSequence(); }
bool Field::is_scalar() const { return present() && node_.IsScalar(); }

bool Field::is_number() const {
  if (!is_scalar()) return false;
  const ScalarType t = scalar_type();
  return t == ScalarType::kInt || t == ScalarType::kFloat;
}

std::string Field::written() const {
  if (!node_.IsDefined() || node_.IsNull()) return "null";
  if (node_.IsMap()) return "a map";
  if (node_.IsSequence()) return "a list";
  if (scalar_type() == ScalarType::kString) return quote(node_.Scalar());
  return node_.Scalar();
}

bool is_placeholder(std::string_view s) { return s.size() > 2 && s.front() == '<' && s.back() == '>'; }

void Field::expected(std::string_view what, std::string_view extra) const {
  if (is_scalar() && scalar_type() == ScalarType::kString && is_placeholder(node_.Scalar())) {
    ctx_->report(line(), path_, fmt::format("placeholder {} left from the draft: replace it with {}", written(), what));
    return;
  }
  ctx_->report(line(), path_, fmt::format("expected {}, got {}{}", what, written(), extra));
}

void Field::error(std::string_view message) const { ctx_->report(line(), path_, std::string(message)); }

std::string Field::enum_expectation(const std::vector<std::string>& names) const {
  if (names.size() == 1) return quote(names[0]);
  return "one of " + join(names, ", ");
}

std::optional<std::string> Field::as_string(std::string_view what) const {
  if (is_scalar() && scalar_type() == ScalarType::kString && !is_placeholder(node_.Scalar())) return node_.Scalar();
  std::string extra;
  if (is_scalar()) extra = " (quote values that look like numbers or booleans)";
  expected(what, extra);
  return std::nullopt;
}

std::optional<int64_t> Field::as_int(const IntRange& r) const {
  if (is_scalar() && scalar_type() == ScalarType::kInt) {
    const std::string& s = node_.Scalar();
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size() && v >= r.min && v <= r.max) return v;
  }
  expected(r.what);
  return std::nullopt;
}

std::optional<double> Field::as_number(const NumRange& r) const {
  if (is_number()) {
    const std::string& s = node_.Scalar();
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    double v = 0;
    auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
    const bool above_min = r.min_exclusive ? v > r.min : v >= r.min;
    if (ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(v) && above_min && v <= r.max) return v;
  }
  expected(r.what);
  return std::nullopt;
}

std::optional<bool> Field::as_bool() const {
  if (is_scalar() && scalar_type() == ScalarType::kBool) {
    const std::string& s = node_.Scalar();
    return s[0] == 't' || s[0] == 'T';
  }
  expected("true or false");
  return std::nullopt;
}

std::optional<std::vector<Field>> Field::as_list(size_t min_items, std::string_view what) const {
  if (!is_list()) {
    expected(what);
    return std::nullopt;
  }
  if (node_.size() < min_items) {
    ctx_->report(line(), path_,
                 fmt::format("expected {} with at least {} item{}, got {}", what, min_items, min_items == 1 ? "" : "s",
                             node_.size() == 0 ? std::string("an empty list") : fmt::format("{} items", node_.size())));
    return std::nullopt;
  }
  std::vector<Field> items;
  for (size_t i = 0; i < node_.size(); ++i) {
    const YAML::Node item = node_[i];
    const int item_line = item.IsNull() ? line() : item.Mark().line + 1;
    items.emplace_back(item, fmt::format("{}[{}]", path_, i), item_line, ctx_);
  }
  return items;
}

std::optional<MapReader> Field::as_map(std::vector<std::string> allowed) const {
  if (!is_map()) {
    expected("a map");
    return std::nullopt;
  }
  MapReader m(node_, path_, key_line_ > 0 ? key_line_ : line(), ctx_);
  m.check_keys(allowed);
  return m;
}

std::optional<std::vector<std::string>> Field::as_string_list(size_t min_items) const {
  auto items = as_list(min_items, "a list of strings");
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& f : *items) {
    auto v = f.as_string();
    if (v) out.push_back(*v);
    ok = ok && v.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<int64_t>> Field::as_int_list(const IntRange& r, size_t min_items) const {
  auto items = as_list(min_items, "a list of integers");
  if (!items) return std::nullopt;
  std::vector<int64_t> out;
  bool ok = true;
  for (const auto& f : *items) {
    auto v = f.as_int(r);
    if (v) out.push_back(*v);
    ok = ok && v.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<double>> Field::as_number_list(const NumRange& r, size_t min_items) const {
  auto items = as_list(min_items, "a list of numbers");
  if (!items) return std::nullopt;
  std::vector<double> out;
  bool ok = true;
  for (const auto& f : *items) {
    auto v = f.as_number(r);
    if (v) out.push_back(*v);
    ok = ok && v.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

// ---------------------------------------------------------------------------------------------
// MapReader

MapReader::MapReader(YAML::Node node, std::string path, int line, DocContext* ctx)
    : node_(std::move(node)), path_(std::move(path)), line_(line), ctx_(ctx) {}

std::optional<MapReader> MapReader::root(const YAML::Node& node, int line, DocContext* ctx,
                                         std::vector<std::string> allowed) {
  if (!node.IsMap()) {
    Field f(node, "", line, ctx);
    ctx->report(f.line(), "",
                fmt::format("expected a document (a map with {}), got {}", join(allowed, ", "), f.written()));
    return std::nullopt;
  }
  MapReader m(node, "", line, ctx);
  m.check_keys(allowed);
  return m;
}

std::string MapReader::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void MapReader::check_keys(const std::vector<std::string>& allowed) const {
  std::set<std::string> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const YAML::Node key = it->first;
    const int key_line = key.Mark().line + 1;
    if (!key.IsScalar()) {
      ctx_->report(key_line, path_,
                   "expected field names, got a " + std::string(key.IsMap() ? "map" : "list") + " as a key");
      continue;
    }
    const std::string& name = key.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      ctx_->report(key_line, child_path(name),
                   fmt::format("unknown field (expected one of: {}){}", join(allowed, ", "),
                               did_you_mean(name, allowed)));
      continue;
    }
    if (!seen.insert(name).second) {
      ctx_->report(key_line, child_path(name), "field given twice");
    }
  }
}

bool MapReader::has(std::string_view key) const { return node_[std::string(key)].IsDefined(); }

Field MapReader::get(std::string_view key) const {
  // Find the key's own line (for messages about an empty value).
  int key_line = line_;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      key_line = it->first.Mark().line + 1;
      return Field(it->second, child_path(key), key_line, ctx_);
    }
  }
  return Field(YAML::Node(YAML::NodeType::Undefined), child_path(key), key_line, ctx_);
}

Field MapReader::require(std::string_view key) const {
  Field f = get(key);
  if (!f.present()) ctx_->report(line_, f.path(), "required field is missing");
  return f;
}

bool MapReader::read_string(std::string_view key, std::string& out, bool required, std::string_view what) const {
  Field f = required ? require(key) : get(key);
  if (!f.present()) return false;
  auto v = f.as_string(what);
  if (!v) return false;
  out = *v;
  return true;
}

bool MapReader::read_bool(std::string_view key, bool& out, bool required) const {
  Field f = required ? require(key) : get(key);
  if (!f.present()) return false;
  auto v = f.as_bool();
  if (!v) return false;
  out = *v;
  return true;
}

std::string MapReader::exactly_one_of(const std::vector<std::string>& keys) const {
  std::vector<std::string> given;
  for (const auto& k : keys) {
    if (has(k)) given.push_back(k);
  }
  if (given.size() == 1) return given[0];
  if (given.empty()) {
    ctx_->report(line_, path_, fmt::format("one of {} is required", join(keys, ", ")));
  } else {
    ctx_->report(get(given[1]).line(), path_,
                 fmt::format("only one of {} may be given (got {})", join(keys, ", "), join(given, " and ")));
  }
  return "";
}

}  // namespace sensix::docs
