#!/usr/bin/env bash
# `drift --shard i/n` over a 200-vault estate (about 10,000 resources in 11
# subscriptions): the shards' findings, put together, are exactly an
# unsharded run's, and each subscription falls in exactly one shard.
source "$(dirname "$0")/lib.sh" "$@"
fleet=$work/fleet
sb=$work/sb
bash "$src/bench/fleet/generate.sh" 200 "$fleet" >/dev/null
"$cmkctl" --sandbox "$sb" --target sandbox sandbox clock set 2026-11-23T00:00:00Z >/dev/null
"$cmkctl" --sandbox "$sb" --target sandbox sandbox seed "$fleet/sandbox-seed.yaml" >/dev/null
"$cmkctl" --sandbox "$sb" --target sandbox apply -f "$fleet/manifests" --auto-approve >/dev/null 2>"$work/apply.err"
check "the 200-vault estate applied ($(tail -1 "$work/apply.err"))" test $? -eq 0
# A year on: every key rotated by policy and its consumers adopting.
"$cmkctl" --sandbox "$sb" --target sandbox sandbox clock advance P1Y >/dev/null
"$cmkctl" --sandbox "$sb" --target sandbox sandbox clock advance PT1H >/dev/null

items() { jq -c '.items[]' "$1" | sort; }
"$cmkctl" --sandbox "$sb" --target sandbox drift -f "$fleet/manifests" --format json >"$work/all.json" 2>/dev/null
code=$?
check "unsharded: expected drift (exit $code)" test "$code" -eq 4
n=$(jq '.items | length' "$work/all.json")
check "unsharded: findings across the estate ($n)" test "$n" -ge 1000
: >"$work/union"
for i in 0 1 2 3; do
  "$cmkctl" --sandbox "$sb" --target sandbox drift -f "$fleet/manifests" --shard "$i/4" --format json \
    --summary "$work/summary-$i.json" >"$work/shard-$i.json" 2>/dev/null
  items "$work/shard-$i.json" >>"$work/union"
done
sort -o "$work/union" "$work/union"
check "the union of the shards' findings equals the unsharded run's" cmp -s "$work/union" <(items "$work/all.json")
check "no finding is in two shards" test "$(uniq -d "$work/union" | wc -l)" -eq 0
check "each of the 11 subscriptions is in exactly one shard" \
  test "$(jq -r '.subscriptions[]' "$work"/summary-*.json | sort | uniq -c | awk '$1 == 1' | wc -l)" -eq 11
check "the summaries' counts add up" \
  test "$(jq -s '[.[].counts.expected] | add' "$work"/summary-*.json)" = "$(jq .counts.expected "$work/all.json")"

echo "drift shards: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
