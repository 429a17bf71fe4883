#!/usr/bin/env bash
# The bad-input catalogue, docs/bad-inputs.md, run as a test: every numbered
# row's command runs in a directory of fixtures under a 2 GB address-space
# limit and a timeout, and must exit 2 with exactly `qatc: error: ` and the
# row's error on stderr.
set -uo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "$root/tests/support/shtest.sh"
qatc="$root/tools/qatc"
py=/usr/bin/python3
work="${TEST_TMPDIR}/bad-inputs"
mkdir -p "$work"
cd "$work" || exit 1

# Fixtures: files from the generator, then the tiny model's graph, package
# and their damaged variants, and a shared library without the plugin entry.
$py "$root/tests/hardening/make_bad_inputs.py" . || exit 1
"$qatc" opt tiny.qir -o tiny.qirb && cp tiny.qirb binary.qir && head -c 60 tiny.qirb > truncated.qirb
"$qatc" prepare tiny.qirb -o tiny.prep.qirb
"$qatc" train tiny.prep.qirb --data data.npz --steps 4 --batch-size 8 -o tiny.qat.qirb 2>/dev/null
"$qatc" finalize tiny.qat.qirb -o tiny.mlpackage
$py "$root/tests/hardening/make_bad_inputs.py" --packages . "$root" || exit 1
printf 'int unrelated(void) { return 1; }\n' > no_entry.c && cc -shared -fPIC -o no_entry.so no_entry.c

# Sanitizer builds reserve terabytes of shadow memory, so they run without
# the address-space limit (their allocator still refuses huge requests), and
# LeakSanitizer must not list the suppressions it used on stderr.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}print_suppressions=0"
limit=2000000
if ! (ulimit -v "$limit"; "$qatc" --version) >/dev/null 2>&1; then
  limit=unlimited
  echo "note: qatc cannot start under ulimit -v (sanitizer build); running without the limit"
fi

# Rows of the catalogue as NUMBER<TAB>COMMAND<TAB>ERROR.
rows=$($py - "$root/docs/bad-inputs.md" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
    if len(cells) == 4 and cells[0].isdigit():
        command, error = (c.strip("`").replace("\\|", "|") for c in cells[2:])
        print(cells[0], command, error, sep="\t")
PY
)

catalogue_size() {
  local n
  n=$(printf '%s\n' "$rows" | grep -c .)
  echo "$n bad inputs in docs/bad-inputs.md"
  [ "$n" -ge 40 ] && [ "$(printf '%s\n' "$rows" | cut -f1 | sort -u | wc -l)" -eq "$n" ]
}
check "the catalogue lists at least 40 distinct numbered bad inputs" catalogue_size

# Runs COMMAND (starting with `qatc `) and compares exit code and stderr.
run_row() {
  local command=$1 error=$2 out rc
  out=$( (ulimit -v "$limit"; eval "timeout 60 \"\$qatc\" ${command#qatc }") 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 2 ] || [ "$out" != "qatc: error: $error" ]; then
    echo "exit $rc (expected 2)"
    echo "stderr:   $out"
    echo "expected: qatc: error: $error"
    return 1
  fi
}
while IFS=$'\t' read -r number command error; do
  check "#$number: $command" run_row "$command" "$error"
done <<< "$rows"

no_output() { ! ls out.* >/dev/null 2>&1 && ! ls .out.* >/dev/null 2>&1; }
check "no bad input left an output or a temporary" no_output
finish
