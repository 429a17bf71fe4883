#!/usr/bin/env bash
# README command 1: installs what is missing, builds qatc and runs the main job
# on the bundled example. Until training and Core ML export land this is the
# front half of the pipeline: export the seed model (Conv2d-ReLU-Conv2d-ReLU)
# with Debian's torch, import it from ONNX and TorchScript, prepare it for
# quantization-aware training with coremltools' default config, and show the
# graphs and statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/bootstrap.sh
bazel build //tools:qatc //tools:qatc-torchscript
qatc=bazel-bin/tools/qatc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== exporting the seed model (ONNX and TorchScript)"
/usr/bin/python3 tools/fixtures/export_models.py --out "$work" --models seed > /dev/null
echo "== qatc import seed.onnx / seed.pt"
"$qatc" import "$work/seed.onnx" -o "$work/seed.qirb" --json
"$qatc" import "$work/seed.pt" -o "$work/seed_ts.qirb" --input-shape input=1x1x20x20 --json
echo "== qatc prepare (coremltools' default LinearQuantizerConfig)"
"$qatc" prepare "$work/seed.qirb" -o "$work/seed.prepared.qirb" --json
"$qatc" opt "$work/seed.prepared.qirb" --elide-params-above=4 --no-locations
echo "== qatc stats"
"$qatc" stats "$work/seed.prepared.qirb"
