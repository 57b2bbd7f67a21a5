#!/usr/bin/env bash
# End-to-end rotation lifecycle on the sandbox's simulated clock: the bank's
# yearly rotation with a 24-hour window over 3 years, the pharma pinned
# version (retirement blocked; a manual disable rehearsed as an outage),
# rehearse on every example, and a broken policy (expiry before rotation).
# Usage: rotation_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
count() { grep -cF -- "$2" <<<"$1"; }
setup() {  # setup NAME: seed + apply the example into $work/NAME
  sb=$work/$1
  run "$sb" sandbox seed "$examples/$1/sandbox-seed.yaml"
  run "$sb" apply -f "$examples/$1" --auto-approve
  check "$1: apply (got $code: $err)" test "$code" -eq 0
}

# Bank: 3 yearly rotations (the third at the very end), each old version disabled only after every
# consumer kind adopted at its own pace (SQL and the DES within the hour, storage within the day)
# and the SQL server's backup retention passed.
setup bank
# The files and their bytes (not `ls -la`: opening the sandbox to copy it may
# touch the folder's own mtime, which says nothing about its contents).
contents() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(contents "$sb")
run "$sb" rehearse -f "$examples/bank" --until P3Y --step P1D
check "bank: 0 violations (got $code)" test "$code" -eq 0
check "bank: 3 rotations" test "$(count "$out" "  key.rotate  ")" -eq 3
check "bank: 2 retirements applied" test "$(count "$out" "apply.disable-version")" -eq 2
check "bank: retirement blocked until every kind adopted" contains "$out" "still used by des/treasury-vm-des (auto), sql/bank-ledger-sql (auto), storage/bankledger01 (auto), storage/bankreports01 (auto)"
check "bank: the SQL server and the DES adopt within the hour, storage within the day" \
  test "$(count "$out" "  sql.adopt  ")" -eq 2 -a "$(count "$out" "  des.adopt  ")" -eq 2 -a "$(count "$out" "  storage.adopt  ")" -eq 4
check "bank: the DES lets the old version go once its disks are re-wrapped" test "$(count "$out" "  des.rewrapped  ")" -eq 2
check "bank: retirement waits for the SQL server's backup retention" contains "$out" "still used by sql/bank-ledger-sql (backups need it)"
check "bank: the old server key is released before the retirement" test "$(count "$out" "  sql.key-released  ")" -eq 2
check "bank: the canary hook ran before each retirement" \
  test "$(count "$out" "hook 'canary-before-disable' passed")" -eq 2
check "bank: no hook failed" test "$(count "$out" "failed")" -eq 0
first_adopt=$(grep -m1 "storage.adopt" <<<"$out" | cut -c1-20)
first_disable=$(grep -m1 "apply.disable-version" <<<"$out" | cut -c1-20)
check "bank: disable not before adoption" test ! "$first_disable" \< "$first_adopt"
check "bank: original sandbox untouched" test "$(contents "$sb")" = "$before"
run "$sb" sandbox clock show
check "bank: original clock unchanged" test "$code" -eq 0

# An early manual disable of the version every consumer uses, 30 days in: the SQL server and the DES
# (like the storage accounts) go inaccessible at the moment of the disable, as violations.
run "$sb" rehearse -f "$examples/bank" --until P40D --step P1D --inject "disable key/treasury-ledger-kek/versions/@P30D"
check "bank inject: violations (got $code)" test "$code" -eq 1
when=$(grep -m1 "  inject  " <<<"$out" | cut -d' ' -f1)
check "bank inject: the disable happened" test -n "$when"
check "bank inject: the SQL server goes inaccessible then" contains "$out" "$when  sql.inaccessible  sql/bank-ledger-sql  key version"
check "bank inject: the DES goes inaccessible then" contains "$out" "$when  des.inaccessible  des/treasury-vm-des  key version"
check "bank inject: both are violations" test "$(grep -c "  sql/bank-ledger-sql: consumer inaccessible since $when\|  des/treasury-vm-des: consumer inaccessible since $when" <<<"$out")" -eq 2

# The bank's hooks on the changes the real planner makes, on the simulated
# clock: apply from empty (owner check, change window, adoption on bind), a
# manual rotation (`rotation.generation`: the adoption hook must find its
# key), and after the adoption window the old version's retirement (the
# canary hook on disable-version). The manifests keep their relative hook
# paths in a copy of the tree.
tree=$work/tree
mkdir -p "$tree/manifests/examples"
cp -r "$examples/bank" "$tree/manifests/examples/bank"
ln -s "$(cd "$src" && pwd)/hooks" "$tree/hooks"
bank=$tree/manifests/examples/bank
sbh=$work/bank-hooks
run "$sbh" sandbox clock set 2026-01-01T00:00:00Z
run "$sbh" sandbox seed "$bank/sandbox-seed.yaml"
run "$sbh" apply -f "$bank" --auto-approve
check "hooks: apply from empty (got $code: $err)" test "$code" -eq 0
check "hooks: owner check ran" contains "$out" "pre-hook 'require-owner' passed"
check "hooks: adoption hook passed on bind" contains "$out" "post-hook 'wait-for-storage-adoption' passed"
perl -0pi -e 's/  rotation:\n    policy: yearly/  rotation:\n    generation: 1\n    policy: yearly/' "$bank/vault.yaml"
run "$sbh" plan -f "$bank"
check "hooks: generation bump plans a rotation" contains "$out" "key/treasury-ledger-kek/rotate (rotate)"
run "$sbh" apply -f "$bank" --auto-approve
check "hooks: rotation applied (got $code: $out $err)" test "$code" -eq 0
check "hooks: the adoption hook knows the rotated key" contains "$out" "post-hook 'wait-for-storage-adoption' passed"
check "hooks: the adoption hook cannot fail to find the key" test "$(count "$out" "cannot tell which key")" -eq 0
run "$sbh" sandbox clock advance P2D
run "$sbh" plan -f "$bank"
check "hooks: every consumer adopted, the SQL server still keeps the old version for restores" \
  contains "$out" "still used by sql/bank-ledger-sql (backups need it)"
run "$sbh" sandbox clock advance P6D
run "$sbh" plan -f "$bank"
check "hooks: retirement planned after the backup retention" contains "$out" "(disable-version)"
run "$sbh" apply -f "$bank" --auto-approve
check "hooks: retirement applied (got $code: $out $err)" test "$code" -eq 0
check "hooks: canary ran before the retirement" contains "$out" "pre-hook 'canary-before-disable' passed"
run "$sbh" verify -f "$bank"
check "hooks: every consumer verifies after the retirement (got $code)" test "$code" -eq 0

# Pharma: the pinned version's retirement is blocked; a manual disable is an outage.
setup pharma
run "$sb" plan -f "$examples/pharma"
check "pharma: retirement blocked (pinned)" contains "$out" "blocked: retire version 6f1c2b3a"
check "pharma: pinned consumer named" contains "$out" "storage/pharmaexports01 (pinned)"
run "$sb" rehearse -f "$examples/pharma" --until P30D --step P1D \
  --inject "disable key/research-exports-kek/versions/6f1c2b3a@P1D"
check "pharma: rehearse reports the outage (exit 1, got $code)" test "$code" -eq 1
check "pharma: outage names the consumer" contains "$out" "storage/pharmaexports01: consumer inaccessible since"
run "$sb" rehearse -f "$examples/pharma" --until P30D --step P1D --format json
check "pharma: json verdict pass" contains "$out" '"verdict": "pass"'

# Every example: two years, weekly pipeline, no violation.
for dir in "$examples"/*/; do
  name=$(basename "$dir")
  [ -d "$work/$name" ] || setup "$name"
  run "$work/$name" rehearse -f "$dir" --until P2Y --step P7D
  check "$name: rehearse P2Y 0 violations (got $code: $(tail -3 <<<"$out"))" test "$code" -eq 0
done

# A broken manifest: versions expire (P28D... P60D) before the policy rotates (P90D).
mkdir -p "$work/broken"
cp "$examples/bank/"{defaults,storage,vault}.yaml "$work/broken/"
sed -i 's/rotateAfterCreate: P1Y/rotateAfterCreate: P18M/' "$work/broken/vault.yaml"
sed -i 's/expiryTime: P2Y/expiryTime: P1Y/' "$work/broken/vault.yaml"
sed -i 's/notifyBeforeExpiry: P30D/notifyBeforeExpiry: P10D/' "$work/broken/vault.yaml"
sbb=$work/broken-sb
run "$sbb" sandbox seed "$examples/bank/sandbox-seed.yaml"
run "$sbb" apply -f "$work/broken" --auto-approve
check "broken: apply (got $code: $err)" test "$code" -eq 0
run "$sbb" rehearse -f "$work/broken" --until P3Y --step P7D
check "broken: rehearse fails (got $code)" test "$code" -eq 1
check "broken: violation names the expiry" contains "$out" "expired"
check "broken: violation has a date" grep -qE "^  20[0-9-]+T[0-9:]+Z  storage/" <<<"$out"

# `rehearse --target azure` (a snapshot of the live inventory) is covered by snapshot_e2e.sh.

echo "rotation_e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
