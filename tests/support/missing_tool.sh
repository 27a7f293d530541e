# Sourced by the suite's shell tests. A missing outside tool FAILS the test (exit 1): a skip
# would let a feature go untested while the run looks green. scripts/setup-debian.sh --test
# installs every tool the suite uses; on a developer's partial machine, VIGIL_ALLOW_SKIPS=1
# turns the failure into a skip (exit 77, ctest's SKIP_RETURN_CODE).
#   missing_tool "promtool"
missing_tool() {
  if [[ -n "${VIGIL_ALLOW_SKIPS:-}" && "${VIGIL_ALLOW_SKIPS}" != 0 ]]; then
    echo "$1 is not installed: skipped (VIGIL_ALLOW_SKIPS is set)"
    exit 77
  fi
  echo "$1 is not installed; install the test tools with scripts/setup-debian.sh --test" \
    "(or set VIGIL_ALLOW_SKIPS=1 to skip such tests on a partial machine)"
  exit 1
}
