#!/usr/bin/env bash
# Imports the seed model, the digits CNN and resnet18 from ONNX (batch norm
# folded and kept) and TorchScript, compares each with its golden graph
# (parameters elided) and checks that the .bn.onnx and .pt exports of one
# model import to the same graph (same name, inputs, ops, edges, attributes,
# shapes and parameter names). Regenerate goldens after an intended
# change with tools/update_frontend_goldens.sh.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
work="${TEST_TMPDIR}"
goldens="$root/tests/frontend/goldens"

/usr/bin/python3 "$root/tools/fixtures/export_models.py" --out "$work/fixtures" \
  --models seed,digits,resnet18 > "$work/export.log" 2>&1 || { cat "$work/export.log"; exit 1; }

input_shape() {
  case $1 in
    seed) echo "input=1x1x20x20" ;;
    digits) echo "x=1x1x8x8" ;;
    *) echo "x=1x3x224x224" ;;
  esac
}

# Imports MODEL.FORMAT and prints it with parameters elided, without locations.
imported() {
  local model=$1 format=$2
  "$qatc" import "$work/fixtures/$model.$format" -o "$work/$model.$format.qirb" \
    --input-shape "$(input_shape "$model")" &&
    "$qatc" opt "$work/$model.$format.qirb" --elide-params --no-locations > "$work/$model.$format.qir"
}

for model in seed digits resnet18; do
  for format in onnx bn.onnx pt; do
    check "import $model.$format" imported "$model" "$format"
    if [ -f "$goldens/$model.$format.qir" ]; then
      check "golden $model.$format" diff -u "$goldens/$model.$format.qir" "$work/$model.$format.qir"
    fi
  done
  check "same graph from $model.bn.onnx and $model.pt" diff -u "$work/$model.bn.onnx.qir" "$work/$model.pt.qir"
done
finish
