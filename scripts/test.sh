#!/usr/bin/env bash
# Portico's whole test suite, as the README gives it and CI runs it:
# formatting, lints, then every test — unit, storage contract suites against
# both backends, end-to-end tests of both shapes against the real Postgres and
# Redis, and the official Python MCP SDK clients (their virtual environments
# are created by tests/python/setup.sh on first use).
#
# Needs: PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`) and Redis
# on 127.0.0.1:6379. `.ci/run` starts them when they are not running.
set -euo pipefail
cd "$(dirname "$0")/.."

check_service() {
  local name=$1 host=$2 port=$3
  if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    echo "scripts/test.sh: $name is not reachable on $host:$port; start it (see README, Testing)" >&2
    exit 2
  fi
}
check_service PostgreSQL 127.0.0.1 5432
check_service Redis 127.0.0.1 6379

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The conformance fixtures are a feature of the tools service: its own code
# and tests only build with it on.
cargo clippy -p portico-tools --all-targets --locked --features conformance-fixtures -- -D warnings
echo "== the portico binary (the process tests run it: tests/src/processes.rs)"
cargo build --locked --bin portico
echo "== supply chain: cargo deny (deny.toml)"
scripts/deny.sh
echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  run=(cargo nextest run)
else
  run=(cargo test)
fi
status=0
"${run[@]}" --workspace --locked --no-fail-fast || status=$?
echo "== tests of the tools service's conformance fixtures"
"${run[@]}" -p portico-tools --locked --no-fail-fast --features conformance-fixtures || status=$?
exit "$status"
