#!/usr/bin/env bash
# Creates the Python virtual environments used by Portico's client checks:
#   mcp1: the official MCP Python SDK 1.x (requirements-mcp1.txt)
#   mcp2: the official MCP Python SDK 2.x (requirements-mcp2.txt)
#   grpc: grpcio with grpcio-reflection, for the gRPC API (requirements-grpc.txt)
#   k8s:  kubernetes-validate and checkov, the validators of the rendered
#         Kubernetes manifests (requirements-k8s.txt, a full lock; Python >= 3.11)
#
# Usage: tests/python/setup.sh [NAME ...]   (default: mcp1 mcp2 grpc)
# Environment:
#   PORTICO_PY_DIR  where the venvs live (default: <repo>/target/py)
#   PYTHON          interpreter used to create them (default: python3; needs >= 3.10)
#
# Idempotent: each venv holds a stamp with the hash of its requirements file
# (and the interpreter version); when it matches, nothing is done. Guarded by
# one flock per venv, so parallel test processes can call it at the same time.
# Prints "<name>=<python path>" for each venv on stdout (its tools are beside
# that python); all other output goes to stderr.
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

py_version="$("$python" -c 'import sys; print(".".join(map(str, sys.version_info[:3])))')"

ensure_venv() {
  local name="$1" req="$here/requirements-$1.txt"
  local venv="$py_dir/$name" stamp="$py_dir/$name/.portico-stamp"
  [[ -f "$req" ]] || die "missing $req (known venvs: mcp1 mcp2 grpc k8s)"
  if [[ "$name" == k8s ]]; then
    # The lock (numpy, pulled in by checkov) needs 3.11.
    "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
      || die "$("$python" --version 2>&1) is too old; the pinned checkov needs Python >= 3.11 (set PYTHON)"
  fi
  exec 9>"$py_dir/.setup-$name.lock"
  flock 9
  local want
  want="$( { sha256sum "$req" | cut -d' ' -f1; echo "python=$py_version"; } )"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "$name is up to date ($venv)"
    return 0
  fi
  log "creating $name in $venv from $(basename "$req") with Python $py_version"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # stdout too goes to stderr: stdout carries only the name=path lines.
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2 \
    || { rm -rf "$venv"; die "pip install -r $req failed"; }
  printf '%s\n' "$want" >"$stamp"
}

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(mcp1 mcp2 grpc)
for name in "${names[@]}"; do
  ensure_venv "$name"
done
for name in "${names[@]}"; do
  echo "$name=$py_dir/$name/bin/python"
done
