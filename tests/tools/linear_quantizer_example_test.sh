#!/usr/bin/env bash
# The LinearQuantizer C++ API example (tools/examples/LinearQuantizerExample.cpp)
# on the seed model: prepare, its own training loop with step(), finalize,
# save; the saved package must compute what the trained model computes.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
example="$root/tools/linear_quantizer_example"
work="${TEST_TMPDIR}"
/usr/bin/python3 "$root/tools/fixtures/export_models.py" --out "$work" --models seed > /dev/null 2>&1

run_example() {
  "$example" "$work/seed.onnx" "$work/seed.mlpackage" --input-shape 'input=?x1x20x20' \
    > "$work/out.txt" || { cat "$work/out.txt"; return 1; }
  cat "$work/out.txt"
}
check "example: prepare, train with step(), finalize, save; the package matches" run_example
check "example: reports the fake quants and the quantized layers" \
  grep -q 'prepared: 5 fake quants' "$work/out.txt"
check "example: finalize quantized both convolutions" \
  grep -q 'finalized: 2 weights, 3 activations quantized' "$work/out.txt"
check "example: the package passes the wire check" \
  /usr/bin/python3 "$root/tests/mil/mil_wire_check.py" "$work/seed.mlpackage"
finish
