// Policy routing rules (RTM_NEWRULE / RTM_DELRULE / RTM_GETRULE, linux/fib_rules.h): one Rule struct for both
// directions, the request that adds or deletes it, the dump request, and the decoder of the kernel's replies.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <vector>

// A rule's fields in the kernel's numbers. For a request, only the fields in `present` are sent (a delete
// matches only those, as `ip rule del` does); for a decoded rule, `present` says which attributes the kernel
// reported.
struct Rule {
  enum Present : uint32_t {
    kPriority = 1 << 0,
    kSrc = 1 << 1,
    kDst = 1 << 2,
    kIif = 1 << 3,
    kOif = 1 << 4,
    kFwmark = 1 << 5,
    kFwmask = 1 << 6,
    kGoto = 1 << 7,
    kSuppressPrefixLength = 1 << 8,
    kUidRange = 1 << 9,
    kIpProto = 1 << 10,
    kSport = 1 << 11,
    kDport = 1 << 12,
    kProtocol = 1 << 13,
    kTable = 1 << 14,  // FRA_TABLE (the header's table byte is always sent)
    kSuppressIfgroup = 1 << 15,
    kFlow = 1 << 16,  // FRA_FLOW: the realms
  };
  uint32_t present = 0;
  uint8_t family = 0;  // AF_INET or AF_INET6
  uint8_t action = 0;  // FR_ACT_*
  uint8_t src_len = 0, dst_len = 0, tos = 0;
  uint8_t ip_proto = 0, protocol = 0;
  uint32_t flags = 0;  // FIB_RULE_*
  uint32_t table = 0, priority = 0, fwmark = 0, fwmask = 0, goto_target = 0, suppress_prefix_length = 0;
  uint32_t suppress_ifgroup = 0, flow = 0;
  uint32_t uid_start = 0, uid_end = 0;
  uint16_t sport_start = 0, sport_end = 0, dport_start = 0, dport_end = 0;
  uint8_t src[16] = {}, dst[16] = {};  // 4 or 16 bytes by family
  std::string iif, oif;
};

// RTM_NEWRULE (with NLM_F_CREATE | NLM_F_EXCL: an identical rule is EEXIST) or RTM_DELRULE, with an ack.
std::vector<uint8_t> EncodeRuleChange(bool add, const Rule& rule);
// A dump of one family's rules.
std::vector<uint8_t> EncodeRuleDump(int family);
// Appends the rule if msg is an IPv4 or IPv6 RTM_NEWRULE; other messages are ignored.
void DecodeRule(const nlmsghdr* msg, std::vector<Rule>* rules);
