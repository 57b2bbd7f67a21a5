#!/usr/bin/env bash
# Golden cases: each folder under tests/golden/cases/ is one estate run
# through the real cmkctl binary (the real loader, the real sandbox), and
# everything a user reads is compared byte for byte with the files beside it:
#   plan.txt, plan.md, plan.json   `plan` in the three formats
#   apply.txt                      `apply --auto-approve` (plan, progress, report)
#   show.txt                       `show` after the apply
#   report.html                    `report` after the apply (the HTML page)
#   replan.txt                     `plan` after the apply (convergence)
# A case's steps are in its `case.conf`, one per line, paths relative to the
# repository root:
#   clock TIME          start the sandbox's simulated clock (required first)
#   seed FILE           cmkctl sandbox seed FILE
#   apply DIR           an earlier apply that sets the scene (not compared)
#   advance DURATION    cmkctl sandbox clock advance DURATION
#   manifests DIR       the manifests the case plans, applies and shows (last)
# The sandbox directory and the checkout's absolute path are written as
# $SANDBOX and $SRC so that the files do not depend on where they ran.
#
# Usage: run.sh CMKCTL SOURCE_DIR [CASE...]
# CMK_UPDATE_GOLDEN=1 rewrites the expected files instead: review the diff.
set -uo pipefail
cmkctl=$(realpath "${1:?usage: run.sh CMKCTL SOURCE_DIR [CASE...]}")
src=$(realpath "${2:?usage: run.sh CMKCTL SOURCE_DIR [CASE...]}")
shift 2
cases_dir=$src/tests/golden/cases
# The cases run on the sandbox they name, in CI (CI=true) too, where plan and
# apply refuse a target nobody chose.
export CMKCTL_TARGET=sandbox
work=$(mktemp -d /tmp/cmk-golden-XXXXXX)
trap 'rm -rf "$work"' EXIT
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  for d in "$cases_dir"/*/; do cases+=("$(basename "$d")"); done
fi
failed=0
checked=0

# Runs cmkctl on the case's sandbox from the repository root; stdout and
# stderr both, as a user sees them, with the exit code on a last line.
cmk() {
  (cd "$src" && "$cmkctl" --sandbox "$sb" "$@" 2>&1 </dev/null; echo "[exit $?]") |
    sed -e "s#$sb#\$SANDBOX#g" -e "s#$src#\$SRC#g"
}

compare() {  # compare CASE NAME < actual
  local expected=$cases_dir/$1/$2
  checked=$((checked + 1))
  if [ -n "${CMK_UPDATE_GOLDEN:-}" ]; then
    cat >"$expected"
    return
  fi
  if ! diff -u --label "$1/$2 (expected)" --label "$1/$2 (actual)" "$expected" - >"$work/diff"; then
    echo "FAIL: $1/$2 differs from the golden file (CMK_UPDATE_GOLDEN=1 rewrites it):" >&2
    head -60 "$work/diff" >&2
    failed=$((failed + 1))
  fi
}

for case in "${cases[@]}"; do
  conf=$cases_dir/$case/case.conf
  [ -f "$conf" ] || { echo "no such case: $case ($conf)" >&2; failed=$((failed + 1)); continue; }
  sb=$work/$case/sandbox
  mkdir -p "$work/$case"
  manifests=
  clock=
  while read -r verb arg; do
    case "$verb" in
      ''|'#'*) continue ;;
      clock) clock=$arg; out=$(cmk sandbox clock set "$arg") ;;
      seed) out=$(cmk sandbox seed "$arg") ;;
      apply) out=$(cmk apply -f "$arg" --auto-approve) ;;
      advance) out=$(cmk sandbox clock advance "$arg") ;;
      manifests) manifests=$arg; continue ;;
      *) echo "$case: unknown step '$verb'" >&2; failed=$((failed + 1)); continue 2 ;;
    esac
    if [ -z "$clock" ]; then
      echo "$case: the first step must be 'clock TIME' (outputs must not depend on today)" >&2
      failed=$((failed + 1))
      continue 2
    fi
    if ! tail -1 <<<"$out" | grep -q '^\[exit 0\]$'; then
      echo "$case: step '$verb $arg' failed:" >&2
      echo "$out" >&2
      failed=$((failed + 1))
      continue 2
    fi
  done <"$conf"
  [ -n "$manifests" ] || { echo "$case: no 'manifests DIR' step" >&2; failed=$((failed + 1)); continue; }
  # Process substitution, not a pipe: compare must count in this shell.
  compare "$case" plan.txt < <(cmk plan -f "$manifests")
  compare "$case" plan.md < <(cmk plan -f "$manifests" --format markdown)
  compare "$case" plan.json < <(cmk plan -f "$manifests" --format json)
  compare "$case" apply.txt < <(cmk apply -f "$manifests" --auto-approve)
  compare "$case" show.txt < <(cmk show -f "$manifests")
  compare "$case" report.html < <(cmk report -f "$manifests")
  compare "$case" replan.txt < <(cmk plan -f "$manifests")
done

if [ -n "${CMK_UPDATE_GOLDEN:-}" ]; then
  echo "rewrote $checked golden files in ${#cases[@]} case(s); review them with git diff"
  exit 0
fi
echo "$checked golden files checked in ${#cases[@]} case(s), $failed failed"
[ "$failed" -eq 0 ]
