#!/usr/bin/env bash
# The digits CNN end to end through Core ML: float training, QAT, finalize,
# writeMLPackage for iOS17 and iOS18, then the reference executor against the
# fake-quant (prepared, trained) graph on scikit-learn's digits test set:
# predictions agree on at least 99.5% of the samples and the accuracy is
# within 0.3 points; the maximum absolute logit difference is printed.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
make="$root/tests/mil/make_mlpackage"
work="${TEST_TMPDIR}"
py=/usr/bin/python3

$py "$root/tools/fixtures/export_models.py" --out "$work" --models digits >/dev/null
$py "$root/tools/fixtures/export_digits.py" --out "$work" >/dev/null
$py -c "import numpy as np, sys; np.save(sys.argv[2], np.load(sys.argv[1])['x'])" \
  "$work/digits_test.npz" "$work/x_test.npy"

pipeline() {
  "$qatc" import "$work/digits.bn.onnx" --input-shape 'x=?x1x8x8' -o "$work/float.qirb" &&
    "$qatc" train "$work/float.qirb" --data "$work/digits_train.npz" --epochs 3 --batch-size 32 \
      --lr 0.05 --momentum 0.9 --seed 1 -o "$work/trained.qirb" 2>/dev/null &&
    "$qatc" prepare "$work/trained.qirb" -o "$work/prepared.qirb" &&
    "$qatc" train "$work/prepared.qirb" --data "$work/digits_train.npz" --epochs 1 \
      --batch-size 32 --lr 0.01 --momentum 0.9 --seed 2 -o "$work/qat.qirb" 2>/dev/null &&
    "$qatc" finalize "$work/qat.qirb" -o "$work/final.qirb" &&
    "$make" "$work/final.qirb" "$work/digits17.mlpackage" ios17 &&
    "$make" "$work/final.qirb" "$work/digits18.mlpackage" ios18
}
check "import, train, prepare, QAT, finalize and write packages" pipeline

agrees() { # PACKAGE: predictions and accuracy against the fake-quant graph
  "$qatc" run "$work/qat.qirb" --input "$work/x_test.npy" -o "$work/fq.npz" >/dev/null &&
    "$qatc" run "$work/$1" --input "$work/x_test.npy" -o "$work/pkg.npz" >/dev/null || return 1
  $py - "$work/fq.npz" "$work/pkg.npz" "$work/digits_test.npz" "$1" <<'PY'
import sys, numpy as np
fq = next(iter(np.load(sys.argv[1]).values()))
pkg = next(iter(np.load(sys.argv[2]).values()))
y = np.load(sys.argv[3])["y"]
agree = (fq.argmax(1) == pkg.argmax(1)).mean()
acc_fq, acc_pkg = (fq.argmax(1) == y).mean(), (pkg.argmax(1) == y).mean()
print(f"{sys.argv[4]}: agreement {agree:.4f}, accuracy {acc_pkg:.4f} vs fake-quant {acc_fq:.4f}, "
      f"max |logit difference| {np.abs(fq - pkg).max():.6g}")
assert agree >= 0.995 and abs(acc_fq - acc_pkg) <= 0.003, (agree, acc_fq, acc_pkg)
PY
}
summarized() { agrees "$1" | tee "$work/$1.summary"; return "${PIPESTATUS[0]}"; }
check "iOS17 package agrees with the fake-quant graph" summarized digits17.mlpackage
check "iOS18 package agrees with the fake-quant graph" summarized digits18.mlpackage
cat "$work"/*.summary 2>/dev/null

eval_matches() {
  "$qatc" eval "$work/digits17.mlpackage" --data "$work/digits_test.npz" --json > "$work/e_pkg.json" &&
    "$qatc" eval "$work/final.qirb" --data "$work/digits_test.npz" --json > "$work/e_qir.json" ||
    return 1
  $py - "$work/e_pkg.json" "$work/e_qir.json" <<'PY'
import json, sys
p, q = (json.load(open(f)) for f in sys.argv[1:3])
print("package", p, "finalized QIR", q)
assert p["samples"] == 360 and abs(p["accuracy"] - q["accuracy"]) <= 0.003, (p, q)
PY
}
check "eval of the package matches the finalized graph" eval_matches

ios16_refused() {
  local err
  err=$("$make" "$work/final.qirb" "$work/digits16.mlpackage" ios16 2>&1) && return 1
  echo "$err"
  [[ "$err" == *"activation quantize/dequantize need the iOS17 opset"* ]] &&
    [ ! -e "$work/digits16.mlpackage" ]
}
check "iOS16 refuses activation quantization and writes nothing" ios16_refused

finish
