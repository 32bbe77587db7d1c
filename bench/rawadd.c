// The raw-C floor for bulk route changes: N route adds (or deletes) of the benchmark table
// (10.0.0.0/8 cut into /28s, four gateways on dev IFINDEX, proto bgp), pipelined BATCH requests per
// sendmsg; every ack read and checked, or with `lastack` only the last request of each send asks for one
// (the kernel reports failures anyway). usage: rawadd NETNS_PATH add|del N IFINDEX [BATCH [lastack]]
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

struct req {
  struct nlmsghdr h;
  struct rtmsg r;
  struct rtattr dst_a;
  unsigned char dst[4];
  struct rtattr gw_a;
  unsigned char gw[4];
  struct rtattr oif_a;
  unsigned oif;
  struct rtattr table_a;
  unsigned table;
};

static char rbuf[1 << 20];

int main(int argc, char **argv) {
  if (argc < 5) return fprintf(stderr, "usage: rawadd NETNS_PATH add|del N IFINDEX [BATCH [lastack]]\n"), 2;
  int ns = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) return perror(argv[1]), 1;
  int del = strcmp(argv[2], "del") == 0;
  long n = atol(argv[3]);
  unsigned oif = (unsigned)atoi(argv[4]);
  int batch = argc > 5 ? atoi(argv[5]) : 256;
  int lastack = argc > 6 && strcmp(argv[6], "lastack") == 0;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  int one = 1, size = 4 << 20;
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
  struct req *reqs = calloc(batch, sizeof(struct req));
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  unsigned seq = 0;
  long failures = 0;
  for (long base = 0; base < n; base += batch) {
    int count = n - base < batch ? (int)(n - base) : batch;
    for (int k = 0; k < count; k++) {
      long i = base + k;
      struct req *q = &reqs[k];
      memset(q, 0, sizeof(*q));
      q->h.nlmsg_len = sizeof(*q);
      q->h.nlmsg_type = del ? RTM_DELROUTE : RTM_NEWROUTE;
      q->h.nlmsg_flags =
          NLM_F_REQUEST | (!lastack || k == count - 1 ? NLM_F_ACK : 0) | (del ? 0 : NLM_F_CREATE | NLM_F_EXCL);
      q->h.nlmsg_seq = ++seq;
      q->r.rtm_family = AF_INET;
      q->r.rtm_dst_len = 28;
      q->r.rtm_table = RT_TABLE_MAIN;
      q->r.rtm_protocol = del ? 0 : 186;
      q->r.rtm_scope = del ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
      q->r.rtm_type = del ? 0 : RTN_UNICAST;
      unsigned v = (10u << 24) | ((unsigned)i << 4);
      q->dst_a.rta_type = RTA_DST;
      q->dst_a.rta_len = RTA_LENGTH(4);
      q->dst[0] = v >> 24, q->dst[1] = v >> 16, q->dst[2] = v >> 8, q->dst[3] = v;
      static const unsigned char last[4] = {1, 11, 12, 13};
      q->gw_a.rta_type = RTA_GATEWAY;
      q->gw_a.rta_len = RTA_LENGTH(4);
      q->gw[0] = 192, q->gw[1] = 168, q->gw[2] = 0, q->gw[3] = last[i & 3];
      q->oif_a.rta_type = RTA_OIF;
      q->oif_a.rta_len = RTA_LENGTH(4);
      q->oif = oif;
      q->table_a.rta_type = RTA_TABLE;
      q->table_a.rta_len = RTA_LENGTH(4);
      q->table = RT_TABLE_MAIN;
    }
    if (sendto(fd, reqs, count * sizeof(struct req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
      return perror("send"), 1;
    int pending = lastack ? 1 : count;
    while (pending > 0) {
      ssize_t len = recv(fd, rbuf, sizeof(rbuf), 0);
      if (len < 0) return perror("recv"), 1;
      for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_type != NLMSG_ERROR) continue;
        if (((struct nlmsgerr *)NLMSG_DATA(h))->error) failures++;
        if (!lastack || h->nlmsg_seq == seq) pending--;
      }
    }
  }
  printf("%ld failures\n", failures);
  return failures ? 1 : 0;
}
