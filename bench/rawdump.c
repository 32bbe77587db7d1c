// The raw-C floor for listing routes: one NETLINK_ROUTE socket, one RTM_GETROUTE dump of a table (kernel
// filtered, NETLINK_GET_STRICT_CHK), a 1 MiB receive buffer, and nothing done with the routes but counting
// them. What any route lister pays the kernel; everything above it is the lister's own cost.
//
// usage: rawdump NETNS_PATH [4|6] [TABLE]      prints the number of routes
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

static char buf[1 << 20];

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: rawdump NETNS_PATH [4|6] [TABLE]\n");
    return 2;
  }
  int ns = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) return perror(argv[1]), 1;
  int family = argc > 2 && argv[2][0] == '6' ? AF_INET6 : AF_INET;
  unsigned table = argc > 3 ? (unsigned)atoi(argv[3]) : RT_TABLE_MAIN;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return perror("socket"), 1;
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
  struct {
    struct nlmsghdr h;
    struct rtmsg r;
    struct rtattr a;
    unsigned table;
  } req = {0};
  req.h.nlmsg_len = sizeof(req);
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.r.rtm_family = family;
  req.r.rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
  req.a.rta_type = RTA_TABLE;
  req.a.rta_len = RTA_LENGTH(sizeof(unsigned));
  req.table = table;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) return perror("send"), 1;
  long count = 0;
  for (;;) {
    ssize_t len = recv(fd, buf, sizeof(buf), 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      return perror("recv"), 1;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        printf("%ld\n", count);
        return 0;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        fprintf(stderr, "rawdump: %s\n", strerror(-e->error));
        return 1;
      }
      if (h->nlmsg_type == RTM_NEWROUTE) count++;
    }
  }
}
