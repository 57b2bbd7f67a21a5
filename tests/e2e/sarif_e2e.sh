#!/usr/bin/env bash
# End-to-end: `--format sarif` of validate, plan, show and drift validates
# against the official SARIF 2.1.0 schema (vendored under tests/data/schemas),
# names the posture rules the example breaks with repository-relative
# locations, and is byte-identical across runs. Usage: sarif_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
py=/usr/bin/python3
schema=$src/tests/data/schemas/sarif-schema-2.1.0.json
checker=$src/tests/e2e/sarif_check.py
cd "$src" || exit 1  # locations are relative to the repository
posture=manifests/examples/posture
sb=$work/posture

sarif() {  # sarif NAME FILE [RULE...]: FILE validates and holds these rules
  local name=$1 file=$2
  shift 2
  local report
  report=$("$py" "$checker" "$schema" "$file" "$@" 2>&1)
  check "$name: $report" test $? -eq 0
}

run "$sb" validate -f "$posture/policy.yaml" -f "$posture/before" --format sarif
check "validate --format sarif fails on the unfixed estate (exit $code)" test "$code" -eq 1
printf '%s\n' "$out" >"$work/validate.sarif"
sarif "validate SARIF" "$work/validate.sarif" posture/network-deny posture/rsa-min-size posture/notify-before-expiry-min
check "validate SARIF points into the manifest" contains "$out" '"uri": "manifests/examples/posture/before/estate.yaml"'
errors=$("$py" -c 'import json,sys; print(sum(r["level"] == "error" for r in json.load(open(sys.argv[1]))["runs"][0]["results"]))' "$work/validate.sarif")
check "validate SARIF: three error results (got $errors)" test "$errors" = 3

run "$sb" validate -f "$posture" --format sarif
check "validate --format sarif passes on the fixed estate (exit $code)" test "$code" -eq 0
printf '%s\n' "$out" >"$work/fixed.sarif"
sarif "validate SARIF (fixed)" "$work/fixed.sarif" posture/hsm-keys

# A manifest error is a result with its location too.
mkdir -p "$work/bad"
printf 'apiVersion: cmkctl/v1\nkind: Valt\nmetadata: {name: x, owner: y}\nspec: {}\n' >"$work/bad/bad.yaml"
run "$sb" validate -f "$work/bad" --format sarif
check "validate SARIF of an invalid manifest (exit $code)" test "$code" -eq 1
printf '%s\n' "$out" >"$work/bad.sarif"
check "an invalid manifest is a manifest/invalid result" contains "$out" '"ruleId": "manifest/invalid"'
sarif "validate SARIF of an invalid manifest" "$work/bad.sarif" --outside-ok manifest/invalid
check "outside the repository the location is a file URI" contains "$out" '"uri": "file://'
run "$sb" plan -f "$work/bad" --format sarif
check "plan --format sarif of an invalid manifest (exit $code)" test "$code" -eq 1
printf '%s\n' "$out" >"$work/bad-plan.sarif"
sarif "plan SARIF of an invalid manifest" "$work/bad-plan.sarif" --outside-ok manifest/invalid

run "$sb" sandbox seed "$posture/sandbox-seed.yaml"
run "$sb" plan -f "$posture/policy.yaml" -f "$posture/before" --format sarif
check "plan --format sarif exits 1 on policy errors (exit $code)" test "$code" -eq 1
printf '%s\n' "$out" >"$work/plan.sarif"
sarif "plan SARIF" "$work/plan.sarif" posture/network-deny posture/rsa-min-size posture/notify-before-expiry-min
"$cmkctl" --sandbox "$sb" plan -f "$posture/policy.yaml" -f "$posture/before" --format sarif >"$work/plan2.sarif" 2>/dev/null
check "plan SARIF is byte-identical across runs" cmp -s "$work/plan.sarif" "$work/plan2.sarif"

# The unfixed estate applied without its policy: drift and show see the live
# estate break it.
run "$sb" apply -f "$posture/before" --auto-approve
check "the unfixed estate applies without its policy (exit $code)" test "$code" -eq 0
run "$sb" drift -f "$posture" --format sarif
check "drift --format sarif exits 5 on risky drift (exit $code)" test "$code" -eq 5
printf '%s\n' "$out" >"$work/drift.sarif"
sarif "drift SARIF" "$work/drift.sarif" drift/policy drift/differs
check "drift SARIF names the live rule" contains "$out" "network-deny (policy/payments-posture)"
run "$sb" show -f "$posture" --format sarif
check "show --format sarif (exit $code)" test "$code" -eq 0
printf '%s\n' "$out" >"$work/show.sarif"
sarif "show SARIF" "$work/show.sarif" posture/network-deny

# The checker is not vacuous: a log the schema forbids fails it.
sed 's/"level": "error"/"level": "fatal"/' "$work/plan.sarif" >"$work/broken.sarif"
"$py" "$checker" "$schema" "$work/broken.sarif" >/dev/null 2>&1
check "a SARIF log with a level the schema forbids fails the check" test $? -ne 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
