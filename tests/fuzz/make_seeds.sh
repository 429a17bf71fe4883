#!/usr/bin/env bash
# Regenerates the binary seed corpora under tests/fuzz/seeds/ from repository
# fixtures (the text ones are fixtures already):
#   qirb/       .qir examples and golden graphs written with `qatc opt -o X.qirb`
#   npz/        small .npz/.npy arrays of every dtype (numpy, Debian's python3)
#   mlpackage/  packages of passes/mil's test graphs, in MLPackage_fuzz.cpp's
#               form: 4-byte little-endian model length, model.mlmodel, weight.bin
# Usage, from the repository root:
#   bazel build //tools:qatc //tests/mil:make_mlpackage && tests/fuzz/make_seeds.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
qatc=bazel-bin/tools/qatc make_package=bazel-bin/tests/mil/make_mlpackage
out=tests/fuzz/seeds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Inputs that once failed (regress-*) stay.
find "$out" -type f ! -name 'regress-*' -delete 2>/dev/null || true
mkdir -p "$out/qirb" "$out/npz" "$out/mlpackage"

for qir in tools/examples/seed.qir tests/ir/roundtrip.qir tests/finalize/conv_bn_relu.qir \
           tests/prepare/stats.qir tests/passes/cse.qir; do
  name=$(basename "$qir" .qir)
  "$qatc" opt --split-input-file "$qir" > "$tmp/$name.qir" 2>/dev/null || true
  csplit -s -z -f "$tmp/$name-" "$tmp/$name.qir" '/^\/\/ -----$/' '{*}' 2>/dev/null ||
    cp "$tmp/$name.qir" "$tmp/$name-00"
  for chunk in "$tmp/$name"-*; do
    mv "$chunk" "$chunk.qir"
    "$qatc" opt "$chunk.qir" -o "$out/qirb/$(basename "$chunk").qirb" 2>/dev/null || true
  done
done

/usr/bin/python3 - "$out/npz" <<'PY'
import sys, numpy as np
d = sys.argv[1]
arrays = {
    "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
    "f64": np.array([1.5, -2.0]),
    "i64": np.array([[1], [2]], dtype=np.int64),
    "i32": np.array([7], dtype=np.int32),
    "u8": np.arange(4, dtype=np.uint8),
    "i8": np.array([-1, 2], dtype=np.int8),
    "f16": np.array([0.5], dtype=np.float16),
    "b": np.array([True, False]),
    "scalar": np.float32(3.0),
    "empty": np.zeros((0, 2), dtype=np.float32),
}
np.savez(f"{d}/all.npz", **arrays)
np.savez_compressed(f"{d}/compressed.npz", x=arrays["f32"], y=arrays["i64"])
np.savez(f"{d}/fortran.npz", x=np.asfortranarray(arrays["f32"]))
np.save(f"{d}/single.npy", arrays["f32"])
np.save(f"{d}/big_endian.npy", arrays["f32"].astype(">f4"))
PY

for kind in float quantized8 quantized4; do
  "$make_package" --graph "$kind" "$tmp/$kind.qirb"
  for target in ios17 ios18; do
    # (4-bit weights need iOS18.)
    "$make_package" "$tmp/$kind.qirb" "$tmp/$kind-$target.mlpackage" "$target" 2>/dev/null ||
      continue
    /usr/bin/python3 - "$tmp/$kind-$target.mlpackage/Data/com.apple.CoreML" \
      "$out/mlpackage/$kind-$target" <<'PY'
import os, struct, sys
src, dst = sys.argv[1:3]
model = open(os.path.join(src, "model.mlmodel"), "rb").read()
weights_path = os.path.join(src, "weights", "weight.bin")
weights = open(weights_path, "rb").read() if os.path.exists(weights_path) else b""
open(dst, "wb").write(struct.pack("<I", len(model)) + model + weights)
PY
  done
done
ls -l "$out"/*
