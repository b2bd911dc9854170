# Shared helpers for the scripts in this folder; sourced, never run.
#
# Sets strict mode (set -Eeuo pipefail) and an ERR trap that names the command that failed, and defines:
#   SENSIX_ROOT, SENSIX_SCRIPTS   the repository root and this folder (absolute)
#   SENSIX_PROG                   the running script's name, used as the prefix of every message
#   say MSG...                    a progress line on stdout
#   warn MSG...                   a warning on stderr
#   die MSG...                    an error on stderr, then exit 3 (3 = "already explained": the ERR trap
#                                 of an enclosing script stays quiet for it)
#   sensix_cache                  prints the cache directory, resolved exactly as src/common/paths.cpp does:
#                                 $SENSIX_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/sensix (made absolute)
#   sensix_arch                   prints the machine architecture, normalised: x86_64, aarch64 or uname -m
#                                 ($SENSIX_ARCH overrides it: for testing the other architectures)
#   run_as_root CMD...            runs CMD as root: directly when root, else through sudo if it exists

set -Eeuo pipefail

_sensix_here=${BASH_SOURCE[0]%/*}
[[ $_sensix_here == "${BASH_SOURCE[0]}" ]] && _sensix_here=.
SENSIX_SCRIPTS=$(cd "$_sensix_here" && pwd)
SENSIX_ROOT=${SENSIX_SCRIPTS%/*}
SENSIX_PROG=${0##*/}

say() { printf '%s: %s\n' "$SENSIX_PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$SENSIX_PROG" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$SENSIX_PROG" "$*" >&2
  exit 3
}

_sensix_on_err() {
  local rc=$1 line=$2 cmd=$3
  if [[ $rc -ne 3 ]]; then
    printf '%s: error: unexpected failure (exit %d) at line %d: %s\n' "$SENSIX_PROG" "$rc" "$line" "$cmd" >&2
  fi
}
trap '_sensix_on_err $? $LINENO "$BASH_COMMAND"' ERR

sensix_cache() {
  local dir
  if [[ -n ${SENSIX_CACHE:-} ]]; then
    dir=$SENSIX_CACHE
  elif [[ -n ${XDG_CACHE_HOME:-} ]]; then
    dir=$XDG_CACHE_HOME/sensix
  elif [[ -n ${HOME:-} ]]; then
    dir=$HOME/.cache/sensix
  else
    dir=/tmp/sensix-cache
  fi
  [[ $dir == /* ]] || dir=$PWD/$dir
  printf '%s\n' "$dir"
}

sensix_arch() {
  local m
  m=${SENSIX_ARCH:-${HOSTTYPE:-$(uname -m)}}
  case $m in
    x86_64 | amd64) echo x86_64 ;;
    aarch64 | arm64) echo aarch64 ;;
    *) echo "$m" ;;
  esac
}

run_as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "this step needs root and sudo is not installed: run as root: $*"
  fi
}
