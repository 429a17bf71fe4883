#!/usr/bin/env bash
# qatc train and qatc eval end to end on the digits CNN and scikit-learn's
# digits data: float training reaches a real accuracy, eval agrees with the
# training summary, QAT on the prepared graph trains, a run killed after a
# checkpoint resumes to a bit-identical result, divergence stops with the
# step and node named, and bad data or options are one-sentence errors.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/runtime/digits_setup.sh"

json_get() { $py -c "import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])[sys.argv[1]])" "$1"; }

float_train() {
  "$qatc" train "$work/float.qirb" --data "$work/digits_train.npz" --val "$work/digits_test.npz" \
    --epochs 8 --batch-size 32 --lr 0.05 --momentum 0.9 --seed 1 -o "$work/trained.qirb" --json \
    > "$work/float.json" || return 1
  local acc
  acc=$(json_get val_accuracy < "$work/float.json")
  echo "float validation accuracy $acc"
  $py -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.9 else 1)" "$acc"
}
check "float training reaches >90% validation accuracy" float_train

summary_keys() {
  $py - "$work/float.json" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
for k in ["steps", "ms_per_step", "final_loss", "val_accuracy", "val_loss", "train_accuracy"]:
    assert k in s, k
assert s["steps"] == 8 * 45, s["steps"]
assert s["ms_per_step"] > 0 and s["final_loss"] < 1.0, s
PY
}
check "train --json reports steps, ms_per_step, final_loss, val_accuracy" summary_keys

eval_agrees() {
  "$qatc" eval "$work/trained.qirb" --data "$work/digits_test.npz" --json > "$work/eval.json" || return 1
  $py - "$work/float.json" "$work/eval.json" <<'PY'
import json, sys
t = json.loads(open(sys.argv[1]).read().splitlines()[-1])
e = json.loads(open(sys.argv[2]).read())
assert e["samples"] == 360, e
assert abs(e["accuracy"] - t["val_accuracy"]) < 1e-12, (e, t)
assert abs(e["loss"] - t["val_loss"]) < 1e-9, (e, t)
PY
}
check "eval reports the training run's validation accuracy and loss" eval_agrees

qat_train() {
  "$qatc" prepare "$work/trained.qirb" -o "$work/prepared.qirb" || return 1
  "$qatc" train "$work/prepared.qirb" --data "$work/digits_train.npz" --val "$work/digits_test.npz" \
    --epochs 2 --batch-size 32 --lr 0.01 --momentum 0.9 --seed 2 -o "$work/qat.qirb" --json \
    > "$work/qat.json" || return 1
  $py - "$work/qat.json" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
print("QAT validation accuracy", s["val_accuracy"])
assert s["val_accuracy"] > 0.9, s
PY
}
check "QAT on the prepared graph trains and keeps accuracy" qat_train

observers_moved() {
  "$qatc" opt "$work/qat.qirb" -o "$work/qat.qir" || return 1
  # The input site's scale left its initial value 1 and the step counter counted.
  grep -q 'qat.step' "$work/qat.qir" && ! grep -A1 '"x.fq.scale"\|x_fq.scale' "$work/qat.qir" | grep -q '\[1.0\]'
}
check "QAT updates observer state and the step counter" observers_moved

resume_bit_identical() {
  local common=(--data "$work/digits_train.npz" --steps 30 --batch-size 16 --lr 0.02 --momentum 0.9
                --seed 5 --threads 2 --checkpoint-every 10)
  "$qatc" train "$work/prepared.qirb" "${common[@]}" --checkpoint "$work/a.ckpt" -o "$work/a.qirb" 2>/dev/null || return 1
  "$qatc" train "$work/prepared.qirb" "${common[@]}" --checkpoint "$work/b.ckpt" -o "$work/b.qirb" \
    --crash-after-step 17 2>/dev/null
  [ $? -eq 3 ] || { echo "the crash hook did not fire"; return 1; }
  [ ! -e "$work/b.qirb" ] || { echo "a crashed run left an output"; return 1; }
  "$qatc" train "$work/prepared.qirb" "${common[@]}" --checkpoint "$work/b.ckpt" -o "$work/b.qirb" \
    --resume --json > "$work/resume.json" 2>/dev/null || return 1
  [ "$(json_get resumed_from < "$work/resume.json")" = 10 ] || { echo "did not resume from step 10"; return 1; }
  cmp "$work/a.qirb" "$work/b.qirb"
}
check "a run killed after step 17 resumes from its step-10 checkpoint bit-identically" resume_bit_identical

resume_mismatch() {
  local out
  out=$("$qatc" train "$work/prepared.qirb" --data "$work/digits_train.npz" --steps 30 --batch-size 8 \
        --seed 5 --threads 2 --checkpoint "$work/a.ckpt" -o "$work/c.qirb" --resume 2>&1)
  [ $? -eq 2 ] && echo "$out" | grep -q "cannot resume from '$work/a.ckpt': it was written with batch_size = 16 but this run has 8"
}
check "resuming with other settings is refused, naming the setting" resume_mismatch

diverges() {
  local out
  out=$("$qatc" train "$work/float.qirb" --data "$work/digits_train.npz" --steps 50 --lr 1e30 \
        --checkpoint-every 1 -o "$work/nan.qirb" 2>&1)
  local rc=$?
  echo "$out" | tail -1
  [ $rc -eq 2 ] && echo "$out" | grep -q "training stopped at step [0-9]*: .*NaN or Inf.*the last good checkpoint is '$work/nan.qirb.ckpt' (step [0-9]*)" \
    && [ ! -e "$work/nan.qirb" ] && [ -e "$work/nan.qirb.ckpt" ]
}
check "divergence stops with the step and node named and keeps the last checkpoint" diverges

expect_error() {
  local name=$1 pattern=$2
  shift 2
  local out
  out=$("$@" 2>&1)
  local rc=$?
  if [ $rc -ne 2 ] || ! echo "$out" | grep -qF -- "$pattern"; then
    echo "exit $rc, output: $out"
    return 1
  fi
}
$py -c "import numpy as np; np.savez('$work/nox.npz', y=np.zeros(3, dtype=np.int64))"
$py -c "import numpy as np; np.savez('$work/wrongshape.npz', x=np.zeros((4, 1, 9, 9), dtype=np.float32), y=np.zeros(4, dtype=np.int64))"
$py -c "import numpy as np; np.savez('$work/badlabel.npz', x=np.zeros((4, 1, 8, 8), dtype=np.float32), y=np.array([0, 1, 10, 2]))"
check "data without x" expect_error x "the archive needs arrays named 'x' (inputs) and 'y'" \
  "$qatc" train "$work/float.qirb" --data "$work/nox.npz" -o "$work/o.qirb"
check "inputs of the wrong shape" expect_error x "input 'x' is [4, 1, 9, 9] f32 but the graph expects" \
  "$qatc" eval "$work/float.qirb" --data "$work/wrongshape.npz"
check "a label outside the classes" expect_error x "$work/badlabel.npz: label 10 of sample 2 is outside the model's 10 classes [0, 10)" \
  "$qatc" train "$work/float.qirb" --data "$work/badlabel.npz" -o "$work/o.qirb"
check "an unknown loss" expect_error x "unknown loss 'hinge'; use cross_entropy or mse" \
  "$qatc" train "$work/float.qirb" --data "$work/digits_train.npz" --loss hinge -o "$work/o.qirb"
check "an unknown optimizer" expect_error x "unknown optimizer 'lbfgs'; use sgd, adam or adamw" \
  "$qatc" train "$work/float.qirb" --data "$work/digits_train.npz" --optimizer lbfgs -o "$work/o.qirb"
check "a missing data file" expect_error x "$work/none.npz: cannot read the file" \
  "$qatc" eval "$work/float.qirb" --data "$work/none.npz"
check "nesterov without momentum" expect_error x "--nesterov needs a positive --momentum" \
  "$qatc" train "$work/float.qirb" --data "$work/digits_train.npz" --nesterov -o "$work/o.qirb"
finish
