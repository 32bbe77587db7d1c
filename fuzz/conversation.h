// One fuzzer input: a scenario (which of the addon's requests the socket makes) and the kernel's side of the
// conversation (the receive buffers, in order). Little-endian:
//
//   u8 scenario, u8 param, u16 request_len, request bytes       the scenario and its arguments
//   then repeated: u8 control, u16 len, len bytes               one receive buffer (fake_kernel::Control)
//
// A truncated input is read as far as it goes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fake_kernel.h"

struct Conversation {
  uint8_t scenario = 0;
  uint8_t param = 0;
  std::vector<uint8_t> request;
  std::vector<fake_kernel::Chunk> chunks;

  static Conversation Parse(const uint8_t* data, size_t size) {
    Conversation c;
    size_t pos = 0;
    auto u8 = [&](uint8_t* out) {
      if (pos >= size) return false;
      *out = data[pos++];
      return true;
    };
    auto bytes = [&](std::vector<uint8_t>* out) {
      uint8_t lo = 0, hi = 0;
      if (!u8(&lo) || !u8(&hi)) return false;
      size_t len = lo | static_cast<size_t>(hi) << 8;
      if (len > size - pos) len = size - pos;
      out->assign(data + pos, data + pos + len);
      pos += len;
      return true;
    };
    if (!u8(&c.scenario) || !u8(&c.param) || !bytes(&c.request)) return c;
    for (;;) {
      fake_kernel::Chunk chunk;
      if (!u8(&chunk.control) || !bytes(&chunk.bytes)) break;
      c.chunks.push_back(std::move(chunk));
    }
    return c;
  }

  // Buffers longer than 65535 bytes cannot be written; the capturer keeps its dumps smaller.
  std::vector<uint8_t> Serialize() const {
    std::vector<uint8_t> out{scenario, param};
    auto bytes = [&out](const std::vector<uint8_t>& b) {
      out.push_back(static_cast<uint8_t>(b.size()));
      out.push_back(static_cast<uint8_t>(b.size() >> 8));
      out.insert(out.end(), b.begin(), b.end());
    };
    bytes(request);
    for (const fake_kernel::Chunk& chunk : chunks) {
      out.push_back(chunk.control);
      bytes(chunk.bytes);
    }
    return out;
  }
};

// The scenarios (Conversation::scenario modulo kScenarios), in replies_fuzzer.cc: each calls one of the
// addon's operations (native/operations.h), as the JS handle's method named first does.
enum Scenario : uint8_t {
  kRouteGet,       // getRoute: GetRoute, one RTM_GETROUTE, then the names of the interfaces it did not know (ioctl)
  kRouteGets,      // getRoutes: GetRoutes, 1 + param lookups in one send (param 255: 300, two sends)
  kLinkDump,       // listLinks: ReadLinks, an RTM_GETLINK dump through Transact
  kLinkGets,       // getLinks/linkIndexes: GetLinks (one RTM_GETLINK per name), then LinkIndexes (ioctl)
  kChanges,        // change: ApplyChanges, route change records encoded and pipelined (TransactPipelined)
  kRouteDump,      // dumpRoutes: RouteDumpReader, links, then route dumps read in batches (StartDump/ReadDump)
  kRuleDump,       // listRules: ReadRules, RTM_GETRULE dumps (param 0: both families, 1: IPv4, 2: IPv6)
  kRuleChanges,    // changeRules: ChangeRules, 1 + param / 2 RTM_NEWRULE (param bit 0 clear) or RTM_DELRULE pipelined
                   // (param 254, 255: 600, two sends, as a large batch's chunk of 1,024 is sent)
  kAddressDump,    // listAddresses: ReadAddresses, one RTM_GETADDR dump (param 0: both families, 1: IPv4, 2: IPv6)
  kAddressChange,  // changeAddress: ChangeAddress, one RTM_NEWADDR (param bit 0 clear) or RTM_DELADDR
  kEventRead,      // watch: EventReader, the groups joined (kinds and families from the request), notifications read
  kFirewall,    // firewall: param % 6 0 ReadMasquerade, 1 SetMasquerade (rules from the request), 2 RemoveMasquerade,
                // 3 ReadLockdown, 4 SetLockdown (filter rules from the request), 5 RemoveLockdown
  kSocketDump,  // listSockets: ReadSockets on a NETLINK_SOCK_DIAG clone (param bits 0-1 families, 2-3 protocols)
  kSocketDestroy,  // destroySockets: ReadSockets as kSocketDump, then DestroySockets of the connected ones listed
  kRouteFilter,    // watch narrowed: route_filter.h's program for the request's interest, run on each buffer
  kScenarios
};

// Runs one conversation: the scenario's operation on a NetlinkSocket whose system calls go to the fake
// kernel (replay or capture mode must be started by the caller). Aborts when the result breaks the addon's
// contract with JS.
void RunConversation(const Conversation& c);

// kRouteFilter, in route_filter_scenario.cc (no socket: the buffers are datagrams the filter sees).
void RouteFilterScenario(const Conversation& c);

// kEventRead calls it between joining the groups and reading: the capturer makes its changes there. Null in
// the fuzzer.
extern void (*after_event_join)();
