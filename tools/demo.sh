#!/usr/bin/env bash
# README command 1: installs what is missing, builds qatc and runs the main
# job on the bundled example, the digits CNN on scikit-learn's digits data:
# export (Debian's torch) -> import -> float training -> prepare (coremltools'
# default LinearQuantizerConfig) -> QAT -> finalize to a Core ML .mlpackage ->
# accuracy of the float, fake-quant and deployed models side by side (the
# deployed one run by qatc's reference MIL executor).
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/bootstrap.sh
bazel build //tools:qatc //tools:qatc-torchscript
qatc=bazel-bin/tools/qatc
out=${1:-digits.mlpackage}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== exporting the digits CNN and scikit-learn's digits data (80/20 split)"
/usr/bin/python3 tools/fixtures/export_models.py --out "$work" --models digits > /dev/null
/usr/bin/python3 tools/fixtures/export_digits.py --out "$work"
echo "== qatc import digits.bn.onnx (any batch size)"
"$qatc" import "$work/digits.bn.onnx" --input-shape 'x=?x1x8x8' -o "$work/digits.qirb"
echo "== qatc train (float, 8 epochs)"
"$qatc" train "$work/digits.qirb" --data "$work/digits_train.npz" --val "$work/digits_test.npz" \
  --epochs 8 --lr 0.05 --momentum 0.9 --seed 1 -o "$work/float.qirb"
echo "== qatc prepare (coremltools' default LinearQuantizerConfig)"
"$qatc" prepare "$work/float.qirb" -o "$work/prepared.qirb"
"$qatc" stats "$work/prepared.qirb"
echo "== qatc train (QAT, 2 epochs)"
"$qatc" train "$work/prepared.qirb" --data "$work/digits_train.npz" --val "$work/digits_test.npz" \
  --epochs 2 --lr 0.01 --momentum 0.9 --seed 2 -o "$work/qat.qirb"
echo "== qatc finalize -o $out (Core ML, iOS 17)"
"$qatc" finalize "$work/qat.qirb" -o "$out" --json
echo "== accuracy on the test set"
for model in "$work/float.qirb" "$work/qat.qirb" "$out"; do
  printf '%-16s ' "$(basename "$model")"
  "$qatc" eval "$model" --data "$work/digits_test.npz"
done
echo "wrote $out"
