#!/usr/bin/env bash
# Installs every Debian 12 package qatc needs to build, test and benchmark (idempotent; no other downloads).
set -euo pipefail

PACKAGES=(
  # Build: Bazel 4.2.3 and its platforms repository.
  bazel-bootstrap bazel-platforms
  # Compilers and toolchain pieces.
  g++ clang-16 libclang-rt-16-dev libfuzzer-16-dev
  # OpenMP for clang-16: the runtime compiled into the libFuzzer targets.
  libomp-16-dev
  # LLVM ADT/Support, FileCheck and lit.
  llvm-16-dev llvm-16-tools
  # Serialization and test framework.
  libprotobuf-dev protobuf-compiler catch2
  # Frontends: ONNX protobufs (+ conformance data) and libtorch for TorchScript.
  libonnx-dev libonnx-testdata libtorch-dev
  # Kernels.
  libdnnl-dev libopenblas-dev
  # Archives (.npz, .pt).
  libzip-dev zlib1g-dev libtinfo-dev
  # Fixtures and reference numbers.
  python3 python3-numpy python3-torch python3-torchvision python3-onnx python3-sklearn python3-yaml
  # Graph pictures.
  graphviz
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${#missing[@]} Debian package(s): ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
