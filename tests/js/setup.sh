#!/usr/bin/env bash
# Installs podio-js (the Podio client SDK for Node.js, pinned in package.json
# and package-lock.json) for the podio-sim compatibility check.
#
# Usage: tests/js/setup.sh
# Environment:
#   PORTICO_JS_DIR  where node_modules is installed (default: <repo>/target/js)
#   NODE, NPM       the programs used (default: node, npm; need Node >= 18, npm >= 7)
#
# The source tree stays clean: package.json and package-lock.json are copied
# into PORTICO_JS_DIR and `npm ci` installs exactly the locked versions there.
# Idempotent: a stamp holds the hash of both files and the Node version; when
# it matches, nothing is done. Guarded by flock, so parallel test processes
# can call it at the same time.
# Prints "node=<node path>" and "node_modules=<dir>" on stdout; all other
# output goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
js_dir="${PORTICO_JS_DIR:-$repo/target/js}"
node="${NODE:-node}"
npm="${NPM:-npm}"

log() { printf 'setup.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v "$node" >/dev/null 2>&1 || die "'$node' not found; install Node.js >= 18 or set NODE"
command -v "$npm" >/dev/null 2>&1 || die "'$npm' not found; install npm >= 7 (it ships with Node.js) or set NPM"
node_version="$("$node" -p 'process.versions.node')" || die "'$node' did not run"
[[ "${node_version%%.*}" -ge 18 ]] \
  || die "Node.js $node_version is too old; the check needs Node.js >= 18 (set NODE)"
npm_version="$("$npm" --version 2>/dev/null)" || die "'$npm --version' failed"
[[ "${npm_version%%.*}" -ge 7 ]] \
  || die "npm $npm_version is too old; package-lock.json v3 needs npm >= 7 (set NPM)"
command -v flock >/dev/null 2>&1 || die "flock not found (util-linux)"
for f in package.json package-lock.json; do
  [[ -f "$here/$f" ]] || die "missing $here/$f"
done

mkdir -p "$js_dir"
exec 9>"$js_dir/.setup.lock"
flock 9

stamp="$js_dir/node_modules/.portico-stamp"
want="$( { cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1; echo "node=$node_version"; } )"
if [[ -f "$js_dir/node_modules/podio-js/package.json" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "podio-js is up to date ($js_dir/node_modules)"
else
  log "installing the locked packages into $js_dir with Node.js $node_version, npm $npm_version"
  cp "$here/package.json" "$here/package-lock.json" "$js_dir/"
  # Install scripts are not needed by any locked package; refusing them keeps
  # a registry compromise from running code at install time.
  (cd "$js_dir" && "$npm" ci --no-audit --no-fund --ignore-scripts >&2) \
    || { rm -rf "$js_dir/node_modules"; die "npm ci in $js_dir failed (is the npm registry reachable?)"; }
  printf '%s\n' "$want" >"$stamp"
fi

echo "node=$(command -v "$node")"
echo "node_modules=$js_dir/node_modules"
