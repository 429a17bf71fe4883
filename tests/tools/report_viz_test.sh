#!/usr/bin/env bash
# qatc report and qatc viz end to end: the digits CNN is trained in float for
# a few epochs, prepared and calibrated with `qatc calibrate`, and reported on
# the test digits (Markdown, JSON and an HTML page with an SVG chart); a
# prepared graph whose observers never ran gets its activation fake quants
# flagged; float and finalized graphs are refused with what to run. viz draws
# the prepared seed model and the finalized digits CNN with Graphviz
# (/usr/bin/dot, Debian package graphviz), quantization nodes highlighted.
set -uo pipefail
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/runtime/digits_setup.sh"

"$qatc" train "$work/float.qirb" --data "$work/digits_train.npz" --epochs 4 --batch-size 32 \
  --lr 0.05 --momentum 0.9 --seed 1 --threads 1 -o "$work/trained.qirb" >/dev/null 2>&1
"$qatc" prepare "$work/trained.qirb" -o "$work/prepared.qirb"
"$qatc" calibrate "$work/prepared.qirb" --data "$work/digits_train.npz" \
  -o "$work/calibrated.qirb" 2>/dev/null
"$qatc" finalize "$work/calibrated.qirb" -o "$work/final.qirb" >/dev/null 2>&1

markdown_table() {
  "$qatc" report "$work/calibrated.qirb" --data "$work/digits_test.npz" > "$work/report.md" || return 1
  cat "$work/report.md"
  $py - "$work/report.md" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].startswith("| layer | fake quant | kind | scale | zero point | observed range | SQNR (dB)"), lines[0]
rows = [l.split("|")[1:-1] for l in lines[2:] if l.startswith("| ")]
assert len(rows) == 9, rows
kinds = [r[2].strip() for r in rows]
assert kinds.count("weight") == 3 and kinds.count("input") == 1 and kinds.count("activation") == 5, kinds
layers = [r[0].strip() for r in rows]
assert layers[:3] == ["x", "conv1", "relu1"], layers
for r in rows:
    assert r[5].strip().startswith("["), r  # every observer saw data
    assert 20 < float(r[6]) < 80, r          # calibrated: nothing under 20 dB
    assert r[8].strip() == "", r
assert "(16 ch)" in rows[1][3], rows[1]      # per-channel conv1 weight scales
assert any(l.startswith("0 of 9 fake quants under 20 dB") for l in lines), lines
assert any(l.startswith("Output SQNR") and "over 360 samples" in l for l in lines), lines
PY
}
check "report: one Markdown row per fake quant with qparams, range and SQNR" markdown_table

json_report() {
  "$qatc" report "$work/calibrated.qirb" --data "$work/digits_test.npz" --json --threshold-db 45 \
    > "$work/report.json" || return 1
  $py - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["samples"] == 360 and r["threshold_db"] == 45, r
fq = r["fake_quants"]
assert len(fq) == 9, fq
for f in fq:
    assert f["flagged"] == (f["sqnr_db"] < 45), f
    assert f["observed_min"] <= f["observed_max"], f
    assert len(f["scale"]) == len(f["zero_point"]) >= 1, f
assert r["flagged"] == sum(f["flagged"] for f in fq) > 0, r
w = [f for f in fq if f["kind"] == "weight"]
assert [f["layer"] for f in w] == ["conv1", "conv2", "fc"], w
assert all(f["quant_min"] == -128 and f["quant_max"] == 127 for f in w), w
assert r["outputs"][0]["sqnr_db"] > 20, r["outputs"]
PY
}
check "report --json --threshold-db: the threshold decides the flags" json_report

html_page() {
  rm -f "$work"/.report.html.tmp* "$work/report.html"
  "$qatc" report "$work/calibrated.qirb" --data "$work/digits_test.npz" \
    --html "$work/report.html" > /dev/null 2>&1 || return 1
  $py - "$work/report.html" <<'PY'
import sys, xml.etree.ElementTree as ET
html = open(sys.argv[1]).read()
assert html.startswith("<!DOCTYPE html>"), html[:40]
assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
svg = html[html.index("<svg"):html.index("</svg>") + 6]
root = ET.fromstring(svg)  # well-formed SVG
ns = "{http://www.w3.org/2000/svg}"
bars = [e for e in root.iter(ns + "rect")]
assert len(bars) == 9, len(bars)
assert all(b.get("class") == "ok" for b in bars)
assert len([e for e in root.iter(ns + "line") if e.get("class") == "threshold"]) == 1
assert html.count("<tr") == 10
PY
  # Written atomically: no temporary left beside it.
  [ "$(ls -A "$work" | grep -c 'report.html')" -eq 1 ]
}
check "report --html: a self-contained page with an SVG bar per fake quant" html_page

uncalibrated_flagged() {
  "$qatc" report "$work/prepared.qirb" --data "$work/digits_test.npz" --json > "$work/raw.json" || return 1
  $py - "$work/raw.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for f in r["fake_quants"]:
    # Observers never ran: scale 1, zero point 0, no range; activations collapse.
    if f["kind"] != "weight":
        assert f["observed_min"] is None and f["scale"] == [1.0], f
        assert f["flagged"], f
print(r["flagged"], "of", len(r["fake_quants"]), "flagged")
assert r["flagged"] >= 6
PY
  "$qatc" report "$work/prepared.qirb" --data "$work/digits_test.npz" | grep -F "| relu1 | relu1.fq | activation | 1 | 0 | not observed |" | grep -qF "**under 20 dB**"
}
check "report: an uncalibrated prepared graph (scale 1, no range) is flagged" uncalibrated_flagged

refusals() {
  fails_with "float.qirb: the graph has no fake_quantize nodes; the report needs a prepared graph" \
    "$qatc" report "$work/float.qirb" --data "$work/digits_test.npz" || return 1
  fails_with "the graph is finalized" \
    "$qatc" report "$work/final.qirb" --data "$work/digits_test.npz" || return 1
  $py -c "import numpy as np; np.savez('$work/other.npz', a=np.zeros((2, 1, 8, 8), np.float32), b=np.zeros(2))"
  fails_with "has no array for graph input 'x'; name it 'x'" \
    "$qatc" report "$work/calibrated.qirb" --data "$work/other.npz" || return 1
  fails_with "--html must name an .html file" \
    "$qatc" report "$work/calibrated.qirb" --data "$work/digits_test.npz" --html "$work/r.txt" || return 1
  [ ! -e "$work/r.txt" ]
}
check "report refuses float and finalized graphs and bad data in one sentence" refusals

viz_seed() {
  "$qatc" prepare "$root/tools/examples/seed.qir" -o "$work/seed_prepared.qir" || return 1
  local fq
  fq=$(grep -c "= fake_quantize(" "$work/seed_prepared.qir")
  "$qatc" viz "$work/seed_prepared.qir" -o "$work/seed.svg" 2>/dev/null || return 1
  "$qatc" viz "$work/seed_prepared.qir" -o "$work/seed.dot" 2>/dev/null || return 1
  $py - "$work/seed.svg" "$work/seed.dot" "$fq" <<'PY'
import sys, xml.etree.ElementTree as ET
svg, dot, fq = open(sys.argv[1]).read(), open(sys.argv[2]).read(), int(sys.argv[3])
root = ET.fromstring(svg)
ns = "{http://www.w3.org/2000/svg}"
nodes = [g for g in root.iter(ns + "g") if g.get("class") == "node"]
# Fake quant boxes are filled orange; the legend adds one more.
orange = [g for g in nodes if any(p.get("fill") == "#ffc078" for p in g.iter(ns + "path"))]
assert fq >= 4 and len(orange) == fq + 1, (fq, len(orange))
texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
for want in ["fake_quantize", "conv1.weight.fq", "conv2d", "f32[20, 1, 3, 3]", "legend", "dequantize"]:
    assert want in texts, want
assert dot.startswith('digraph "seed" {') and dot.count("fillcolor=\"#ffc078\"") == fq + 1
# Scales and observer state are left out by default.
assert ".scale" not in dot and ".min_val" not in dot
PY
}
check "viz: the prepared seed model as SVG and DOT, fake quants highlighted" viz_seed

viz_finalized() {
  "$qatc" viz "$work/final.qirb" -o "$work/final.svg" 2>/dev/null || return 1
  grep -q 'fill="#74c0fc"' "$work/final.svg" && grep -q 'fill="#8ce99a"' "$work/final.svg" &&
    grep -q '>quantize<' "$work/final.svg"
}
check "viz: a finalized graph shows its quantize/dequantize nodes" viz_finalized

viz_errors() {
  fails_with "Graphviz's '/nonexistent/dot' program was not found; install Graphviz" \
    "$qatc" viz "$work/seed_prepared.qir" -o "$work/missing.svg" --dot-program /nonexistent/dot ||
    return 1
  [ ! -e "$work/missing.svg" ] || return 1
  fails_with "-o must name a .svg, .png, .pdf or .dot file" \
    "$qatc" viz "$work/seed_prepared.qir" -o "$work/graph.txt" || return 1
  # A Graphviz that fails leaves no output behind.
  printf '#!/bin/sh\necho "syntax error in line 1" >&2\nexit 1\n' > "$work/bad_dot"
  chmod +x "$work/bad_dot"
  fails_with "failed drawing $work/bad.svg: syntax error in line 1" \
    "$qatc" viz "$work/seed_prepared.qir" -o "$work/bad.svg" --dot-program "$work/bad_dot" || return 1
  [ ! -e "$work/bad.svg" ]
}
check "viz: a missing or failing Graphviz is one sentence and writes nothing" viz_errors

finish
