#!/usr/bin/env bash
# Crash safety under SIGKILL: `qatc train` killed at seeded random moments
# and resumed from its last checkpoint ends bit-identical to an uninterrupted
# run, and `qatc finalize` killed at random moments never leaves a partial
# .mlpackage (the target is absent, the previous package, or the complete new
# one) and its temporaries are swept by the next write. Set KILL_SEED to
# replay other kill points.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/runtime/digits_setup.sh"
driver="$root/tests/hardening/kill_driver.py"
seed="${KILL_SEED:-20261127}"
echo "kill seed $seed"
# Sanitized builds (QATC_SANITIZED=1, --config=asan) run slower: fewer kills.
train_kills=12 finalize_kills=100
if [ "${QATC_SANITIZED:-0}" = 1 ]; then
  train_kills=6 finalize_kills=30
fi

"$qatc" prepare "$work/float.qirb" -o "$work/prepared.qirb"
for s in 1 2; do
  "$qatc" train "$work/prepared.qirb" --data "$work/digits_train.npz" --steps $((40 * s)) \
    --batch-size 16 --seed "$s" --threads 2 -o "$work/qat$s.qirb" 2>/dev/null
done

# Runs the driver, keeping its line of figures for the log.
drive() { $py "$driver" "$@" | tee -a "$work/figures.txt"; }

mkdir -p "$work/train" "$work/finalize"
check "train killed $train_kills times at random points resumes to byte-identical parameters" \
  drive train "$qatc" "$work/train" "$work/prepared.qirb" "$work/digits_train.npz" "$seed" "$train_kills"
check "finalize killed $finalize_kills times at random points never leaves a partial package" \
  drive finalize "$qatc" "$work/finalize" "$work/qat1.qirb" "$work/qat2.qirb" "$seed" "$finalize_kills"
check "the finalized package is valid: it evaluates on the digits" \
  "$qatc" eval "$work/finalize/target.mlpackage" --data "$work/digits_test.npz"
cat "$work/figures.txt"
finish
