#!/usr/bin/env bash
# The marketplace case study end to end on the sandbox: a key whose old
# versions stayed enabled for two years and two workloads pinned to old
# versions. The corrected manifests must find the stale versions, repin the
# two pinned workloads before any version is retired, retire the rest only
# once every account reports the newest version, and keep every consumer
# accessible throughout.
# Usage: marketplace_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
case_dir=$src/tests/e2e/marketplace
count() { grep -cF -- "$2" <<<"$1"; }
line_of() { grep -nF -m1 -- "$2" <<<"$1" | cut -d: -f1; }
sb=$work/sandbox
v1=1a1a1a1a
v2=2b2b2b2b

# The estate as it ran: seeded, applied with pinned bindings, two years pass.
run "$sb" sandbox seed "$case_dir/sandbox-seed.yaml"
check "seed (got $code: $err)" test "$code" -eq 0
run "$sb" apply -f "$case_dir/before" --auto-approve
check "before: apply (got $code: $err)" test "$code" -eq 0
run "$sb" sandbox clock advance P740D
check "clock advance (got $code: $err)" test "$code" -eq 0
run "$sb" show -f "$case_dir/before"
check "before: no rotation policy is not reported (one exists)" test "$(count "$out" "[no-policy]")" -eq 0
check "before: two yearly rotations happened" test "$(count "$out" "  yes  ")" -ge 4

# Inventory with the corrected manifests: stale versions, pinned and lagging workloads.
run "$sb" show -f "$case_dir/after"
check "show (got $code: $err)" test "$code" -eq 0
check "show: orders pinned" contains "$out" "[pinned]    storage/mktorders01 is pinned to version $v1"
check "show: invoices pinned" contains "$out" "[pinned]    storage/mktinvoices01 is pinned to version $v2"
check "show: two lagging" test "$(count "$out" "[lagging]")" -eq 2
check "show: three stale versions" test "$(count "$out" "[stale]")" -eq 3
check "show: stale version in use is named" contains "$out" "(used by storage/mktorders01 (pinned))"
run "$sb" show -f "$case_dir/after" --format json
check "show json: findings carry kinds" contains "$out" '"kind": "stale"'

# Plan 1: two repins, the unused stale version retired after them, the two
# pinned versions blocked until their accounts report the newest version.
run "$sb" plan -f "$case_dir/after" --detailed-exitcode
plan=$out
check "plan 1: changes (exit 2, got $code: $err)" test "$code" -eq 2
check "plan 1: two repins" test "$(count "$plan" "(repin)")" -eq 2
check "plan 1: one retirement" test "$(count "$plan" "(disable-version)")" -eq 1
check "plan 1: summary" contains "$plan" "0 to rotate, 2 to repin, 1 version to retire"
check "plan 1: v1 blocked, repin named" contains "$plan" \
  "blocked: retire version $v1…: still used by storage/mktorders01 (pinned); binding/mkt-orders repins it in this plan"
check "plan 1: v2 blocked" contains "$plan" "still used by storage/mktinvoices01 (pinned); binding/mkt-invoices repins it"
first_disable=$(line_of "$plan" "(disable-version)")
last_repin=$(grep -nF -- "(repin)" <<<"$plan" | tail -1 | cut -d: -f1)
check "plan 1: repins listed before the retirement" test "$last_repin" -lt "$first_disable"
run "$sb" plan -f "$case_dir/after" --format json
check "plan 1 json: retirement depends on both repins" \
  bash -c 'jq -e "[.changes[] | select(.action==\"disable-version\") | .depends_on] | flatten | (index(\"binding/mkt-orders\") != null and index(\"binding/mkt-invoices\") != null)" <<<"$1" >/dev/null' _ "$out"

run "$sb" apply -f "$case_dir/after" --auto-approve
check "apply 1 (got $code: $err)" test "$code" -eq 0
run "$sb" sandbox events
events=$out
repin_orders=$(line_of "$events" "storage/mktorders01")
first_key_disable=$(grep -nE "key\.update-version.*enabled.*false|key\.update-version" <<<"$events" | tail -1 | cut -d: -f1)
check "events: a version was disabled" test -n "$first_key_disable"
last_repin_event=$(grep -nE "storage\.encryption +storage/mkt(orders|invoices)01" <<<"$events" | tail -1 | cut -d: -f1)
check "events: both repins before any disable" test -n "$last_repin_event" -a "${last_repin_event:-0}" -lt "${first_key_disable:-0}"

# Plan 2: every account reports the newest version; the pinned versions go.
run "$sb" plan -f "$case_dir/after" --detailed-exitcode
check "plan 2: changes (exit 2, got $code)" test "$code" -eq 2
check "plan 2: two retirements" test "$(count "$out" "(disable-version)")" -eq 2
check "plan 2: no repin" test "$(count "$out" "(repin)")" -eq 0
run "$sb" apply -f "$case_dir/after" --auto-approve
check "apply 2 (got $code: $err)" test "$code" -eq 0
run "$sb" plan -f "$case_dir/after" --detailed-exitcode
check "plan 3: converged (exit 0, got $code: $out)" test "$code" -eq 0
run "$sb" show -f "$case_dir/after"
check "show after: nothing pinned, lagging or stale" \
  test "$(grep -cE "\[(pinned|lagging|stale)\]" <<<"$out")" -eq 0
check "show after: one enabled version" test "$(count "$out" "  yes  ")" -eq 1

run "$sb" sandbox events
check "no consumer was ever inaccessible" test "$(count "$out" "storage.inaccessible")" -eq 0
run "$sb" rehearse -f "$case_dir/after" --until P2Y --step P7D
check "rehearse P2Y: 0 violations (got $code: $(tail -3 <<<"$out"))" test "$code" -eq 0

echo "marketplace_e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
