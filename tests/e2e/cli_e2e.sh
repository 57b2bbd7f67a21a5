#!/usr/bin/env bash
# End-to-end: every example converges; stale plans, missing approval and bad
# input are refused with the right exit code and message; output is
# deterministic. Usage: cli_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

for dir in "$examples"/*/; do
  name=$(basename "$dir")
  sb=$work/$name
  run "$sb" sandbox seed "$dir/sandbox-seed.yaml"
  check "$name: seed" test "$code" -eq 0
  run "$sb" plan -f "$dir" --detailed-exitcode
  check "$name: first plan has changes (exit 2, got $code: $err)" test "$code" -eq 2
  check "$name: plan names its target" contains "$out" "Target: sandbox: $sb"
  run "$sb" apply -f "$dir" --auto-approve
  check "$name: apply succeeds (exit $code: $err)" test "$code" -eq 0
  run "$sb" plan -f "$dir" --detailed-exitcode
  check "$name: second plan is empty (exit $code): $out" test "$code" -eq 0
  check "$name: second plan says so" contains "$out" "No changes"
  run "$sb" apply -f "$dir" --auto-approve
  check "$name: apply twice is a no-op" contains "$out" "No changes"
  run "$sb" show -f "$dir"
  check "$name: show succeeds" test "$code" -eq 0
  check "$name: show lists versions" contains "$out" "VERSION"
  check "$name: sandbox db is 0600" test "$(stat -c %a "$sb/sandbox.db")" = 600
  run "$sb" verify -f "$dir"
  check "$name: every canary passes after apply (exit $code): $out" test "$code" -eq 0
  check "$name: verify prints its summary" grep -qE '^[0-9]+ passed, 0 failed' <<<"$out"
done

# Disabling the version consumers use is refused at plan time: no consumer
# ever loses access. (verify's own failure paths, a disabled version, a
# missing role and a corrupted unwrap, are in tests/verify.)
# The copy keeps the repository layout: the example's hook scripts are
# referenced relative to the manifests (../../../hooks/examples/...).
disabled=$work/tree/manifests/examples/bank-disabled
mkdir -p "$work/tree/manifests/examples"
cp -r "$src/hooks" "$work/tree/hooks"
cp -r "$examples/bank" "$disabled"
sed -i 's/^  size: 3072$/  size: 3072\n  enabled: false/' "$disabled/vault.yaml"
check "the test manifest disables the key" grep -q "enabled: false" "$disabled/vault.yaml"
run "$work/bank" plan -f "$disabled"
check "disabling a version in use is a plan error (exit $code)" test "$code" -eq 1
check "naming the consumer that would lose access: $out" contains "$out" "storage/bankledger01"
run "$work/bank" verify -f "$examples/bank" --key no-such-key
check "verify of an unknown key is a usage error (exit $code)" test "$code" -eq 64

# Bindings report the version in use.
run "$work/bank" show -f "$examples/bank" --format json
check "show json names a versioned key in use" contains "$out" '"currentVersionedKeyIdentifier"'

# Determinism: two fresh sandboxes seeded alike give byte-identical plans.
for i in 1 2; do
  "$cmkctl" --sandbox "$work/det$i" sandbox seed "$examples/bank/sandbox-seed.yaml" >/dev/null 2>&1
  "$cmkctl" --sandbox "$work/det$i" plan -f "$examples/bank" --format json >"$work/det$i.json" 2>/dev/null
  "$cmkctl" --sandbox "$work/det$i" plan -f "$examples/bank" >"$work/det$i.txt" 2>/dev/null
done
sed -i "s#$work/det[12]#SANDBOX#g" "$work"/det1.* "$work"/det2.*
check "plan JSON is byte-identical across runs" cmp -s "$work/det1.json" "$work/det2.json"
check "plan text is byte-identical across runs" cmp -s "$work/det1.txt" "$work/det2.txt"

# A saved plan is refused once the live objects it was computed from moved.
sb=$work/stale
run "$sb" sandbox seed "$examples/bank/sandbox-seed.yaml"
run "$sb" plan -f "$examples/bank" --out "$work/stale-plan.json"
check "plan --out writes the plan" test -s "$work/stale-plan.json"
cp "$work/stale-plan.json" "$work/approved.json"
run "$sb" apply "$work/approved.json" --auto-approve
check "a fresh saved plan applies (exit $code: $err)" test "$code" -eq 0
run "$sb" apply "$work/stale-plan.json" --auto-approve
check "a stale saved plan is refused (exit $code)" test "$code" -eq 1
check "the refusal names the object that moved: $err" contains "$err" "vault/bank-treasury-kv"
run "$sb" plan -f "$examples/bank" --detailed-exitcode
check "the refused plan changed nothing (exit $code)" test "$code" -eq 0

# A saved plan for another target is refused.
run "$work/other" apply "$work/approved.json" --auto-approve
check "a plan for another sandbox is refused" test "$code" -eq 1
check "and says which target it was for" contains "$err" "was computed for"

# A saved plan is the approval: applied without a prompt, and refused when the
# file or a hook script it runs changed since, or when it deletes without the
# flags on the apply command line. The manifests and hooks are copied, so the
# test can edit a hook.
tree=$work/sealed
mkdir -p "$tree/manifests/examples"
cp -r "$examples/bank" "$tree/manifests/examples/bank"
cp -r "$src/hooks" "$tree/hooks"
bank=$tree/manifests/examples/bank
sb=$work/sealed-sb
run "$sb" sandbox seed "$bank/sandbox-seed.yaml"
run "$sb" plan -f "$bank" --out "$work/sealed.json"
check "a sealed plan carries a digest" grep -q '"digest": "sha256:' "$work/sealed.json"
check "and each hook script's digest" grep -q '"script_sha256": "sha256:' "$work/sealed.json"
sed 's/"enabled": true/"enabled": false/' "$work/sealed.json" >"$work/edited.json"
run "$sb" apply "$work/edited.json"
check "an edited plan is refused (exit $code)" test "$code" -eq 1
check "and says it changed: $err" contains "$err" "the plan was changed after"
grep -v '"digest"' "$work/sealed.json" | sed 's/"summary"/"summary"/' >"$work/unsealed.json"
run "$sb" apply "$work/unsealed.json"
check "a plan without a digest is refused: $err" contains "$err" "carries no digest"
echo '-- edited' >>"$tree/hooks/examples/change-window.lua"
run "$sb" apply "$work/sealed.json"
check "a plan whose hook script changed is refused (exit $code)" test "$code" -eq 1
check "and names the hook: $err" contains "$err" "hook/change-window"
cp "$src/hooks/examples/change-window.lua" "$tree/hooks/examples/change-window.lua"
run "$sb" plan -f "$bank" --detailed-exitcode
check "nothing was applied by the refused plans (exit $code)" test "$code" -eq 2
run "$sb" apply "$work/sealed.json"
check "the sealed plan applies without a prompt or --auto-approve (exit $code: $err)" test "$code" -eq 0
# A key the manifests no longer name: its delete needs the flags again at apply.
cat >"$bank/spare.yaml" <<'YAML'
apiVersion: cmkctl/v1
kind: Key
metadata:
  name: spare-kek
  owner: treasury-platform
spec:
  vault: bank-treasury-kv
  type: RSA
  size: 2048
  operations: [wrapKey, unwrapKey]
YAML
run "$sb" apply -f "$bank" --auto-approve
check "a spare key is added (exit $code: $err)" test "$code" -eq 0
rm "$bank/spare.yaml"
run "$sb" plan -f "$bank" --prune --allow-destroy --out "$work/prune.json"
check "the prune plans the key's delete" contains "$out" "key/spare-kek (delete)"
run "$sb" apply "$work/prune.json"
check "its apply without the flags is refused (exit $code)" test "$code" -eq 1
check "and says which flags: $out" contains "$out" "needs --prune --allow-destroy on this command line too"
run "$sb" apply "$work/prune.json" --prune --allow-destroy
check "with the flags it applies (exit $code: $err)" test "$code" -eq 0

# apply without a terminal and without --auto-approve refuses and changes nothing.
sb=$work/noapprove
run "$sb" sandbox seed "$examples/bank/sandbox-seed.yaml"
run "$sb" apply -f "$examples/bank"
check "apply without approval refuses (exit $code)" test "$code" -eq 1
check "and says why" contains "$err" "--auto-approve"
run "$sb" plan -f "$examples/bank" --detailed-exitcode
check "nothing was applied" test "$code" -eq 2

# Bad input: exit 1 with file:line:col; bad usage: exit 64.
run "$work/bad" validate -f "$src/tests/malformed"
check "malformed manifests fail validation (exit $code)" test "$code" -eq 1
check "errors carry file:line:col" grep -qE 'malformed/[^:]+\.yaml:[0-9]+:[0-9]+: error' <<<"$err"
run "$work/bad" plan --no-such-flag
check "unknown flag is a usage error (exit $code)" test "$code" -eq 64
run "$work/bad" plan -f "$src/tests/does-not-exist"
check "a missing manifest path is an error (exit $code)" test "$code" -eq 1

# Hostile text never crashes a command: a 0xFF byte in an owner once aborted
# `plan --format json` (SIGABRT) although `validate` accepted it.
utf8=$work/tree/manifests/examples/bank-utf8
cp -r "$examples/bank" "$utf8"
sed -i 's/^  owner: treasury-platform$/  owner: treasury\xffplatform/' "$utf8/vault.yaml"
check "the test manifest holds a 0xFF byte" grep -q $'\xff' "$utf8/vault.yaml"
for format in text json markdown; do
  run "$work/utf8" plan -f "$utf8" --format "$format"
  check "plan --format $format refuses invalid UTF-8 with exit 1, not a crash (exit $code)" test "$code" -eq 1
done
check "and says where: $err" grep -qE 'bank-utf8/vault.yaml:[0-9]+:[0-9]+: error: byte 0xFF is not valid UTF-8' <<<"$err"
run "$work/utf8" validate -f "$utf8"
check "validate refuses it too (exit $code)" test "$code" -eq 1

# plan runs exactly the checks validate runs, hook scripts included.
badhook=$work/tree/manifests/examples/bank-badhook
cp -r "$examples/bank" "$badhook"
mkdir -p "$work/tree/hooks/broken"
printf 'if then\n' >"$work/tree/hooks/broken/syntax.lua"
sed -i 's#hooks/examples/change-window.lua#hooks/broken/syntax.lua#' "$badhook/hooks.yaml"
run "$work/badhook" plan -f "$badhook"
check "plan refuses a hook script that does not load (exit $code)" test "$code" -eq 1
check "naming the script and line: $err" grep -q "syntax.lua:1:" <<<"$err"

# Posture policy: the example's estate before its fix fails three rules, at
# validate and at plan (and apply refuses); after the fix it passes, and the
# live estate is checked by show and drift.
posture=$examples/posture
run "$work/posture-before" validate -f "$posture/policy.yaml" -f "$posture/before"
check "posture before the fix: validate fails (exit $code)" test "$code" -eq 1
for rule in network-deny rsa-min-size notify-before-expiry-min; do
  check "posture before the fix: $rule is an error at its file:line:col: $err" \
    grep -qE "before/estate.yaml:[0-9]+:[0-9]+: error: [a-z/-]+: $rule \(policy/payments-posture\)" <<<"$err"
done
check "posture before the fix: exactly three errors" contains "$err" "3 policy error(s) in manifests."
run "$work/posture-before" sandbox seed "$posture/sandbox-seed.yaml"
run "$work/posture-before" plan -f "$posture/policy.yaml" -f "$posture/before"
check "posture before the fix: the plan has the three errors" contains "$out" "The plan has 3 errors"
run "$work/posture-before" apply -f "$posture/policy.yaml" -f "$posture/before" --auto-approve
check "posture before the fix: apply refuses (exit $code)" test "$code" -ne 0
run "$work/posture-before" validate -f "$posture"
check "posture after the fix: validate passes (exit $code): $err" test "$code" -eq 0
check "posture after the fix: the warning-level rule still reports" contains "$err" "warning: key/payments-ledger-kek: hsm-keys"
# The live estate breaks the policy: the estate before the fix applied
# without its policy (as a team that bypassed it would).
run "$work/posture-before" apply -f "$posture/before" --auto-approve
check "posture: the unfixed estate applies without its policy (exit $code): $err" test "$code" -eq 0
run "$work/posture-before" drift -f "$posture"
check "posture: drift sees the live vault break network-deny (exit $code): $out" contains "$out" "network-deny (policy/payments-posture)"
run "$work/posture-before" show -f "$posture"
check "posture: show lists live policy findings: $out" contains "$out" "Policy (live)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
