// Serve: the body of `cmkctl sandbox serve`. Starts a SandboxServer on the
// sandbox in `sandbox_dir`, prints the endpoints a client needs (never a
// secret: only the paths of the files holding them) and blocks until SIGINT
// or SIGTERM, then stops cleanly.
//
// Blocks SIGINT/SIGTERM in the calling thread while it runs (restored on
// return). Call from the main thread.
#pragma once

#include <ostream>
#include <string>

#include "base/status.h"
#include "sandbox_server/server_options.h"

namespace cmk {

Status Serve(const std::string& sandbox_dir, const ServeOptions& options, std::ostream& out);

// The endpoint summary Serve prints (also used by tests).
void PrintEndpoints(const ServeEndpoints& ep, std::ostream& out);

}  // namespace cmk
