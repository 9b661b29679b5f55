#!/usr/bin/env bash
# Benchmarks both shapes beside a bare rmcp baseline, in one run, with
# release binaries: MCP tools/call (get_item, one upstream GET of podio-sim,
# which runs in its own process) from 16 concurrent clients. Prints each
# shape's server CPU per call as a ratio of the baseline's. Needs PostgreSQL
# and Redis (for the microservices shape).
# Usage: scripts/bench.sh [--shape all|baseline|dev|microservices]
#        [--clients N] [--seconds N] [--warmup N] [--latency-ms N]
#   --latency-ms N  podio-sim holds every answer back N ms (the latency
#                   mode: with --clients 256, the pipeline must not be the
#                   bottleneck)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p portico -p portico-tests --bin portico --bin portico-bench --bin rmcp-baseline
target="${CARGO_TARGET_DIR:-target}"
exec "$target/release/portico-bench" --portico "$target/release/portico" \
  --baseline "$target/release/rmcp-baseline" "$@"
