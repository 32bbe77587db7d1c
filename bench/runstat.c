// runstat CMD ARGS...: runs CMD and prints, as its last line on stderr,
//   runstat: status S wall_us W maxrss_kb R cpu_us C
// with the child's exit status, wall-clock time from fork to reap, peak resident set and CPU time (user + system)
// from wait4's rusage. CPU time moves less than wall time with the load of other work on the machine.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: runstat CMD ARGS...\n");
    return 2;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) return perror("fork"), 2;
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return perror("wait4"), 2;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long long us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  fprintf(stderr, "runstat: status %d wall_us %lld maxrss_kb %ld cpu_us %lld\n", code, us, ru.ru_maxrss, cpu);
  return 0;
}
