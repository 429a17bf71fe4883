#!/usr/bin/env bash
# Builds the ONNX importer's libFuzzer target with clang++-16 and
# AddressSanitizer + UndefinedBehaviorSanitizer, then fuzzes a copy of the
# seed corpus for a fixed budget. Usage (Bazel passes these):
#   fuzz_test.sh SECONDS SEED_DIR DICTIONARY SOURCE...
# $QATC_FUZZ_SECONDS, when set, replaces SECONDS.
# Any crash, leak, sanitizer report or unverifiable graph fails the test;
# the reproducer is left in $TEST_UNDECLARED_OUTPUTS_DIR.
set -euo pipefail
seconds=${QATC_FUZZ_SECONDS:-$1} seeds=$2 dict=$3
shift 3
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
work="${TEST_TMPDIR}/fuzz"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-$work}"
mkdir -p "$work/obj" "$work/corpus" "$artifacts"
cd "$root"

flags=(-std=c++17 -O1 -g -I. -I/usr/lib/llvm-16/include -DONNX_ML=1 -DONNX_NAMESPACE=onnx
       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr
       -fno-sanitize-recover=all -fno-omit-frame-pointer -w)
printf '%s\n' "$@" | xargs -P "$(nproc)" -I{} sh -c \
  'clang++-16 "$@" -c "{}" -o "'"$work"'/obj/$(echo "{}" | tr / _).o"' sh "${flags[@]}"
clang++-16 -fsanitize=fuzzer,address,undefined -o "$work/onnx_fuzzer" "$work"/obj/*.o \
  /usr/lib/llvm-16/lib/libLLVMSupport.a /usr/lib/llvm-16/lib/libLLVMDemangle.a \
  -lonnx_proto -lprotobuf -lz -ltinfo -lpthread

cp "$seeds"/*.onnx "$work/corpus/"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$work/onnx_fuzzer" "$work/corpus" -max_total_time="$seconds" -rss_limit_mb=2048 \
  -timeout=10 -max_len=65536 -dict="$dict" -print_funcs=0 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" 2>&1 | grep -v -e '^#[0-9]' -e '^"' -e '^###' | tail -30
exit "${PIPESTATUS[0]}"
