#!/usr/bin/env bash
# Deployed numbers against trained numbers (issue #6's correctness point for
# large models; the digits CNN's is //tests/mil:digits_export_test):
# resnet18 and mobilenet_v2, prepared and calibrated on random data, written
# as .mlpackage and run by the reference MIL executor, give outputs with an
# SQNR of at least 30 dB against the fake-quant graph's.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
work="${TEST_TMPDIR}"
py=/usr/bin/python3

# Sanitized builds (QATC_SANITIZED=1, --config=asan) deploy resnet18 only, to
# keep CI within its time budget.
models=resnet18,mobilenet_v2
[ "${QATC_SANITIZED:-0}" = 1 ] && models=resnet18
$py "$root/tools/fixtures/export_models.py" --out "$work" --models "$models" >/dev/null

# compare.py FAKE_QUANT.npz DEPLOYED.npz: prints max |logit diff| and SQNR.
cat > "$work/compare.py" <<'PY'
import sys
import numpy as np
# Each run writes one array, named after the graph's output node (which
# differs between the fake-quant graph and the package).
def only(path):
    arrays = np.load(path)
    assert len(arrays.files) == 1, arrays.files
    return arrays[arrays.files[0]].astype(np.float64)
a, b = only(sys.argv[1]), only(sys.argv[2])
sqnr = 10 * np.log10((a ** 2).sum() / max(((a - b) ** 2).sum(), 1e-30))
print("max |logit diff| %.6g, SQNR %.1f dB" % (np.abs(a - b).max(), sqnr))
sys.exit(0 if sqnr >= 30 else 1)
PY

# Freshly initialized torchvision models (nothing is downloaded) have batch
# norm statistics of an untrained network, under which mobilenet_v2's
# activations shrink to about 1e-9 by the classifier; a few training steps at
# a negligible learning rate re-estimate the statistics on random data, as
# a trained model's would be, without changing the weights noticeably.
$py -c "
import numpy as np
r = np.random.default_rng(0)
np.savez('$work/bn.npz', x=r.standard_normal((32, 3, 224, 224)).astype(np.float32), y=r.integers(0, 1000, 32))
np.savez('$work/cal.npz', x=r.standard_normal((6, 3, 224, 224)).astype(np.float32))
np.save('$work/probe.npy', r.standard_normal((2, 3, 224, 224)).astype(np.float32))"

calibrated_sqnr() {
  local model=$1
  "$qatc" import "$work/$model.bn.onnx" --input-shape 'x=?x3x224x224' -o "$work/$model.qirb" || return 1
  "$qatc" train "$work/$model.qirb" --data "$work/bn.npz" --steps 16 --batch-size 4 --lr 1e-12 \
    -o "$work/$model.bn_stats.qirb" 2>/dev/null || return 1
  "$qatc" prepare "$work/$model.bn_stats.qirb" -o "$work/$model.prepared.qirb" || return 1
  "$qatc" calibrate "$work/$model.prepared.qirb" --data "$work/cal.npz" --batch-size 3 \
    -o "$work/$model.calibrated.qirb" 2>/dev/null || return 1
  "$qatc" finalize "$work/$model.calibrated.qirb" -o "$work/$model.mlpackage" || return 1
  "$qatc" run "$work/$model.calibrated.qirb" --input "x=$work/probe.npy" -o "$work/$model.fq.npz" || return 1
  "$qatc" run "$work/$model.mlpackage" --input "x=$work/probe.npy" -o "$work/$model.ml.npz" || return 1
  $py "$work/compare.py" "$work/$model.fq.npz" "$work/$model.ml.npz" \
    | sed "s/^/$model: /" | tee -a "$work/figures.txt"
  return "${PIPESTATUS[0]}"
}
check "resnet18: deployed SQNR >= 30 dB against the fake-quant graph" calibrated_sqnr resnet18
if [ "$models" != resnet18 ]; then
  check "mobilenet_v2: deployed SQNR >= 30 dB against the fake-quant graph" calibrated_sqnr mobilenet_v2
fi
cat "$work/figures.txt"
finish
