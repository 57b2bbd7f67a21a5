#!/usr/bin/env bash
# Generates an estate of a given size for the fleet benchmark: manifests and
# the sandbox seed of the storage accounts they bind.
#
# Per vault (the defaults): KEYS RSA-2048 keys on the one shared rotation
# policy (with retirement), IDENTITIES user-assigned identities, BINDINGS
# storage bindings (key i of the vault; odd ones through the account's system
# identity, even ones through a user-assigned identity), and 2*BINDINGS+1
# role assignments: each binding's principal on its key, every identity as
# Crypto User on the vault, every system-identity account as Reader on the
# vault, one administrator object id on the vault. With the defaults that is
# 47 documents per vault (1 + 10 + 5 + 21 + 10). Vaults are spread over
# subscriptions of 20 vaults, one resource group per vault (and one per
# vault's data). Deterministic: the same arguments give the same files.
#
# Usage: generate.sh VAULTS OUT_DIR [KEYS=10] [IDENTITIES=5] [BINDINGS=10]
# Writes OUT_DIR/manifests/*.yaml and OUT_DIR/sandbox-seed.yaml.
set -euo pipefail
vaults=${1:?usage: generate.sh VAULTS OUT_DIR [KEYS] [IDENTITIES] [BINDINGS]}
out=${2:?usage: generate.sh VAULTS OUT_DIR [KEYS] [IDENTITIES] [BINDINGS]}
keys=${3:-10}
identities=${4:-5}
bindings=${5:-10}
[ "$bindings" -le "$keys" ] || { echo "BINDINGS must not exceed KEYS" >&2; exit 2; }
[ "$identities" -ge 1 ] || { echo "IDENTITIES must be at least 1" >&2; exit 2; }
admin=5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b
mkdir -p "$out/manifests"
rm -f "$out"/manifests/*.yaml


cat >"$out/manifests/fleet.yaml" <<YAML
# The fleet's shared settings: one rotation policy for every key.
apiVersion: cmkctl/v1
kind: Defaults
metadata: {name: fleet-defaults, owner: fleet-platform}
spec:
  location: westeurope
  tags: {estate: fleet}
---
apiVersion: cmkctl/v1
kind: RotationPolicy
metadata: {name: fleet-yearly, owner: security-office}
spec: {rotateAfterCreate: P1Y, notifyBeforeExpiry: P30D, expiryTime: P2Y}
YAML

{
  echo "# Storage accounts of the fleet (owned by data teams; cmkctl only binds them)."
  echo "principals:"
  echo "  - $admin"
  echo "storageAccounts:"
} >"$out/sandbox-seed.yaml"

for ((v = 1; v <= vaults; v++)); do
  printf -v V '%03d' "$v"
  printf -v s '00000000-0000-4000-8000-%012d' $((v / 20))
  rg=rg-fleet-v$V
  f=$out/manifests/vault-$V.yaml
  {
    printf 'apiVersion: cmkctl/v1\nkind: Vault\nmetadata: {name: fleet-v%s-kv, owner: fleet-platform}\n' "$V"
    printf 'spec: {subscription: %s, resourceGroup: %s, purgeProtection: true, softDeleteRetentionDays: 30}\n' "$s" "$rg"
    for ((k = 1; k <= keys; k++)); do
      printf -v K '%02d' "$k"
      printf -- '---\napiVersion: cmkctl/v1\nkind: Key\nmetadata: {name: v%s-k%s, owner: fleet-platform}\n' "$V" "$K"
      printf 'spec:\n  vault: fleet-v%s-kv\n  type: RSA\n  size: 2048\n' "$V"
      printf '  rotation: {policy: fleet-yearly, retire: {adoptionWindow: P2D}}\n'
    done
    for ((i = 1; i <= identities; i++)); do
      printf -- '---\napiVersion: cmkctl/v1\nkind: Identity\nmetadata: {name: v%s-id%d, owner: fleet-platform}\n' "$V" "$i"
      printf 'spec: {subscription: %s, resourceGroup: %s}\n' "$s" "$rg"
    done
    for ((b = 1; b <= bindings; b++)); do
      printf -v B '%02d' "$b"
      acct=fl${V}st$B
      if ((b % 2 == 1)); then
        principal="{storageAccount: $acct}"
        identity=system
      else
        id=v$V-id$(( (b / 2 - 1) % identities + 1 ))
        principal="{identity: $id}"
        identity="{userAssigned: $id}"
      fi
      printf -- '---\napiVersion: cmkctl/v1\nkind: RoleAssignment\nmetadata: {name: v%s-b%s-key, owner: fleet-platform}\n' "$V" "$B"
      printf 'spec: {principal: %s, role: Key Vault Crypto Service Encryption User, scope: {key: v%s-k%s}}\n' "$principal" "$V" "$B"
      if ((b % 2 == 1)); then
        printf -- '---\napiVersion: cmkctl/v1\nkind: RoleAssignment\nmetadata: {name: v%s-b%s-reader, owner: fleet-platform}\n' "$V" "$B"
        printf 'spec: {principal: %s, role: Key Vault Reader, scope: {vault: fleet-v%s-kv}}\n' "$principal" "$V"
      fi
      printf -- '---\napiVersion: cmkctl/v1\nkind: StorageCmkBinding\nmetadata: {name: v%s-b%s, owner: data-team-%s}\n' "$V" "$B" "$V"
      printf 'spec: {storageAccount: %s, subscription: %s, resourceGroup: %s-data, key: v%s-k%s, identity: %s}\n' \
        "$acct" "$s" "$rg" "$V" "$B" "$identity"
      printf '  - name: %s\n    subscription: %s\n    resourceGroup: %s-data\n    location: westeurope\n' \
        "$acct" "$s" "$rg" >>"$out/sandbox-seed.yaml"
      if ((b % 2 == 1)); then sys=true; else sys=false; fi
      printf '    systemIdentity: %s\n' "$sys" >>"$out/sandbox-seed.yaml"
    done
    for ((i = 1; i <= identities; i++)); do
      printf -- '---\napiVersion: cmkctl/v1\nkind: RoleAssignment\nmetadata: {name: v%s-id%d-user, owner: fleet-platform}\n' "$V" "$i"
      printf 'spec: {principal: {identity: v%s-id%d}, role: Key Vault Crypto User, scope: {vault: fleet-v%s-kv}}\n' "$V" "$i" "$V"
    done
    printf -- '---\napiVersion: cmkctl/v1\nkind: RoleAssignment\nmetadata: {name: v%s-admin, owner: security-office}\n' "$V"
    printf 'spec: {principal: {objectId: %s}, role: Key Vault Administrator, scope: {vault: fleet-v%s-kv}}\n' "$admin" "$V"
  } >"$f"
done
