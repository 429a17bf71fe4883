#!/usr/bin/env bash
# Imports the eight torchvision classifiers of the coverage list plus the seed
# and digits models from all three exports (.onnx with batch norm folded,
# .bn.onnx with it kept, traced .pt), prints node counts, and checks that the
# .bn.onnx and .pt exports of each model give the same graph.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
source "$root/tests/frontend/import_helpers.sh"
qatc="$root/tools/qatc"
work="${TEST_TMPDIR}"
models="seed digits resnet18 resnet50 mobilenet_v2 mobilenet_v3_large shufflenet_v2_x1_0 squeezenet1_1 efficientnet_b0 vgg11_bn"
# Sanitized builds (--config=asan sets QATC_SANITIZED=1) import five of them,
# one of each architecture family, to keep CI within its time budget.
if [ "${QATC_SANITIZED:-0}" = 1 ]; then
  models="seed digits resnet18 mobilenet_v2 shufflenet_v2_x1_0"
fi

nodes_of() {
  sed -n 's/.*"nodes":\([0-9]*\).*/\1/p' "$work/$1.json" 2>/dev/null
}

printf '%-20s %8s %8s %8s\n' model onnx bn.onnx pt > "$work/table.txt"
for model in $models; do
  # Export one model at a time and delete it after, to bound disk use.
  /usr/bin/python3 "$root/tools/fixtures/export_models.py" --out "$work" --models "$model" \
    > "$work/export.log" 2>&1 || { cat "$work/export.log"; exit 1; }
  for format in onnx bn.onnx pt; do
    check "import $model.$format" imported "$model" "$format"
  done
  check "same graph from $model.bn.onnx and $model.pt" diff -u "$work/$model.bn.onnx.qir" "$work/$model.pt.qir"
  printf '%-20s %8s %8s %8s\n' "$model" "$(nodes_of "$model.onnx")" "$(nodes_of "$model.bn.onnx")" \
    "$(nodes_of "$model.pt")" >> "$work/table.txt"
  rm -f "$work/$model".{onnx,bn.onnx,pt} "$work/$model".*.qirb
done
echo "nodes per imported graph:"
cat "$work/table.txt"
finish
