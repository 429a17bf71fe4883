#!/usr/bin/env bash
# Fuzzes one libFuzzer binary (built by tools/fuzz/fuzz.bzl) for a fixed
# budget, starting from a copy of its seed corpus. Usage (Bazel passes these):
#   run_fuzzer.sh FUZZER SECONDS MAX_LEN RSS_LIMIT_MB DICTIONARY|- SEED...
# $QATC_FUZZ_SECONDS, when set, replaces SECONDS; $QATC_SANITIZED=1 (set by
# --config=asan) replays the seeds without fuzzing. Any crash, leak, timeout,
# out-of-memory, sanitizer report or failed graph check fails the test; the
# reproducer is left in $TEST_UNDECLARED_OUTPUTS_DIR (bazel-testlogs/<target>/
# test.outputs/). Reproduce with `FUZZER FILE`.
set -euo pipefail
fuzzer=$1 seconds=${QATC_FUZZ_SECONDS:-$2} max_len=$3 rss_limit=$4 dict=$5
shift 5
work="${TEST_TMPDIR:-$(mktemp -d)}/fuzz"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-$work}"
mkdir -p "$work/corpus" "$artifacts"

# Seeds may share a base name (fixtures of different directories).
i=0
for seed in "$@"; do
  i=$((i + 1))
  cp "$seed" "$work/corpus/$i-$(basename "$seed")"
done

options=(-max_total_time="$seconds" -rss_limit_mb="$rss_limit" -timeout=10 -max_len="$max_len"
         -print_funcs=0 -print_final_stats=1 -artifact_prefix="$artifacts/")
[ "$dict" = - ] || options+=(-dict="$dict")
# The fuzzer is sanitized whatever the build; the --config=asan suite
# (QATC_SANITIZED=1) only replays the seeds, the normal suite fuzzed already.
if [ "${QATC_SANITIZED:-0}" = 1 ]; then
  options+=(-runs=0)
  seconds=0
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "fuzzing $(basename "$fuzzer") for ${seconds}s from $i seeds"
# Keep libFuzzer's summary (the DONE line has the coverage) and any report;
# drop the per-input progress lines.
"$fuzzer" "${options[@]}" "$work/corpus" 2>&1 |
  grep -v -e '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\)' -e '^"' -e '^###' | tail -40
exit "${PIPESTATUS[0]}"
