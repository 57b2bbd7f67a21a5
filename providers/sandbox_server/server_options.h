// Options of the sandbox HTTPS server (`cmkctl sandbox serve`) and the
// endpoints it announces.
//
// Plain values; no behaviour. Rates are probabilities in [0, 1]; budgets are
// token buckets (a capacity and a refill per second). Zero disables a limit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cmk {

// Faults injected before a request reaches the cloud (ARM and Key Vault
// requests only; the token endpoints are never faulted). One uniform draw
// per request from a seeded RNG decides: drop, else 429, else 503, else
// serve. A request served that changes state (PUT, PATCH, POST, DELETE) then
// draws from a second seeded RNG, used for those alone, whether its response
// is lost.
struct FaultOptions {
  int latency_ms = 0;          // added to every ARM / Key Vault request
  double throttle_rate = 0;    // 429 + Retry-After
  double error_rate = 0;       // 503 ServiceUnavailable
  double drop_rate = 0;        // connection closed without an answer
  // A state-changing request is carried out by the cloud, then the
  // connection is closed without an answer (the write happened; the client
  // cannot tell it from a network failure).
  double lost_response_rate = 0;
  uint64_t seed = 1;           // same seed, same sequence of outcomes
  int retry_after_seconds = 1; // Retry-After on injected 429s
  // Key Vault hosts (vault names) that accept connections and never answer:
  // each request is held until the client gives up (at most 60 s).
  std::vector<std::string> silent_vaults;
  // Key Vault hosts whose firewall refuses this client: every data-plane
  // request is answered 403 Forbidden / ForbiddenByFirewall, as Azure
  // answers a caller outside a vault's network rules.
  std::vector<std::string> firewalled_vaults;
};

// Azure-like throttling (README D.1/D.2). Key Vault: per vault, per 10
// seconds (key creates and everything else counted apart). ARM: per
// principal, token buckets for reads (GET), writes (PUT/PATCH/POST) and
// deletes. Failed (429) requests do not consume budget.
struct ThrottleOptions {
  bool enabled = true;
  double vault_creates_per_10s = 20;   // software RSA-2048 key CREATE
  double vault_ops_per_10s = 4000;     // all other key operations
  double arm_read_capacity = 250, arm_read_refill = 25;
  double arm_write_capacity = 200, arm_write_refill = 10;
  double arm_delete_capacity = 200, arm_delete_refill = 10;
};

// Per-connection deadlines, enforced by the server's watchdog
// (connection_guard.h). cpp-httplib's own timeout applies to each read, so
// without these a client sending a header byte a second holds a worker for
// ever. Each counts from the start of its phase.
struct ConnectionLimits {
  int header_seconds = 10;  // TLS handshake, request line and headers
  int body_seconds = 30;    // the body (at most 4 MB)
  int idle_seconds = 15;    // after an answer, until the next request's headers are in
  // When connections wait for a worker, one waiting in its header or idle
  // phase longer than this is cut at once, oldest first.
  int pressure_grace_ms = 1000;
};

struct ServeOptions {
  std::string bind_address = "127.0.0.1";  // loopback only; anything else is refused
  int port = 0;                            // 0 = ephemeral
  // Both or neither; neither = generate (or reuse) server-ca.pem,
  // server-cert.pem, server-key.pem in the sandbox directory.
  std::string tls_cert_path;
  std::string tls_key_path;
  // Accepted client credentials. Empty client_id = any client id; empty
  // client_secret = the secret in <dir>/server-client-secret (generated once).
  std::string client_id;
  std::string client_secret;
  FaultOptions faults;
  ThrottleOptions throttle;
  // Vault PUT (create) answers 201 + Azure-AsyncOperation/Location +
  // Retry-After; the operation reports InProgress `async_polls` times first.
  bool async_vault_create = false;
  int async_polls = 1;
  int token_lifetime_seconds = 3600;
  ConnectionLimits connections;
};

// What a client needs to talk to a running server.
struct ServeEndpoints {
  int port = 0;
  std::string arm_url;             // https://127.0.0.1:{port}
  std::string authority_host;      // https://127.0.0.1:{port} (AZURE_AUTHORITY_HOST)
  std::string tenant_id;
  std::string authority;           // {authority_host}/{tenant}
  std::string vault_dns_suffix;    // vault.localhost:{port}
  std::string keyvault_resource;   // https://vault.localhost (challenge resource)
  std::string arm_resource;        // https://management.azure.com
  std::string identity_endpoint;   // {arm_url}/msi/token (IDENTITY_ENDPOINT)
  std::string identity_header_path;  // file holding IDENTITY_HEADER
  std::string ca_path;             // PEM to trust (empty when a cert was given)
  std::string client_secret_path;  // empty when --client-secret was given
  // Certificates / public keys (PEM) that client assertions may be signed
  // with; the user writes it, the server reads it (absent = none).
  std::string client_certs_path;
};

}  // namespace cmk
