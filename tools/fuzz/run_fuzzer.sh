#!/usr/bin/env bash
# Fuzzes one libFuzzer binary (built by tools/fuzz/fuzz.bzl) for a fixed
# budget, starting from a copy of its seed corpus. Usage (Bazel passes these):
#   run_fuzzer.sh FUZZER SECONDS MAX_LEN RSS_LIMIT_MB FOREIGN|- DICTIONARY|- SEED...
# $QATC_FUZZ_SECONDS, when set, replaces SECONDS; $QATC_SANITIZED=1 (set by
# --config=asan) replays the seeds without fuzzing. Any crash, leak, timeout,
# out-of-memory, sanitizer report or failed graph check fails the test; the
# reproducer is left in $TEST_UNDECLARED_OUTPUTS_DIR (bazel-testlogs/<target>/
# test.outputs/). Reproduce with `FUZZER FILE`.
# FOREIGN, a |-separated list of library names (e.g. libtorch_cpu.so), makes
# crashes, leaks, out-of-memory reports and timeouts whose innermost frame
# lies in one of those uninstrumented libraries known, not failures:
# libFuzzer then runs in fork mode, which carries on after any of them, and
# every saved input is replayed and judged by its own report.
set -euo pipefail
fuzzer=$1 seconds=${QATC_FUZZ_SECONDS:-$2} max_len=$3 rss_limit=$4 foreign=$5 dict=$6
shift 6
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
elif [ "$foreign" != - ]; then
  options+=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "fuzzing $(basename "$fuzzer") for ${seconds}s from $i seeds"
# Keep libFuzzer's summary (the DONE line has the coverage) and any report;
# drop the per-input progress lines.
status=0
"$fuzzer" "${options[@]}" "$work/corpus" 2>&1 |
  grep -v -e '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\)' -e '^"' -e '^###' -e '^ *NEW_FUNC' | tail -40 ||
  status=${PIPESTATUS[0]}
[ "$foreign" != - ] || exit "$status"

# The innermost frame of a report that is not the sanitizer's allocator.
innermost_frame() {
  grep -E '^ +#[0-9]+ 0x' | grep -v -E ' in (malloc|calloc|realloc|operator new|__interceptor_)' |
    head -n 1
}
# The saved inputs decide: an exit status without any saved input is a
# failure of the fuzzer itself.
saved=$(find "$artifacts" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' \
  -o -name 'timeout-*' \) | sort)
[ "$status" = 0 ] || [ -n "$saved" ] || exit "$status"
status=0
for input in $saved; do
  report=$("$fuzzer" -timeout=10 -rss_limit_mb="$rss_limit" "$input" 2>&1) &&
    continue # not reproducible alone
  frame=$(innermost_frame <<< "$report")
  if grep -q -E "($foreign)" <<< "$frame"; then
    echo "known, inside an uninstrumented library: $(basename "$input"): $frame"
  else
    echo "$report" | grep -v '^INFO' | tail -40
    status=1
  fi
done
exit "$status"
