// The rare fields of change records (RouteChangeRareFields, native/route_codec.h) in a kChanges input, as the
// fuzzer reads them and capture_replies writes them: per entry, a next hop count (u8) and each next hop
// (gateway family, 16 address bytes, oif u32, hops, flags), then a presence byte (1: metrics, 2: nhid), the
// nhid (u32), a metric count (u8) and each metric (type u16, value u32), a congestion name's length (u8) and
// its bytes. Multi-byte numbers are little-endian; missing bytes read as zeros.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "byte_reader.h"
#include "route_codec.h"

// One entry of rare fields, read from `in`.
inline RouteChangeRareFields ReadRareFields(ByteReader& in) {
  RouteChangeRareFields rare;
  for (size_t n = in.U8(); n > 0; n--) {
    RouteChangeNexthop hop;
    hop.gateway_family = in.U8();
    in.Bytes(hop.gateway, sizeof(hop.gateway));
    hop.oif = in.U32();
    hop.hops = in.U8();
    hop.flags = in.U8();
    rare.nexthops.push_back(hop);
  }
  const uint8_t present = in.U8();
  rare.has_metrics = present & 1;
  rare.has_nhid = present & 2;
  rare.nhid = in.U32();
  for (size_t n = in.U8(); n > 0; n--) {
    const uint16_t type = static_cast<uint16_t>(in.U8() | in.U8() << 8);
    rare.metrics.emplace_back(type, in.U32());
  }
  for (size_t n = in.U8(); n > 0; n--) rare.congestion.push_back(static_cast<char>(in.U8()));
  return rare;
}

inline void WriteRareFields(const RouteChangeRareFields& rare, std::vector<uint8_t>* out) {
  auto u32 = [out](uint32_t v) {
    for (int i = 0; i < 4; i++) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  out->push_back(static_cast<uint8_t>(rare.nexthops.size()));
  for (const RouteChangeNexthop& hop : rare.nexthops) {
    out->push_back(hop.gateway_family);
    out->insert(out->end(), hop.gateway, hop.gateway + sizeof(hop.gateway));
    u32(hop.oif);
    out->push_back(hop.hops);
    out->push_back(hop.flags);
  }
  out->push_back(static_cast<uint8_t>((rare.has_metrics ? 1 : 0) | (rare.has_nhid ? 2 : 0)));
  u32(rare.nhid);
  out->push_back(static_cast<uint8_t>(rare.metrics.size()));
  for (const auto& metric : rare.metrics) {
    out->push_back(static_cast<uint8_t>(metric.first));
    out->push_back(static_cast<uint8_t>(metric.first >> 8));
    u32(metric.second);
  }
  out->push_back(static_cast<uint8_t>(rare.congestion.size()));
  out->insert(out->end(), rare.congestion.begin(), rare.congestion.end());
}
