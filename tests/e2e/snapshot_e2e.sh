#!/usr/bin/env bash
# End-to-end: `cmkctl --target azure rehearse` rehearses a snapshot of the live
# inventory, read over the wire (the REST provider, the code path used against
# Azure) from a sandbox served over HTTPS. For every example (bank, pharma,
# insurer, public-sector-saas; SNAPSHOT_EXAMPLES picks some) the
# timeline equals the one the local copy path (`--sandbox DIR rehearse`) prints
# for the same state, the served store is left unchanged, and the temporary
# sandbox is removed.
# Usage: snapshot_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# The two timelines differ in their first line (what was rehearsed) and in the
# ids of versions created during the rehearsal (each sandbox generates its
# own): every 32-hex version id, and its short form "0123abcd…", becomes its
# rank of first appearance.
normalize() {
  sed -E '1s/^Rehearsal on .*: (20[0-9-]+T[0-9:]+Z -> )/Rehearsal: \1/' |
    perl -CSD -Mutf8 -pe 's/\b([0-9a-f]{8})(?:[0-9a-f]{24}\b|…)/"v" . ($id{$1} \/\/= ++$n)/ge'
}
events() { "$cmkctl" --sandbox "$1" sandbox events 2>/dev/null | wc -l; }
# Rehearse runs with its own TMPDIR so that the temporary sandbox's removal shows.
rehearse_wire() {
  out=$(TMPDIR=$work/tmp "$cmkctl" --target azure rehearse "$@" 2>"$work/stderr" </dev/null)
  code=$?
  err=$(cat "$work/stderr")
}
mkdir -p "$work/tmp"
start=2026-11-23T00:00:00Z

for name in ${SNAPSHOT_EXAMPLES:-bank pharma insurer public-sector-saas}; do
  dir=$examples/$name
  sb=$work/$name
  "$cmkctl" --sandbox "$sb" sandbox clock set "$start" >/dev/null
  "$cmkctl" --sandbox "$sb" sandbox seed "$dir/sandbox-seed.yaml" >/dev/null
  run "$sb" apply -f "$dir" --auto-approve
  check "$name: apply (got $code: $err)" test "$code" -eq 0
  run "$sb" plan -f "$dir" --detailed-exitcode
  plan_before=$code

  start_server "$sb"
  check "$name: server started (port '$port')" test -n "$port"
  events_before=$(events "$sb")
  rehearse_wire -f "$dir" --until P2Y --step P1D --snapshot-time "$start"
  wire=$out
  check "$name: rehearse --target azure exits 0 (got $code: $(tail -3 <<<"$err"))" test "$code" -eq 0
  check "$name: first line names the snapshot of the azure target" \
    matches "$(head -1 <<<"$wire")" "^Rehearsal on a snapshot of azure: https://127.0.0.1:$port: $start -> "
  check "$name: says it read a snapshot, read-only" contains "$err" "(read-only) as of $start"
  check "$name: verdict pass" contains "$wire" "Verdict: PASS"
  check "$name: temporary sandbox removed" test -z "$(ls -A "$work/tmp")"
  if [ "$name" = pharma ]; then
    rehearse_wire -f "$dir" --until P30D --step P1D --snapshot-time "$start" \
      --inject "disable key/research-exports-kek/versions/6f1c2b3a@P1D"
    wire_inject=$out
    wire_inject_code=$code
    check "pharma: injected disable is an outage on the snapshot (exit 1, got $code)" test "$code" -eq 1
    check "pharma: outage names the consumer" \
      contains "$wire_inject" "storage/pharmaexports01: consumer inaccessible since"
    rehearse_wire -f "$dir" --until P30D --step P1D --snapshot-time "$start" --format json
    check "pharma: json names the snapshot" contains "$out" "\"source\": \"a snapshot of azure: https://127.0.0.1:$port\""
  fi
  check "$name: the served store is unchanged (events $events_before -> $(events "$sb"))" \
    test "$(events "$sb")" -eq "$events_before"
  stop_server

  run "$sb" rehearse -f "$dir" --until P2Y --step P1D
  check "$name: local copy rehearsal exits 0 (got $code)" test "$code" -eq 0
  check "$name: local first line names the copy" matches "$(head -1 <<<"$out")" "^Rehearsal on a copy of $sb: $start -> "
  check "$name: same timeline as the local copy path" \
    cmp -s <(normalize <<<"$wire") <(normalize <<<"$out")
  if ! cmp -s <(normalize <<<"$wire") <(normalize <<<"$out"); then
    diff <(normalize <<<"$wire") <(normalize <<<"$out") | head -20 >&2
  fi
  check "$name: timeline is not empty" test "$(wc -l <<<"$wire")" -gt 4
  if [ "$name" = pharma ]; then
    run "$sb" rehearse -f "$dir" --until P30D --step P1D \
      --inject "disable key/research-exports-kek/versions/6f1c2b3a@P1D"
    check "pharma: same exit code with --inject on both paths ($wire_inject_code, $code)" \
      test "$code" -eq "$wire_inject_code"
    check "pharma: same --inject timeline on both paths" \
      cmp -s <(normalize <<<"$wire_inject") <(normalize <<<"$out")
  fi
  run "$sb" plan -f "$dir" --detailed-exitcode
  check "$name: plan unchanged by the rehearsals ($plan_before -> $code)" test "$code" -eq "$plan_before"
done

# Flags: --snapshot-time is for the snapshot path only; a bad time is refused.
run "$work/bank" rehearse -f "$examples/bank" --until P1M --snapshot-time "$start"
check "--snapshot-time on a sandbox copy refused (got $code)" test "$code" -eq 1
check "--snapshot-time on a sandbox copy says why" contains "$err" "--snapshot-time is for --target azure"

echo "snapshot_e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
