#!/usr/bin/env bash
# Checks print(parse(print(g))) == print(g), in text and in binary, for every
# graph of every .qir file in the repository's tests and examples.
set -euo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
qatc="${root}/tools/qatc"
tmp="${TEST_TMPDIR}"
checked=0
failed=0
while IFS= read -r -d '' file; do
  # Negative cases print nothing; what prints must be a fixed point.
  "$qatc" opt --split-input-file "$file" > "$tmp/p1.qir" 2>/dev/null || true
  [ -s "$tmp/p1.qir" ] || continue
  "$qatc" opt --split-input-file "$tmp/p1.qir" > "$tmp/p2.qir"
  if ! cmp -s "$tmp/p1.qir" "$tmp/p2.qir"; then
    echo "FAIL text round trip: $file"; diff "$tmp/p1.qir" "$tmp/p2.qir" | head -20; failed=$((failed + 1))
  fi
  # Binary: graph by graph.
  csplit -s -z -f "$tmp/chunk" "$tmp/p1.qir" '/^\/\/ -----$/' '{*}' 2>/dev/null || cp "$tmp/p1.qir" "$tmp/chunk00"
  for chunk in "$tmp"/chunk*; do
    grep -v '^// -----$' "$chunk" > "$chunk.qir" || true
    if [ -s "$chunk.qir" ]; then
      "$qatc" opt "$chunk.qir" -o "$tmp/g.qirb"
      "$qatc" opt "$tmp/g.qirb" > "$tmp/g.qir"
      if ! cmp -s "$chunk.qir" "$tmp/g.qir"; then
        echo "FAIL binary round trip: $file"; failed=$((failed + 1))
      fi
      checked=$((checked + 1))
    fi
    rm -f "$chunk" "$chunk.qir"
  done
done < <(find -L "$root/tests" "$root/tools/examples" -name '*.qir' -print0 | sort -z)
echo "round-tripped $checked graphs; $failed failures"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
