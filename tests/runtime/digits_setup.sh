# Shared setup of the digits shell tests: sets root, qatc, work and py, sources
# the check helpers, and writes into $work the digits CNN imported with an open
# batch dim (float.qirb) and scikit-learn's digits (digits_train.npz,
# digits_test.npz). Source it from a test run by `bazel test`.
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
work="${TEST_TMPDIR}"
py=/usr/bin/python3

$py "$root/tools/fixtures/export_models.py" --out "$work" --models digits >/dev/null
$py "$root/tools/fixtures/export_digits.py" --out "$work" >/dev/null
"$qatc" import "$work/digits.bn.onnx" --input-shape 'x=?x1x8x8' -o "$work/float.qirb"
