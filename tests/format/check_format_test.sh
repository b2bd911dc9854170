#!/usr/bin/env bash
# Proves that scripts/check-format can fail: in a temporary folder with the repository's .clang-format, a
# badly formatted file and a file with unsorted includes must be named (exit 1), and a well formatted one
# must pass (exit 0). Independent of the real tree. Usage: check_format_test.sh [REPO_ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$root/.clang-format" "$dir/"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cat >"$dir/good.cpp" <<'CPP'
#include "common/status.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/paths.h"

namespace sensix {

// Joins `parts` with ", ", or says that there are none.
std::string join(const std::vector<std::string>& parts) {
  if (parts.empty()) return "none";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return fmt::format("{} ({} parts)", out, parts.size());
}

}  // namespace sensix
CPP
# The same code, badly indented and spaced.
cat >"$dir/bad.cpp" <<'CPP'
#include "common/status.h"

#include <string>
#include <vector>

namespace sensix {

std::string join(const std::vector<std::string> &parts)
{
    if(parts.empty()) return "none";
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

}  // namespace sensix
CPP
# Well formatted code whose standard headers are out of order.
cat >"$dir/includes.cpp" <<'CPP'
#include <vector>
#include <string>

namespace sensix {}  // namespace sensix
CPP

run() {
  set +e
  output=$("$root/scripts/check-format" "$@" 2>&1)
  status=$?
  set -e
  echo "$ check-format $*  (exit $status)"
  echo "$output"
}

run "$dir/good.cpp"
[[ $status -eq 0 ]] || fail "a well formatted file: exit $status, expected 0"

run "$dir/bad.cpp"
[[ $status -eq 1 ]] || fail "a badly formatted file: exit $status, expected 1"
grep -qx "$dir/bad.cpp" <<<"$output" || fail "bad.cpp is not named"

run "$dir/good.cpp" "$dir/includes.cpp" "$dir/bad.cpp"
[[ $status -eq 1 ]] || fail "three files, two bad: exit $status, expected 1"
grep -qx "$dir/includes.cpp" <<<"$output" || fail "includes.cpp (unsorted includes) is not named"
grep -qx "$dir/bad.cpp" <<<"$output" || fail "bad.cpp is not named among three files"
if grep -qx "$dir/good.cpp" <<<"$output"; then fail "good.cpp is named"; fi
grep -q "2 of 3 file(s)" <<<"$output" || fail "the summary does not count 2 of 3 files"

run "$dir/missing.cpp"
[[ $status -eq 2 ]] || fail "a missing file: exit $status, expected 2"

if [[ $failures -gt 0 ]]; then
  echo "check_format_test: $failures failures"
  exit 1
fi
echo "check_format_test: all checks passed"
