#!/usr/bin/env bash
# README command 1: installs what is missing, builds qatc and runs the main job
# on the bundled example (until the full pipeline lands: canonicalize, cse and
# dce over the seed model, then its statistics).
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/bootstrap.sh
bazel build //tools:qatc
qatc=bazel-bin/tools/qatc
example=tools/examples/seed.qir
echo "== qatc opt $example --passes=canonicalize,cse,dce"
"$qatc" opt "$example" --passes=canonicalize,cse,dce --time-passes
echo "== qatc stats $example"
"$qatc" stats "$example"
