// hostup SCRIPT IFACE N: runs SCRIPT N times one after another as tincd runs a host script (system(), so
// /bin/sh -c SCRIPT, and nothing forwarded until it returns), with tincd's variables for nodes peer1..peerN
// (REMOTEADDRESS 10.x.y.7: scattered, as a mesh's public addresses are). Prints
//   hostup: start_us S end_us E max_us M
// on CLOCK_MONOTONIC (the clock of Node's process.hrtime), M the longest single run.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: hostup SCRIPT IFACE N\n");
    return 2;
  }
  int n = atoi(argv[3]);
  setenv("INTERFACE", argv[2], 1);
  long long start = now_us(), longest = 0;
  for (int i = 1; i <= n; i++) {
    char node[32], address[32];
    snprintf(node, sizeof node, "peer%d", i);
    snprintf(address, sizeof address, "10.%d.%d.7", i % 250 + 1, i / 250);
    setenv("NODE", node, 1);
    setenv("REMOTEADDRESS", address, 1);
    long long t0 = now_us();
    int status = system(argv[1]);
    if (status != 0) {
      fprintf(stderr, "hostup: %s for %s exited %d\n", argv[1], node, status);
      return 1;
    }
    long long took = now_us() - t0;
    if (took > longest) longest = took;
  }
  printf("hostup: start_us %lld end_us %lld max_us %lld\n", start, now_us(), longest);
  return 0;
}
