#!/usr/bin/env bash
# usage: expect_output.sh PATTERN COMMAND [ARG...]
# Runs COMMAND, shows its output, and fails unless it exits 0 AND its output matches the extended
# regular expression PATTERN. (ctest's PASS_REGULAR_EXPRESSION alone ignores the exit status: a
# benchmark that printed its last line and then failed would pass.)
set -uo pipefail
pattern=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [[ $rc -ne 0 ]]; then
  echo "expect_output: '$1' exited with status $rc" >&2
  exit 1
fi
if ! grep -Eq -- "$pattern" <<<"$out"; then
  echo "expect_output: the output of '$1' does not match: $pattern" >&2
  exit 1
fi
