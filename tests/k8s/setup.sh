#!/usr/bin/env bash
# Creates the Python virtual environment with the validators of the rendered
# Kubernetes manifests (tests/tests/k8s.rs; deploy/k8s/README.md, "Validation"):
#   kubernetes-validate: the Kubernetes OpenAPI schemas, strict mode
#   checkov: the security linter
# both pinned, with everything they pull in, in requirements.txt.
#
# Usage: tests/k8s/setup.sh
# Environment:
#   PORTICO_PY_DIR  where the venvs live (default: <repo>/target/py); this one is <dir>/k8s
#   PYTHON          interpreter used to create it (default: python3; needs >= 3.11)
#
# Idempotent: the venv holds a stamp with the hash of requirements.txt (and
# the interpreter version); when it matches, nothing is done. Guarded by
# flock, so parallel test processes can call it at the same time.
# Prints "kubernetes-validate=<path>" and "checkov=<path>" on stdout; all
# other output goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py_dir="${PORTICO_PY_DIR:-$repo/target/py}"
python="${PYTHON:-python3}"
req="$here/requirements.txt"
venv="$py_dir/k8s"
stamp="$venv/.portico-stamp"

log() { printf 'k8s/setup.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -f "$req" ]] || die "missing $req"
command -v "$python" >/dev/null 2>&1 || die "'$python' not found; install Python >= 3.11 or set PYTHON"
# The lock (numpy, pulled in by checkov) needs 3.11.
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$("$python" --version 2>&1) is too old; the pinned checkov needs Python >= 3.11 (set PYTHON)"
"$python" -c 'import venv, ensurepip' 2>/dev/null \
  || die "'$python' lacks the venv/ensurepip modules (on Debian: apt-get install python3-venv)"
command -v flock >/dev/null 2>&1 || die "flock not found (util-linux)"

mkdir -p "$py_dir"
exec 9>"$py_dir/.setup-k8s.lock"
flock 9

py_version="$("$python" -c 'import sys; print(".".join(map(str, sys.version_info[:3])))')"
want="$( { sha256sum "$req" | cut -d' ' -f1; echo "python=$py_version"; } )"
if [[ -x "$venv/bin/checkov" && -x "$venv/bin/kubernetes-validate" && -f "$stamp" \
      && "$(cat "$stamp")" == "$want" ]]; then
  log "k8s is up to date ($venv)"
else
  log "creating k8s in $venv from $(basename "$req") with Python $py_version"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # stdout too goes to stderr: stdout carries only the key=path lines.
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2 \
    || { rm -rf "$venv"; die "pip install -r $req failed"; }
  for tool in checkov kubernetes-validate; do
    [[ -x "$venv/bin/$tool" ]] || { rm -rf "$venv"; die "the install left no $venv/bin/$tool"; }
  done
  printf '%s\n' "$want" >"$stamp"
fi

echo "kubernetes-validate=$venv/bin/kubernetes-validate"
echo "checkov=$venv/bin/checkov"
