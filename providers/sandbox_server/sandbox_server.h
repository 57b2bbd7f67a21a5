// SandboxServer: the sandbox served over HTTPS on loopback in Azure's wire
// format (ARM, the Key Vault keys data plane, a token endpoint), so that the
// REST provider and official Azure SDKs can use it.
//
// Start binds 127.0.0.1 (other addresses are refused), prepares TLS (given
// cert/key, or a generated CA + server certificate written beside the
// sandbox), opens the SandboxCloud with vault DNS suffix
// "vault.localhost:{port}" and serves on background threads until Stop.
// This file's .cc is the only user of cpp-httplib; its exceptions stop there.
//
// Thread-safe: Start/Stop from one thread; requests are served concurrently
// (the cloud itself is called under one mutex).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "sandbox_server/server_options.h"

namespace cmk {

class SandboxServer {
 public:
  explicit SandboxServer(std::string sandbox_dir);
  ~SandboxServer();  // stops
  SandboxServer(const SandboxServer&) = delete;
  SandboxServer& operator=(const SandboxServer&) = delete;

  Status Start(const ServeOptions& options);
  void Stop();
  bool running() const;
  int port() const;
  // Valid after a successful Start.
  const ServeEndpoints& endpoints() const;

 private:
  struct Impl;
  std::string dir_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmk
