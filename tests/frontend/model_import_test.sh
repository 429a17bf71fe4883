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
source "$root/tests/frontend/import_helpers.sh"
qatc="$root/tools/qatc"
work="${TEST_TMPDIR}"
goldens="$root/tests/frontend/goldens"
fixtures="$work/fixtures"

/usr/bin/python3 "$root/tools/fixtures/export_models.py" --out "$fixtures" \
  --models seed,digits,resnet18 > "$work/export.log" 2>&1 || { cat "$work/export.log"; exit 1; }

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
