# Helpers for shell tests run by `bazel test`: named checks that are counted
# one by one in $XML_OUTPUT_FILE (so the test runner reports each), and a
# summary at the end. Source it, call `check NAME COMMAND...`, end with `finish`;
# `check NAME fails_with EXPECTED COMMAND...` checks a refusal.

SHTEST_PASSED=0
SHTEST_FAILED=0
SHTEST_CASES=""

# Runs COMMAND; records NAME as passed or failed (the output of a failing
# command is shown).
check() {
  local name=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    SHTEST_PASSED=$((SHTEST_PASSED + 1))
    SHTEST_CASES+="<testcase name=\"${name//\"/&quot;}\"/>"$'\n'
    echo "PASS: $name"
  else
    SHTEST_FAILED=$((SHTEST_FAILED + 1))
    SHTEST_CASES+="<testcase name=\"${name//\"/&quot;}\"><failure message=\"failed\"/></testcase>"$'\n'
    echo "FAIL: $name"
    echo "$out" | head -40
  fi
}

# Runs COMMAND; succeeds when it refuses as qatc refuses bad input: exit
# status 2 and exactly one line on stderr, containing EXPECTED.
fails_with() {
  local expected=$1 err rc
  shift
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 2 ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] ||
    [[ "$err" != *"$expected"* ]]; then
    echo "exit $rc (wanted 2 and one line containing: $expected); stderr:"
    printf '%s\n' "$err"
    return 1
  fi
}

# Writes the JUnit file and exits non-zero if any check failed.
finish() {
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    {
      echo '<?xml version="1.0" encoding="UTF-8"?>'
      echo "<testsuites><testsuite name=\"${TEST_TARGET:-shtest}\" tests=\"$((SHTEST_PASSED + SHTEST_FAILED))\" failures=\"$SHTEST_FAILED\">"
      printf '%s' "$SHTEST_CASES"
      echo '</testsuite></testsuites>'
    } > "$XML_OUTPUT_FILE"
  fi
  echo "$SHTEST_PASSED passed, $SHTEST_FAILED failed"
  [ "$SHTEST_FAILED" -eq 0 ] && [ "$SHTEST_PASSED" -gt 0 ]
}
