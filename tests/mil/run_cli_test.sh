#!/usr/bin/env bash
# qatc run and qatc eval on QIR graphs and on .mlpackage files written by
# writeMLPackage: the reference executor agrees with the runtime bit for bit,
# outputs are named after the model's outputs, inputs bind by name (QIR or
# MIL spelling) or alone, and bad inputs are one-sentence errors.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
make="$root/tests/mil/make_mlpackage"
checker="$root/tests/mil/mil_wire_check.py"
work="${TEST_TMPDIR}"
py=/usr/bin/python3

"$make" --graph float "$work/float.qirb"
"$make" --graph quantized4 "$work/q4.qirb"
"$make" "$work/float.qirb" "$work/float.mlpackage" ios17
"$make" "$work/q4.qirb" "$work/q4.mlpackage" ios18
$py - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
rng = np.random.default_rng(3)
np.save(f"{w}/x.npy", rng.uniform(-2, 2, (5, 1, 8, 8)).astype(np.float32))
np.save(f"{w}/x_int.npy", rng.integers(-2, 3, (5, 1, 8, 8)))
np.save(f"{w}/x_bad.npy", np.zeros((5, 2, 8, 8), np.float32))
np.savez(f"{w}/data.npz", x=rng.uniform(-2, 2, (40, 1, 8, 8)).astype(np.float32),
         y=rng.integers(0, 10, 40))
PY

same_arrays() { # A.npz KEY_A B.npz KEY_B: equal bit for bit
  $py - "$@" <<'PY'
import sys, numpy as np
a = np.load(sys.argv[1]); b = np.load(sys.argv[3])
assert list(a.keys()) == [sys.argv[2]], list(a.keys())
assert list(b.keys()) == [sys.argv[4]], list(b.keys())
A, B = a[sys.argv[2]], b[sys.argv[4]]
assert A.shape == B.shape and A.dtype == B.dtype, (A.shape, B.shape)
assert A.tobytes() == B.tobytes(), np.abs(A - B).max()
print(A.shape, "identical")
PY
}

float_agrees() {
  "$qatc" run "$work/float.mlpackage" --input input_1="$work/x.npy" -o "$work/pkg.npz" || return 1
  "$qatc" run "$work/float.qirb" --input input.1="$work/x.npy" -o "$work/qir.npz" || return 1
  same_arrays "$work/pkg.npz" fc "$work/qir.npz" fc
}
check "run: a float package and its QIR give identical outputs" float_agrees

quantized_agrees() {
  "$qatc" run "$work/q4.mlpackage" --input "$work/x.npy" -o "$work/pkg4.npz" || return 1
  "$qatc" run "$work/q4.qirb" --input "$work/x.npy" -o "$work/qir4.npz" || return 1
  same_arrays "$work/pkg4.npz" fc_out_dq "$work/qir4.npz" fc_out_dq
}
check "run: a 4-bit iOS18 package and its QIR give identical outputs" quantized_agrees

qir_name_binds() {
  # The QIR spelling input.1 finds the package's input_1.
  "$qatc" run "$work/float.mlpackage" --input input.1="$work/x.npy" -o "$work/named.npz" &&
    same_arrays "$work/named.npz" fc "$work/pkg.npz" fc
}
check "run: an input binds by its QIR or MIL name" qir_name_binds

integer_input() {
  "$qatc" run "$work/float.mlpackage" --input "$work/x_int.npy" -o "$work/int.npz"
}
check "run: integer .npy inputs are converted to f32" integer_input

eval_agrees() {
  "$qatc" eval "$work/q4.mlpackage" --data "$work/data.npz" --json > "$work/e_pkg.json" || return 1
  "$qatc" eval "$work/q4.qirb" --data "$work/data.npz" --json > "$work/e_qir.json" || return 1
  cat "$work/e_pkg.json"
  cmp "$work/e_pkg.json" "$work/e_qir.json"
}
check "eval: an .mlpackage scores exactly like its QIR" eval_agrees

wire_ok() { $py "$checker" "$work/q4.mlpackage"; }
check "the written package passes the wire checker" wire_ok

check "run: an unknown input name lists the inputs" fails_with \
  "--input names 'y', which is not an input of the model; its inputs are 'input_1'" \
  "$qatc" run "$work/float.mlpackage" --input y="$work/x.npy" -o "$work/e.npz"
check "run: a missing input is named" fails_with \
  "input 'input_1' (f32[?, 1, 8, 8]) is not given; pass --input input_1=file.npy" \
  "$qatc" run "$work/float.mlpackage" -o "$work/e.npz"
check "run: a wrong input shape is named" fails_with \
  "input 'input_1' is [5, 2, 8, 8] f32 but the graph expects f32[?, 1, 8, 8]" \
  "$qatc" run "$work/float.mlpackage" --input "$work/x_bad.npy" -o "$work/e.npz"
check "run: -o must be an .npz" fails_with "-o must name an .npz file" \
  "$qatc" run "$work/float.mlpackage" --input "$work/x.npy" -o "$work/e.npy"
check "run: a missing package" fails_with "no such package; an .mlpackage is a directory" \
  "$qatc" run "$work/none.mlpackage" --input "$work/x.npy" -o "$work/e.npz"
check "run: an input given twice" fails_with "input 'input_1' is given twice" \
  "$qatc" run "$work/float.mlpackage" --input "$work/x.npy" --input input_1="$work/x.npy" \
  -o "$work/e.npz"
check "run: no file is left after a failure" test ! -e "$work/e.npz"

finish
