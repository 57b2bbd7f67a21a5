#!/usr/bin/env bash
# `cmkctl drift` end to end, over the wire against `sandbox serve`: the exit
# code of each class (none 0, expected 4, risky 5, unobservable 6), the JSON,
# Markdown and summary outputs, shards, and a degraded read: a vault host that
# refuses connections, or accepts them and never answers, makes its objects
# unobservable in bounded time while the rest of the estate is read.
source "$(dirname "$0")/lib.sh" "$@"
bank=$examples/bank
sb=$work/sb
"$cmkctl" --sandbox "$sb" sandbox clock set 2026-11-23T00:00:00Z >/dev/null
"$cmkctl" --sandbox "$sb" sandbox seed "$bank/sandbox-seed.yaml" >/dev/null
start_server "$sb"
check "server started" test -n "$port"
served_suffix=$CMKCTL_VAULT_DNS_SUFFIX

drift() {  # drift ARGS... ; sets out, err, code, secs
  local t0=$SECONDS
  out=$("$cmkctl" --target azure drift -f "$bank" "$@" 2>"$work/stderr" </dev/null)
  code=$?
  err=$(cat "$work/stderr")
  secs=$((SECONDS - t0))
}

drift
check "before apply: risky (exit $code)" test "$code" -eq 5
check "  the missing vault, with its manifest location" \
  matches "$out" "vault/bank-treasury-kv \[missing\] create: .*\(.*/bank/vault.yaml:[0-9]+:[0-9]+\)"
"$cmkctl" --target azure apply -f "$bank" --auto-approve >/dev/null 2>"$work/apply.err"
check "apply over the wire ($(tail -1 "$work/apply.err"))" test $? -eq 0

drift --summary "$work/none.json"
check "after apply: no drift (exit $code)" test "$code" -eq 0
check "  says so" contains "$out" "none. The live estate matches the manifests."
check "  the summary records exit 0" test "$(jq .exit_code "$work/none.json")" = 0
check "  and what the run covered" test "$(jq '.subscriptions | length' "$work/none.json")" -ge 1

# The policy rotates the key a year after creation; consumers adopt within a day.
stop_server
"$cmkctl" --sandbox "$sb" sandbox clock advance P1Y >/dev/null
"$cmkctl" --sandbox "$sb" sandbox clock advance PT1H >/dev/null
start_server "$sb" --port "$port"
drift --format json
check "a rotation by policy being adopted: expected only (exit $code)" test "$code" -eq 4
check "  JSON: versioned, adoption items, no risky" \
  test "$(jq -r '[.format_version, .counts.risky, ([.items[] | select(.kind == "adoption")] | length > 0)] | @tsv' <<<"$out")" = "$(printf '1\t0\ttrue')"
stop_server
"$cmkctl" --sandbox "$sb" sandbox clock advance P2D >/dev/null
start_server "$sb" --port "$port"
drift --format markdown
check "adoption done: nothing left, or a retirement due (exit $code)" test "$code" -eq 0 -o "$code" -eq 4
check "  Markdown renders" contains "$out" "### cmkctl drift:"

# Shards: two runs cover the one subscription exactly once.
drift --shard 0/2 --summary "$work/s0.json"; c0=$code
drift --shard 1/2 --summary "$work/s1.json"; c1=$code
check "shards cover the subscription once" \
  test "$(jq -s '[.[].subscriptions | length] | add' "$work/s0.json" "$work/s1.json")" = 1
drift --shard 2/2
check "a bad shard is a usage error (exit $code)" test "$code" -eq 64
drift --subscription 00000000-0000-0000-0000-000000000000
check "a subscription the manifests do not name: nothing to drift (exit $code)" test "$code" -eq 0

# A vault host that refuses connections: its keys are unobservable, the rest is read.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
CMKCTL_VAULT_DNS_SUFFIX=vault.localhost:$closed drift --format json
check "refused vault host: unobservable (exit $code: $(head -c 300 <<<"$err"))" test "$code" -eq 6
check "  the key is not-read, with the reason" \
  test "$(jq '[.items[] | select(.class == "unobservable" and .kind == "not-read" and .address == "key/treasury-ledger-kek")] | length' <<<"$out")" = 1
check "  nothing risky is made up from what was not read" test "$(jq .counts.risky <<<"$out")" = 0
check "  storage accounts and grants were still read" \
  test "$(jq '[.items[] | select(.kind == "not-read" and ((.address | startswith("storage")) or (.address | startswith("role"))))] | length' <<<"$out")" = 0
check "  in bounded time (${secs} s)" test "$secs" -lt 60
echo "refused vault host: drift finished in ${secs} s"
CMKCTL_VAULT_DNS_SUFFIX=vault.localhost:$closed "$cmkctl" --target azure plan -f "$bank" >"$work/plan.txt" 2>"$work/plan.err"
code=$?
check "plan lists what it could not read and exits 1 (exit $code)" test "$code" -eq 1
check "  Not read" grep -q "^Not read (" "$work/plan.txt"
check "  the plan is incomplete" grep -q "the plan is incomplete" "$work/plan.err"
CMKCTL_VAULT_DNS_SUFFIX=vault.localhost:$closed "$cmkctl" --target azure apply -f "$bank" --auto-approve >/dev/null 2>"$work/apply.err"
code=$?
check "apply refuses an incomplete plan (exit $code)" test "$code" -eq 1
check "  and says why" grep -q "never applies an incomplete plan" "$work/apply.err"

# A vault host that accepts connections and never answers: bounded by --timeout.
python3 - "$work/blackhole.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
deadline = time.time() + 120
s.settimeout(1)
while time.time() < deadline:
    try: held.append(s.accept()[0])
    except socket.timeout: pass
PY
hole=$!
for _ in $(seq 50); do [ -s "$work/blackhole.port" ] && break; sleep 0.1; done
CMKCTL_VAULT_DNS_SUFFIX=vault.localhost:$(cat "$work/blackhole.port") drift --timeout 1 --connect-timeout 1
kill "$hole" 2>/dev/null; wait "$hole" 2>/dev/null
check "silent vault host: unobservable (exit $code)" test "$code" -eq 6
check "  in bounded time (${secs} s)" test "$secs" -lt 45
echo "silent vault host (--timeout 1 --connect-timeout 1): drift finished in ${secs} s"
check "  the slow step is named on stderr" contains "$err" "still reading keys of 1 vault"
check "  the reason says it timed out" matches "$out" "key/treasury-ledger-kek \[not-read\] could not be read: .*(timed out|Timeout)"

# An out-of-band change: a grant deleted with a plain ARM DELETE.
export CMKCTL_VAULT_DNS_SUFFIX=$served_suffix
token=$(curl -s --cacert "$CMKCTL_CA_BUNDLE" \
  --data-urlencode "grant_type=client_credentials" --data-urlencode "client_id=$AZURE_CLIENT_ID" \
  --data-urlencode "client_secret=$AZURE_CLIENT_SECRET" --data-urlencode "scope=$CMKCTL_ARM_ENDPOINT/.default" \
  "$AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token" | jq -r .access_token)
scope=$(jq -r '.query.roleAssignmentScopes[0]' <("$cmkctl" --target azure plan -f "$bank" --format json 2>/dev/null))
id=$(curl -s --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $token" \
  "$CMKCTL_ARM_ENDPOINT$scope/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01" |
  jq -r '.value[0].id')
curl -s -o /dev/null --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $token" -X DELETE \
  "$CMKCTL_ARM_ENDPOINT$id?api-version=2022-04-01"
drift
check "a grant deleted out of band: risky (exit $code)" test "$code" -eq 5
check "  the grant" matches "$out" "role-assignment/.* \[grant\]"
check "  and the consumer it cut off" matches "$out" "storage/bank.* \[inaccessible\]"

echo "drift e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
