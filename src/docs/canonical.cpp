#include "docs/canonical.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace sensix::docs {
namespace {

// Whether a plain scalar with this text would read as something other than a string: a number,
// a boolean or null (YAML 1.1, as yaml-cpp and the readers take them).
bool reads_as_typed(const std::string& s) {
  if (s.empty() || s == "~") return true;
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "y", "n", "null", ".inf", "-.inf", ".nan"}) {
    if (lower == word) return true;
  }
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i < s.size() && s[i] == '.') ++i;
  return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
}

// One node with every map's keys sorted; a quoted scalar that would otherwise read as a number,
// boolean or null stays quoted ("1" is not 1).
void emit_canonical(YAML::Emitter& out, const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      // Sorted by index: assigning a YAML::Node (as std::sort would) writes through to the
      // document it refers to.
      std::vector<YAML::Node> values;
      std::vector<std::pair<std::string, size_t>> keys;
      for (const auto& kv : n) {
        keys.emplace_back(kv.first.Scalar(), values.size());
        values.push_back(kv.second);
      }
      std::sort(keys.begin(), keys.end());
      out << YAML::BeginMap;
      for (const auto& [k, i] : keys) {
        out << YAML::Key << k << YAML::Value;
        emit_canonical(out, values[i]);
      }
      out << YAML::EndMap;
      break;
    }
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& v : n) emit_canonical(out, v);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      if (n.Tag() == "!" && reads_as_typed(n.Scalar())) {  // "1" stays a string; 'a.wav' is a.wav
        out << YAML::DoubleQuoted << n.Scalar();
      } else {
        out << n.Scalar();
      }
      break;
    default: out << YAML::Null;
  }
}

}  // namespace

std::string canonical_text(const YAML::Node& n) {
  YAML::Emitter out;
  emit_canonical(out, n);
  return std::string(out.c_str()) + "\n";
}

}  // namespace sensix::docs
