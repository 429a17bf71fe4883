#!/usr/bin/env bash
# Placement parity with coremltools' LinearQuantizer.prepare (default config,
# symmetric mode): exports each model with tools/fixtures/export_models.py,
# imports the batch-norm-preserving ONNX, the BN-folded ONNX and the traced
# TorchScript export, prepares each and checks the number of activation and
# weight fake quants and their schemes against the figures derived below from
# spec §2.5-2.7 (coremltools is not installed, so the figures are derived,
# not measured). Counted two ways:
#   nodes:  fake_quantize nodes by scheme (coremltools: FQ call sites);
#   states: distinct observer states (coremltools: FQ module instances).
# docs/prepare.md lists where states deliberately differ from coremltools.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
work="${TEST_TMPDIR}"

# model: sites unique symmetric affine fixed weight | nodes: symmetric affine fixed
#
# seed: Sequential(Conv2d(1,20,3), ReLU, Conv2d(20,20,3), ReLU). Two ConvReLU2d.
#   input (sym) + 2 conv+relu outputs (affine); 2 weights.
# digits: conv1-bn1-relu1, conv2-bn2-relu2 (ConvBnReLU2d), maxpool, flatten, fc.
#   input (sym), relu1 (aff), relu2 (aff) + pool and flatten sharing relu2's
#   state (2 aff nodes), fc (sym): 6 nodes, 4 states; 3 weights.
# resnet18: stem ConvBnReLU (aff) + maxpool (shared); 8 BasicBlocks, each
#   conv1-bn1-relu (aff), conv2-bn2 (sym), add->relu (aff), plus 3 downsample
#   conv-bn (sym); avgpool + flatten (shared with the last add-relu); fc (sym);
#   input (sym). Nodes 1+1+1+24+3+1+1+1 = 33, states 30 (3 shared);
#   affine states 1+8+8 = 17, symmetric 1+8+3+1 = 13; affine nodes 17+3 = 20.
#   Weights: 20 convs + fc = 21.
# resnet50: 16 Bottlenecks, each conv1-bn1-relu (aff), conv2-bn2-relu (aff),
#   conv3-bn3 (sym), add->relu (aff), plus 4 downsample conv-bn (sym).
#   Nodes 1+1+1+64+4+1+1+1 = 74, states 71; affine states 1+48 = 49,
#   symmetric 1+16+4+1 = 22; affine nodes 49+3 = 52. Weights 53 convs + fc = 54.
# mobilenet_v2: features[0] conv-bn-relu6 (aff); block 1 (t=1) dw-relu6 (aff),
#   pw-linear (sym); 16 blocks pw-relu6 (aff), dw-relu6 (aff), pw-linear
#   (sym); 10 residual adds (sym: a pw-linear input is signed); features[18]
#   conv-bn-relu6 (aff) + adaptive_avg_pool2d and flatten sharing it;
#   dropout (its fake quant is removed; the importers drop it); fc (sym).
#   Nodes 1+1+2+48+10+1+2+1 = 66, states 64; affine states 1+1+32+1 = 35,
#   symmetric 1+1+16+10+1 = 29; affine nodes 35+2 = 37. Weights 52 convs + fc.
# mobilenet_v3_large: features[0] conv-bn-hardswish (sym); 15 inverted
#   residuals: expand (if any) and depthwise conv-bn-act (relu: aff,
#   hardswish: sym), SE in 8 blocks (avgpool sharing the depthwise state,
#   fc1 conv+relu aff, fc2 conv+hardsigmoid fixed 1/256, mul sym because
#   the fixed state of a fused activation does not count as affine), project
#   conv-bn (sym), 6 residual adds (sym); features[16] conv-bn-hardswish (sym)
#   + avgpool and flatten sharing it; classifier linear+hardswish (sym),
#   dropout (removed), linear (sym). Nodes 93, states 83 (10 shared);
#   affine states: the relu expand/depthwise convs of blocks 1-6 (1+2+2+3*2 =
#   11) and the 8 SE fc1 conv+relu = 19; fixed 8; symmetric 83-19-8 = 56;
#   affine nodes 19 + 3 SE avgpools in relu blocks = 22; symmetric nodes 56 +
#   5 SE avgpools in hardswish blocks + final avgpool + flatten = 63.
#   Weights 62 convs + 2 linear = 64.
# shufflenet_v2_x1_0: stem ConvBnReLU (aff) + maxpool (shared); stride-2
#   blocks: [input fake quant unless the input is already quantized],
#   branch1 dw-bn (sym), pw-bn-relu (aff), branch2 pw-bn-relu (aff), dw-bn
#   (sym), pw-bn-relu (aff), cat (all inputs affine: one affine state with
#   both branch outputs); stride-1 blocks (13): chunk (float), input fake
#   quants on x2 and x1 (sym), branch2 (aff, sym, aff), cat of x1 (signed)
#   and branch2: the cat's state stays symmetric; channel shuffle (reshape,
#   transpose: float); conv5 input fake quant (sym) + conv-bn-relu (aff);
#   x.mean([2, 3]) (float: coremltools matches torch.mean only); fc input
#   (sym) and output (sym). Nodes 3+6+13*6+2*7+2+2 = 105, states 72;
#   affine states 1+2+13+2*2+1 = 21, symmetric 1+2+13*3+2*3+3 = 51;
#   nodes: symmetric 77, affine 28. coremltools gives each of the 3 stride-2
#   cats' second affine input its own instance when it applies the affine
#   replacements (75 instances, 24 affine); qatc keeps one state per cat
#   (docs/prepare.md). Weights 56 convs + fc = 57.
expectations="
seed 3 3 1 2 0 2 1 2 0
digits 6 4 2 2 0 3 2 4 0
resnet18 33 30 13 17 0 21 13 20 0
resnet50 74 71 22 49 0 54 22 52 0
mobilenet_v2 66 64 29 35 0 53 29 37 0
mobilenet_v3_large 93 83 56 19 8 64 63 22 8
shufflenet_v2_x1_0 105 72 51 21 0 57 77 28 0
"

input_shape() {
  case $1 in
    seed) echo "input=1x1x20x20" ;;
    digits) echo "x=1x1x8x8" ;;
    *) echo "x=1x3x224x224" ;;
  esac
}

# Prepares an imported graph and compares its census with the expectation.
parity() {
  local model=$1 format=$2 sites=$3 unique=$4 sym=$5 aff=$6 fixed=$7 weight=$8
  local nsym=$9 naff=${10} nfixed=${11}
  local base="$work/$model.$format"
  "$qatc" import "$base" -o "$base.qir" --input-shape "$(input_shape "$model")" --elide-params ||
    return 1
  "$qatc" prepare "$base.qir" -o "$base.prepared.qir" --elide-params || return 1
  local want got
  want="{\"activation_affine\":$aff,\"activation_fixed\":$fixed,\"activation_sites\":$sites,"
  want+="\"activation_symmetric\":$sym,\"activation_unique\":$unique,\"weight\":$weight}"
  got=$("$qatc" stats "$base.prepared.qir" | sed -n 's/.*"fake_quant":\({[^}]*}\).*/\1/p')
  [ "$got" = "$want" ] || { echo "states: got $got, want $want"; return 1; }
  # Activation fake quants have no axis; fixed ones no observer attribute.
  local acts
  acts=$(grep ' = fake_quantize(' "$base.prepared.qir" | grep -v 'axis = ')
  got="$(grep -c 'scheme = "symmetric"' <<< "$acts") $(grep 'observer = ' <<< "$acts" |
    grep -vc 'scheme = "symmetric"') $(grep -vc 'observer = ' <<< "$acts")"
  [ "$got" = "$nsym $naff $nfixed" ] ||
    { echo "nodes (symmetric affine fixed): got $got, want $nsym $naff $nfixed"; return 1; }
}

while read -r model rest; do
  [ -n "$model" ] || continue
  # Sanitized builds (QATC_SANITIZED=1, --config=asan) skip the largest
  # export; resnet18 covers its block structure.
  [ "${QATC_SANITIZED:-0}" = 1 ] && [ "$model" = resnet50 ] && continue
  /usr/bin/python3 "$root/tools/fixtures/export_models.py" --out "$work" --models "$model" \
    > "$work/export.log" 2>&1 || { cat "$work/export.log"; exit 1; }
  for format in bn.onnx onnx pt; do
    # shellcheck disable=SC2086
    check "prepare parity $model.$format" parity "$model" "$format" $rest
  done
  rm -f "$work/$model".{onnx,bn.onnx,pt} "$work/$model".*.qir
done <<< "$expectations"
finish
