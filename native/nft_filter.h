// The client's lockdown (src/redirect/lockdown.ts): our table `inet redirect_gateway_lockdown` with two filter
// chains, on output and on forward, each holding the same list of filter rules. A rule matches on what it names
// (family, output interface, destination prefix, transport protocol and ports, ICMPv6 types) and then accepts
// or rejects; a rejection answers at once (a TCP reset, an ICMP administratively prohibited). Every rule carries
// its own description as its comment, which is how it is recognised when read back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nft_codec.h"

namespace nft {

constexpr const char* kLockdownTable = "redirect_gateway_lockdown";
// The lockdown table's mark of ours, as nft_codec.h's kTableComment is serve's.
constexpr const char* kLockdownTableComment = "managed by redirect-gateway lockdown";
constexpr uint32_t kHookForward = 2;  // NF_INET_FORWARD
constexpr uint32_t kHookOutput = 3;   // NF_INET_LOCAL_OUT
constexpr ChainSpec kLockdownChains[] = {
    {kLockdownTable, "output", "filter", kHookOutput, 0},
    {kLockdownTable, "forward", "filter", kHookForward, 0},
};

struct Filter {
  enum Verdict : uint8_t { kAccept, kReject };
  uint8_t family = 0;  // AF_INET or AF_INET6; 0 for both (then no destination)
  std::string oif;     // the output interface's name; empty for any
  uint8_t daddr[16] = {};
  uint8_t daddr_len = 0;                         // the destination prefix's length; 0 for any
  uint8_t l4proto = 0;                           // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 or 0 for any
  uint16_t sport = 0, dport = 0;                 // TCP or UDP ports; 0 for any
  uint8_t icmp_type_min = 0, icmp_type_max = 0;  // ICMPv6 types, inclusive; both 0 for any
  Verdict verdict = kAccept;  // a TCP rule's rejection is a reset, any other's an ICMP(v6) admin-prohibited
};

// False when the rule is not one we can write (a destination without a family, ports without TCP or UDP, ...).
bool Valid(const Filter& rule);
std::vector<uint8_t> EncodeNewRule(const Filter& rule, const ChainSpec& chain);
// As nft lists it: `meta nfproto ipv4 oifname "eth0" ip daddr 192.0.2.1 meta l4proto tcp th dport 655 accept`.
std::string Describe(const Filter& rule);

}  // namespace nft
