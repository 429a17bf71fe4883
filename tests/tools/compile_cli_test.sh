#!/usr/bin/env bash
# qatc compile and qatc demo end to end: the bundled example reaches the
# float accuracy after QAT and the deployed package (read back and run by the
# reference executor) agrees; every stage's graph can be kept; a model file
# with a config and TorchScript input compile too; bad input is one sentence,
# exit code 2, and leaves no package behind.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
examples="$root/tools/examples/digits"
checker="$root/tests/mil/mil_wire_check.py"
work="${TEST_TMPDIR}"
py=/usr/bin/python3
cd "$work"

json_check() { # FILE PYTHON-EXPR over `r` (the summary object)
  $py - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print("failed:", sys.argv[2]); print(json.dumps(r, indent=1)); sys.exit(1)
PY
}

"$qatc" demo -o demo.mlpackage --keep-intermediates kept --threads 2 --json > demo.json 2> demo.log
demo_status=$?
check "demo: exits 0" test "$demo_status" -eq 0
check "demo: the float CNN is accurate (>= 95%)" json_check demo.json 'r["float"]["accuracy"] >= 0.95'
check "demo: fake-quant accuracy within 0.5 points of float" \
  json_check demo.json 'abs(r["fake_quant"]["accuracy"] - r["float"]["accuracy"]) <= 0.005'
check "demo: the deployed package scores what the fake-quant model scores" \
  json_check demo.json 'abs(r["deployed"]["accuracy"] - r["fake_quant"]["accuracy"]) <= 1/360 + 1e-9'
check "demo: evaluated on the 360 held-out samples of the bundled model" \
  json_check demo.json 'r["evaluated_on"] == "validation" and r["deployed"]["samples"] == 360 and r["model"].startswith("bundled digits CNN")'
check "demo: quantized weights are under a third of the float ones" \
  json_check demo.json 'r["quantized_parameter_bytes"] * 3 < r["float_parameter_bytes"]'
check "demo: every stage is timed" \
  json_check demo.json 'sorted(r["stage_seconds"]) == sorted(["import", "float eval", "prepare", "train", "fake-quant eval", "finalize", "deployed eval"])'
check "demo: the package passes the wire check" $py "$checker" demo.mlpackage
check "demo: the stages are shown in order" grep -q '^\[7/7\] run demo.mlpackage' demo.log

kept_graphs() {
  for f in 1-imported 2-prepared 3-trained 4-quantized; do
    "$qatc" stats "kept/$f.qirb" > "kept/$f.json" || return 1
  done
  grep -q '"fake_quantize"' kept/2-prepared.json && grep -q '"fake_quantize"' kept/3-trained.json &&
    ! grep -q '"fake_quantize"' kept/4-quantized.json && grep -q '"dequantize"' kept/4-quantized.json
}
check "demo: --keep-intermediates keeps every stage's graph" kept_graphs

eval_matches() { # the package's accuracy by `qatc eval` is the one reported
  "$qatc" eval demo.mlpackage --data kept/digits_test.npz --json > eval.json || return 1
  $py - <<'PY'
import json
s, e = json.load(open("demo.json")), json.load(open("eval.json"))
assert abs(s["deployed"]["accuracy"] - e["accuracy"]) < 1e-12, (s["deployed"], e)
PY
}
check "demo: qatc eval of the package agrees with the summary" eval_matches

table() {
  "$qatc" demo -o table.mlpackage --threads 2 > table.txt 2> /dev/null || return 1
  grep -Eq '^accuracy \(validation\) +[0-9.]+% +[0-9.]+% +[0-9.]+%$' table.txt &&
    grep -Eq '^weights +[0-9.]+ KB +[0-9.]+ KB$' table.txt && grep -q '^total ' table.txt &&
    grep -q '^wrote table.mlpackage' table.txt
}
check "demo: prints the summary table" table

compile_model() {
  printf 'global_config:\n  quantization_scheme: affine\n' > affine.yaml
  "$qatc" compile "$examples/digits.onnx" --config affine.yaml --data "$examples/digits_train.npz" \
    --val "$examples/digits_test.npz" --epochs 1 --lr 0.01 --momentum 0.9 --threads 2 \
    -o affine.mlpackage --json > affine.json 2> affine.log || { cat affine.log; return 1; }
  json_check affine.json 'r["deployed"]["accuracy"] >= 0.95 and r["model"].endswith("digits.onnx")' &&
    grep -q 'prepare for QAT (affine.yaml)' affine.log && $py "$checker" affine.mlpackage
}
check "compile: an ONNX model with a YAML config and validation data" compile_model

compile_torchscript() {
  $py "$root/tools/fixtures/export_models.py" --out ts --models digits > /dev/null 2>&1 || return 1
  "$qatc" compile ts/digits.pt --input-shape 'x=?x1x8x8' --data "$examples/digits_train.npz" \
    --steps 5 --threads 2 -o ts.mlpackage --json > ts.json 2> ts.log || { cat ts.log; return 1; }
  json_check ts.json 'r["evaluated_on"] == "training" and r["train_steps"] == 5' &&
    json_check ts.json 'abs(r["deployed"]["accuracy"] - r["fake_quant"]["accuracy"]) <= 2/1437'
}
check "compile: a TorchScript archive, evaluated on the training data" compile_torchscript

plugins="$root/tests/plugins"
compile_with_plugin() { # the prepare hook of keep-ends-float keeps conv1 and fc in float
  "$qatc" compile "$examples/digits.onnx" --data "$examples/digits_train.npz" --steps 3 \
    --threads 2 --load-pass-plugin="$plugins/libkeep_ends_float_clang.so" -o ends.mlpackage \
    --json > ends.json 2> ends.log || { cat ends.log; return 1; }
  json_check ends.json 'r["weights_quantized"] == 1 and r["deployed"]["accuracy"] >= 0.9'
}
check "compile: --load-pass-plugin (a clang-built prepare hook) applies to prepare" compile_with_plugin

compile_with_plugin_pass() { # a plugin pass in --passes decides for the later prepare
  "$qatc" compile "$examples/digits.onnx" --data "$examples/digits_train.npz" --steps 3 \
    --threads 2 --load-pass-plugin="$plugins/librewrite.so" --passes=keep-binary-float,canonicalize \
    -o pass.mlpackage --json > pass.json 2> pass.log || { cat pass.log; return 1; }
  grep -q 'and run keep-binary-float,canonicalize' pass.log && json_check pass.json 'r["weights_quantized"] == 3'
}
check "compile: --passes runs plugin passes after import" compile_with_plugin_pass

fails_cleanly() { # EXPECTED-MESSAGE-REGEX ARGS...: exit 2, one line, the message, no package
  local want=$1
  shift
  rm -rf bad.mlpackage
  "$qatc" "$@" > /dev/null 2> err.txt
  local status=$?
  [ "$status" -eq 2 ] || { echo "exit $status"; cat err.txt; return 1; }
  [ "$(grep -c 'qatc: error:' err.txt)" -eq 1 ] || { cat err.txt; return 1; }
  grep -Eq -- "$want" err.txt || { cat err.txt; return 1; }
  [ ! -e bad.mlpackage ] || { echo "a package was left behind"; return 1; }
  ! ls -a | grep -q 'bad.mlpackage.' || { echo "a temporary was left behind"; ls -a; return 1; }
}
$py - <<'PY'
import numpy as np
np.savez("bad_labels.npz", x=np.zeros((8, 1, 8, 8), np.float32), y=np.arange(8) + 5)
PY
check "error: a model without --data" fails_cleanly "give the training data of '.*digits.onnx' with --data" \
  compile "$examples/digits.onnx" -o bad.mlpackage
check "error: -o that is not a package" fails_cleanly "-o 'bad.qirb' must name a .mlpackage" \
  compile "$examples/digits.onnx" --data "$examples/digits_train.npz" -o bad.qirb
check "error: an unknown target" fails_cleanly "ios15" \
  compile "$examples/digits.onnx" --data "$examples/digits_train.npz" -o bad.mlpackage --target ios15
check "error: a missing model file" fails_cleanly "missing.onnx" \
  compile missing.onnx --data "$examples/digits_train.npz" -o bad.mlpackage
check "error: --data without a model" fails_cleanly "need a model" \
  compile --data "$examples/digits_train.npz" -o bad.mlpackage
check "error: labels outside the model's classes" fails_cleanly "bad_labels.npz" \
  compile "$examples/digits.onnx" --data bad_labels.npz -o bad.mlpackage
check "error: a bad learning rate" fails_cleanly "--lr must be positive" \
  compile "$examples/digits.onnx" --data "$examples/digits_train.npz" -o bad.mlpackage --lr 0
check "error: a missing config file" fails_cleanly "nope.yaml" \
  compile "$examples/digits.onnx" --config nope.yaml --data "$examples/digits_train.npz" -o bad.mlpackage
check "error: an unknown pass in --passes" fails_cleanly "no-such-pass" \
  compile "$examples/digits.onnx" --data "$examples/digits_train.npz" -o bad.mlpackage --passes=no-such-pass
check "error: a plugin that is not a shared library" fails_cleanly "affine.yaml" \
  compile "$examples/digits.onnx" --data "$examples/digits_train.npz" -o bad.mlpackage --load-pass-plugin=affine.yaml
check "error: --keep-intermediates on a file" fails_cleanly "keep-intermediates" \
  compile "$examples/digits.onnx" --data "$examples/digits_train.npz" -o bad.mlpackage --keep-intermediates affine.yaml

finish
