// The canonical text of a document (Document::canonical): one YAML node written with every map's
// keys sorted, so that two texts that say the same thing (key order, flow or block style, JSON or
// YAML, comments) have the same canonical text; a quoted scalar that would otherwise read as a
// number, boolean or null stays quoted ("1" is not 1). Parsing the canonical text and writing it
// again gives the same text.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace sensix::docs {

std::string canonical_text(const YAML::Node& n);

}  // namespace sensix::docs
