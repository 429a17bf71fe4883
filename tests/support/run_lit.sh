#!/usr/bin/env bash
# Runs the lit + FileCheck golden tests under `bazel test` (tools from llvm-16-tools).
set -euo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
exec /usr/bin/python3 /usr/lib/llvm-16/build/utils/lit/lit.py -sv \
  --xunit-xml-output="${XML_OUTPUT_FILE:-${TEST_TMPDIR}/lit.xml}" \
  --param qatc_bin_dir="${root}/tools" \
  "${root}/tests"
