#!/usr/bin/env bash
# The fleet benchmark: how cmkctl's cost grows with the size of an estate.
#
# For each size (vaults; 47 documents per vault, see generate.sh) on a fresh
# in-process sandbox whose simulated clock starts at 2026-01-01: seed,
# validate, plan from empty, apply, no-change plan, show, verify (twice: the
# sandbox makes a key version's material on its first use, so the first
# verify of a new estate pays RSA generation for every version it probes),
# `sandbox clock advance P1Y` + plan, and a one-year rehearsal at a monthly
# step.
# Prints wall time and peak RSS per step, then the growth factor per
# doubling between consecutive sizes ((t2/t1)^(1/log2(n2/n1))). A step that
# runs past STEP_TIMEOUT seconds is reported as such and ends that size.
# Figures to read, not a pass/fail test.
#
# Usage: fleet_bench.sh CMKCTL MEASURE [SIZES="20 50 100 200"]
#   env: STEP_TIMEOUT (default 900), KEEP=1 keeps the work directory.
set -uo pipefail
cmkctl=$(realpath "${1:?usage: fleet_bench.sh CMKCTL MEASURE [SIZES]}")
measure=$(realpath "${2:?usage: fleet_bench.sh CMKCTL MEASURE [SIZES]}")
sizes=${3:-20 50 100 200}
timeout_s=${STEP_TIMEOUT:-900}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/cmk-fleet-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
results=$work/results.tsv  # size step seconds kib exit

steps=(seed validate plan-empty apply plan-nochange show verify verify-again advance-P1Y plan-after-P1Y rehearse-P1Y-P1M)

run_step() {  # run_step SIZE STEP EXPECTED_EXITS... -- ARGS...
  local size=$1 step=$2
  shift 2
  local ok=()
  while [ "$1" != "--" ]; do ok+=("$1"); shift; done
  shift
  timeout "$timeout_s" "$measure" "$cmkctl" --sandbox "$sb" --target sandbox "$@" >"$work/out" 2>"$work/err" </dev/null
  local line
  line=$(grep '^measure: ' "$work/err" | tail -1)
  local secs kib code
  secs=$(sed -n 's/^measure: wall \([0-9.]*\) s.*/\1/p' <<<"$line")
  kib=$(sed -n 's/.*peak rss \([0-9]*\) KiB.*/\1/p' <<<"$line")
  code=$(sed -n 's/.*exit \([0-9]*\)$/\1/p' <<<"$line")
  if [ -z "$line" ]; then
    echo -e "$size\t$step\ttimeout\t-\t-" >>"$results"
    printf '  %-18s timed out after %s s\n' "$step" "$timeout_s"
    return 1
  fi
  echo -e "$size\t$step\t$secs\t$kib\t$code" >>"$results"
  printf '  %-18s %9.2f s %9.1f MiB  exit %s\n' "$step" "$secs" "$(awk -v k="$kib" 'BEGIN{print k/1024}')" "$code"
  for e in "${ok[@]}"; do [ "$code" = "$e" ] && return 0; done
  echo "  $step: unexpected exit $code; last lines of stderr:" >&2
  grep -v '^measure: ' "$work/err" | tail -5 >&2
  return 1
}

for size in $sizes; do
  dir=$work/fleet-$size
  sb=$dir/sandbox
  "$here/generate.sh" "$size" "$dir"
  docs=$(cat "$dir"/manifests/*.yaml | grep -c '^kind:')
  echo "== $size vaults ($docs documents)"
  "$cmkctl" --sandbox "$sb" sandbox clock set 2026-01-01T00:00:00Z >/dev/null
  m=$dir/manifests
  run_step "$size" seed 0 -- sandbox seed "$dir/sandbox-seed.yaml" &&
    run_step "$size" validate 0 -- validate -f "$m" &&
    run_step "$size" plan-empty 0 -- plan -f "$m" &&
    run_step "$size" apply 0 -- apply -f "$m" --auto-approve &&
    run_step "$size" plan-nochange 0 -- plan -f "$m" --detailed-exitcode &&
    run_step "$size" show 0 -- show -f "$m" &&
    run_step "$size" verify 0 -- verify -f "$m" &&
    run_step "$size" verify-again 0 -- verify -f "$m" &&
    run_step "$size" advance-P1Y 0 -- sandbox clock advance P1Y &&
    run_step "$size" plan-after-P1Y 0 2 -- plan -f "$m" --detailed-exitcode &&
    run_step "$size" rehearse-P1Y-P1M 0 -- rehearse -f "$m" --until P1Y --step P1M
  rm -rf "$sb"
done

echo
echo "growth per doubling (time), between consecutive sizes:"
awk -F'\t' -v steps="${steps[*]}" '
  { t[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  END {
    split(steps, s, " ")
    printf "  %-18s", "step"
    for (i = 1; i < n; i++) printf " %9s", order[i - 1] "->" order[i]
    printf "\n"
    for (j = 1; j in s; j++) {
      printf "  %-18s", s[j]
      for (i = 1; i < n; i++) {
        a = t[order[i - 1], s[j]]; b = t[order[i], s[j]]
        if (a == "" || b == "" || a == "timeout" || b == "timeout" || a <= 0) { printf " %9s", "-"; continue }
        printf " %8.2fx", exp(log(b / a) / (log(order[i] / order[i - 1]) / log(2)))
      }
      printf "\n"
    }
  }' "$results"
