#!/usr/bin/env bash
# End-to-end: Lua hooks in real applies against fresh sandboxes (docs/hooks.md).
#  (a) a post-hook fails on a binding repin: the binding is rolled back to its
#      previous key version and the report lists exactly what happened;
#  (b) a pre-hook refuses a key create: the key and its dependents are skipped,
#      the vault and an independent identity are still created;
#  (c) hostile hooks (infinite loops, one inside pcall) are stopped, named, and
#      cmkctl exits 1 cleanly;
#  (d) validate reports a hook script's syntax error as file:line.
# Usage: hooks_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
m=$src/tests/e2e/hooks
A=a1b2c3d4e5f60718293a4b5c6d7e8f90
B=0f1e2d3c4b5a69788796a5b4c3d2e1f0
# The report: the lines after "Apply complete/incomplete".
report_of() { sed -n '/^Apply \(in\)\{0,1\}complete/,$p' <<<"$1" | tail -n +2; }
# Outcome lines only (notes are indented further).
# The action of ADDRESS in plan JSON ("action" sorts just before "address").
action_of() { grep -B1 "\"address\": \"$2\"," <<<"$1" | sed -n 's/.*"action": "\([^"]*\)".*/\1/p' | head -1; }
outcome_lines() { grep -E '^  (applied|rolled back|rollback failed|failed|skipped|not attempted) ' <<<"$1"; }

# (a) Rollback of a binding to its previous key version, through a saved plan.
sb=$work/rollback
run "$sb" sandbox seed "$m/seed.yaml"
check "(a) seed (exit $code: $err)" test "$code" -eq 0
run "$sb" apply -f "$m/common" -f "$m/pinned-a" --auto-approve
check "(a) pinning both accounts to version A applies (exit $code: $err)" test "$code" -eq 0
run "$sb" plan -f "$m/common" -f "$m/pinned-a" --detailed-exitcode
check "(a) and converges (exit $code): $out" test "$code" -eq 0
run "$sb" plan -f "$m/common" -f "$m/repin-b" --out "$work/repin.json"
check "(a) the repin plan is saved (exit $code: $err)" test "$code" -eq 0
check "(a) the plan lists the hook on the change" contains "$out" "ledger-smoke-test"
check "(a) the saved plan carries the hook spec" grep -q '"on_failure": "rollback"' "$work/repin.json"
run "$sb" apply "$work/repin.json" --auto-approve
check "(a) apply exits 1 after a rollback (got $code: $err)" test "$code" -eq 1
check "(a) the hook's result is printed under its change" \
  contains "$out" "post-hook 'ledger-smoke-test' failed: ledger smoke test cannot read its data with version $B"
check "(a) with the hook's log" contains "$out" "info: hookledger01 reports $B"
check "(a) the rollback script ran and saw version A again" \
  contains "$out" "warn: rolled back: binding/ledger uses $A again"
report=$(report_of "$out")
lines=$(outcome_lines "$report")
check "(a) the report lists exactly three changes: $lines" test "$(wc -l <<<"$lines")" -eq 3
check "(a) applied: the key tag update" matches "$lines" '^  applied +key/hooks-kek +update$'
check "(a) rolled back: the ledger binding, with the hook's failure" \
  matches "$lines" "^  rolled back +binding/ledger +post-hook 'ledger-smoke-test' failed: ledger smoke test cannot read its data with version $B\$"
check "(a) the report says what was reverted: $report" \
  contains "$report" "reverted keyVersion ${B:0:8}… → ${A:0:8}…"
check "(a) not attempted: the independent reports binding" \
  matches "$lines" '^  not attempted +binding/reports +apply stopped after binding/ledger \(use --keep-going\)$'
run "$sb" sandbox events
last=$(grep 'storage.encryption  storage/hookledger01' <<<"$out" | tail -1)
check "(a) hookledger01 uses version A again: $last" contains "$last" "/keys/hooks-kek/$A (pinned)"
run "$sb" plan -f "$m/common" -f "$m/pinned-a" --format json
check "(a) binding/ledger is still pinned to A (a no-op against step 1)" \
  test "$(action_of "$out" binding/ledger)" = no-op
check "(a) binding/reports was never repinned" test "$(action_of "$out" binding/reports)" = no-op

# (b) A pre-hook failure skips a change and its dependents.
sb=$work/prehook
run "$sb" sandbox seed "$m/seed.yaml"
run "$sb" apply -f "$m/prehook" --auto-approve
check "(b) apply exits 1 (got $code: $err)" test "$code" -eq 1
check "(b) the pre-hook's failure is printed" \
  contains "$out" "pre-hook 'key-gate' failed: no change ticket for key/fresh-kek"
lines=$(outcome_lines "$(report_of "$out")")
check "(b) the report lists six changes: $lines" test "$(wc -l <<<"$lines")" -eq 6
check "(b) the vault is created" matches "$lines" '^  applied +vault/hooks-new-kv +create$'
check "(b) the independent identity is created" matches "$lines" '^  applied +identity/hooks-batch-id +create$'
check "(b) the key is skipped by its pre-hook" \
  matches "$lines" "^  skipped +key/fresh-kek +pre-hook 'key-gate' failed: no change ticket for key/fresh-kek\$"
for dep in key/fresh-kek/rotation-policy role-assignment/reports-fresh-access binding/reports; do
  check "(b) $dep is skipped as a dependent" \
    matches "$lines" "^  skipped +$dep +depends on key/fresh-kek, which was skipped by a pre-hook\$"
done
run "$sb" plan -f "$m/prehook" --format json
check "(b) the key was never created" test "$(action_of "$out" key/fresh-kek)" = create
check "(b) the vault exists now" test "$(action_of "$out" vault/hooks-new-kv)" = no-op

# (c) Hostile hooks in a real apply.
sb=$work/hostile
run "$sb" sandbox seed "$m/seed.yaml"
run "$sb" apply -f "$m/hostile" --auto-approve --keep-going
check "(c) cmkctl exits 1 cleanly, not by a signal (got $code: $err)" test "$code" -eq 1
check "(c) the infinite loop is stopped and named: $out" matches "$out" "pre-hook 'spin' stopped: (instruction budget|wall-clock limit)"
check "(c) the loop inside pcall is stopped and named" \
  matches "$out" "post-hook 'spin-in-pcall' stopped: (instruction budget|wall-clock limit)"
lines=$(outcome_lines "$(report_of "$out")")
check "(c) the vault behind the spinning pre-hook is skipped" matches "$lines" "^  skipped +vault/hostile-a-kv +pre-hook 'spin' stopped"
check "(c) the other vault stays applied after its post-hook halted" \
  matches "$lines" "^  applied +vault/hostile-b-kv +post-hook 'spin-in-pcall' stopped"
check "(c) the error names the outcome" contains "$err" "skipped by a pre-hook"

# (d) validate loads every hook script.
run "$work/none" validate -f "$m/syntax"
check "(d) a hook script's syntax error fails validate (exit $code)" test "$code" -eq 1
check "(d) as file:line: $err" matches "$err" 'scripts/bad-syntax\.lua:3: '
check "(d) naming the hook" contains "$err" "(hook 'broken')"
run "$work/none" validate -f "$src/manifests/examples/bank"
check "(d) the bank example's hooks load (exit $code: $err)" test "$code" -eq 0
check "(d) and are counted" contains "$out" "4 hook(s)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
