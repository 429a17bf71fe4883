#!/usr/bin/env bash
# Checks print(parse(print(g))) == print(g), in text and in binary, for every
# graph of every .qir file in the repository's tests and examples.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
tmp="${TEST_TMPDIR}"

# Text: what --split-input-file prints (negative cases print nothing) must be
# a fixed point.
text_fixed_point() {
  "$qatc" opt --split-input-file "$tmp/p1.qir" > "$tmp/p2.qir" && diff "$tmp/p1.qir" "$tmp/p2.qir"
}

# Binary: each printed graph through .qirb and back prints the same.
binary_round_trip() {
  local chunk=$1
  "$qatc" opt "$chunk" -o "$tmp/g.qirb" && "$qatc" opt "$tmp/g.qirb" > "$tmp/g.qir" &&
    cmp "$chunk" "$tmp/g.qir"
}

while IFS= read -r -d '' file; do
  "$qatc" opt --split-input-file "$file" > "$tmp/p1.qir" 2>/dev/null || true
  [ -s "$tmp/p1.qir" ] || continue
  name=${file#"$root"/}
  check "text round trip $name" text_fixed_point
  rm -f "$tmp"/chunk*
  csplit -s -z -f "$tmp/chunk" "$tmp/p1.qir" '/^\/\/ -----$/' '{*}' 2>/dev/null || cp "$tmp/p1.qir" "$tmp/chunk00"
  for chunk in "$tmp"/chunk*; do
    grep -v '^// -----$' "$chunk" > "$chunk.qir" || true
    [ -s "$chunk.qir" ] && check "binary round trip $name $(basename "$chunk")" binary_round_trip "$chunk.qir"
    rm -f "$chunk" "$chunk.qir"
  done
done < <(find -L "$root/tests" "$root/tools/examples" -name '*.qir' -print0 | sort -z)
finish
