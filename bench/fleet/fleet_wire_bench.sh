#!/usr/bin/env bash
# The fleet benchmark over the wire: the no-change plan of a generated estate
# read by the REST provider (`--target azure`, the code path used against
# Azure) from `cmkctl sandbox serve` with LATENCY_MS added to every request
# and throttling at Azure's documented budgets (the server's defaults: ARM
# reads 250 then 25/s per principal; Key Vault 4,000 operations per 10 s per
# vault).
#
# For each size: apply the estate in-process, serve it, run the plan once to
# let the server make key material, then again with -v, and print wall time, peak RSS, the requests sent by kind, the 429s
# the client absorbed, and the bound the budgets and latency allow:
#   max(requests x RTT / concurrency, ARM reads over budget / 25 per s)
# with RTT = LATENCY_MS and concurrency = CMKCTL_MAX_CONNECTIONS (8). The
# plan must exit 0 (no changes) and surface no throttling error. Figures to
# read, not a pass/fail test.
#
# Usage: fleet_wire_bench.sh CMKCTL MEASURE [SIZES="20 50"] [LATENCY_MS=20]
set -uo pipefail
cmkctl=$(realpath "${1:?usage: fleet_wire_bench.sh CMKCTL MEASURE [SIZES] [LATENCY_MS]}")
measure=$(realpath "${2:?usage: fleet_wire_bench.sh CMKCTL MEASURE [SIZES] [LATENCY_MS]}")
sizes=${3:-20 50}
latency=${4:-20}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/cmk-fleet-wire-XXXXXX)
source "$here/../../tests/e2e/lib.sh" "$cmkctl"  # start_server, stop_server; cleanup on exit
concurrency=${CMKCTL_MAX_CONNECTIONS:-8}

for size in $sizes; do
  dir=$work/fleet-$size
  sb=$dir/sandbox
  "$here/generate.sh" "$size" "$dir"
  "$cmkctl" --sandbox "$sb" sandbox clock set 2026-01-01T00:00:00Z >/dev/null
  "$cmkctl" --sandbox "$sb" sandbox seed "$dir/sandbox-seed.yaml" >/dev/null
  # Build the estate in-process with the vault URIs the server will answer
  # with (vault.localhost:PORT): learn a free port, then serve on it.
  start_server "$sb"
  stop_server
  "$cmkctl" --sandbox "$sb" --target sandbox --vault-dns-suffix "vault.localhost:$port" apply -f "$dir/manifests" \
    --auto-approve >/dev/null 2>"$work/apply.err" ||
    { echo "apply of $size vaults failed:" >&2; tail -5 "$work/apply.err" >&2; exit 1; }
  start_server "$sb" --port "$port" --latency-ms "$latency"
  # The first plan after an in-process apply also waits for the server to
  # make each key's material (the sandbox makes it on first use: the key
  # bundle carries the public key). Azure has it already, so the client's
  # figures are those of the second plan; the first is printed beside them.
  "$measure" "$cmkctl" --target azure plan -f "$dir/manifests" --detailed-exitcode \
    >/dev/null 2>"$work/first.err" </dev/null
  first=$(sed -n 's/^measure: wall \([0-9.]*\) s.*/\1/p' "$work/first.err" | tail -1)
  "$measure" "$cmkctl" -v --target azure plan -f "$dir/manifests" --detailed-exitcode \
    >"$work/plan.out" 2>"$work/plan.err" </dev/null
  stop_server
  line=$(grep '^measure: ' "$work/plan.err" | tail -1)
  secs=$(sed -n 's/^measure: wall \([0-9.]*\) s.*/\1/p' <<<"$line")
  kib=$(sed -n 's/.*peak rss \([0-9]*\) KiB.*/\1/p' <<<"$line")
  code=$(sed -n 's/.*exit \([0-9]*\)$/\1/p' <<<"$line")
  echo "== $size vaults over the wire (${latency} ms per request)"
  printf '  first plan       %8.2f s  (the server makes key material on first use)\n' "$first"
  printf '  no-change plan   %8.2f s  %7.1f MiB  exit %s\n' "$secs" "$(awk -v k="$kib" 'BEGIN{print k/1024}')" "$code"
  # Requests by kind, from the client's own -v log.
  grep -o 'HTTP [A-Z]* [^ ]* -> [0-9]*' "$work/plan.err" | awk -v secs="$secs" -v rtt="$latency" \
    -v conc="$concurrency" '
    {
      method = $2; url = $3; status = $5
      if (url ~ /oauth2/) kind = "token"
      else if (url ~ /\.vault\./ && url ~ /\/rotationpolicy/) kind = "kv: rotation policy"
      else if (url ~ /\.vault\./ && url ~ /\/versions/) kind = "kv: version list"
      else if (url ~ /\.vault\./ && url ~ /\/keys\/[^\/]*\/[0-9a-f]+/) kind = "kv: key version"
      else if (url ~ /\.vault\./) kind = "kv: key"
      else if (url ~ /roleAssignments/) kind = "arm: role assignments (list)"
      else if (url ~ /storageAccounts/) kind = "arm: storage account"
      else if (url ~ /Microsoft.Sql\/servers/) kind = "arm: sql server"
      else if (url ~ /diskEncryptionSets/) kind = "arm: disk encryption set"
      else if (url ~ /userAssignedIdentities/) kind = "arm: identity"
      else if (url ~ /vaults/) kind = "arm: vault"
      else kind = "other"
      n[kind]++; total++
      if (status == 429) throttled++
      if (status == 401) challenged++
      if (kind ~ /^arm/ && status != 429) arm++
    }
    END {
      for (k in n) printf "  %-32s %6d\n", k, n[k] | "sort"
      close("sort")
      printf "  %-32s %6d  (429 absorbed: %d; 401 challenges: %d)\n", "requests", total, throttled + 0, challenged + 0
      latency_bound = total * rtt / 1000 / conc
      budget_bound = arm > 250 ? (arm - 250) / 25 : 0
      bound = latency_bound > budget_bound ? latency_bound : budget_bound
      ratio = (bound > 0) ? secs / bound : 0
      printf "  bound: max(%d x %d ms / %d, (%d ARM reads - 250) / 25 per s) = %.2f s; measured %.2fx the bound\n",
             total, rtt, conc, arm, bound, ratio
    }'
  if grep -qi 'throttl\|429' "$work/plan.out"; then echo "  throttling surfaced to the user:"; grep -i 'throttl\|429' "$work/plan.out" | head -3; fi
  [ "$code" = 0 ] || { echo "  unexpected exit $code:"; grep -v '^debug:\|^measure:' "$work/plan.err" | tail -5; }
done
