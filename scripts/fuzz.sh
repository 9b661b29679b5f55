#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (libFuzzer, nightly toolchain), each
# for N inputs, and prints per target the inputs executed (libFuzzer's final
# "Done N runs" line) and whether it crashed. Not part of CI: it takes a
# while. On a shared machine run it under `nice -n 19`.
#
# Usage: scripts/fuzz.sh [TARGET...] [--runs N] [--max-total-time SECONDS]
#   TARGET            a target of `cargo fuzz list` (default: all of them)
#   --runs N          inputs per target (default 1000000)
#   --max-total-time  stop a target after this many seconds (default: no cap)
#
# Needs the nightly toolchain (`rustup toolchain install nightly`); installs
# cargo-fuzz (`cargo install cargo-fuzz --locked`) when it is missing. Each
# target starts from its committed seeds (fuzz/corpus/TARGET) and keeps what
# it finds in fuzz/target/corpus/TARGET; a crashing input is written to
# fuzz/artifacts/TARGET/ and reproduces with
# `cargo +nightly fuzz run --debug-assertions TARGET fuzz/artifacts/TARGET/<file>`.
# Exits non-zero when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=1000000
max_time=""
targets=()
while (($#)); do
  case "$1" in
    --runs)
      runs=${2:?--runs needs a number}
      shift 2
      ;;
    --runs=*)
      runs=${1#--runs=}
      shift
      ;;
    --max-total-time)
      max_time=${2:?--max-total-time needs a number of seconds}
      shift 2
      ;;
    --max-total-time=*)
      max_time=${1#--max-total-time=}
      shift
      ;;
    -h | --help)
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "scripts/fuzz.sh: unknown option $1 (see --help)" >&2
      exit 2
      ;;
    *)
      targets+=("$1")
      shift
      ;;
  esac
done
if ! [[ $runs =~ ^[0-9]+$ ]] || { [[ -n $max_time ]] && ! [[ $max_time =~ ^[0-9]+$ ]]; }; then
  echo "scripts/fuzz.sh: --runs and --max-total-time take whole numbers" >&2
  exit 2
fi

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: the nightly toolchain is missing: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

cd fuzz
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Debug assertions on: an arithmetic overflow is a crash, not a wrapped value.
fuzz_flags=(--debug-assertions)
echo "== building the fuzz targets"
cargo +nightly fuzz build "${fuzz_flags[@]}"

libfuzzer_flags=("-runs=$runs" -print_final_stats=1)
if [[ -n $max_time ]]; then
  libfuzzer_flags+=("-max_total_time=$max_time")
fi
mkdir -p target/fuzz-logs
declare -A executed outcome
failed=0
for target in "${targets[@]}"; do
  echo "== $target: $runs inputs"
  work=target/corpus/$target
  mkdir -p "$work" "corpus/$target"
  log=target/fuzz-logs/$target.log
  status=0
  cargo +nightly fuzz run "${fuzz_flags[@]}" "$target" "$work" "corpus/$target" \
    -- "${libfuzzer_flags[@]}" >"$log" 2>&1 || status=$?
  done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1 || true)
  if [[ -n $done_line ]]; then
    executed[$target]=$(awk '{print $2}' <<<"$done_line")
  else
    # A crash ends the run before "Done": the last status line's count.
    executed[$target]=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
  fi
  if ((status == 0)) && [[ -n $done_line ]]; then
    outcome[$target]="no crash"
  else
    outcome[$target]="CRASHED (exit $status; see fuzz/$log and fuzz/artifacts/$target/)"
    failed=1
    grep -E -m 5 "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$log" | sed 's/^/   /' || true
  fi
  echo "   ${executed[$target]:-0} inputs executed: ${outcome[$target]}"
done

echo
echo "== summary ($(date -u +%F), --runs $runs)"
for target in "${targets[@]}"; do
  printf '%-20s %12s inputs  %s\n' "$target" "${executed[$target]:-0}" "${outcome[$target]}"
done
exit "$failed"
