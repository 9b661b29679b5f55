#!/usr/bin/env bash
# The soak (tests/src/bin/portico-soak.rs): mixed traffic against the
# microservices shape, each service a process of the portico binary, for 10
# minutes after a 90 s warm-up; prints the start and end figures (RSS and
# open files per process, Redis keys, Postgres connections) and fails if one
# is not flat within 10%. Needs PostgreSQL and Redis, like the tests.
# Usage: scripts/soak.sh [--release] [--minutes N] [--warmup-secs N] [--readers N]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
build=(cargo build --locked -p portico -p portico-tests --bin portico --bin portico-soak)
if [[ "${1:-}" == "--release" ]]; then
  shift
  profile=release
  build+=(--release)
fi
"${build[@]}"
target="${CARGO_TARGET_DIR:-target}"
export PORTICO_BIN="$target/$profile/portico"
exec "$target/$profile/portico-soak" "$@"
