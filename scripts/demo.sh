#!/usr/bin/env bash
# `make run`: the main job on a fresh sandbox, for every example estate:
# seed, validate, plan, apply, plan again (must be empty), show the inventory.
set -euo pipefail
cmkctl=${1:-build/reconciler/cli/cmkctl}
root=$(cd "$(dirname "$0")/.." && pwd)
export CMKCTL_SANDBOX=${CMKCTL_SANDBOX:-$root/build/demo-sandbox}
rm -rf "$CMKCTL_SANDBOX"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

for dir in "$root"/manifests/examples/*/; do
  name=$(basename "$dir")
  say "$name: seed the sandbox with the storage accounts other teams own"
  "$cmkctl" sandbox seed "$dir/sandbox-seed.yaml"
  say "$name: validate"
  "$cmkctl" validate -f "$dir"
  say "$name: plan"
  "$cmkctl" plan -f "$dir"
  say "$name: apply"
  "$cmkctl" apply -f "$dir" --auto-approve
  say "$name: plan again (must be empty)"
  set +e
  "$cmkctl" plan -f "$dir" --detailed-exitcode
  code=$?
  set -e
  if [ "$code" -ne 0 ]; then
    echo "second plan for $name is not empty (exit $code): the apply did not converge" >&2
    exit 1
  fi
  say "$name: inventory"
  "$cmkctl" show -f "$dir"
done
say "done: every example converged on the sandbox at $CMKCTL_SANDBOX"
