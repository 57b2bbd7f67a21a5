#!/usr/bin/env bash
# How long `cmkctl --target azure plan` takes to read a vault of KEYS keys
# (3 versions each) from `cmkctl sandbox serve` with LATENCY_MS added to
# every request: reads one at a time (CMKCTL_MAX_CONNECTIONS=1) against the
# batched reads (the default, 8 connections per host; over HTTP/2 they would
# share one connection). Prints the request count and the median of RUNS
# wall-clock times for each setting. The figures are for reading, not a
# pass/fail target.
# Usage: wire_read_bench.sh CMKCTL [KEYS=20] [LATENCY_MS=20] [RUNS=5]
set -euo pipefail
cmkctl=${1:?cmkctl binary}
keys=${2:-20}
latency=${3:-20}
runs=${4:-5}
work=$(mktemp -d /tmp/cmk-wire-bench-XXXXXX)
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh" "$cmkctl"  # start_server; cleanup on exit

manifests() {  # manifests GENERATION > file
  cat <<EOF
apiVersion: cmkctl/v1
kind: Vault
metadata: {name: bench-wire-kv, owner: bench}
spec: {subscription: 0b5e1c2d-3a4f-4b6c-8d7e-9f0a1b2c3d4e, resourceGroup: rg-bench, location: westeurope}
EOF
  for i in $(seq -w 1 "$keys"); do
    printf -- '---\napiVersion: cmkctl/v1\nkind: Key\nmetadata: {name: bench-key-%s, owner: bench}\n' "$i"
    printf 'spec:\n  vault: bench-wire-kv\n  type: RSA\n  size: 2048\n'
    if [ "$1" -gt 0 ]; then printf "  rotation: {generation: %s}\n" "$1"; fi
  done
}

sb=$work/sb
mkdir -p "$work/m"
for g in 0 1 2; do  # three applies: every key ends with three versions
  manifests "$g" >"$work/m/keys.yaml"
  "$cmkctl" --sandbox "$sb" --target sandbox apply -f "$work/m" --auto-approve >/dev/null 2>"$work/apply.err" ||
    { cat "$work/apply.err" >&2; exit 1; }
done

start_server "$sb" --latency-ms "$latency"

requests=$("$cmkctl" -v --target azure plan -f "$work/m" --detailed-exitcode 2>&1 | grep -c "HTTP GET" || true)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {  # measure CONNECTIONS
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    CMKCTL_MAX_CONNECTIONS=$1 "$cmkctl" --target azure plan -f "$work/m" --detailed-exitcode >/dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
  done | median
}
one=$(measure 1)
eight=$(measure 8)
echo "wire read: $keys keys x 3 versions, ${latency} ms added latency per request, $requests GETs per plan"
echo "  one request at a time (CMKCTL_MAX_CONNECTIONS=1): median ${one} ms over $runs plans"
echo "  batched (default, 8 connections per host):        median ${eight} ms over $runs plans"
awk -v a="$one" -v b="$eight" 'BEGIN {printf "  speed-up: %.1fx\n", a / b}'
