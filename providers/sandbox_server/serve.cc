#include "sandbox_server/serve.h"

#include <pthread.h>
#include <signal.h>

#include "sandbox_server/sandbox_server.h"

namespace cmk {

void PrintEndpoints(const ServeEndpoints& ep, std::ostream& out) {
  out << "sandbox server listening on https://127.0.0.1:" << ep.port << "\n"
      << "  ARM endpoint:        " << ep.arm_url << "\n"
      << "  authority host:      " << ep.authority_host << "  (AZURE_AUTHORITY_HOST)\n"
      << "  tenant:              " << ep.tenant_id << "\n"
      << "  token endpoint:      " << ep.authority << "/oauth2/v2.0/token\n"
      << "  vault DNS suffix:    " << ep.vault_dns_suffix << "  (https://{vault}."
      << ep.vault_dns_suffix << ")\n"
      << "  Key Vault scope:     " << ep.keyvault_resource << "/.default\n"
      << "  ARM scope:           " << ep.arm_resource << "/.default\n"
      << "  identity endpoint:   " << ep.identity_endpoint << "  (IDENTITY_ENDPOINT)\n"
      << "  identity header in:  " << ep.identity_header_path << "  (IDENTITY_HEADER)\n";
  if (!ep.ca_path.empty()) out << "  CA certificate:      " << ep.ca_path << "\n";
  if (!ep.client_secret_path.empty())
    out << "  client secret in:    " << ep.client_secret_path << "  (any client id)\n";
  if (!ep.client_certs_path.empty())
    out << "  client certificates: " << ep.client_certs_path
        << "  (PEM keys that client assertions may be signed with)\n";
  out << "Press Ctrl-C to stop.\n";
  out.flush();
}

Status Serve(const std::string& sandbox_dir, const ServeOptions& options, std::ostream& out) {
  sigset_t stop_signals, old_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // Blocked before the server's threads start, so they inherit the mask and
  // the signal is delivered to sigwait below.
  pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
  SandboxServer server(sandbox_dir);
  Status st = server.Start(options);
  if (!st.ok()) {
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    return st;
  }
  PrintEndpoints(server.endpoints(), out);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  out << "stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")\n";
  server.Stop();
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return Status::Ok();
}

}  // namespace cmk
