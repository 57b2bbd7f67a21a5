// Drives `sandbox serve` with the official Azure SDK for JavaScript
// (@azure/identity + @azure/keyvault-keys): create key, get, list versions,
// rotate, get/update rotation policy, wrap/unwrap with CryptographyClient.
//
// Usage (from a directory where the two packages are installed):
//   NODE_EXTRA_CA_CERTS=$DIR/server-ca.pem node sdk_scenario.mjs PORT TENANT SECRET
// The server must be running on the sandbox $DIR (sandbox_serve_for_tests or
// `cmkctl sandbox serve`). Exits non-zero on the first mismatch.
import dns from "node:dns";
import assert from "node:assert/strict";
import { ClientSecretCredential } from "@azure/identity";
import { KeyClient, CryptographyClient } from "@azure/keyvault-keys";

// glibc does not resolve *.localhost subdomains: point them at loopback.
const lookup = dns.lookup;
dns.lookup = (host, opts, cb) => {
  if (typeof opts === "function") { cb = opts; opts = {}; }
  if (host.endsWith(".localhost")) {
    return opts && opts.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4);
  }
  return lookup(host, opts, cb);
};

const [port, tenant, secret] = process.argv.slice(2);
const arm = `https://127.0.0.1:${port}`;
const credential = new ClientSecretCredential(tenant, "sdk-scenario", secret, {
  authorityHost: arm,
  disableInstanceDiscovery: true,
});

// A vault through ARM (plain REST with an ARM token).
const sub = "00000000-0000-0000-0000-0000000000aa";
const armToken = (await credential.getToken("https://management.azure.com/.default")).token;
const put = await fetch(
  `${arm}/subscriptions/${sub}/resourceGroups/rg-sdk/providers/Microsoft.KeyVault/vaults/sdkvault?api-version=2026-04-01`,
  {
    method: "PUT",
    headers: { Authorization: `Bearer ${armToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      location: "westeurope",
      properties: { tenantId: tenant, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
    }),
  });
const putText = await put.text();
assert.ok(put.status === 200 || put.status === 201, `vault PUT: ${put.status} ${putText}`);
const vaultUri = JSON.parse(putText).properties.vaultUri;
console.log("vault", vaultUri);

const client = new KeyClient(vaultUri, credential);
const created = await client.createRsaKey("sdk-key", { keySize: 2048, keyOps: ["wrapKey", "unwrapKey"], tags: { owner: "sdk" } });
assert.equal(created.name, "sdk-key");
assert.equal(created.keyType, "RSA");
console.log("created", created.id);

const got = await client.getKey("sdk-key");
assert.equal(got.id, created.id);
assert.equal(got.properties.tags.owner, "sdk");

const rotated = await client.rotateKey("sdk-key");
assert.notEqual(rotated.id, created.id);
const versions = [];
for await (const v of client.listPropertiesOfKeyVersions("sdk-key", { maxPageSize: 1 })) versions.push(v.version);
assert.equal(versions.length, 2);
console.log("versions", versions.length);

await client.updateKeyRotationPolicy("sdk-key", {
  lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P90D" }, { action: "Notify", timeBeforeExpiry: "P30D" }],
  expiresIn: "P2Y",
});
const policy = await client.getKeyRotationPolicy("sdk-key");
assert.equal(policy.expiresIn, "P2Y");
assert.equal(policy.lifetimeActions.length, 2);
console.log("policy", JSON.stringify(policy.lifetimeActions));

const crypto = new CryptographyClient(rotated.id, credential);
const dek = Buffer.from("0123456789abcdef0123456789abcdef");
const wrapped = await crypto.wrapKey("RSA-OAEP-256", dek);
const unwrapped = await crypto.unwrapKey("RSA-OAEP-256", wrapped.result);
assert.deepEqual(Buffer.from(unwrapped.result), dek);
console.log("wrap/unwrap ok");

const names = [];
for await (const k of client.listPropertiesOfKeys()) names.push(k.name);
assert.deepEqual(names, ["sdk-key"]);
console.log("SCENARIO OK");
