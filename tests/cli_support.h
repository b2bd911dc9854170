// The sensix binary in a subprocess, for the CLI tests (cli_test.cpp, validate_test.cpp): what a
// user types, with stdout, stderr and the exit status captured.
#pragma once

#include <filesystem>
#include <string>

#include "support/child_process.h"  // read_text: the tests read documents with it

namespace sensix::testing {

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

// A scratch folder of this test process (temp dir, by pid).
std::filesystem::path scratch();

// Runs `build/sensix ARGS` (ARGS as a shell would split them) with stdout and stderr captured
// separately.
Output run_sensix(const std::string& args);

// examples/quickstart.yaml in the source tree.
std::string quickstart();

// `rel` under $SENSIX_CACHE (set by ctest), and whether set-up has filled it.
std::string cache(const std::string& rel);
bool have_setup();

}  // namespace sensix::testing
