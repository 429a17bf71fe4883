#!/usr/bin/env bash
# Pass plugins in the gcc-built qatc: the two examples (keep-ends-float, a
# prepare hook in C++; sub-relu-fusion, a backend fusion in C) built by gcc
# and by clang-16, plugin passes in pipelines, loading twice and together,
# what plugins link, and every refusal as one sentence with exit code 2.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
plugins="$root/tests/plugins"
inputs="$plugins/inputs"
model="$inputs/layers.qir"
tmp="${TEST_TMPDIR}"

keep_gcc="$plugins/libkeep_ends_float.so"
keep_clang="$plugins/libkeep_ends_float_clang.so"
fusion_gcc="$plugins/libsub_relu_fusion.so"
fusion_clang="$plugins/libsub_relu_fusion_clang.so"
rewrite="$plugins/librewrite.so"

# prepare MODEL with the given options; the graph goes to $tmp/out.qir and
# --explain to $tmp/explain.txt.
prepare() {
  "$qatc" prepare "$model" --explain -o "$tmp/out.qir" "$@" 2> "$tmp/explain.txt"
}

fake_quants() { grep -c ' = fake_quantize(' "$tmp/out.qir"; }

# Without plugins: c1+relu, c2, sub, relu, relu6, flatten, fc are all
# quantized: 8 activation + 3 weight fake quants.
baseline() {
  prepare && [ "$(fake_quants)" = 11 ] && grep -q '^prepare: d: sub (binary) quantized' "$tmp/explain.txt"
}
check "without plugins prepare quantizes every layer" baseline

# keep-ends-float: the first (c1) and last (fc) weighted layers stay float,
# c2 in between is quantized; 4 fake quants fewer (x, c1.weight, fc.weight,
# fc output).
keeps_ends_float() {
  prepare --load-pass-plugin="$1" &&
    grep -q "^prepare: c1: conv2d+relu (weighted) not quantized: kept in float by plugin 'keep-ends-float' (prepare hook 'keep-ends-float')" "$tmp/explain.txt" &&
    grep -q "^prepare: fc: linear (weighted) not quantized: kept in float by plugin 'keep-ends-float'" "$tmp/explain.txt" &&
    grep -q '^prepare: c2: conv2d (weighted) quantized by' "$tmp/explain.txt" &&
    ! grep -q 'c1.weight.fq = fake_quantize' "$tmp/out.qir" &&
    ! grep -q 'fc.weight.fq = fake_quantize' "$tmp/out.qir" &&
    grep -q 'c2.weight.fq = fake_quantize' "$tmp/out.qir" && [ "$(fake_quants)" = 7 ]
}
check "keep-ends-float (gcc, C++ wrapper) keeps the first and last layers float" keeps_ends_float "$keep_gcc"
check "keep-ends-float built by clang++-16 works in the gcc-built qatc" keeps_ends_float "$keep_clang"

# sub-relu-fusion: sub + relu become one pattern with one output fake quant
# (r2.fq, affine after the relu) instead of d.fq and r2.fq.
fuses_sub_relu() {
  prepare --load-pass-plugin="$1" &&
    grep -q '^prepare: d: sub+relu (binary) quantized by global_config' "$tmp/explain.txt" &&
    grep -q '^prepare: r2: fused into d (sub+relu)' "$tmp/explain.txt" &&
    ! grep -q '%d.fq = fake_quantize' "$tmp/out.qir" &&
    grep -q '%r2.fq = fake_quantize(%r2' "$tmp/out.qir" && [ "$(fake_quants)" = 10 ]
}
check "sub-relu-fusion (gcc, C) fuses sub + relu in prepare" fuses_sub_relu "$fusion_gcc"
check "sub-relu-fusion built by clang-16 fuses sub + relu in the gcc-built qatc" fuses_sub_relu "$fusion_clang"

# Both examples at once, each from a different compiler.
two_plugins() {
  prepare --load-pass-plugin="$keep_gcc" --load-pass-plugin "$fusion_clang" &&
    grep -q '^prepare: d: sub+relu (binary)' "$tmp/explain.txt" &&
    grep -q "^prepare: fc: linear (weighted) not quantized: kept in float" "$tmp/explain.txt" &&
    [ "$(fake_quants)" = 6 ]
}
check "two different plugins load together and both apply" two_plugins

# The same file twice (also through a symlink) loads once.
same_twice() {
  prepare --load-pass-plugin="$keep_gcc" && cp "$tmp/out.qir" "$tmp/once.qir" &&
    ln -sf "$keep_gcc" "$tmp/keep-link.so" &&
    prepare --load-pass-plugin="$keep_gcc" --load-pass-plugin="$keep_gcc" \
      --load-pass-plugin="$tmp/keep-link.so" &&
    cmp "$tmp/once.qir" "$tmp/out.qir" && [ "$(grep -c 'kept in float' "$tmp/explain.txt")" = 2 ]
}
check "loading the same plugin twice is the same as once" same_twice

# A different file with the same plugin name is refused.
same_name_refused() {
  ! prepare --load-pass-plugin="$keep_gcc" --load-pass-plugin="$keep_clang" &&
    [ "$(cat "$tmp/explain.txt")" = "qatc: error: pass plugin '$keep_clang' is named 'keep-ends-float' like the already loaded '$keep_gcc'; load only one of them" ]
}
check "a second plugin with a loaded plugin's name is refused" same_name_refused

# Hooks also run in the prepare pass of `qatc opt`.
hook_in_opt() {
  "$qatc" opt "$model" --passes=prepare --explain --load-pass-plugin="$keep_clang" \
    -o "$tmp/out.qir" 2> "$tmp/explain.txt" &&
    grep -q "^prepare: fc: linear (weighted) not quantized: kept in float" "$tmp/explain.txt" &&
    [ "$(fake_quants)" = 7 ]
}
check "prepare hooks apply to the prepare pass in qatc opt" hook_in_opt

# A plugin pass in a pipeline: relu6 -> clamp{min=0, max=6}, verified.
rewrite_pass() {
  "$qatc" opt "$model" --passes=relu6-to-clamp,dce --load-pass-plugin="$rewrite" \
    -o "$tmp/out.qir" &&
    grep -q '%clamp = clamp(%r2) {max = 6.0, min = 0.0} : f32\[1, 4, 8, 8\]' "$tmp/out.qir" &&
    grep -q '%f = flatten(%clamp)' "$tmp/out.qir" && ! grep -q relu6 "$tmp/out.qir"
}
check "a plugin pass creates, rewires and erases nodes in a pipeline" rewrite_pass

# A plugin pass's quantization decisions reach a later prepare.
decision_pass() {
  "$qatc" opt "$model" --passes=keep-binary-float,prepare --explain \
    --load-pass-plugin="$rewrite" -o "$tmp/out.qir" 2> "$tmp/explain.txt" &&
    grep -q "^prepare: d: sub (binary) not quantized: kept in float by plugin 'rewrite' (pass 'keep-binary-float')" "$tmp/explain.txt" &&
    grep -q '^prepare: c2: conv2d (weighted) quantized' "$tmp/explain.txt"
}
check "a plugin pass's quantization decision reaches prepare in the same pipeline" decision_pass

# The fused sub + relu survives the rest of the pipeline: calibrate, finalize
# and Core ML export; the package computes what the fake-quant graph does.
/usr/bin/python3 - "$model" "$tmp" <<'PY'
import sys
import numpy as np
model, out = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
text = open(model).read()
for name, shape, scale in [("c1.weight", (4, 1, 3, 3), 0.5), ("c2.weight", (4, 4, 3, 3), 0.2),
                           ("fc.weight", (10, 256), 0.05)]:
    data = (rng.standard_normal(shape) * scale).astype("<f4").tobytes().hex().upper()
    dims = ", ".join(map(str, shape))
    text = text.replace(f"param @{name} : f32[{dims}] = elided",
                        f"param @{name} : f32[{dims}] = dense<0x{data}>")
open(f"{out}/dense.qir", "w").write(text)
np.savez(f"{out}/data.npz", x=rng.standard_normal((8, 1, 8, 8)).astype("f4"),
         y=np.zeros(8, dtype="i8"))
np.save(f"{out}/x.npy", rng.standard_normal((1, 1, 8, 8)).astype("f4"))
PY
fused_deploys() {
  "$qatc" prepare "$tmp/dense.qir" --load-pass-plugin="$fusion_clang" -o "$tmp/prep.qirb" &&
    "$qatc" calibrate "$tmp/prep.qirb" --data "$tmp/data.npz" --batch-size 1 -o "$tmp/cal.qirb" &&
    "$qatc" finalize "$tmp/cal.qirb" -o "$tmp/deployed.mlpackage" &&
    "$qatc" run "$tmp/cal.qirb" --input "$tmp/x.npy" -o "$tmp/fake_quant.npz" &&
    "$qatc" run "$tmp/deployed.mlpackage" --input "$tmp/x.npy" -o "$tmp/deployed.npz" &&
    /usr/bin/python3 -c '
import sys, numpy as np
a, b = (list(np.load(p).values())[0] for p in sys.argv[1:])
sys.exit(0 if np.allclose(a, b, atol=1e-5) else "outputs differ by %g" % np.abs(a - b).max())
' "$tmp/fake_quant.npz" "$tmp/deployed.npz"
}
check "a plugin-fused sub + relu finalizes and deploys like its fake-quant graph" fused_deploys

# The C++ wrapper (clang++-16): createCall with attributes, setOperand,
# replaceAllUsesWith, erase, and exceptions turned into plugin errors.
wrapper="$plugins/libwrapper_clang.so"
wrapper_changes() {
  "$qatc" opt "$model" --passes=clamp-logits --load-pass-plugin="$wrapper" -o "$tmp/out.qir" &&
    grep -q '%logits.clamp = clamp(%fc) {max = 10.0, min = -10.0} : f32\[1, 10\]' "$tmp/out.qir" &&
    grep -q 'output(%logits.clamp)' "$tmp/out.qir" &&
    "$qatc" opt "$inputs/double_relu.qir" --passes=drop-double-relu --load-pass-plugin="$wrapper" \
      -o "$tmp/out.qir" &&
    grep -q 'output(%a)' "$tmp/out.qir" && ! grep -q '%b = ' "$tmp/out.qir"
}
check "C++ wrapper passes create, rewire and erase nodes" wrapper_changes

# Plugins link no LLVM or qatc library and need nothing exported by qatc:
# their undefined symbols all come from the C/C++ runtime.
links_nothing_of_qatc() {
  local so
  for so in "$keep_gcc" "$keep_clang" "$fusion_gcc" "$fusion_clang" "$rewrite" "$wrapper"; do
    readelf -d "$so" | grep NEEDED | grep -qiE 'llvm|qatc|LLVM' && return 1
    nm -D --undefined-only "$so" | grep -qiE 'qatc|llvm' && return 1
    [ "$(nm -D --defined-only "$so" | grep -c ' T ')" = 1 ] || return 1
    nm -D --defined-only "$so" | grep -q ' T qatcGetPluginInfo$' || return 1
  done
}
check "plugins export only qatcGetPluginInfo and link nothing of qatc or LLVM" links_nothing_of_qatc

# Refusals: `refused EXPECTED ARGS...` is fails_with (shtest.sh) on qatc ARGS.
refused() { fails_with "$1" "$qatc" "${@:2}"; }

check "a missing plugin file" refused \
  "qatc: error: cannot load pass plugin '$tmp/none.so': no such file; check the --load-pass-plugin path" \
  opt "$model" --passes=dce --load-pass-plugin="$tmp/none.so"
check "a file that is not a shared library" refused \
  "qatc: error: cannot load pass plugin '$inputs/not_a_plugin.txt': it is not a loadable shared library (" \
  opt "$model" --passes=dce --load-pass-plugin="$inputs/not_a_plugin.txt"
check "a directory" refused "it is a directory; give the plugin's .so file" \
  prepare "$model" --load-pass-plugin="$inputs"
check "no entry symbol" refused \
  "pass plugin '$plugins/libbroken_no_entry.so' does not export qatcGetPluginInfo; define it with QATC_PLUGIN_EXPORT" \
  opt "$model" --passes=dce --load-pass-plugin="$plugins/libbroken_no_entry.so"
check "another ABI version names both versions" refused \
  "pass plugin '$plugins/libbroken_abi.so' was built for qatc plugin ABI 3 but this qatc speaks ABI 1; rebuild it against this qatc's qatc_plugin.h" \
  opt "$model" --passes=dce --load-pass-plugin="$plugins/libbroken_abi.so"
check "a plugin info struct that is too small" refused \
  "pass plugin '$plugins/libbroken_size.so' declares its qatc_plugin_info as 8 bytes but ABI 1 needs 48 bytes" \
  prepare "$model" --load-pass-plugin="$plugins/libbroken_size.so"
check "a pass name that already exists" refused \
  "pass plugin '$plugins/libbroken_duplicate.so' registers pass 'dce', which is already registered; rename the plugin's pass" \
  opt "$model" --passes=dce --load-pass-plugin="$plugins/libbroken_duplicate.so"
check "a pass name that is not kebab-case" refused \
  "pass plugin '$plugins/libbroken_name.so': pass name 'Broken_Pass' is not kebab-case (lowercase letters, digits, '-')" \
  opt "$model" --passes=dce --load-pass-plugin="$plugins/libbroken_name.so"
check "a failing register callback" refused \
  "pass plugin '$plugins/libbroken_register.so' failed to register: its table of supported models is missing" \
  opt "$model" --passes=dce --load-pass-plugin="$plugins/libbroken_register.so"
check "a failing plugin pass names the plugin, the pass and its message" refused \
  "qatc: error: $inputs/sigmoid.qir: pass 'forbid-sigmoid' failed: plugin '$rewrite' reports: node 'gate' is a sigmoid, which this target cannot run" \
  opt "$inputs/sigmoid.qir" --passes=forbid-sigmoid --load-pass-plugin="$rewrite"
check "an exception in a C++ plugin pass becomes its error message" refused \
  "qatc: error: $model: pass 'throwing-pass' failed: plugin '$wrapper' reports: the wrapper turns this exception into an error" \
  opt "$model" --passes=throwing-pass --load-pass-plugin="$wrapper"
check "a prepare hook may not change the graph" refused \
  "prepare hook 'change-in-hook' of plugin '$plugins/libbroken_hook.so' failed: erase_node cannot change the graph in a prepare hook; register a pass instead" \
  prepare "$model" --load-pass-plugin="$plugins/libbroken_hook.so"
check "a plugin pass is unknown without its plugin" refused "unknown pass 'relu6-to-clamp'" \
  opt "$model" --passes=relu6-to-clamp

finish
