#!/usr/bin/env bash
# `make run`: the main job on a fresh sandbox, for every example estate:
# seed, validate, plan, apply, plan again (must be empty), show the inventory.
set -euo pipefail
cmkctl=${1:-build/reconciler/cli/cmkctl}
root=$(cd "$(dirname "$0")/.." && pwd)
export CMKCTL_SANDBOX=${CMKCTL_SANDBOX:-$root/build/demo-sandbox}
# The demo is the sandbox's (then --target azure against the served one); it
# says so, as plan and apply require in CI (CI=true).
export CMKCTL_TARGET=sandbox
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
say "bank over the wire: the REST provider (--target azure) against 'cmkctl sandbox serve'"
wire=$root/build/demo-wire
rm -rf "$wire"
"$cmkctl" --sandbox "$wire" sandbox seed "$root/manifests/examples/bank/sandbox-seed.yaml" >/dev/null
"$cmkctl" --sandbox "$wire" sandbox serve >"$root/build/demo-serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q "tenant:" "$root/build/demo-serve.log" 2>/dev/null && break; sleep 0.1; done
cat "$root/build/demo-serve.log"
port=$(sed -n 's#.*listening on https://127.0.0.1:\([0-9]*\).*#\1#p' "$root/build/demo-serve.log")
export AZURE_TENANT_ID=$(awk '/tenant:/ {print $2}' "$root/build/demo-serve.log")
export AZURE_CLIENT_ID=cmkctl-demo AZURE_CLIENT_SECRET=$(cat "$wire/server-client-secret")
export CMKCTL_ARM_ENDPOINT=https://127.0.0.1:$port CMKCTL_VAULT_DNS_SUFFIX=vault.localhost:$port
export AZURE_AUTHORITY_HOST=https://127.0.0.1:$port CMKCTL_CA_BUNDLE=$wire/server-ca.pem
"$cmkctl" --target azure apply -f "$root/manifests/examples/bank" --auto-approve
"$cmkctl" --target azure plan -f "$root/manifests/examples/bank" --detailed-exitcode
say "done: every example converged on the sandbox at $CMKCTL_SANDBOX, and over the wire"
