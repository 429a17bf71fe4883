#!/usr/bin/env bash
# Regenerates tests/frontend/goldens/*.qir (imported graphs, parameters
# elided) after an intended importer change; review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
bazel build //tools:qatc //tools:qatc-torchscript
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tools/fixtures/export_models.py --out "$work" --models seed,resnet18 > /dev/null
for model in seed resnet18; do
  shape="x=1x3x224x224"
  [ "$model" = seed ] && shape="input=1x1x20x20"
  for format in onnx bn.onnx pt; do
    bazel-bin/tools/qatc import "$work/$model.$format" -o "$work/g.qirb" --input-shape "$shape"
    bazel-bin/tools/qatc opt "$work/g.qirb" --elide-params --no-locations \
      > "tests/frontend/goldens/$model.$format.qir"
  done
done
git status --short tests/frontend/goldens
