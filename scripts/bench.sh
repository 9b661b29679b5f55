#!/usr/bin/env bash
# Benchmarks both shapes with release binaries: MCP tools/call (get_item, one
# upstream GET) from 16 concurrent clients. Needs PostgreSQL and Redis (for
# the microservices shape). Usage: scripts/bench.sh [--clients N] [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p portico -p portico-tests --bin portico --bin portico-bench
for shape in dev microservices; do
  target/release/portico-bench --shape "$shape" "$@"
  echo
done
