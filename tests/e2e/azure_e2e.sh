#!/usr/bin/env bash
# End-to-end over the wire: `cmkctl --target azure` (the REST provider, the
# exact code path used against Azure) against `cmkctl sandbox serve`, compared
# with the in-process sandbox; then again with 10% injected 429/503/drops,
# and with 20% of writes carried out but their responses lost.
# Usage: azure_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# Plans from the two paths differ only in the target line and the vault host.
normalize() { sed -e "s#vault.localhost:$port#VAULTDNS#g; s#vault.azure.net#VAULTDNS#g" \
                  -e '/^Target:/d' -e '/"location":/d' -e '/"kind": "azure"/d; /"kind": "sandbox"/d'; }

for dir in "$examples"/*/; do
  name=$(basename "$dir")
  wire=$work/wire-$name
  local_sb=$work/local-$name
  # Both clouds start at the same simulated instant, so that back-dated
  # brownfield versions (pharma) carry the same dates in both plans.
  for sb in "$wire" "$local_sb"; do
    "$cmkctl" --sandbox "$sb" sandbox clock set 2026-11-23T00:00:00Z >/dev/null
    "$cmkctl" --sandbox "$sb" sandbox seed "$dir/sandbox-seed.yaml" >/dev/null
  done
  start_server "$wire"
  check "$name: server started (port '$port')" test -n "$port"
  # Bindings record the vault URI with its port: serve bank on the same one later.
  [ "$name" = bank ] && bank_port=$port
  "$cmkctl" --target azure plan -f "$dir" >"$work/wire-plan.txt" 2>"$work/err"
  code=$?
  check "$name: plan over the wire works (exit $code: $(head -3 "$work/err"))" test "$code" -eq 0
  check "$name: plan names the azure target" grep -q "^Target: azure: https://127.0.0.1:$port" "$work/wire-plan.txt"
  "$cmkctl" --sandbox "$local_sb" plan -f "$dir" >"$work/local-plan.txt" 2>/dev/null
  check "$name: same plan as the in-process sandbox" \
    cmp -s <(normalize <"$work/wire-plan.txt") <(normalize <"$work/local-plan.txt")
  "$cmkctl" --target azure apply -f "$dir" --auto-approve >"$work/apply.txt" 2>"$work/err"
  code=$?
  check "$name: apply over the wire (exit $code: $(tail -3 "$work/err"))" test "$code" -eq 0
  "$cmkctl" --sandbox "$local_sb" apply -f "$dir" --auto-approve >/dev/null 2>&1
  "$cmkctl" --target azure plan -f "$dir" --detailed-exitcode >"$work/again.txt" 2>&1
  code=$?
  check "$name: second plan over the wire is empty (exit $code)" test "$code" -eq 0
  # End state: what the REST provider reads back from the server equals the
  # local sandbox's view (findings included: consumers are matched to their
  # vault over the served DNS suffix as over Azure's).
  "$cmkctl" --target azure show -f "$dir" --format json 2>/dev/null | normalize |
    grep -v '"now"\|"created"\|"updated"\|"version"\|"kid"\|principalId\|clientId\|currentVersioned\|lastKeyRotation\|"etag"\|"id"' >"$work/wire-show.json"
  "$cmkctl" --sandbox "$local_sb" show -f "$dir" --format json 2>/dev/null | normalize |
    grep -v '"now"\|"created"\|"updated"\|"version"\|"kid"\|principalId\|clientId\|currentVersioned\|lastKeyRotation\|"etag"\|"id"' >"$work/local-show.json"
  check "$name: same end state as the in-process sandbox" cmp -s "$work/wire-show.json" "$work/local-show.json"
  "$cmkctl" --target azure show -f "$dir" >"$work/show.txt" 2>&1
  check "$name: show over the wire" grep -q "VERSION" "$work/show.txt"
done

# A grant removed behind cmkctl's back (a plain ARM DELETE) is an
# `inaccessible` finding in plan and show, over the wire and in-process alike:
# cmkctl decides it from what it reads, not from the sandbox's own verdict.
bank_sb=$work/wire-bank
start_server "$bank_sb" --port "$bank_port"
arm_token() {
  curl -s --cacert "$CMKCTL_CA_BUNDLE" \
    --data-urlencode "grant_type=client_credentials" --data-urlencode "client_id=$AZURE_CLIENT_ID" \
    --data-urlencode "client_secret=$AZURE_CLIENT_SECRET" --data-urlencode "scope=$CMKCTL_ARM_ENDPOINT/.default" \
    "$AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token" | jq -r .access_token
}
token=$(arm_token)
check "a token for the out-of-band change" test -n "$token" -a "$token" != null
scope=$(jq -r '.query.roleAssignmentScopes[0]' <("$cmkctl" --target azure plan -f "$examples/bank" --format json 2>/dev/null))
ids=$(curl -s --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $token" \
  "$CMKCTL_ARM_ENDPOINT$scope/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01" |
  jq -r '.value[].id')
check "the bank's grants are listed" test -n "$ids"
for id in $ids; do
  curl -s -o /dev/null --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $token" -X DELETE \
    "$CMKCTL_ARM_ENDPOINT$id?api-version=2022-04-01"
done
"$cmkctl" --target azure plan -f "$examples/bank" >"$work/oob-plan.txt" 2>&1
check "over the wire, plan reports bankledger01 inaccessible" \
  grep -q "storage/bankledger01 cannot use its key: identity .* is no longer permitted" "$work/oob-plan.txt"
"$cmkctl" --target azure show -f "$examples/bank" >"$work/oob-show.txt" 2>&1
check "over the wire, show reports it" grep -q "\[inaccessible\].*storage/bankreports01 cannot use its key" "$work/oob-show.txt"

stop_server
"$cmkctl" --sandbox "$bank_sb" show -f "$examples/bank" >"$work/oob-local.txt" 2>&1
check "in-process, show reports the same" grep -q "\[inaccessible\].*storage/bankreports01 cannot use its key" "$work/oob-local.txt"

# The vault deleted behind cmkctl's back (ARM DELETE: a soft delete) is
# recovered, not created over: its keys come back with every version, and
# the grants Azure deleted with it are made again in the same apply.
start_server "$bank_sb" --port "$bank_port"
token=$(arm_token)
curl -s -o /dev/null --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $token" -X DELETE \
  "$CMKCTL_ARM_ENDPOINT$scope?api-version=2026-04-01"
"$cmkctl" --target azure plan -f "$examples/bank" >"$work/recover-plan.txt" 2>&1
check "over the wire, a soft-deleted vault is planned as a recovery" \
  grep -q "^+ vault/bank-treasury-kv (recover)" "$work/recover-plan.txt"
check "and the summary counts it" grep -q "^Plan: 1 to recover" "$work/recover-plan.txt"
"$cmkctl" --target azure apply -f "$examples/bank" --auto-approve >"$work/recover-apply.txt" 2>&1
code=$?
check "apply recovers the vault over the wire (exit $code)" test "$code" -eq 0
"$cmkctl" --target azure plan -f "$examples/bank" --detailed-exitcode >"$work/recover-again.txt" 2>&1
code=$?
check "after the recovery the next plan is empty (exit $code)" test "$code" -eq 0
"$cmkctl" --target azure show -f "$examples/bank" >"$work/recover-show.txt" 2>&1
check "and no consumer is cut off" bash -c "! grep -q '\[inaccessible\]' '$work/recover-show.txt'"
stop_server

# Faults: 10% of requests fail (4% 429, 3% 503, 3% dropped connections). Apply still converges and
# creates nothing twice (every key has exactly one version).
flaky=$work/flaky
"$cmkctl" --sandbox "$flaky" sandbox seed "$examples/public-sector-saas/sandbox-seed.yaml" >/dev/null
start_server "$flaky" --throttle-rate 0.04 --error-rate 0.03 --drop-rate 0.03 --fault-seed 7
"$cmkctl" --target azure apply -f "$examples/public-sector-saas" --auto-approve >"$work/flaky.txt" 2>&1
code=$?
check "apply converges through injected faults (exit $code: $(tail -5 "$work/flaky.txt"))" test "$code" -eq 0
"$cmkctl" --target azure plan -f "$examples/public-sector-saas" --detailed-exitcode >/dev/null 2>&1
code=$?
check "and the next plan is empty (exit $code)" test "$code" -eq 0
versions=$("$cmkctl" --sandbox "$flaky" show -f "$examples/public-sector-saas" --format json 2>/dev/null |
  grep -c '"version":')
check "nothing was created twice: 3 keys, 3 versions (got $versions)" test "$versions" -eq 3

# Lost responses: 20% of writes are carried out, then the connection is closed
# without an answer. Apply still converges, and each change is made exactly
# once: a key create whose answer was lost is read back, not sent again into
# a second version; a role assignment PUT sent again does not fail on
# RoleAssignmentExists. Writes come one at a time and lost responses have a
# random stream of their own, so seed 7 always loses the same writes: a key
# create and a role assignment PUT among them.
lost=$work/lost
"$cmkctl" --sandbox "$lost" sandbox seed "$examples/public-sector-saas/sandbox-seed.yaml" >/dev/null
start_server "$lost" --lost-response-rate 0.2 --fault-seed 7
"$cmkctl" --target azure apply -f "$examples/public-sector-saas" --auto-approve >"$work/lost.txt" 2>&1
code=$?
check "apply converges through lost responses (exit $code: $(tail -5 "$work/lost.txt"))" test "$code" -eq 0
"$cmkctl" --target azure plan -f "$examples/public-sector-saas" --detailed-exitcode >"$work/lost-plan.txt" 2>&1
code=$?
check "and the next plan is empty (exit $code: $(grep '^Plan:' "$work/lost-plan.txt"))" test "$code" -eq 0
versions=$("$cmkctl" --sandbox "$lost" show -f "$examples/public-sector-saas" --format json 2>/dev/null |
  grep -c '"version":')
check "no write was made twice: 3 keys, 3 versions (got $versions)" test "$versions" -eq 3

# No secret reaches the output, even at the most verbose level.
"$cmkctl" -vv --target azure plan -f "$examples/public-sector-saas" >"$work/verbose.txt" 2>&1
check "the client secret never appears at -vv" bash -c "! grep -qF -- '$AZURE_CLIENT_SECRET' '$work/verbose.txt'"
check "no bearer token appears at -vv" bash -c "! grep -qiE 'bearer [a-z0-9._-]{20,}' '$work/verbose.txt'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
