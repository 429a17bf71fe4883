#!/usr/bin/env bash
# README command 2: installs what is missing, then builds and runs every test
# (`bazel test //...`) and ends with the line `N passed, N failed`.
# Extra arguments go to `bazel test` (e.g. --config=asan).
set -uo pipefail
cd "$(dirname "$0")/.."
./tools/bootstrap.sh || exit 1

log=$(mktemp)
targets=$(mktemp)
trap 'rm -f "$log" "$targets"' EXIT

bazel query 'tests(//...)' 2>/dev/null > "$targets" || { echo "0 passed, 1 failed"; exit 1; }
bazel test //... "$@" 2>&1 | tee "$log"
bazel_status=${PIPESTATUS[0]}

testlogs=$(bazel info bazel-testlogs "$@" 2>/dev/null)
/usr/bin/python3 tools/count_test_results.py "$testlogs" "$targets" "$log"
count_status=$?
if [ "$bazel_status" -ne 0 ] || [ "$count_status" -ne 0 ]; then
  exit 1
fi
