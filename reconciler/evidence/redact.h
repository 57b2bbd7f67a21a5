// Redacting a command line before it is recorded in evidence: the value of
// any option whose name looks secret (--client-secret, --token, --password,
// ..., as "--name VALUE" or "--name=VALUE"), and any argument that looks like
// a secret itself (a JWT, PEM text, a URL or "k=v" carrying sig=, token=,
// secret=, password= or key=, a bearer header). Paths and ordinary names pass
// unchanged. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace cmk {

inline constexpr char kRedacted[] = "[redacted]";

std::vector<std::string> RedactArguments(const std::vector<std::string>& args);

}  // namespace cmk
