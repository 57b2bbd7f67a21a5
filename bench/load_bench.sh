#!/usr/bin/env bash
# How loading grows with the input: `cmkctl validate` (the loader every
# command runs) over one generated manifest set per size, for four shapes:
#   labels      N labels on one vault (one mapping of N entries)
#   tags        N tags on one key
#   operations  N entries in one key's operations list (each one an error:
#               the error path must stay linear and its output bounded)
#   documents   N key documents, 1,000 per file
# Prints one row per shape and size: wall seconds, peak RSS, microseconds per
# entry (flat when growth is linear) and the bytes written to stderr.
# Usage: load_bench.sh CMKCTL MEASURE ["5000 10000 20000 40000 100000"]
set -euo pipefail
cmkctl=${1:?usage: load_bench.sh CMKCTL MEASURE [SIZES]}
measure=${2:?usage: load_bench.sh CMKCTL MEASURE [SIZES]}
sizes=${3:-5000 10000 20000 40000 100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

vault() {  # vault NAME
  printf 'apiVersion: cmkctl/v1\nkind: Vault\nmetadata:\n  name: %s\n  owner: bench\nspec:\n' "$1"
  printf '  subscription: 00000000-0000-0000-0000-000000000001\n  resourceGroup: rg-bench\n'
  printf '  location: westeurope\n  purgeProtection: true\n'
}

generate() {  # generate SHAPE N DIR
  local shape=$1 n=$2 dir=$3
  mkdir -p "$dir"
  case $shape in
    labels)
      { printf 'apiVersion: cmkctl/v1\nkind: Vault\nmetadata:\n  name: kv-bench\n  owner: bench\n  labels:\n'
        awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "    l%d: v%d\n", i, i }'
        printf 'spec:\n  subscription: 00000000-0000-0000-0000-000000000001\n  resourceGroup: rg-bench\n'
        printf '  location: westeurope\n  purgeProtection: true\n'; } >"$dir/m.yaml" ;;
    tags)
      { vault kv-bench; printf -- '---\napiVersion: cmkctl/v1\nkind: Key\nmetadata:\n  name: k\n  owner: bench\n'
        printf 'spec:\n  vault: kv-bench\n  type: EC\n  tags:\n'
        awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "    t%d: v%d\n", i, i }'; } >"$dir/m.yaml" ;;
    operations)
      { vault kv-bench; printf -- '---\napiVersion: cmkctl/v1\nkind: Key\nmetadata:\n  name: k\n  owner: bench\n'
        printf 'spec:\n  vault: kv-bench\n  type: EC\n  operations: ['
        awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%sbogus%d", (i ? ", " : ""), i }'
        printf ']\n'; } >"$dir/m.yaml" ;;
    documents)
      vault kv-bench >"$dir/vault.yaml"
      awk -v n="$n" -v dir="$dir" 'BEGIN {
        for (i = 0; i < n; i++) {
          f = sprintf("%s/keys-%03d.yaml", dir, int(i / 1000))
          printf "---\napiVersion: cmkctl/v1\nkind: Key\nmetadata:\n  name: k%d\n  owner: bench\n", i >> f
          printf "spec:\n  vault: kv-bench\n  type: EC\n  rotationPolicy: none\n", i >> f
        }
      }'
      printf -- 'apiVersion: cmkctl/v1\nkind: RotationPolicy\nmetadata:\n  name: none\n  owner: bench\nspec:\n  rotateAfterCreate: P1Y\n' >"$dir/policy.yaml" ;;
  esac
}

printf '%-11s %8s %9s %10s %12s %12s %6s\n' shape entries bytes wall_s peak_rss_KiB us_per_entry stderr
for shape in labels tags operations documents; do
  for n in $sizes; do
    dir=$work/$shape-$n
    generate "$shape" "$n" "$dir"
    bytes=$(cat "$dir"/*.yaml | wc -c)
    "$measure" "$cmkctl" validate -f "$dir" >/dev/null 2>"$work/err" || true
    line=$(grep '^measure:' "$work/err" | tail -1)
    wall=$(sed -n 's/.*wall \([0-9.]*\) s.*/\1/p' <<<"$line")
    rss=$(sed -n 's/.*peak rss \([0-9]*\) KiB.*/\1/p' <<<"$line")
    errbytes=$( (grep -v '^measure:' "$work/err" || true) | wc -c)
    awk -v s="$shape" -v n="$n" -v b="$bytes" -v w="$wall" -v r="$rss" -v e="$errbytes" \
      'BEGIN { printf "%-11s %8d %9d %10.3f %12d %12.2f %6d\n", s, n, b, w, r, (w * 1e6) / n, e }'
  done
done
