// The seed capturer: runs the fuzzer's scenarios against the real kernel and writes each conversation (the
// requests' arguments and every receive buffer, normalized by fake_kernel) as a seed input. Run it through
// fuzz/capture, which builds a network namespace with the links and routes the scenarios ask about; the
// interface indexes below are those of that namespace. A few seeds are derived from captured ones (marked
// "derived"): states the kernel shows only under races (NLM_F_DUMP_INTR, ENOBUFS) or never (foreign
// senders, stale sequence numbers, truncation).
//
// Usage: capture_replies OUTDIR
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "address_codec.h"
#include "conversation.h"
#include "fake_kernel.h"
#include "rare_fields.h"
#include "route_codec.h"
#include "rule_codec.h"

namespace {

// Interface indexes in fuzz/capture's namespace (it passes them in the environment).
uint32_t kEth0 = 0, kVeth = 0;

struct Bytes {
  std::vector<uint8_t> b;
  Bytes& U8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Bytes& U32(uint32_t v) {
    for (int i = 0; i < 4; i++) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& Addr(const char* text) {  // 16 bytes: IPv4 in the first 4
    uint8_t a[16] = {};
    if (inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text, a) != 1) abort();
    b.insert(b.end(), a, a + 16);
    return *this;
  }
  Bytes& Text(const char* s) {
    b.insert(b.end(), s, s + strlen(s) + 1);
    return *this;
  }
};

// A getRoute argument: family, fib_match, oif, address.
Bytes& Lookup(Bytes& b, const char* addr, bool fib_match = false, uint32_t oif = 0) {
  return b.U8(strchr(addr, ':') ? 1 : 0).U8(fib_match).U32(oif).Addr(addr);
}

// A change record (route_codec.h, namespace record).
struct Change {
  uint8_t op = record::kAdd, family = AF_INET, dst_len = 0, gw_family = 0, protocol = 4, scope = 0, type = RTN_UNICAST,
          present = 0;
  uint32_t table = RT_TABLE_MAIN, metric = 0, oif = 0;
  const char* dst = nullptr;
  const char* gw = nullptr;
  const char* prefsrc = nullptr;
};

void PutAddr(std::vector<uint8_t>* rec, size_t at, const char* text) {
  if (!text) return;
  if (inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text, rec->data() + at) != 1) abort();
}

void AddRecord(std::vector<uint8_t>* out, const Change& c) {
  std::vector<uint8_t> rec(record::kSize, 0);
  rec[record::kOp] = c.op;
  rec[record::kFamily] = c.family;
  rec[record::kDstLen] = c.dst_len;
  rec[record::kGatewayFamily] = c.gw_family;
  rec[record::kProtocol] = c.protocol;
  rec[record::kScope] = c.scope;
  rec[record::kType] = c.type;
  rec[record::kPresent] = c.present;
  memcpy(rec.data() + record::kTable, &c.table, 4);
  memcpy(rec.data() + record::kMetric, &c.metric, 4);
  memcpy(rec.data() + record::kOif, &c.oif, 4);
  PutAddr(&rec, record::kDst, c.dst);
  PutAddr(&rec, record::kGateway, c.gw);
  PutAddr(&rec, record::kPrefsrc, c.prefsrc);
  out->insert(out->end(), rec.begin(), rec.end());
}

// Route (IPv4, IPv6, multipath, table 100), link, address and rule changes, each undone. The changes on veth1
// come after its link notifications, which name it in a replay too.
const char* const kEventChanges =
    "set -e\n"
    "ip route add 10.120.0.0/16 via 192.0.2.1 dev eth0 table 100 proto 77\n"
    "ip route add 10.121.0.0/24 nexthop via 192.0.2.10 weight 1 nexthop via 198.51.100.10 weight 3\n"
    "ip route replace 10.121.0.0/24 via 198.51.100.10 dev veth0 metric 0\n"
    "ip -6 route add 2001:db8:96::/48 via 2001:db8:1::1 dev eth0 proto 77\n"
    "ip -6 route add 2001:db8:95::/48 nexthop via 2001:db8:1::1 dev eth0 nexthop via fe80::1 dev veth0\n"
    "ip route del 10.120.0.0/16 table 100\n"
    "ip route del 10.121.0.0/24\n"
    "ip -6 route del 2001:db8:96::/48\n"
    "ip -6 route del 2001:db8:95::/48\n"
    "ip link set veth1 mtu 1400\n"
    "ip link set veth1 mtu 1500\n"
    "ip link add veth2 type veth peer name veth3\n"
    "ip link del veth2\n"
    "ip route add 10.122.0.0/24 dev veth1\n"
    "ip route del 10.122.0.0/24 dev veth1\n"
    "ip addr add 203.0.113.17/28 dev veth1\n"
    "ip addr del 203.0.113.17/28 dev veth1\n"
    "ip addr add 203.0.113.9/24 dev veth0\n"
    "ip addr add 2001:db8:9::9/64 dev veth0 nodad\n"
    "ip addr del 203.0.113.9/24 dev veth0\n"
    "ip addr del 2001:db8:9::9/64 dev veth0\n"
    "ip rule add pref 7100 from 10.7.0.0/16 table 100\n"
    "ip -6 rule add pref 7101 from fd00:7::/32 table 100\n"
    "ip rule del pref 7100\n"
    "ip -6 rule del pref 7101\n";

std::string outdir;
size_t total_bytes = 0;

void Write(const std::string& name, const Conversation& c) {
  for (const fake_kernel::Chunk& chunk : c.chunks) {
    if (chunk.bytes.size() > 0xffff) {
      fprintf(stderr, "capture_replies: %s: a receive buffer of %zu bytes does not fit the format\n", name.c_str(),
              chunk.bytes.size());
      exit(1);
    }
  }
  std::vector<uint8_t> bytes = c.Serialize();
  std::string path = outdir + "/" + name;
  FILE* f = fopen(path.c_str(), "wb");
  if (!f || fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || fclose(f) != 0) {
    perror(path.c_str());
    exit(1);
  }
  total_bytes += bytes.size();
  printf("%-28s %6zu bytes, %2zu receive buffers\n", name.c_str(), bytes.size(), c.chunks.size());
}

Conversation Capture(const std::string& name, uint8_t scenario, uint8_t param, const std::vector<uint8_t>& request) {
  Conversation c;
  c.scenario = scenario;
  c.param = param;
  c.request = request;
  fake_kernel::StartCapture(&c.chunks);
  RunConversation(c);
  fake_kernel::Stop();
  Write(name, c);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: capture_replies OUTDIR (in the namespace fuzz/capture makes)\n");
    return 2;
  }
  outdir = argv[1];
  const char* eth0 = getenv("RG_CAPTURE_ETH0");
  const char* veth0 = getenv("RG_CAPTURE_VETH0");
  if (!eth0 || !veth0) {
    fprintf(stderr, "capture_replies: run it through fuzz/capture\n");
    return 2;
  }
  kEth0 = static_cast<uint32_t>(atoi(eth0));
  kVeth = static_cast<uint32_t>(atoi(veth0));
  {
    Bytes b;
    Capture("route-get-v4", kRouteGet, 0, Lookup(b, "172.16.5.9").b);
  }
  {
    Bytes b;
    Capture("route-get-v4-fib-match-via6", kRouteGet, 0, Lookup(b, "10.50.1.1", true).b);
  }
  {
    Bytes b;
    Capture("route-get-v6", kRouteGet, 0, Lookup(b, "2001:db8:99::1").b);
  }
  {
    Bytes b;
    Capture("route-get-unreachable", kRouteGet, 0, Lookup(b, "10.81.0.1").b);
  }
  {
    Bytes b;
    Capture("route-get-bad-oif", kRouteGet, 0, Lookup(b, "192.0.2.9", false, 99).b);
  }
  {
    Bytes b;
    Lookup(b, "172.16.5.9");
    Lookup(b, "10.60.0.1");
    Lookup(b, "2001:db8:1::77");
    Lookup(b, "10.81.0.1");
    Lookup(b, "198.51.100.7", false, kVeth);
    Lookup(b, "127.0.0.1");
    Capture("route-gets", kRouteGets, 5, b.b);  // 6 lookups, lo and eth0 known (odd param)
  }
  {
    Bytes b;
    for (int i = 0; i < 8; i++) Lookup(b, "10.70.0.5", true);
    Capture("route-gets-fib-match", kRouteGets, 7, b.b);
  }
  Capture("link-dump", kLinkDump, 0, {});
  Capture("link-gets", kLinkGets, 0, Bytes().Text("lo").Text("eth0").Text("nosuch0").Text("veth1").b);
  {
    std::vector<uint8_t> records;
    Change add;
    add.dst = "10.90.0.0", add.dst_len = 24, add.gw_family = AF_INET, add.gw = "192.0.2.1";
    add.present = record::kHasOif | record::kHasMetric, add.oif = kEth0, add.metric = 7;
    AddRecord(&records, add);
    AddRecord(&records, add);  // EEXIST
    Change replace = add;
    replace.op = record::kReplace, replace.metric = 7, replace.gw = "192.0.2.3";
    AddRecord(&records, replace);
    Change missing;
    missing.op = record::kDelete, missing.dst = "10.91.0.0", missing.dst_len = 24;
    AddRecord(&records, missing);  // ESRCH
    Change unreachable = add;
    unreachable.dst = "10.92.0.0", unreachable.gw = "203.0.113.1";
    AddRecord(&records, unreachable);  // ENETUNREACH, "Nexthop has invalid gateway"
    Change via6;
    via6.dst = "10.93.0.0", via6.dst_len = 16, via6.gw_family = AF_INET6, via6.gw = "fe80::1";
    via6.present = record::kHasOif, via6.oif = kVeth;
    AddRecord(&records, via6);  // RTA_VIA
    Change big_table = add;
    big_table.dst = "10.94.0.0", big_table.table = 1000, big_table.present |= record::kHasPrefsrc;
    big_table.prefsrc = "192.0.2.2";
    AddRecord(&records, big_table);  // RTA_TABLE past 255, RTA_PREFSRC
    Change bad_src = add;
    bad_src.dst = "10.95.0.0", bad_src.present |= record::kHasPrefsrc, bad_src.prefsrc = "203.0.113.9";
    AddRecord(&records, bad_src);  // EINVAL, "Invalid prefsrc address"
    Change v6;
    v6.family = AF_INET6, v6.dst = "2001:db8:77::", v6.dst_len = 48, v6.gw_family = AF_INET6;
    v6.gw = "2001:db8:1::1", v6.present = record::kHasOif, v6.oif = kEth0;
    AddRecord(&records, v6);
    Change del = add;
    del.op = record::kDelete, del.gw = "192.0.2.3";
    AddRecord(&records, del);  // the last one: acked
    Capture("changes", kChanges, 0, records);
    Capture("change-one", kChanges, 0, std::vector<uint8_t>(records.begin(), records.begin() + record::kSize));
  }
  {
    // Changes with rare fields (param: the record count; their rare fields follow, rare_fields.h).
    std::vector<uint8_t> records, rare_bytes;
    auto nexthop = [](const char* gateway, uint32_t oif, uint8_t hops, uint8_t flags) {
      RouteChangeNexthop hop;
      hop.gateway_family = strchr(gateway, ':') ? AF_INET6 : AF_INET;
      if (inet_pton(hop.gateway_family, gateway, hop.gateway) != 1) abort();
      hop.oif = oif, hop.hops = hops, hop.flags = flags;
      return hop;
    };
    auto add_rare = [&](Change change, const RouteChangeRareFields& rare) {
      change.present |= record::kHasRareFields;
      AddRecord(&records, change);
      WriteRareFields(rare, &rare_bytes);
    };
    Change multipath;
    multipath.dst = "10.96.0.0", multipath.dst_len = 16;
    RouteChangeRareFields hops;
    hops.nexthops = {nexthop("192.0.2.10", kEth0, 0, 0), nexthop("fe80::1", kVeth, 2, RTNH_F_ONLINK)};
    add_rare(multipath, hops);  // RTA_MULTIPATH with RTA_GATEWAY and RTA_VIA
    Change plain;
    plain.dst = "10.97.0.0", plain.dst_len = 16, plain.gw_family = AF_INET, plain.gw = "192.0.2.1";
    plain.present = record::kHasOif, plain.oif = kEth0;
    RouteChangeRareFields metrics;
    metrics.has_metrics = true;
    metrics.metrics = {{RTAX_MTU, 1400}, {RTAX_LOCK, 1u << RTAX_MTU}, {RTAX_RTT, 800}};
    metrics.congestion = "cubic";
    add_rare(plain, metrics);  // RTA_METRICS with RTAX_CC_ALGO
    Change plain2 = plain;
    plain2.dst = "10.98.0.0";
    AddRecord(&records, plain2);  // no rare fields, between ones that have them
    Change by_id;
    by_id.dst = "10.99.0.0", by_id.dst_len = 16;
    RouteChangeRareFields nhid;
    nhid.has_nhid = true, nhid.nhid = 7;
    add_rare(by_id, nhid);  // RTA_NH_ID
    by_id.dst = "10.100.0.0", nhid.nhid = 99;
    add_rare(by_id, nhid);  // a nexthop object that does not exist: EINVAL
    Change v6;
    v6.family = AF_INET6, v6.dst = "2001:db8:78::", v6.dst_len = 48;
    RouteChangeRareFields hops6;
    hops6.nexthops = {nexthop("2001:db8:1::1", kEth0, 0, 0), nexthop("fe80::1", kVeth, 1, 0)};
    add_rare(v6, hops6);
    const uint8_t count = static_cast<uint8_t>(records.size() / record::kSize);
    records.insert(records.end(), rare_bytes.begin(), rare_bytes.end());
    Capture("changes-rare", kChanges, count, records);
  }
  // Dumps: param bit 0 IPv6 only (with bit 1 both), bit 1 give up after the first batch, bits 2-7 the batch
  // size (1 + 8n routes).
  Conversation dump = Capture("route-dump", kRouteDump, 2 | (63 << 2), {});
  Capture("route-dump-batches", kRouteDump, 2 | (4 << 2), {});
  Capture("route-dump-give-up", kRouteDump, 2 | (2 << 2), {});
  Capture("route-dump-v6", kRouteDump, 1 | (63 << 2), {});
  Capture("route-dump-table", kRouteDump, 63 << 2, Bytes().U32(100).U8(0).U32(0).b);
  Capture("address-dump", kAddressDump, 0, {});
  Capture("address-dump-v6", kAddressDump, 2, {});
  {
    // An address (family, prefix length, scope, present, flags, index, local, peer, broadcast, label length).
    Bytes add = Bytes().U8(0).U8(24).U8(0).U8(InterfaceAddress::kLocal | InterfaceAddress::kAddress).U32(0).U32(kEth0);
    add.Addr("203.0.113.7").Addr("203.0.113.7").Addr("0.0.0.0").U8(0);
    Capture("address-add", kAddressChange, 0, add.b);
    Capture("address-add-exists", kAddressChange, 0, add.b);  // EEXIST, "ipv4: Address already assigned"
    Bytes missing = Bytes().U8(0).U8(24).U8(0).U8(InterfaceAddress::kLocal).U32(0).U32(kEth0);
    missing.Addr("203.0.113.8").Addr("0.0.0.0").Addr("0.0.0.0").U8(0);
    Capture("address-delete-missing", kAddressChange, 1, missing.b);  // EADDRNOTAVAIL
  }
  // Sockets (fuzz/capture starts a few: TCP and UDP, IPv4 and IPv6, listening and connected); the destroy last.
  Capture("socket-dump", kSocketDump, 0, {});
  Capture("socket-dump-udp6", kSocketDump, 2 | (2 << 2), {});
  Capture("socket-destroy-tcp4", kSocketDestroy, 1 | (1 << 2), {});
  Capture("rule-dump", kRuleDump, 0, {});
  Capture("rule-dump-v6", kRuleDump, 2, {});
  {
    // A lookup rule (family, action, lengths, flags, table, present, priority, fwmark, ...; rule_codec.h).
    const auto lookup_rule = [](uint32_t priority) {
      Bytes rule = Bytes().U8(0).U8(FR_ACT_TO_TBL).U8(0).U8(24).U32(0).U32(1000);
      rule.U32(Rule::kPriority | Rule::kDst | Rule::kFwmark | Rule::kIif | Rule::kProtocol | Rule::kTable);
      rule.U32(priority).U32(0x42).U8(0).U8(157).U32(0).U32(0).U32(0).U32(0);
      rule.Addr("0.0.0.0").Addr("198.51.100.0").U8(2).U8(0);
      return rule;
    };
    const Bytes add = lookup_rule(7000);
    Capture("rule-add", kRuleChanges, 0, add.b);
    Capture("rule-add-exists", kRuleChanges, 0, add.b);  // EEXIST: the same rule again
    // Three adds pipelined, the middle one refused (EEXIST): the others made, each with its own result.
    Bytes batch = lookup_rule(7001);
    batch.b.insert(batch.b.end(), add.b.begin(), add.b.end());
    const Bytes last = lookup_rule(7002);
    batch.b.insert(batch.b.end(), last.b.begin(), last.b.end());
    Capture("rule-batch", kRuleChanges, 4, batch.b);
    // A large batch's chunk: 600 adds in two sends, the 551st refused (EEXIST), so that the second send's error
    // is counted from the first send's changes on.
    Bytes large;
    for (uint32_t i = 0; i < 600; i++) {
      const Bytes rule = i == 550 ? add : lookup_rule(8000 + i);
      large.b.insert(large.b.end(), rule.b.begin(), rule.b.end());
    }
    Capture("rule-batch-two-sends", kRuleChanges, 254, large.b);
    Capture("rule-delete-missing", kRuleChanges, 1,
            Bytes().U8(0).U8(0).U8(0).U8(0).U32(0).U32(0).U32(Rule::kPriority).U32(4242).b);
  }
  {
    // nf_tables: no table of ours, then ours made, kept, replaced, read and removed (fuzz/capture adds a user's
    // table, so the chain dump holds foreign chains too).
    Capture("nft-read-none", kFirewall, 0, {});
    Bytes rules;  // family bit, prefix length - 1, 16 address bytes, oif length - 1
    rules.U8(0).U8(15).Addr("172.16.0.0").U8(3).U8(0).U8(19).Addr("10.0.16.0").U8(3);
    rules.U8(1).U8(63).Addr("fd00:16::").U8(3);
    Capture("nft-set", kFirewall, 1, rules.b);
    Capture("nft-set-same", kFirewall, 1, rules.b);
    Capture("nft-read", kFirewall, 0, {});
    Capture("nft-set-other", kFirewall, 1, Bytes().U8(0).U8(23).Addr("172.16.1.0").U8(3).b);
    Capture("nft-remove", kFirewall, 2, {});
    Capture("nft-remove-none", kFirewall, 2, {});
    // The lockdown (nft_filter.h): family, oif length, prefix length, address, protocol, ports, types, verdict.
    Bytes filters;
    filters.U8(0).U8(3).U8(0).Addr("0.0.0.0").U8(0).U8(0).U8(0).U8(0).U8(0).U8(0);           // oifname "vvv" accept
    filters.U8(1).U8(0).U8(32).Addr("198.51.100.10").U8(1).U8(0).U8(143).U8(0).U8(0).U8(0);  // tcp dport 143
    filters.U8(2).U8(0).U8(10).Addr("fe80::").U8(3).U8(0).U8(0).U8(136).U8(133).U8(0);       // icmpv6 133-136
    filters.U8(1).U8(4).U8(12).Addr("172.16.0.0").U8(0).U8(0).U8(0).U8(0).U8(0).U8(0);       // a private LAN
    filters.U8(0).U8(0).U8(0).Addr("0.0.0.0").U8(2).U8(0).U8(53).U8(0).U8(0).U8(1);          // udp dport 53 reject
    filters.U8(0).U8(0).U8(0).Addr("0.0.0.0").U8(0).U8(0).U8(0).U8(0).U8(0).U8(1);           // reject
    Capture("nft-lockdown-read-none", kFirewall, 3, {});
    Capture("nft-lockdown-set", kFirewall, 4, filters.b);
    Capture("nft-lockdown-set-same", kFirewall, 4, filters.b);
    Capture("nft-lockdown-read", kFirewall, 3, {});
    Capture("nft-lockdown-remove", kFirewall, 5, {});
  }
  Capture("route-dump-protocol-oif", kRouteDump, 2 | (63 << 2), Bytes().U32(0).U8(77).U32(kEth0).b);
  Capture("route-dump-bad-oif", kRouteDump, 63 << 2, Bytes().U32(0).U8(0).U32(99).b);

  // Derived from captured conversations, at a receive buffer of the route dump (the link dump comes first).
  const size_t at = dump.chunks.size() - 3;
  {
    Conversation c = dump;
    long len = static_cast<long>(c.chunks[at].bytes.size());
    for (nlmsghdr* m = reinterpret_cast<nlmsghdr*>(c.chunks[at].bytes.data()); NLMSG_OK(m, len); m = NLMSG_NEXT(m, len))
      m->nlmsg_flags |= NLM_F_DUMP_INTR;
    Write("derived-route-dump-intr", c);
  }
  {
    Conversation c = dump;
    c.chunks.insert(c.chunks.begin() + static_cast<long>(at), fake_kernel::Chunk{fake_kernel::kNoBuffers, {}});
    Write("derived-route-dump-enobufs", c);
  }
  {
    Conversation c = dump;
    for (auto& chunk : c.chunks) chunk.control |= fake_kernel::kInterrupted;
    c.chunks.insert(c.chunks.begin() + static_cast<long>(at), c.chunks[at]);
    c.chunks[at].control = fake_kernel::kForeignSender;  // a copy from another port: ignored
    c.chunks.back().control |= fake_kernel::kNotYet;
    Write("derived-route-dump-foreign", c);
  }
  {
    Conversation c = dump;
    c.chunks[at].control |= fake_kernel::kTruncated;
    Write("derived-route-dump-truncated", c);
  }
  // Change events: the groups joined, then the changes made (by `ip`, in this namespace) and read. Every
  // change is undone, so each capture sees the same notifications.
  after_event_join = [] {
    if (system(kEventChanges) != 0) {
      fprintf(stderr, "capture_replies: the changes for the event captures failed\n");
      exit(1);
    }
  };
  // A watch filter (kinds, families, table, protocol, prefix lengths, interface names; replies_fuzzer.cc).
  Conversation events = Capture("events", kEventRead, 0, Bytes().U8(15).U8(0).b);
  Capture("events-routes-v4", kEventRead, 0, Bytes().U8(1).U8(1).b);
  Capture("events-routes-v6", kEventRead, 0, Bytes().U8(1).U8(2).b);
  Capture("events-rules", kEventRead, 0, Bytes().U8(8).U8(0).b);
  after_event_join = nullptr;
  {
    Conversation c = events;
    c.chunks.insert(c.chunks.begin() + static_cast<long>(c.chunks.size() / 2),
                    fake_kernel::Chunk{fake_kernel::kNoBuffers, {}});
    Write("derived-events-enobufs", c);
  }
  {
    Conversation c = events;
    c.chunks[c.chunks.size() / 2].control |= fake_kernel::kTruncated;
    Write("derived-events-truncated", c);
  }
  // The kernel-side watch filter on the same notifications (route_filter_scenario.cc: protocol, interface,
  // count, then family and address each).
  for (const auto& [name, request] :
       {std::pair{"derived-route-filter",
                  Bytes().U8(0).U8(0).U8(2).U8(0).Addr("10.121.0.5").U8(1).Addr("2001:db8:96::1").b},
        std::pair{"derived-route-filter-protocol-dev",
                  Bytes().U8(77).U8(static_cast<uint8_t>(kVeth)).U8(1).U8(0).Addr("198.51.100.10").b}}) {
    Conversation c = events;
    c.scenario = kRouteFilter;
    c.request = request;
    Write(name, c);
  }
  printf("%zu bytes in all\n", total_bytes);
  return 0;
}
