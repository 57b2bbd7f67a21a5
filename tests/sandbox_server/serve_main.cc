// sandbox_serve_for_tests: runs the sandbox HTTPS server on a directory, for
// scenario scripts (e.g. the official Azure SDK check) until SIGINT/SIGTERM.
// Usage: sandbox_serve_for_tests DIR [PORT]
#include <cstdlib>
#include <iostream>

#include "sandbox_server/serve.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR [PORT]\n";
    return 2;
  }
  cmk::ServeOptions options;
  if (argc > 2) options.port = std::atoi(argv[2]);
  cmk::Status st = cmk::Serve(argv[1], options, std::cout);
  if (!st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  return 0;
}
