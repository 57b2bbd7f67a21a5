#!/usr/bin/env bash
# `--evidence DIR` end to end on the sandbox: apply, verify and drift write
# three signed, chained bundles into one directory; `cmkctl evidence verify`
# accepts them, and after one byte of the middle bundle is flipped names that
# run as the first broken link; the openssl command line checks a bundle's
# signature on its own; no bundle holds the private key; without a key
# nothing runs; a bundle that cannot be written does not hide the run's
# result. Usage: evidence_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
unset CMKCTL_EVIDENCE_KEY

# A copy of the bank example, keeping the repository layout its hooks need.
tree=$work/tree
mkdir -p "$tree/manifests/examples"
cp -r "$src/hooks" "$tree/hooks"
cp -r "$examples/bank" "$tree/manifests/examples/bank"
bank=$tree/manifests/examples/bank
sb=$work/sb
run "$sb" sandbox clock set 2026-11-23T00:00:00Z
run "$sb" sandbox seed "$bank/sandbox-seed.yaml"
check "seed (exit $code: $err)" test "$code" -eq 0

# A signing key.
key=$work/keys/evidence.pem
mkdir -p "$work/keys"
run "$sb" evidence keygen --out "$key"
check "keygen (exit $code: $err)" test "$code" -eq 0
check "  the key file is 0600" test "$(stat -c %a "$key")" = 600
check "  it prints the public key" contains "$out" "BEGIN PUBLIC KEY"
before=$(sha256sum "$key")
run "$sb" evidence keygen --out "$key"
check "keygen never overwrites (exit $code)" test "$code" -eq 1
check "  and says so: $err" contains "$err" "already exists"
check "  the key is unchanged" test "$(sha256sum "$key")" = "$before"
openssl pkey -in "$key" -pubout -out "$work/keys/evidence.pub.pem" 2>/dev/null
check "openssl reads the key" test -s "$work/keys/evidence.pub.pem"

# Without a key nothing runs: no bundle, nothing applied.
ev=$work/evidence
run "$sb" apply -f "$bank" --auto-approve --evidence "$ev"
check "--evidence without a key is a usage error (exit $code)" test "$code" -eq 64
check "  naming both ways to give one: $err" contains "$err" "--evidence-key FILE or CMKCTL_EVIDENCE_KEY"
check "  and that nothing was run" contains "$err" "Nothing was run"
run "$sb" plan -f "$bank" --detailed-exitcode
check "  nothing was applied (plan exit $code)" test "$code" -eq 2
check "  no bundle was written" test -z "$(ls -A "$ev" 2>/dev/null | grep -v '^\.')"
run "$sb" apply -f "$bank" --auto-approve --evidence "$ev" --evidence-key "$work/keys/evidence.pub.pem"
check "a public key is no signing key (exit $code): $err" test "$code" -eq 64
run "$sb" drift -f "$bank" --evidence-key "$key"
check "--evidence-key alone is a usage error (exit $code)" test "$code" -eq 64

# Three runs, three chained bundles.
run "$sb" apply -f "$bank" --auto-approve --evidence "$ev" --evidence-key "$key"
check "apply with evidence (exit $code: $err)" test "$code" -eq 0
check "  says where the evidence is" contains "$err" "Evidence: $ev/"
export CMKCTL_EVIDENCE_KEY=$key
run "$sb" verify -f "$bank" --evidence "$ev"
check "verify with evidence, key from CMKCTL_EVIDENCE_KEY (exit $code: $err)" test "$code" -eq 0
run "$sb" drift -f "$bank" --format json --evidence "$ev"
check "drift with evidence (exit $code: $err)" test "$code" -eq 0
check "  stdout is still only drift's JSON" test "$(jq -r 'type' <<<"$out")" = object
unset CMKCTL_EVIDENCE_KEY

mapfile -t runs < <(ls "$ev" | grep -v '^\.' | sort)
check "three bundles (${runs[*]})" test "${#runs[@]}" -eq 3
apply_b=$ev/${runs[0]}
verify_b=$ev/${runs[1]}
drift_b=$ev/${runs[2]}
check "  in run order: apply, verify, drift" \
  matches "${runs[0]} ${runs[1]} ${runs[2]}" '^[0-9T.]+Z-apply-[0-9a-f]{8} [0-9T.]+Z-verify-[0-9a-f]{8} [0-9T.]+Z-drift-[0-9a-f]{8}$'

# What a bundle holds.
check "apply: the plan, with its digest in run.json" \
  test "$(jq -r .plan_sha256 "$apply_b/run.json")" = "$(sha256sum "$apply_b/plan.json" | cut -d' ' -f1)"
check "  the plan is plan JSON" test "$(jq -r '.changes | length' "$apply_b/plan.json")" -gt 0
check "  every change applied, with its times" \
  test "$(jq '[.changes[] | select(.outcome == "applied" and .started_at != null and .ended_at != null)] | length' "$apply_b/changes.json")" \
  = "$(jq '.changes | length' "$apply_b/changes.json")"
check "  hook outputs" test "$(jq '[.changes[].hooks[]] | length' "$apply_b/changes.json")" -gt 0
check "  the sandbox events of the run" \
  test "$(jq '[.events[] | select(.kind == "vault.create")] | length' "$apply_b/events.json")" -gt 0
check "  who and where" test "$(jq -r '.principal.kind + " " + .target' "$apply_b/run.json")" = "sandbox sandbox: $sb"
check "  the tool version" test "$(jq -r .tool_version "$apply_b/run.json")" = "$("$cmkctl" --version | awk '{print $2}')"
check "  the command line" test "$(jq -r '.arguments | index("--auto-approve") != null' "$apply_b/run.json")" = true
check "  start and end" test "$(jq -r '.started_at <= .ended_at' "$apply_b/run.json")" = true
check "  what it printed" grep -q "Apply complete" "$apply_b/stdout.txt"
check "  the first run has no previous" test "$(jq -r .previous "$apply_b/manifest.json")" = null
check "verify: the canary results" test "$(jq '.canaries | length' "$verify_b/output.json")" -gt 0
check "  chained to apply's bundle" test "$(jq -r .previous.run "$verify_b/manifest.json")" = "${runs[0]}"
check "  by its manifest's digest" test "$(jq -r .previous.manifest_sha256 "$verify_b/manifest.json")" \
  = "$(sha256sum "$apply_b/manifest.json" | cut -d' ' -f1)"
check "drift: its JSON output" test "$(jq -S . "$drift_b/output.json")" = "$(jq -S . <<<"$out")"
check "  exit code recorded" test "$(jq -r .exit_code "$drift_b/run.json")" = 0

# Never the private key.
key_body=$(sed -n 2p "$key")
check "no private key in any bundle" bash -c "! grep -rqF -e 'PRIVATE KEY' -e '$key_body' '$ev'"
check "  nor its path's contents, only its path" grep -qF -- "$key" "$apply_b/run.json"

# cmkctl evidence verify: all hold.
run "$sb" evidence verify "$ev"
check "evidence verify passes (exit $code: $out $err)" test "$code" -eq 0
check "  one line per run" test "$(grep -c '^ok ' <<<"$out")" -eq 3
run "$sb" evidence verify "$ev" --key "$work/keys/evidence.pub.pem" --format json
check "  against the expected key, as JSON (exit $code)" test "$code" -eq 0
check "  ok: true" test "$(jq -r .ok <<<"$out")" = true

# openssl alone checks a bundle's signature.
( cd "$verify_b" && openssl pkeyutl -verify -pubin -inkey signer.pub.pem -rawin -in manifest.json \
    -sigfile manifest.sig >"$work/openssl.out" 2>&1 )
check "openssl verifies the middle bundle's signature ($(cat "$work/openssl.out"))" test $? -eq 0
cp "$verify_b/manifest.json" "$work/tampered.json"
printf ' ' >>"$work/tampered.json"
openssl pkeyutl -verify -pubin -inkey "$verify_b/signer.pub.pem" -rawin -in "$work/tampered.json" \
  -sigfile "$verify_b/manifest.sig" >/dev/null 2>&1
check "  and refuses a changed manifest" test $? -ne 0

# One flipped byte in the middle bundle.
f=$verify_b/output.json
b=$(od -An -tx1 -j5 -N1 "$f" | tr -d ' ')
printf "$(printf '\\x%02x' $((0x$b ^ 1)))" | dd of="$f" bs=1 seek=5 conv=notrunc status=none
run "$sb" evidence verify "$ev"
check "after one flipped byte, evidence verify fails (exit $code)" test "$code" -eq 1
check "  naming the middle run as the first broken link: $out" \
  contains "$out" "First broken link: ${runs[1]}: output.json"
check "  the first run still holds" contains "$out" "ok      ${runs[0]}"
run "$sb" evidence verify "$ev" --format json
check "  JSON names it too" test "$(jq -r .first_broken.run <<<"$out")" = "${runs[1]}"

# Another expected key fails.
run "$sb" evidence keygen --out "$work/keys/other.pem"
openssl pkey -in "$work/keys/other.pem" -pubout -out "$work/keys/other.pub.pem" 2>/dev/null
run "$sb" evidence verify "$ev" --key "$work/keys/other.pub.pem"
check "a wrong expected key fails (exit $code)" test "$code" -eq 1
check "  from the first run: $out" contains "$out" "First broken link: ${runs[0]}: "

# Rehearse writes evidence too (its own directory).
run "$sb" rehearse -f "$bank" --until P7D --evidence "$work/ev-rehearse" --evidence-key "$key"
check "rehearse with evidence (exit $code: $err)" test "$code" -eq 0
run "$sb" evidence verify "$work/ev-rehearse"
check "  its bundle verifies (exit $code: $out)" test "$code" -eq 0
check "  and holds the rehearsal's JSON" test -s "$(ls -d "$work/ev-rehearse"/*-rehearse-*)/output.json"

# A bundle that cannot be written does not hide the run's result: a bundle
# dated far ahead makes the new one unorderable.
late=$work/ev-late
mkdir -p "$late/99991231T000000.000000Z-apply-00000000"
run "$sb" verify -f "$bank" --evidence "$late" --evidence-key "$key"
check "evidence that cannot be written fails the run (exit $code)" test "$code" -ne 0
check "  saying so: $err" contains "$err" "evidence was not written"
check "  after the run's own result" grep -qE '^[0-9]+ passed, 0 failed' <<<"$out"

# A saved plan: the bundle's plan digest is the one the plan file carries.
pharma=$tree/manifests/examples/pharma
cp -r "$examples/pharma" "$pharma"
run "$work/sb-pharma" sandbox seed "$pharma/sandbox-seed.yaml"
run "$work/sb-pharma" plan -f "$pharma" --out "$work/pharma-plan.json"
check "pharma: plan --out (exit $code: $err)" test "$code" -eq 0
run "$work/sb-pharma" apply "$work/pharma-plan.json" --evidence "$work/ev-pharma" --evidence-key "$key"
check "pharma: apply PLANFILE with evidence (exit $code: $err)" test "$code" -eq 0
pharma_b=$(ls -d "$work/ev-pharma"/*-apply-*)
check "  plan_sha256 is the saved plan's digest" \
  test "sha256:$(jq -r .plan_sha256 "$pharma_b/run.json")" = "$(jq -r .digest "$work/pharma-plan.json")"

# Over the wire (--target azure against `sandbox serve`): who ran it is the
# credential's name and ids, never its secret.
start_server "$sb"
check "server started" test -n "$port"
"$cmkctl" --target azure drift -f "$bank" --evidence "$work/ev-azure" --evidence-key "$key" \
  >/dev/null 2>"$work/azure.err" </dev/null
check "drift --target azure with evidence (exit $?: $(tail -1 "$work/azure.err"))" \
  test -n "$(ls "$work/ev-azure" 2>/dev/null)"
azure_run=$(ls -d "$work/ev-azure"/*-drift-*)/run.json
check "  principal: azure, the credential and the client id ($(jq -c .principal "$azure_run"))" \
  test "$(jq -r '[.principal.kind, .principal.credential, .principal.client_id] | join(" ")' "$azure_run")" \
  = "azure default chain cmkctl-e2e"
check "  and what the provider says of its credential" \
  contains "$(jq -r .principal.credential_used "$azure_run")" "client-secret"
check "  the target as printed" test "$(jq -r .target "$azure_run")" = "azure: https://127.0.0.1:$port"
check "  the client secret is in no file of the bundle" test -n "$AZURE_CLIENT_SECRET"
check "  (scanned)" bash -c "! grep -rqF -- \"\$AZURE_CLIENT_SECRET\" '$work/ev-azure'"
check "  no activity log over the wire, and why" \
  test "$(jq -r .available "$(dirname "$azure_run")/events.json")" = false
stop_server

run "$sb" evidence verify "$work/empty-dir-that-does-not-exist"
check "evidence verify of a missing directory fails (exit $code)" test "$code" -ne 0

echo "evidence e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
