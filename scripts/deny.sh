#!/usr/bin/env bash
# Supply-chain checks with the committed policy (deny.toml): advisories,
# licenses, duplicate crates (bans) and sources. Installs cargo-deny when it
# is missing; scripts/test.sh runs this.
#
# The RustSec advisory database is a git repository cargo-deny clones into
# ~/.cargo/advisory-dbs. Where it cannot be reached and no copy is there
# yet, the advisories are reported as NOT checked (loudly) and the other
# three checks still run and must pass.
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.20.2
if ! cargo deny --version 2>/dev/null | grep -qF "$version"; then
  echo "scripts/deny.sh: installing cargo-deny $version"
  cargo install cargo-deny --locked --version "$version"
fi

dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
have_db() { compgen -G "$dbs/*/.git" >/dev/null; }
if ! have_db; then
  cargo deny fetch db || true
fi
if have_db; then
  for db in "$dbs"/*/; do
    echo "scripts/deny.sh: advisory database $(git -C "$db" log -1 --format='%h of %cs' 2>/dev/null || echo '(unknown date)')"
  done
  # The database is refreshed when the network allows; without it the
  # copy at hand is used.
  cargo deny fetch db >/dev/null 2>&1 || echo "scripts/deny.sh: could not refresh the advisory database; using the copy at hand"
  cargo deny --frozen check
else
  echo "scripts/deny.sh: WARNING: advisories NOT checked: the RustSec advisory database cannot be fetched here and no copy is in $dbs" >&2
  cargo deny --frozen check bans licenses sources
fi
