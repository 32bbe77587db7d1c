// The raw-C floors for a redirect cycle, from C with one socket and nothing else.
// The routes floor (`medianUs`), the netlink requests of the routes alone: up = the kernel's lookup of the
// server (fib match and path), then the three routes (exception via the original gateway, 0/1 and 128/1
// through vpn) in one send; down = a protocol-filtered dump of the main table, then the three deletes in one
// send. The whole floor (`wholeUs`), what the halves strategy leaves in the kernel since issue 20: up = the
// tunnel's link looked up by name, the server's route looked up for its flow (UDP to tinc's port, as the
// product asks: the original path) and by fib match, in one send; then the three routes and the server's two
// refusal rules (lookup main suppressing the halves, then unreachable; before main) in one send; down = the
// same dump, then the five deletes in one send. Also a single lookup, and an add + delete of one route (two
// round trips), for the per-operation rows.
// usage: rawcycle NETNS_PATH CYCLES WARMUP    prints {"medianUs", "wholeUs", "getUs", "addDelUs"}
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

static int fd;
static unsigned seq;
static char rbuf[1 << 16];
static unsigned up0, vpn;

struct msg {
  struct nlmsghdr h;
  struct rtmsg r;
  char attrs[64];
};

static void attr(struct msg *m, int type, const void *data, int len) {
  struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->h.nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  memcpy(RTA_DATA(a), data, len);
  m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void init(struct msg *m, int type, int flags, const char *dst, int dst_len) {
  memset(m, 0, sizeof(*m));
  m->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  m->h.nlmsg_type = type;
  m->h.nlmsg_flags = NLM_F_REQUEST | flags;
  m->h.nlmsg_seq = ++seq;
  m->r.rtm_family = AF_INET;
  m->r.rtm_dst_len = dst_len;
  if (dst) {
    struct in_addr a;
    inet_pton(AF_INET, dst, &a);
    attr(m, RTA_DST, &a, 4);
  }
}

static void route(struct msg *m, int del, const char *dst, int len, const char *gw, unsigned oif) {
  init(m, del ? RTM_DELROUTE : RTM_NEWROUTE, NLM_F_ACK | (del ? 0 : NLM_F_CREATE | NLM_F_EXCL), dst, len);
  m->r.rtm_table = RT_TABLE_MAIN;
  m->r.rtm_protocol = 157;
  m->r.rtm_scope = del ? RT_SCOPE_NOWHERE : gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  m->r.rtm_type = del ? 0 : RTN_UNICAST;
  if (gw) {
    struct in_addr a;
    inet_pton(AF_INET, gw, &a);
    attr(m, RTA_GATEWAY, &a, 4);
  }
  attr(m, RTA_OIF, &oif, 4);
}

// A refusal rule for the server: priority 32764 looks up main but not its /1 halves, 32765 refuses.
static void refusal(struct msg *m, int del, unsigned priority, int action) {
  init(m, del ? RTM_DELRULE : RTM_NEWRULE, NLM_F_ACK | (del ? 0 : NLM_F_CREATE | NLM_F_EXCL), NULL, 32);
  struct fib_rule_hdr *f = (struct fib_rule_hdr *)&m->r;
  f->table = action == FR_ACT_TO_TBL ? RT_TABLE_MAIN : 0;
  f->action = action;
  struct in_addr a;
  inet_pton(AF_INET, "198.51.100.7", &a);
  attr(m, FRA_PRIORITY, &priority, 4);
  attr(m, FRA_DST, &a, 4);
  unsigned suppress = 1;
  if (action == FR_ACT_TO_TBL) attr(m, FRA_SUPPRESS_PREFIXLEN, &suppress, 4);
  unsigned char protocol = 157;
  attr(m, FRA_PROTOCOL, &protocol, 1);
}

// The tunnel's link by name.
static void link_by_name(struct msg *m, const char *name) {
  memset(m, 0, sizeof(*m));
  m->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  m->h.nlmsg_type = RTM_GETLINK;
  m->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  m->h.nlmsg_seq = ++seq;
  unsigned mask = RTEXT_FILTER_SKIP_STATS;
  attr(m, IFLA_EXT_MASK, &mask, 4);
  attr(m, IFLA_IFNAME, name, strlen(name) + 1);
}

// Sends the messages in one sendmsg and reads until each has its ack, its answer or the end of its dump.
static void transact(struct msg *msgs, int n) {
  struct iovec iov[8];
  for (int i = 0; i < n; i++) iov[i] = (struct iovec){&msgs[i], msgs[i].h.nlmsg_len};
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  struct msghdr mh = {.msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iov = iov, .msg_iovlen = n};
  if (sendmsg(fd, &mh, 0) < 0) perror("sendmsg"), exit(1);
  int pending = n;
  while (pending > 0) {
    ssize_t len = recv(fd, rbuf, sizeof(rbuf), 0);
    if (len < 0) perror("recv"), exit(1);
    for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
        if (err) fprintf(stderr, "rawcycle: %s\n", strerror(-err)), exit(1);
        pending--;
      } else if (h->nlmsg_type == NLMSG_DONE) {
        pending--;
      }
    }
  }
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, n, sizeof(double), cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The redirect's three routes into m[0..2]: added exception first, deleted halves first.
static void the_routes(struct msg *m, int del) {
  route(&m[del ? 2 : 0], del, "198.51.100.7", 32, "192.168.0.1", up0);
  route(&m[del ? 0 : 1], del, "0.0.0.0", 1, NULL, vpn);
  route(&m[del ? 1 : 2], del, "128.0.0.0", 1, NULL, vpn);
}

// The dump of our protocol's routes in main that down makes.
static void dump_ours(void) {
  struct msg m;
  init(&m, RTM_GETROUTE, NLM_F_DUMP, NULL, 0);
  m.r.rtm_table = RT_TABLE_MAIN;
  m.r.rtm_protocol = 157;
  transact(&m, 1);
}

static void cycle(void) {
  struct msg m[3];
  init(&m[0], RTM_GETROUTE, NLM_F_ACK, "198.51.100.7", 32);
  m[0].r.rtm_flags = RTM_F_FIB_MATCH;
  init(&m[1], RTM_GETROUTE, NLM_F_ACK, "198.51.100.7", 32);
  transact(m, 2);
  the_routes(m, 0);
  transact(m, 3);
  dump_ours();
  the_routes(m, 1);
  transact(m, 3);
}

static void whole(void) {
  struct msg m[5];
  link_by_name(&m[0], "vpn");
  init(&m[1], RTM_GETROUTE, NLM_F_ACK, "198.51.100.7", 32);
  unsigned char udp = IPPROTO_UDP;
  unsigned short port = htons(655);
  attr(&m[1], RTA_IP_PROTO, &udp, 1);
  attr(&m[1], RTA_DPORT, &port, 2);
  init(&m[2], RTM_GETROUTE, NLM_F_ACK, "198.51.100.7", 32);
  m[2].r.rtm_flags = RTM_F_FIB_MATCH;
  transact(m, 3);
  the_routes(m, 0);
  refusal(&m[3], 0, 32764, FR_ACT_TO_TBL);
  refusal(&m[4], 0, 32765, FR_ACT_UNREACHABLE);
  transact(m, 5);
  dump_ours();
  the_routes(m, 1);
  refusal(&m[3], 1, 32765, FR_ACT_UNREACHABLE);
  refusal(&m[4], 1, 32764, FR_ACT_TO_TBL);
  transact(m, 5);
}

static void get(void) {
  struct msg m;
  init(&m, RTM_GETROUTE, NLM_F_ACK, "198.51.100.7", 32);
  transact(&m, 1);
}

static void add_del(void) {
  struct msg m;
  route(&m, 0, "10.9.0.0", 24, NULL, vpn);
  transact(&m, 1);
  route(&m, 1, "10.9.0.0", 24, NULL, vpn);
  transact(&m, 1);
}

static double measure(void (*f)(void), int n, int warmup) {
  double *t = malloc(sizeof(double) * n);
  for (int i = 0; i < warmup; i++) f();
  for (int i = 0; i < n; i++) {
    double t0 = now_us();
    f();
    t[i] = now_us() - t0;
  }
  double m = median(t, n);
  free(t);
  return m;
}

int main(int argc, char **argv) {
  if (argc < 4) return fprintf(stderr, "usage: rawcycle NETNS_PATH CYCLES WARMUP\n"), 2;
  int ns = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) return perror(argv[1]), 1;
  up0 = if_nametoindex("up0");
  vpn = if_nametoindex("vpn");
  if (!up0 || !vpn) return fprintf(stderr, "rawcycle: no up0 or vpn\n"), 1;
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  int n = atoi(argv[2]), warmup = atoi(argv[3]);
  double c = measure(cycle, n, warmup), w = measure(whole, n, warmup);
  double g = measure(get, n, warmup), a = measure(add_del, n, warmup);
  printf("{\"medianUs\": %.2f, \"wholeUs\": %.2f, \"getUs\": %.2f, \"addDelUs\": %.2f}\n", c, w, g, a);
  return 0;
}
