// kRouteFilter: the kernel-side filter of a watch (native/route_filter.h) built from an interest in the request,
// checked as the kernel checks a program it is given, then run (classic_bpf.h) on every receive buffer of the
// conversation as one datagram. It must drop exactly the datagrams that a plain reading (RTA_OK over the whole
// message) finds to be one route notification of no interest, within the limits route_filter.h states, with
// the prefixes it tests standing for the addresses.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "check.h"
#include "classic_bpf.h"
#include "conversation.h"
#include "route_filter.h"

namespace {

// Whether two prefixes meet (one contains the other): their leading bits agree as far as the shorter goes.
bool PrefixesMeet(const uint8_t* a, unsigned a_length, const uint8_t* b, unsigned b_length) {
  for (unsigned bit = 0; bit < a_length && bit < b_length; bit++) {
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

// Whether a path of RTA_MULTIPATH (its attribute whole) may leave by the interface: one does, or they are
// more than the filter reads, or one is not whole.
bool PathThrough(uint32_t oif, const uint8_t* attribute) {
  rtattr list;
  memcpy(&list, attribute, sizeof(list));
  size_t at = RTA_LENGTH(0);
  for (int count = 0; at < list.rta_len; count++) {
    rtnexthop hop;
    if (count == kFilterPaths || list.rta_len - at < sizeof(hop)) return true;
    memcpy(&hop, attribute + at, sizeof(hop));
    if (hop.rtnh_len < sizeof(hop) || hop.rtnh_len > list.rta_len - at) return true;
    if (static_cast<uint32_t>(hop.rtnh_ifindex) == oif) return true;
    at += RTNH_ALIGN(hop.rtnh_len);
  }
  return at != list.rta_len;
}

bool OfNoInterest(const RouteInterest& interest, const std::vector<RoutePrefix>& prefixes, const uint8_t* data,
                  size_t len) {
  nlmsghdr header;
  rtmsg route;
  if (len < NLMSG_LENGTH(sizeof(rtmsg))) return false;
  memcpy(&header, data, sizeof(header));
  memcpy(&route, data + NLMSG_HDRLEN, sizeof(route));
  if (header.nlmsg_type != RTM_NEWROUTE && header.nlmsg_type != RTM_DELROUTE) return false;
  if (header.nlmsg_len != len) return false;
  if (route.rtm_family != AF_INET && route.rtm_family != AF_INET6) return false;
  if (interest.protocol && route.rtm_protocol == interest.protocol) return false;
  if (route.rtm_dst_len == 0) return false;
  const size_t bytes = route.rtm_family == AF_INET ? 4 : 16;
  size_t at = NLMSG_LENGTH(sizeof(rtmsg)), dst = 0, dst_size = 0, multipath = 0;
  bool oif_seen = false, nexthop_seen = false;
  for (int count = 0; at < len; count++) {
    rtattr attr;
    if (count == kFilterAttributes || len - at < sizeof(attr)) return false;
    memcpy(&attr, data + at, sizeof(attr));
    if (attr.rta_len < sizeof(attr) || attr.rta_len > 255 || attr.rta_len > len - at || attr.rta_type > 255)
      return false;
    if (attr.rta_type == RTA_OIF && interest.oif) {
      uint32_t oif = 0;
      if (attr.rta_len != RTA_LENGTH(sizeof(oif))) return false;
      memcpy(&oif, data + at + RTA_LENGTH(0), sizeof(oif));
      if (oif == interest.oif) return false;
      oif_seen = true;
    }
    if (attr.rta_type == RTA_MULTIPATH) multipath = at;
    if (attr.rta_type == RTA_NH_ID) nexthop_seen = true;
    if (attr.rta_type == RTA_DST) {
      dst = at;
      dst_size = attr.rta_len;
    }
    at += RTA_ALIGN(attr.rta_len);
  }
  if (at != len) return false;
  if (interest.oif && (multipath ? PathThrough(interest.oif, data + multipath) : nexthop_seen && !oif_seen))
    return false;
  if (!dst || dst_size != RTA_LENGTH(bytes) || route.rtm_dst_len > 8 * bytes) return false;
  for (const RoutePrefix& p : prefixes) {
    if (p.family == route.rtm_family && PrefixesMeet(data + dst + RTA_LENGTH(0), route.rtm_dst_len, p.bytes, p.length))
      return false;
  }
  return true;
}

// The prefixes stand for the addresses: each address lies in one of its family's, and exact ones are hosts.
// They come in order, one length per family, so an address's prefix is the last one not after it.
void CheckPrefixes(const RouteInterest& interest, const RouteFilter& filter) {
  auto before = [](const RoutePrefix& a, const RoutePrefix& b) {
    return a.family != b.family ? a.family < b.family : memcmp(a.bytes, b.bytes, sizeof(a.bytes)) < 0;
  };
  const std::vector<RoutePrefix>& prefixes = filter.prefixes;
  CHECK(std::is_sorted(prefixes.begin(), prefixes.end(), before));
  for (size_t i = 1; i < prefixes.size(); i++)
    CHECK(prefixes[i].family != prefixes[i - 1].family || prefixes[i].length == prefixes[i - 1].length);
  for (const RouteInterest::Address& a : interest.addresses) {
    RoutePrefix address;
    address.family = a.family;
    memcpy(address.bytes, a.bytes, a.family == AF_INET ? 4 : 16);
    const auto after = std::upper_bound(prefixes.begin(), prefixes.end(), address, before);
    CHECK(after != prefixes.begin());
    const RoutePrefix& p = *(after - 1);
    CHECK(p.family == a.family && PrefixesMeet(p.bytes, p.length, address.bytes, a.family == AF_INET ? 32 : 128));
  }
  for (const RoutePrefix& p : filter.prefixes) {
    CHECK(!filter.exact || p.length == (p.family == AF_INET ? 32u : 128u));
    for (unsigned bit = p.length; bit < 128; bit++) CHECK((p.bytes[bit / 8] & (0x80 >> (bit % 8))) == 0);
  }
}

// The request: u8 protocol, u8 interface index, u8 count (times 16 with param bit 0), then per address a u8
// (even: IPv4, odd: IPv6) and 16 bytes; zeros past its end.
RouteInterest ReadInterest(const Conversation& c) {
  size_t pos = 0;
  auto u8 = [&c, &pos]() -> uint8_t { return pos < c.request.size() ? c.request[pos++] : 0; };
  RouteInterest interest;
  interest.protocol = u8();
  interest.oif = u8();
  const size_t count = u8() * (c.param & 1 ? 16u : 1u);
  interest.addresses.resize(count);
  for (RouteInterest::Address& a : interest.addresses) {
    a.family = u8() % 2 ? AF_INET6 : AF_INET;
    for (uint8_t& b : a.bytes) b = u8();
  }
  return interest;
}

}  // namespace

void RouteFilterScenario(const Conversation& c) {
  const RouteInterest interest = ReadInterest(c);
  const RouteFilter filter = RouteInterestFilter(interest);
  const std::vector<sock_filter>& program = filter.program;
  size_t cost = 0;  // instructions per address, as the program spends them
  for (const RouteInterest::Address& a : interest.addresses) cost += a.family == AF_INET ? 3 : 16;
  CHECK(!program.empty());             // a filter for any interest, widened where it must be
  CHECK(filter.exact || cost > 2500);  // exact for any interest of up to 800 IPv4 or 150 IPv6 addresses
  CheckPrefixes(interest, filter);
  const std::string refused = CheckClassic(program);
  if (!refused.empty()) fprintf(stderr, "the kernel would refuse the program: %s\n", refused.c_str());
  CHECK(refused.empty());
  size_t dropped_count = 0;
  for (const fake_kernel::Chunk& chunk : c.chunks) {
    const uint32_t verdict = RunClassic(program, chunk.bytes.data(), chunk.bytes.size());
    CHECK(verdict == kFilterPass || verdict == kFilterDrop);  // a pass keeps the whole datagram
    const bool dropped = verdict == kFilterDrop;
    const bool expected = OfNoInterest(interest, filter.prefixes, chunk.bytes.data(), chunk.bytes.size());
    if (dropped != expected)
      fprintf(stderr, "buffer %zu of %zu bytes: the filter %s it\n", &chunk - c.chunks.data(), chunk.bytes.size(),
              dropped ? "dropped" : "passed");
    CHECK(dropped == expected);
    dropped_count += dropped;
  }
  if (getenv("RG_FUZZ_VERBOSE"))
    fprintf(stderr, "  filter of %zu instructions dropped %zu of %zu buffers\n", program.size(), dropped_count,
            c.chunks.size());
}
