// Routes between three forms: the fixed-size change records that JS packs, rtnetlink messages, and the
// packed decoded form that JS turns into objects cheaply.
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "link_codec.h"

// A change record, written by src/netlink/route-spec.ts (layout in wire.ts). Multi-byte fields are in host byte
// order.
namespace record {
constexpr size_t kSize = 68;
constexpr size_t kOp = 0, kFamily = 1, kDstLen = 2, kGatewayFamily = 3, kProtocol = 4, kScope = 5, kType = 6,
                 kPresent = 7, kTable = 8, kMetric = 12, kOif = 16, kDst = 20, kGateway = 36, kPrefsrc = 52;
constexpr uint8_t kAdd = 0, kReplace = 1, kDelete = 2;
// kHasOnlink: RTNH_F_ONLINK in rtm_flags. kHasRareFields: the record's RouteChangeRareFields are the next of
// its batch's.
constexpr uint8_t kHasOif = 1, kHasMetric = 2, kHasPrefsrc = 4, kHasOnlink = 8, kHasRareFields = 16;
}  // namespace record

// A next hop of RTA_MULTIPATH.
struct RouteChangeNexthop {
  uint8_t gateway_family = 0;  // 0: none; the route's family: RTA_GATEWAY; another: RTA_VIA
  uint8_t gateway[16] = {};
  uint32_t oif = 0;
  uint8_t hops = 0;   // the weight - 1
  uint8_t flags = 0;  // rtnh_flags
};

// As many next hops as RTA_MULTIPATH's 16-bit length holds with room to spare.
constexpr size_t kMaxRouteNexthops = 1024;

// What a change record has no room for, in the kernel's numbers: read from JS in Route's field names
// (route_napi.cc), after src/netlink/route-spec.ts has validated them.
struct RouteChangeRareFields {
  std::vector<RouteChangeNexthop> nexthops;            // RTA_MULTIPATH unless empty
  bool has_metrics = false;                            // RTA_METRICS:
  std::vector<std::pair<uint16_t, uint32_t>> metrics;  //   RTAX_* and value (RTAX_LOCK included)
  std::string congestion;                              //   RTAX_CC_ALGO unless empty
  bool has_nhid = false;
  uint32_t nhid = 0;  // RTA_NH_ID
  // The most bytes EncodeRouteChangeInto writes for them.
  size_t MaxEncodedSize() const;
};

// iproute2's names of the RTAX_* metrics, by number (ip/iproute.c mx_names), and the value the kernel keeps for
// the value ip takes (rtt and rttvar: the kernel keeps 1/8 and 1/4 ms, ip shows ms); both ways. The one table of
// them: JS reads it through the addon's routeMetrics() (route_napi.h).
const char* MetricName(unsigned type);
// The metric's RTAX_* number, 0 for none.
unsigned MetricType(const std::string& name);
// What the kernel keeps per unit of the value ip takes: 8 for rtt, 4 for rttvar, else 1.
uint32_t MetricScale(unsigned type);
uint32_t MetricToKernel(unsigned type, uint32_t value);
uint32_t MetricFromKernel(unsigned type, uint32_t value);

// The decoded form: kWords 32-bit words per route. Strings that repeat (gateways, source addresses, device
// names) are interned: a word holds the string's id (0: none), and each batch carries the strings that are
// new since the previous batch of the same dump. Destinations are one text per batch: route i's is
// text[end(i-1), end(i)). The rare rest (next hops, metrics, expiry, RTA_VIA, ...) is the batch's extras: one
// JSON object per route that has kHasExtras, comma-separated, in route order, in Route's own field names
// (route_extras.cc writes it, src/netlink/wire.ts assigns it to the route).
namespace packed {
constexpr size_t kWords = 8;
constexpr size_t kMeta = 0,  // family | scope << 8 | protocol << 16 | type << 24
    kTable = 1, kMetric = 2, kFlags = 3, kDev = 4, kGateway = 5, kPrefsrc = 6, kDstEnd = 7;
// kFlags: kHasMetric; kHasExtras (the route has an entry in the batch's extras); RTA_PREF as kHasPref with
// the value at kPrefShift.
constexpr uint32_t kHasMetric = 1, kHasExtras = 2, kHasPref = 1u << 16;
constexpr unsigned kPrefShift = 8;
}  // namespace packed

// What a route carries beyond the packed words, found while its attributes are read (route_extras.cc).
struct RouteExtraAttrs {
  const rtattr* multipath = nullptr;
  const rtattr* metrics = nullptr;
  const rtattr* cacheinfo = nullptr;
  const rtattr* via = nullptr;
  const rtattr* nh_id = nullptr;
  const rtattr* uid = nullptr;
  const rtattr* mark = nullptr;
  const rtattr* flow = nullptr;
  const rtattr* src = nullptr;
  std::vector<uint16_t> undecoded;  // attribute types not decoded (or malformed), in order
  bool any() const {
    return multipath || metrics || cacheinfo || via || nh_id || uid || mark || flow || src || !undecoded.empty();
  }
};

// The largest message EncodeRouteChangeInto writes, without the record's rare fields.
constexpr size_t kMaxRouteChangeMessage = 160;

// Writes the request for one change record at out (kMaxRouteChangeMessage + rare->MaxEncodedSize() bytes
// available) and returns its length (a multiple of 4). rare: the record's rare fields, or nullptr.
// nlmsg_seq and nlmsg_pid are left 0.
size_t EncodeRouteChangeInto(const uint8_t* rec, const RouteChangeRareFields* rare, uint8_t* out);
// Filters are applied by the kernel (NETLINK_GET_STRICT_CHK); 0 means no filter.
std::vector<uint8_t> EncodeRouteDump(int family, uint32_t table, uint8_t protocol, uint32_t oif);
// What a lookup says of the packet beyond its destination: its IP protocol and destination port (0: none).
struct TransportSelector {
  uint8_t ip_proto = 0;
  uint16_t dport = 0;
};
std::vector<uint8_t> EncodeRouteGet(int family, const uint8_t* addr, uint32_t oif, const TransportSelector& transport,
                                    bool fib_match);

// Collects decoded routes in batches; one per dump (or lookup), so that interning spans the batches.
class RouteBatcher {
 public:
  // Device names for RTA_OIF; an index not in the list is named "if<N>".
  void SetLinks(const std::vector<Link>& links);
  // Appends the route if msg is an IPv4 or IPv6 RTM_NEWROUTE (or RTM_DELROUTE: a deletion event names the
  // route deleted); other messages are ignored.
  void Add(const nlmsghdr* msg);
  size_t size() const { return words_.size() / packed::kWords; }
  // Hands over the current batch and starts the next one; interned strings stay known.
  void TakeBatch(std::vector<uint32_t>* words, std::string* text, std::vector<std::string>* new_strings,
                 std::string* extras);
  // The output interface indexes used by the current batch that SetLinks did not name.
  std::vector<uint32_t> UnnamedOifs() const;
  void NameLink(uint32_t index, const std::string& name);
  // Whether an interface's routes in the current batch are unnamed so far ("ifN" until NameLink).
  bool Unnamed(uint32_t index) const;

 private:
  uint32_t NewString(std::string text);
  uint32_t InternV4(const uint8_t* addr);
  uint32_t InternV6(const uint8_t* addr);
  uint32_t InternDev(uint32_t oif);
  uint32_t InternAddress(int family, const uint8_t* addr);
  // Appends the route's extras object (route_extras.cc); false if there was nothing to write.
  bool AppendExtras(const rtmsg* rtm, const RouteExtraAttrs& attrs);
  void AppendNexthops(const rtmsg* rtm, const rtattr* multipath, std::vector<uint16_t>* undecoded);
  void AppendMetrics(const rtattr* metrics, std::vector<uint16_t>* undecoded);

  std::vector<uint32_t> words_;
  std::string text_;
  std::string extras_;
  std::vector<std::string> new_strings_;
  uint32_t next_id_ = 1;
  uint32_t last_v4_key_ = 0, last_v4_id_ = 0;
  std::unordered_map<uint32_t, uint32_t> v4_ids_;
  std::unordered_map<std::string, uint32_t> v6_ids_;
  std::unordered_map<uint32_t, uint32_t> dev_ids_;
  std::unordered_map<uint32_t, std::string> link_names_;
  // Devices not named by SetLinks: their id, so NameLink can fix the text before the batch is taken.
  std::unordered_map<uint32_t, uint32_t> unnamed_;
  uint32_t first_new_id_ = 1;
};
