// measure: runs a command and prints its wall time and peak resident set
// size on stderr, as one line the benchmark scripts parse:
//   measure: wall 1.234 s, peak rss 56789 KiB, exit 0
// Output of the command itself passes through. The exit code is the
// command's (128 + signal when it was killed).
// Usage: measure COMMAND [ARGS...]
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: measure COMMAND [ARGS...]\n");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("measure: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    std::perror("measure: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) < 0) {
    std::perror("measure: wait4");
    return 2;
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::fprintf(stderr, "measure: wall %.3f s, peak rss %ld KiB, exit %d\n", wall, usage.ru_maxrss, code);
  return code;
}
