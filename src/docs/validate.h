// Cross-document checks behind validate_references (parser.h), in a form the parser can call
// while it still collects errors: documents that failed their own checks are left out of the
// set but named in `incomplete`, so references to them are not reported as undefined and no
// deeper check (modality, outputs) is made on them. Internal to docs/.
#pragma once

#include <map>
#include <set>
#include <string>

#include "docs/field_reader.h"
#include "spec/spec.h"

namespace sensix::docs {

struct IncompleteDocs {
  std::set<std::string> sensors, models, pipelines, devices;  // names of documents with errors
};

// Appends one message per problem to `errors`. `file_seq` orders files (missing = after all).
void check_references(const DocumentSet& docs, const IncompleteDocs& incomplete,
                      const std::map<std::string, int>& file_seq, ErrorList& errors);

}  // namespace sensix::docs
