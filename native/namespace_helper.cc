#include "namespace_helper.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

// The calling thread enters the namespace, does the work and goes back at once, within this one synchronous call:
// no JS runs meanwhile, and no thread lingers in a namespace (keeping it alive). A helper thread woken for each
// socket made the caller wait for the scheduler to run it, 0.3-0.9 ms a socket on a busy machine (bench/README.md,
// "What limits", item 1) against about 40 us in all here. The way back is opened for each call and closed after:
// kept per thread (thread_local), it stayed open when a thread ended, one descriptor for each route dump's reader
// thread that made its IPv6 socket here. A thread that cannot go back must not go on working in another
// namespace: the process ends.
NlError RunInNamespace(int ns_fd, const NamespaceWork& work, int* fd) {
  if (ns_fd < 0) return work(fd);
  const int home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_fd < 0) return Errno("opening this thread's network namespace");
  if (setns(ns_fd, CLONE_NEWNET) < 0) {
    NlError err = Errno("entering the network namespace");
    close(home_fd);
    return err;
  }
  NlError result = work(fd);
  if (setns(home_fd, CLONE_NEWNET) < 0) {
    perror("redirect-gateway: cannot return to the process's network namespace");
    abort();
  }
  close(home_fd);
  return result;
}

NlError CreateNetlinkSocket(int ns_fd, int protocol, int* fd) {
  return RunInNamespace(
      ns_fd,
      [protocol](int* out) {
        *out = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        return *out < 0 ? Errno("socket") : NlError{};
      },
      fd);
}
