#!/usr/bin/env bash
# Creates the Python virtual environments used by Portico's client checks:
#   mcp1: the official MCP Python SDK 1.x (requirements-mcp1.txt)
#   mcp2: the official MCP Python SDK 2.x (requirements-mcp2.txt)
#   grpc: grpcio with grpcio-reflection, for the gRPC API (requirements-grpc.txt)
#
# Usage: tests/python/setup.sh
# Environment:
#   PORTICO_PY_DIR  where the venvs live (default: <repo>/target/py)
#   PYTHON          interpreter used to create them (default: python3; needs >= 3.10)
#
# Idempotent: each venv holds a stamp with the hash of its requirements file
# (and the interpreter version); when it matches, nothing is done. Guarded by
# flock, so parallel test processes can call it at the same time.
# Prints "mcp1=<python path>", "mcp2=<python path>" and "grpc=<python path>"
# on stdout; all other output goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py_dir="${PORTICO_PY_DIR:-$repo/target/py}"
python="${PYTHON:-python3}"

log() { printf 'setup.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v "$python" >/dev/null 2>&1 || die "'$python' not found; install Python >= 3.10 or set PYTHON"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "$("$python" --version 2>&1) is too old; the MCP SDKs and grpcio-reflection need Python >= 3.10 (set PYTHON)"
"$python" -c 'import venv, ensurepip' 2>/dev/null \
  || die "'$python' lacks the venv/ensurepip modules (on Debian: apt-get install python3-venv)"
command -v flock >/dev/null 2>&1 || die "flock not found (util-linux)"

mkdir -p "$py_dir"
exec 9>"$py_dir/.setup.lock"
flock 9

py_version="$("$python" -c 'import sys; print(".".join(map(str, sys.version_info[:3])))')"

ensure_venv() {
  local name="$1" req="$here/requirements-$1.txt"
  local venv="$py_dir/$name" stamp="$py_dir/$name/.portico-stamp"
  [[ -f "$req" ]] || die "missing $req"
  local want
  want="$( { sha256sum "$req" | cut -d' ' -f1; echo "python=$py_version"; } )"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "$name is up to date ($venv)"
    return 0
  fi
  log "creating $name in $venv from $(basename "$req") with Python $py_version"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" \
    || { rm -rf "$venv"; die "pip install -r $req failed"; }
  printf '%s\n' "$want" >"$stamp"
}

ensure_venv mcp1
ensure_venv mcp2
ensure_venv grpc

echo "mcp1=$py_dir/mcp1/bin/python"
echo "mcp2=$py_dir/mcp2/bin/python"
echo "grpc=$py_dir/grpc/bin/python"
