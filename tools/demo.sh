#!/usr/bin/env bash
# README command 1: installs what is missing, builds qatc and runs the main
# job on the bundled example: `qatc demo` compiles a float digits CNN
# (trained with PyTorch, tools/examples/digits) on scikit-learn's digits data
# in one run: import -> prepare (coremltools' default LinearQuantizerConfig)
# -> QAT -> finalize -> digits.mlpackage, then runs the package on qatc's
# reference MIL executor and prints float, fake-quant and deployed accuracy.
# Usage: tools/demo.sh [OUT.mlpackage]   (default: digits.mlpackage)
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/bootstrap.sh
bazel build //tools:qatc //tools:qatc-torchscript
exec bazel-bin/tools/qatc demo -o "${1:-digits.mlpackage}"
