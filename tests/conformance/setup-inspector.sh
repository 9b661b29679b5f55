#!/usr/bin/env bash
# Installs the MCP Inspector CLI (@modelcontextprotocol/inspector, pinned in
# inspector/package.json and inspector/package-lock.json) for
# tests/tests/inspector.rs, with the Node.js 22 that setup.sh installs.
#
# Usage: tests/conformance/setup-inspector.sh
# Environment:
#   PORTICO_INSPECTOR_DIR  where node_modules is installed
#                          (default: <repo>/target/mcp-inspector)
#   NPM, NODE, PORTICO_CONFORMANCE_DIR  as for setup.sh
#
# Like setup.sh: `npm ci --ignore-scripts` of the locked versions outside the
# source tree (the Inspector's postinstall does nothing when it is installed
# as a dependency), idempotent through a stamp of both files, flock-guarded.
# Prints "node=<Node.js 22>" and "inspector=<the CLI script>" on stdout; all
# other output goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="${PORTICO_INSPECTOR_DIR:-$repo/target/mcp-inspector}"
npm="${NPM:-npm}"
pins="$here/inspector"

log() { printf 'setup-inspector.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

node="$("$here/setup.sh" | sed -n 's/^node=//p')"
[[ -x "$node" ]] || die "setup.sh printed no usable node= line"
for f in package.json package-lock.json; do
  [[ -f "$pins/$f" ]] || die "missing $pins/$f"
done

mkdir -p "$dir"
exec 9>"$dir/.setup.lock"
flock 9

modules="$dir/node_modules"
package="$modules/@modelcontextprotocol/inspector"
stamp="$modules/.portico-stamp"
want="$(cat "$pins/package.json" "$pins/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -f "$package/package.json" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "the Inspector is up to date ($modules)"
else
  log "installing the locked Inspector into $dir"
  cp "$pins/package.json" "$pins/package-lock.json" "$dir/"
  (cd "$dir" && "$npm" ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2) \
    || { rm -rf "$modules"; die "npm ci in $dir failed (is the npm registry reachable?)"; }
  [[ -f "$package/package.json" ]] || { rm -rf "$modules"; die "npm ci left no $package"; }
  printf '%s\n' "$want" >"$stamp"
fi

# The package's `mcp-inspector` bin, resolved from its package.json.
cli="$("$node" -e '
  const p = require(process.argv[1] + "/package.json");
  const bin = typeof p.bin === "string" ? p.bin : p.bin["mcp-inspector"];
  console.log(require("path").resolve(process.argv[1], bin));
' "$package")" || die "cannot read the Inspector's bin from $package/package.json"
[[ -f "$cli" ]] || die "the Inspector's CLI $cli is missing"

echo "node=$node"
echo "inspector=$cli"
