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
CMKCTL_VAULT_DNS_SUFFIX=vault.localhost:$(cat "$work/blackhole.port") drift --timeout 6 --connect-timeout 6
kill "$hole" 2>/dev/null; wait "$hole" 2>/dev/null
check "silent vault host: unobservable (exit $code)" test "$code" -eq 6
check "  within the timeout plus 10 s (${secs} s)" test "$secs" -le 16
echo "silent vault host (--timeout 6): drift finished in ${secs} s"
check "  the slow step is named on stderr" contains "$err" "still reading keys of 1 vault"
check "  the reason says it timed out" matches "$out" "key/treasury-ledger-kek \[not-read\] could not be read: .*(timed out|Timeout)"

# Out-of-band changes with plain HTTP calls: a grant deleted (ARM), the
# version in use disabled and a version made by hand (Key Vault), the
# firewall opened (ARM PATCH).
export CMKCTL_VAULT_DNS_SUFFIX=$served_suffix
token_for() {
  curl -s --cacert "$CMKCTL_CA_BUNDLE" \
    --data-urlencode "grant_type=client_credentials" --data-urlencode "client_id=$AZURE_CLIENT_ID" \
    --data-urlencode "client_secret=$AZURE_CLIENT_SECRET" --data-urlencode "scope=$1/.default" \
    "$AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token" | jq -r .access_token
}
arm=$(token_for "$CMKCTL_ARM_ENDPOINT")
kv=$(token_for https://vault.azure.net)
check "tokens for the out-of-band changes" test -n "$arm" -a "$arm" != null -a -n "$kv" -a "$kv" != null
vault_id=$(jq -r '.query.roleAssignmentScopes[0]' <("$cmkctl" --target azure plan -f "$bank" --format json 2>/dev/null))
id=$(curl -s --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $arm" \
  "$CMKCTL_ARM_ENDPOINT$vault_id/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01" |
  jq -r '[.value[] | select(.properties.scope | endswith("/keys/treasury-ledger-kek"))][0].id')
curl -s -o /dev/null --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $arm" -X DELETE \
  "$CMKCTL_ARM_ENDPOINT$id?api-version=2022-04-01"
drift
check "a grant deleted out of band: risky (exit $code)" test "$code" -eq 5
check "  the grant" matches "$out" "role-assignment/.* \[grant\]"
check "  and the consumer it cut off" matches "$out" "storage/bank.* \[inaccessible\]"
"$cmkctl" --target azure apply -f "$bank" --auto-approve >/dev/null 2>&1
drift
check "re-applied: the grant is back (exit $code)" test "$code" -eq 0 -o "$code" -eq 4

kvurl=https://bank-treasury-kv.$served_suffix
in_use=$(curl -s --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $kv" \
  "$kvurl/keys/treasury-ledger-kek?api-version=7.5" | jq -r '.key.kid')
check "the version in use is read over Key Vault" matches "$in_use" "/keys/treasury-ledger-kek/[0-9a-f]{32}$"
curl -s -o /dev/null -w '%{http_code}' --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $kv" \
  -H 'Content-Type: application/json' -X PATCH -d '{"attributes":{"enabled":false}}' \
  "${in_use/vault.localhost/vault.localhost}?api-version=7.5" >"$work/code"
check "disabled the version in use (HTTP $(cat "$work/code"))" test "$(cat "$work/code")" = 200
curl -s -o /dev/null -w '%{http_code}' --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $kv" \
  -X POST "$kvurl/keys/treasury-ledger-kek/rotate?api-version=7.5" >"$work/code"
check "rotated by hand (HTTP $(cat "$work/code"))" test "$(cat "$work/code")" = 200
curl -s -o /dev/null -w '%{http_code}' --cacert "$CMKCTL_CA_BUNDLE" -H "Authorization: Bearer $arm" \
  -H 'Content-Type: application/json' -X PATCH \
  -d '{"properties":{"networkAcls":{"defaultAction":"Allow","bypass":"AzureServices"}}}' \
  "$CMKCTL_ARM_ENDPOINT$vault_id?api-version=2026-04-01" >"$work/code"
check "opened the firewall (HTTP $(cat "$work/code"))" test "$(cat "$work/code")" = 200
drift --format json
check "each out-of-band change is risky (exit $code)" test "$code" -eq 5
kinds() { jq -r --arg k "$1" '[.items[] | select(.class == "risky" and .kind == $k) | .address] | unique | join(" ")' <<<"$out"; }
check "  the disabled version cuts the consumers off: $(kinds inaccessible)" \
  matches "$(kinds inaccessible)" "storage/bankledger01.*storage/bankreports01"
check "  the opened firewall: $(kinds differs)" matches "$(kinds differs)" "vault/bank-treasury-kv"
check "  with the field" test "$(jq '[.items[] | select(.kind == "differs" and (.message | contains("networkAcls.defaultAction")))] | length' <<<"$out")" -ge 1
check "  the version made by hand: $(kinds unmanaged-version)" test "$(kinds unmanaged-version)" = "key/treasury-ledger-kek"
stop_server

# An estate of three vaults: the first one's host takes connections and never
# answers, the second's firewall refuses us (403 ForbiddenByFirewall), the
# third answers. drift and plan finish within the timeout plus 10 s, report
# the first two as unobservable with the reason, and report the third.
fleet=$work/fleet
bash "$src/bench/fleet/generate.sh" 3 "$fleet" 2 1 2 >/dev/null
fsb=$work/fleet-sb
"$cmkctl" --sandbox "$fsb" sandbox seed "$fleet/sandbox-seed.yaml" >/dev/null
start_server "$fsb"
"$cmkctl" --target azure apply -f "$fleet/manifests" --auto-approve >/dev/null 2>"$work/fleet-apply.err"
check "the three-vault estate applied over the wire ($(tail -1 "$work/fleet-apply.err"))" test $? -eq 0
start_server "$fsb" --port "$port" --silent-vault fleet-v001-kv --firewalled-vault fleet-v002-kv
t0=$SECONDS
out=$("$cmkctl" --target azure drift -f "$fleet/manifests" --format json --timeout 3 2>"$work/stderr")
code=$?
secs=$((SECONDS - t0))
echo "silent + firewalled vaults: drift finished in ${secs} s (--timeout 3)"
check "drift: unobservable (exit $code)" test "$code" -eq 6
check "  within the timeout plus 10 s (${secs} s)" test "$secs" -le 13
unread() { jq -r --arg v "$1" '[.items[] | select(.kind == "not-read" and (.message | contains($v)))] | length' <<<"$out"; }
check "  the silent vault's keys are not read ($(unread fleet-v001-kv))" test "$(unread fleet-v001-kv)" -eq 2
check "  the firewalled vault's keys are not read ($(unread fleet-v002-kv))" test "$(unread fleet-v002-kv)" -eq 2
check "  the firewall is named as the reason" \
  test "$(jq '[.items[] | select(.kind == "not-read" and (.message | test("ForbiddenByFirewall|not authorized")))] | length' <<<"$out")" -ge 2
check "  the third vault is read" test "$(unread fleet-v003-kv)" -eq 0
check "  and nothing risky is made up" test "$(jq .counts.risky <<<"$out")" = 0
t0=$SECONDS
"$cmkctl" --target azure plan -f "$fleet/manifests" --timeout 3 >"$work/plan.txt" 2>"$work/plan.err"
code=$?
secs=$((SECONDS - t0))
echo "silent + firewalled vaults: plan finished in ${secs} s (--timeout 3)"
check "plan: incomplete (exit $code), within the timeout plus 10 s (${secs} s)" test "$code" -eq 1 -a "$secs" -le 13
check "  lists the vaults it could not read" grep -q "key/.*fleet-v001-kv" "$work/plan.txt"
stop_server

echo "drift e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
